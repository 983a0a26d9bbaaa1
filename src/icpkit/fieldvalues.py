"""A field's values read as intake reads them: one at a time, or a batch's distinct values
together.

One at a time (:func:`read_one`): the text a CSV export would hold for the JSON value
(:func:`cell_text`), through intake's per-value parser for the field's kind, cleaned as
``map_unique`` cleans it (:func:`normalise_value`). Together (:func:`read_distinct`): the
distinct texts of a batch's field (:func:`distinct`), those new to the field through
intake's vectorised fast paths, which answer the shapes they prove they read exactly as
the parser does (intake/normalizers/_fast.py), and the rest one at a time. Either way a
value gives, for each profile column the field feeds, its normalised value, and says
which of them it could not be read as (a warning of the record).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .columnar import Column
from .errors import SchemaError
from .intake.normalizers import _base
from .intake.normalizers._fast import (
    FastPath,
    fast_domain,
    fast_employees,
    fast_money,
    fast_number,
    fast_text,
)
from .intake.normalizers.booleans import parse_bool
from .intake.normalizers.countries import parse_country
from .intake.normalizers.domains import parse_domain
from .intake.normalizers.employees import parse_employees
from .intake.normalizers.industries import parse_industry
from .intake.normalizers.lists import _SPLIT, _item, slugify, split_items
from .intake.normalizers.money import parse_money
from .intake.normalizers.numbers import parse_number, parse_year
from .intake.normalizers.titles import parse_title_value

__all__ = [
    "KINDS",
    "Source",
    "cell_text",
    "encode",
    "normalise_value",
    "read_new",
    "read_one",
]

#: Bound on a field's remembered values (entries); a full cache is emptied, not evicted.
#: Every value of a request is looked up in it, and a lookup slows as the map outgrows the
#: CPU's caches (10,000 new texts: 1.9 ms in a map of 20,000, 2.6 ms at 50,000, 3.8 ms at
#: 200,000): it must hold a batch's values, and a field of mostly distinct values (amounts)
#: gains little from holding many more.
VALUES_MAX = 50_000
#: From this many new values of a field on, they go through the vectorised fast path.
_FAST_MIN = 32
#: From this many records on, a batch's texts are looked up once per distinct text.
_DISTINCT_MIN = 128

Parse = Callable[[Any], tuple[tuple[Any, ...], str | None]]

# kind -> (parser, outputs as (float|str|int|bool per output), collapse inner spaces)
# as intake's normalisers call them (see normalizers/_normalize.py and map_unique).
KINDS: dict[str, tuple[Parse | None, tuple[str, ...], bool]] = {
    "number": (parse_number, ("float",), True),
    "year": (parse_year, ("int",), True),
    "employees": (parse_employees, ("float", "str"), True),
    "money": (parse_money, ("float", "str"), True),
    "country": (parse_country, ("str", "str"), True),
    "industry": (parse_industry, ("str", "str"), True),
    "title": (parse_title_value, ("str", "str", "str"), True),
    "domain": (parse_domain, ("str",), True),
    "bool": (parse_bool, ("bool",), True),
    "category": (None, ("str",), True),
    "text": (None, ("str",), False),
    "id": (None, ("str",), False),
    "list": (None, (), True),  # flags: bool per item
}
# Intake's vectorised fast paths (intake/normalizers/_fast.py), as its normalisers use them:
# each answers the values whose shape it proves it reads exactly as the parser does.
_FAST: dict[str, FastPath] = {
    "number": fast_number,
    "employees": fast_employees,
    "money": fast_money,
    "domain": fast_domain,
    "category": fast_text,
    "text": fast_text,
    "id": fast_text,
}


def cell_text(value: Any) -> str | None:
    """A JSON value as the text a CSV export would hold for it (empty: missing)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, list):  # technologies as a list: the export's "A;B" form
        parts = [cell_text(v) for v in value]
        return ";".join(p for p in parts if p) or None
    raise SchemaError(f"a field value must be text, a number, true/false or a list; got {value!r}")


def normalise_value(kind: str, text: str | None) -> tuple[tuple[Any, ...], bool]:
    """One text value through intake's normaliser of ``kind``: (outputs, read).

    What ``map_unique`` does for one distinct text value: missing and placeholders give
    missing outputs; others are cleaned (inner spaces collapsed but for ids and free
    text) and parsed. ``read`` is False when a given value gave nothing.
    For ``list`` the single output is the frozenset of item slugs, or None.
    """
    parse, types, collapse = KINDS[kind]
    if text is None:
        return (None,) * max(1, len(types)), True
    clean = _base.clean_text(text)
    if _base.is_placeholder(clean):
        return (None,) * max(1, len(types)), False
    if kind == "list":
        items = split_items(text)  # as intake: raw text (a line break separates items)
        slugs = frozenset(slugify(i) for i in items)
        if not items or "" in slugs:  # empty, or an item without letters or digits
            return (None,), False
        return (slugs,), True
    if parse is None:
        return (clean if collapse else text.strip(),), True
    outputs, _problem = parse(clean)
    out = []
    for value, typ in zip(outputs, types, strict=True):
        if value is not None and typ == "float":
            value = float(value)
            value = None if math.isnan(value) else value
        elif value is not None and typ == "str":
            value = str(value)
        out.append(value)
    return tuple(out), True


