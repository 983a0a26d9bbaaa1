"""CLI commands: engines (`icp score`, `icp sql`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..errors import ConfigError
from ..intake._quarantine import parse_max_rejects
from ..phrases import counted
from ..profile import load_profile
from ._app import app, err, out, print_json, warn_gaps
from .intake import KindOpt, MapOpt, MaxRejectsOpt, parse_map

ProfileOpt = Annotated[Path, typer.Option("--profile", "-p", help="Profile YAML to score with.")]


def _rows_per_second(progress: Progress) -> str:
    task = progress.tasks[0] if progress.tasks else None
    if task is None or not task.elapsed:
        return ""
    return f"{task.completed / task.elapsed:,.0f} rows/s"


def _score_file(
    input_path: Path, profile_path: Path, output: Path, opts: dict[str, Any], as_json: bool
) -> dict[str, Any]:
    from ..stream import score_file

    profile = load_profile(profile_path)
    columns = [
        TextColumn("scoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TextColumn("{task.fields[speed]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ]
    # No bar without a terminal: a log or a pipe would get a blank line before any error.
    quiet = as_json or not err.is_terminal
    with Progress(*columns, console=err, transient=True, disable=quiet) as bar:
        task = bar.add_task("score", total=None, speed="")

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total, speed=_rows_per_second(bar))

        return score_file(input_path, profile, output, progress=advance, **opts)


def _print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(report)
        return
    where = report.get("output") or report.get("into")
    out.print(f"scored {report['rows']:,} rows → {where} in {report['seconds']:.1f} s")
    if report.get("rejects"):
        out.print(
            f"[yellow]warning:[/] set aside {counted(report['rejects'], 'unreadable row')}"
            f" → {escape(str(report['rejects_file']))}",
            markup=True,
        )
    warn_gaps(report.get("gaps"))
    table = Table("tier", "rows", "share")
    total = max(report["rows"], 1)
    for tier, n in report["tiers"].items():
        table.add_row(str(tier), f"{n:,}", f"{n / total:.1%}")
    out.print(table)


@app.command("score")
def score_command(
    input_path: Annotated[
        Path | None,
        typer.Argument(
            help="Table to score: CSV, TSV, Parquet, Excel, JSON (streamed).", show_default=False
        ),
    ] = None,
    profile: ProfileOpt = Path("profile.yaml"),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Output file: .csv or .parquet.")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(help="Score inside a database: postgresql://... or a .duckdb file."),
    ] = None,
    table: Annotated[str | None, typer.Option(help="Table to score with --db.")] = None,
    into: Annotated[
        str | None, typer.Option(help="Table to create with --db (default: <table>_scored).")
    ] = None,
    replace: Annotated[bool, typer.Option(help="Overwrite the --into table.")] = False,
    reasons: Annotated[
        bool, typer.Option("--reasons/--no-reasons", help="Add icp_reasons (files only).")
    ] = True,
    raw: Annotated[
        bool,
        typer.Option("--raw", help="Input already has canonical columns: skip normalising."),
    ] = False,
    kind: KindOpt = None,
    maps: MapOpt = None,
    batch_rows: Annotated[int, typer.Option(help="Rows per batch when streaming.")] = 65_536,
    max_rejects: MaxRejectsOpt = None,
    raw_cells: Annotated[
        bool,
        typer.Option("--raw-cells", help="CSV output: write cells as they are (no formula guard)."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Score a file (streamed to .csv/.parquet) or a database table in place.

    Input rows that cannot be read go to OUTPUT's rejects file (OUTPUT.rejects.csv)."""
    if db is not None:
        if input_path is not None or output is not None:
            raise ConfigError("give either INPUT -o OUTPUT, or --db URL --table T, not both")
        if not table:
            raise ConfigError(
                "--db needs --table NAME", hint="Example: --db scores.duckdb --table accounts"
            )
        from ..indb import score_in_db

        report = score_in_db(db, table, load_profile(profile), into=into, replace=replace)
        _print_report(report, as_json)
        return
    if input_path is None or output is None:
        raise ConfigError(
            "give a file to score and -o OUTPUT (or --db URL --table T)",
            hint="Example: icp score accounts.csv --profile profile.yaml -o scored.csv",
        )
    opts = {
        "normalize": not raw,
        "kind": kind,
        "mapping": parse_map(maps) or None,
        "reasons": reasons,
        "batch_rows": batch_rows,
        "max_rejects": parse_max_rejects(max_rejects),
        "raw_cells": raw_cells,
    }
    _print_report(_score_file(input_path, profile, output, opts, as_json), as_json)


