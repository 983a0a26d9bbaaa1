"""The latent (clean) companies: true firmographics and technographics, before any mess.

Columns use the canonical names of :mod:`icpkit.schema` (industry = taxonomy label,
employees = a number, country = ISO-2, one ``tech_<slug>`` flag per technology), so the
planted rules in truth.json read exactly like rules over intake's normalised output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._render import table
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


def _pick(rng: np.random.Generator, weights: list[float], n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _words(words: tuple[str, ...] | list[str], idx: np.ndarray) -> pa.Array:
    return pa.array(words, type=pa.string()).take(pa.array(idx))


def _names(rng: np.random.Generator, country: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    tld_idx = np.where(rng.random(n) < 0.6, country, len(COUNTRIES))
    base = pc.binary_join_element_wise(
        _words([w.lower() for w in BRAND_HEADS], h),
        _words(BRAND_TAILS, t),
        _words([w.lower() for w in DESCRIPTORS], d),
        "",
    )
    tld = _words([f".{c.tld}" for c in COUNTRIES] + [".com"], tld_idx)
    # Number duplicate domains in order of appearance: rank within equal texts (bases hold
    # no digits, so 'acme2.com' cannot collide with another company's base).
    key = np.asarray(pc.binary_join_element_wise(base, tld, "").dictionary_encode().indices)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.r_[0, np.flatnonzero(sorted_key[1:] != sorted_key[:-1]) + 1]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    numbers = [""] + [str(k + 1) for k in range(1, int(rank.max(initial=0)) + 1)]
    domain = pc.binary_join_element_wise(base, _words(numbers, rank), tld, "")
    out = domain.to_numpy(zero_copy_only=False).astype(object)
    return name.to_numpy(zero_copy_only=False).astype(object), out


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


def tech_lists(flags: pd.DataFrame, spell: np.ndarray | None = None) -> np.ndarray:
    """Technology flags → ';'-joined lists, built once per distinct combination (fast).

    ``spell`` optionally gives, per row and technology, which raw spelling to use.
    """
    cols = [t.column for t in TECHNOLOGIES]
    bits = flags[cols].to_numpy(dtype=np.int64)
    code = bits @ (np.int64(1) << np.arange(len(cols), dtype=np.int64))
    if spell is not None:
        # Mix the spelling choice into the code: with 2-3 spellings per tech, still few uniques.
        code = code * 3 + spell
    uniq, inverse = np.unique(code, return_inverse=True)
    out = []
    for c in uniq:
        variant = int(c % 3) if spell is not None else 0
        mask = int(c // 3) if spell is not None else int(c)
        items = [
            t.spellings[variant % len(t.spellings)]
            for k, t in enumerate(TECHNOLOGIES)
            if mask >> k & 1
        ]
        out.append(";".join(items))
    return np.array(out, dtype=object)[inverse]


def latent_companies(
    rng: np.random.Generator, size_mu: np.ndarray, size_sigma: float = 1.5
) -> pd.DataFrame:
    """One clean company per entry of ``size_mu`` (mean of log employees)."""
    n = len(size_mu)
    industry = _pick(rng, [i.weight for i in INDUSTRIES], n)
    country = _pick(rng, [c.weight for c in COUNTRIES], n)
    shift = np.array([i.size_shift for i in INDUSTRIES])[industry]
    log_emp = rng.normal(size_mu + shift, size_sigma)
    employees = np.clip(np.round(np.exp(log_emp)), 1, 400_000).astype(np.int64)
    log10_emp = np.log10(employees)
    revenue = np.round(employees * np.exp(rng.normal(np.log(180_000), 0.6, n)), -3)
    age = np.exp(rng.normal(2.3 + 0.25 * (np.log(employees) - 4.0), 0.7))
    founded = np.clip(2025 - np.round(age), 1850, 2025).astype(np.int64)

    funded = rng.random(n) < np.where(founded >= 2005, 0.55, 0.15)
    funding = np.round(np.exp(rng.normal(np.log(5e6) + 0.5 * (np.log(employees) - 4.0), 1.2)), -5)
    funding = np.where(funded, np.maximum(funding, 100_000.0), np.nan)
    stage = np.clip(np.searchsorted([2e6, 1e7, 3e7, 8e7, 2e8, 5e8], np.nan_to_num(funding)), 0, 6)
    stage = np.where(rng.random(n) < 0.1, rng.integers(0, len(FUNDING_TYPES), n), stage)
    funding_type = np.array(FUNDING_TYPES, dtype=object)[stage]
    funding_type[~funded] = None
    days_since = rng.integers(30, 3 * 365, n)
    funding_date = np.where(funded, REFERENCE_DATE - days_since * _DAY, np.datetime64("NaT"))

    place_idx = (rng.random(n) * np.array([len(c.places) for c in COUNTRIES])[country]).astype(int)
    width = max(len(c.places) for c in COUNTRIES)
    padded = [list(c.places) + [c.places[0]] * (width - len(c.places)) for c in COUNTRIES]
    states = np.array([[p[0] for p in row] for row in padded], dtype=object)
    cities = np.array([[p[1] for p in row] for row in padded], dtype=object)
    name, domain = _names(rng, country)

    frame = table(
        {
            "name": name,
            "domain": domain,
            "industry": np.array([i.label for i in INDUSTRIES], dtype=object)[industry],
            "employees": employees,
            "annual_revenue": revenue,
            "country": np.array([c.iso for c in COUNTRIES], dtype=object)[country],
            "region": np.array([c.region for c in COUNTRIES], dtype=object)[country],
            "state": states[country, place_idx],
            "city": cities[country, place_idx],
            "founded_year": founded,
            "funding_total": funding,
            "last_funding_type": funding_type,
            "last_funding_date": pd.to_datetime(funding_date),
        }
    )
    flags = pd.DataFrame(_technologies(rng, industry, log10_emp))
    uses_cloud = flags[[f"tech_{c.lower().replace(' ', '_')}" for c in CLOUDS]].any(axis=1)
    per_head = np.exp(rng.normal(np.where(uses_cloud, np.log(60.0), np.log(4.0)), 0.9))
    frame["cloud_spend"] = np.round(employees * per_head, -1)
    frame["technologies"] = tech_lists(flags)
    frame["_industry_idx"] = industry
    frame["_country_idx"] = country
    return pd.concat([frame, flags], axis=1)
