"""The reference scoring engine: a profile applied to an in-memory table.

Implements the semantics documented in :mod:`icpkit.profile` with array operations
(no per-row Python). Every other engine (SQL, Spark) is tested against this one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import SchemaError, did_you_mean
from .profile import Attribute, Condition, NumericAttribute, Profile

__all__ = ["attribute_points", "condition_mask", "score_table", "to_arrow"]

TIER_NAMES = np.array(["A", "B", "C", "D"], dtype=object)


def to_arrow(data: Any) -> pa.Table:
    """Accept a pyarrow Table/RecordBatch or a pandas DataFrame."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise TypeError(f"expected a pyarrow Table or pandas DataFrame, got {type(data).__name__}")


def _column(table: pa.Table, name: str) -> pa.ChunkedArray:
    if name not in table.column_names:
        raise SchemaError(
            "the profile needs a column the table does not have",
            column=name,
            hint=did_you_mean(name, table.column_names) or "Map or add the column before scoring",
        )
    return table.column(name)


def _as_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Column as text; null or '' both mean missing (returned as null)."""
    if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
        col = pc.cast(col, pa.string())
    return pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)


def _as_float(col: pa.ChunkedArray) -> np.ndarray:
    """Column as float64 with NaN for missing; text that is not a number is missing."""
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        values = pd.to_numeric(col.to_pandas(), errors="coerce")
        return np.asarray(values, dtype=np.float64)
    if pa.types.is_boolean(col.type):
        col = pc.cast(col, pa.int8())
    arr = col.to_numpy(zero_copy_only=False)
    return np.asarray(arr, dtype=np.float64)


def attribute_points(attr: Attribute, table: pa.Table) -> np.ndarray:
    """Points of one attribute for every row (int32)."""
    col = _column(table, attr.name)
    if isinstance(attr, NumericAttribute):
        x = _as_float(col)
        out = np.full(len(x), attr.other_points, dtype=np.int32)
        # Reverse order so the first bin that holds a value wins.
        for b in reversed(attr.bins):
            hold = np.ones(len(x), dtype=bool)
            if b.lower is not None:
                hold &= x >= b.lower
            if b.upper is not None:
                hold &= x < b.upper
            out[hold] = b.points
        out[np.isnan(x)] = attr.missing_points
        return out
    text = _as_text(col)
    values: list[str] = []
    points: list[int] = []
    seen: set[str] = set()
    for cb in attr.bins:
        for v in cb.values:
            if v not in seen:  # first bin that holds a value wins
                seen.add(v)
                values.append(v)
                points.append(cb.points)
    lookup = np.array([*points, attr.other_points, attr.missing_points], dtype=np.int32)
    idx = pc.index_in(text, value_set=pa.array(values, pa.string()))
    idx = pc.fill_null(idx, len(values)).to_numpy(zero_copy_only=False)
    missing = pc.is_null(text).to_numpy(zero_copy_only=False)
    idx = np.where(missing, len(values) + 1, idx)
    return lookup[idx]


def condition_mask(cond: Condition, table: pa.Table) -> np.ndarray:
    """Rows where a rule condition holds (a missing value never holds)."""
    col = _column(table, cond.attribute)
    if cond.is_numeric:
        x = _as_float(col)
        hold = ~np.isnan(x)
        if cond.ge is not None:
            hold &= x >= cond.ge
        if cond.lt is not None:
            hold &= x < cond.lt
        return hold
    text = _as_text(col)
    present = pc.is_valid(text).to_numpy(zero_copy_only=False)
    values = pa.array(cond.in_ if cond.in_ is not None else cond.not_in, pa.string())
    member = pc.fill_null(pc.is_in(text, value_set=values), False).to_numpy(zero_copy_only=False)
    return present & (member if cond.in_ is not None else ~member)


def _rule_mask(conditions: list[Condition], table: pa.Table) -> np.ndarray:
    mask = np.ones(table.num_rows, dtype=bool)
    for c in conditions:
        mask &= condition_mask(c, table)
    return mask


def raw_scores(profile: Profile, table: pa.Table) -> np.ndarray:
    raw = np.full(table.num_rows, profile.intercept, dtype=np.int64)
    for attr in profile.attributes:
        raw += attribute_points(attr, table)
    for seg in profile.segments:
        if seg.points:
            raw += np.where(_rule_mask(seg.conditions, table), seg.points, 0)
    return raw


def score_table(profile: Profile, data: Any) -> pa.Table:
    """``icp_score`` (int 0–100), ``icp_tier`` (A–D) and ``icp_segment`` for every row."""
    table = to_arrow(data)
    score = np.clip(raw_scores(profile, table), 0, 100)
    for dq in profile.disqualifiers:
        score = np.where(_rule_mask(dq.conditions, table), np.minimum(score, dq.cap), score)
    t = profile.tiers
    tier_idx = np.select([score >= t.A, score >= t.B, score >= t.C], [0, 1, 2], default=3)
    segment = np.full(table.num_rows, None, dtype=object)
    for seg in reversed(profile.segments):
        segment[_rule_mask(seg.conditions, table)] = seg.name
    return pa.table(
        {
            "icp_score": pa.array(score.astype(np.int32)),
            "icp_tier": pa.array(TIER_NAMES[tier_idx], pa.string()),
            "icp_segment": pa.array(segment, pa.string()),
        }
    )
