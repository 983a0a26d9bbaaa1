"""One fit of the profile: bins, attribute selection, segments, joint points, assembly.

:func:`fit` runs on whatever rows it is given (all rows, a training split, a fold); the
validation around it is in :mod:`icpkit.validation` and the public entry point in
:mod:`icpkit.discover`.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa

from .binning import BinnedAttribute, Binner, Kind
from .errors import ConfigError
from .evidence import headline_conditions
from .folding import Folded, fold_segments
from .phrases import segment_name
from .profile import Condition, Disqualifier, Profile, Segment
from .scorecard import Points, Scorecard, anti_icp_caps, profile_attributes, tier_cutoffs
from .screening import drop_leaks
from .segments import Rule, SegmentFinder, interaction_pairs, rule_mask
from .sharp import sharp_segments

__all__ = ["Fit", "Params", "fit_profile", "segment_title"]

_INTERACTION_NOTE = (
    "a combination the points table alone under-rates (found on the scorecard's residuals)"
)


@dataclass
class Fit:
    """A fitted profile with what it was learned from (bins, codes) and what it dropped."""

    profile: Profile
    attrs: dict[str, BinnedAttribute]
    codes: dict[str, np.ndarray]
    leaks: list[dict[str, Any]]
    timings: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    headline: list[Condition] | None = None  # the group the silhouette describes
    folded: list[Folded] = field(default_factory=list)  # named-only segments inside another


@dataclass
class Params:
    """The settings of one fit (the same for the hold-out fit and the final one)."""

    max_bins: int = 8
    penalty: float = 1.0
    max_segments: int = 4
    max_disqualifiers: int = 3
    C: float | str = "auto"
    tier_shares: tuple[float, float, float] = (0.10, 0.30, 0.60)
    check_leaks: bool = True
    n_interactions: int = 4
    alpha: float = 0.01


def segment_title(rule: Rule, taken: set[str], flags: Collection[str] = ()) -> str:
    """The segment's name in business words, numbered when another segment has it already;
    ``flags`` names the 0/1 columns, whose conditions read 'Senior Citizen: yes'."""
    name = segment_name(rule.conditions, flags=flags)
    base, i = name, 2
    while name in taken:
        name, i = f"{base} ({i})", i + 1
    taken.add(name)
    return name


def _select(
    attrs: dict[str, BinnedAttribute], alpha: float
) -> tuple[dict[str, BinnedAttribute], list[str]]:
    """Attributes that enter the scorecard, and a warning when the evidence is weak."""
    # Pre-bins are fixed before looking at the label, so their chi-square test is honest; a
    # Bonferroni bar keeps noise columns (whose optimal bins overfit) out of the points table.
    bar = alpha / max(len(attrs), 1)
    used = {
        k: a for k, a in attrs.items() if a.informative and a.iv > 1e-3 and a.prebin_pvalue < bar
    }
    if used:
        return used, []
    # Nothing passes the corrected test: keep the best few anyway, and say so.
    ranked = sorted((a for a in attrs.values() if a.informative), key=lambda a: a.prebin_pvalue)
    used = {a.name: a for a in ranked[:5] if a.prebin_pvalue < 0.05} or {
        a.name: a for a in ranked[:3]
    }
    if not used:
        raise ConfigError(
            "no attribute carries information about success",
            hint="Check the target, or give more rows or more attributes",
        )
    return used, [
        "no attribute is significant after correcting for multiple tests; the profile uses "
        f"the {len(used)} strongest anyway: expect a score little better than chance"
    ]


def _interactions(
    finder: SegmentFinder,
    card: Scorecard,
    table: pa.Table,
    codes: dict[str, np.ndarray],
    masks: list[np.ndarray],
    y: np.ndarray,
    max_rules: int = 4,
) -> list[Rule]:
    """Conjunctions the additive fit under-rates (score test on its residuals), as rules."""
    idx = finder.sample_ if finder.sample_ is not None else np.arange(len(y))
    logit = card.decision_function({k: v[idx] for k, v in codes.items()}, [m[idx] for m in masks])
    prob = 1 / (1 + np.exp(-logit))
    pairs = interaction_pairs(
        finder.atoms_,
        y[idx].astype(np.float64),
        prob,
        min_count=finder.min_count_,
        max_pairs=max_rules,
    )
    rules = [finder.measure(pair, table, y) for pair in pairs]
    # Only groups that pass the same bar as an ICP segment: they are labelled as segments too.
    return [r for r in rules if finder.acceptable(r, positive=True)]


def _assemble(
    finder: SegmentFinder,
    rules: list[Rule],
    notes: list[str | None],
    pts: Points,
    used: dict[str, BinnedAttribute],
    codes: dict[str, np.ndarray],
    seg_masks: list[np.ndarray],
    p: Params,
    y: np.ndarray,
    flags: Collection[str] = (),
) -> Profile:
    """The profile: points table, segments with their points, anti-ICP caps, tier cut-offs."""
    raw = np.full(
        len(seg_masks[0]) if seg_masks else len(next(iter(codes.values()))),
        pts.intercept,
        dtype=np.int64,
    )
    for name, arr in pts.attributes.items():
        raw += arr[codes[name]]
    for v, m in zip(pts.rules, seg_masks, strict=True):
        raw += v * m
    tiers = tier_cutoffs(np.clip(raw, 0, 100), p.tier_shares)
    taken: set[str] = set()

    def stats(r: Rule) -> dict[str, Any]:
        return {
            "name": segment_title(r, taken, flags),
            "conditions": r.conditions,
            "size": r.size,
            "success_rate": round(r.rate, 4),
            "lift": round(r.lift, 3),
        }

    # Ranked by expected extra successes, size x (rate - base): a big group of good customers
    # ahead of a tiny excellent one, and the headline describes the first.
    base = float(np.mean(y)) if len(y) else 0.0
    order = sorted(range(len(rules)), key=lambda i: -rules[i].size * (rules[i].rate - base))
    segments = [
        Segment(
            points=pts.rules[i],
            description=notes[i],
            **stats(rules[i]),
        )
        for i in order
    ]
    caps = anti_icp_caps(
        [rule_mask(r, len(y)) for r in finder.disqualifiers_], np.clip(raw, 0, 100), y, tiers
    )
    dqs = [
        Disqualifier(cap=c, **stats(r)) for r, c in zip(finder.disqualifiers_, caps, strict=True)
    ]
    attributes = profile_attributes(used, pts.attributes)
    if not attributes and not segments:  # no signal at all: keep the strongest, at 0 points
        attributes = profile_attributes(used, pts.attributes, keep_zero=True)[:1]
    return Profile(
        intercept=pts.intercept,
        attributes=attributes,
        segments=segments,
        disqualifiers=dqs,
        tiers=tiers,
    )


def fit_profile(
    table: pa.Table,
    y: np.ndarray,
    columns: list[str],
    kinds: dict[str, Kind],
    p: Params,
    *,
    keep: Sequence[str] = (),
    search_rows: np.ndarray | None = None,
) -> Fit:
    """One fit: bins → (leak check) → selection → segments → joint points → profile.

    ``search_rows`` limits the segment search to those rows (the training part of the hold-out
    split), so the segments' held-out figures come from rows they were not found on.
    """
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    binner = Binner(max_bins=p.max_bins, penalty=p.penalty).fit(table, y, columns, kinds)
    attrs, codes = binner.attributes_, binner.train_codes_
    t["bin"] = time.perf_counter() - t0
    leaks = drop_leaks(attrs, codes, y, keep) if p.check_leaks else []
    used, weak = _select(attrs, p.alpha)
    t1 = time.perf_counter()
    finder = SegmentFinder(max_segments=p.max_segments, max_disqualifiers=p.max_disqualifiers)
    finder.fit(used, codes, y, table, rows=search_rows)
    rules = list(finder.segments_)
    described, headline = sharp_segments(
        attrs, used, codes, y, table, search_rows, rules, max_segments=p.max_segments, C=p.C
    )
    n_icp = len(rules)
    seg_masks = [rule_mask(r, len(y)) for r in rules]
    t["segments"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    card = Scorecard(C=p.C).fit(used, codes, seg_masks, y)
    extra = _interactions(finder, card, table, codes, seg_masks, y) if p.n_interactions else []
    if extra:
        rules += extra
        seg_masks += [rule_mask(r, len(y)) for r in extra]
        card = card.extend(codes, seg_masks, y)
    pts = card.points(codes, seg_masks)
    t["scorecard"] = time.perf_counter() - t2
    notes = [None] * n_icp + [_INTERACTION_NOTE] * (len(rules) - n_icp)
    # Described segments (0 points) carry no note: the report uses a note as the ICP's name.
    notes += [None] * len(described)
    rules += described
    seg_masks += [rule_mask(r, len(y)) for r in described]
    pts = replace(pts, rules=[*pts.rules, *[0] * len(described)])
    flags = {name for name, a in attrs.items() if a.flag}
    profile = _assemble(finder, rules, notes, pts, used, codes, seg_masks, p, y, flags)
    # A named-only segment that lies inside another is a part of it, not another ICP. The
    # headline's group stays (without one chosen by the data, the one the profile would pick).
    head = headline if headline is not None else headline_conditions(profile)[0]
    profile, folded = fold_segments(profile, table, y, search_rows, head)
    t["total"] = time.perf_counter() - t0
    return Fit(profile, attrs, codes, leaks, t, weak, headline, folded)
