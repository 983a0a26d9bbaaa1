"""Every CSV in the shared datasets loads through `icp inspect --json` with a sensible mapping."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from icpkit.cli._app import main
from icpkit.intake import load

DATASETS = Path(
    os.environ.get("ICPKIT_DATASETS", Path(__file__).parents[2] / "shared" / "datasets")
)
if not DATASETS.is_dir():  # the shared checkout sits beside the repository
    DATASETS = Path("/work/shared/datasets")

ALL_CSVS = sorted(str(p.relative_to(DATASETS)) for p in DATASETS.glob("*/*.csv"))

# file -> (acceptable kinds, key mappings original -> canonical)
EXPECTED: dict[str, tuple[set[str], dict[str, str | None]]] = {
    "crm_sales_opportunities/accounts.csv": (
        {"accounts"},
        {
            "account": "name",
            "sector": "industry",
            "employees": "employees",
            "revenue": "annual_revenue",
            "office_location": "country",
            "year_established": "founded_year",
            "subsidiary_of": "parent",
        },
    ),
    "crm_sales_opportunities/sales_pipeline.csv": (
        {"deals"},
        {
            "opportunity_id": "deal_id",
            "account": "account_name",
            "deal_stage": "stage",
            "close_value": "amount",
            "engage_date": "created",
            "close_date": "closed",
            "sales_agent": "owner",
            "product": "product",
        },
    ),
    "crm_sales_opportunities/sales_teams.csv": (set(), {"sales_agent": "owner"}),
    "x_education_leads/Leads.csv": (
        {"leads"},
        {
            "Prospect ID": "lead_id",
            "Lead Source": "source",
            "Converted": "converted",
            "Country": "country",
            "Lead Origin": None,
            "Tags": None,
        },
    ),
    "telco_customer_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv": (
        {"outcomes", "accounts"},
        {"customerID": "account_id", "Churn": "churned", "MonthlyCharges": "mrr", "gender": None},
    ),
    "ravenstack_saas_synthetic/ravenstack_accounts.csv": (
        {"accounts"},
        {
            "account_id": "account_id",
            "account_name": "name",
            "industry": "industry",
            "country": "country",
            "churn_flag": "churned",
            "referral_source": "source",
            "plan_tier": "plan",
            "seats": "seats",
        },
    ),
    "ravenstack_saas_synthetic/ravenstack_subscriptions.csv": (
        {"outcomes"},
        {
            "account_id": "account_id",
            "mrr_amount": "mrr",
            "arr_amount": "arr",
            "churn_flag": "churned",
            "upgrade_flag": "expanded",
        },
    ),
    "ravenstack_saas_synthetic/ravenstack_support_tickets.csv": (
        {"feedback"},
        {"ticket_id": "feedback_id", "account_id": "account_id", "submitted_at": "date"},
    ),
    "ravenstack_saas_synthetic/ravenstack_churn_events.csv": (
        set(),
        {"account_id": "account_id"},
    ),
    "crunchbase_2013/crunchbase-companies.csv": (
        {"universe", "accounts"},
        {
            "name": "name",
            "category_code": "industry",
            "funding_total_usd": "funding_total",
            "founded_year": "founded_year",
            "country_code": "country",
            "state_code": "state",
            "city": "city",
            "last_funding_at": "last_funding_date",
        },
    ),
    "inc5000_2019/inc5000-2019.csv": (
        {"universe", "accounts"},
        {
            "name": "name",
            "url": "domain",
            "_ - workers": "employees",
            "_ - revenue": "annual_revenue",
            "_ - industry": "industry",
            "_ - founded": "founded_year",
            "state": "state",
            "city": "city",
            "Profile": None,
        },
    ),
    "fortune1000_2021/Fortune_1000.csv": (
        {"universe", "accounts"},
        {
            "company": "name",
            "num. of employees": "employees",
            "Website": "domain",
            "sector": "industry",
            "revenue": "annual_revenue",
            "city": "city",
            "state": "state",
            "CEO": None,
        },
    ),
    "northwind_b2b_orders/customers.csv": (
        {"contacts"},
        {
            "customerID": "account_id",
            "contactTitle": "title",
            "contactName": "name",
            "companyName": "account_name",
            "country": "country",
            "city": "city",
            "phone": "phone",
        },
    ),
    "northwind_b2b_orders/suppliers.csv": (
        {"contacts"},
        {"contactTitle": "title", "companyName": "account_name", "country": "country"},
    ),
    "northwind_b2b_orders/orders.csv": (
        {"deals"},
        {"orderID": "deal_id", "customerID": "account_id", "orderDate": "created"},
    ),
}


def run_icp(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``icp ARGS`` through the console entry point; (exit code, stdout, stderr)."""
    old = sys.argv
    sys.argv = ["icp", *args]
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    finally:
        sys.argv = old
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def inspect_json(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    code, out, err = run_icp(["inspect", str(path), "--json", *extra], capsys)
    assert code == 0, err
    assert err == ""
    report: dict[str, Any] = json.loads(out)
    return report


def test_the_shared_datasets_are_there() -> None:
    assert len(ALL_CSVS) >= 20, DATASETS
    assert set(EXPECTED) <= set(ALL_CSVS)


@pytest.mark.parametrize("name", ALL_CSVS)
def test_every_dataset_csv_inspects_with_a_sensible_mapping(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    report = inspect_json(DATASETS / name, capsys)
    mapping = {m["original"]: m["canonical"] for m in report["mapping"]}
    # Nothing is dropped: every input column is in the mapping and gives an output column.
    assert report["columns_in"] == len(mapping)
    assert report["rows"] > 0
    outputs = {o for m in report["mapping"] for o in m["outputs"]}
    assert outputs == {c["name"] for c in report["columns"]}
    assert all(m["outputs"] for m in report["mapping"])
    # No two originals claim the same canonical column.
    mapped = [c for c in mapping.values() if c is not None]
    assert len(mapped) == len(set(mapped))
    kinds, expected = EXPECTED.get(name, (set(), {}))
    if kinds:
        assert report["kind"] in kinds
    for original, canonical in expected.items():
        assert mapping[original] == canonical, (original, mapping[original])


def test_crm_revenue_in_millions_gets_a_unit_warning(capsys: pytest.CaptureFixture[str]) -> None:
    report = inspect_json(DATASETS / "crm_sales_opportunities/accounts.csv", capsys)
    assert any("annual_revenue" in w and "millions" in w for w in report["warnings"])
    notes = [n for c in report["coercions"] for n in c["notes"]]
    assert any("Philipines" in n for n in notes)  # the typo is read as PH, and said so


def test_scale_turns_millions_into_units(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATASETS / "fortune1000_2021/Fortune_1000.csv"
    report = inspect_json(path, capsys, "--scale", "annual_revenue=million")
    assert "annual_revenue multiplied by 1,000,000 (scale)" in report["warnings"]
    assert not any("look like thousands or millions" in w for w in report["warnings"])
    table = load(path, scale={"annual_revenue": 1e6}).table
    assert table.column("annual_revenue").to_pylist()[0] == pytest.approx(523_964e6)


def test_placeholders_are_reported_not_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    report = inspect_json(DATASETS / "x_education_leads/Leads.csv", capsys)
    by_col = {c["column"]: c for c in report["coercions"]}
    assert by_col["Specialization"]["became_missing"] == 1942
    assert by_col["Specialization"]["placeholders"] == {"Select": 1942}
    assert by_col["City"]["became_missing"] == 2249
    telco = inspect_json(
        DATASETS / "telco_customer_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv", capsys
    )
    charges = {c["column"]: c for c in telco["coercions"]}["TotalCharges"]
    assert charges["became_missing"] == 11
    assert charges["first_row"] > 1
    types = {c["name"]: c["type"] for c in telco["columns"]}
    assert types["TotalCharges"] == "number"  # blanks out, the rest is numeric


def test_normalised_values_of_the_datasets() -> None:
    raven = load(DATASETS / "ravenstack_saas_synthetic/ravenstack_accounts.csv").table
    countries = set(raven.column("country").to_pylist())
    assert "GB" in countries
    assert "UK" not in countries
    assert raven.column("churned").to_pylist().count(True) == 110  # 22% of 500
    telco = load(DATASETS / "telco_customer_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv").table
    assert telco.column("churned").to_pylist().count(True) == 1869
    leads = load(DATASETS / "x_education_leads/Leads.csv").table
    assert leads.column("converted").to_pylist().count(True) == 3561
    inc = load(DATASETS / "inc5000_2019/inc5000-2019.csv").table
    assert inc.column("domain").to_pylist()[0] == "freestar.com"
    assert inc.column("annual_revenue").to_pylist()[0] == pytest.approx(36.9e6)
    fortune = load(DATASETS / "fortune1000_2021/Fortune_1000.csv").table
    assert fortune.column("employees").to_pylist()[0] == 2_200_000


def test_icp_normalize_writes_the_canonical_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "raven.parquet"
    source = DATASETS / "ravenstack_saas_synthetic/ravenstack_accounts.csv"
    code, stdout, _ = run_icp(
        ["normalize", str(source), "-o", str(out), "--map", "is_trial=-"], capsys
    )
    assert code == 0
    assert "wrote" in stdout
    table = pq.read_table(out)
    assert {"account_id", "name", "industry", "country", "region", "churned", "is_trial"} <= set(
        table.column_names
    )
    assert table.num_rows == 500


def test_icp_intake_is_an_alias_of_normalize(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "accounts.csv"
    source = DATASETS / "crm_sales_opportunities/accounts.csv"
    code, stdout, _ = run_icp(["intake", str(source), "-o", str(out), "--json"], capsys)
    assert code == 0
    report = json.loads(stdout)
    assert report["output"] == str(out)
    assert report["kind"] == "accounts"
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith('"name","industry"')


def test_human_inspect_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_icp(["inspect", str(DATASETS / "x_education_leads/Leads.csv")], capsys)
    assert (code, err) == (0, "")
    assert "table kind: leads" in out
    assert "Prospect ID" in out
    assert "lead_id" in out
    assert "Values that became missing" in out
    assert "Select" in out  # the placeholder, with its count, in the coercion table
    assert "warning:" in out
