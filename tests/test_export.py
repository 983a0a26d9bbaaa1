"""CRM import files: field conventions per CRM, formula-injection safety, clear errors."""

from __future__ import annotations

import csv
import io
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


# --- one formula-safe rule (icpkit.csvsafe) ------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\tTab",
    "\rCR",
    "%0A",
    "|pipe",
    ";semi",
    "＝FULLWIDTH()",  # full-width equals sign
    "＋cmd()",  # full-width plus
    "\u200b=ZWSP()",  # zero-width space in front
    "\ufeff@BOM",
]
NOT_FORMULAS = ["-5", "+14", "-1.5e3", "12%", "Acme", "Why: cloud spend $127k+ (+14)", "", "a=b"]


@pytest.mark.parametrize("text", FORMULAS)
def test_formulas_are_guarded(text: str) -> None:
    from icpkit.csvsafe import needs_guard, safe_text

    assert needs_guard(text)
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("text", NOT_FORMULAS)
def test_plain_text_and_signed_numbers_are_left_alone(text: str) -> None:
    from icpkit.csvsafe import safe_text

    assert safe_text(text) == text


def test_the_vectorised_guard_matches_the_rule() -> None:
    import pyarrow as pa

    from icpkit.csvsafe import guard_batch, safe_text

    values = [*FORMULAS, *NOT_FORMULAS, None]
    table = pa.table({"=col": values, "n": list(range(len(values)))})
    guarded = guard_batch(table)
    assert guarded.column_names == ["'=col", "n"]
    assert guarded.column(0).to_pylist() == [safe_text(v) for v in values]


def test_score_output_is_formula_safe_unless_raw_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from _helpers import icp

    corpus = Path(__file__).parent / "corpus"
    source = corpus / "files" / "formula_injection_names.csv"
    out = tmp_path / "scored.csv"
    code, _, err = icp(capsys, "score", source, "-p", corpus / "profile.yaml", "-o", out)
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    from icpkit.csvsafe import needs_guard

    assert rows[0][0] == "'=Id"
    assert not [v for r in rows for v in r if needs_guard(v)]
    reasons = [r[rows[0].index("icp_reasons")] for r in rows[1:]]
    assert all(not r.startswith(("+", "-", "−", "'")) for r in reasons)  # words first
    code, _, err = icp(
        capsys, "score", source, "-p", corpus / "profile.yaml", "-o", out, "--raw-cells"
    )
    assert code == 0, err
    raw = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert raw[0][0] == "=Id"
    assert raw[1][1] == '=HYPERLINK("http://evil","x")'


def test_long_text_is_cut_at_a_word_boundary_with_the_full_text_beside() -> None:
    from icpkit.export import cut_words

    long_reason = "; ".join(f"industry is Software or Financial Services ({i})" for i in range(12))
    segment = " · ".join(["industry is Software or Financial Services"] * 8)
    frame = crm_frame(
        pd.DataFrame(
            {
                "account_id": ["1"],
                "icp_score": [80],
                "icp_tier": ["A"],
                "icp_segment": [segment],
                "icp_reasons": [long_reason],
            }
        ),
        "Salesforce",  # as the CRM spells itself
    )
    short, full = frame.loc[0, "ICP_Reasons__c"], frame.loc[0, "ICP_Reasons_Full__c"]
    assert len(short) <= 255
    assert short.endswith("…")
    assert full == "Why: " + long_reason
    assert full.startswith(short[:-1].rstrip())
    assert short[-2] != " "
    assert full[len(short) - 1] in " ;"
    cut_segment = frame.loc[0, "ICP_Segment__c"]
    assert len(cut_segment) <= 255
    assert segment.startswith(cut_segment[:-1])
    assert cut_words("short", 255) == "short"


