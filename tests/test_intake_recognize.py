"""CRM recognition: source system, table kind and column mapping from column names."""

from __future__ import annotations

from pathlib import Path

import pytest

from icpkit.errors import ConfigError
from icpkit.intake import read_table, recognize
from icpkit.intake._recognize import normalize_name, vocabulary, vocabulary_conflicts
from icpkit.schema import TABLES

FIXTURES = Path(__file__).parent / "fixtures" / "intake"

# file -> (system, kind, key mappings original -> canonical)
CRM_EXPORTS = {
    "salesforce_account_api.csv": (
        "salesforce",
        "accounts",
        {
            "Id": "account_id",
            "Name": "name",
            "NumberOfEmployees": "employees",
            "AnnualRevenue": "annual_revenue",
            "BillingCountry": "country",
            "Website": "domain",
            "AccountSource": "source",
        },
    ),
    "salesforce_account_labels.csv": (
        "salesforce",
        "accounts",
        {
            "Account ID": "account_id",
            "Account Name": "name",
            "Employees": "employees",
            "Annual Revenue": "annual_revenue",
            "Billing Country": "country",
            "Billing State/Province": "state",
        },
    ),
    "salesforce_opportunity_api.csv": (
        "salesforce",
        "deals",
        {
            "Id": "deal_id",
            "AccountId": "account_id",
            "StageName": "stage",
            "Amount": "amount",
            "CloseDate": "closed",
            "IsWon": "won",
            "IsClosed": "is_closed",
        },
    ),
    "salesforce_opportunity_labels.csv": (
        "salesforce",
        "deals",
        {
            "Opportunity ID": "deal_id",
            "Account Name": "account_name",
            "Stage": "stage",
            "Close Date": "closed",
            "Won": "won",
            "Probability (%)": "probability",
            "Opportunity Owner": "owner",
        },
    ),
    "salesforce_lead_api.csv": (
        "salesforce",
        "leads",
        {
            "Id": "lead_id",
            "Company": "company",
            "LeadSource": "source",
            "Status": "status",
            "IsConverted": "converted",
            "ConvertedAccountId": "account_id",
        },
    ),
    "salesforce_contact_api.csv": (
        "salesforce",
        "contacts",
        {
            "Id": "contact_id",
            "AccountId": "account_id",
            "Title": "title",
            "MailingCountry": "country",
        },
    ),
    "salesforce_opportunitycontactrole_api.csv": (
        "salesforce",
        "contact_roles",
        {"OpportunityId": "deal_id", "ContactId": "contact_id", "Role": "deal_role"},
    ),
    "hubspot_companies_export.csv": (
        "hubspot",
        "accounts",
        {
            "Record ID": "account_id",
            "Company name": "name",
            "Company Domain Name": "domain",
            "Number of Employees": "employees",
            "Country/Region": "country",
            "State/Region": "state",
            "Year Founded": "founded_year",
            "Web Technologies": "technologies",
            "Total Money Raised": "funding_total",
        },
    ),
    "hubspot_companies_api.csv": (
        "hubspot",
        "accounts",
        {
            "hs_object_id": "account_id",
            "numberofemployees": "employees",
            "annualrevenue": "annual_revenue",
            "hubspot_owner_id": "owner",
            "createdate": "created",
        },
    ),
    "hubspot_deals_export.csv": (
        "hubspot",
        "deals",
        {
            "Record ID": "deal_id",
            "Deal Stage": "stage",
            "Deal Name": "name",
            "Associated Company IDs": "account_id",
            "Is Closed Won": "won",
            "Deal owner": "owner",
        },
    ),
    "dynamics_accounts_logical.csv": (
        "dynamics",
        "accounts",
        {
            "accountid": "account_id",
            "numberofemployees": "employees",
            "revenue": "annual_revenue",
            "address1_country": "country",
            "industrycode": "industry",
            "createdon": "created",
        },
    ),
    "dynamics_accounts_display.csv": (
        "dynamics",
        "accounts",
        {
            "Account Name": "name",
            "Number of Employees": "employees",
            "Address 1: Country/Region": "country",
            "Address 1: City": "city",
            "Created On": "created",
        },
    ),
    "dynamics_opportunities_logical.csv": (
        "dynamics",
        "deals",
        {
            "opportunityid": "deal_id",
            "parentaccountid": "account_id",
            "estimatedvalue": "amount",
            "stepname": "stage",
            "actualclosedate": "closed",
        },
    ),
    "dynamics_leads_logical.csv": (
        "dynamics",
        "leads",
        {"leadid": "lead_id", "companyname": "company", "leadsourcecode": "source"},
    ),
}


