"""Employee counts and ranges → a whole number and a LinkedIn-style band.

"51-200" → 126 (the midpoint, rounded half up), "10,001+" → 10001 (a lower bound
stands for itself), "1K-5K" → 3000, "<10" → 5, "about 500" → 500,
"Self-employed" → 1. A count of 0 is treated as unknown (CRMs store 0 for
"not filled in") and reported.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

import numpy as np

from ._base import Parsed
from .numbers import parse_scaled

__all__ = ["EMPLOYEE_BANDS", "employee_band", "parse_employees"]

#: Bands as LinkedIn shows company size, with their upper bounds.
EMPLOYEE_BANDS: tuple[tuple[str, float], ...] = (
    ("1-10", 10),
    ("11-50", 50),
    ("51-200", 200),
    ("201-500", 500),
    ("501-1,000", 1000),
    ("1,001-5,000", 5000),
    ("5,001-10,000", 10000),
    ("10,001+", math.inf),
)

_NOISE = re.compile(
    r"\b(?:employees?|emps?|people|persons?|staff|ftes?|headcount|workers?|"
    r"approx(?:imately)?|about|around|circa|ca|est(?:imated)?)\b\.?|[~≈]"
)
_RANGE = re.compile(r"^(?P<lo>[\d.,\s]+[a-z]*)\s*(?:-|–|—|to|bis)\s*(?P<hi>[\d.,\s]+[a-z]*)$")
_AT_LEAST = re.compile(
    r"^(?:>=?|≥|over|more than|above|at least)\s*(?P<n>.+)$|^(?P<m>.+?)\s*(?:\+|or more|and (?:up|over|above))$"
)
_LESS_THAN = re.compile(r"^(?:<=?|≤|under|less than|fewer than|below|up to)\s*(?P<n>.+)$")
_SELF_EMPLOYED = {
    "self-employed", "self employed", "sole proprietor", "freelance", "just me", "myself only",
}  # fmt: skip


def employee_band(count: float) -> str | None:
    """The band a count falls in; None for counts below 1."""
    if count < 1:
        return None
    return next(label for label, upper in EMPLOYEE_BANDS if count <= upper)


def _round_half_up(x: float) -> float:
    # A 400-digit "count" is infinity as a float: not a count (NaN), not an OverflowError.
    return float(math.floor(x + 0.5)) if math.isfinite(x) else math.nan


def _count(text: str) -> Decimal | None:
    """A single count: "5,000", "1.5k", "10.000" (European grouping, never 10.0 people)."""
    s = text.strip()
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", s):
        s = s.replace(".", "")
    return parse_scaled(s)


def _shared_scale(lo: str, hi: str) -> str:
    """ "1-5K" means 1K-5K: a scale written only on the upper bound applies to both,
    when the bare lower number is below the upper one ("1-1K" and "500-1K" keep theirs)."""
    lo_s, hi_s = lo.strip(), hi.strip()
    match = re.fullmatch(r"([\d.,\s]+?)\s*([a-z]+)", hi_s)
    if not match or not lo_s or not lo_s[-1].isdigit():
        return lo_s
    lo_n, hi_n = _count(lo_s), _count(match[1])
    if lo_n is not None and hi_n is not None and lo_n < hi_n:
        return lo_s + match[2]
    return lo_s


def _parse_text(text: str) -> float | None:
    s = text.lower()
    if s in _SELF_EMPLOYED:
        return 1.0
    s = _NOISE.sub(" ", s).strip(" .")
    s = re.sub(r"\s+", " ", s)
    if match := _RANGE.match(s):
        lo = _count(_shared_scale(match["lo"], match["hi"]))
        hi = _count(match["hi"])
        if lo is None or hi is None:
            return None
        lo, hi = min(lo, hi), max(lo, hi)
        return _round_half_up(float((lo + hi) / 2))
    if match := _AT_LEAST.match(s):
        n = _count(match["n"] or match["m"])
        return None if n is None else _round_half_up(float(n))
    if match := _LESS_THAN.match(s):
        n = _count(match["n"])
        if n is None:
            return None
        # "<10" is the band 1..9: its midpoint, like any other range.
        return _round_half_up(float((1 + max(n - 1, Decimal(1))) / 2))
    n = _count(s)
    return None if n is None else _round_half_up(float(n))


def parse_employees(value: Any) -> Parsed:
    """One value of kind ``employees`` → ((count, band), problem)."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    ):
        if not math.isfinite(float(value)):
            return (None, None), "not an employee count"
        count: float | None = _round_half_up(float(value))
    elif re.match(r"^\s*[-−]\s*\d", str(value)):
        return (None, None), "negative employee count"
    else:
        count = _parse_text(str(value))
    if count is None or math.isnan(count):
        return (None, None), "not an employee count"
    if count < 0:
        return (None, None), "negative employee count"
    if count == 0:
        return (None, None), "0 employees (treated as unknown)"
    if math.isinf(count):
        return (None, None), "not an employee count"
    return (count, employee_band(count)), None
