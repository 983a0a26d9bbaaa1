"""Render clean values the way real CRM exports spell them: ranges, money strings, variants.

Every function takes clean NumPy arrays and a generator and returns an object array of
strings (None = empty cell). Formatting runs once per distinct value, so big tables stay fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ._tables import COUNTRIES, INDUSTRIES

__all__ = [
    "PLACEHOLDERS",
    "UNREADABLE",
    "blank",
    "choose",
    "country_names",
    "dates",
    "employees",
    "id_text",
    "industry_labels",
    "junk",
    "money",
    "table",
    "websites",
]

# LinkedIn-style employee bands, as exports write them.
_BANDS = (
    (1, 11, "1-10"),
    (11, 51, "11-50"),
    (51, 201, "51-200"),
    (201, 501, "201-500"),
    (501, 1001, "501-1,000"),
    (1001, 5001, "1,001-5,000"),
    (5001, 10001, "5,001-10,000"),
    (10001, 10**9, "10,001+"),
)
_K_BANDS = (
    (1, 1001, "1-1K"),
    (1001, 5001, "1K-5K"),
    (5001, 10001, "5K-10K"),
    (10001, 10**9, "10K+"),
)


def table(columns: dict[str, Any]) -> pd.DataFrame:
    """A DataFrame keeping text columns as plain object arrays.

    pandas 3 would otherwise convert every text column to its Arrow-backed string dtype, which
    costs more than generating the data; the files written are identical either way.
    """
    data: dict[str, Any] = {}
    n = next((len(v) for v in columns.values() if np.ndim(v) > 0), 0)
    for name, values in columns.items():
        if np.ndim(values) == 0:
            values = np.full(n, values, dtype=object if isinstance(values, str) else None)
        if isinstance(values, pd.Series) and values.dtype != object:
            data[name] = values.reset_index(drop=True)  # already typed (e.g. Arrow strings)
            continue
        arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
        if arr.dtype.kind in "OUS":
            data[name] = pd.Series(arr.astype(object, copy=False), dtype=object, copy=False)
        else:
            data[name] = arr
    return pd.DataFrame(data)


def id_text(ids: np.ndarray) -> pd.Series:
    """Integer ids as text ids, converted in Arrow (no Python string per row)."""
    arr = pa.array(np.asarray(ids, dtype=np.int64)).cast(pa.string())
    return pd.Series(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _per_unique(values: np.ndarray, fmt: Callable[[object], str | None]) -> np.ndarray:
    """Apply a Python formatter once per distinct value and map back."""
    uniq, inverse = np.unique(values, return_inverse=True)
    return np.array([fmt(v) for v in uniq.tolist()], dtype=object)[inverse]


def choose(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def variants(
    values: np.ndarray,
    rng: np.random.Generator,
    weights: Sequence[float],
    forms: Sequence[Callable[[str], str]],
) -> np.ndarray:
    """Spell each value in one of ``forms`` (chosen by ``weights``), once per distinct value."""
    codes, uniq = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    table = np.array(
        [[f(u) for f in forms] for u in uniq.tolist()] + [[None] * len(forms)], dtype=object
    )
    style = choose(rng, len(values), weights)
    return table[codes, style]  # code -1 (missing) reads the last row: None


# What people type instead of a value: placeholders mean "empty"; the rest cannot be read.
PLACEHOLDERS = ("N/A", "n/a", "-", "NULL")
UNREADABLE = {
    "employees": ("TBD", "lots", "ask sales"),
    "money": ("TBD", "confidential", "ask finance"),
    "country": ("Atlantis", "Mars", "Narnia"),
}


def junk(
    values: np.ndarray,
    rng: np.random.Generator,
    kind: str,
    share: tuple[float, float] = (0.005, 0.002),
) -> np.ndarray:
    """Replace a few cells by placeholders (``share[0]``) and unreadable text (``share[1]``)."""
    out = np.asarray(values, dtype=object).copy()
    u = rng.random(len(out))
    hole = u < share[0]
    bad = (u >= share[0]) & (u < share[0] + share[1])
    out[hole] = np.array(PLACEHOLDERS, dtype=object)[rng.integers(0, len(PLACEHOLDERS), hole.sum())]
    words = UNREADABLE[kind]
    out[bad] = np.array(words, dtype=object)[rng.integers(0, len(words), bad.sum())]
    return out


def blank(values: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """Empty a random ``share`` of cells: real exports always have holes."""
    out = np.asarray(values, dtype=object).copy()
    out[rng.random(len(out)) < share] = None
    return out


def _band(value: float, bands: tuple[tuple[int, int, str], ...]) -> str:
    return next(label for lo, hi, label in bands if lo <= value < hi)


def employees(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mostly plain counts, some with thousands separators, some LinkedIn or 'K' ranges."""
    style = choose(rng, len(values), [0.74, 0.1, 0.1, 0.04, 0.02])
    plain = pd.Series(values).astype(str).to_numpy(dtype=object)
    comma = _per_unique(values, lambda v: f"{v:,}")
    bands = _per_unique(values, lambda v: _band(float(v), _BANDS))  # type: ignore[arg-type]
    kband = _per_unique(values, lambda v: _band(float(v), _K_BANDS))  # type: ignore[arg-type]
    out = np.select([style == 0, style == 1, style == 2, style == 3], [plain, comma, bands, kband])
    out = out.astype(object)
    out[style == 4] = None
    return out


