"""CLI commands: synth (write the synthetic B2B world)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ._app import app, out, print_json


def _rows(path: Path) -> int:
    """Data rows in a written file (CSV rows counted by the CSV reader: cells hold newlines)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    if path.suffix == ".csv":
        import pyarrow.csv as pacsv

        return int(pacsv.read_csv(path).num_rows)
    return 0


@app.command("synth")
def synth(
    outdir: Annotated[Path, typer.Argument(help="Folder to write into (created if needed).")],
    accounts: Annotated[int, typer.Option("--accounts", "-n", help="CRM accounts.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 0,
    universe: Annotated[
        int | None, typer.Option(help="Companies in the market universe (default: 10x accounts).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the files as JSON.")] = False,
) -> None:
    """Write a synthetic B2B world (CRM exports with planted ICP segments) and its truth.json."""
    from ..synth import generate

    paths = generate(outdir, n_accounts=accounts, seed=seed, n_universe=universe)
    files = {name: {"path": str(p), "rows": _rows(p)} for name, p in paths.items()}
    if as_json:
        print_json({"files": files, "truth": str(paths["truth.json"])})
        return
    table = Table(title=f"Synthetic world in {outdir}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, info in files.items():
        if name != "truth.json":
            table.add_row(name, f"{info['rows']:,}")
    out.print(table)
    out.print(f"Planted truth: {paths['truth.json']}")