@pytest.mark.parametrize("name", sorted(CRM_EXPORTS))
def test_crm_exports_are_recognised(name: str) -> None:
    system, kind, expected = CRM_EXPORTS[name]
    columns = read_table(FIXTURES / name).column_names
    rec = recognize(columns, name_hint=Path(name).stem)
    assert (rec.system, rec.kind) == (system, kind)
    for original, canonical in expected.items():
        assert rec.mapping[original] == canonical, original
    # Every column appears exactly once in the mapping, in file order.
    assert [m.original for m in rec.matches] == columns


def test_hubspot_contacts_need_the_file_name_to_tell_them_from_leads() -> None:
    columns = read_table(FIXTURES / "hubspot_contacts_export.csv").column_names
    rec = recognize(columns, name_hint="hubspot_contacts_export")
    assert rec.kind == "contacts"
    assert rec.mapping["Phone Number"] == "phone"
    assert rec.mapping["Associated Company ID"] == "account_id"


def test_reasons_name_the_system_and_the_naming_style() -> None:
    sf = recognize(["Id", "Name", "NumberOfEmployees", "BillingCountry", "Industry"])
    reasons = {m.original: m.reason for m in sf.matches}
    assert reasons["NumberOfEmployees"] == "Salesforce API name"
    assert reasons["Industry"] == "Salesforce API name"
    hs = recognize(["Record ID", "Company name", "Number of Employees", "Country/Region"])
    assert {m.original: m.reason for m in hs.matches}["Country/Region"] == "HubSpot export label"
    dyn = recognize(["Account Name", "Address 1: City", "Address 1: Country/Region", "Created On"])
    assert dyn.system == "dynamics"
    assert {m.original: m.reason for m in dyn.matches}["Created On"] == "Dynamics 365 display name"
    generic = recognize(["company", "sector", "num. of employees"])
    assert generic.system == "generic"
    match = {m.original: m for m in generic.matches}["num. of employees"]
    assert (match.canonical, match.reason) == ("employees", "alias")
    assert match.confidence < 1.0


@pytest.mark.parametrize(
    ("raw", "normed"),
    [
        ("Number of Employees", "numberofemployees"),
        ("NumberOfEmployees__c", "numberofemployees"),
        ("_ - workers", "workers"),
        ("num. of employees", "numofemployees"),
        ("Société", "societe"),
        ("Address 1: Country/Region", "address1countryregion"),
    ],
)
def test_normalize_name(raw: str, normed: str) -> None:
    assert normalize_name(raw) == normed


def test_alias_table_has_no_conflicts_and_covers_every_key() -> None:
    assert vocabulary_conflicts() == []
    for kind, table in TABLES.items():
        vocab = vocabulary(kind)
        # Every canonical column is recognised at least by its own name.
        for col in table.column_names:
            assert vocab[normalize_name(col)][0].canonical == col, (kind, col)


def test_salesforce_custom_fields_say_so() -> None:
    rec = recognize(["Id", "Name", "NumberOfEmployees", "Technologies__c"])
    match = {m.original: m for m in rec.matches}["Technologies__c"]
    assert match.canonical == "technologies"
    assert match.reason.startswith("Salesforce custom field")


def test_custom_fields_and_unknown_columns_stay_custom() -> None:
    rec = recognize(["Id", "Name", "NumberOfEmployees", "Legacy_Score__c", "Favourite Colour"])
    assert rec.mapping["Legacy_Score__c"] is None
    assert rec.mapping["Favourite Colour"] is None
    assert rec.custom == ["Legacy_Score__c", "Favourite Colour"]


def test_two_columns_for_one_canonical_keep_the_best_and_warn() -> None:
    rec = recognize(["NumberOfEmployees", "employee count", "Name"])
    assert rec.mapping == {"NumberOfEmployees": "employees", "employee count": None, "Name": "name"}
    assert any("employee count" in w for w in rec.warnings)


def test_near_misses_are_suggested_not_applied() -> None:
    rec = recognize(["Name", "Industry", "Employes", "Contry"])
    assert rec.mapping["Employes"] is None
    assert rec.suggestions == {"Employes": "employees", "Contry": "country"}


def test_forced_kind_and_unknown_kind() -> None:
    rec = recognize(["name", "industry", "employees"], kind="universe")
    assert rec.kind == "universe"
    assert rec.mapping["employees"] == "employees"
    with pytest.raises(ConfigError, match="Did you mean 'accounts'"):
        recognize(["name"], kind="acounts")


