"""CLI commands: analytics (tam, funnel, committee, quality, drift).

Each command parses its options, calls one library function that returns
``(table, summary)``, and prints both with Rich (or plain JSON with ``--json``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from ..errors import ConfigError
from ..phrases import attribute_name
from ._app import app, err, out, print_json, warn_gaps

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print plain JSON (summary and table) instead of tables.")
]
_MAX_ROWS = 40


def _plain(value: Any) -> Any:
    """JSON-safe scalar: NaN and NA become null, numpy scalars become Python ones."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in row.items()} for row in table.to_dict("records")]


_SHARE_WORDS = ("rate", "share", "fill", "conversion", "pct")
_MONEY_WORDS = {"acv", "arr", "mrr", "ltv", "amount"}


def _fmt(value: Any, column: str = "") -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    low = column.lower()
    # 'lead_to_mql': a conversion from one stage to the next is a share (identifiers only:
    # a segment named 'Back to school' is not a rate).
    is_share = any(w in low for w in _SHARE_WORDS) or "_to_" in low
    if is_share and isinstance(value, int | float) and 0 <= value <= 1:
        return f"{value:.1%}"
    words = low.replace("_", " ").split()
    money = words[-1:] and (words[-1] in _MONEY_WORDS or (len(words) > 1 and words[-1] == "value"))
    # 'acv by tier A': amounts keyed by tier or segment are money too
    by = words.index("by") if "by" in words else 0
    money = money or (by > 0 and words[by - 1] in _MONEY_WORDS)
    if isinstance(value, int | float) and money:
        return f"${value:,.0f}"  # 'mean_acv' 51235.4 -> $51,235; 'tam_value' (not 'value')
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _show(title: str, table: pd.DataFrame, summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json({"summary": summary, "table": _records(table)})
        return
    grid = Table(title=title, show_lines=False)
    names = [str(c) for c in table.columns]
    rows = [
        # A row of no segment is a group of its own, named as the summary names it.
        [
            "(none)" if name == "segment" and _plain(v) is None else _fmt(v, name)
            for v, name in zip(row, names, strict=True)
        ]
        for row in table.head(_MAX_ROWS).itertuples(index=False)
    ]
    for i, name in enumerate(names):
        header = _header(name)
        # Wrap between words, never inside one: "oppo/rtun/ity" or "1,3/21" read as nonsense.
        words = [*header.split(), *(w for r in rows for w in r[i].split())]
        width = max((len(w) for w in words), default=1)
        # The first column names the row: keep it whole, let the others fold.
        grid.add_column(header, overflow="fold", no_wrap=i == 0, min_width=min(width, 24))
    for cells in rows:
        grid.add_row(*cells)
    natural = sum(
        max(len(_header(n)), *(len(r[i]) for r in rows), 1) + 3 for i, n in enumerate(names)
    )
    if natural + 1 > out.width:
        # Rich's own shrinking keeps some columns wide and overflows the terminal: fold
        # every column down to its longest word instead.
        for col in grid.columns[1:]:
            col.max_width = col.min_width
    out.print(grid)
    if len(table) > _MAX_ROWS:
        out.print(f"… {len(table) - _MAX_ROWS:,} more rows (use --json for all)")
    for key, value in summary.items():
        if key != "missing_columns":  # warned about by the command, one line each
            _summary_line(key, value)


_ACRONYMS = {"mql": "MQL", "sql": "SQL", "acv": "ACV", "psi": "PSI", "icp": "ICP", "to": "→"}
# Summary labels: the same acronyms in capitals ('TAM', 'in CRM'), 'to' left as a word.
_LABEL_ACRONYMS = {
    **{k: v for k, v in _ACRONYMS.items() if k != "to"},
    "tam": "TAM",
    "sam": "SAM",
    "crm": "CRM",
    "arr": "ARR",
}


# Summary keys whose words the rule below would get wrong (tier letters are capitals).
_LABELS = {"tier_a_vs_d_lift": "tier A vs D lift"}


def _label(key: str) -> str:
    """A summary key as words: 'expected_acv' -> 'expected ACV', 'in_crm' -> 'in CRM'."""
    if key in _LABELS:
        return _LABELS[key]
    return " ".join(_LABEL_ACRONYMS.get(w, w) for w in key.replace("_", " ").split())


def _header(name: str) -> str:
    """A column name as a header: 'lead_to_mql' -> 'lead → MQL', 'mean_acv' -> 'mean ACV'."""
    return " ".join(_ACRONYMS.get(w, w) for w in name.split("_"))


def _summary_line(key: str, value: Any, depth: int = 0) -> None:
    """Scalars on one line; dicts one level deep, as words; long lists are left to --json."""
    if _empty(value):
        return  # "warnings: []" or "expected acv: " say nothing
    if isinstance(value, dict) and len(str(value)) > 100 and depth == 0:
        for sub, inner in value.items():
            # 'expected_acv' + 'acv_by_tier' reads 'expected ACV by tier', not 'acv acv'
            words = str(sub).split("_")
            if len(words) > 1 and key.split("_")[-1].split()[-1] == words[0]:
                sub = "_".join(words[1:])
            _summary_line(f"{key} {sub}", inner, depth + 1)
        return
    if isinstance(value, dict | list) and len(str(value)) > 160:
        return  # long structures belong to --json
    text = _words(value, key)
    if text:
        out.print(
            f"[bold]{escape(_label(key))}[/]: {escape(text)}",
            markup=True,
            highlight=False,
        )


def _empty(value: Any) -> bool:
    return _plain(value) is None if not isinstance(value, dict | list | str) else not value


def _words(value: Any, key: str = "") -> str:
    """A summary value as words: {'companies': 6, 'value': 6000} -> 'companies 6 · value 6,000'."""
    if isinstance(value, dict):
        parts = (
            f"{_label(str(k))} {_words(v, f'{key} {k}')}" for k, v in value.items() if not _empty(v)
        )
        return " · ".join(parts)
    if isinstance(value, list):
        if any(isinstance(v, dict | list) for v in value):
            return ""  # a list of records: --json shows it
        return ", ".join(_fmt(v, key) for v in value)
    return _fmt(value, key)


def _profile(path: Path | None, option: str = "--profile") -> Any:
    from ..profile import load_profile

    if path is None:
        raise ConfigError(f"{option} is required", hint=f"Give a profile YAML with {option} P.yaml")
    return load_profile(path)


@app.command("drift")
def drift_command(
    old: Annotated[
        Path | None, typer.Argument(help="Old profile YAML (compare two profiles).")
    ] = None,
    new: Annotated[Path | None, typer.Argument(help="New profile YAML.")] = None,
    profile: Annotated[Path | None, typer.Option(help="Profile to score both files with.")] = None,
    before: Annotated[Path | None, typer.Option(help="Table from the earlier period.")] = None,
    after: Annotated[Path | None, typer.Option(help="Table from the later period.")] = None,
    success: Annotated[
        str | None, typer.Option(help="Success column (default: the profile's).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """What changed between two profiles, or how far the population drifted (PSI, verdict)."""
    from ..drift import population_drift, profile_diff
    from ..profile import load_profile

    if old is not None and new is not None:
        table, summary = profile_diff(load_profile(old), load_profile(new))
        if not as_json:  # attributes by their business names, as the points table shows them
            table = table.assign(
                name=[
                    attribute_name(n) if part == "attribute" else n
                    for part, n in zip(table["part"], table["name"], strict=True)
                ]
            )
        _show("Profile changes", table, summary, as_json)
        return
    if old is not None or new is not None or before is None or after is None:
        raise ConfigError(
            "give two profiles (OLD.yaml NEW.yaml), or --profile P --before FILE1 --after FILE2"
        )
    table, summary = population_drift(_profile(profile), before, after, success=success)
    if not as_json:
        warn_gaps(summary.get("missing_columns"))
        table = _drift_cells(table)
        # the PSI of each attribute is in the table already
        summary = {k: v for k, v in summary.items() if k != "attribute_psi"}
    _show("Population drift", table, summary, as_json)


def _drift_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Shares and rates as percentages (their change in points), the mean score to 0.1."""

    def cell(measure: str, value: Any, change: bool = False) -> str:
        v = _plain(value)
        if v is None:
            return ""
        if measure in ("tier share", "success rate"):
            return f"{v * 100:+.1f} pts" if change else f"{v:.1%}"
        return f"{v:+.1f}" if change else f"{v:.1f}"

    out = table.astype(object).copy()
    for col in ("before", "after", "change"):
        out[col] = [
            cell(m, v, col == "change") for m, v in zip(table["measure"], table[col], strict=True)
        ]
    return out


@app.command("quality")
def quality_command(
    file: Annotated[Path, typer.Argument(help="Table to check (CSV, Parquet, Excel, ...).")],
    profile: Annotated[
        Path | None, typer.Option(help="Profile: flag its attributes filled below 80%.")
    ] = None,
    decay: Annotated[float, typer.Option(help="Share of records going stale per month.")] = 0.03,
    today: Annotated[
        str | None, typer.Option(help="Date to age records from (default: today).")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Table kind (accounts, contacts, ...).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Fill rates, duplicates, inconsistent values, staleness and a decay forecast."""
    from ..quality import data_quality

    prof = _profile(profile) if profile is not None else None
    table, summary = data_quality(file, prof, decay=decay, today=_date(today), kind=kind)
    if as_json:
        _show("Data quality by column", table, summary, as_json)
        return
    from ..qualitywords import quality_sentences

    _show("Data quality by column", table, {}, as_json)
    for sentence in quality_sentences(summary):
        out.print(escape(sentence), highlight=False)


def _date(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise ConfigError(f"--today must be a date like 2026-01-31; got {text!r}") from None


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


@app.command("tam")
def tam_command(
    universe: Annotated[Path, typer.Argument(help="Company universe (Parquet, CSV, ...).")],
    profile: Annotated[
        Path | None, typer.Option(help="Profile YAML to score the universe.")
    ] = None,
    accounts: Annotated[
        Path | None, typer.Option(help="CRM accounts: white space, and ACV learned from won ones.")
    ] = None,
    deals: Annotated[
        Path | None, typer.Option(help="Deals: learn ACV from won deal amounts.")
    ] = None,
    value: Annotated[
        str | None, typer.Option(help="ACV per company (an amount) or a universe column to sum.")
    ] = None,
    where: Annotated[
        str | None, typer.Option(help='SAM filter, a SQL condition: "employees >= 50".')
    ] = None,
    country: Annotated[
        list[str] | None, typer.Option(help="SAM: keep these ISO-2 countries (repeat or comma).")
    ] = None,
    industry: Annotated[list[str] | None, typer.Option(help="SAM: keep these industries.")] = None,
    min_employees: Annotated[float | None, typer.Option(help="SAM: at least this many.")] = None,
    max_employees: Annotated[float | None, typer.Option(help="SAM: fewer than this many.")] = None,
    top: Annotated[int, typer.Option(help="White-space companies to list.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Market size (TAM/SAM) by tier and segment, its value, and the white space."""
    from ..market import MarketFilters, market_size

    filters = MarketFilters(where, _split(country), _split(industry), min_employees, max_employees)
    table, summary = market_size(
        universe, _profile(profile), accounts, deals=deals, value=value, filters=filters, top=top
    )
    for warning in summary.get("warnings") or []:
        err.print(f"[bold yellow]warning:[/] {escape(warning)}", markup=True, highlight=False)
    _show("Market by tier and segment", table, summary, as_json)
    if not as_json and summary.get("white_space_top"):
        _show(
            "Top white space (not in the CRM)", pd.DataFrame(summary["white_space_top"]), {}, False
        )


@app.command("funnel")
def funnel_command(
    leads: Annotated[Path, typer.Argument(help="Leads table (stage dates or a status column).")],
    profile: Annotated[Path | None, typer.Option(help="Profile YAML to tier the leads.")] = None,
    accounts: Annotated[
        Path | None, typer.Option(help="Accounts: tier leads by their account_id.")
    ] = None,
    deals: Annotated[Path | None, typer.Option(help="Deals: ACV of won leads by account.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Funnel by fit tier: share of ICP leads, conversion per stage, win rate, cycle, ACV, flags."""
    from ..funnel import funnel_by_tier

    prof = _profile(profile) if profile is not None else None
    table, summary = funnel_by_tier(leads, prof, accounts=accounts, deals=deals)
    if as_json:
        _show("Funnel by tier", table, summary, as_json)
        return
    # Two tables that fit a terminal instead of one of 15 columns folded mid-word; the
    # second leaves out opportunity → won, which is the win rate under another name.
    counts = [
        c for c in ("tier", "leads", "share", "mql", "sql", "opportunity", "won") if c in table
    ]
    rates = ["tier", *(c for c in table if c not in counts and c != "opportunity_to_won")]
    # A measure the data cannot give (cycle days without dates, ACV without deals) is left
    # out rather than shown as an empty column.
    rates = [c for c in rates if c == "tier" or table[c].notna().any()]
    warn_gaps(summary.get("missing_columns"))  # first: it says how far to trust the tiers
    if in_sample := summary.pop("in_sample", None):
        err.print(f"[yellow]IN-SAMPLE:[/] {escape(in_sample)}", markup=True)
    _show("Funnel by tier: leads reaching each stage", table[counts], {}, False)
    shown = ["conversion from stage to stage"]
    shown += ["cycle"] * any("cycle" in str(c) for c in rates)
    shown += ["value"] * any("acv" in str(c) for c in rates)
    title = ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]
    _show(f"Funnel by tier: {title}", table[rates], summary, False)
    for flag in summary["flags"]:
        out.print(f"[yellow]flag:[/] {escape(flag)}", markup=True)


@app.command("committee")
def committee_command(
    contacts: Annotated[Path, typer.Argument(help="Contacts with job titles.")],
    deals: Annotated[
        Path | None, typer.Option(help="Deals: compare won and lost committees.")
    ] = None,
    roles: Annotated[
        Path | None, typer.Option(help="Contact roles on deals (OpportunityContactRole).")
    ] = None,
    accounts: Annotated[
        Path | None, typer.Option(help="Accounts: with --profile, find open ICP accounts.")
    ] = None,
    profile: Annotated[Path | None, typer.Option(help="Profile YAML to tier the accounts.")] = None,
    top: Annotated[int, typer.Option(help="Recommendation rows to print.")] = 30,
    as_json: JsonFlag = False,
) -> None:
    """Buying committee: roles in won vs lost deals (lift), size, and contacts to add."""
    from ..committee import buying_committee, committee_gaps

    prof = _profile(profile) if profile is not None else None
    table, summary = buying_committee(contacts, deals, roles=roles)
    gaps = pd.DataFrame()
    if deals is not None:
        gaps, summary["gaps"] = committee_gaps(
            contacts, deals, roles=roles, accounts=accounts, profile=prof
        )
    if as_json:
        print_json({"summary": summary, "table": _records(table), "gaps": _records(gaps)})
        return
    _show("Buying committee: won vs lost", table, summary, False)
    if not gaps.empty:
        _show("Contacts to add at open ICP accounts", gaps.head(top), {}, False)
