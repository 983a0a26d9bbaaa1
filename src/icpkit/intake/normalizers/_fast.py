"""Vectorised fast paths for the common, clean value shapes of high-cardinality columns.

The per-value parsers parse each *distinct* value once, which is cheap for CRM
picklists but costs ~10 µs a value for columns where every row differs (ids,
names, websites, amounts, timestamps). Here those distinct values are checked
with pyarrow compute in one pass: a value whose shape is proven to give the same
answer as its parser (a plain id, "acme.com", "1,200", "2021-03-04T10:00:00Z")
gets its result vectorised; every other value still goes through its parser.

Each fast path returns ``(handled, outputs)``: a boolean mask over the distinct
values and, per output column, an object array of results for the handled ones.
A handled value is never a placeholder and never a problem (those stay with the
parsers, which count and explain them). tests/test_normalizers_fast.py checks
fast and slow paths agree on random and odd inputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._base import PLACEHOLDERS, FastPath, distinct_rows
from .employees import EMPLOYEE_BANDS

__all__ = [
    "FastPath",
    "clean",
    "clean_text_column",
    "fast_date",
    "fast_domain",
    "fast_employees",
    "fast_money",
    "fast_number",
    "fast_text",
    "iso_dates",
]


# Every character Python's str.strip() and regex \s treat as whitespace, but " ".
_OTHER_SPACES = "".join(
    f"\\x{{{code:x}}}" for code in range(0x110000) if chr(code).isspace() and code != 0x20
)
# Leading/trailing space, a run of spaces, or any other whitespace: clean_text would
# change the value, so the parser must see it.
_NOT_CLEAN = f"^ | $|  |[{_OTHER_SPACES}]"
_PLACEHOLDER_LENGTH = max(len(p) for p in PLACEHOLDERS)


def clean(array: pa.Array) -> np.ndarray:
    """True where clean_text(v) == v, v.strip() == v and v is not a placeholder."""
    ok = pc.invert(pc.match_substring_regex(array, _NOT_CLEAN))
    length = pc.utf8_length(array)
    ok = pc.and_(ok, pc.greater(length, 0))
    # casefold never shortens text, so only short values can be placeholders. Non-ASCII
    # short ones ("ſelect" casefolds to "select") are left to the parser.
    short = pc.less_equal(length, _PLACEHOLDER_LENGTH)
    maybe = pc.or_(
        pc.invert(pc.string_is_ascii(array)),
        pc.is_in(pc.utf8_lower(array), value_set=pa.array(sorted(PLACEHOLDERS))),
    )
    ok = pc.and_(ok, pc.invert(pc.and_(short, maybe)))
    return _mask(ok)


# No placeholder has a digit: a value with one is never a placeholder.
_NO_DIGIT_PLACEHOLDER = not any(c.isdigit() for p in PLACEHOLDERS for c in p)


def _clean_number(array: pa.Array, matched: np.ndarray) -> np.ndarray:
    """``clean(array)`` where ``matched``: values a plain-number pattern matched (digits,
    commas, a dot, a sign, no space at all) are clean and never a placeholder, so the
    check is needed only if some placeholder had a digit."""
    return matched if _NO_DIGIT_PLACEHOLDER else matched & clean(array)


def _mask(array: pa.Array) -> np.ndarray:
    return np.asarray(array.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _objects(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=object)


def fast_text(array: pa.Array) -> tuple[np.ndarray, list[np.ndarray]]:
    """ids, text, categories: a clean value is its own result."""
    handled = clean(array)
    return handled, [_objects(array.filter(pa.array(handled)))]


def clean_text_column(values: pd.Series) -> pd.Series | None:
    """An id/text/category column of mostly distinct, all clean values is its own result.

    Skips factorising and parsing altogether (ids and names); None when it does not apply.
    """
    array = distinct_rows(values)
    if array is None or not clean(array.drop_null()).all():
        return None
    return pd.Series(values.astype("str").array, index=values.index)


# A host of plain ASCII labels and a letter TLD; with "www." removed, still two labels.
_HOST = r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


def fast_domain(array: pa.Array) -> tuple[np.ndarray, list[np.ndarray]]:
    """Domains and http(s) URLs like "https://www.Acme.com/about" → "acme.com".

    Values with "@", "<", ">", spaces or non-ASCII text (emails, "Name <a@b>",
    IDNs) go to the parser; so do ports, other schemes and trailing dots, which
    leave a ":" or "." where _HOST does not allow one.
    """
    # ASCII whitespace and control characters are all below "!": no clean_text or strip
    # to mirror. Placeholders never make a valid host ("n.a." ends with a dot).
    ok = _mask(pc.string_is_ascii(array))
    ok &= ~_mask(pc.match_substring_regex(array, r"[\x00-\x20@<>]"))
    lowered = pc.utf8_lower(array)
    https, http = pc.starts_with(lowered, "https://"), pc.starts_with(lowered, "http://")
    rest = pc.if_else(
        https,
        pc.utf8_slice_codeunits(lowered, 8),
        pc.if_else(http, pc.utf8_slice_codeunits(lowered, 7), lowered),
    )
    host = pc.list_element(pc.split_pattern_regex(rest, "[/?#]", max_splits=1), 0)
    host = pc.replace_substring_regex(host, r"^www[0-9]*\.", "", max_replacements=1)
    handled = ok & _mask(pc.match_substring_regex(host, _HOST))
    return handled, [_objects(host.filter(pa.array(handled)))]


# Plain decimals: "1200", "-3.5", "1,200", "1,234,567.89" (comma thousands groups).
_NUMBER = r"^-?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?$"


def _plain_numbers(array: pa.Array, pattern: str) -> tuple[np.ndarray, np.ndarray]:
    """(mask, float values) for values matching ``pattern`` once commas are dropped.

    At most 25 characters: the parsers go through Decimal, whose 28 significant
    digits would round a longer number once before float() rounds it again.
    """
    match = _mask(pc.match_substring_regex(array, pattern))
    match &= _mask(pc.less_equal(pc.utf8_length(array), 25))
    digits = pc.replace_substring(array, ",", "")
    digits = pc.if_else(pa.array(match), digits, pa.scalar("0", pa.large_string()))
    numbers = np.asarray(pc.cast(digits, pa.float64()).to_numpy(zero_copy_only=False))
    return match & np.isfinite(numbers), numbers


def fast_number(array: pa.Array) -> tuple[np.ndarray, list[np.ndarray]]:
    """kind number: "1200", "-3.5", "1,200.50" → float."""
    handled, numbers = _plain_numbers(array, _NUMBER)
    handled = _clean_number(array, handled)
    return handled, [_floats(numbers[handled])]


# Scaled amounts as CRMs export revenue: "$111M", "€87.3M", "USD 4.5 million", "£9 K" — a
# currency (a symbol, or a code and a space) or none (dollars), an unsigned decimal of at
# most 15 characters, and a scale word or letter (a space before it or not) or none.
# Decimal's 28 digits hold such a number times 10^9 exactly, so the parser's float() rounds
# once, as the cast of "87.3e6" does. Single spaces only where shown: clean_text leaves
# the value as it is.
_SCALED = (
    r"^(?P<currency>[$€£]|USD |EUR |GBP )?(?P<number>[0-9]+(?:\.[0-9]+)?)"
    r"(?: ?(?P<scale>[KkMmBb]|million|Million|bn))?$"
)
_CURRENCIES = {"": "USD", "$": "USD", "€": "EUR", "£": "GBP"}
_EXPONENTS = {"": "", "K": "e3", "k": "e3", "M": "e6", "m": "e6", "million": "e6", "Million": "e6"}
_EXPONENTS |= {"B": "e9", "b": "e9", "bn": "e9"}


def _scaled(array: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mask, amounts, currencies) of the scaled amounts among the values."""
    parts = pc.extract_regex(array, _SCALED)
    scaled = _mask(pc.is_valid(parts))
    number = pc.struct_field(parts, "number")
    scaled &= _mask(pc.less_equal(pc.utf8_length(number), 15)) & _NO_DIGIT_PLACEHOLDER
    amounts = np.full(len(array), np.nan)
    currencies = np.full(len(array), None, dtype=object)
    if scaled.any():
        keep = pa.array(scaled)
        # All in Arrow: "87.3" and "M" read as the text "87.3e6", cast to a float (one
        # rounding, as the parser's); the currency symbol or code looked up.
        scale = pc.struct_field(parts, "scale").filter(keep)
        exponent = _lookup(scale, _EXPONENTS, None)
        joined = pc.binary_join_element_wise(
            number.filter(keep), exponent, pa.scalar("", scale.type)
        )
        amounts[scaled] = pc.cast(joined, pa.float64()).to_numpy(zero_copy_only=False)
        code = pc.utf8_trim_whitespace(pc.struct_field(parts, "currency").filter(keep))
        currencies[scaled] = _lookup(code, _CURRENCIES, code).to_numpy(zero_copy_only=False)
    return scaled & np.isfinite(amounts), amounts, currencies


