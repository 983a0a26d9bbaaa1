"""CRM import files: field conventions per CRM, formula-injection safety, clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from icpkit.errors import ConfigError, SchemaError
from icpkit.export import HUBSPOT_TIERS, crm_frame, export_scores, safe_cell

SCORES = pd.DataFrame(
    {
        "account_id": ["001A", "001B", "001C", "001D", "001E"],
        "name": ['=HYPERLINK("http://x")', "+1 Corp", "-Minus", "@Home", "Acme, Inc."],
        "domain": ["a.com", "b.com", "c.com", "d.com", "e.com"],
        "icp_score": [91, 62, 30, 5, 77],
        "icp_tier": ["A", "B", "C", "D", "A"],
        "icp_segment": ["\tTabbed", None, "Mid-market", None, "Mid-market"],
        "icp_reasons": ["industry is Software (+40); employees 50–5,000 (+30)", None, "", "x", "y"],
    }
)


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_salesforce_fields(tmp_path: Path) -> None:
    rows = read(export_scores(SCORES, "salesforce", tmp_path / "sf.csv"))
    assert list(rows[0]) == [
        "Id",
        "Name",
        "ICP_Score__c",
        "ICP_Tier__c",
        "ICP_Segment__c",
        "ICP_Reasons__c",
        "ICP_Reasons_Full__c",
    ]
    assert rows[0]["ICP_Reasons__c"] == "Why: industry is Software (+40); employees 50–5,000 (+30)"
    assert [r["Id"] for r in rows] == list(SCORES["account_id"])
    assert [r["ICP_Score__c"] for r in rows] == ["91", "62", "30", "5", "77"]
    assert rows[4]["Name"] == "Acme, Inc."  # quoted, not split


def test_hubspot_tier_values(tmp_path: Path) -> None:
    rows = read(export_scores(SCORES, "hubspot", tmp_path / "hs.csv"))
    assert "hs_ideal_customer_profile" in rows[0]
    assert [r["hs_ideal_customer_profile"] for r in rows] == [
        "tier_1",
        "tier_2",
        "tier_3",
        "",
        "tier_1",
    ]
    assert rows[0]["Record ID"] == "001A"
    assert rows[0]["Company Domain Name"] == "a.com"
    assert HUBSPOT_TIERS == {"A": "tier_1", "B": "tier_2", "C": "tier_3"}


@pytest.mark.parametrize("target", ["salesforce", "hubspot", "csv"])
def test_no_cell_can_run_as_a_formula(tmp_path: Path, target: str) -> None:
    path = export_scores(SCORES, target, tmp_path / f"{target}.csv")
    for row in read(path):
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    text = path.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text
    assert "'+1 Corp" in text
    assert "'@Home" in text


def test_safe_cell_leaves_numbers_and_plain_text() -> None:
    assert safe_cell(-5) == -5
    assert safe_cell("Acme") == "Acme"
    assert safe_cell("-5") == "-5"  # a signed number is a number, not a formula
    assert safe_cell("+14") == "+14"
    assert safe_cell("-Minus") == "'-Minus"
    assert safe_cell(None) is None


def test_unknown_crm_suggests_the_closest(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="hubspot") as info:
        crm_frame(SCORES, "hubspt")
    assert "Did you mean 'hubspot'" in str(info.value)
    assert not (tmp_path / "x.csv").exists()


def test_scores_without_tier_are_rejected() -> None:
    with pytest.raises(SchemaError, match="icp_tier"):
        crm_frame(SCORES.drop(columns=["icp_tier"]), "salesforce")
