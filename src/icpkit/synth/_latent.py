"""The latent (clean) companies: true firmographics and technographics, before any mess.

Columns use the canonical names of :mod:`icpkit.schema` (industry = taxonomy label,
employees = a number, country = ISO-2, one ``tech_<slug>`` flag per technology), so the
planted rules in truth.json read exactly like rules over intake's normalised output.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._tables import (
    BRAND_HEADS,
    BRAND_TAILS,
    CLOUDS,
    COUNTRIES,
    DESCRIPTORS,
    FUNDING_TYPES,
    INDUSTRIES,
    LEGAL,
    TECHNOLOGIES,
)

__all__ = ["REFERENCE_DATE", "latent_companies", "tech_lists"]

# The world's "today": fixed, so the same seed gives the same files on any day.
REFERENCE_DATE = np.datetime64("2025-06-30", "D")
_DAY = np.timedelta64(1, "D")
_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default text dtype


def _pick(rng: np.random.Generator, weights: list[float], n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _words(words: tuple[str, ...] | list[str], idx: np.ndarray) -> pa.Array:
    return pa.array(words, type=pa.string()).take(pa.array(idx))


def _names(rng: np.random.Generator, country: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Company names and unique web domains (duplicates get a number, like real ones do).

    Strings are assembled with Arrow compute: a million names take milliseconds, where
    element-wise Python string concatenation takes seconds.
    """
    n = len(country)
    h = rng.integers(0, len(BRAND_HEADS), n)
    t = rng.integers(0, len(BRAND_TAILS), n)
    d = rng.integers(0, len(DESCRIPTORS), n)
    legal = rng.integers(0, len(LEGAL), n)
    spaced = [f" {w}" if w else "" for w in DESCRIPTORS], [f" {w}" if w else "" for w in LEGAL]
    name = pc.binary_join_element_wise(
        _words(BRAND_HEADS, h),
        _words(BRAND_TAILS, t),
        _words(spaced[0], d),
        _words(spaced[1], legal),
        "",
    )
    # Domains: brand + descriptor + TLD, numbered when taken ('acme2.com'). The parts are
    # chosen so that distinct (head, tail, descriptor) spell distinct text (a test checks),
    # so an integer key finds duplicates without hashing a million strings.
    descs = sorted(set(DESCRIPTORS))
    d_id = np.array([descs.index(w) for w in DESCRIPTORS])[d]
    tlds = sorted({c.tld for c in COUNTRIES} | {"com"})
    local = np.array([tlds.index(c.tld) for c in COUNTRIES])[country]
    tld_id = np.where(rng.random(n) < 0.6, local, tlds.index("com"))
    key = ((h * len(BRAND_TAILS) + t) * len(descs) + d_id) * len(tlds) + tld_id
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.r_[0, np.flatnonzero(sorted_key[1:] != sorted_key[:-1]) + 1]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    numbers = [""] + [str(k + 1) for k in range(1, int(rank.max(initial=0)) + 1)]
    domain = pc.binary_join_element_wise(
        _words([w.lower() for w in BRAND_HEADS], h),
        _words(BRAND_TAILS, t),
        _words([w.lower() for w in descs], d_id),
        _words(numbers, rank),
        _words([f".{x}" for x in tlds], tld_id),
        "",
    )
    return name, domain


def _technologies(
    rng: np.random.Generator, industry: np.ndarray, log10_emp: np.ndarray
) -> dict[str, np.ndarray]:
    flags: dict[str, np.ndarray] = {}
    labels = [i.label for i in INDUSTRIES]
    for tech in TECHNOLOGIES:
        bump = np.zeros(len(labels))
        for label, value in tech.industry_bumps:
            bump[labels.index(label)] = value
        logit = tech.logit + tech.size_coef * (log10_emp - 2.0) + bump[industry]
        flags[tech.column] = rng.random(len(industry)) < 1.0 / (1.0 + np.exp(-logit))
    return flags


def _tech_codes(flags: pd.DataFrame, spell: np.ndarray | None) -> tuple[np.ndarray, list[str]]:
    """Per row, the index of its ';'-joined list among the distinct lists (built once each)."""
    cols = [t.column for t in TECHNOLOGIES]
    bits = flags[cols].to_numpy(dtype=np.int64)
    code = bits @ (np.int64(1) << np.arange(len(cols), dtype=np.int64))
    variants = 3 if spell is not None else 1  # at most 3 spellings per technology
    if spell is not None:
        code = code * variants + spell
    # Codes are small integers: find the distinct ones by counting, not sorting.
    present = np.bincount(code, minlength=1) > 0
    uniq = np.flatnonzero(present)
    inverse = (np.cumsum(present) - 1)[code]
    mask, variant = uniq // variants, uniq % variants
    columns = [
        pa.array(
            [t.spellings[v % len(t.spellings)] for v in range(variants)], type=pa.string()
        ).take(pa.array(variant, mask=(mask >> k & 1) == 0))
        for k, t in enumerate(TECHNOLOGIES)
    ]
    # Absent technologies join as empty items; collapse the separators they leave.
    joined = pc.binary_join_element_wise(
        *columns, ";", null_handling="replace", null_replacement=""
    )
    lists = pc.utf8_trim(pc.replace_substring_regex(joined, ";{2,}", ";"), ";")
    return inverse, lists.to_pylist()


