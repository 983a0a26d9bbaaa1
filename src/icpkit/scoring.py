"""The reference scoring engine: a profile applied to an in-memory table.

Implements the semantics documented in :mod:`icpkit.profile` with array operations (no
per-row Python); every other engine (SQL, Spark) is tested against this one.

How it is fast: each numeric attribute is cut into contiguous pieces at its bin edges, so
its points are ``points[0] + sum(step_j * (x >= edge_j))`` — a few compare-and-add passes
over the column in its own dtype (float32 stays float32: edges are rounded *up* to the next
float32, which keeps ``x >= edge`` exact). Categorical attributes are one hash lookup over
the values (or over the dictionary of a dictionary-encoded column). Rows are processed in
cache-sized chunks, on a small thread pool (NumPy releases the GIL).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import SchemaError, did_you_mean
from .profile import Attribute, CategoricalAttribute, Condition, NumericAttribute, Profile

__all__ = [
    "NUMBER_PATTERN",
    "SCORE_COLUMNS",
    "Pieces",
    "attribute_points",
    "condition_mask",
    "contributions",
    "numeric_pieces",
    "raw_scores",
    "read_number",
    "read_text",
    "reasons",
    "score_table",
    "to_arrow",
]

SCORE_COLUMNS = ("icp_score", "icp_tier", "icp_segment")

# Text read as a number: a plain decimal (optional exponent) or inf/infinity, with optional
# whitespace around it (space, tab, line breaks, vertical tab, form feed: what C's isspace and
# the DuckDB, PostgreSQL and Spark casts skip); the texts 'true'/'false' read as 1/0 like
# boolean columns; any other text is missing. Every engine uses this one pattern (RE2, POSIX
# and Java regex read it the same way).
SPACES = " \t\n\x0b\x0c\r"
NUMBER_PATTERN = r"^[ \t\n\x0b\f\r]*[+-]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[iI][nN][fF]([iI][nN][iI][tT][yY])?)[ \t\n\x0b\f\r]*$"

_CHUNK = 262_144  # rows per chunk: a dozen float32 columns of a chunk stay in L2/L3
_PARALLEL_MIN_ROWS = 2_000_000


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


def _flat(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col


# --- reading values ---------------------------------------------------------------------


def read_text(col: pa.ChunkedArray | pa.Array, name: str = "") -> pa.Array:
    """Values as text; null, NaN and '' are missing (null). Booleans read 'true'/'false'."""
    arr = _flat(col)
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.cast(t.value_type)
        t = arr.type
    if pa.types.is_boolean(t):
        arr = pc.if_else(arr, "true", "false")
    elif pa.types.is_floating(t):
        arr = pc.if_else(pc.is_nan(arr), None, arr.cast(pa.float64())).cast(pa.string())
    elif pa.types.is_large_string(t) or not pa.types.is_string(t):
        arr = arr.cast(pa.string())
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _parse_numbers(arr: pa.Array) -> np.ndarray:
    """Text → float64 by NUMBER_PATTERN ('true'/'false' → 1/0); anything else is NaN."""
    if pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    ok = pc.fill_null(pc.match_substring_regex(arr, NUMBER_PATTERN), False)
    text = pc.if_else(ok, pc.utf8_trim(arr, SPACES), pa.scalar(None, pa.string()))
    values = pc.cast(text, pa.float64())
    values = pc.if_else(pc.equal(arr, "true"), 1.0, values)
    values = pc.if_else(pc.equal(arr, "false"), 0.0, values)
    return np.asarray(pc.fill_null(values, np.nan).to_numpy(zero_copy_only=False))


def read_number(col: pa.ChunkedArray | pa.Array, name: str = "") -> np.ndarray:
    """Values as float32/float64 with NaN for missing (float32 kept: it compares exactly)."""
    arr = _flat(col)
    t = arr.type
    if pa.types.is_dictionary(t):
        values = read_number(arr.dictionary, name)
        idx = pc.fill_null(arr.indices, len(values)).to_numpy(zero_copy_only=False)
        return np.asarray(np.append(values, np.nan)[idx])
    if pa.types.is_float32(t) or pa.types.is_float64(t):
        if arr.null_count:
            arr = pc.fill_null(arr, np.nan)
        return np.asarray(arr.to_numpy(zero_copy_only=False))
    if pa.types.is_float16(t):
        return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.float32)
    if pa.types.is_integer(t) or pa.types.is_decimal(t) or pa.types.is_boolean(t):
        arr = arr.cast(pa.float64())
        return np.asarray(pc.fill_null(arr, np.nan).to_numpy(zero_copy_only=False))
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return _parse_numbers(arr if pa.types.is_string(t) else arr.cast(pa.string()))
    if pa.types.is_null(t):
        return np.full(len(arr), np.nan)
    raise SchemaError(
        f"a numeric attribute needs numbers, but the column holds {t}",
        column=name or None,
        hint="Convert the column to a number, or make the attribute categorical",
    )


def _edge(value: float, dtype: np.dtype[Any]) -> np.floating[Any]:
    """The edge in the column's dtype, rounded up, so ``x >= edge`` keeps its exact meaning."""
    if dtype == np.float64:
        return np.float64(value)
    with np.errstate(over="ignore"):
        e = np.float32(value)
    if float(e) < value:
        e = np.nextafter(e, np.float32(np.inf))
    return e