def _short(value: float, symbol: str) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{symbol}{value / size:.3g}{suffix}"
    return f"{symbol}{value:.0f}"


def _words(value: float, code: str) -> str:
    for size, word in ((1e9, "bn"), (1e6, "million"), (1e3, "K")):
        if abs(value) >= size:
            return f"{code}{value / size:.3g} {word}"
    return f"{code}{value:.0f}"


_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(values: np.ndarray, currency: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """'1200000', '1,200,000', '$1.2M', '€3 bn', 'USD 4.5 million', with holes for NaN.

    ``currency`` (ISO 4217 per row) is what the amount is stated in; values are not converted.
    """
    n = len(values)
    out = np.full(n, None, dtype=object)
    ok = ~np.isnan(values)
    style = choose(rng, n, [0.3, 0.25, 0.3, 0.15])
    rounded = np.where(ok, values, 0.0)
    # Short forms show 3 significant digits: round first, so there are few values to format.
    mag = 10.0 ** (np.floor(np.log10(np.maximum(np.abs(rounded), 1.0))) - 2)
    three = np.round(rounded / mag) * mag
    for code in np.unique(currency):
        sym = _SYMBOL.get(str(code), str(code) + " ")
        cur = ok & (currency == code)
        formats: tuple[Callable[[Any], str], ...] = (
            "{:.0f}".format,
            "{:,.0f}".format,
            partial(_short, symbol=sym),
            # 'USD 4.5 million' but '€3 bn', '£750 K': symbols for the non-dollar currencies.
            partial(_words, code="USD " if code == "USD" else sym),
        )
        for s, fmt in enumerate(formats):
            rows = cur & (style == s)
            if rows.any():
                out[rows] = _per_unique((rounded if s < 2 else three)[rows], fmt)
    return out


def country_names(country_idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Country per row in one of its spellings ('USA', 'United States', 'Deutschland', 'UK')."""
    width = max(len(c.names) for c in COUNTRIES)
    table = np.array([list(c.names) + [c.names[0]] * (width - len(c.names)) for c in COUNTRIES])
    counts = np.array([len(c.names) for c in COUNTRIES])[country_idx]
    # The first spelling is the most common: half the rows, the rest spread over variants.
    variant = np.where(
        rng.random(len(country_idx)) < 0.5, 0, (rng.random(len(country_idx)) * counts).astype(int)
    )
    return table[country_idx, variant].astype(object)


def industry_labels(industry_idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Salesforce picklist labels and their variants per canonical industry."""
    width = max(len(i.salesforce_labels) for i in INDUSTRIES)
    table = np.array(
        [
            list(i.salesforce_labels)
            + [i.salesforce_labels[0]] * (width - len(i.salesforce_labels))
            for i in INDUSTRIES
        ]
    )
    counts = np.array([len(i.salesforce_labels) for i in INDUSTRIES])[industry_idx]
    n = len(industry_idx)
    variant = np.where(rng.random(n) < 0.55, 0, (rng.random(n) * counts).astype(int))
    return table[industry_idx, variant].astype(object)


def websites(domains: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """'https://www.x.com', 'www.x.com', 'x.com', 'http://x.com/about', 'X.com'."""
    forms: tuple[Callable[[np.ndarray], np.ndarray], ...] = (
        lambda d: "https://www." + d,
        lambda d: "www." + d,
        lambda d: d,
        lambda d: "http://" + d + "/about",
        lambda d: "https://" + d + "/",
        lambda d: np.array([x[:1].upper() + x[1:] for x in d], dtype=object),
    )
    style = choose(rng, len(domains), [0.3, 0.25, 0.2, 0.1, 0.1, 0.05])
    out = np.asarray(domains, dtype=object).copy()
    for k, form in enumerate(forms):
        rows = style == k
        out[rows] = form(out[rows])  # each form only on its own rows
    return out


def _date_text(days: np.ndarray, style: str) -> list[str]:
    iso = np.datetime_as_string(days, unit="D").tolist()
    if style == "iso":
        return iso
    if style == "sf":
        return [f"{d}T00:00:00.000Z" for d in iso]
    if style == "hs":
        return [f"{d} 00:00" for d in iso]
    return [f"{int(d[5:7])}/{int(d[8:10])}/{d[:4]}" for d in iso]


def dates(values: np.ndarray, style: str) -> np.ndarray:
    """Dates as text: 'iso' 2024-03-05, 'sf' 2024-03-05T00:00:00.000Z, 'us' 3/5/2024,
    'hs' 2024-03-05 00:00. Formatted once per distinct day (a few thousand at most)."""
    days = np.asarray(values).astype("datetime64[D]")
    missing = np.isnat(days)
    out = np.full(len(days), None, dtype=object)
    if (~missing).any():
        uniq, inverse = np.unique(days[~missing], return_inverse=True)
        out[~missing] = np.array(_date_text(uniq, style), dtype=object)[inverse]
    return out
