"""Writing a normalised table: Parquet or CSV, atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..atomic import atomic_path
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


def write_table(table: pa.Table, path: str | os.PathLike[str]) -> Path:
    """Write ``table`` to ``path`` (.parquet or .csv); a failure leaves no partial file."""
    target = Path(path)
    fmt = output_format(target)
    with atomic_path(target) as tmp:
        if fmt == "parquet":
            pq.write_table(table, tmp)
        else:
            pacsv.write_csv(table, tmp)
    return target
