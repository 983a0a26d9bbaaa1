"""Writing a normalised table: Parquet or CSV, atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..atomic import atomic_path
from ..csvsafe import guard_batch
from ..errors import ConfigError

__all__ = ["OUTPUT_FORMATS", "output_format", "write_table"]

OUTPUT_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def output_format(path: str | os.PathLike[str]) -> str:
    """'parquet' or 'csv' for an output path; ConfigError otherwise (checked before work)."""
    target = Path(path)
    fmt = OUTPUT_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"cannot write {target.suffix or 'a file without extension'!r}",
            file=str(target),
            hint=f"Use one of: {', '.join(sorted(OUTPUT_FORMATS))}",
        )
    if target.is_dir():
        raise ConfigError("the output path is a directory", file=str(target))
    return fmt


def write_table(table: pa.Table, path: str | os.PathLike[str], *, raw: bool = False) -> Path:
    """Write ``table`` to ``path`` (.parquet or .csv); a failure leaves no partial file.

    A CSV may be opened in a spreadsheet, so its text cells are formula-safe
    (:mod:`icpkit.csvsafe`) unless ``raw``. Columns CSV cannot hold (lists, structs:
    a nested Parquet input) are written as JSON text."""
    target = Path(path)
    fmt = output_format(target)
    with atomic_path(target) as tmp:
        if fmt == "parquet":
            pq.write_table(table, tmp)
        else:
            flat = flat_for_csv(table)
            pacsv.write_csv(flat if raw else guard_batch(flat), tmp)
    return target


def flat_for_csv(table: pa.Table) -> pa.Table:
    """Nested columns (list, struct, map) as JSON text: CSV has no nested cells."""
    for i, fld in enumerate(table.schema):
        if pa.types.is_nested(fld.type):
            values = [
                None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                for v in table.column(i).to_pylist()
            ]
            table = table.set_column(i, fld.name, pa.array(values, pa.string()))
    return table