def _lookup(keys: pa.Array, table: dict[str, str], default: pa.Array | None) -> pa.Array:
    """``table[key]`` for each key (``default``'s value where the table lacks it)."""
    found = pc.take(
        pa.array(list(table.values()), keys.type),
        pc.index_in(keys, pa.array(list(table), keys.type)),
    )
    return found if default is None else pc.coalesce(found, default)


def fast_money(array: pa.Array) -> tuple[np.ndarray, list[np.ndarray]]:
    """kind money: a plain number or "$" and a plain unsigned number → (float, "USD");
    a scaled amount ("$111M", "USD 4.5 million") → (float, its currency)."""
    dollar = _mask(pc.starts_with(array, "$"))
    body = pc.utf8_slice_codeunits(array, 1)
    body = pc.if_else(pa.array(dollar), body, array)
    plain, numbers = _plain_numbers(body, _NUMBER)
    # "$" then a plain number: clean too ("$" is no space, and no placeholder has a digit).
    plain = _clean_number(array, plain) & ~(dollar & _mask(pc.starts_with(body, "-")))
    # Scaled amounts among the others only: most exported amounts are plain numbers.
    scaled = np.zeros(len(array), dtype=bool)
    amounts = np.full(len(array), np.nan)
    currencies = np.full(len(array), None, dtype=object)
    if not plain.all():
        rest = np.flatnonzero(~plain)
        scaled[rest], amounts[rest], currencies[rest] = _scaled(array.take(pa.array(rest)))
    handled = plain | scaled
    currency = np.where(scaled, currencies, "USD")[handled]
    return handled, [_floats(np.where(scaled, amounts, numbers)[handled]), currency]


