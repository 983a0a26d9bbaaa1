"""Data quality and decay: fill rates, duplicates, inconsistent values, staleness.

B2B records decay: people change jobs, companies move and merge. The usual rule of
thumb is that about 3% of CRM records go stale every month, so a record last verified
``m`` months ago is stale with probability ``1 - (1 - decay) ** m``. Summing that over
the records gives how many are expected stale today and in 90 days.

This module also holds :func:`read_frame`, the one place the analytics modules turn a
path, an Arrow table or a DataFrame into a pandas DataFrame with canonical columns.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from .errors import ConfigError, ReadError

__all__ = ["read_frame"]

Source = str | os.PathLike[str] | pd.DataFrame | pa.Table


def _read_plain(path: Path) -> pd.DataFrame:
    """Fallback reader when intake is not available: pandas by file suffix."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in {".tsv", ".tab"}:
            return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        if suffix in {".json", ".jsonl", ".ndjson"}:
            return pd.read_json(path, lines=suffix != ".json")
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ReadError(f"cannot read the file: {exc}", file=str(path)) from None


def read_frame(source: Any, kind: str | None = None, *, normalize: bool = True) -> pd.DataFrame:
    """A DataFrame from a path, an Arrow table or a DataFrame.

    Paths go through :func:`icpkit.intake.load` (mapped to canonical names, values
    normalised) when ``normalize`` is true and intake is available; tables given in
    memory are taken as already canonical.
    """
    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, pa.Table):
        return source.to_pandas()
    if not isinstance(source, str | os.PathLike):
        raise ConfigError(
            f"expected a file path, a pandas DataFrame or a pyarrow Table, got {type(source).__name__}"
        )
    path = Path(source)
    if not path.is_file():
        raise ReadError("file not found", file=str(path), hint="Check the path")
    if normalize:
        # Intake is optional here: until it is importable, read the file as it is.
        load = getattr(importlib.import_module("icpkit.intake"), "load", None)
        if load is not None:
            return load(str(path), kind=kind).table.to_pandas()
    return _read_plain(path)
