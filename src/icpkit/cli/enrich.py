"""CLI commands: enrich (fill CRM gaps from a company universe) and lookalike.

Thin: parse the options, call :func:`icpkit.enrich.enrich` / :func:`icpkit.lookalike.lookalikes`,
print the report (or ``--json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from ..errors import ConfigError
from ._app import app, out, print_json
from .analytics import _records, _show

JsonFlag = Annotated[bool, typer.Option("--json", help="Print plain JSON instead of tables.")]


def _fields(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [f.strip() for f in text.split(",") if f.strip()]
    if not names:
        raise ConfigError("--fields is empty", hint="Example: --fields industry,employees")
    return names


@app.command("enrich")
def enrich_command(
    accounts: Annotated[Path, typer.Argument(help="CRM accounts (CSV, Parquet, Excel, ...).")],
    universe: Annotated[Path, typer.Option(help="Company universe to fill from.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Enriched accounts: .csv or .parquet.")
    ] = None,
    fields: Annotated[
        str | None,
        typer.Option(help="Fields to fill, comma-separated (default: every firmographic one)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace CRM values that differ (default: keep).")
    ] = False,
    threshold: Annotated[
        float, typer.Option(help="Lowest name similarity (0-100) accepted as a match.")
    ] = 85.0,
    as_json: JsonFlag = False,
) -> None:
    """Fill missing account fields from a company universe: by domain, then by name."""
    from ..enrich import enrich, write_enriched

    result = enrich(
        accounts, universe, fields=_fields(fields), overwrite=overwrite, threshold=threshold
    )
    if output is not None:
        write_enriched(result, output)
    summary: dict[str, Any] = {**result.summary, "output": None if output is None else str(output)}
    if as_json:
        summary["ambiguous_accounts"] = _records(result.ambiguous.head(200))
        summary["conflict_list"] = _records(result.conflicts.head(200))
        print_json(summary)
        return
    summary.pop("fields")
    _show("Fill rate before → after", result.fill, summary, False)
    if len(result.ambiguous):
        out.print(f"{len(result.ambiguous):,} ambiguous accounts (not used; --json lists them)")
    if output is None:
        out.print("Nothing written: give -o FILE to save the enriched accounts.")


@app.command("lookalike")
def lookalike_command(
    universe: Annotated[Path, typer.Option(help="Companies to search (a universe file).")],
    profile: Annotated[Path, typer.Option(help="Profile YAML: its bins define 'similar'.")],
    seeds: Annotated[
        Path | None, typer.Option(help="Seed accounts (your best customers) to find more like.")
    ] = None,
    best: Annotated[
        int | None,
        typer.Option(help="Use the N best-scoring --exclude-crm accounts as the seeds instead."),
    ] = None,
    k: Annotated[int, typer.Option("--k", help="How many lookalikes to return.")] = 500,
    exclude_crm: Annotated[
        Path | None, typer.Option(help="CRM accounts: leave companies you already know out.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the lookalikes (.csv/.parquet).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The companies most like your best accounts, in what predicts success (the profile's bins)."""
    from ..intake import write_table
    from ..lookalike import lookalikes

    if (seeds is None) == (best is None):
        raise ConfigError("give exactly one of --seeds FILE or --best N")
    if best is not None and exclude_crm is None:
        raise ConfigError("--best N picks seeds from --exclude-crm ACCOUNTS: give that file too")
    from ..profile import load_profile

    table, summary = lookalikes(
        universe, load_profile(profile), seeds=seeds, best=best, k=k, crm=exclude_crm
    )
    if output is not None:
        import pyarrow as pa

        write_table(pa.Table.from_pandas(table, preserve_index=False), output)
        summary["output"] = str(output)
    shown = table.drop(columns=[c for c in table.columns if c.startswith("_")], errors="ignore")
    _show("Lookalikes", shown if as_json else _compact(shown), summary, as_json)


def _compact(table: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ("name", "domain", "similarity", "icp_score", "icp_tier",
                        "nearest_seeds", "shared_traits") if c in table.columns]  # fmt: skip
    return table[cols]
