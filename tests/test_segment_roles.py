"""What each listed segment does to the score, said where it is listed (discover, explain, report).

A new user read discover's segment table on a 2,000-account synthetic world and saw rows with 0
bonus points and one-trait segments that only repeat a points-table row, all presented alike as
"several ICPs". Each listing now shows what carries weight and says why the others are there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from _helpers import icp
from icpkit.explain import explain_profile, segment_role
from icpkit.profile import profile_from_dict
from icpkit.report import build_report, render_markdown

PROFILE = {
    "name": "Roles",
    "intercept": 40,
    "success": {"target": "IsWon"},
    "attributes": [
        {
            "name": "industry",
            "kind": "categorical",
            "bins": [
                {"values": ["Software"], "points": 10},
                {"values": ["Education"], "points": -10},
            ],
        },
        {
            "name": "cloud_spend",
            "kind": "numeric",
            "bins": [{"upper": 1000, "points": -5}, {"lower": 1000, "points": 5}],
        },
    ],
    "segments": [
        {  # two traits and a bonus: carries weight
            "name": "Software · monthly cloud spend $1k+",
            "conditions": [
                {"attribute": "industry", "in": ["Software"]},
                {"attribute": "cloud_spend", "ge": 1000},
            ],
            "points": 12,
            "size": 300,
            "success_rate": 0.4,
            "lift": 2.5,
            "held_out_size": 90,
            "held_out_success_rate": 0.35,
            "held_out_lift": 2.2,
        },
        {  # one trait and a bonus: tops up a points-table group
            "name": "monthly cloud spend $14.5k+",
            "conditions": [{"attribute": "cloud_spend", "ge": 14500}],
            "points": 7,
            "size": 477,
            "success_rate": 0.33,
            "lift": 2.1,
        },
        {  # two traits, no bonus: described for the reader
            "name": "Software · in Europe",
            "conditions": [
                {"attribute": "industry", "in": ["Software"]},
                {"attribute": "region", "in": ["Europe"]},
            ],
            "points": 0,
            "size": 80,
            "success_rate": 0.5,
            "lift": 3.1,
        },
        {  # one trait of the points table, no bonus: repeats its row
            "name": "Software",
            "conditions": [{"attribute": "industry", "in": ["Software"]}],
            "points": 0,
            "size": 600,
            "success_rate": 0.3,
            "lift": 1.9,
        },
        {  # a negative bonus: the additive points over-score these
            "name": "Software · monthly cloud spend under $1k",
            "conditions": [
                {"attribute": "industry", "in": ["Software"]},
                {"attribute": "cloud_spend", "lt": 1000},
            ],
            "points": -3,
            "size": 120,
            "success_rate": 0.2,
            "lift": 1.2,
        },
    ],
    "tiers": {"A": 60, "B": 45, "C": 30},
}
REPEAT = "Software"


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    path = tmp_path / "roles.yaml"
    path.write_text(yaml.safe_dump(PROFILE, sort_keys=False), "utf-8")
    return path


def test_each_segment_has_a_role_from_its_points_and_traits() -> None:
    profile = profile_from_dict(PROFILE)
    roles = [segment_role(s, profile) for s in profile.segments]
    assert roles == ["bonus", "top-up", "described", "repeat", "correction"]
    # a one-trait segment on a column the points table does not score is not a repeat
    lone = profile_from_dict(
        {
            **PROFILE,
            "segments": [
                {"name": "in Europe", "conditions": [{"attribute": "region", "in": ["Europe"]}]}
            ],
        }
    )
    assert segment_role(lone.segments[0], lone) == "described"


def test_explain_says_why_each_segment_is_listed(capsys, profile_file: Path) -> None:
    code, text, err = icp(capsys, "explain", profile_file)
    assert code == 0, err
    lines = {
        name: next(line for line in text.splitlines() if f"Segment {name}:" in line)
        for name in (s["name"] for s in PROFILE["segments"] if s["name"] != REPEAT)
    }
    assert "+12 points" in lines["Software · monthly cloud spend $1k+"]
    assert "points-table" in lines["monthly cloud spend $14.5k+"]
    assert "not a separate ICP" in lines["monthly cloud spend $14.5k+"]
    described = lines["Software · in Europe"]
    assert "no points" in described
    assert "score through their traits" in described
    assert "over-scores" in lines["Software · monthly cloud spend under $1k"]
    # the repeat is not listed as a segment; one line says it was left out and why
    assert f"Segment {REPEAT}:" not in text
    assert re.search(r"Left out: 1 one-trait segment with no bonus.*repeats.*Software", text)
    d = explain_profile(profile_from_dict(PROFILE))
    assert [s["role"] for s in d["segments"]] == [
        "bonus",
        "top-up",
        "described",
        "repeat",
        "correction",
    ]


def test_report_lists_no_repeat_as_an_icp_and_says_what_each_bonus_does() -> None:
    profile = profile_from_dict(PROFILE)
    md = render_markdown(build_report({"profile": profile}))
    icps = re.findall(r"\*\*ICP \d+\*\*: ([^(]+) \(", md)
    # the several ICPs are the segments of their own: no repeat, no one-trait top-up
    assert [name.strip() for name in icps] == [
        "Software · monthly cloud spend $1k+",
        "Software · in Europe",
        "Software · monthly cloud spend under $1k",
    ]
    seg = md[md.index("## The segments") :]
    seg = seg[: seg.index("\n## ", 5)]
    assert "| ICP 1: Software · monthly cloud spend $1k+ |" in seg
    assert "| ICP 2: Software · in Europe |" in seg
    assert "| one trait: monthly cloud spend $14.5k+ |" in seg
    assert "+12" in seg
    assert "not a separate ICP" in seg
    assert "over-scores" in seg
    assert "repeats a row of the points table" in seg
    for effect in ("+12 bonus", "+7 on one trait", "none: named only", "-3 correction"):
        assert f"| {effect} |" in seg
    # the rule column reads in business words, not column names, named as in the tables
    assert "cloud_spend" not in seg
    assert "| industry is Software and monthly cloud spend $1k or more |" in seg