# --- numeric bins as contiguous pieces -----------------------------------------------------


@dataclass(frozen=True)
class Pieces:
    """The number line cut at every bin edge: piece ``i`` is ``edges[i-1] <= x < edges[i]``.

    ``points[i]`` and ``bins[i]`` (index of the first bin holding the piece, -1 for none)
    have one entry more than ``edges``.
    """

    edges: tuple[float, ...]
    points: tuple[int, ...]
    bins: tuple[int, ...]

    def merged(self) -> Pieces:
        """Adjacent pieces with equal points joined (what scoring needs)."""
        edges: list[float] = []
        points = [self.points[0]]
        bins = [self.bins[0]]
        for edge, pts, b in zip(self.edges, self.points[1:], self.bins[1:], strict=True):
            if pts != points[-1]:
                edges.append(edge)
                points.append(pts)
                bins.append(b)
        return Pieces(tuple(edges), tuple(points), tuple(bins))


def numeric_pieces(attr: NumericAttribute) -> Pieces:
    """Cut the number line at every bin edge; each piece takes its first holding bin."""
    cuts = sorted({e for b in attr.bins for e in (b.lower, b.upper) if e is not None})
    points: list[int] = []
    bins: list[int] = []
    for i in range(len(cuts) + 1):
        lo = cuts[i - 1] if i > 0 else None
        hi = cuts[i] if i < len(cuts) else None
        found = -1
        for j, b in enumerate(attr.bins):
            if (b.lower is None or (lo is not None and lo >= b.lower)) and (
                b.upper is None or (hi is not None and hi <= b.upper)
            ):
                found = j
                break
        bins.append(found)
        points.append(attr.bins[found].points if found >= 0 else attr.other_points)
    return Pieces(tuple(cuts), tuple(points), tuple(bins))


def _category_lookup(attr: CategoricalAttribute) -> tuple[list[str], list[int]]:
    """Each value once, with the index of the first bin that lists it."""
    values: list[str] = []
    bins: list[int] = []
    seen: set[str] = set()
    for j, cb in enumerate(attr.bins):
        for v in cb.values:
            if v not in seen:
                seen.add(v)
                values.append(v)
                bins.append(j)
    return values, bins


