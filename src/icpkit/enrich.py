"""Enrichment: join a company universe onto CRM accounts by domain, then by name.

Real CRM accounts are half empty; a universe the user owns (a vendor file, Crunchbase, a
warehouse table) fills the gaps. Matching, in order:

1. **Domain.** Websites, URLs and e-mail addresses reduced to the registered domain with the
   public-suffix list shipped inside ``tldextract`` (its bundled snapshot: no network), so
   ``https://shop.acme.co.uk/about`` and ``jane@acme.co.uk`` both read ``acme.co.uk``.
   Free-mail domains (gmail.com, ...) say nothing about the company and are ignored. A domain
   held by two universe rows is ambiguous and not used.
2. **Name**, for accounts the domain did not match: legal suffixes, a leading "The",
   punctuation, accents and subsidiary words ("UK", "International") removed; candidates are
   blocked by place (country and city) and by the key's first three letters or its
   first word's last four, then scored with rapidfuzz's ``ratio`` (Levenshtein-based, in C).
   A fuzzy match must also be a typo away (an edit or two, optimal string alignment) on a
   name of 10+ letters whose city agrees: short names one letter apart are usually two
   companies (the hand-checked real sample: Zoomingo / ZoomInfo, Cortera / Corteva). A
   candidate in another country or city, or whose website names another company, is never a
   match; the city breaks ties. A name the universe holds twice or more needs another field
   to agree (industry, size, revenue, founding year). When the best two candidates are equally
   close (or within ``margin`` for a fuzzy match), or a common name has nothing else agreeing,
   the account is **ambiguous**: reported, not used.

Why rapidfuzz and not splink: splink's Fellegi-Sunter model earns its keep when many weak
fields must be weighed and no labelled pairs exist; here the domain is a near-certain key and
the name a strong one, so deterministic rules with a similarity floor are explainable line by
line (the match method and score are kept on every row) and need no training step. Blocking
keeps 100k accounts against a 1M-company universe to seconds on two cores.

Filling: every chosen field is filled only where the CRM value is missing (``overwrite=True``
replaces it); each filled column gets ``<field>_source`` (``crm`` / ``universe``), and every
account gets ``enrich_method``, ``enrich_score`` and ``enrich_company``. Where both hold a
different value the CRM wins and the conflict is counted and listed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import SchemaError, did_you_mean
from .matching import FREE_MAIL, domain_keys, match_companies, name_keys

__all__ = [
    "FREE_MAIL",
    "EnrichResult",
    "domain_keys",
    "enrich",
    "match_companies",
    "name_keys",
    "write_enriched",
]

_FIELDS_SKIP = {"company_id", "name", "domain", "in_crm", "account_id"}
_SUFFIXES = ("_original", "_band", "_currency")


@dataclass
class EnrichResult:
    """What :func:`enrich` returns: the enriched accounts and everything needed to trust them."""

    table: pd.DataFrame
    matches: pd.DataFrame  # one row per account: method, score, universe row, company id
    ambiguous: pd.DataFrame  # accounts with two equally close universe companies
    conflicts: pd.DataFrame  # CRM value differs from the universe's (CRM kept unless overwrite)
    fill: pd.DataFrame  # per field: fill rate before and after
    summary: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- filling


def _read(source: Any, kind: str) -> pd.DataFrame:
    from .quality import read_frame

    return read_frame(source, kind).reset_index(drop=True)


def _default_fields(universe: pd.DataFrame) -> list[str]:
    return [
        c
        for c in universe.columns
        if c not in _FIELDS_SKIP and not c.startswith("_") and not c.endswith(_SUFFIXES)
    ]


def _missing(s: pd.Series) -> np.ndarray:
    miss = s.isna().to_numpy().copy()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        miss |= (s.astype("string").str.strip() == "").fillna(True).to_numpy(dtype=bool)
    return np.asarray(miss, dtype=bool)


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Values equal as text (numbers compared as numbers), both present."""
    if pd.api.types.is_numeric_dtype(a.dtype) and pd.api.types.is_numeric_dtype(b.dtype):
        x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
        return np.asarray(np.isclose(x, y, rtol=1e-9, equal_nan=False), dtype=bool)
    return np.asarray(
        (a.astype("string").str.strip().str.lower() == b.astype("string").str.strip().str.lower())
        .fillna(False)
        .to_numpy(),
        dtype=bool,
    )


