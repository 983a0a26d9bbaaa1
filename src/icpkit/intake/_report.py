"""The intake report: a plain dict saying what was read, how it was mapped, what changed.

Reports are data (for ``--json``, the workspace and the ICP document); the CLI
renders them. Row numbers are file rows: for CSV and Excel the header is row 1,
so the first data row is row 2; for JSON, Parquet and SQL the first record is 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..schema import TABLES
from ._arrow import FIRST_LINE_KEY, LINE_MAP_KEY, table_meta
from ._readers import record_lines
from ._recognize import SYSTEM_NAMES, Recognition, allowed_columns
from ._sniff import SourceInfo
from ._sql import redact

__all__ = [
    "build_report",
    "duplicate_key_warnings",
    "file_row_offset",
    "key_warnings",
    "row_numbers",
    "unit_warnings",
]

# Money columns whose typical value is this small are probably in thousands or millions.
_SMALL_MONEY = {"annual_revenue": 10_000.0, "funding_total": 10_000.0}


def file_row_offset(info: SourceInfo) -> int:
    """File row number of the first data row, when the reader did not say."""
    return 2 if info.format in ("csv", "tsv", "excel") else 1


def row_numbers(raw: pa.Table, info: SourceInfo) -> Callable[[int], int]:
    """Record index -> file row (line in a CSV/JSONL file, row in an Excel sheet).

    Readers record where data starts and, when records are not one per line
    (blank lines, values spanning lines, skipped blank sheet rows), how to find
    them; CSV line starts are only computed if a row number is actually needed.
    """
    first = int(table_meta(raw, FIRST_LINE_KEY) or file_row_offset(info))
    how = table_meta(raw, LINE_MAP_KEY)
    if how is None:
        return lambda index: index + first
    if how != "scan":
        lines: list[int] = json.loads(how)
        return lambda index: lines[index]
    cache: list[int] = []

    def scanned(index: int) -> int:
        if len(cache) <= index:
            cache[:] = record_lines(info, max(index + 1, len(cache) * 2, 1024))
        return cache[index] if index < len(cache) else index + first

    return scanned


def _type_name(t: pa.DataType) -> str:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "text"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "date"
    return str(t)


def _fill_rate(column: pa.ChunkedArray) -> float:
    n = len(column)
    return round((n - column.null_count) / n, 4) if n else 0.0


def key_warnings(rec: Recognition) -> list[str]:
    """Say so when the table has no key column: joins will fall back to names."""
    key = TABLES[rec.kind].key
    if key in rec.mapped.values():
        return []
    return [
        f"no {key} column was recognised; rows cannot be joined by id"
        f" (map one with --map 'Column={key}')"
    ]


def duplicate_key_warnings(table: pa.Table, key: str) -> list[str]:
    """Say so when one id names several rows, and louder when those rows disagree."""
    if key not in table.column_names or table.num_rows < 2:
        return []
    counts = table.group_by(key).aggregate([([], "count_all")])
    repeated = counts.filter(pc.greater(counts.column("count_all"), 1))
    if repeated.num_rows == 0:
        return []
    keys = repeated.column(key)
    rows = table.filter(pc.is_in(table.column(key), value_set=keys.combine_chunks()))
    frame = rows.to_pandas().astype("string")
    differing = frame.drop_duplicates().groupby(key, dropna=False).size()
    conflicts = differing[differing > 1]
    text = (
        f"{repeated.num_rows:,} {key} value(s) appear on more than one row ({rows.num_rows:,} rows)"
    )
    if len(conflicts):
        text += (
            f"; {len(conflicts):,} of them with different values in other columns"
            f" (first: {str(conflicts.index[0])!r})"
        )
    return [text + ": de-duplicate the export, or map another column as the key"]


def unit_warnings(table: pa.Table, origin: dict[str, str]) -> list[str]:
    """Warn when money looks like it is in thousands or millions (Fortune lists revenue in $M)."""
    warnings = []
    for name, limit in _SMALL_MONEY.items():
        if name not in table.column_names:
            continue
        column = table.column(name)
        if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
            continue
        median = pc.approximate_median(column).as_py()
        if median is not None and 0 < median < limit:
            warnings.append(
                f"{name} (from {origin.get(name, name)!r}) has a median of {median:,.2f}: the"
                " values look like thousands or millions, not units; scale them before"
                " comparing with other sources"
            )
    return warnings


def build_report(
    info: SourceInfo,
    rec: Recognition,
    raw: pa.Table,
    table: pa.Table,
    origin: dict[str, str],
    coercions: list[dict[str, Any]],
    warnings: list[str],
) -> dict[str, Any]:
    """The report of one load (see module docstring for row numbering)."""
    source = info.to_dict()
    source["source"] = redact(str(source["source"]))
    kinds = allowed_columns(rec.kind)
    mapping = []
    outputs: dict[str, list[str]] = {}
    for name, original in origin.items():  # inverted once: per column it was O(n²)
        outputs.setdefault(original, []).append(name)
    for m in rec.matches:
        entry = m.to_dict()
        entry["value_kind"] = kinds.get(m.canonical) if m.canonical else None
        entry["outputs"] = outputs.get(m.original, [])
        entry["raw_type"] = _type_name(raw.schema.field(m.original).type)
        mapping.append(entry)
    columns = [
        {
            "name": name,
            "from": origin.get(name),
            "role": _role(name, origin, rec),
            "type": _type_name(table.schema.field(name).type),
            "fill_rate": _fill_rate(table.column(name)),
        }
        for name in table.column_names
    ]
    return {
        "source": source,
        "system": rec.system,
        "system_name": SYSTEM_NAMES[rec.system],
        "kind": rec.kind,
        "rows": table.num_rows,
        "columns_in": raw.num_columns,
        "columns_out": table.num_columns,
        "mapping": mapping,
        "columns": columns,
        "custom": rec.custom,
        "coercions": [c for c in coercions if c["became_missing"] or c["notes"]],
        "suggestions": dict(rec.suggestions),
        "suggestion_reasons": dict.fromkeys(rec.suggestions, "name is close"),
        "warnings": warnings
        + key_warnings(rec)
        + duplicate_key_warnings(table, TABLES[rec.kind].key)
        + unit_warnings(table, origin),
        "kind_scores": {k: round(v, 2) for k, v in rec.scores.items()},
    }


def _role(name: str, origin: dict[str, str], rec: Recognition) -> str:
    source = origin.get(name)
    canonical = rec.mapping.get(source) if source else None
    if canonical is None:
        return "custom"
    return "canonical" if canonical == name else "derived"
