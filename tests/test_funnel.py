"""Funnel by tier, against hand-computed answers on tests/fixtures/analytics/leads.csv.

Tiers under profile.yaml: Software/300 -> A (4 leads), Software/no size -> B (2),
Retail/2000 -> C (3), Education/50 -> D (3).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from _helpers import icp
from icpkit.errors import SchemaError
from icpkit.funnel import funnel_by_tier, lead_stages
from icpkit.profile import load_profile

FIX = Path(__file__).parent / "fixtures" / "analytics"


@pytest.fixture(scope="module")
def profile():
    return load_profile(FIX / "profile.yaml")


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    return pd.read_csv(FIX / "leads.csv")


def test_funnel_by_tier_hand_computed(leads, profile) -> None:
    table, summary = funnel_by_tier(leads, profile)
    a = table.set_index("tier").loc["A"]
    assert (a["leads"], a["mql"], a["sql"], a["opportunity"], a["won"]) == (4, 4, 4, 3, 2)
    assert a["sql_to_opportunity"] == 0.75
    assert a["win_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert a["median_cycle_days"] == 80.0  # 60 and 100 days
    assert a["mean_acv"] == 2000.0
    every = table.set_index("tier").loc["all"]
    assert (every["leads"], every["mql"], every["sql"], every["opportunity"], every["won"]) == (
        12,
        8,
        6,
        4,
        2,
    )
    assert summary["icp_share"] == 0.5
    assert summary["tier_share"] == {"A": 0.3333, "B": 0.1667, "C": 0.25, "D": 0.25}
    assert summary["win_rate_by_tier"]["B"] is None  # no opportunities: no rate, not 0
    seg = {r["segment"]: r for r in summary["by_segment"]}
    assert seg["Mid-market software"]["won"] == 2
    assert seg["Enterprise"]["leads"] == 3
    channels = {(r["channel"], r["tier"]): r["leads"] for r in summary["by_channel"]}
    assert channels == {
        ("Paid Social", "C"): 3,
        ("Paid Social", "D"): 3,
        ("Referral", "A"): 4,
        ("Webinar", "B"): 2,
    }
    assert summary["flags"] == []  # too few leads to flag anything


def test_flags_on_non_icp_effort(leads, profile) -> None:
    many = pd.concat([leads] * 5, ignore_index=True)  # 60 leads: enough to flag
    _, summary = funnel_by_tier(many, profile)
    flags = " | ".join(summary["flags"])
    assert "50% of leads are tier C/D" in flags
    assert "38% of MQLs are tier C/D" in flags  # 15 of 40
    assert "33% of SQLs are tier C/D" in flags  # 10 of 30
    assert "opportunities" not in flags  # 5 of 20 = 25%: under the 30% line
    assert "channel 'Paid Social' brings 50% of leads, 100% of them tier C/D (overall 50%)" in flags


def test_stages_from_status() -> None:
    status = pd.DataFrame(
        {
            "status": [
                "Open - Not Contacted",
                "Working - Contacted",
                "Closed - Converted",
                "Closed - Not Converted",
                "Sales Qualified Lead",
                "Closed Won",
                "Unqualified",
                None,
            ]
        }
    )
    stage, evidence = lead_stages(status)
    assert stage.tolist() == [0, 1, 3, 0, 2, 4, 0, 0]
    assert "status" in evidence


def test_tier_via_accounts_and_unmatched(profile) -> None:
    leads = pd.DataFrame({"account_id": ["a", "b", "zz"], "status": ["Closed Won", "MQL", "MQL"]})
    accounts = pd.DataFrame(
        {"account_id": ["a", "b"], "industry": ["Software", "Education"], "employees": [300, 50]}
    )
    table, summary = funnel_by_tier(leads, profile, accounts=accounts)
    tiers = table.set_index("tier")
    assert tiers.loc["A", "won"] == 1
    assert tiers.loc["D", "mql"] == 1
    assert tiers.loc["unmatched", "leads"] == 1  # shown, not dropped
    assert summary["leads"] == 3


def test_errors(profile) -> None:
    with pytest.raises(SchemaError, match="status"):
        funnel_by_tier(pd.DataFrame({"industry": ["x"], "employees": [1]}), profile)
    with pytest.raises(SchemaError, match="employees"):
        funnel_by_tier(pd.DataFrame({"status": ["MQL"]}), profile)


def test_cli_funnel(capsys) -> None:
    code, out, err = icp(
        capsys, "funnel", FIX / "leads.csv", "--profile", FIX / "profile.yaml", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"]["icp_share"] == 0.5
    assert [r["tier"] for r in data["table"]] == ["A", "B", "C", "D", "all"]
    code, _, err = icp(capsys, "funnel", FIX / "leads.csv")
    assert code == 2
    assert len(err.strip().splitlines()) == 1


def test_funnel_on_synthetic_world(world_dir: Path) -> None:
    from icpkit.profile import profile_from_dict

    truth = json.loads((world_dir / "truth.json").read_text())
    prof = profile_from_dict(
        {
            "segments": [
                {"name": s["name"], "conditions": s["conditions"], "points": 100}
                for s in truth["segments"]
            ]
        }
    )
    table, summary = funnel_by_tier(
        world_dir / "leads.csv",
        prof,
        accounts=world_dir / "accounts.csv",
        deals=world_dir / "deals.csv",
    )
    tiers = table.set_index("tier")
    # Planted segments win ~50-70% against a ~16% base: their leads must convert far better.
    assert tiers.loc["A", "lead_to_won"] > 2.5 * tiers.loc["D", "lead_to_won"]
    assert tiers.loc["all", "leads"] == summary["leads"]
    assert tiers.loc["all", "won"] == tiers.loc[["A", "B", "C", "D", "unmatched"], "won"].sum()
    assert summary["stage_evidence"].startswith("the stage dates")
    assert any("tier C/D" in f for f in summary["flags"])
    assert tiers.loc["A", "mean_acv"] > 0


def test_funnel_on_crm_sales_opportunities(profile) -> None:
    # Maven CRM: a deal_stage column (Prospecting, Engaging, Won, Lost); tiers via account name.
    base = Path("/work/shared/datasets/crm_sales_opportunities")
    table, summary = funnel_by_tier(
        base / "sales_pipeline.csv", profile, accounts=base / "accounts.csv"
    )
    raw = pd.read_csv(base / "sales_pipeline.csv")
    every = table.set_index("tier").loc["all"]
    assert every["leads"] == len(raw)
    assert every["won"] == int((raw["deal_stage"] == "Won").sum())
    assert every["opportunity"] == int(raw["deal_stage"].isin(["Won", "Lost"]).sum())
    assert summary["stage_evidence"] == "the deal stage column"
    unmatched = table.set_index("tier").loc["unmatched", "leads"]
    assert unmatched == int(raw["account"].isna().sum())  # no account: shown, not dropped
    # Tiers barely differ in win rate here: no "wasted effort" flag on noise.
    assert not any("tier C/D" in f for f in summary["flags"])
