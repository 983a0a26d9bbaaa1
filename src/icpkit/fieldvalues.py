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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

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
from .intake.normalizers.lists import slugify, split_items
from .intake.normalizers.money import parse_money
from .intake.normalizers.numbers import parse_number, parse_year
from .intake.normalizers.titles import parse_title_value

__all__ = [
    "KINDS",
    "Source",
    "cell_text",
    "distinct",
    "normalise_value",
    "read_distinct",
    "read_one",
]

#: Bound on a field's remembered values (entries); a full cache is emptied, not evicted.
VALUES_MAX = 200_000
#: From this many new values of a field on, they go through the vectorised fast path.
_FAST_MIN = 32

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
    # For batches: text -> (value per column, lost columns), as read_one gives them.
    values: dict[str | None, Read] = field(default_factory=dict)


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


def read_distinct(source: Source, texts: list[str | None], index: dict[str, int]) -> list[Read]:
    """:func:`read_one` of each of a batch's distinct texts of a field, the texts new to
    the field together (remembered per field, bounded)."""
    known = source.values
    read: list[Read | None] = list(map(known.get, texts))
    new = [i for i, hit in enumerate(read) if hit is None]
    if new:
        if len(known) + len(new) > VALUES_MAX:
            known.clear()
        fast = _FAST.get(source.kind) if _base.FAST else None
        if fast is not None and len(new) >= _FAST_MIN:
            todo = [texts[i] for i in new]
            handled, outputs = fast(pa.array(todo, pa.large_string()))
            slots = [outputs[int(slot)] for _, slot in source.columns]
            answers = list(zip(zip(*slots, strict=True), [()] * len(slots[0]), strict=True))
            done = np.flatnonzero(handled).tolist()
            for k, answer in zip(done, answers, strict=True):
                read[new[k]] = answer
            known.update(zip([todo[k] for k in done], answers, strict=True))
        for i in new:  # the rest one by one, by the exact normaliser
            if read[i] is None:
                read[i] = known[texts[i]] = read_one(source, texts[i], index)
    return read  # type: ignore[return-value]  # every None was filled


def distinct(values: list[Any]) -> tuple[list[str | None], np.ndarray]:
    """The distinct texts of a field's values as a CSV export holds them (see cell_text;
    the last one is missing), and per record the index of its text."""
    try:  # the usual field, text and missing values only: encoded by Arrow in one pass
        encoded = pa.array(values, pa.string()).dictionary_encode()
    except (pa.ArrowException, TypeError, ValueError):  # numbers, lists, odd text
        try:
            encoded = pa.array([cell_text(v) for v in values], pa.string()).dictionary_encode()
        except (pa.ArrowException, ValueError):  # text Arrow refuses (lone surrogates)
            texts = [cell_text(v) for v in values]
            index: dict[str | None, int] = {}
            rows = np.array([index.setdefault(t, len(index)) for t in texts], dtype=np.intp)
            return [*index, None], rows
    distinct = encoded.dictionary.to_pylist()
    rows = encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)
    # An empty cell is missing, as when reading a CSV.
    return [t or None for t in distinct] + [None], rows


def _slugs_of(text: str) -> set[str]:
    """The item slugs a list value names, whether or not the whole list could be read."""
    return {s for s in (slugify(i) for i in split_items(text)) if s}
