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
