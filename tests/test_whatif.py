"""What-if backtests: an edited profile scores exactly like the reference engine, fast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from icpkit.errors import ConfigError, ProfileError
from icpkit.evaluate import evaluate_scores
from icpkit.profile import profile_from_dict
from icpkit.scoring import score_table
from icpkit.whatif import WhatIf, apply_edits, parse_rules, rules_text

PROFILE = {
    "name": "t",
    "intercept": 40,
    "attributes": [
        {
            "name": "employees",
            "kind": "numeric",
            "missing_points": -3,
            "bins": [
                {"upper": 50, "points": -10},
                {"lower": 50, "upper": 500, "points": 5},
                {"lower": 500, "points": 12},
            ],
        },
        {
            "name": "industry",
            "kind": "categorical",
            "other_points": -1,
            "bins": [
                {"values": ["Software", "Fintech"], "points": 10},
                {"values": ["Retail"], "points": -8},
            ],
        },
        {
            "name": "uses_crm",
            "kind": "categorical",
            "bins": [{"values": ["true"], "points": 6}, {"values": ["false"], "points": -4}],
        },
    ],
    "segments": [
        {
            "name": "big software",
            "points": 15,
            "conditions": [
                {"attribute": "industry", "in": ["Software"]},
                {"attribute": "employees", "ge": 500},
            ],
        }
    ],
    "disqualifiers": [
        {"name": "tiny", "cap": 20, "conditions": [{"attribute": "employees", "lt": 10}]}
    ],
    "tiers": {"A": 70, "B": 50, "C": 30},
}


@pytest.fixture(scope="module")
def data() -> tuple[pa.Table, np.ndarray]:
    rng = np.random.default_rng(7)
    n = 5000
    emp = rng.lognormal(5, 1.5, n)
    emp[rng.random(n) < 0.05] = np.nan
    industry = rng.choice(["Software", "Fintech", "Retail", "Health", None], n)
    crm = rng.choice([True, False], n)
    logit = -2 + 0.4 * np.log1p(np.nan_to_num(emp)) / 2 + (industry == "Software") + 0.5 * crm
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame({"employees": emp, "industry": industry, "uses_crm": crm})
    return pa.Table.from_pandas(frame, preserve_index=False), y


EDITS = [
    [],
    [{"op": "points", "attribute": "employees", "bin": 2, "points": 30}],
    [{"op": "points", "attribute": "industry", "bin": "other", "points": 9}],
    [{"op": "points", "attribute": "employees", "bin": "missing", "points": 25}],
    [{"op": "tiers", "A": 60, "B": 45, "C": 20}],
    [{"op": "remove_segment", "name": "big software"}],
    [{"op": "remove_disqualifier", "name": "tiny"}],
    [
        {
            "op": "add_segment",
            "name": "mid fintech",
            "rules": "industry in Fintech\nemployees between 50 and 500",
            "points": 20,
        }
    ],
    [{"op": "add_disqualifier", "name": "retail", "rules": "industry in Retail", "cap": 10}],
    [{"op": "add_segment", "name": "no crm", "rules": "uses_crm not in true", "points": -30}],
]


@pytest.mark.parametrize("edits", EDITS, ids=range(len(EDITS)))
def test_edited_scores_equal_the_reference_engine(
    data: tuple[pa.Table, np.ndarray], edits: list
) -> None:
    table, y = data
    base = profile_from_dict(PROFILE)
    edited = apply_edits(base, edits)
    wi = WhatIf(table, y)
    wi.backtest(base)  # warm the caches with the base layout, as the web page does
    score, tier, segment = wi.score(edited)
    ref = score_table(edited, table)
    assert np.array_equal(score, ref.column("icp_score").to_numpy())
    assert list(tier) == ref.column("icp_tier").to_pylist()
    names = [edited.segments[i].name if i >= 0 else None for i in segment]
    assert names == ref.column("icp_segment").to_pylist()
    # The metrics are the library's backtest of those scores.
    expected = evaluate_scores(y, ref.column("icp_score").to_numpy(), np.asarray(tier))
    got = wi.backtest(edited)
    assert got["auc"] == expected["auc"]
    assert got["tiers"] == expected["tiers"]


def test_compare_reports_both_versions_and_moves(data: tuple[pa.Table, np.ndarray]) -> None:
    table, y = data
    base = profile_from_dict(PROFILE)
    edited = apply_edits(base, [{"op": "tiers", "A": 95, "B": 90, "C": 85}])
    result = WhatIf(table, y).compare(base, edited)
    assert result["current"]["ab_share_of_rows"] > result["edited"]["ab_share_of_rows"]
    assert result["delta"]["ab_share_of_rows"] < 0
    assert result["rows_changing_tier"] > 0
    assert result["rows_moving_up"] == 0  # higher cut-offs only move accounts down
    assert result["edited"]["segments"][0]["name"] == "big software"
    seg = result["edited"]["segments"][0]
    mask = (table.column("industry").to_numpy(zero_copy_only=False) == "Software") & (
        np.nan_to_num(table.column("employees").to_numpy()) >= 500
    )
    assert seg["rows"] == int(mask.sum())
    assert seg["successes"] == int(y[mask].sum())


def test_contradictions_flag_points_against_the_evidence(data: tuple[pa.Table, np.ndarray]) -> None:
    table, y = data
    base = profile_from_dict(PROFILE)
    wi = WhatIf(table, y)
    assert not [c for c in wi.backtest(base)["contradictions"] if c["attribute"] == "uses crm"]
    # CRM users succeed more often (planted above): giving non-users more points contradicts it.
    flipped = apply_edits(base, [{"op": "points", "attribute": "uses_crm", "bin": 1, "points": 20}])
    found = [c for c in wi.backtest(flipped)["contradictions"] if c["attribute"] == "uses crm"]
    assert found
    assert found[0]["higher_points"] == "false"
    assert found[0]["points"] == 20
    assert found[0]["success_rate"] < found[0]["their_success_rate"]


def test_rules_round_trip_and_bad_rules_say_which_line() -> None:
    text = "industry in Fintech, Banking\nregion not in Europe\nemployees between 200 and 1000\nage >= 3; age < 9"
    conditions = parse_rules(text)
    assert len(conditions) == 5
    assert conditions[0].in_ == ["Fintech", "Banking"]
    assert conditions[2].ge == 200
    assert conditions[2].lt == 1000
    assert parse_rules(rules_text(conditions)) == conditions
    with pytest.raises(ConfigError, match="line 2"):
        parse_rules("industry in Fintech\nemployees is big")
    with pytest.raises(ConfigError, match="line 1"):
        parse_rules("employees >= lots")
    with pytest.raises(ConfigError, match="empty"):
        parse_rules("# only a comment")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            {"op": "points", "attribute": "revenue", "bin": 0, "points": 1},
            "no attribute named 'revenue'",
        ),
        ({"op": "points", "attribute": "employees", "bin": 9, "points": 1}, "no bin 9"),
        ({"op": "remove_segment", "name": "nope"}, "no segment named 'nope'"),
        (
            {"op": "add_segment", "name": "big software", "rules": "employees >= 1"},
            "already exists",
        ),
        ({"op": "explode"}, "unknown edit 'explode'"),
        ({"op": "points", "attribute": "employees", "bin": 0}, "incomplete"),
    ],
)
def test_bad_edits_say_what_is_wrong(edit: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        apply_edits(profile_from_dict(PROFILE), [edit])


def test_edits_are_validated_like_a_profile_file() -> None:
    with pytest.raises(ProfileError, match="tiers"):
        apply_edits(profile_from_dict(PROFILE), [{"op": "tiers", "A": 10, "B": 50, "C": 30}])