@dataclass
class Source:
    """One field feeding the profile: its normaliser and what it gives each column."""

    name: str  # the field name, as the record has it
    kind: str
    columns: tuple[tuple[str, int | str], ...]  # (profile column, output slot or flag slug)
    cache: dict[str | None, tuple[Any, ...]] = field(default_factory=dict)
    # A small number per distinct tuple of cells: outcome keys are tuples of these ints,
    # quicker to hash than tuples of tuples (never emptied: cells are few per field).
    codes: dict[tuple[Any, ...], int] = field(default_factory=dict)
    # For batches: a code per distinct text seen (0: missing), and per column of the field
    # the value of each code (see icpkit.columnar.Column); the codes of unreadable texts
    # with their warnings.
    code_of: dict[str | None, int] = field(default_factory=dict)
    tables: list[Column] = field(default_factory=list)
    lost: dict[int, tuple[tuple[int, str], ...]] = field(default_factory=dict)


#: What a value of a field gives: (per column of the field, its value), and per column it
#: could not be read as, (the column's index in the profile, the warning).
Read = tuple[tuple[Any, ...], tuple[tuple[int, str], ...]]


def read_one(source: Source, text: str | None, index: dict[str, int]) -> Read:
    """One text of a field through its per-value normaliser (``index``: the profile's
    columns by position, which orders a record's warnings)."""
    outputs, read = normalise_value(source.kind, text)
    values: list[Any] = []
    lost: list[tuple[int, str]] = []
    for column, slot in source.columns:
        if source.kind == "list":
            slugs = outputs[0]
            value = None if slugs is None else slot in slugs
            # A single record's flag column exists only when the record names the
            # item: only then can its unread list be said to lose it.
            gone = not read and text is not None and slot in _slugs_of(text)
        else:
            value = outputs[int(slot)]
            gone = text is not None and value is None
        values.append(value)
        if gone:
            message = f"{source.name}: could not read {text!r} as {column}; scored as missing"
            lost.append((index[column], message))
    return tuple(values), tuple(lost)


def encode(source: Source, values: list[Any], index: dict[str, int]) -> np.ndarray:
    """Per record, the code of its value of the field (see Source): the texts new to the
    field are read together (:func:`read_new`) and given the next codes."""
    code_of = source.code_of
    if not code_of or len(code_of) > VALUES_MAX:  # start (again): code 0 is missing
        code_of.clear()
        code_of.update({None: 0, "": 0})  # an empty cell is missing, as in a CSV
        source.tables[:] = [Column() for _ in source.columns]
        for table, value in zip(source.tables, read_one(source, None, index)[0], strict=True):
            table.values.append(value)
        source.lost.clear()
    n = len(values)
    array = _arrow(values) if n >= _DISTINCT_MIN else None
    if array is not None:  # text (and missing) only: the batch's distinct texts, in Arrow
        return _encode_distinct(source, array, index)
    try:  # -1: a text new to the field, or a value that is not text
        codes = np.fromiter(map(code_of.get, values, repeat(-1, n)), np.intp, n)
    except TypeError:  # a list value (technologies as JSON) is no dict key
        codes = np.full(n, -1, dtype=np.intp)
    misses = np.flatnonzero(codes < 0)
    if not len(misses):
        return codes
    texts_only = set(map(type, values)) <= {str, type(None)}
    if not texts_only:
        # A number, true/false or a list as its text (as keys, 1 == 1.0 == True).
        values = [cell_text(v) for v in values]
        misses = np.arange(n)
    # Only the records that missed are looked at again, in a map of the texts new to this
    # call: code_of grows to VALUES_MAX entries, and a second pass over every record
    # through it (a cache miss or two per lookup) cost more than reading the new values.
    missed = [values[i] for i in misses.tolist()]
    new = [t for t in dict.fromkeys(missed) if t not in code_of]
    fresh = _add(source, new, index)
    lookup = fresh.__getitem__ if texts_only else code_of.__getitem__
    codes[misses] = np.fromiter(map(lookup, missed), np.intp, len(missed))
    return codes


