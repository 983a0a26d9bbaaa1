"""Small Arrow helpers shared by the readers: header repair, typed columns, warnings."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

__all__ = [
    "FIRST_LINE_KEY",
    "LINE_MAP_KEY",
    "blank_to_none",
    "columns_to_table",
    "first_line",
    "repair_names",
    "table_meta",
    "table_warnings",
    "with_meta",
    "with_warnings",
]

WARNINGS_KEY = b"icpkit.warnings"
FIRST_LINE_KEY = b"icpkit.first_line"  # file line (sheet row) of the first record
LINE_MAP_KEY = b"icpkit.line_map"  # "scan", or a JSON list of the line of every record


def with_meta(data: pa.Table, items: dict[bytes, str]) -> pa.Table:
    """Attach reader facts (row numbering) to a table's schema metadata."""
    meta = dict(data.schema.metadata or {})
    meta.update({k: v.encode() for k, v in items.items()})
    return data.replace_schema_metadata(meta)


def table_meta(data: pa.Table | pa.RecordBatch, key: bytes) -> str | None:
    raw = (data.schema.metadata or {}).get(key)
    return raw.decode() if raw is not None else None


def repair_names(names: Sequence[Any]) -> tuple[list[str], list[str]]:
    """Blank names -> column_<n>, duplicates -> name_2; returns (names, warnings)."""
    out: list[str] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names):
        # A stray BOM survives when a BOM file is read with an explicit "utf-8".
        name = "" if raw is None else str(raw).replace("\ufeff", "").strip()
        if not name:
            name = f"column_{i + 1}"
            warnings.append(f"column {i + 1} has no header; named it {name!r}")
        if name in seen:
            k = 2
            while f"{name}_{k}" in seen:
                k += 1
            warnings.append(f"duplicate column name {name!r}; renamed the copy to '{name}_{k}'")
            name = f"{name}_{k}"
        seen.add(name)
        out.append(name)
    return out, warnings


def with_warnings(data: pa.Table, warnings: list[str]) -> pa.Table:
    """Attach reader warnings to a table's schema metadata (kept through slicing)."""
    if not warnings:
        return data
    meta = dict(data.schema.metadata or {})
    meta[WARNINGS_KEY] = json.dumps(warnings).encode()
    return data.replace_schema_metadata(meta)


def table_warnings(data: pa.Table | pa.RecordBatch) -> list[str]:
    """Warnings a reader attached to a table (header repairs and the like)."""
    meta = data.schema.metadata or {}
    raw = meta.get(WARNINGS_KEY)
    return list(json.loads(raw)) if raw else []


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def columns_to_table(names: Sequence[Any], rows: Sequence[Sequence[Any]]) -> pa.Table:
    """Rows of Python values -> Arrow, inferring each column's type (mixed -> text)."""
    fixed, warnings = repair_names(names)
    arrays = []
    for j in range(len(fixed)):
        values = [blank_to_none(r[j]) if j < len(r) else None for r in rows]
        arrays.append(infer_array(values))
    return with_warnings(pa.Table.from_arrays(arrays, names=fixed), warnings)


def infer_array(values: list[Any]) -> pa.Array:
    """One Arrow array for Python values; ints mixed with floats -> float, else text."""
    kinds = {type(v) for v in values if v is not None}
    if kinds and kinds <= {int, float, Decimal} and kinds != {int}:
        values = [None if v is None else float(v) for v in values]
    elif kinds == {dt.date, dt.datetime}:  # Excel readers give midnight as a date
        values = [_as_datetime(v) for v in values]
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError, RecursionError):
        return pa.array([None if v is None else _as_text(v) for v in values], type=pa.string())


def _as_datetime(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (RecursionError, ValueError):
            return "(nested too deeply to show)"
    return str(value)
