"""Recognise rows a profile was learned from, so a backtest on them is not sold as a test.

A profile's fingerprint keeps a *bottom-k sketch* of its training rows: the ``k`` smallest
64-bit hashes of the rows' values (attribute and outcome columns), plus the largest of
them as a threshold. Any later table is hashed the same way; among its rows whose hash is
at most the threshold (a uniform sample of its rows), the share found in the sketch
estimates the share of its rows that were in the training data — exact when the training
data had at most ``k`` distinct rows. A few KB of YAML, no data kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["SKETCH_SIZE", "overlap", "row_hashes", "row_sketch"]

SKETCH_SIZE = 256
_NA = "\x00<NA>"


def _canonical(col: pa.ChunkedArray) -> pd.Series:
    """Values as numbers when they are numbers (int 3 == float 3.0), else as text."""
    t = col.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        return pd.Series(col.to_numpy(zero_copy_only=False), dtype="float64")
    values = col.to_pandas()
    return values.astype(str).where(values.notna(), _NA).astype(object)


def row_hashes(table: pa.Table, columns: Sequence[str]) -> np.ndarray:
    """One 64-bit hash per row over ``columns`` (sorted by name, so their order is moot)."""
    cols = sorted(columns)
    if not cols or table.num_rows == 0:
        return np.zeros(0, dtype=np.uint64)
    # Positional names: the hash depends on the values only, not on the column names.
    frame = pd.DataFrame({str(i): _canonical(table.column(c)) for i, c in enumerate(cols)})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)


def row_sketch(table: pa.Table, columns: Sequence[str], k: int = SKETCH_SIZE) -> dict[str, Any]:
    """The bottom-k sketch of ``table``'s rows (JSON/YAML-ready)."""
    unique = np.unique(row_hashes(table, columns))
    kept = unique[:k]
    return {
        "columns": sorted(columns),
        "hashes": [format(int(h), "016x") for h in kept],
        "threshold": None if len(unique) <= k else format(int(kept[-1]), "016x"),
    }


def overlap(sketch: dict[str, Any] | None, table: pa.Table) -> dict[str, Any] | None:
    """Estimated share of ``table``'s rows that the sketched training data held.

    None when the profile has no sketch or the table lacks a sketched column.
    """
    if not sketch or not sketch.get("hashes"):
        return None
    columns = list(sketch.get("columns") or [])
    if not columns or any(c not in table.column_names for c in columns):
        return None
    stored = np.array([int(h, 16) for h in sketch["hashes"]], dtype=np.uint64)
    hashes = row_hashes(table, columns)
    if sketch.get("threshold") is not None:
        hashes = hashes[hashes <= np.uint64(int(sketch["threshold"], 16))]
    if len(hashes) == 0:
        return {"share": 0.0, "sampled_rows": 0, "matched_rows": 0, "exact": False}
    matched = int(np.isin(hashes, stored).sum())
    return {
        "share": round(matched / len(hashes), 4),
        "sampled_rows": len(hashes),
        "matched_rows": matched,
        "exact": sketch.get("threshold") is None,
    }
