"""Money amounts → a number in the stated currency's units plus an ISO 4217 code.

"$1.2M" → 1200000 USD, "€3 bn" → 3e9 EUR, "36.9 Million" → 36900000 USD,
"(1,000)" → -1000, "1.234.567,89 EUR" → 1234567.89 EUR, "£2.5k" → 2500 GBP.
No symbol means USD. A range ("$1M-$5M", as revenue bands are exported) gives
its midpoint; "$1B+" gives its lower bound. No FX conversion: the currency column
says what the number is in.
"""

from __future__ import annotations

import csv
import math
import re
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from ._base import Parsed
from .numbers import parse_scaled, split_sign

__all__ = ["CURRENCY_SYMBOLS", "parse_money"]

#: Symbols and prefixes → ISO 4217. Longer ones are tried first ("US$" before "$").
CURRENCY_SYMBOLS: dict[str, str] = {
    "us$": "USD",
    "u$s": "USD",
    "usd$": "USD",
    "ca$": "CAD",
    "c$": "CAD",
    "cad$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "nz$": "NZD",
    "s$": "SGD",
    "hk$": "HKD",
    "mx$": "MXN",
    "r$": "BRL",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "￥": "JPY",
    "円": "JPY",
    "元": "CNY",
    "rmb": "CNY",
    "₹": "INR",
    "rs": "INR",
    "rs.": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
    "₪": "ILS",
    "₦": "NGN",
    "₱": "PHP",
    "฿": "THB",
    "zł": "PLN",
    "kč": "CZK",
    "fr.": "CHF",
    "sfr": "CHF",
    "euro": "EUR",
    "euros": "EUR",
    "dollar": "USD",
    "dollars": "USD",
    "pound": "GBP",
    "pounds": "GBP",
    "yen": "JPY",
}


@cache
def _iso_codes() -> frozenset[str]:
    data = resources.files(__package__) / "data" / "currencies.csv"
    with data.open(encoding="utf-8") as f:
        return frozenset(row["code"] for row in csv.DictReader(f))


_CODE = re.compile(r"(?<![A-Za-z])([A-Z]{3}|[a-z]{3})(?![A-Za-z])")
_RANGE = re.compile(r"^(?P<lo>.+?)\s*(?:-|–|—|\bto\b)\s*(?P<hi>.+)$")


_PLAIN = re.compile(r"^[\d.,\s()+\-−]*$")


@cache
def _symbols() -> re.Pattern[str]:
    # Longest first, so "us$" wins over "$" where both start.
    ordered = sorted(CURRENCY_SYMBOLS, key=len, reverse=True)
    return re.compile("|".join(re.escape(symbol) for symbol in ordered))


def _take_currency(text: str) -> tuple[str | None, str]:
    """Find and remove one currency marker, leftmost first; (code or None, rest)."""
    if _PLAIN.match(text):  # the common case: just a number
        return None, text
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters grow when lowercased
        lowered = text
    for match in _symbols().finditer(lowered):
        at, end = match.span()
        # Word-like markers ("rs", "euro") must stand alone, not inside "Mrs" or "eurostar".
        if match[0][0].isalpha() and (
            (at > 0 and lowered[at - 1].isalpha())
            or (end < len(lowered) and lowered[end].isalpha())
        ):
            continue
        return CURRENCY_SYMBOLS[match[0]], (text[:at] + " " + text[end:]).strip()
    for code_match in _CODE.finditer(text):
        code = code_match[1].upper()
        if code in _iso_codes():
            return code, (text[: code_match.start()] + " " + text[code_match.end() :]).strip()
    return None, text


def _amount(text: str) -> Decimal | None:
    sign, body = split_sign(text)
    if body.startswith("(") and body.endswith(")"):
        sign, body = -sign, body[1:-1]
    body = body.strip().rstrip(".").strip()
    # "1,2 Mio." / "3 bn" / "36.9 Million": parse_scaled takes a number and a scale word.
    number = parse_scaled(body)
    return None if number is None else sign * number


def _range(text: str) -> tuple[Decimal | None, str | None]:
    """Midpoint and currency of "$1M-$5M", "10-50 million", "$1-5M" (None when not a range)."""
    match = _RANGE.match(text)
    if not match or text.startswith("-"):
        return None, None
    lo_cur, lo_text = _take_currency(match["lo"])
    hi_cur, hi_text = _take_currency(match["hi"])
    lo, hi = _amount(lo_text), _amount(hi_text)
    if lo is None or hi is None or (lo_cur and hi_cur and lo_cur != hi_cur):
        return None, None
    scaled = re.fullmatch(r"([\d.,\s]+?)\s*([a-z]+\.?)", hi_text.strip().lower())
    bare_hi = _amount(scaled[1]) if scaled else None
    if scaled and bare_hi is not None and re.fullmatch(r"[\d.,\s]+", lo_text) and lo < bare_hi:
        # "$1-5M": the scale on the upper bound applies to both ("$500-1M" keeps its own).
        lo = _amount(f"{lo_text} {scaled[2]}")
    if lo is None:
        return None, None
    return (lo + hi) / 2, lo_cur or hi_cur


_NOISE = re.compile(
    r"\((?:est\.?|estimated|approx\.?)\)|\b(?:approx(?:imately)?|about|around|circa|ca|est(?:imated)?)\b\.?|[~≈]",
    re.IGNORECASE,
)
_AT_LEAST = re.compile(r"^(?:>=?|≥|over|more than|above|at least)\s*", re.IGNORECASE)
_LESS_THAN = re.compile(r"^(?:<=?|≤|under|less than|below|up to)\s*", re.IGNORECASE)


def _parse_text(text: str) -> tuple[float | None, str | None]:
    text = _NOISE.sub(" ", text).strip()
    if bound := _AT_LEAST.match(text):  # "Over $1B": the lower bound stands for itself
        text = text[bound.end() :]
    elif bound := _LESS_THAN.match(text):  # "< $1M": the band 0..1M, so its midpoint
        upper, upper_currency = _parse_text(text[bound.end() :])
        return (None, None) if upper is None or upper <= 0 else (upper / 2, upper_currency)
    currency, rest = _take_currency(text)
    if currency is not None:  # a second marker ("$5 USD") is allowed if it agrees
        second, rest2 = _take_currency(rest)
        if second is not None and second == currency:
            rest = rest2
    if rest.rstrip().endswith("+"):  # "$1B+": the lower bound stands for itself
        rest = rest.rstrip()[:-1]
    amount = _amount(rest)
    if amount is None:
        amount, range_currency = _range(rest)
        if currency and range_currency and currency != range_currency:
            return None, None
        currency = currency or range_currency
    if amount is None:
        return None, None
    return float(amount), currency or "USD"


def parse_money(value: Any) -> Parsed:
    """One value of kind ``money`` → ((amount, currency), problem)."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    ):
        if not math.isfinite(float(value)):
            return (None, None), "not a finite amount"
        return (float(value), "USD"), None
    amount, currency = _parse_text(str(value))
    if amount is None:
        return (None, None), "not a money amount"
    if not math.isfinite(amount):
        return (None, None), "not a finite amount"
    return (amount, currency), None
