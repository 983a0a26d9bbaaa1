"""A new user's first runs on the real datasets, read line by line (issue 10: every sentence a
user reads is a measured fact, in the user's own words).

Seen: `icp discover` on the telco churn export said "success is churned = False" (the column
is 'Churn', its values Yes/No); excluded columns were named by their canonical names
('account_id', 'mrr') instead of the export's header ('customerID', 'MonthlyCharges').
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from test_newuser_words import _run_cli

DATASETS = Path(os.environ.get("ICPKIT_DATASETS", "/work/shared/datasets"))
TELCO = DATASETS / "telco_customer_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
PIPELINE = DATASETS / "crm_sales_opportunities" / "sales_pipeline.csv"


@pytest.fixture(scope="module")
def telco(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    out = tmp_path_factory.mktemp("telco") / "p.yaml"
    code, text, err = _run_cli("discover", TELCO, "--target", "Churn", "-o", out)
    assert code == 0, err
    return text, err


def test_the_direction_warning_names_the_success_value_in_the_users_words(
    telco: tuple[str, str],
) -> None:
    _, err = telco
    line = next(ln for ln in err.splitlines() if "means a loss" in ln)
    assert "treating Churn = No as success" in line, line
    assert "churned" not in line, line
    assert "False" not in line, line
    kept = int((pd.read_csv(TELCO)["Churn"] == "No").sum())
    text, _ = telco
    assert f"{kept:,} successes" in text


def test_excluded_columns_are_named_as_in_the_export(telco: tuple[str, str]) -> None:
    _, err = telco
    header = set(pd.read_csv(TELCO, nrows=0).columns)
    excluded = [
        ln.split(" ", 1)[1].split(":", 1)[0]
        for ln in err.splitlines()
        if ln.startswith("excluded ")
    ]
    assert excluded
    assert set(excluded) <= header, set(excluded) - header
    assert "customerID" in excluded


# ----------------------------------------------------------------------------- icp quality


def test_quality_summary_reads_as_sentences_in_business_words(tmp_path: Path) -> None:
    """It printed 'duplicates name: column name · groups 0 · extra rows 0' and
    'low fill columns: subsidiary_of'; the report said 'duplicate rows by name'."""
    from icpkit.quality import data_quality
    from icpkit.report._analytics_sections import _quality_bullets

    accounts = pd.read_csv(DATASETS / "crm_sales_opportunities" / "accounts.csv")
    doubled = pd.concat([accounts, accounts.head(3)], ignore_index=True)
    path = tmp_path / "accounts.csv"
    doubled.to_csv(path, index=False)
    code, text, err = _run_cli("quality", path)
    assert code == 0, err
    after_table = text[text.rindex("┘") + 1 :].strip().splitlines()
    assert after_table
    for line in after_table:
        assert "_" not in line, line  # no column names such as subsidiary_of
        assert " · " not in line, line
    said = next(ln for ln in after_table if "duplicate" in ln)
    assert "3 duplicate records by company name" in said, said
    # the report says it in the same words, from the same place
    _, summary = data_quality(path)
    bullet = next(b for b in _quality_bullets(summary) if "duplicate" in b)
    assert bullet == said
    filled = doubled["subsidiary_of"].notna().mean()
    assert any(f"subsidiary of ({filled:.0%} filled)" in ln for ln in after_table), after_table
    assert any("No last-verified or last-modified date" in ln for ln in after_table)


# ----------------------------------------------------------------------------- icp tam


def test_tam_summary_capitalises_its_acronyms_and_shows_money_as_money() -> None:
    """It printed 'tam: companies 6', 'in crm: 2' and 'expected acv acv by tier: A 51,235'."""
    import re

    fix = Path(__file__).parent / "fixtures" / "analytics"
    code, text, err = _run_cli(
        "tam",
        fix / "universe.csv",
        "--profile",
        fix / "profile.yaml",
        "--accounts",
        fix / "crm_accounts.csv",
    )
    assert code == 0, err
    lines = [ln for ln in text.splitlines() if ln.strip() and ln[0] not in "┏┃┡│└…"]
    for line in lines:
        assert not re.search(r"\b(tam|sam|acv|crm|arr)\b", line), line
    by_tier = next(ln for ln in lines if ln.startswith("expected ACV by tier:"))
    amounts = re.findall(r"\b[A-D] (\S+)", by_tier.split(":", 1)[1])
    assert amounts
    assert all(re.fullmatch(r"\$\d{1,3}(,\d{3})*", a) for a in amounts), by_tier
    assert any(ln.startswith("TAM: ") for ln in lines)
    assert any(ln.startswith("in CRM: ") for ln in lines)


# ----------------------------------------------------------------------------- a missing file


@pytest.mark.parametrize("command", ["evaluate", "score", "discover"])
def test_a_missing_data_file_says_check_the_path(command: str, tmp_path: Path) -> None:
    """`icp tam` and `icp quality` said 'Check the path'; evaluate, score and discover did not."""
    fix = Path(__file__).parent / "fixtures" / "analytics"
    missing = tmp_path / "nowhere.csv"
    extra = {
        "evaluate": ["--profile", fix / "profile.yaml"],
        "score": ["--profile", fix / "profile.yaml", "-o", tmp_path / "s.csv"],
        "discover": ["--target", "IsWon", "-o", tmp_path / "p.yaml"],
    }[command]
    code, _, err = _run_cli(command, missing, *extra)
    assert code == 2
    assert err.strip().splitlines() == [f"error: {missing}: file not found. Check the path"]


# ----------------------------------------------------------------------------- icp run on telco


def test_run_on_telco_says_success_is_the_customers_kept(tmp_path: Path) -> None:
    """The report said "Success means: churned is true/yes/won. 5,174 of 7,043 accounts
    succeeded" while the 5,174 were the customers who did NOT churn."""
    from icpkit.workspace import init_workspace, load_report

    init_workspace(tmp_path, tables={"accounts": str(TELCO)}, target="Churn", name="Telco")
    code, _, err = _run_cli("run", tmp_path)
    assert code == 0, err
    kept = int((pd.read_csv(TELCO)["Churn"] == "No").sum())
    success_line = next(ln for ln in err.splitlines() if "success " in ln)
    assert f"{kept:,} of" in success_line
    assert "Churn = No" in success_line, success_line
    sections = {s["id"]: s for s in load_report(tmp_path)["sections"]}
    text = " ".join(sections["success"]["paragraphs"])
    assert "Success means: Churn = No" in text, text
    assert "churned" not in text


