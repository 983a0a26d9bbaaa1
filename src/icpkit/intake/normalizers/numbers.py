"""Plain numbers and years: "1,200", "1 200", "1.234,5", "12%", "(5)", "1.2k", "FY2019".

The decimal-separator rule is shared by money and employees:

- both "." and "," present: the one that comes last is the decimal separator
  ("1,234.56" and "1.234,56");
- only one kind, appearing more than once: thousands separators ("1.234.567");
- a single "," between at most three digits and exactly three digits: thousands
  ("12,345"), otherwise a decimal comma ("1,5");
- thousands groups must be three digits: "1.2.3" and "1,2,3" are not numbers;
- a single "." is always a decimal point ("1.234" is one point two three four);
- spaces, non-breaking spaces, apostrophes and underscores group thousands.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from ._base import Parsed

__all__ = ["MULTIPLIERS", "parse_decimal", "parse_number", "parse_year"]

#: Scale words after a number. Keys are lowercase without a trailing ".".
MULTIPLIERS: dict[str, Decimal] = {
    "k": Decimal(10) ** 3,
    "thousand": Decimal(10) ** 3,
    "thousands": Decimal(10) ** 3,
    "tsd": Decimal(10) ** 3,
    "m": Decimal(10) ** 6,
    "mm": Decimal(10) ** 6,
    "mn": Decimal(10) ** 6,
    "mln": Decimal(10) ** 6,
    "mio": Decimal(10) ** 6,
    "mil": Decimal(10) ** 6,
    "million": Decimal(10) ** 6,
    "millions": Decimal(10) ** 6,
    "b": Decimal(10) ** 9,
    "bn": Decimal(10) ** 9,
    "bil": Decimal(10) ** 9,
    "bln": Decimal(10) ** 9,
    "billion": Decimal(10) ** 9,
    "billions": Decimal(10) ** 9,
    "mrd": Decimal(10) ** 9,
    "milliard": Decimal(10) ** 9,
    "milliarden": Decimal(10) ** 9,
    "t": Decimal(10) ** 12,
    "tn": Decimal(10) ** 12,
    "trillion": Decimal(10) ** 12,
    "lakh": Decimal(10) ** 5,
    "lakhs": Decimal(10) ** 5,
    "crore": Decimal(10) ** 7,
    "crores": Decimal(10) ** 7,
}

_GROUPING = re.compile(r"[\s\u00a0\u202f'’_]")
_SCIENTIFIC = re.compile(r"^[-+]?\d+(?:\.\d+)?[eE][-+]?\d+$")
_DIGITS = re.compile(r"^\d*(?:\.\d*)?$")
_NUMBER_WITH_SCALE = re.compile(
    r"^(?P<num>[\d.,]*\d(?:[\d.,\s\u00a0\u202f'’_]*[\d.,])?)\s*(?P<scale>[a-z]+\.?)?$"
)


def _grouped(whole: str, sep: str) -> bool:
    """True when ``whole`` is digits grouped by threes with ``sep`` ("1.234.567"),
    or in the Indian way, by twos before the last three ("5,00,000": five lakh)."""
    s = re.escape(sep)
    return (
        re.fullmatch(rf"\d{{1,3}}(?:{s}\d{{3}})*", whole) is not None
        or re.fullmatch(rf"\d{{1,2}}(?:{s}\d{{2}})+{s}\d{{3}}", whole) is not None
    )


def parse_decimal(text: str) -> Decimal | None:
    """Digits with grouping and one decimal separator → Decimal; None if not a number.

    No sign, currency or scale here: callers strip those first.
    """
    s = _GROUPING.sub("", text)
    if not s or not any(c.isdigit() for c in s):
        return None
    has_dot, has_comma = "." in s, "," in s
    if has_dot and has_comma:
        decimal_sep = "." if s.rfind(".") > s.rfind(",") else ","
        group_sep = "," if decimal_sep == "." else "."
        whole, fraction = s.rsplit(decimal_sep, 1)
        if not _grouped(whole, group_sep):
            return None
        s = whole.replace(group_sep, "") + "." + fraction
    elif has_comma:
        parts = s.split(",")
        if len(parts) > 2:
            if not _grouped(s, ","):
                return None
            s = s.replace(",", "")
        elif len(parts[1]) == 3 and 1 <= len(parts[0]) <= 3:
            s = s.replace(",", "")  # "12,345": thousands
        else:
            s = s.replace(",", ".")  # "1,5": a decimal comma
    elif s.count(".") > 1:
        if not _grouped(s, "."):
            return None
        s = s.replace(".", "")
    if not _DIGITS.match(s) or s == ".":
        return None
    try:
        return Decimal(s)
    except InvalidOperation:  # pragma: no cover - the regex above rules this out
        return None


def split_sign(text: str) -> tuple[int, str]:
    """(-1, "1,000") for "(1,000)", "-1,000", "−1,000" (unicode minus); (1, text) else."""
    s = text.strip()
    if s.startswith("(") and s.endswith(")"):
        return -1, s[1:-1].strip()
    if s[:1] in "-−–":
        return -1, s[1:].strip()
    if s[:1] == "+":
        return 1, s[1:].strip()
    return 1, s


def parse_scaled(text: str) -> Decimal | None:
    """An unsigned number with an optional scale word: "1.2k", "36.9 Million", "3 bn"."""
    match = _NUMBER_WITH_SCALE.match(text.strip().lower())
    if not match:
        return None
    number = parse_decimal(match["num"])
    if number is None:
        return None
    scale = match["scale"]
    if scale:
        factor = MULTIPLIERS.get(scale.rstrip("."))
        if factor is None:
            return None
        number *= factor
    return number


def parse_number(value: Any) -> Parsed:
    """One value of kind ``number``: a float, keeping a percentage as written (12% → 12)."""
    if isinstance(value, bool | np.bool_):
        return (float(value),), None
    if isinstance(value, int | float | np.integer | np.floating):
        return _finite(float(value))
    text = str(value).strip()
    if _SCIENTIFIC.match(text):  # "1.2E+06", as spreadsheets export big numbers
        return _finite(float(text))
    sign, body = split_sign(text)
    body = body.rstrip("%").strip()
    if body.startswith("(") and body.endswith(")"):  # "-(5)" is not a thing; "(5%)" is
        sign, body = -sign, body[1:-1].strip()
    number = parse_scaled(body)
    if number is None:
        return (None,), "not a number"
    return _finite(float(sign * number))


def _finite(number: float) -> Parsed:
    """Infinity (a float column's inf, or "1e999") is not a usable number."""
    return ((number,), None) if math.isfinite(number) else ((None,), "not a finite number")


def current_year() -> int:
    return datetime.now(UTC).year


_YEAR_IN_TEXT = re.compile(r"^(?:fy\s*|'|est\.?\s*|founded\s*(?:in\s*)?)?(\d{4})(?:\.0+)?$")
# "2016-10-20", "2016/10", "2016.10.20"; not "2016.5" (a decimal, so not a year).
_YEAR_PREFIX_OF_DATE = re.compile(
    r"^(\d{4})(?:[-/]\d{1,2}|\.\d{1,2}\.\d{1,2})(?:[-/.]\d{1,2})?(?:[ t].*)?$"
)


def parse_year(value: Any) -> Parsed:
    """One value of kind ``year``: 1800..this year, also from "FY2019" or "2016-10-20"."""
    year: int | None = None
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        if float(value).is_integer():
            year = int(value)
    else:
        text = str(value).strip().lower()
        match = _YEAR_IN_TEXT.match(text) or _YEAR_PREFIX_OF_DATE.match(text)
        if match:
            year = int(match[1])
        elif re.fullmatch(r"\d+(?:\.0+)?", text):
            year = int(float(text))
    if year is None:
        return (None,), "not a year"
    if year == 0:
        return (None,), "0 is not a year"
    if year < 1800:
        return (None,), "year before 1800"
    if year > current_year():
        return (None,), "year in the future"
    return (year,), None
