"""Render the clean world as the files real CRMs export (Salesforce and HubSpot dialects).

Accounts come out with Salesforce API names, deals and contacts with HubSpot export labels,
leads with Salesforce report labels, contact roles as the OpportunityContactRole object, and
the universe with HubSpot company labels. All cells are text except in universe.parquet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from . import _render as r
from ._latent import tech_lists
from ._tables import COUNTRIES, HUBSPOT_SOURCES, INDUSTRIES, OWNERS, TECHNOLOGIES

__all__ = [
    "JUNK_COLUMNS",
    "junk_counts",
    "render_accounts",
    "render_contact_roles",
    "render_contacts",
    "render_deals",
    "render_leads",
    "render_outcomes",
    "render_universe",
]

_CURRENCY = np.array([c.currency for c in COUNTRIES], dtype=object)


# accounts.csv columns that carry placeholders and unreadable values, and their kind.
JUNK_COLUMNS = {
    "NumberOfEmployees": "employees",
    "AnnualRevenue": "money",
    "BillingCountry": "country",
}


def junk_counts(accounts: pd.DataFrame) -> dict[str, dict[str, int]]:
    """How many cells of each junk column hold a placeholder or an unreadable value."""
    return {
        col: {
            "placeholders": int(accounts[col].isin(r.PLACEHOLDERS).sum()),
            "unreadable": int(accounts[col].isin(r.UNREADABLE[kind]).sum()),
        }
        for col, kind in JUNK_COLUMNS.items()
    }


def _spelled_techs(latent: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    cols = [t.column for t in TECHNOLOGIES]
    # Most lists use the first spelling; some use an alias ('SFDC', 'Amazon Web Services').
    spell = np.where(rng.random(len(latent)) < 0.8, 0, rng.integers(1, 3, len(latent)))
    return tech_lists(latent[cols], spell)


def _ints(values: np.ndarray) -> np.ndarray:
    return (
        pd.Series(values).astype("Int64").astype(str).replace("<NA>", None).to_numpy(dtype=object)
    )


def render_accounts(latent: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """accounts.csv: Salesforce Account API names, messy values, a few holes everywhere."""
    n = len(latent)
    idx_c = latent["_country_idx"].to_numpy()
    local_money = np.where(rng.random(n) < 0.5, _CURRENCY[idx_c], "USD")
    customer = latent["is_customer"].to_numpy()
    kind = np.where(rng.random(n) < 0.85, "Customer - Direct", "Customer - Channel")
    cols: dict[str, np.ndarray] = {
        "Id": latent["account_id"].to_numpy(),
        "Name": latent["name"].to_numpy(),
        "Website": r.blank(r.websites(latent["domain"].to_numpy(), rng), rng, 0.03),
        "Industry": r.blank(r.industry_labels(latent["_industry_idx"].to_numpy(), rng), rng, 0.03),
        "NumberOfEmployees": r.junk(
            r.blank(r.employees(latent["employees"].to_numpy(), rng), rng, 0.02), rng, "employees"
        ),
        "AnnualRevenue": r.junk(
            r.blank(
                r.money(latent["annual_revenue"].to_numpy(dtype=float), local_money, rng), rng, 0.05
            ),
            rng,
            "money",
        ),
        "BillingCity": r.blank(latent["city"].to_numpy(), rng, 0.04),
        "BillingState": r.blank(latent["state"].to_numpy(), rng, 0.08),
        "BillingCountry": r.junk(r.blank(r.country_names(idx_c, rng), rng, 0.02), rng, "country"),
        "Type": np.where(customer, kind, "Prospect").astype(object),
        "OwnerName": np.array(OWNERS, dtype=object)[rng.integers(0, len(OWNERS), n)],
        "Founded_Year__c": r.blank(_ints(latent["founded_year"].to_numpy()), rng, 0.06),
        "Total_Funding__c": r.money(
            latent["funding_total"].to_numpy(dtype=float), np.full(n, "USD", dtype=object), rng
        ),
        "Last_Funding_Type__c": latent["last_funding_type"].to_numpy(dtype=object),
        "Last_Funding_Date__c": r.dates(latent["last_funding_date"].to_numpy(), "iso"),
        "Technologies__c": r.blank(_spelled_techs(latent, rng), rng, 0.03),
        "Cloud_Spend__c": r.blank(
            r.money(
                latent["cloud_spend"].to_numpy(dtype=float), np.full(n, "USD", dtype=object), rng
            ),
            rng,
            0.05,
        ),
        "Legacy_Score__c": r.blank(_ints(latent["legacy_score"].to_numpy()), rng, 0.03),
        "Priority__c": r.blank(latent["priority"].to_numpy(), rng, 0.03),
        "Territory_Code__c": r.blank(latent["territory"].to_numpy(), rng, 0.03),
        "CreatedDate": r.dates(latent["created"].to_numpy(), "sf"),
        "LastModifiedDate": r.dates(latent["last_modified"].to_numpy(), "sf"),
        "Last_Verified__c": r.blank(r.dates(latent["last_verified"].to_numpy(), "iso"), rng, 0.1),
    }
    return r.table(cols)


def render_deals(
    deals: pd.DataFrame, latent: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """deals.csv: a HubSpot deals export (labels, 'Closed Won', 'Associated Company IDs')."""
    m = len(deals)
    row = deals["row"].to_numpy()
    name = latent["name"].to_numpy()[row]
    amount = deals["amount"].to_numpy(dtype=float)
    amount_text = np.where(
        rng.random(m) < 0.85,
        pd.Series(amount).map("{:.2f}".format).to_numpy(dtype=object),
        r.money(amount, np.full(m, "USD", dtype=object), rng),
    )
    src_p = np.array([0.22, 0.15, 0.18, 0.12, 0.15, 0.08, 0.1])
    return r.table(
        {
            "Record ID": deals["deal_id"],
            "Deal Name": name + " - " + deals["deal_type"].to_numpy(dtype=object),
            "Deal Stage": deals["stage"].to_numpy(),
            "Amount": r.blank(amount_text, rng, 0.02),
            "Close Date": r.dates(deals["closed"].to_numpy(), "hs"),
            "Create Date": r.dates(deals["created"].to_numpy(), "hs"),
            "Associated Company IDs": deals["account_id"].to_numpy(),
            "Associated Company": name,
            "Deal Type": deals["deal_type"].to_numpy(),
            "Pipeline": "Sales Pipeline",
            "Original Source": np.array(HUBSPOT_SOURCES, dtype=object)[
                rng.choice(len(src_p), m, p=src_p)
            ],
            "Deal owner": np.array(OWNERS, dtype=object)[rng.integers(0, len(OWNERS), m)],
        }
    )


def _messy_titles(titles: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    forms = (str, str.lower, str.upper, lambda t: f"  {t} ")
    return r.variants(titles, rng, [0.88, 0.05, 0.04, 0.03], forms)


def render_contacts(contacts: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """contacts.csv: a HubSpot contacts export; job titles are free text, as people type them."""
    return r.table(
        {
            "Record ID": contacts["contact_id"],
            "First Name": contacts["first_name"].to_numpy(),
            "Last Name": contacts["last_name"].to_numpy(),
            "Email": r.blank(contacts["email"].to_numpy(), rng, 0.03),
            "Job Title": r.blank(_messy_titles(contacts["title"].to_numpy(), rng), rng, 0.04),
            "Associated Company ID": contacts["account_id"].to_numpy(),
            "Last Activity Date": r.dates(contacts["last_activity"].to_numpy(), "hs"),
            "Last Verified": r.blank(
                r.dates(contacts["last_verified"].to_numpy(), "iso"), rng, 0.1
            ),
        }
    )


def render_contact_roles(roles: pd.DataFrame) -> pd.DataFrame:
    """contact_roles.csv: Salesforce OpportunityContactRole (API names, 'true'/'false')."""
    return r.table(
        {
            "OpportunityId": roles["deal_id"],
            "ContactId": roles["contact_id"],
            "Role": roles["deal_role"].to_numpy(),
            "IsPrimary": np.where(roles["is_primary"].to_numpy(), "true", "false"),
        }
    )


def _yes_no(values: pd.Series) -> np.ndarray:
    return (
        values.map({True: "Yes", False: "No"}).astype(object).where(values.notna(), None).to_numpy()
    )


def render_outcomes(outcomes: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """outcomes.csv: one row per customer, as a finance/CS spreadsheet would hold it."""
    m = len(outcomes)
    usd = np.full(m, "USD", dtype=object)
    nrr = outcomes["nrr"].to_numpy(dtype=float)
    return r.table(
        {
            "Account ID": outcomes["account_id"].to_numpy(),
            "Customer Since": r.dates(outcomes["customer_since"].to_numpy(), "iso"),
            "ACV": r.money(outcomes["acv"].to_numpy(dtype=float), usd, rng),
            "Renewed": _yes_no(outcomes["renewed"]),
            "Expanded": _yes_no(outcomes["expanded"]),
            "Churned": np.where(outcomes["churned"].to_numpy(), "true", "false"),
            "Seats": outcomes["seats"].astype(str).to_numpy(),
            "NRR": pd.Series(np.round(nrr * 100)).astype(int).astype(str).add("%").to_numpy(),
            "LTV": r.money(outcomes["ltv"].to_numpy(dtype=float), usd, rng),
            "CAC": r.money(outcomes["cac"].to_numpy(dtype=float), usd, rng),
            "Sales Cycle Days": outcomes["sales_cycle_days"].astype(str).to_numpy(),
        }
    )


def render_leads(
    leads: pd.DataFrame, companies: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """leads.csv: a Salesforce lead report (UI labels, US dates, stage dates for the funnel)."""
    row = leads["row"].to_numpy()
    comp = companies.iloc[row]
    return r.table(
        {
            "Lead ID": leads["lead_id"].to_numpy(),
            "First Name": leads["first_name"].to_numpy(),
            "Last Name": leads["last_name"].to_numpy(),
            "Title": r.blank(_messy_titles(leads["title"].to_numpy(), rng), rng, 0.05),
            "Company": comp["name"].to_numpy(),
            "Website": r.blank(r.websites(comp["domain"].to_numpy(), rng), rng, 0.1),
            "Lead Source": r.blank(leads["source"].to_numpy(), rng, 0.03),
            "Lead Status": leads["status"].to_numpy(),
            "Create Date": r.dates(leads["created"].to_numpy(), "us"),
            "Industry": r.blank(r.industry_labels(comp["_industry_idx"].to_numpy(), rng), rng, 0.1),
            "No. of Employees": r.blank(r.employees(comp["employees"].to_numpy(), rng), rng, 0.1),
            "Country": r.blank(r.country_names(comp["_country_idx"].to_numpy(), rng), rng, 0.05),
            "MQL Date": r.dates(leads["mql_date"].to_numpy(), "us"),
            "SQL Date": r.dates(leads["sql_date"].to_numpy(), "us"),
            "Opportunity Date": r.dates(leads["opportunity_date"].to_numpy(), "us"),
            "Won Date": r.dates(leads["won_date"].to_numpy(), "us"),
            "Converted Account ID": leads["converted_account_id"].to_numpy(),
        }
    )


def _spell(words: list[str], idx: np.ndarray, empty: np.ndarray) -> pd.Series:
    """words[idx] as an Arrow-backed text column, empty where ``empty`` (no Python objects)."""
    arr = pa.array(words, type=pa.string()).take(pa.array(idx, mask=empty))
    return pd.Series(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _decoded(values: pd.Series, empty: np.ndarray | None = None) -> pd.Series:
    """A categorical column as plain text (files should not depend on pandas categoricals)."""
    codes = values.cat.codes.to_numpy()
    missing = codes < 0 if empty is None else (codes < 0) | empty
    return _spell([str(c) for c in values.cat.categories], np.maximum(codes, 0), missing)


def render_universe(latent: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """universe.parquet: a data vendor's company list with HubSpot company labels (typed).

    A vendor file is cleaner than a CRM: numbers are numbers; countries and industries still
    come in the vendor's own labels, which intake must map.
    """
    n = len(latent)
    country_idx = latent["_country_idx"].to_numpy()
    names = [name for c in COUNTRIES for name in c.names]
    first = np.cumsum([0] + [len(c.names) for c in COUNTRIES[:-1]])
    counts = np.array([len(c.names) for c in COUNTRIES])
    variant = np.where(rng.random(n) < 0.85, 0, (rng.random(n) * counts[country_idx]).astype(int))
    return r.table(
        {
            "Record ID": latent["company_id"],
            "Company name": latent["name"],
            "Company Domain Name": latent["domain"],
            "Industry": _spell(
                [i.hubspot_label for i in INDUSTRIES],
                latent["_industry_idx"].to_numpy(),
                rng.random(n) < 0.03,
            ),
            "Number of Employees": latent["employees"].astype("Int64").mask(rng.random(n) < 0.02),
            "Annual Revenue": latent["annual_revenue"].astype(float),
            "Country/Region": _spell(names, first[country_idx] + variant, rng.random(n) < 0.01),
            "State/Region": _decoded(latent["state"]),
            "City": _decoded(latent["city"]),
            "Year Founded": latent["founded_year"].astype("Int64"),
            "Total Money Raised": latent["funding_total"].astype(float),
            "Technologies": _decoded(latent["technologies"], rng.random(n) < 0.03),
            "Monthly Cloud Spend": latent["cloud_spend"].astype(float),
        }
    )
