"""Suggestions from values: an unmapped column whose values look like countries,
web domains, e-mail addresses or employee ranges.

Names decide the mapping; values only *suggest* (a column called "HQ" full of
country names is probably ``country``, but a person should say so with --map).
A column is suggested when at least 90% of a sample of its distinct values read
as that kind, and the kind's canonical column is free in the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from .normalizers.countries import lookup_country
from .normalizers.domains import parse_domain

__all__ = ["value_suggestions"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_RANGE = re.compile(r"^\d{1,3}(,?\d{3})*\s*(-|–|to)\s*\d{1,3}(,?\d{3})*$|^\d{1,3}(,?\d{3})*\s*\+$")
_SAMPLE = 200
_SHARE = 0.9
_MIN_DISTINCT = 3


# Top-level domains a web address column would use; any two-letter ccTLD also counts.
# ("02.Medium" parses as a host name, but nobody's website is on .medium.)
_TLDS = frozenset(
    [
        "com",
        "org",
        "net",
        "io",
        "co",
        "ai",
        "app",
        "dev",
        "biz",
        "info",
        "edu",
        "gov",
        "tech",
        "cloud",
        "online",
        "site",
        "digital",
    ]
)


def _is_domain(text: str) -> bool:
    if "." not in text or "@" in text or " " in text:
        return False
    host = parse_domain(text)[0][0]
    if host is None:
        return False
    labels = host.split(".")
    return (len(labels[-1]) == 2 or labels[-1] in _TLDS) and not labels[0].isdigit()


def _is_range(text: str) -> bool:
    """'51-200', '1,001-5,000', '10,001+' but not '2012-06' (a month)."""
    if not _RANGE.match(text):
        return False
    numbers = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text)]
    if len(numbers) == 1:
        return True
    low, high = numbers[0], numbers[-1]
    return low < high and not (1900 <= low <= 2100 and high <= 12)


def _is_country(text: str) -> bool:
    # Two-letter codes alone are too easy to hit by chance ("NY", "CA" are states).
    return len(text) > 2 and lookup_country(text)[0] is not None


CHECKS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("email", lambda t: bool(_EMAIL.match(t))),
    ("domain", _is_domain),
    ("country", _is_country),
    ("employees", _is_range),
)


def value_suggestions(
    raw: pa.Table, custom: list[str], allowed: set[str], taken: set[str]
) -> dict[str, str]:
    """Custom column -> canonical column its values look like (free canonical names only)."""
    out: dict[str, str] = {}
    for name in custom:
        column = raw.column(name)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        values = [v.strip() for v in pc.unique(column).drop_null().to_pylist()[:_SAMPLE]]
        values = [v for v in values if v]
        if len(values) < _MIN_DISTINCT:
            continue
        for canonical, check in CHECKS:
            if canonical not in allowed or canonical in taken or canonical in out.values():
                continue
            if sum(1 for v in values if check(v)) >= _SHARE * len(values):
                out[name] = canonical
                break
    return out


_STATUS_WORDS = re.compile(
    r"\b(customer|client|won|lost|churn(ed)?|prospect|partner|active|inactive|former)\b",
    re.IGNORECASE,
)


def status_columns(table: pa.Table, limit: int = 3) -> list[tuple[str, list[str]]]:
    """Text columns whose values read like a customer status ('Customer - Direct',
    'Prospect', 'Churned'): candidates for a success target when no outcome column or
    deals file was given. Returns (column, a few of its values), most status-like first."""
    found: list[tuple[float, str, list[str]]] = []
    for name in table.column_names:
        column = table.column(name)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        values = [v for v in pc.unique(column.drop_null()).to_pylist()[:_SAMPLE] if v]
        if not 2 <= len(values) <= 30:  # a status has a few values, not one per row
            continue
        share = sum(1 for v in values if _STATUS_WORDS.search(str(v))) / len(values)
        if share >= 0.3:
            found.append((share, name, sorted(str(v) for v in values)[:4]))
    found.sort(key=lambda f: -f[0])
    return [(name, values) for _, name, values in found[:limit]]
