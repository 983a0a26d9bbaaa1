"""Lookalikes: the companies most like your best accounts, in what predicts success.

Similarity is read through the profile, not raw columns: two companies are alike on an
attribute when they fall in the same bin, and each attribute counts as much as its points
spread (the gap between its best and worst bin), so "similar" means similar in what the
profile learned predicts success; a segment both belong to counts as much as its points.
Missing values are never alike. A candidate's similarity is the mean of its three closest
seeds (one seed only would reward copies of an outlier), between 0 and 1.

Every result keeps its own score and tier, its nearest seed accounts and the traits it shares
with the closest one, in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import ConfigError, SchemaError
from .explain import pretty_name
from .profile import CategoricalAttribute, NumericAttribute, Profile
from .scoring import (
    _category_codes,
    _category_lookup,
    _Columns,
    _numeric_index,
    _numeric_words,
    _rule,
    numeric_pieces,
    score_table,
    to_arrow,
)

__all__ = ["lookalikes", "usable_profile"]

_NEAREST = 3
_CHUNK = 50_000


@dataclass
class _Feature:
    words: list[str]  # per bin code
    weight: float
    name: str


def usable_profile(profile: Profile, columns: list[str]) -> tuple[Profile, list[str]]:
    """The profile restricted to attributes and rules whose columns the table has; what was left."""
    have = set(columns)
    attrs = [a for a in profile.attributes if a.name in have]
    segs = [s for s in profile.segments if all(c.attribute in have for c in s.conditions)]
    dqs = [d for d in profile.disqualifiers if all(c.attribute in have for c in d.conditions)]
    dropped = [a.name for a in profile.attributes if a.name not in have]
    if not attrs and not segs:
        raise SchemaError(
            "the table has none of the profile's columns",
            column=profile.columns[0] if profile.columns else None,
            hint="Give a universe with canonical columns (or a raw export intake can map)",
        )
    sub = profile.model_copy(
        update={"attributes": attrs, "segments": segs, "disqualifiers": dqs, "persona": None}
    )
    return sub, dropped


def _codes(profile: Profile, table: pa.Table) -> tuple[np.ndarray, list[_Feature]]:
    """Per row and feature: the bin code (-1 missing or outside every bin), and the features."""
    cols = _Columns(table)
    codes, feats = [], []
    for attr in profile.attributes:
        pts = [b.points for b in attr.bins]
        weight = float(max(pts) - min(pts)) if len(pts) > 1 else 0.0
        if weight == 0:
            continue
        if isinstance(attr, NumericAttribute):
            pieces = numeric_pieces(attr)
            idx = _numeric_index(attr, cols.number(attr.name))
            lut = np.array([*pieces.bins, -1], dtype=np.int32)
            code = lut[idx]
            words = [_numeric_words(attr, b) for b in range(len(attr.bins))]
            if attr.label is None:  # business words, not the column name
                words = [w.replace(attr.name, _name(attr), 1) for w in words]
        else:
            # Labels compare by value, not by bin: a bin may pool labels the seeds do not share.
            assert isinstance(attr, CategoricalAttribute)
            values, _ = _category_lookup(attr)
            code = _category_codes(attr, table.column(attr.name)).astype(np.int32)
            code = np.where(code >= len(values), -1, code)
            words = [f"{_name(attr)} is {v}" for v in values]
        codes.append(code)
        feats.append(_Feature(words, weight, attr.name))
    for seg in profile.segments:
        if seg.points:
            codes.append(np.where(_rule(seg.conditions, cols), 0, -1).astype(np.int32))
            feats.append(_Feature([f"segment {seg.name}"], float(abs(seg.points)), seg.name))
    if not feats:
        raise ConfigError("the profile gives every bin the same points: nothing to compare on")
    return np.stack(codes, axis=1), feats


def _name(attr: NumericAttribute | CategoricalAttribute) -> str:
    return attr.label or pretty_name(attr.name)


def _similarity(cand: np.ndarray, seeds: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted share of features in the same bin: candidates x seeds, in 0..1."""
    out = np.zeros((len(cand), len(seeds)), dtype=np.float32)
    for j in range(cand.shape[1]):
        same = (cand[:, j : j + 1] == seeds[None, :, j]) & (cand[:, j : j + 1] >= 0)
        out += same * np.float32(w[j])
    return np.asarray(out / np.float32(w.sum()))


def _read(source: Any, kind: str) -> pd.DataFrame:
    from .quality import read_frame

    return read_frame(source, kind).reset_index(drop=True)


def _seed_frame(
    seeds: Any, best: int | None, crm: pd.DataFrame | None, profile: Profile
) -> pd.DataFrame:
    if seeds is not None:
        frame = _read(seeds, "accounts")
    else:
        if crm is None or best is None or best < 1:
            raise ConfigError("give seed accounts, or --best N with the CRM accounts")
        frame = crm
        won = next((c for c in ("is_customer", "won", "is_won") if c in frame.columns), None)
        if won is not None:  # the best *customers*, when the table says who they are
            flag = frame[won].astype("string").str.lower().isin(["true", "1", "yes"])
            frame = frame[flag.to_numpy()] if flag.any() else frame
        sub, _ = usable_profile(profile, list(frame.columns))
        score = score_table(sub, to_arrow(frame)).column("icp_score").to_numpy()
        frame = frame.iloc[np.argsort(-score, kind="stable")[:best]]
    if frame.empty:
        raise ConfigError("no seed accounts", hint="Give at least one seed account")
    return frame.reset_index(drop=True)


