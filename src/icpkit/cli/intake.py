"""CLI commands: inspect and normalize (intake)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..errors import ConfigError
from ._app import app, out, print_json

KindOpt = Annotated[
    str | None,
    typer.Option("--kind", "-k", help="Force the table kind (accounts, deals, leads, ...)."),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        "-m",
        help="Override the mapping: 'Their Column=canonical' (repeatable); 'Col=-' keeps a "
        "column as a custom attribute.",
    ),
]
SheetOpt = Annotated[str | None, typer.Option(help="Excel sheet name or 0-based index.")]
TableOpt = Annotated[str | None, typer.Option(help="SQL table (for duckdb:// or postgresql://).")]
QueryOpt = Annotated[str | None, typer.Option(help="SQL query (instead of --table).")]
EncodingOpt = Annotated[str | None, typer.Option(help="Text encoding (detected if omitted).")]
DelimiterOpt = Annotated[
    str | None, typer.Option(help="CSV delimiter: ',', ';', '\\t' or '|' (detected if omitted).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
ScaleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--scale",
        help="Multiply a numeric column: 'annual_revenue=million' or '=1e6' (repeatable).",
    ),
]
MaxRejectsOpt = Annotated[
    str | None,
    typer.Option(
        "--max-rejects",
        help="Most unreadable rows to set aside before failing, as a share: '1%' (default), "
        "'5%', '0.05'.",
        show_default=False,
    ),
]
StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict", help="Fail on the first value that cannot be read (file, row, column)."
    ),
]


def parse_map(items: list[str] | None) -> dict[str, str | None]:
    """['Col=employees', 'Other=-'] -> {'Col': 'employees', 'Other': None}."""
    mapping: dict[str, str | None] = {}
    for item in items or []:
        if "=" not in item:
            raise ConfigError(
                f"--map expects 'Column=canonical'. Got {item!r} instead",
                hint="Example: --map 'Number of Staff=employees'",
            )
        col, target = item.rsplit("=", 1)
        mapping[col.strip()] = target.strip() or None
    return mapping


def parse_scale(items: list[str] | None) -> dict[str, float]:
    """['annual_revenue=1e6'] or ['annual_revenue=million'] -> {'annual_revenue': 1e6}."""
    words = {"thousand": 1e3, "thousands": 1e3, "k": 1e3, "million": 1e6, "millions": 1e6}
    words |= {"m": 1e6, "mn": 1e6, "billion": 1e9, "billions": 1e9, "bn": 1e9}
    scale: dict[str, float] = {}
    for item in items or []:
        col, _, factor = item.rpartition("=")
        text = factor.strip().lower()
        try:
            value = words[text] if text in words else float(text)
        except ValueError:
            value = None
        if not col or value is None:
            raise ConfigError(
                f"--scale expects 'column=factor'. Got {item!r} instead",
                hint="Example: --scale annual_revenue=million (or =1e6)",
            )
        scale[col.strip()] = value
    return scale


def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    named = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(value.lower(), value)
    if len(value) != 1:
        raise ConfigError(f"--delimiter must be one character. Got {value!r} instead")
    return value


def _load(
    source: str,
    kind: str | None,
    maps: list[str] | None,
    sheet: str | None,
    table: str | None,
    query: str | None,
    encoding: str | None,
    delimiter: str | None,
    strict: bool = False,
    limit: int | None = None,
    scale: list[str] | None = None,
    max_rejects: str | None = None,
) -> Any:
    from ..intake import load
    from ..intake._quarantine import parse_max_rejects

    return load(
        source,
        kind=kind,
        mapping=parse_map(maps),
        sheet=sheet,
        table=table,
        query=query,
        encoding=encoding,
        delimiter=_delimiter(delimiter),
        strict=strict,
        limit=limit,
        scale=parse_scale(scale),
        max_rejects=parse_max_rejects(max_rejects),
    )


def _render(report: dict[str, Any]) -> None:
    src = report["source"]
    dialect = ", ".join(
        str(x)
        for x in (
            src["format"],
            src.get("encoding"),
            repr(src["delimiter"]) if src.get("delimiter") else None,
        )
        if x
    )
    out.print(f"[bold]{escape(str(src['source']))}[/] ({escape(dialect)})", markup=True)
    out.print(
        f"source system: [bold]{escape(report['system_name'])}[/]   table kind: [bold]{report['kind']}[/]"
        f"   rows: {report['rows']:,}   columns: {report['columns_in']} → {report['columns_out']}",
        markup=True,
    )
    fill = {c["name"]: c for c in report["columns"]}
    grid = Table(title="Mapping", title_justify="left")
    for head in ("column", "→ canonical", "reason", "conf.", "type", "filled"):
        grid.add_column(head)
    for m in report["mapping"]:
        outs = m["outputs"] or [m["original"]]
        main = fill.get(outs[0], {})
        target = escape(m["canonical"] or "") or "[dim](custom)[/]"
        extra = outs[1:]
        if extra:
            more = escape(", ".join(extra[:3])) + (" …" if len(extra) > 3 else "")
            target = f"{target} [dim]+ {more}[/]"
        conf = f"{m['confidence']:.2f}" if m["canonical"] else ""
        rate = main.get("fill_rate")
        reason = "" if m["reason"] == "custom attribute" else m["reason"]
        grid.add_row(
            m["original"],
            Text.from_markup(target),
            reason,
            conf,
            str(main.get("type", m["raw_type"])),
            "" if rate is None else f"{rate:.0%}",
        )
    out.print(grid)
    _render_coercions(report)
    reasons = report.get("suggestion_reasons", {})
    for col, canonical in report["suggestions"].items():
        why = f" ({reasons[col]})" if col in reasons else ""
        out.print(
            "[cyan]suggestion:[/] "
            + escape(f"{col!r} might be {canonical!r}{why}: --map '{col}={canonical}'"),
            markup=True,
        )
    _render_rejects(report)
    for warning in report["warnings"]:
        out.print(f"[yellow]warning:[/] {escape(warning)}", markup=True)


def _render_rejects(report: dict[str, Any], where: str | None = None) -> None:
    rejects = report.get("rejects") or {}
    if not rejects.get("count"):
        return
    grid = Table(
        title=f"Rows set aside ({rejects['count']:,})" + (f" → {where}" if where else ""),
        title_justify="left",
    )
    for head in ("row", "why", "text"):
        grid.add_column(head)
    for r in rejects["rows"][:5]:
        row = f"{r['row']:,}" if isinstance(r["row"], int) else str(r["row"])
        grid.add_row(row, r["reason"], repr(r["raw"][:60]))
    out.print(grid)


def _render_coercions(report: dict[str, Any]) -> None:
    rows = [c for c in report["coercions"] if c["became_missing"]]
    notes = [(c["column"], n) for c in report["coercions"] for n in c["notes"]]
    if rows:
        grid = Table(title="Values that became missing", title_justify="left")
        for head in ("column", "count", "why", "examples", "first row"):
            grid.add_column(head)
        for c in rows:
            why = "; ".join(f"{k} ({v})" for k, v in c["reasons"].items())
            examples = ", ".join(repr(e) for e in c["examples"][:3])
            grid.add_row(
                c["column"], f"{c['became_missing']:,}", why, examples, str(c["first_row"] or "")
            )
        out.print(grid)
    else:
        out.print("no values became missing")
    for column, note in notes:
        out.print(f"[dim]note ({escape(column)}):[/] {escape(note)}", markup=True)


@app.command("inspect")
def inspect_cmd(
    source: Annotated[
        str, typer.Argument(help="File (CSV, TSV, Parquet, Excel, JSON) or SQL URL.")
    ],
    kind: KindOpt = None,
    maps: MapOpt = None,
    sheet: SheetOpt = None,
    table: TableOpt = None,
    query: QueryOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    strict: StrictOpt = False,
    scale: ScaleOpt = None,
    sample: Annotated[
        int | None, typer.Option(help="Inspect only the first N rows (quick look at a big file).")
    ] = None,
    max_rejects: MaxRejectsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show how a file is read: source system, table kind, mapping, types, fill rates, coercions."""
    loaded = _load(
        source,
        kind,
        maps,
        sheet,
        table,
        query,
        encoding,
        delimiter,
        strict,
        sample,
        scale,
        max_rejects,
    )
    if as_json:
        print_json(loaded.report)
    else:
        _render(loaded.report)