_COUNT = r"^(?:[0-9]{1,15}|[0-9]{1,3}(?:,[0-9]{3}){1,4})$"


def fast_employees(array: pa.Array) -> tuple[np.ndarray, list[np.ndarray]]:
    """kind employees: a whole count "350", "1,200" (not 0) → (count, band)."""
    handled, numbers = _plain_numbers(array, _COUNT)
    handled = _clean_number(array, handled) & (numbers >= 1)
    counts = numbers[handled]
    uppers = np.array([upper for _, upper in EMPLOYEE_BANDS])
    labels = np.array([label for label, _ in EMPLOYEE_BANDS], dtype=object)
    bands = labels[np.searchsorted(uppers, counts, side="left")]
    return handled, [_floats(counts), bands]


def _floats(values: np.ndarray) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = [float(v) for v in values]
    return out


_ISO = (
    r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[T ](?P<hh>[0-9]{2}):(?P<mm>[0-9]{2}):(?P<ss>[0-9]{2})(?:\.(?P<f>[0-9]+))?Z?)?$"
)


def iso_dates(array: pa.Array) -> np.ndarray:
    """Where values look like "2016-10-20" or "2016-10-20T13:00:00.000Z" (not yet validated)."""
    return clean(array) & _mask(pc.match_substring_regex(array, _ISO))


def fast_date(array: pa.Array) -> tuple[np.ndarray, list[np.ndarray]]:
    """ISO dates and UTC timestamps → nanoseconds since 1970 (ints in an object array).

    Out-of-range fields (month 13, 30 February, 25:00) and years outside 1800-2200
    are left to the parser, which explains them.
    """
    shaped = iso_dates(array)
    parts = pc.extract_regex(pc.if_else(pa.array(shaped), array, "2000-01-01"), _ISO)

    def field(name: str, default: str = "0") -> np.ndarray:
        text = pc.fill_null(parts.field(name), default)
        text = pc.if_else(pc.equal(text, ""), default, text)
        return np.asarray(pc.cast(text, pa.int64()).to_numpy(zero_copy_only=False))

    year, month, day = field("y"), field("m"), field("d")
    hour, minute, second = field("hh"), field("mm"), field("ss")
    # Python reads at most six fraction digits (microseconds) and ignores the rest.
    fraction = pc.utf8_slice_codeunits(
        pc.utf8_rpad(pc.fill_null(parts.field("f"), ""), 6, "0"), 0, 6
    )
    micro = np.asarray(pc.cast(fraction, pa.int64()).to_numpy(zero_copy_only=False))
    ok = shaped & (year >= 1800) & (year <= 2200) & (month >= 1) & (month <= 12)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59) & (day >= 1)
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    ok &= day <= ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    stamps = (
        first.astype("datetime64[ns]")
        + (np.where(ok, day, 1) - 1).astype("timedelta64[D]")
        + hour.astype("timedelta64[h]")
        + minute.astype("timedelta64[m]")
        + second.astype("timedelta64[s]")
        + micro.astype("timedelta64[us]")
    )
    nanos = np.empty(int(ok.sum()), dtype=object)
    nanos[:] = stamps[ok].view(np.int64).tolist()
    return ok, [nanos]