def _label(frame: pd.DataFrame) -> pd.Series:
    for c in ("name", "company", "domain", "account_id", "company_id"):
        if c in frame.columns:
            return frame[c].astype("string").fillna("?")
    return pd.Series([f"row {i + 1}" for i in range(len(frame))], dtype="string")


def _known(uni: pd.DataFrame, crm: pd.DataFrame | None, seeds: pd.DataFrame) -> np.ndarray:
    """Universe rows that are CRM accounts or seeds, found by the enrichment matcher."""
    from .matching import match_companies

    known = np.zeros(len(uni), dtype=bool)
    for other in (crm, seeds):
        if other is None or not len(other):
            continue
        matches, _ = match_companies(other, uni)
        rows = matches["urow"].to_numpy()
        known[rows[rows >= 0]] = True
    return known


def lookalikes(
    universe: Any,
    profile: Profile,
    *,
    seeds: Any = None,
    best: int | None = None,
    k: int = 500,
    crm: Any = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The ``k`` universe companies most like the seed accounts; returns (table, summary).

    ``seeds``: the accounts to find more like (a path or a table with canonical columns), or
    ``best=N`` to take the N best-scoring customers of ``crm``. ``crm``: accounts you already
    know, left out of the results (matched by registered domain or name).
    """
    if k < 1:
        raise ConfigError(f"k must be an int >= 1. Got {k!r} instead")
    uni = _read(universe, "universe")
    crm_frame = _read(crm, "accounts") if crm is not None else None
    sub, dropped = usable_profile(profile, list(uni.columns))
    seed_frame = _seed_frame(seeds, best, crm_frame, profile)
    sub, more = usable_profile(sub, list(seed_frame.columns))
    dropped += more
    cand_codes, feats = _codes(sub, to_arrow(uni))
    seed_codes, _ = _codes(sub, to_arrow(seed_frame))
    w = np.array([f.weight for f in feats], dtype=np.float64)
    keep = np.flatnonzero(~_known(uni, crm_frame, seed_frame))
    n_near = min(_NEAREST, len(seed_frame))
    sim = np.empty(len(keep), dtype=np.float32)
    nearest = np.empty((len(keep), n_near), dtype=np.int64)
    for start in range(0, len(keep), _CHUNK):  # bounded memory: chunks x seeds at a time
        rows = keep[start : start + _CHUNK]
        s = _similarity(cand_codes[rows], seed_codes, w)
        top = np.argsort(-s, axis=1, kind="stable")[:, :n_near]
        nearest[start : start + len(rows)] = top
        sim[start : start + len(rows)] = np.take_along_axis(s, top, axis=1).mean(axis=1)
    scored = score_table(sub, to_arrow(uni.iloc[keep]))
    score = scored.column("icp_score").to_numpy()
    order = np.lexsort((-score, -sim))[:k]  # similarity first, the fit score breaks ties
    rows = keep[order]
    names = _label(seed_frame).to_numpy(dtype=object)
    out = uni.iloc[rows].reset_index(drop=True)
    out.insert(0, "similarity", np.round(sim[order].astype(np.float64), 4))
    out["icp_score"] = score[order]
    out["icp_tier"] = np.asarray(scored.column("icp_tier").to_pylist(), dtype=object)[order]
    out["nearest_seeds"] = ["; ".join(names[nearest[i]]) for i in order]
    out["shared_traits"] = [
        _traits(cand_codes[r], seed_codes[nearest[i][0]], feats)
        for r, i in zip(rows, order, strict=True)
    ]
    front = [c for c in ("company_id", "name", "domain") if c in out.columns]
    out = out[[*front, *(c for c in out.columns if c not in front)]]
    summary = {
        "universe_companies": len(uni),
        "candidates": len(keep),
        "left_out_known": len(uni) - len(keep),
        "seeds": len(seed_frame),
        "returned": len(out),
        "mean_similarity": round(float(out["similarity"].mean()), 4) if len(out) else None,
        "features": [f.name for f in feats],
        "attributes_not_in_universe": dropped,
        "tiers": {str(t): int(n) for t, n in out["icp_tier"].value_counts().sort_index().items()},
    }
    return out, summary


def _traits(cand: np.ndarray, seed: np.ndarray, feats: list[_Feature]) -> str:
    """What the candidate shares with its nearest seed, heaviest first, in words."""
    shared = [j for j in range(len(feats)) if cand[j] >= 0 and cand[j] == seed[j]]
    shared.sort(key=lambda j: -feats[j].weight)
    return "; ".join(feats[j].words[int(cand[j])] for j in shared[:4])
