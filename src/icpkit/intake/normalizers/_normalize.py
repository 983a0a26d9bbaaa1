"""``normalize(kind, values, name)``: dispatch one column to its kind's normaliser."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from icpkit.errors import ConfigError, did_you_mean
from icpkit.schema import KINDS

from . import _base
from ._base import (
    Mapped,
    Normalized,
    Parsed,
    as_strings,
    clean_text,
    is_missing,
    is_placeholder,
    map_unique,
    placeholder_notes,
)
from ._fast import (
    FastPath,
    clean_text_column,
    fast_date,
    fast_domain,
    fast_employees,
    fast_money,
    fast_number,
    fast_text,
    iso_dates,
)
from .booleans import parse_bool
from .countries import lookup_country, parse_country
from .dates import decide_format, parse_date
from .domains import parse_domain
from .employees import parse_employees
from .industries import parse_industry
from .lists import slugify, spelling_table, split_items
from .money import parse_money
from .numbers import parse_number, parse_year
from .titles import parse_title_value

__all__ = ["normalize", "output_columns"]


def output_columns(kind: str, name: str) -> list[str]:
    """The fixed output column names of a kind (lists add one flag column per item)."""
    if kind == "employees":
        return [name, f"{name}_band"]
    if kind == "money":
        return [name, f"{name}_currency"]
    if kind == "country":
        return [name, "region" if name == "country" else f"{name}_region"]
    if kind == "industry":
        return [name, f"{name}_original"]
    if kind == "title":
        if name == "title":
            return [name, "role", "seniority"]
        return [name, f"{name}_role", f"{name}_seniority"]
    return [name]


def _result(
    columns: dict[str, pd.Series], mapped: Mapped, notes: list[str] | None = None
) -> Normalized:
    return Normalized(
        columns=columns,
        problems=mapped.problem_series(),
        placeholders=mapped.placeholders,
        notes=placeholder_notes(mapped.placeholders) + (notes or []),
    )


def _numeric(values: pd.Series, name: str, parse: Callable[[Any], Parsed]) -> Normalized:
    mapped = map_unique(values, parse, 1, text_only=False, fast=fast_number)
    return _result({name: mapped.floats()}, mapped)


def _year(values: pd.Series, name: str) -> Normalized:
    mapped = map_unique(values, parse_year, 1, text_only=False)
    return _result({name: mapped.typed(0, "Int64")}, mapped)


def _number_and_label(
    values: pd.Series, names: list[str], parse: Callable[[Any], Parsed], fast: FastPath
) -> Normalized:
    mapped = map_unique(values, parse, 2, text_only=False, fast=fast)
    return _result({names[0]: mapped.floats(0), names[1]: mapped.typed(1, "str")}, mapped)


def _labels(
    values: pd.Series,
    names: list[str],
    parse: Callable[[Any], Parsed],
    fast: FastPath | None = None,
) -> Normalized:
    mapped = map_unique(values, parse, len(names), fast=fast)
    return _result({n: mapped.typed(j, "str") for j, n in enumerate(names)}, mapped)


def _country(values: pd.Series, names: list[str]) -> Normalized:
    result = _labels(values, names, parse_country)
    # Say which values were read through a typo ("Philipines" → PH): a guess, not a fact.
    for raw in pd.unique(values.dropna()):
        code, how = lookup_country(str(raw))
        if how is not None:
            result.notes.append(f"{str(raw).strip()!r} read as {code} ({how})")
    return result


def _bool(values: pd.Series, name: str) -> Normalized:
    mapped = map_unique(values, parse_bool, 1, text_only=False)
    return _result({name: mapped.typed(0, "boolean")}, mapped)


def _date(values: pd.Series, name: str) -> Normalized:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = values
        if getattr(values.dt, "tz", None) is not None:
            stamps = values.dt.tz_convert("UTC").dt.tz_localize(None)
        problems = pd.Series([None] * len(values), index=values.index, dtype=object)
        return Normalized({name: stamps.astype("datetime64[ns]")}, problems)
    fmt, notes = decide_format(_format_evidence(pd.unique(values.dropna())))
    mapped = map_unique(values, lambda v: parse_date(v, fmt), 1, text_only=False, fast=fast_date)
    outputs = mapped.outputs[0]
    handled = np.zeros(len(outputs), dtype=bool) if mapped.handled is None else mapped.handled
    distinct = np.full(len(outputs), np.datetime64("NaT"), dtype="datetime64[ns]")
    if (~handled).any():
        parsed = pd.to_datetime(pd.Series(outputs[~handled], dtype=object))
        distinct[~handled] = parsed.to_numpy(dtype="datetime64[ns]")
    if handled.any():  # the fast path gives nanoseconds since 1970
        distinct[handled] = outputs[handled].astype(np.int64).view("datetime64[ns]")
    stamps = distinct[mapped.codes]
    return _result({name: pd.Series(stamps, index=values.index)}, mapped, notes)


def _format_evidence(uniques: Any) -> Any:
    """The distinct values decide_format needs: ISO dates say nothing about day-first or
    number reading beyond "not every value is a number", which one of them still says."""
    strings = as_strings(uniques) if _base.FAST else None
    if strings is None:
        return uniques
    iso = iso_dates(strings)
    if not iso.any():
        return uniques
    keep = ~iso
    keep[np.argmax(iso)] = True  # one ISO value, if any, stays as evidence
    return uniques[keep]


def _text(values: pd.Series, name: str, kind: str) -> Normalized:
    if _base.FAST and (column := clean_text_column(values)) is not None:
        problems = pd.Series(np.full(len(values), None, dtype=object), index=values.index)
        return Normalized({name: column}, problems)

    def parse(value: Any) -> Parsed:
        if (
            kind == "id"
            and isinstance(value, float | np.floating)
            and float(value).is_integer()
            and abs(float(value)) < 2**53  # beyond that a float holds no exact integer id
        ):
            return (str(int(value)),), None  # ids read as floats: 1001.0 is "1001"
        return (str(value).strip(),), None

    # Categories are labels: inner runs of spaces collapse. Ids and text keep theirs.
    mapped = map_unique(
        values,
        parse,
        1,
        text_only=kind == "category",
        collapse=kind == "category",
        fast=fast_text,
    )
    return _result({name: mapped.typed(0, "str")}, mapped)


def _list(values: pd.Series, name: str) -> Normalized:
    prefix = "tech" if name == "technologies" else name
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    # Pass 1: split every distinct value and count spellings over the rows.
    split: dict[int, list[str]] = {}
    placeholders: dict[str, int] = {}
    spellings: Counter[str] = Counter()
    for i, raw in enumerate(uniques):
        text = str(raw)
        if is_missing(raw) or is_placeholder(clean_text(text)):
            if clean_text(text):
                placeholders[clean_text(text)] = placeholders.get(clean_text(text), 0) + int(
                    counts[i]
                )
            continue
        split[i] = split_items(text)
        for item in split[i]:
            spellings[item] += int(counts[i])
    display = spelling_table(spellings)
    slugs = sorted({slugify(d) for d in display.values()} - {""})
    position = {slug: k for k, slug in enumerate(slugs)}
    # Pass 2: one row per distinct value (+1 all-missing row for code -1), then map back.
    joined: list[str | None] = [None] * (len(uniques) + 1)
    problem: list[str | None] = [None] * (len(uniques) + 1)
    flags = np.zeros((len(uniques) + 1, len(slugs)), dtype=bool)
    known = np.zeros(len(uniques) + 1, dtype=bool)
    for i, items in split.items():
        names = sorted({display[item] for item in items}, key=str.casefold)
        bad = [item for item in names if not slugify(item)]
        if bad:
            problem[i] = f"list item without letters or digits: {bad[0]!r}"
        elif not names:
            problem[i] = "empty list"
        else:
            joined[i] = ";".join(names)
            known[i] = True
            for item in names:
                flags[i, position[slugify(item)]] = True
    index = values.index
    row_known = known[codes]
    columns = {name: pd.Series(pd.array(joined, dtype="str").take(codes), index=index)}
    unknown = ~row_known
    for slug, k in position.items():
        flags_k = pd.arrays.BooleanArray(flags[codes, k], unknown.copy())
        columns[f"{prefix}_{slug}"] = pd.Series(flags_k, index=index)
    problems = pd.Series(np.asarray(problem, dtype=object)[codes], index=index, dtype=object)
    notes = placeholder_notes(placeholders)
    if slugs:  # free text in a list column would add a column per word: make it visible
        notes.append(
            f"{len(slugs)} distinct item{'s' if len(slugs) != 1 else ''}, one flag column each"
        )
    return Normalized(columns, problems, placeholders, notes)


def normalize(kind: str, values: pd.Series, name: str) -> Normalized:
    """Normalise one column of raw values of a given kind (see icpkit.schema.KINDS).

    Returns a :class:`Normalized` whose first column is named ``name``. Raises
    :class:`icpkit.errors.ConfigError` for an unknown kind.
    """
    if kind not in KINDS:
        raise ConfigError(
            f"unknown value kind {kind!r}; expected one of {', '.join(KINDS)}",
            column=name,
            hint=did_you_mean(kind, KINDS),
        )
    if not isinstance(values, pd.Series):
        values = pd.Series(values)
    try:
        return _dispatch(kind, values, name)
    except TypeError as err:
        if "unhashable" not in str(err):
            raise
        # JSON sources can hold lists ("technologies": ["AWS", "GCP"]) or objects.
        return _dispatch(kind, values.map(_container_text, na_action="ignore"), name)


def _container_text(value: Any) -> Any:
    """A list-like becomes "a;b" (the list kind's separator), a dict its JSON text."""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        return ";".join(str(item) for item in items if not is_missing(item))
    return value


def _dispatch(kind: str, values: pd.Series, name: str) -> Normalized:
    names = output_columns(kind, name)
    if kind in ("number",):
        return _numeric(values, name, parse_number)
    if kind == "year":
        return _year(values, name)
    if kind == "employees":
        return _number_and_label(values, names, parse_employees, fast_employees)
    if kind == "money":
        return _number_and_label(values, names, parse_money, fast_money)
    if kind == "country":
        return _country(values, names)
    if kind == "industry":
        return _labels(values, names, parse_industry)
    if kind == "title":
        return _labels(values, names, parse_title_value)
    if kind == "domain":
        return _labels(values, names, parse_domain, fast_domain)
    if kind == "bool":
        return _bool(values, name)
    if kind == "date":
        return _date(values, name)
    if kind == "list":
        return _list(values, name)
    return _text(values, name, kind)
