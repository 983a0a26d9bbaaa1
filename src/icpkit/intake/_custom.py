"""Custom attributes: the columns that map to nothing, kept under their own names.

They are typed conservatively (numbers as numbers, true/false as booleans, the
rest as text exactly as exported), placeholders become missing and are counted,
and an input that is already normalised keeps its derived columns as given.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ._recognize import Recognition
from .normalizers import PLACEHOLDERS

__all__ = ["already_normalised", "cast_like", "custom_coercion", "infer_custom"]

_BOOL_WORDS = {"true": True, "false": False}


def _placeholder(text: str) -> bool:
    return text.strip() == "" or text.strip().casefold() in PLACEHOLDERS


def infer_custom(values: pa.ChunkedArray) -> tuple[pa.ChunkedArray, dict[str, int]]:
    """Type a raw text column: numbers as numbers, true/false as bool, else text.

    Placeholders ("NULL", "Select", blanks) become missing and are counted in the
    returned dict, so the report can say what became missing and why. Codes with
    a leading zero ("05021") stay text: they are identifiers, not numbers.
    """
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return values, {}
    stripped = pc.utf8_trim_whitespace(values)
    uniques = pc.unique(stripped).drop_null().to_pylist()
    holders = [u for u in uniques if _placeholder(u)]
    counts: dict[str, int] = {}
    if holders:
        mask = pc.fill_null(pc.is_in(stripped, value_set=pa.array(holders, pa.string())), False)
        for item in pc.value_counts(pc.filter(stripped, mask)).to_pylist():
            counts[item["values"] or "(blank)"] = int(item["counts"])
        values = pc.if_else(mask, pa.scalar(None, values.type), values)
        stripped = pc.if_else(mask, pa.scalar(None, values.type), stripped)
    real = [u for u in uniques if u not in set(holders)]
    if not real:
        return values.cast(pa.string()), counts
    if {u.lower() for u in real} <= set(_BOOL_WORDS):
        return pc.equal(pc.utf8_lower(stripped), "true"), counts
    if any(_leading_zero(u) for u in real):
        return values.cast(pa.string()), counts
    try:
        numbers = stripped.cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return values.cast(pa.string()), counts
    finite = pc.drop_null(numbers)
    if pc.all(pc.equal(pc.floor(finite), finite)).as_py() is not False:
        top = pc.max(pc.abs(finite)).as_py()
        if top is None or top < 2**53:
            return numbers.cast(pa.int64()), counts
    return numbers, counts


def _leading_zero(text: str) -> bool:
    """Codes like '00501' or '05021' are identifiers, not numbers: keep them as text."""
    return len(text) > 1 and text[0] == "0" and text[1].isdigit()


def already_normalised(
    raw: pa.Table,
    rec: Recognition,
    columns: dict[str, pa.Array | pa.ChunkedArray],
    origin: dict[str, str],
    derived: str,
) -> bool:
    """Whether the input's ``derived`` column is an earlier normalisation's output.

    Yes when it equals what normalising derives now, or when it is a column that
    keeps what normalising loses (``*_original``, ``*_currency``) and the main
    column it belongs to came through normalising unchanged.
    """
    source = origin.get(derived)
    canonical = rec.mapping.get(source) if source else None
    if source is None or canonical is None or canonical not in columns:
        return False
    if same_values(columns[derived], raw.column(derived)):
        return True
    keeps_information = derived.endswith(("_original", "_currency"))
    return keeps_information and same_values(columns[canonical], raw.column(source))


def cast_like(given: pa.ChunkedArray, produced: pa.Array | pa.ChunkedArray) -> Any:
    try:
        return given.cast(produced.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return given


def same_values(produced: pa.Array | pa.ChunkedArray, given: pa.ChunkedArray) -> bool:
    """True when an input column equals the column normalising produces (nulls included)."""
    if len(produced) != len(given):
        return False
    try:
        cast = given.cast(produced.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    same = pc.equal(produced, cast)
    both_null = pc.and_(pc.is_null(produced), pc.is_null(cast))
    return bool(pc.all(pc.or_kleene(both_null, pc.fill_null(same, False))).as_py())


def custom_coercion(
    original: str, values: pa.ChunkedArray, holders: dict[str, int], row_offset: int
) -> dict[str, Any]:
    series = values.to_pandas().astype("object")
    texts = series.map(lambda v: None if v is None else str(v).strip())
    keys = {"" if k == "(blank)" else k for k in holders}
    hit = texts.isin(list(keys)).to_numpy()
    return {
        "column": original,
        "canonical": None,
        "missing_before": int(series.isna().sum()),
        "became_missing": int(sum(holders.values())),
        "reasons": {"placeholder for missing": int(sum(holders.values()))},
        "examples": list(holders)[:5],
        "first_row": int(hit.argmax()) + row_offset if hit.any() else None,
        "placeholders": holders,
        "notes": [],
    }
