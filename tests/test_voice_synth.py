"""Voice on the synthetic world: the planted ICP themes are found, questions get
evidence from the right category, and the silent topic becomes an interview gap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from icpkit.synth import World
from icpkit.voice import (
    VoiceResult,
    analyze,
    ask,
    find_gaps,
    interview_plan,
    label_feedback,
)
from icpkit.voice._analyze import Labelled


def _scored(world: World) -> pd.DataFrame:
    """Scored accounts with the planted truth: tier A = a planted ICP segment."""
    lat = world.latent
    planted = lat["icp_segment"].notna()
    return pd.DataFrame(
        {
            "account_id": lat["account_id"].astype(str),
            "name": lat["name"],
            "icp_score": np.where(planted, 90, 30),
            "icp_tier": np.where(planted, "A", "C"),
            "icp_segment": lat["icp_segment"],
        }
    )


@pytest.fixture(scope="module")
def labelled(world: World, world_dir: Path) -> Labelled:
    return label_feedback(world_dir / "feedback.csv", _scored(world), method="tfidf")


@pytest.fixture(scope="module")
def result(world: World) -> VoiceResult:
    return analyze(world.feedback, _scored(world), method="tfidf")


def _keywords_found(themes: pd.DataFrame, category: str, keywords: list[str]) -> pd.DataFrame:
    g = themes[themes["category"] == category]
    text = g["label"] + " " + g["keywords"].map(" ".join)
    hit = text.str.lower().map(lambda t: any(k.lower() in t for k in keywords))
    return g[hit]


def test_every_item_is_linked_and_split(labelled: Labelled, world: World) -> None:
    report = labelled.report
    assert report["link"]["linked"] == len(world.feedback)
    assert report["link"]["unlinked"] == 0
    assert report["feedback"]["highlights"] > len(world.feedback)
    assert report["icp"]["accounts"] == int(world.latent["icp_segment"].notna().sum())


def test_planted_icp_themes_are_found(result: VoiceResult, world: World) -> None:
    truth: dict[str, Any] = world.truth["feedback"]
    themes = result.themes
    missed = []
    for segment, cats in truth["segments"].items():
        for category, planted in cats.items():
            found = _keywords_found(themes, category, planted["keywords"])
            # the theme is said by ICP accounts, far more than by the others
            found = found[
                (found["icp_accounts"] >= 3) & (found["icp_share"] > found["other_share"])
            ]
            if found.empty:
                missed.append((segment, category, planted["theme"]))
    assert not missed, missed


def test_themes_carry_quotes_with_account_and_source(result: VoiceResult) -> None:
    t = result.themes
    assert set(t["category"]) <= set(result.highlights["category"])
    assert "other" not in set(t["category"])
    for quotes in t["quotes"]:
        assert 1 <= len(quotes) <= 3
        for q in quotes:
            assert q["account_id"]
            assert q["source"]
            assert q["text"]
    assert (t["icp_share"].between(0, 1) & t["other_share"].between(0, 1)).all()
    report = result.report
    assert next(c["category"] for c in report["categories"]) == "pain_point"
    assert len(report["themes"]) == len(t)
    gaps = {g["topic"]: g["status"] for g in report["gaps"]}
    assert gaps["buying_process"] in {"missing", "thin"}
    assert gaps["discovery_channel"] == "covered"


def test_non_icp_price_theme_is_not_icp(result: VoiceResult, world: World) -> None:
    planted = world.truth["feedback"]["non_icp"]["churn_risk"]
    found = _keywords_found(result.themes, "churn_risk", planted["keywords"])
    assert not found.empty
    assert (found["other_share"] > found["icp_share"]).all()


@pytest.mark.parametrize(
    ("question", "category"),
    [
        ("How do customers find us?", "discovery_channel"),
        ("Why do they buy from us over the alternatives?", "purchase_reason"),
        ("What do they love about the product?", "praise"),
        ("What are their pain points?", "pain_point"),
    ],
)
def test_questions_get_evidence_from_the_right_category(
    labelled: Labelled, question: str, category: str
) -> None:
    answer = ask(labelled, question, top=8)
    assert answer["categories"][0] == category
    assert answer["icp_only"] is True
    evidence = answer["evidence"]
    assert len(evidence) >= 3
    assert all(e["is_icp"] for e in evidence)
    share = np.mean([e["category"] == category for e in evidence])
    assert share >= 0.75, evidence
    assert evidence == sorted(evidence, key=lambda e: -e["relevance"])
    assert answer["summary"]["themes"]
    assert "Top themes" in answer["summary"]["text"]


def test_silent_buying_process_is_a_gap(labelled: Labelled, world: World) -> None:
    gaps = find_gaps(labelled).set_index("topic")
    assert world.truth["feedback"]["silent_for_icp"] == ["buying_process"]
    assert gaps.loc["buying_process", "status"] in {"missing", "thin"}
    for topic in ("pain_points", "discovery_channel", "purchase_reason", "praise"):
        assert gaps.loc[topic, "status"] == "covered", gaps


def test_interview_plan_picks_decision_makers_at_icp_accounts(
    labelled: Labelled, world: World, world_dir: Path
) -> None:
    plan = interview_plan(labelled, world_dir / "contacts.csv", n_contacts=8)
    icp_ids = set(world.latent.loc[world.latent["icp_segment"].notna(), "account_id"].astype(str))
    contacts = plan["contacts"]
    assert len(contacts) == 8
    assert {c["account_id"] for c in contacts} <= icp_ids
    assert len({c["account_id"] for c in contacts}) == 8  # one per account
    senior = (
        "chief",
        "ceo",
        "cfo",
        "cro",
        "cto",
        "coo",
        "cio",
        "vp",
        "vice",
        "head",
        "director",
        "founder",
        "president",
    )
    assert all(any(s in str(c["title"]).lower() for s in senior) for c in contacts), contacts
    topics = {t["topic"]: t for t in plan["topics"]}
    assert "buying_process" in topics
    assert all(3 <= len(t["questions"]) <= 5 for t in plan["topics"])


def test_accounts_without_tiers_are_scored_with_a_profile(world: World, world_dir: Path) -> None:
    from icpkit.errors import SchemaError
    from icpkit.profile import profile_from_dict
    from icpkit.voice import load_accounts

    profile = profile_from_dict(
        {
            "intercept": 10,
            "attributes": [
                {
                    "name": "industry",
                    "kind": "categorical",
                    "bins": [{"values": ["Software"], "points": 80}],
                }
            ],
            "tiers": {"A": 75, "B": 50, "C": 25},
        }
    )
    accounts = load_accounts(world_dir / "accounts.csv", profile)
    software = (world.latent["industry"] == "Software").sum()
    # the export blanks a few industries, so a few Software accounts lose their points
    assert 0.95 * software <= (accounts["icp_tier"] == "A").sum() <= software
    assert accounts["account_id"].is_unique
    with pytest.raises(SchemaError, match="not scored"):
        load_accounts(world_dir / "accounts.csv")