def test_crm_files_read_back_by_icpkit_equal_the_scored_table(tmp_path: Path) -> None:
    from icpkit.intake import read_table
    from icpkit.profile import profile_from_dict
    from icpkit.scoring import score_table

    profile = profile_from_dict(
        {
            "attributes": [
                {
                    "name": "cloud_spend",
                    "kind": "numeric",
                    "bins": [{"upper": 100_000, "points": 2}, {"lower": 100_000, "points": 14}],
                },
                {
                    "name": "tech_aws",
                    "kind": "categorical",
                    "bins": [
                        {"values": ["true"], "points": 9},
                        {"values": ["false"], "points": -4},
                    ],
                },
            ],
            "segments": [
                {
                    "name": "Big cloud",
                    "conditions": [{"attribute": "cloud_spend", "ge": 100_000}],
                    "points": 3,
                }
            ],
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": [f"001{i:03d}" for i in range(40)],
            "name": ['Acme, "Inc."', "Line\nbreak", *[f"Co {i}" for i in range(38)]],
            "domain": [f"co{i}.com" for i in range(40)],
            "cloud_spend": [float(i * 9_000) for i in range(40)],
            "tech_aws": [i % 2 == 0 for i in range(40)],
        }
    )
    scored = score_table(profile, accounts, reasons=True).to_pandas()
    scored = pd.concat([accounts, scored], axis=1)
    assert "cloud spend $127k" not in " ".join(scored["icp_reasons"])  # bins, not values
    assert any("cloud spend $100k+ (+14)" in r for r in scored["icp_reasons"])
    assert any("uses AWS (+9)" in r for r in scored["icp_reasons"])
    sf = read_table(export_scores(scored, "salesforce", tmp_path / "sf.csv"))
    assert sf.column("Id").to_pylist() == list(scored["account_id"])
    assert sf.column("Name").to_pylist() == list(scored["name"])
    assert sf.column("ICP_Score__c").to_pylist() == [str(s) for s in scored["icp_score"]]
    assert sf.column("ICP_Tier__c").to_pylist() == list(scored["icp_tier"])
    why = [f"Why: {r}" for r in scored["icp_reasons"]]
    assert sf.column("ICP_Reasons_Full__c").to_pylist() == why
    hs = read_table(export_scores(scored, "hubspot", tmp_path / "hs.csv"))
    assert hs.column("Record ID").to_pylist() == list(scored["account_id"])
    assert hs.column("icp_score").to_pylist() == [str(s) for s in scored["icp_score"]]
    assert hs.column("icp_tier").to_pylist() == list(scored["icp_tier"])
    assert hs.column("icp_reasons").to_pylist() == why
    segments = [s if isinstance(s, str) and s else None for s in scored["icp_segment"]]
    assert hs.column("icp_segment").to_pylist() == segments
    assert sf.column("ICP_Segment__c").to_pylist() == segments


def test_long_segment_names_are_cut_between_words() -> None:
    # The CRM file once read "…Software or Fina...": the name was cut inside a word.
    import numpy as np

    from icpkit.discover import _segment_name
    from icpkit.profile import Condition
    from icpkit.segments import Atom, Rule

    conditions = [
        Condition.model_validate(
            {"attribute": "industry", "in": ["Software", "Financial Services"]}
        ),
        Condition(attribute="employees", ge=200, lt=5000),
        Condition.model_validate({"attribute": "country", "in": ["United States", "Germany"]}),
    ]
    atoms = tuple(Atom(c.attribute, (0,), c, np.zeros(1, np.uint8)) for c in conditions)
    name = _segment_name(Rule(atoms, 10, 5, 0.5, 2.0, 1.0, 3.0), set())
    assert 0 < len(name) <= 60
    # Whole words only: every word of the name is a word of the traits it names, or a count.
    vocabulary = {"Software", "Financial", "Services", "200–5,000", "employees", "in"}
    vocabulary |= {"United", "States", "Germany"}
    for word in name.replace("·", " ").split():
        assert (
            word in vocabulary
            or word.startswith("+")
            or word.isdigit()
            or word in {"or", "more", "…"}
        ), word