ColumnsOpt = Annotated[
    str,
    typer.Option(
        "--columns",
        help="Which column names the table has: canonical (the profile's, values already "
        "normalised), crm (the CRM export's the profile was learned from; values normalised "
        "in SQL) or a YAML file of 'profile column: table column' lines.",
    ),
]
TypeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--type",
        help="Column type 'column=integer|float|real|text|boolean' (repeatable; real is a "
        "32-bit float): typed columns compare directly; others are read through their text "
        "form.",
    ),
]


def _column_types(types: list[str] | None) -> dict[str, Any]:
    column_types: dict[str, Any] = {}
    for item in types or []:
        name, _, kind = item.rpartition("=")
        if not name or kind not in ("integer", "float", "real", "text", "boolean"):
            raise ConfigError(
                f"--type expects 'column=integer|float|real|text|boolean'. Got {item!r} instead"
            )
        column_types[name] = kind
    return column_types


def _warn_inexact(inexact: dict[str, str]) -> None:
    if inexact:
        cols = ", ".join(inexact)
        err.print(
            f"warning: SQL reads some values of {cols} as missing where `icp score` reads "
            "them (see the comment on top of the query); run `icp normalize` first if your "
            "data has those shapes",
            markup=False,
        )


@app.command("sql")
def sql_command(
    profile: Annotated[Path, typer.Argument(help="Profile YAML.")],
    dialect: Annotated[
        str, typer.Option(help="duckdb, postgres, spark, snowflake, bigquery or tsql.")
    ] = "duckdb",
    table: Annotated[str, typer.Option(help="Table (or schema.table) to score.")] = "accounts",
    view: Annotated[
        str | None, typer.Option(help="Print CREATE VIEW <name> AS ... instead of a SELECT.")
    ] = None,
    columns: ColumnsOpt = "canonical",
    types: TypeOpt = None,
    db: Annotated[
        str | None,
        typer.Option(
            help="Read --table's column names and types from this database's catalog "
            "(postgresql://... or a .duckdb file): typed columns compare directly, and "
            "--columns crm finds renamed CRM columns (Fivetran snake_case, labels).",
        ),
    ] = None,
) -> None:
    """Print the scoring query for a warehouse (input columns + icp_score, icp_tier, icp_segment)."""
    from ..sources import profile_types, resolve_sources
    from ..sql import build_query, render

    prof = load_profile(profile)
    catalog: dict[str, Any] = {}
    if db is not None:
        from ..indb import column_types as catalog_types

        catalog = catalog_types(db, table)
    sources = resolve_sources(prof, columns, table_columns=list(catalog) if db else None)
    column_types = dict(catalog) if db else {}
    if sources is None and not db:
        column_types = profile_types(prof)
    column_types.update(_column_types(types))
    query = build_query(prof, table, dialect=dialect, column_types=column_types, sources=sources)
    _warn_inexact(query.inexact)
    typer.echo(render(query, dialect, view=view) + ";")


@app.command("dbt")
def dbt_command(
    profile: Annotated[Path, typer.Argument(help="Profile YAML.")],
    model: Annotated[str, typer.Option(help="Model name (the file is models/<NAME>.sql).")],
    source: Annotated[
        str, typer.Option(help="dbt source as SOURCE.TABLE (e.g. salesforce.account).")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for <model>.sql and schema.yml.")
    ] = Path("models"),
    dialect: Annotated[str, typer.Option(help="Warehouse dialect of the dbt project.")] = "duckdb",
    columns: ColumnsOpt = "crm",
    types: TypeOpt = None,
) -> None:
    """Write a dbt model (the scoring SELECT over a source) and its schema.yml with tests."""
    from ..dbt import write_dbt_model

    written = write_dbt_model(
        load_profile(profile),
        model,
        source,
        output,
        dialect=dialect,
        columns=columns,
        column_types=_column_types(types),
    )
    _warn_inexact(written.inexact)
    for path in written.files:
        out.print(f"wrote {path}")