def _fill_field(
    acc: pd.DataFrame, src: pd.Series, name: str, matched: np.ndarray, overwrite: bool
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """(new column, its source column, rows in conflict) for one field."""
    have = acc[name] if name in acc.columns else pd.Series(pd.NA, index=acc.index, dtype=src.dtype)
    had = ~_missing(have)
    offered = matched & ~_missing(src)
    conflict = had & offered & ~_same(have, src)
    take = offered & (~had | (overwrite & conflict))
    if have.dtype != src.dtype and not (have.isna().all()):
        try:
            src = src.astype(have.dtype)
        except (TypeError, ValueError):
            have, src = have.astype(object), src.astype(object)
    elif have.isna().all():
        have = have.astype(src.dtype)
    new = have.copy()
    new[take] = src[take].to_numpy()
    source = pd.Series(pd.NA, index=acc.index, dtype="string")
    source[had] = "crm"
    source[take] = "universe"
    return new, source, conflict


def enrich(
    accounts: Any,
    universe: Any,
    *,
    fields: list[str] | None = None,
    overwrite: bool = False,
    threshold: float = 85.0,
    margin: float = 4.0,
    id_column: str | None = None,
) -> EnrichResult:
    """Fill missing account fields from the universe company each account matches.

    ``accounts`` and ``universe``: paths (read and normalised by intake) or tables with
    canonical columns. ``fields``: universe columns to bring over (default: every firmographic
    and technographic column). ``overwrite`` replaces CRM values that differ.
    """
    acc, uni = _read(accounts, "accounts"), _read(universe, "universe")
    wanted = _default_fields(uni) if fields is None else list(fields)
    for f in wanted:
        if f not in uni.columns:
            raise SchemaError(
                "the universe has no such field to fill",
                column=f,
                hint=did_you_mean(f, uni.columns)
                or f"Fields it has: {', '.join(_default_fields(uni))}",
            )
    matches, ambiguous = match_companies(acc, uni, threshold=threshold, margin=margin)
    urow = matches["urow"].to_numpy()
    matched = urow >= 0
    take = np.where(matched, urow, 0)
    out = acc.copy()
    fill_rows, conflict_rows = [], []
    uid_col = id_column or next((c for c in ("company_id", "id") if c in uni.columns), None)
    for f in wanted:
        src = uni[f].iloc[take].reset_index(drop=True)
        src[~matched] = None
        before = 1 - _missing(out[f]).mean() if f in out.columns and len(out) else 0.0
        col, source, conflict = _fill_field(out, src, f, matched, overwrite)
        out[f], out[f"{f}_source"] = col, source
        fill_rows.append(
            {
                "field": f,
                "fill_before": float(before),
                "fill_after": float(1 - _missing(col).mean()) if len(col) else 0.0,
                "filled": int((source == "universe").sum()),
                "conflicts": int(conflict.sum()),
            }
        )
        for r in np.flatnonzero(conflict)[:1000]:
            conflict_rows.append(
                {
                    "row": int(r),
                    "field": f,
                    "crm": _plain(acc[f].iloc[r]),
                    "universe": _plain(src.iloc[r]),
                }
            )
    out["enrich_method"] = matches["method"].to_numpy()
    out["enrich_score"] = matches["score"].to_numpy()
    ids = (
        uni[uid_col].astype("string").to_numpy(dtype=object)[take] if uid_col else take.astype(str)
    )
    company = pd.Series(ids, dtype="string")
    out["enrich_company"] = company.where(matched)
    fill = pd.DataFrame(fill_rows)
    conflicts = pd.DataFrame(conflict_rows, columns=["row", "field", "crm", "universe"])
    amb = _ambiguous_frame(acc, ambiguous)
    summary = _summary(matches, amb, fill, len(uni), overwrite)
    return EnrichResult(out, matches, amb, conflicts, fill, summary)


def _plain(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    return v.item() if hasattr(v, "item") else v


def _ambiguous_frame(acc: pd.DataFrame, ambiguous: pd.DataFrame) -> pd.DataFrame:
    rows = ambiguous["row"].to_numpy()
    out = ambiguous.copy()
    for c in ("account_id", "name", "domain", "country"):
        if c in acc.columns:
            out[c] = acc[c].iloc[rows].to_numpy()
    return out


def _summary(
    matches: pd.DataFrame, amb: pd.DataFrame, fill: pd.DataFrame, n_uni: int, overwrite: bool
) -> dict[str, Any]:
    n = len(matches)
    by = matches["method"].value_counts()

    def share(k: int) -> float:
        return round(k / n, 4) if n else 0.0

    return {
        "accounts": n,
        "universe_companies": n_uni,
        "matched_by_domain": int(by.get("domain", 0)),
        "matched_by_name": int(by.get("name", 0)),
        "unmatched": int(by.get("none", 0)),
        "ambiguous": len(amb),
        "match_rate": share(int(by.get("domain", 0) + by.get("name", 0))),
        "overwrite": overwrite,
        "conflicts": int(fill["conflicts"].sum()) if len(fill) else 0,
        "fields": fill.to_dict("records"),
    }


def write_enriched(result: EnrichResult, path: str | os.PathLike[str]) -> None:
    """Write the enriched accounts (CSV or Parquet by extension), atomically."""
    from .intake import write_table

    write_table(pa.Table.from_pandas(result.table, preserve_index=False), path)