@app.command("normalize")
def normalize_cmd(
    source: Annotated[
        str, typer.Argument(help="File (CSV, TSV, Parquet, Excel, JSON) or SQL URL.")
    ],
    output: Annotated[str, typer.Option("--output", "-o", help="Output .parquet or .csv file.")],
    kind: KindOpt = None,
    maps: MapOpt = None,
    sheet: SheetOpt = None,
    table: TableOpt = None,
    query: QueryOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    strict: StrictOpt = False,
    scale: ScaleOpt = None,
    max_rejects: MaxRejectsOpt = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="CSV output: write cells as they are (no formula guard).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write the table with canonical column names and normalised values (atomically).

    Rows that cannot be read go to OUT's rejects file (OUT.rejects.csv)."""
    from ..intake._quarantine import write_rejects
    from ..intake._write import output_format, write_table

    output_format(output)  # fail before reading a large input, not after
    loaded = _load(
        source,
        kind,
        maps,
        sheet,
        table,
        query,
        encoding,
        delimiter,
        strict,
        None,
        scale,
        max_rejects,
    )
    path = write_table(loaded.table, output, raw=raw)
    rejects_file = write_rejects(loaded.rejects, output)
    where = None if rejects_file is None else str(rejects_file)
    if as_json:
        print_json({"output": str(path), "rejects_file": where, **loaded.report})
        return
    report = loaded.report
    out.print(
        f"wrote [bold]{escape(str(path))}[/]: {report['rows']:,} rows, {report['columns_out']} columns"
        f" ({escape(report['system_name'])} {report['kind']})",
        markup=True,
    )
    _render_coercions(report)
    _render_rejects(report, where)
    for warning in report["warnings"]:
        out.print(f"[yellow]warning:[/] {escape(warning)}", markup=True)


# Other modules' hints say "run `icp intake` first": the same command, kept out of --help.
app.command("intake", hidden=True)(normalize_cmd)