def test_file_name_breaks_ties() -> None:
    cols = ["name", "industry", "employees", "country"]
    assert recognize(cols).kind == "accounts"
    assert recognize(cols, name_hint="market_universe").kind == "universe"


def test_outcome_columns_are_accepted_in_an_accounts_table() -> None:
    rec = recognize(
        ["account_id", "account_name", "industry", "country", "churn_flag", "plan_tier"]
    )
    assert rec.kind == "accounts"
    assert rec.mapping["churn_flag"] == "churned"
    assert "outcome column" in {m.original: m.reason for m in rec.matches}["churn_flag"]
    only_outcomes = recognize(["customerID", "tenure", "MonthlyCharges", "Churn"])
    assert only_outcomes.kind == "outcomes"
    assert only_outcomes.mapping["Churn"] == "churned"


def test_api_wrapper_prefixes_are_looked_through() -> None:
    rec = recognize(
        ["id", "properties.name", "properties.numberofemployees", "properties.hs_object_id"]
    )
    assert rec.system == "hubspot"
    assert rec.mapping["properties.numberofemployees"] == "employees"
    assert rec.mapping["properties.hs_object_id"] == "account_id"


def test_intake_public_api_is_complete_and_sorted() -> None:
    import icpkit.intake as intake

    assert intake.__all__ == sorted(intake.__all__)
    for name in intake.__all__:
        assert hasattr(intake, name), name
    public = {n for n in dir(intake) if not n.startswith("_") and callable(getattr(intake, n))}
    assert public - {"normalizers"} <= set(intake.__all__)


@pytest.mark.parametrize(
    ("columns", "system", "kind", "expected"),
    [
        (  # Salesforce Data Loader writes API names in capitals
            ["ID", "NAME", "NUMBEROFEMPLOYEES", "BILLINGCOUNTRY", "ANNUALREVENUE", "TIER__C"],
            "salesforce",
            "accounts",
            {"ID": "account_id", "NUMBEROFEMPLOYEES": "employees", "TIER__C": "plan"},
        ),
        (  # Dynamics 365 "Export to Excel" starts with hidden (Do Not Modify) columns
            [
                "(Do Not Modify) Account",
                "(Do Not Modify) Row Checksum",
                "(Do Not Modify) Modified On",
                "Account Name",
                "Number of Employees",
                "Address 1: Country/Region",
            ],
            "dynamics",
            "accounts",
            {
                "(Do Not Modify) Account": "account_id",
                "(Do Not Modify) Row Checksum": None,
                "(Do Not Modify) Modified On": "last_modified",
            },
        ),
        (  # HubSpot's newer association labels
            ["Record ID", "Deal Name", "Deal Stage", "Amount", "Associated Company IDs (Primary)"],
            "hubspot",
            "deals",
            {"Associated Company IDs (Primary)": "account_id", "Deal Stage": "stage"},
        ),
    ],
)
def test_export_variants(
    columns: list[str], system: str, kind: str, expected: dict[str, str | None]
) -> None:
    rec = recognize(columns)
    assert (rec.system, rec.kind) == (system, kind)
    for original, canonical in expected.items():
        assert rec.mapping[original] == canonical


def test_docs_cover_every_cli_option() -> None:
    # Docs cannot drift: every option of `icp inspect` / `icp normalize` is documented.
    import icpkit.cli.commands  # noqa: F401  (registers the commands)
    from icpkit.cli._app import app

    docs = (Path(__file__).parents[1] / "docs" / "intake.md").read_text(encoding="utf-8")
    names = {"inspect", "normalize"}
    commands = [c for c in app.registered_commands if c.name in names]
    assert {c.name for c in commands} == names
    import inspect as pyinspect

    for command in commands:
        assert command.callback is not None
        for param in pyinspect.signature(command.callback).parameters:
            option = {"maps": "map", "as_json": "json", "max_rejects": "max-rejects"}.get(
                param, param
            )
            if option in {"source", "output"}:
                continue
            assert f"--{option}" in docs, option


def test_an_opportunity_report_keeps_the_account_firmographics() -> None:
    columns = [
        "Opportunity ID",
        "Opportunity Name",
        "Stage",
        "Amount",
        "Close Date",
        "Account Name",
        "Industry",
        "Employees",
        "Billing Country",
        "Account.AnnualRevenue",
    ]
    rec = recognize(columns)
    assert rec.kind == "deals"
    assert rec.mapping["Employees"] == "employees"
    assert rec.mapping["Billing Country"] == "country"
    assert rec.mapping["Account.AnnualRevenue"] == "annual_revenue"
    reasons = {m.original: m.reason for m in rec.matches}
    assert reasons["Industry"].endswith("(account attribute)")