def tech_lists(flags: pd.DataFrame, spell: np.ndarray | None = None) -> np.ndarray:
    """Technology flags → ';'-joined lists ('Salesforce;HubSpot;AWS'), as an object array.

    ``spell`` optionally gives, per row, which raw spelling of each technology to use.
    """
    codes, lists = _tech_codes(flags, spell)
    return np.array(lists, dtype=object)[codes]


def _category(words: list[str], idx: np.ndarray) -> pd.Categorical[str]:
    """words[idx] as a categorical: low-cardinality text without a million string copies."""
    cats = list(dict.fromkeys(words))
    remap = np.array([cats.index(w) for w in words])
    return pd.Categorical.from_codes(remap[idx], pd.Index(cats))


def _text(values: pa.Array) -> pd.Series:
    """An Arrow string array as pandas' own string column, without copying into objects."""
    return pd.Series(values, dtype=_STR)


def _numbers(rng: np.random.Generator, size_mu: np.ndarray, industry: np.ndarray) -> dict[str, Any]:
    n = len(size_mu)
    shift = np.array([i.size_shift for i in INDUSTRIES])[industry]
    employees = np.clip(np.round(np.exp(rng.normal(size_mu + shift, 1.5))), 1, 400_000).astype(
        np.int64
    )
    revenue = np.round(employees * np.exp(rng.normal(np.log(180_000), 0.6, n)), -3)
    age = np.exp(rng.normal(2.3 + 0.25 * (np.log(employees) - 4.0), 0.7))
    founded = np.clip(2025 - np.round(age), 1850, 2025).astype(np.int64)
    funded = rng.random(n) < np.where(founded >= 2005, 0.55, 0.15)
    funding = np.round(np.exp(rng.normal(np.log(5e6) + 0.5 * (np.log(employees) - 4.0), 1.2)), -5)
    funding = np.where(funded, np.maximum(funding, 100_000.0), np.nan)
    stage = np.clip(np.searchsorted([2e6, 1e7, 3e7, 8e7, 2e8, 5e8], np.nan_to_num(funding)), 0, 6)
    stage = np.where(rng.random(n) < 0.1, rng.integers(0, len(FUNDING_TYPES), n), stage)
    days_since = rng.integers(30, 3 * 365, n)
    return {
        "employees": employees,
        "annual_revenue": revenue,
        "founded_year": founded,
        "funding_total": funding,
        "last_funding_type": pd.Categorical.from_codes(
            np.where(funded, stage, -1), pd.Index(FUNDING_TYPES)
        ),
        "last_funding_date": pd.to_datetime(
            np.where(funded, REFERENCE_DATE - days_since * _DAY, np.datetime64("NaT"))
        ),
    }


def latent_companies(rng: np.random.Generator, size_mu: np.ndarray) -> pd.DataFrame:
    """One clean company per entry of ``size_mu`` (mean of log employees)."""
    n = len(size_mu)
    industry = _pick(rng, [i.weight for i in INDUSTRIES], n)
    country = _pick(rng, [c.weight for c in COUNTRIES], n)
    numbers = _numbers(rng, size_mu, industry)
    place_idx = (rng.random(n) * np.array([len(c.places) for c in COUNTRIES])[country]).astype(int)
    width = max(len(c.places) for c in COUNTRIES)
    place = country * width + place_idx
    padded = [
        p for c in COUNTRIES for p in list(c.places) + [c.places[0]] * (width - len(c.places))
    ]
    name, domain = _names(rng, country)
    flags = pd.DataFrame(_technologies(rng, industry, np.log10(numbers["employees"])))
    codes, lists = _tech_codes(flags, None)
    uses_cloud = flags[[f"tech_{c.lower().replace(' ', '_')}" for c in CLOUDS]].any(axis=1)
    per_head = np.exp(rng.normal(np.where(uses_cloud, np.log(60.0), np.log(4.0)), 0.9))
    frame = pd.DataFrame(
        {
            "name": _text(name),
            "domain": _text(domain),
            "industry": _category([i.label for i in INDUSTRIES], industry),
            "employees": numbers["employees"],
            "annual_revenue": numbers["annual_revenue"],
            "country": _category([c.iso for c in COUNTRIES], country),
            "region": _category([c.region for c in COUNTRIES], country),
            "state": _category([p[0] for p in padded], place),
            "city": _category([p[1] for p in padded], place),
            "founded_year": numbers["founded_year"],
            "funding_total": numbers["funding_total"],
            "last_funding_type": numbers["last_funding_type"],
            "last_funding_date": numbers["last_funding_date"],
            "cloud_spend": np.round(numbers["employees"] * per_head, -1),
            "technologies": pd.Categorical.from_codes(codes, pd.Index(lists)),
            "_industry_idx": industry,
            "_country_idx": country,
        }
    )
    return pd.concat([frame, flags], axis=1)
