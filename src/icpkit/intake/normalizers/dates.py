"""Dates and timestamps in common formats → naive datetime64 (UTC when a zone is given).

Per value: ISO ("2016-10-20", "2016-10-20T13:00:00Z", "1996-07-04 00:00:00.000"),
numeric day/month/year with "/", "." or "-" ("10/20/2016", "20.10.2016", "10/20/16"),
compact "20161020", and month names ("Oct 20, 2016", "20-Oct-16",
"Thu, 20 Oct 2016 13:00:00 GMT", "October 2016" → the 1st).

Per column, decided by evidence and reported in ``Normalized.notes``:

- day-first or month-first: a value whose first number is above 12 proves
  day-first, one whose second number is above 12 proves month-first. With no
  evidence, dotted dates ("20.10.2016") are day-first by convention and all others
  month-first (the US default of CRM exports); a note says how many values were
  ambiguous. Values that contradict the column's order can only be read one way
  and are read that way (columns merged from two sources).
- numbers: only when *every* value is a number in a plausible range is the column
  read as Excel serial days (20000-80000: 1954-2119) or Unix seconds/milliseconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from dateutil import parser as dateutil_parser

from ._base import Parsed, clean_text, is_missing, is_placeholder

__all__ = ["DateFormat", "decide_format", "parse_date"]

_ISO = re.compile(
    r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"(?:[T\s]+(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[ap]\.?m\.?)?)"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?$",
    re.IGNORECASE,
)
_YEAR_MONTH = re.compile(r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})$|^(?P<m2>\d{1,2})[-/.](?P<y2>\d{4})$")
_CJK = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日")
_DOTNET = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")  # old Dynamics / ASP.NET JSON
# Month names in German, French and Spanish → English, for dateutil.
_MONTHS = {
    "januar": "jan", "janvier": "jan", "enero": "jan", "jänner": "jan",
    "februar": "feb", "février": "feb", "fevrier": "feb", "febrero": "feb",
    "märz": "mar", "maerz": "mar", "mars": "mar", "marzo": "mar",
    "avril": "apr", "abril": "apr",
    "mai": "may", "mayo": "may",
    "juni": "jun", "juin": "jun", "junio": "jun",
    "juli": "jul", "juillet": "jul", "julio": "jul",
    "août": "aug", "aout": "aug", "agosto": "aug",
    "septembre": "sep", "septiembre": "sep",
    "oktober": "oct", "okt": "oct", "octobre": "oct", "octubre": "oct",
    "novembre": "nov", "noviembre": "nov",
    "dezember": "dec", "dez": "dec", "décembre": "dec", "decembre": "dec", "diciembre": "dec",
}  # fmt: skip
_MONTH_NAMES = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b\.?", re.IGNORECASE)
_NUMERIC = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})\.?"
    r"(?:[T\s]+(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[ap]\.?m\.?)?))?$",
    re.IGNORECASE,
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH_WORD = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\b", re.IGNORECASE
)
_HAS_YEAR = re.compile(r"\d{4}|\b\d{1,2}[-\s/][a-z]{3,9}\.?[-\s/]\d{2}\b", re.IGNORECASE)
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_EXCEL_EPOCH = datetime(1899, 12, 30)


class DateFormat:
    """What a column's values look like: day-first or not, and how to read numbers."""

    def __init__(self, dayfirst: bool = False, numbers: str | None = None) -> None:
        self.dayfirst = dayfirst
        self.numbers = numbers  # None, "excel", "unix_s", "unix_ms", "compact"


def _time_part(text: str | None) -> tuple[int, int, int, int]:
    if not text:
        return 0, 0, 0, 0
    ampm = re.search(r"([ap])\.?m\.?$", text, re.IGNORECASE)
    clock = re.sub(r"\s*[ap]\.?m\.?$", "", text, flags=re.IGNORECASE)
    parts = re.split(r"[:.,]", clock)
    hour, minute = int(parts[0]), int(parts[1])
    second = int(parts[2]) if len(parts) > 2 else 0
    micro = int((parts[3] + "000000")[:6]) if len(parts) > 3 else 0
    if ampm:
        hour = hour % 12 + (12 if ampm[1].lower() == "p" else 0)
    return hour, minute, second, micro


def _tz_offset(tz: str | None) -> timedelta:
    if not tz or tz.upper() in ("Z", "UTC", "GMT"):
        return timedelta(0)
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def _two_digit_year(y: str) -> int:
    # Python's strptime rule: 69-99 → 1900s, 00-68 → 2000s.
    year = int(y)
    return year if len(y) == 4 else (1900 + year if year >= 69 else 2000 + year)


def _from_numbers(value: float, how: str) -> datetime:
    if how == "excel":
        return _EXCEL_EPOCH + timedelta(days=value)
    if how == "compact":
        text = str(int(value))
        return datetime(int(text[:4]), int(text[4:6]), int(text[6:]))
    seconds = value / 1000 if how == "unix_ms" else value
    return datetime.fromtimestamp(seconds, tz=UTC).replace(tzinfo=None)


