"""What every normaliser shares: the result type, placeholders, and the unique-value map.

Normalisers parse one value at a time in plain Python, which is clear and easy to
test; speed comes from parsing each *distinct* value once and mapping the results
back onto the rows (CRM columns have few distinct values: a million rows of
"51-200" cost one parse). Columns where nearly every value differs (ids, names,
websites, amounts) get vectorised fast paths for their clean shapes (_fast.py);
the parsers still decide every value the fast paths cannot prove they handle alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "PLACEHOLDERS",
    "Mapped",
    "Normalized",
    "Parsed",
    "is_missing",
    "is_placeholder",
    "map_unique",
]

#: Values that mean "empty" for every kind. Compared case-insensitively after
#: stripping. "Select" is what web forms store when a drop-down was never answered.
#: "NA" is deliberately absent: it is Namibia's country code.
PLACEHOLDERS = frozenset(
    {
        "null",
        "none",
        "(none)",
        "nil",
        "n/a",
        "n.a.",
        "#n/a",
        "nan",
        "-",
        "--",
        "---",
        "?",
        "select",
        "unknown",
        "(unknown)",
        "(blank)",
        "not available",
        "not specified",
        "not provided",
    }
)

#: One parse result: the output values (one per output column) and a problem or None.
Parsed = tuple[tuple[Any, ...], str | None]


@dataclass
class Normalized:
    """The result of normalising one column.

    ``columns`` maps output column name to values (the first is the main column);
    ``problems`` holds, per row, None when the value was fine or missing, else a
    short reason why it became missing. ``placeholders`` counts the values that
    meant "empty" ("Select": 412); ``notes`` says in words what was decided for the
    whole column (placeholders, day-first dates, fuzzy country matches).
    """

    columns: dict[str, pd.Series]
    problems: pd.Series
    placeholders: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def main(self) -> pd.Series:
        """The main output column."""
        return next(iter(self.columns.values()))

    def problem_counts(self) -> dict[str, int]:
        """How many rows became missing, by reason (most frequent first)."""
        counts = self.problems.dropna().value_counts()
        return {str(k): int(v) for k, v in counts.items()}

    def summary(self) -> dict[str, Any]:
        """The coercion summary as a plain dict (for reports and JSON)."""
        return {
            "rows": len(self.problems),
            "missing": int(self.main.isna().sum()),
            "problems": self.problem_counts(),
            "placeholders": dict(self.placeholders),
            "notes": list(self.notes),
        }


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA (not for placeholder strings)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, np.floating | np.datetime64) and bool(pd.isna(value))


_SPACES = re.compile(r"\s+")


def clean_text(value: Any) -> str:
    """str(value), stripped, inner whitespace (incl. non-breaking) collapsed to one space."""
    return _SPACES.sub(" ", str(value)).strip()


def is_placeholder(text: str) -> bool:
    """True when a stripped text means "empty" (including the empty string)."""
    return text == "" or text.casefold() in PLACEHOLDERS


@dataclass
class Mapped:
    """Parse results per distinct value, and the row → distinct-value codes.

    ``codes`` index ``outputs[j]`` and ``problems``; their last slot (code ``n``)
    is the all-missing result used for missing rows. Typed columns are built on
    the few distinct values, then taken by code: cheap for a million rows.
    """

    codes: np.ndarray
    outputs: list[np.ndarray]
    problems: np.ndarray
    placeholders: dict[str, int]
    index: pd.Index
    #: Which distinct values (and the final missing slot) the fast path answered.
    handled: np.ndarray | None = None

    def floats(self, j: int = 0) -> pd.Series:
        column = np.array([np.nan if v is None else float(v) for v in self.outputs[j]])
        return pd.Series(column[self.codes], index=self.index, dtype="float64")

    def typed(self, j: int, dtype: Any) -> pd.Series:
        """A pandas extension dtype ("str", "boolean", "Int64", ...) taken by code."""
        column = pd.array(self.outputs[j], dtype=dtype)
        return pd.Series(column.take(self.codes), index=self.index)

    def problem_series(self) -> pd.Series:
        column = np.asarray(self.problems, dtype=object)[self.codes]
        return pd.Series(column, index=self.index, dtype=object)


#: A fast path: distinct string values → (handled mask, output arrays for the handled).
FastPath = Callable[[pa.Array], tuple[np.ndarray, list[np.ndarray]]]


def map_unique(
    values: pd.Series,
    parse: Callable[[Any], Parsed],
    n_outputs: int,
    *,
    text_only: bool = True,
    collapse: bool = True,
    fast: FastPath | None = None,
) -> Mapped:
    """Parse each distinct value once; the result maps back onto the rows by code.

    ``parse`` receives a stripped ``str`` with inner whitespace collapsed (only
    stripped when ``collapse`` is False), or, when ``text_only`` is False, the raw
    non-missing value when it is not a string. Missing values and placeholders give
    missing outputs and no problem; placeholders are counted. ``fast`` (see _fast.py)
    gives the results of the distinct values whose shape it can prove it handles
    exactly like ``parse``; only the others are parsed one by one.
    """
    if fast is not None and FAST and (rows := distinct_rows(values)) is not None:
        return _map_rows(values, rows, parse, n_outputs, text_only, collapse, fast)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    strings = as_strings(uniques) if fast is not None and FAST and len(uniques) else None
    fast_result = fast(strings) if fast is not None and strings is not None else None
    codes, outputs, problems, placeholders, handled = _map_codes(
        codes, uniques, parse, n_outputs, text_only, collapse, fast_result
    )
    return Mapped(codes, outputs, problems, placeholders, values.index, handled)


def _map_codes(
    codes: np.ndarray,
    uniques: Any,
    parse: Callable[[Any], Parsed],
    n_outputs: int,
    text_only: bool,
    collapse: bool,
    fast_result: tuple[np.ndarray, list[np.ndarray]] | None,
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, dict[str, int], np.ndarray | None]:
    """map_unique on factorised values, with the fast path's answers (if any) filled in."""
    n = len(uniques)
    outputs = [np.full(n + 1, None, dtype=object) for _ in range(n_outputs)]
    problems = np.full(n + 1, None, dtype=object)
    placeholder_codes: dict[int, str] = {}
    todo: Any = range(n)
    fast_handled = None
    if fast_result is not None:
        handled, results = fast_result
        for j in range(n_outputs):
            outputs[j][:n][handled] = results[j]
        todo = np.flatnonzero(~handled)
        uniques = uniques.take(todo)
        fast_handled = np.append(handled, False)
    for i, raw in zip(todo, uniques, strict=True):
        if is_missing(raw):
            continue
        arg: Any = raw
        if isinstance(raw, str) or text_only:
            text = clean_text(raw)
            if is_placeholder(text):
                if text:
                    placeholder_codes[i] = text
                continue
            arg = text if collapse else str(raw).strip()
        result, problem = parse(arg)
        for j in range(n_outputs):
            outputs[j][i] = result[j]
        problems[i] = problem
    placeholders: dict[str, int] = {}
    if placeholder_codes:
        counts = np.bincount(codes[codes >= 0], minlength=n)
        for i, text in placeholder_codes.items():
            placeholders[text] = placeholders.get(text, 0) + int(counts[i])
    codes = np.where(codes < 0, n, codes)  # missing rows take the last, all-missing slot
    return codes, outputs, problems, placeholders, fast_handled


