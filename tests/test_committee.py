"""Buying committee: hand-computed on a 5-deal fixture, and recovery of the planted committee.

Fixture (tests/fixtures/analytics/committee_*.csv): D1, D2 won; D3, D4 lost; D5 open.
Economic Buyer sits on both won deals and no lost one: smoothed lift
((2 + .5) / 3) / ((0 + .5) / 3) = 5.0. Won committees have 3 and 2 people (mean 2.5),
lost ones 1 and 2 (mean 1.5).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from _helpers import icp
from icpkit.committee import buying_committee, committee_gaps, contact_personas
from icpkit.errors import SchemaError
from icpkit.profile import profile_from_dict

FIX = Path(__file__).parent / "fixtures" / "analytics"
CONTACTS, DEALS, ROLES = (FIX / f"committee_{n}.csv" for n in ("contacts", "deals", "roles"))
NORTHWIND = Path("/work/shared/datasets/northwind_b2b_orders/customers.csv")


def test_roles_in_won_versus_lost() -> None:
    table, summary = buying_committee(CONTACTS, DEALS, roles=ROLES)
    roles = table[table["dimension"] == "deal_role"].set_index("value")
    assert roles.loc["Economic Buyer", "won_share"] == 1.0
    assert roles.loc["Economic Buyer", "lost_share"] == 0.0
    assert roles.loc["Economic Buyer", "lift"] == 5.0
    assert roles.loc["Technical Buyer", "lift"] == 3.0  # (1.5/3) / (0.5/3)
    assert roles.loc["Influencer", "lift"] == 0.6  # (1.5/3) / (2.5/3)
    personas = table[table["dimension"] == "persona"].set_index("value")
    assert personas.loc["Finance · C-level", "won_deals"] == 2  # CFO titles parsed
    assert summary["deals"] == {"won": 2, "lost": 2, "open": 1}
    assert summary["committee_size"]["won"]["mean_size"] == 2.5
    assert summary["committee_size"]["lost"]["mean_size"] == 1.5
    assert [r["role"] for r in summary["deal_roles_by_lift"]][:2] == [
        "Economic Buyer",
        "Technical Buyer",
    ]


def test_gaps_recommend_missing_roles_first() -> None:
    table, summary = committee_gaps(CONTACTS, DEALS, roles=ROLES)
    # A5 (open deal) has only a software engineer: it covers Evaluator, lacks the rest.
    assert table["account_id"].unique().tolist() == ["A5"]
    assert table["persona"].tolist() == ["Finance · C-level", "Engineering · VP", "Sales · Manager"]
    assert table["deal_role"].tolist() == ["Economic Buyer", "Technical Buyer", "Influencer"]
    assert table["gap"].tolist() == [True, True, False]
    assert summary["contacts_to_add"] == 3  # at least 3, even for small committees
    assert summary["most_missing"] == {"Economic Buyer": 1, "Technical Buyer": 1}


def test_gaps_only_for_icp_accounts() -> None:
    profile = profile_from_dict(
        {
            "attributes": [
                {
                    "name": "industry",
                    "kind": "categorical",
                    "bins": [{"values": ["Software"], "points": 80}],
                }
            ]
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A5", "A6"],
            "name": ["x", "y", "z"],
            "industry": ["Software", "Software", "Retail"],
        }
    )
    table, summary = committee_gaps(
        CONTACTS, DEALS, roles=ROLES, accounts=accounts, profile=profile
    )
    # A1 has a won deal; A6 is tier D; A5 is the one open ICP account.
    assert summary["accounts"] == 1
    assert set(table["account_id"]) == {"A5"}
    assert set(table["tier"]) == {"A"}
    # Accounts already scored (icp_tier present) keep their tiers: A6 is now in the ICP.
    scored = accounts.assign(icp_tier=["A", "A", "B"])
    _, again = committee_gaps(CONTACTS, DEALS, roles=ROLES, accounts=scored, profile=profile)
    assert again["accounts"] == 2


def test_committee_without_roles_uses_account_contacts() -> None:
    _, summary = buying_committee(CONTACTS, DEALS)
    assert summary["committee_basis"].startswith("all contacts")
    assert summary["committee_size"]["won"]["mean_size"] == 2.5  # A1: 3 contacts, A2: 2


def test_northwind_titles() -> None:
    table, summary = buying_committee(NORTHWIND)
    assert summary["contacts"] == 91
    assert summary["contact_mix"]["seniority"]["C-level"] >= 17  # 17 owners, plus presidents
    top = table.iloc[0]
    assert (top["role"], top["seniority"]) == ("Sales", "Individual contributor")


def test_personas_need_titles() -> None:
    with pytest.raises(SchemaError, match="title"):
        contact_personas(pd.DataFrame({"name": ["x"]}))
    out = contact_personas(pd.DataFrame({"title": ["VP, Revenue Operations", None]}))
    assert out["persona"].tolist() == ["Operations · VP", "Unknown · Unknown"]


def test_planted_committee_recovered(world_dir: Path) -> None:
    truth = json.loads((world_dir / "truth.json").read_text())["committee"]
    table, summary = buying_committee(
        world_dir / "contacts.csv", world_dir / "deals.csv", roles=world_dir / "contact_roles.csv"
    )
    roles = table[table["dimension"] == "deal_role"].set_index("value")
    for role, share in truth["role_presence"].items():
        assert roles.loc[role, "won_share"] == pytest.approx(share["won"], abs=0.01)
        assert roles.loc[role, "lost_share"] == pytest.approx(share["lost"], abs=0.01)
    top_two = {r["role"] for r in summary["deal_roles_by_lift"][:2]}
    assert top_two == set(truth["planted_roles"])
    assert summary["committee_size"]["won"]["mean_size"] == pytest.approx(
        truth["mean_size_won"], abs=0.05
    )
    assert summary["committee_size"]["won"]["mean_size"] == pytest.approx(5.7, abs=0.5)
    gaps, gap_summary = committee_gaps(
        world_dir / "contacts.csv", world_dir / "deals.csv", roles=world_dir / "contact_roles.csv"
    )
    sizes = gaps.groupby("account_id").size()
    assert sizes.between(3, 10).all()
    assert set(gap_summary["most_missing"]) >= set(truth["planted_roles"])


def test_cli_committee(capsys) -> None:
    code, out, err = icp(
        capsys, "committee", CONTACTS, "--deals", DEALS, "--roles", ROLES, "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"]["deals"]["won"] == 2
    assert data["gaps"][0]["persona"] == "Finance · C-level"
    code, out, err = icp(capsys, "committee", DEALS)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "title" in err
