"""Attributes are shown under business names wherever a table lists them, never column names.

A new user saw `cloud_spend`, `tech_aws`, `Territory_Code__c` and telco's `OnlineSecurity` in
the attribute and points tables of discover, explain and the report.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from _helpers import icp
from icpkit.phrases import attribute_name
from icpkit.profile import profile_from_dict
from icpkit.report import build_report, render_markdown


@pytest.mark.parametrize(
    ("column", "words"),
    [
        ("Territory_Code__c", "Territory Code"),  # Salesforce custom field: the label's words
        ("cloud_spend", "monthly cloud spend"),  # a documented column: its description
        ("annual_revenue", "annual revenue"),
        ("funding_total", "total funding"),
        ("founded_year", "year founded"),
        ("tech_aws", "uses AWS"),
        ("tech_hubspot", "uses HubSpot"),
        ("OnlineSecurity", "Online Security"),  # telco's CamelCase headers
        ("PaymentMethod", "Payment Method"),
        ("Lead Quality", "Lead Quality"),  # already words: unchanged
        ("NRR", "NRR"),  # an acronym stays whole
    ],
)
def test_attribute_name_is_business_words(column: str, words: str) -> None:
    assert attribute_name(column) == words


def test_a_label_written_in_the_profile_wins() -> None:
    assert attribute_name("cloud_spend", "cloud budget") == "cloud budget"


PROFILE = {
    "name": "Words",
    "intercept": 40,
    "success": {"target": "IsWon"},
    "attributes": [
        {
            "name": "cloud_spend",
            "kind": "numeric",
            "bins": [
                {"upper": 1000, "points": -5, "count": 40, "success_rate": 0.05},
                {"lower": 1000, "points": 5, "count": 60, "success_rate": 0.3},
            ],
        },
        {
            "name": "tech_aws",
            "kind": "categorical",
            "bins": [
                {"values": ["false"], "points": -2, "count": 50, "success_rate": 0.1},
                {"values": ["true"], "points": 3, "count": 50, "success_rate": 0.25},
            ],
        },
        {
            "name": "Territory_Code__c",
            "kind": "categorical",
            "bins": [{"values": ["T38"], "points": 1, "count": 10, "success_rate": 0.3}],
        },
    ],
    "tiers": {"A": 60, "B": 45, "C": 30},
}
RAW = ("cloud_spend", "tech_aws", "Territory_Code__c")


def test_explain_points_table_reads_business_names(capsys, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(PROFILE), "utf-8")
    code, text, err = icp(capsys, "explain", path, "--json")
    assert code == 0, err
    import json

    rows = json.loads(text)["points"]
    assert {r["attribute"] for r in rows} == {"monthly cloud spend", "uses AWS", "Territory Code"}
    # a yes/no flag's groups read yes and no
    assert [r["bin"] for r in rows if r["attribute"] == "uses AWS"] == ["no", "yes"]


def test_report_tables_and_charts_read_business_names() -> None:
    md = render_markdown(
        build_report({"profile": profile_from_dict(PROFILE), "success": {"base_rate": 0.2}})
    )
    part = md[md.index("## What the best customers share") : md.index("## The segments")]
    for raw in RAW:
        assert raw not in part
    assert "**Success rate by monthly cloud spend**" in part
    assert "| uses AWS | yes |" in part


def test_shortened_names_say_more_in_words_not_a_bare_plus() -> None:
    # Seen on the demo world: "Financial Services +4 · 184+ employees +1 more" beside a bonus
    # column, where "+4" reads as four points.
    from icpkit.phrases import segment_name

    industries = ["Financial Services", "Healthcare", "Software", "Retail", "Energy & Utilities"]
    conds = [
        profile_from_dict({"attributes": [], "segments": [{"name": "s", "conditions": [c]}]})
        .segments[0]
        .conditions[0]
        for c in [
            {"attribute": "industry", "in": industries},
            {"attribute": "employees", "ge": 184},
            {"attribute": "cloud_spend", "ge": 30400},
            {"attribute": "tech_salesforce", "in": ["true"]},
        ]
    ]
    name = segment_name(conds)
    assert len(name) <= 60, name
    assert not re.search(r"\+\d(?! more)", name), name  # "+2 more" traits, never a bare "+4"
    assert re.search(r"^Financial Services or 4 more · 184\+ employees", name), name
