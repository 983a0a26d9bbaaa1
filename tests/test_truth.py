"""The ICP tells the truth (issue 10): each "what was seen" reproduced on the demo world.

The demo world is ``icp synth --accounts 3000 --seed 11``. Before the fix its headline quoted
4.3x (another group's lift) for an 8-account conjunction, listed industries weakest first, gave
"industry missing +12" above the best industry, ranked "Seed, Series A +4 (16.9%)" above
"Series C +2 (28.2%)", missed two planted ICPs and cut segment names mid-word.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from icpkit.contradictions import contradictions
from icpkit.discover import Discovery, _split, learn
from icpkit.evaluate import evaluate
from icpkit.evidence import trait_effects
from icpkit.explain import explain_profile
from icpkit.intake import load_table
from icpkit.profile import Profile, profile_from_dict
from icpkit.scorecard import tier_cutoffs
from icpkit.scoring import score_table
from icpkit.synth import SEGMENTS, Rule, make_world, matches


@pytest.fixture(scope="module")
def demo() -> tuple[pa.Table, Discovery, pd.DataFrame]:
    w = make_world(n_accounts=3000, seed=11)
    table = load_table(
        pa.Table.from_pandas(w.training, preserve_index=False), kind="accounts"
    ).table
    return table, learn(table, "IsWon"), w.latent


def _headline_group(profile: Profile) -> dict:
    head = (profile.metrics or {})["silhouette"]
    assert head["conditions"]
    return head


def test_headline_quotes_its_own_groups_lift(demo) -> None:  # type: ignore[no-untyped-def]
    table, found, _latent = demo
    head = _headline_group(found.profile)
    # The figures are the group's own: icp evaluate on the same rows reproduces them.
    rows = table
    if head["measured_on"] == "held-out rows":  # the newest 25% (discover's time split)
        y = found.label.y[found.label.defined]
        rows = table.take(_split(table, y, "created", 0.25, 0)[1])
    else:
        assert head["measured_on"].startswith("all rows, in-sample")
    again = evaluate(found.profile, rows)["headline"]
    assert again["size"] == head["size"]
    assert again["lift"] == head["lift"]
    text = found.profile.silhouette
    assert f"{head['lift']:.1f}x" in text
    assert f"{head['size']:,} accounts" in text
    # ... and that group is a real one, not an 8-account conjunction.
    assert head["size"] >= 30


def test_headline_is_business_words_and_lists_best_first(demo) -> None:  # type: ignore[no-untyped-def]
    table, found, _latent = demo
    text = found.profile.silhouette
    assert text
    assert "tech_" not in text
    assert "_" not in text  # no column names (cloud_spend, tech_aws) in prose
    # Every industry list in the profile runs best first, so "or 2 more" hides the weakest.
    frame = table.select(["industry", "IsWon"]).to_pandas()
    frame["won"] = frame["IsWon"].astype(str).str.lower() == "true"
    rates = frame.groupby("industry")["won"].mean()
    for attr in found.profile.attributes:
        if attr.name != "industry":
            continue
        for b in attr.bins:
            listed = [rates[v] for v in b.values if v in rates.index]
            assert listed == sorted(listed, reverse=True), b.values


def test_missing_never_earns_more_than_the_best_bin(demo) -> None:  # type: ignore[no-untyped-def]
    _table, found, _latent = demo
    for attr in found.profile.attributes:
        best = max(b.points for b in attr.bins)
        assert attr.missing_points <= best, attr.name
        assert attr.other_points <= best, attr.name


def test_points_follow_success_rates_no_contradictions(demo) -> None:  # type: ignore[no-untyped-def]
    _table, found, _latent = demo
    assert contradictions(found.profile) == []
    funding = next(a for a in found.profile.attributes if a.name == "last_funding_type")
    by_rate = sorted(funding.bins, key=lambda b: b.success_rate or 0.0)
    assert [b.points for b in by_rate] == sorted(b.points for b in by_rate)


def test_missing_bin_with_few_lucky_rows_is_capped() -> None:
    # 40 blank rows that happen to succeed 40% of the time, beside a best group at 35%:
    # not clearly higher, so "missing" may not out-score the best group.
    rng = np.random.default_rng(0)
    n = 3000
    tier = rng.choice(["small", "mid", "large"], n)
    p = np.select([tier == "small", tier == "mid"], [0.08, 0.18], 0.35)
    y = rng.random(n) < p
    tier = tier.astype(object)
    blank = np.arange(n) < 40
    tier[blank] = None
    y[blank] = np.arange(40) < 16
    df = pd.DataFrame({"size_band": tier, "won": y})
    profile = learn(df, "won", validate=False).profile
    attr = profile.attributes[0]
    assert attr.missing_count == 40
    assert attr.missing_points <= max(b.points for b in attr.bins)


def test_segments_recover_planted_icps(demo) -> None:  # type: ignore[no-untyped-def]
    # Before: European financial services and Healthcare-on-AWS were not found. Now European
    # financial services is; Healthcare-on-AWS (81 of 3,000 accounts) is found on the
    # 4,000-account worlds of benchmarks/truth_benchmark.py, not always on this one.
    _table, found, latent = demo
    masks = []
    for s in found.profile.segments:
        conds = tuple(c.model_dump(by_alias=True, exclude_none=True) for c in s.conditions)
        if all(c["attribute"] in latent.columns for c in conds):
            masks.append(matches(latent, Rule("s", "", conds, 0.0, 0.0)))
    for planted in SEGMENTS[:2]:
        truth = matches(latent, planted)
        best = max(((m & truth).sum() / (m | truth).sum() for m in masks), default=0.0)
        assert best >= 0.6, planted.name


def test_segment_names_are_short_business_words(demo) -> None:  # type: ignore[no-untyped-def]
    _table, found, _latent = demo
    words = set(re.findall(r"[\w&+.$–,]+", found.profile.silhouette or ""))
    for s in found.profile.segments:
        assert len(s.name) <= 60, s.name
        assert "..." not in s.name, s.name
        assert "_" not in s.name, s.name
        for cond in s.conditions:  # every listed value is a whole word of its own
            for v in cond.in_ or []:
                if v.lower() not in {"true", "false"} and v in s.name:
                    assert re.search(rf"(^|[ ·,]){re.escape(v)}($|[ ·,])", s.name), s.name
    assert words
    # Ranked: expected extra successes, size x (rate - base), never increasing.
    base = found.label.rate
    extra = [s.size * (s.success_rate - base) for s in found.profile.segments]  # type: ignore[operator]
    assert extra == sorted(extra, reverse=True)


def test_total_effect_of_a_trait_counts_its_segments(demo) -> None:  # type: ignore[no-untyped-def]
    _table, found, _latent = demo
    traits = trait_effects(found.profile)
    for s in found.profile.segments:
        listing = [t for t in traits if any(x["name"] == s.name for x in t["segments"])]
        assert len(listing) == len({c.attribute for c in s.conditions}), s.name
        for t in listing:
            assert t["total"] == t["own_points"] + t["segment_points"]
    # A trait the segments carry does not read "+0": its total includes their points.
    carried = [t for t in traits if t["segment_points"] > 0]
    assert carried
    assert all(t["total"] > t["own_points"] for t in carried)
    shown = explain_profile(found.profile)
    assert shown["traits"] == traits
    assert shown["contradictions"] == []


def test_contradiction_in_a_hand_edited_profile_is_listed() -> None:
    profile = profile_from_dict(
        {
            "attributes": [
                {
                    "name": "last_funding_type",
                    "kind": "categorical",
                    "bins": [
                        {"values": ["Seed", "Series A"], "points": 4, "success_rate": 0.169},
                        {"values": ["Series C"], "points": 2, "success_rate": 0.282},
                    ],
                    "missing_points": 5,
                    "missing_success_rate": 0.1,
                }
            ]
        }
    )
    found = contradictions(profile)
    pairs = {(c["bin"], c["versus_bin"]) for c in found}
    assert ("Seed, Series A", "Series C") in pairs
    assert ("missing", "Series C") in pairs
    df = pd.DataFrame({"last_funding_type": ["Seed", "Series C"] * 20, "won": [0, 1] * 20})
    assert evaluate(profile, df, "won")["contradictions"] == found


def test_tier_cutoffs_never_collapse() -> None:
    # Most rows on one score (the real-export case: "A >= 2, B >= 2, C >= 2").
    scores = np.r_[np.full(40, 2), np.arange(3, 13)]
    t = tier_cutoffs(scores)
    assert t.A > t.B > t.C
    t = tier_cutoffs(np.full(30, 2))
    assert t.A > t.B > t.C


def test_small_real_export_gets_distinct_tiers() -> None:
    # A small Salesforce-style export: one informative label, so few distinct scores, heavy ties.
    rng = np.random.default_rng(3)
    n = 150
    industry = rng.choice(["Software", "Retail", "Healthcare"], n)
    won = (industry == "Software") & (rng.random(n) < 0.8) | (rng.random(n) < 0.1)
    df = pd.DataFrame(
        {
            "Industry": industry,
            "NumberOfEmployees": rng.integers(10, 500, n),
            "Phone": [f"+1 555 01{i:02d}" if i % 3 else None for i in range(n)],
            "IsWon": won,
        }
    )
    profile = learn(df, "IsWon").profile
    scores = score_table(profile, df).column("icp_score").to_numpy()
    assert len(np.unique(scores)) <= 6  # the tie-heavy case
    t = profile.tiers
    assert t.A > t.B > t.C