def _parse_text(text: str, fmt: DateFormat) -> datetime | None:
    if match := _ISO.match(text):
        stamp = datetime(
            int(match["y"]), int(match["m"]), int(match["d"]), *_time_part(match["time"])
        )
        return stamp - _tz_offset(match["tz"])
    if match := _NUMERIC.match(text):
        a, b = int(match["a"]), int(match["b"])
        day_first = (fmt.dayfirst or a > 12) and b <= 12
        day, month = (a, b) if day_first else (b, a)
        return datetime(_two_digit_year(match["y"]), month, day, *_time_part(match["time"]))
    if match := _COMPACT.match(text):
        return datetime(int(match[1]), int(match[2]), int(match[3]))
    if match := _YEAR_MONTH.match(text):  # "2016-10", "10/2016": the first of the month
        return datetime(int(match["y"] or match["y2"]), int(match["m"] or match["m2"]), 1)
    if match := _CJK.match(text):
        return datetime(int(match[1]), int(match[2]), int(match[3]))
    if match := _DOTNET.match(text):
        return datetime.fromtimestamp(int(match[1]) / 1000, tz=UTC).replace(tzinfo=None)
    text = _MONTH_NAMES.sub(lambda m: _MONTHS[m[1].lower()], text)
    text = re.sub(r"\b(\d{1,2})\.\s+(?=[a-z])", r"\1 ", text, flags=re.IGNORECASE)  # "20. Oct"
    text = re.sub(r"\s+de\s+", " ", text, flags=re.IGNORECASE)  # "12 de octubre de 2016"
    if _MONTH_WORD.search(text) and _HAS_YEAR.search(text):
        parsed = dateutil_parser.parse(text, dayfirst=fmt.dayfirst, default=datetime(2000, 1, 1))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed
    return None


def parse_date(value: Any, fmt: DateFormat | None = None) -> Parsed:
    """One value of kind ``date`` → ((datetime,), problem), given the column's format."""
    fmt = fmt or DateFormat()
    try:
        if isinstance(value, datetime | date):
            stamp = pd.Timestamp(value)
            if stamp.tzinfo is not None:
                stamp = stamp.tz_convert("UTC").tz_localize(None)
            result: datetime | None = stamp.to_pydatetime()
        elif isinstance(value, int | float | np.integer | np.floating) or (
            fmt.numbers and _NUMBER.match(str(value))
        ):
            if fmt.numbers is None:
                return (None,), "a number, not a date"
            result = _from_numbers(float(value), fmt.numbers)
        else:
            result = _parse_text(str(value), fmt)
            if result is None and _NUMBER.match(str(value)):
                return (None,), "a number, not a date"
    except (ValueError, OverflowError):
        return (None,), "not a valid date"
    if result is None:
        return (None,), "not a date"
    if not 1800 <= result.year <= 2200:
        return (None,), "implausible date (before 1800 or after 2200)"
    return (result,), None


def _numbers_format(numbers: list[float]) -> str | None:
    lo, hi = min(numbers), max(numbers)
    if all(n.is_integer() and _COMPACT.match(str(int(n))) for n in numbers) and lo >= 18000101:
        return "compact"
    if lo >= 20000 and hi <= 80000:
        return "excel"
    if lo >= 1e9 and hi <= 4.2e9:
        return "unix_s"
    if lo >= 1e12 and hi <= 4.2e12:
        return "unix_ms"
    return None


def decide_format(uniques: Iterable[Any]) -> tuple[DateFormat, list[str]]:
    """Look at a column's distinct values; decide day-first and number reading; notes."""
    texts: list[str] = []
    numbers: list[float] = []
    total = 0
    for raw in uniques:
        if is_missing(raw) or isinstance(raw, datetime | date):
            continue
        if isinstance(raw, int | float | np.integer | np.floating) and not isinstance(raw, bool):
            total += 1
            numbers.append(float(raw))
            continue
        text = clean_text(raw)
        if is_placeholder(text):
            continue
        total += 1
        texts.append(text)
        if _NUMBER.match(text):
            numbers.append(float(text))
    notes: list[str] = []
    fmt = DateFormat()
    finite = [n for n in numbers if math.isfinite(n)]
    if finite and len(numbers) == total:
        fmt.numbers = _numbers_format(finite)
        if fmt.numbers:
            notes.append(f"numbers read as {_NUMBER_NAMES[fmt.numbers]}")
    pairs = [(int(m["a"]), int(m["b"]), m["sep"]) for t in texts if (m := _NUMERIC.match(t))]
    day_evidence = sum(1 for a, b, _ in pairs if a > 12 and b <= 12)
    month_evidence = sum(1 for a, b, _ in pairs if b > 12 and a <= 12)
    dotted = sum(1 for *_, sep in pairs if sep == ".")
    if day_evidence or month_evidence:
        fmt.dayfirst = day_evidence > month_evidence
        order = "day-first" if fmt.dayfirst else "month-first"
        notes.append(
            f"dates read {order} (evidence: {day_evidence} day-first, {month_evidence} month-first)"
        )
    elif pairs:
        fmt.dayfirst = dotted > len(pairs) / 2
        ambiguous = sum(1 for a, b, _ in pairs if a != b)
        if ambiguous:
            order = "day-first (dotted dates)" if fmt.dayfirst else "month-first (default)"
            notes.append(f"{ambiguous} ambiguous dates like {_example(pairs)} read {order}")
    return fmt, notes


def _example(pairs: list[tuple[int, int, str]]) -> str:
    a, b, sep = next(p for p in pairs if p[0] != p[1])
    return f"'{a:02d}{sep}{b:02d}'"


_NUMBER_NAMES = {
    "excel": "Excel serial days",
    "unix_s": "Unix seconds",
    "unix_ms": "Unix milliseconds",
    "compact": "YYYYMMDD",
}
