"""The profile contract: validation names the field; the reference scorer follows the documented semantics."""

from __future__ import annotations

import pandas as pd
import pytest

from icpkit.errors import ProfileError
from icpkit.profile import load_profile, profile_from_dict, save_profile
from icpkit.scoring import score_table

HUNCH = {
    "name": "Sales hunch",
    "intercept": 10,
    "attributes": [
        {
            "name": "employees",
            "kind": "numeric",
            "bins": [
                {"upper": 50, "points": 0},
                {"lower": 50, "upper": 1000, "points": 30},
                {"lower": 1000, "points": 20},
            ],
            "missing_points": 5,
        },
        {
            "name": "industry",
            "kind": "categorical",
            "bins": [
                {"values": ["software"], "points": 40},
                {"values": ["education"], "points": -20},
            ],
            "other_points": 0,
            "missing_points": 0,
        },
    ],
    "segments": [
        {
            "name": "Mid-market software",
            "conditions": [
                {"attribute": "industry", "in": ["software"]},
                {"attribute": "employees", "ge": 200},
            ],
            "points": 20,
        }
    ],
    "disqualifiers": [
        {"name": "Tiny", "conditions": [{"attribute": "employees", "lt": 5}], "cap": 10},
    ],
    "tiers": {"A": 75, "B": 50, "C": 25},
}


def test_reference_scorer_follows_semantics() -> None:
    profile = profile_from_dict(HUNCH)
    df = pd.DataFrame(
        {
            "employees": [300.0, 50.0, None, 2000.0, 3.0, 49.999],
            "industry": ["software", "retail", "education", "", "software", None],
        }
    )
    out = score_table(profile, df).to_pylist()
    # 10 + 30 + 40 + 20 (segment) = 100; 10 + 30 + 0 = 40; 10 + 5 - 20 = -5 -> 0;
    # 10 + 20 + 0 (''= missing) = 30; 10 + 0 + 40 = 50 capped at 10; 10 + 0 + 0 = 10
    assert [r["icp_score"] for r in out] == [100, 40, 0, 30, 10, 10]
    assert [r["icp_tier"] for r in out] == ["A", "C", "D", "C", "D", "D"]
    assert [r["icp_segment"] for r in out] == ["Mid-market software", None, None, None, None, None]


def test_profile_round_trips_through_yaml(tmp_path) -> None:
    profile = profile_from_dict(HUNCH)
    path = save_profile(profile, tmp_path / "p.yaml")
    again = load_profile(path)
    assert again.attributes == profile.attributes
    assert again.segments[0].conditions[0].in_ == ["software"]
    assert "in:" in path.read_text()


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        (
            lambda d: d["attributes"][0]["bins"][0].update(points="many"),
            "attributes['employees'].bins[0].points",
        ),
        (lambda d: d["tiers"].update(A=10), "tiers"),
        (lambda d: d["attributes"][1].update(kind="fuzzy"), "attributes['industry'].kind"),
    ],
)
def test_invalid_profile_names_the_field(patch, field) -> None:
    import copy

    data = copy.deepcopy(HUNCH)
    patch(data)
    with pytest.raises(ProfileError) as info:
        profile_from_dict(data)
    assert field in str(info.value)