def _encode_distinct(source: Source, array: pa.Array, index: dict[str, int]) -> np.ndarray:
    """:func:`encode` of a batch of texts: Arrow finds the distinct ones (hashing in C over
    one contiguous buffer), and only those are looked up, and read if new. A batch's
    values repeat (an industry, a technology list, a head count), and a lookup of a text
    just decoded is a cache miss or two: 10,000 of them cost 1 to 4 ms a field."""
    encoded = array.dictionary_encode()
    texts = encoded.dictionary.to_pylist()
    k = len(texts)
    known = np.fromiter(map(source.code_of.get, texts, repeat(-1, k)), np.intp, k)
    misses = np.flatnonzero(known < 0)
    if len(misses):
        new = encoded.dictionary.take(pa.array(misses))
        fresh = _add(source, [texts[i] for i in misses.tolist()], index, new)
        known[misses] = list(fresh.values())
    known = np.append(known, 0)  # a missing value (null in Arrow): code 0
    return known[encoded.indices.fill_null(k).to_numpy(zero_copy_only=False)]


def _add(
    source: Source, new: list[str], index: dict[str, int], array: pa.Array | None = None
) -> dict[Any, int]:
    """Reads texts new to the field (:func:`read_new`) and gives them the next codes."""
    start = len(source.tables[0].values)
    for k, lost in read_new(source, new, index, array).items():
        source.lost[start + k] = lost
    fresh = dict(zip(new, range(start, start + len(new)), strict=True))
    source.code_of.update(fresh)
    return fresh


def read_new(
    source: Source, texts: list[str], index: dict[str, int], array: pa.Array | None = None
) -> dict[int, tuple[tuple[int, str], ...]]:
    """:func:`read_one` of each text, together: the shapes a vectorised path proves it
    reads as the parser by it, the rest one by one. Their values are added to the
    source's tables; returned: the warnings of the texts that could not be read (by
    position). ``array``: the texts in Arrow already, when the caller has them."""
    n = len(texts)
    values = [np.full(n, None, dtype=object) for _ in source.columns]
    done = np.zeros(n, dtype=bool)
    lost: dict[int, tuple[tuple[int, str], ...]] = {}
    fast = _FAST.get(source.kind) if _base.FAST else None
    if n >= _FAST_MIN and (fast is not None or source.kind == "list"):
        array = _arrow(texts) if array is None else array
        if array is not None and fast is not None:
            done, outputs = fast(array)
            for column, (_, slot) in zip(values, source.columns, strict=True):
                column[done] = outputs[int(slot)]
        elif array is not None:
            done, flags, read = _fast_lists(array, texts, [slot for _, slot in source.columns])
            for column, flag, (name, _) in zip(values, flags, source.columns, strict=True):
                column[done & read] = flag[done & read]  # unread lists stay missing
                # As read_one: an unread list loses the flags of the items it names.
                for k in np.flatnonzero(done & ~read & flag).tolist():
                    message = f"{source.name}: could not read {texts[k]!r} as {name}; "
                    lost[k] = (*lost.get(k, ()), (index[name], message + "scored as missing"))
    for k in np.flatnonzero(~done).tolist():  # the rest one by one, by the exact normaliser
        one, gone = read_one(source, texts[k], index)
        for column, value in zip(values, one, strict=True):
            column[k] = value
        if gone:
            lost[k] = gone
    for table, column in zip(source.tables, values, strict=True):
        table.values.extend(column.tolist())
    return lost


def _fast_lists(
    array: pa.Array, texts: list[str], slugs: list[Any]
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """List texts ("AWS;Slack") read as intake's list normaliser reads each: (handled,
    per slug whether the text names it, whether the text reads as a list).

    Each distinct piece between separators is an item once (lists._item, slugify); the
    pieces are split and gathered in Arrow. Handled: texts with a separator other than a
    line break (no placeholder has one, and cleaning keeps it), so no placeholder check
    is needed; the others go one by one.
    """
    handled = _mask(pc.match_substring_regex(array, "[;,|•]"))
    pieces = pc.split_pattern_regex(array, _SPLIT.pattern)
    parents = pc.list_parent_indices(pieces).to_numpy()
    encoded = pc.list_flatten(pieces).dictionary_encode()
    items = [_item(piece) for piece in encoded.dictionary.to_pylist()]
    slug_of = [None if item is None else slugify(item) for item in items]
    codes = encoded.indices.to_numpy()
    n = len(texts)
    named = np.bincount(parents, np.array([s is not None for s in slug_of])[codes], n) > 0
    bad = np.bincount(parents, np.array([s == "" for s in slug_of])[codes], n) > 0
    flags = []
    for slug in slugs:
        hit = np.array([s == slug for s in slug_of])[codes]
        flags.append(np.bincount(parents, hit, n) > 0)
    return handled, flags, named & ~bad


def _mask(array: pa.Array) -> np.ndarray:
    return np.asarray(array.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _arrow(texts: Sequence[str | None]) -> pa.Array | None:
    """Texts as an Arrow array for the fast paths; None for text Arrow refuses (a lone
    surrogate), which the parsers read one by one."""
    try:
        return pa.array(texts, pa.large_string())
    except (pa.ArrowException, UnicodeError):
        return None


def _slugs_of(text: str) -> set[str]:
    """The item slugs a list value names, whether or not the whole list could be read."""
    return {s for s in (slugify(i) for i in split_items(text)) if s}