#: Below this many rows, and when fewer of the first rows differ, factorising first wins.
ROW_WISE_MIN = 1000


def distinct_rows(values: pd.Series) -> pa.Array | None:
    """The rows as one pyarrow string array when nearly all the first rows differ
    (ids, names, websites, amounts, timestamps); None for a column of few values."""
    if not isinstance(values.dtype, pd.StringDtype) or len(values) < ROW_WISE_MIN:
        return None
    try:
        array = pa.chunked_array(pa.array(values.array, from_pandas=True)).combine_chunks()
    except (pa.ArrowException, UnicodeError):  # pragma: no cover - str columns are valid text
        return None
    head = array.slice(0, ROW_WISE_MIN).drop_null()
    if pc.count_distinct(head).as_py() < 0.9 * len(head):
        return None
    return array.cast(pa.large_string())


def _map_rows(
    values: pd.Series,
    rows: pa.Array,
    parse: Callable[[Any], Parsed],
    n_outputs: int,
    text_only: bool,
    collapse: bool,
    fast: FastPath,
) -> Mapped:
    """map_unique for a column of mostly distinct values: the fast path runs on the
    rows (no factorising); each answered row is its own code, and only the other
    rows are factorised and parsed."""
    present = ~np.asarray(rows.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    where = np.flatnonzero(present)
    ok, results = fast(rows.filter(pa.array(present)))
    handled = np.zeros(len(rows), dtype=bool)
    handled[where[ok]] = True
    rest = present & ~handled
    rest_codes, rest_uniques = pd.factorize(values[rest], use_na_sentinel=True)
    codes_r, outputs_r, problems_r, placeholders, _ = _map_codes(
        rest_codes, rest_uniques, parse, n_outputs, text_only, collapse, None
    )
    n_handled, n_rest = int(handled.sum()), len(rest_uniques)
    codes = np.full(len(rows), n_handled + n_rest, dtype=np.intp)
    codes[handled] = np.arange(n_handled)
    codes[rest] = n_handled + codes_r
    outputs = [np.concatenate([results[j], outputs_r[j]]) for j in range(n_outputs)]
    problems = np.concatenate([np.full(n_handled, None, dtype=object), problems_r])
    fast_handled = np.concatenate([np.ones(n_handled, bool), np.zeros(n_rest + 1, bool)])
    return Mapped(codes, outputs, problems, placeholders, values.index, fast_handled)


#: Use the vectorised fast paths (tests switch them off to compare with the parsers).
FAST = True


def as_strings(uniques: Any) -> pa.Array | None:
    """The distinct values as a pyarrow string array, or None when they are not all text."""
    dtype = getattr(uniques, "dtype", None)
    if not isinstance(dtype, pd.StringDtype) and not (
        dtype is not None
        and dtype.kind == "O"
        and pd.api.types.infer_dtype(uniques, skipna=False) == "string"
    ):
        return None
    try:
        if isinstance(dtype, pd.StringDtype):  # zero-copy when Arrow-backed
            return pa.array(uniques, from_pandas=True).cast(pa.large_string())
        return pa.array(np.asarray(uniques, dtype=object), type=pa.large_string(), from_pandas=True)
    except (pa.ArrowException, UnicodeError):  # lone surrogates and the like
        return None


def placeholder_notes(placeholders: dict[str, int]) -> list[str]:
    """'412 values 'Select' treated as missing' for each placeholder seen."""
    return [
        f"{count} value{'s' if count != 1 else ''} {text!r} treated as missing"
        for text, count in sorted(placeholders.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