def test_report_names_the_columns_it_left_out_in_words() -> None:
    """'Not used by the model (5 columns ...): mrr, mrr_currency, churned, tenure, TotalCharges'."""
    from icpkit.profile import profile_from_dict
    from icpkit.report._profile_sections import _left_out

    flagged = [
        {"column": "mrr", "reason": "known only after the sale"},
        {"column": "mrr_currency", "reason": "derived from mrr (kept once, as mrr)"},
        {"column": "TotalCharges", "reason": "known only after the sale"},
        {"column": "account_id", "reason": "id-like"},
    ]
    attribute = {
        "name": "industry",
        "kind": "categorical",
        "bins": [{"values": ["A"], "points": 1}],
    }
    profile = profile_from_dict(
        {"attributes": [attribute], "metrics": {"flagged_columns": flagged}}
    )
    said = _left_out(profile)
    assert said is not None
    assert said.endswith(": monthly recurring revenue, Total Charges, account id."), said
    assert "(3 columns" in said


def test_one_trait_bonuses_keep_a_value_count_apart_from_the_points(tmp_path: Path) -> None:
    """The X Education leads printed 'Lead Profile Dual Specialization Student, Lateral
    Student +1 +2': one more value and 2 points, side by side, read as two bonuses."""
    import re

    leads = DATASETS / "x_education_leads" / "Leads.csv"
    code, text, err = _run_cli("discover", leads, "--target", "Converted", "-o", tmp_path / "p")
    assert code == 0, err
    line = next(ln for ln in text.splitlines() if ln.startswith("One-trait bonuses"))
    items = line.split(": ", 1)[1].rstrip(".").split("; ")
    assert items
    for item in items:
        assert re.fullmatch(r".+ \([+-]\d+ points?\)", item), item
        assert not re.search(r"\+\d+ [+-]\d+", item), item