def _category_codes(attr: CategoricalAttribute, col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Per row: position in the profile's values, V for other, V+1 for missing (int32)."""
    values, _ = _category_lookup(attr)
    other, missing = len(values), len(values) + 1
    arr = _flat(col)
    if pa.types.is_dictionary(arr.type):
        # Look up each distinct value once, then gather by the dictionary indices.
        per_value = _category_codes(attr, arr.dictionary)
        idx = pc.fill_null(arr.indices, len(per_value)).to_numpy(zero_copy_only=False)
        return np.asarray(np.append(per_value, missing).astype(np.int32)[idx])
    text = read_text(arr)
    pos = pc.fill_null(pc.index_in(text, value_set=pa.array(values, pa.string())), other)
    out = pos.to_numpy(zero_copy_only=False).astype(np.int32)
    out[pc.is_null(text).to_numpy(zero_copy_only=False)] = missing
    return out


def _category_index(attr: CategoricalAttribute, col: pa.ChunkedArray) -> np.ndarray:
    """Per row: bin index, or len(bins) for other, len(bins)+1 for missing (int32)."""
    _, bins = _category_lookup(attr)
    lut = np.array([*bins, len(attr.bins), len(attr.bins) + 1], dtype=np.int32)
    return np.asarray(lut[_category_codes(attr, col)])


def _category_points(attr: CategoricalAttribute) -> np.ndarray:
    return np.array([*(b.points for b in attr.bins), attr.other_points, attr.missing_points])


# --- the engine ------------------------------------------------------------------------------


class _Columns:
    """Parsed columns of one table, each read once however many rules use it."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self._num: dict[str, np.ndarray] = {}
        self._text: dict[str, pa.Array] = {}

    def number(self, name: str) -> np.ndarray:
        if name not in self._num:
            self._num[name] = read_number(_column(self.table, name), name)
        return self._num[name]

    def text(self, name: str) -> pa.Array:
        if name not in self._text:
            self._text[name] = read_text(_column(self.table, name), name)
        return self._text[name]


def _numeric_index(attr: NumericAttribute, x: np.ndarray) -> np.ndarray:
    """Per row: piece index (unmerged), or len(pieces) for missing (int32)."""
    pieces = numeric_pieces(attr)
    idx = np.zeros(len(x), dtype=np.int32)
    for e in pieces.edges:
        idx += x >= _edge(e, x.dtype)
    idx[np.isnan(x)] = len(pieces.points)
    return idx


def attribute_points(attr: Attribute, table: pa.Table) -> np.ndarray:
    """Points of one attribute for every row (int32)."""
    col = _column(table, attr.name)
    if isinstance(attr, NumericAttribute):
        pieces = numeric_pieces(attr)
        lut = np.array([*pieces.points, attr.missing_points], dtype=np.int32)
        return np.asarray(lut[_numeric_index(attr, read_number(col, attr.name))])
    return np.asarray(_category_points(attr).astype(np.int32)[_category_index(attr, col)])


def _condition(cond: Condition, cols: _Columns) -> np.ndarray:
    if cond.is_numeric:
        x = cols.number(cond.attribute)
        hold = ~np.isnan(x)
        if cond.ge is not None:
            hold &= x >= _edge(cond.ge, x.dtype)
        if cond.lt is not None:
            hold &= x < _edge(cond.lt, x.dtype)
        return hold
    text = cols.text(cond.attribute)
    present = pc.is_valid(text).to_numpy(zero_copy_only=False)
    values = pa.array(cond.in_ if cond.in_ is not None else cond.not_in, pa.string())
    member = pc.fill_null(pc.is_in(text, value_set=values), False).to_numpy(zero_copy_only=False)
    return np.asarray(present & (member if cond.in_ is not None else ~member))


def condition_mask(cond: Condition, table: pa.Table) -> np.ndarray:
    """Rows where a rule condition holds (a missing value never holds)."""
    return _condition(cond, _Columns(table))


def _rule(conditions: Sequence[Condition], cols: _Columns) -> np.ndarray:
    mask = np.ones(cols.table.num_rows, dtype=bool)
    for c in conditions:
        mask &= _condition(c, cols)
    return mask


@dataclass
class _NumericTerm:
    x: np.ndarray
    edges: list[np.floating[Any]]
    steps: list[int]  # points[j+1] - points[j]
    base: int
    missing_step: int  # missing_points - base


# Per-row codes and the points of each code (None: the array already holds points).
_Lookup = tuple[np.ndarray, np.ndarray | None]


def _category_plan(attr: CategoricalAttribute, col: pa.ChunkedArray, dtype: type) -> _Lookup:
    """Codes per row and points per code, gathered chunk by chunk while in cache."""
    _, bins = _category_lookup(attr)
    per_code: np.ndarray = np.array(
        [*(attr.bins[b].points for b in bins), attr.other_points, attr.missing_points], dtype=dtype
    )
    arr = _flat(col)
    if pa.types.is_dictionary(arr.type) and arr.null_count == 0:
        # The dictionary's own indices are the codes: no pass over the rows at all.
        per_entry = per_code[_category_codes(attr, arr.dictionary)]
        return np.asarray(arr.indices.to_numpy(zero_copy_only=False)), per_entry
    return _category_codes(attr, arr), per_code


def _plan(
    profile: Profile, cols: _Columns, dtype: type
) -> tuple[list[_NumericTerm], list[_Lookup]]:
    """Numeric terms and lookups (categorical codes, segment points), scored chunk by chunk."""
    numeric: list[_NumericTerm] = []
    arrays: list[_Lookup] = []
    for attr in profile.attributes:
        if isinstance(attr, NumericAttribute):
            x = cols.number(attr.name)
            p = numeric_pieces(attr).merged()
            steps = [b - a for a, b in zip(p.points, p.points[1:], strict=False)]
            edges = [_edge(e, x.dtype) for e in p.edges]
            numeric.append(
                _NumericTerm(x, edges, steps, p.points[0], attr.missing_points - p.points[0])
            )
        else:
            arrays.append(_category_plan(attr, _column(cols.table, attr.name), dtype))
    for seg in profile.segments:
        if seg.points:
            arrays.append(
                (np.where(_rule(seg.conditions, cols), dtype(seg.points), dtype(0)), None)
            )
    return numeric, arrays


@dataclass
class _Scored:
    clipped: np.ndarray  # intercept + points, clipped to 0..100, before disqualifier caps
    score: np.ndarray  # int32, after caps
    tier: np.ndarray  # uint8 letters b'A'..b'D'


def _run(profile: Profile, cols: _Columns, caps: np.ndarray | None, threads: int) -> _Scored:
    """One fused pass per chunk: points, clip, caps, tier — all while the chunk is in cache."""
    dtype = _acc_dtype(profile)
    numeric, arrays = _plan(profile, cols, dtype)
    n = cols.table.num_rows
    acc: np.ndarray = np.empty(n, dtype=dtype)
    score = np.empty(n, dtype=np.int32)
    tier = np.empty(n, dtype=np.uint8)
    t = profile.tiers
    letters = np.frombuffer(b"DCBA", dtype=np.uint8)
    tier_of = letters[np.searchsorted([t.C, t.B, t.A], np.arange(101), side="right")]
    base = profile.intercept + sum(term.base for term in numeric)

    def chunk(start: int) -> None:
        stop = min(start + _CHUNK, n)
        a = acc[start:stop]
        a.fill(base)
        hit = np.empty(stop - start, dtype=bool)
        add: np.ndarray = np.empty(stop - start, dtype=dtype)
        for term in numeric:
            xs = term.x[start:stop]
            for e, step in zip(term.edges, term.steps, strict=True):
                np.greater_equal(xs, e, out=hit)
                np.multiply(hit, dtype(step), out=add)
                a += add
            if term.missing_step:  # NaN fails every `>=`, so it sits at base; move it
                np.isnan(xs, out=hit)
                np.multiply(hit, dtype(term.missing_step), out=add)
                a += add
        for codes, lut in arrays:
            a += codes[start:stop] if lut is None else lut[codes[start:stop]]
        np.clip(a, 0, 100, out=a)
        s = score[start:stop]
        if caps is None:
            s[:] = a
        else:
            np.minimum(a, caps[start:stop], out=s)
        np.take(tier_of, s, out=tier[start:stop])

    starts = range(0, n, _CHUNK)
    if threads > 1 and n >= _PARALLEL_MIN_ROWS:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(chunk, starts))
    else:
        for st in starts:
            chunk(st)
    return _Scored(acc, score, tier)


def _acc_dtype(profile: Profile) -> type:
    bound = abs(profile.intercept) + sum(abs(s.points) for s in profile.segments)
    for attr in profile.attributes:
        bound += max(
            abs(p) for p in [attr.missing_points, attr.other_points, *(b.points for b in attr.bins)]
        )
    return np.int16 if bound < 30_000 else np.int64


def _threads(threads: int | None) -> int:
    return max(1, min(4, os.cpu_count() or 1)) if threads is None else max(1, threads)


def raw_scores(profile: Profile, table: pa.Table) -> np.ndarray:
    """Intercept + attribute points + segment points, before clipping and caps (int64)."""
    cols = _Columns(table)
    numeric, arrays = _plan(profile, cols, np.int64)
    raw = np.full(table.num_rows, profile.intercept, dtype=np.int64)
    for term in numeric:
        raw += term.base + term.missing_step * np.isnan(term.x)
        for e, step in zip(term.edges, term.steps, strict=True):
            raw += step * (term.x >= e)
    for codes, lut in arrays:
        raw += codes if lut is None else lut[codes]
    return raw


_OFFSETS: dict[int, pa.Buffer] = {}  # 0, 1, 2, ... n: shared by every tier column of n rows


def _letters(tier: np.ndarray) -> pa.Array:
    """One-letter strings straight from a byte per row (no per-row objects, no gather)."""
    n = len(tier)
    if n not in _OFFSETS:  # batches repeat one size: build the offsets once (buffers are immutable)
        _OFFSETS.clear()
        _OFFSETS[n] = pa.py_buffer(np.arange(n + 1, dtype=np.int32))
    return pa.StringArray.from_buffers(n, _OFFSETS[n], pa.py_buffer(tier))


def _all_null_text(n: int) -> pa.Array:
    """n null strings from zeroed memory (calloc: pages are not touched until read)."""
    offsets = pa.py_buffer(np.zeros(n + 1, dtype=np.int32))
    validity = pa.py_buffer(np.zeros((n + 7) // 8, dtype=np.uint8))
    return pa.StringArray.from_buffers(n, offsets, pa.py_buffer(b""), validity, n)


def _take(names: Sequence[str | None], idx: np.ndarray) -> pa.Array:
    """Strings by index, gathered in Arrow (no per-row Python objects)."""
    return pc.take(pa.array(list(names), pa.string()), pa.array(idx))


def _segments(profile: Profile, cols: _Columns) -> tuple[list[np.ndarray], pa.Array]:
    n = cols.table.num_rows
    masks = [_rule(seg.conditions, cols) for seg in profile.segments]
    if not any(m.any() for m in masks):
        return masks, _all_null_text(n)
    idx = np.full(n, len(masks), dtype=np.int32)
    for i in reversed(range(len(masks))):
        idx[masks[i]] = i
    return masks, _take([*(s.name for s in profile.segments), None], idx)


def _caps(profile: Profile, cols: _Columns) -> tuple[list[np.ndarray], np.ndarray | None]:
    masks = [_rule(dq.conditions, cols) for dq in profile.disqualifiers]
    if not masks:
        return masks, None
    caps = np.full(cols.table.num_rows, 100, dtype=np.int32)
    for dq, mask in zip(profile.disqualifiers, masks, strict=True):
        np.minimum(caps, np.where(mask, dq.cap, 100), out=caps)
    return masks, caps


def score_table(
    profile: Profile, data: Any, *, reasons: bool = False, threads: int | None = None
) -> pa.Table:
    """``icp_score`` (int 0–100), ``icp_tier`` (A–D), ``icp_segment`` for every row.

    A profile with a ``persona`` adds ``persona_score``, ``persona_tier``, ``icp_priority`` and
    ``priority_rank`` on tables that hold the persona columns (see :mod:`icpkit.persona`). With ``reasons=True`` also ``icp_reasons``: the top points in words (see :func:`reasons`).
    ``threads`` (default: up to 4 cores) splits large tables into chunks scored in parallel.
    """
    cols = _Columns(to_arrow(data))
    dq_masks, caps = _caps(profile, cols)
    scored = _run(profile, cols, caps, _threads(threads))
    seg_masks, segment = _segments(profile, cols)
    out = {
        "icp_score": pa.array(scored.score),
        "icp_tier": _letters(scored.tier),
        "icp_segment": segment,
    }
    if reasons:
        out["icp_reasons"] = _reasons(profile, cols, seg_masks, dq_masks, scored.clipped)
    if profile.persona is not None:  # person fit: a second points table (icpkit.persona)
        from .persona import score_persona

        out.update(score_persona(profile, cols.table, out["icp_tier"], reasons=reasons))
    return pa.table(out)


# --- contributions and reasons -----------------------------------------------------------


def contributions(profile: Profile, data: Any) -> pa.Table:
    """Points per attribute and per segment for every row (one int32 column each)."""
    table = to_arrow(data)
    cols = _Columns(table)
    out: dict[str, pa.Array] = {}
    for attr in profile.attributes:
        out[attr.name] = pa.array(attribute_points(attr, table))
    for seg in profile.segments:
        if seg.points:
            out[f"segment: {seg.name}"] = pa.array(
                np.where(_rule(seg.conditions, cols), seg.points, 0).astype(np.int32)
            )
    return pa.table(out)


def _fmt(v: float) -> str:
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 1:
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def _money(v: float) -> str:
    """127000 -> '$127k', 1.5e6 -> '$1.5M': how people write amounts in a sentence."""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            return f"${v / size:,.3g}{unit}" if abs(v) < size * 1000 else f"${v / size:,.0f}{unit}"
    return f"${_fmt(v)}"


def _is_money(name: str) -> bool:
    from .schema import TABLES

    return any((c := t.column(name)) is not None and c.kind == "money" for t in TABLES.values())


def _display(attr: Attribute) -> str:
    """The attribute in business words: its label, else the explainer's name for it."""
    from .explain import pretty_name

    return attr.label or pretty_name(attr.name)


def _numeric_words(attr: NumericAttribute, b: int) -> str:
    name = _display(attr)
    if b == -1:
        return f"{name} outside the profile's ranges"
    nb = attr.bins[b]
    if nb.label and (yes := _YES_NO.get(nb.label.strip().lower())) is not None:
        return _flag_words(attr, yes)  # a 0/1 column's bin: 'Senior Citizen: yes'
    if nb.label:
        return f"{name} {nb.label}"
    fmt = _money if _is_money(attr.name) else _fmt
    if nb.lower is not None and nb.upper is not None:
        return f"{name} {fmt(nb.lower)}–{fmt(nb.upper)}"
    if nb.upper is not None:
        return f"{name} under {fmt(nb.upper)}"
    return f"{name} {fmt(nb.lower or 0.0)}+" if nb.lower is not None else f"{name} any value"


def _attribute_terms(attr: Attribute, cols: _Columns) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Per row a small code, and for each code its (points, words)."""
    if isinstance(attr, NumericAttribute):
        pieces = numeric_pieces(attr)
        idx = _numeric_index(attr, cols.number(attr.name))
        terms = [
            (p, _numeric_words(attr, b)) for p, b in zip(pieces.points, pieces.bins, strict=True)
        ]
    else:
        # One term per listed value, so the words name the row's own value.
        idx = _category_codes(attr, _column(cols.table, attr.name))
        values, bins = _category_lookup(attr)
        terms = [
            (attr.bins[b].points, _category_words(attr, v))
            for v, b in zip(values, bins, strict=True)
        ]
        terms.append((attr.other_points, f"{_display(attr)} is another value"))
    terms.append((attr.missing_points, f"{_display(attr)} unknown"))
    return idx, terms


# A bin label that answers yes or no: a 0/1 number column's bins are labelled 'yes' / 'no'.
_YES_NO = {"yes": True, "true": True, "no": False, "false": False}


def _flag_words(attr: Attribute, yes: bool) -> str:
    """A yes/no trait: 'Senior Citizen: yes'; a technology flag 'uses AWS' / 'no AWS'."""
    if attr.name.startswith("tech_"):
        return f"uses {_display(attr)}" if yes else f"no {_display(attr)}"
    return f"{_display(attr)}: {'yes' if yes else 'no'}"


def _category_words(attr: CategoricalAttribute, value: str) -> str:
    """'industry is Software'; a yes/no flag reads 'Partner: yes', a technology 'uses AWS'."""
    if value.lower() in ("true", "false"):
        return _flag_words(attr, value.lower() == "true")
    return f"{_display(attr)} is {value}"


_REASON_BLOCK = 500_000  # rows per block: the per-row term matrices stay small


def _signed(points: int, words: str) -> str:
    """Words first, points after ('cloud spend $127k+ (+14)'): a reason never starts with a
    sign, so no spreadsheet or CRM reads it as a formula."""
    return f"{words} (+{points})" if points > 0 else f"{words} (−{-points})"


def _reasons(
    profile: Profile,
    cols: _Columns,
    seg_masks: list[np.ndarray],
    dq_masks: list[np.ndarray],
    clipped: np.ndarray,
    top: int = 3,
) -> pa.Array:
    """Per row: the ``top`` largest positive terms, the largest negative ones, and any cap.

    Vectorised: every (attribute, bin) is a term whose words are written once; each row
    holds one term id per attribute, and picks its terms by sorting their points.
    """
    texts: list[str | None] = [None]  # term 0: nothing to say
    points: list[int] = [0]
    ids: list[np.ndarray] = []
    for attr in profile.attributes:
        idx, terms = _attribute_terms(attr, cols)
        ids.append(idx + len(texts))
        texts += [_signed(p, w) if p else None for p, w in terms]
        points += [p for p, _ in terms]
    for seg, mask in zip(profile.segments, seg_masks, strict=True):
        if seg.points:
            ids.append(np.where(mask, len(texts), 0).astype(np.int32))
            texts.append(_signed(seg.points, f"segment {seg.name}"))
            points.append(seg.points)
    notes = [
        _take([None, f"capped at {dq.cap}: {dq.name}"], (m & (clipped > dq.cap)).astype(np.int8))
        for dq, m in zip(profile.disqualifiers, dq_masks, strict=True)
    ]
    n = cols.table.num_rows
    slots: list[pa.Array] = [pa.nulls(n, pa.string())]
    if ids:
        lut = np.asarray(points, dtype=np.int32)
        blocks = []
        for start in range(0, n, _REASON_BLOCK):
            block = np.stack([i[start : start + _REASON_BLOCK] for i in ids], axis=1)
            blocks.append(_pick_terms(block.astype(np.int32), lut, top))
        if blocks:
            picked = [np.concatenate([b[j] for b in blocks]) for j in range(len(blocks[0]))]
            slots = [_take(texts, p) for p in picked]
    return _join([*slots, *notes])


def _join(parts: list[pa.Array]) -> pa.Array:
    """Join non-null parts with '; ' per row ('' when none).

    Pairwise with coalesce: binary_join_element_wise(null_handling='skip') drops rows whose
    parts are all null in pyarrow 26, so it cannot be used here.
    """
    acc = parts[0]
    for part in parts[1:]:
        both = pc.binary_join_element_wise(acc, part, "; ")
        acc = pc.coalesce(both, acc, part)
    return pc.fill_null(acc, "")


def _pick_terms(ids: np.ndarray, lut: np.ndarray, top: int) -> list[np.ndarray]:
    """Term ids for each reason slot: best positives first, then worst negatives (0: none).

    Ties keep the terms' order, as a stable sort would: each slot takes the first largest
    (smallest) term not taken yet. A few argmax passes over the rows, not a sort of each.
    """
    pts = lut[ids].astype(np.int64)
    rows = np.arange(len(ids))
    k = ids.shape[1]
    taken = np.iinfo(np.int64).min
    out = []
    for slots, sign in ((min(top, k), 1), (min(max(1, top - 1), k), -1)):
        left = pts * sign
        for _ in range(slots):
            j = np.argmax(left, axis=1)  # the first of the largest: stable
            out.append(np.where(left[rows, j] > 0, ids[rows, j], 0))
            left[rows, j] = taken
    return out


def reasons(profile: Profile, data: Any, *, top: int = 3) -> pa.Array:
    """``icp_reasons`` for every row: 'industry is Software (+18); employees 200–5,000 (+12); …'.

    The ``top`` largest positive contributions, then the largest negative ones, then any
    disqualifier that capped the score.
    """
    table = to_arrow(data)
    cols = _Columns(table)
    dq_masks, caps = _caps(profile, cols)
    scored = _run(profile, cols, caps, 1)
    seg_masks = [_rule(s.conditions, cols) for s in profile.segments]
    return _reasons(profile, cols, seg_masks, dq_masks, scored.clipped, top)
