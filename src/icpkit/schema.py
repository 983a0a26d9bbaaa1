"""The canonical schema: the tables icpkit understands and their columns.

Intake maps every CRM export onto these names; every later stage reads them.
Columns that do not map stay in the table unchanged as custom attributes.

Each column has a *kind* that tells intake which normaliser to run:

- ``id``: identifier, kept as text
- ``text``: free text, kept as text
- ``category``: a label (industry, stage, source); kept as text
- ``number``: a plain number ("1,200")
- ``employees``: an employee count or range ("51-200", "10,001+")
- ``money``: an amount with optional currency ("$1.2M", "€3 bn")
- ``country``: a country name or code → ISO-3166 alpha-2 (plus a ``region`` column)
- ``industry``: an industry label → the documented taxonomy (original kept)
- ``title``: a job title → role (department) and seniority
- ``list``: a separated list ("Salesforce;HubSpot") → one flag per item
- ``date``: a date or timestamp
- ``bool``: a yes/no flag ("Yes", "TRUE", "1", "closedwon")
- ``domain``: a web domain or URL → bare domain
- ``year``: a calendar year
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "AFTER_SALE",
    "CONTACT_DETAILS",
    "TABLES",
    "Column",
    "Table",
    "column_words",
    "is_after_sale",
    "is_contact_detail",
    "is_worked_trace",
    "table_names",
]

KINDS = (
    "id",
    "text",
    "category",
    "number",
    "employees",
    "money",
    "country",
    "industry",
    "title",
    "list",
    "date",
    "bool",
    "domain",
    "year",
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    columns: tuple[Column, ...]
    description: str = ""

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _t(name: str, key: str, description: str, *cols: tuple[str, str, str]) -> Table:
    return Table(name, key, tuple(Column(*c) for c in cols), description)


_FIRMOGRAPHICS = (
    ("name", "text", "company name"),
    ("domain", "domain", "company web domain"),
    ("industry", "industry", "industry, mapped to the icpkit taxonomy"),
    ("employees", "employees", "number of employees"),
    ("annual_revenue", "money", "annual revenue"),
    ("country", "country", "ISO-3166 alpha-2 country code"),
    ("state", "text", "state or province"),
    ("city", "text", "city"),
    ("founded_year", "year", "year founded"),
    ("funding_total", "money", "total funding raised"),
    ("last_funding_type", "category", "type of the last funding round"),
    ("last_funding_date", "date", "date of the last funding round"),
    ("technologies", "list", "technologies used (one flag per technology)"),
    ("cloud_spend", "money", "monthly cloud spend"),
    ("ownership", "category", "public, private, subsidiary"),
    ("parent", "text", "parent company"),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        _t(
            "accounts",
            "account_id",
            "companies in the CRM (customers and prospects)",
            ("account_id", "id", "account identifier"),
            *_FIRMOGRAPHICS,
            ("owner", "text", "account owner"),
            ("account_type", "category", "customer, prospect, partner"),
            ("is_customer", "bool", "whether the account is a customer"),
            ("source", "category", "how the account was acquired"),
            ("created", "date", "date the account was created"),
            ("last_modified", "date", "date the record was last modified"),
            ("last_verified", "date", "date the record was last verified"),
        ),
        _t(
            "outcomes",
            "account_id",
            "what happened with each customer",
            ("account_id", "id", "account identifier"),
            ("customer_since", "date", "first purchase date"),
            ("acv", "money", "annual contract value"),
            ("arr", "money", "annual recurring revenue"),
            ("mrr", "money", "monthly recurring revenue"),
            ("renewed", "bool", "renewed at last renewal"),
            ("expanded", "bool", "expanded (upsell, more seats)"),
            ("churned", "bool", "churned"),
            ("seats", "number", "seats or licences"),
            ("nrr", "number", "net revenue retention"),
            ("ltv", "money", "lifetime value"),
            ("cac", "money", "customer acquisition cost"),
            ("sales_cycle_days", "number", "days from first touch to close"),
            ("plan", "category", "plan or tier"),
        ),
        _t(
            "deals",
            "deal_id",
            "opportunities / deals",
            ("deal_id", "id", "deal identifier"),
            ("account_id", "id", "account identifier"),
            ("account_name", "text", "account name when no id is given"),
            ("name", "text", "deal name"),
            ("created", "date", "date the deal was created"),
            ("closed", "date", "close date"),
            ("stage", "category", "deal stage"),
            ("won", "bool", "deal won"),
            ("is_closed", "bool", "deal closed"),
            ("amount", "money", "deal amount"),
            ("source", "category", "lead or deal source"),
            ("deal_type", "category", "new business, renewal, expansion"),
            ("owner", "text", "deal owner"),
            ("product", "category", "product"),
            ("probability", "number", "win probability"),
        ),
        _t(
            "leads",
            "lead_id",
            "leads (people or companies before they become accounts)",
            ("lead_id", "id", "lead identifier"),
            ("account_id", "id", "account identifier, if converted/matched"),
            ("company", "text", "company name"),
            ("domain", "domain", "company domain"),
            ("email", "text", "email address"),
            ("first_name", "text", "first name"),
            ("last_name", "text", "last name"),
            ("title", "title", "job title"),
            ("industry", "industry", "industry"),
            ("employees", "employees", "number of employees"),
            ("annual_revenue", "money", "annual revenue"),
            ("country", "country", "country"),
            ("source", "category", "lead source / channel"),
            ("status", "category", "lead status or lifecycle stage"),
            ("created", "date", "date created"),
            ("mql_date", "date", "became a marketing-qualified lead"),
            ("sql_date", "date", "became a sales-qualified lead"),
            ("opportunity_date", "date", "became an opportunity"),
            ("won_date", "date", "became a customer"),
            ("converted", "bool", "lead converted"),
            ("last_modified", "date", "date the record was last modified"),
        ),
        _t(
            "contacts",
            "contact_id",
            "people at accounts",
            ("contact_id", "id", "contact identifier"),
            ("account_id", "id", "account identifier"),
            ("account_name", "text", "account name when no id is given"),
            ("first_name", "text", "first name"),
            ("last_name", "text", "last name"),
            ("name", "text", "full name"),
            ("email", "text", "email address"),
            ("phone", "text", "phone"),
            ("title", "title", "job title"),
            ("department", "category", "department"),
            ("seniority", "category", "seniority"),
            ("country", "country", "country"),
            ("city", "text", "city"),
            ("deal_role", "category", "role in the buying committee"),
            ("deal_id", "id", "deal the role belongs to"),
            ("created", "date", "date created"),
            ("last_modified", "date", "date the record was last modified"),
            ("last_verified", "date", "date the record was last verified"),
        ),
        _t(
            "contact_roles",
            "contact_id",
            "contact roles on deals (Salesforce OpportunityContactRole)",
            ("deal_id", "id", "deal identifier"),
            ("contact_id", "id", "contact identifier"),
            ("deal_role", "category", "role on the deal"),
            ("is_primary", "bool", "primary contact"),
        ),
        _t(
            "feedback",
            "feedback_id",
            "what customers said (calls, tickets, reviews, interviews)",
            ("feedback_id", "id", "feedback identifier"),
            ("account_id", "id", "account identifier"),
            ("account_name", "text", "account name"),
            ("domain", "domain", "account domain"),
            ("contact_id", "id", "contact identifier"),
            ("source", "category", "call, ticket, review, interview, chat"),
            ("date", "date", "date"),
            ("text", "text", "the text"),
        ),
        _t(
            "universe",
            "company_id",
            "companies in the market, whether or not you sell to them",
            ("company_id", "id", "company identifier"),
            *_FIRMOGRAPHICS,
        ),
    )
}


def table_names() -> list[str]:
    return list(TABLES)


# ---------------------------------------------------------------------------------------------
# Columns a fit profile must not learn from by default (discover excludes them; --keep
# overrides). Matched on the column's words, so raw export names are caught as well as
# canonical ones ("BillingPostalCode" -> billing postal code, "OwnerName" -> owner name).

# Known only after the sale, or a trace of how the account was worked: they describe today's
# customers (a retention profile "where ltv 122,000 or more, seats 27 or more"), and are
# unknown for the prospects a profile is meant to find.
AFTER_SALE = re.compile(
    r"(^|_)(ltv|lifetime_value|seats?|licen[cs]es?|nrr|net_revenue_retention|"
    r"net_retention|usage|adoption|active_users|logins?|tenure|months_as_customer|"
    r"customer_since|owner|owner_name|account_owner|health_score|nps|csat|arr|mrr|acv|"
    r"plan|total_charges|renewal_date|contract_end|"
    r"(mql|sql|opportunity|won|lost|close|closed|churn|churned|renewal|conversion|converted)"
    r"_date|stage_date|days_to_(close|win))(_|$)"
)
# Contact details: whether a phone number or a postal code is filled in says how the record
# was kept (real exports fill them for customers), not who the customer is.
CONTACT_DETAILS = re.compile(
    r"^((billing|shipping|mailing|other|person|company|account|work|home|business|primary|"
    r"main|contact|has)_)*"
    r"(phone|phone_number|mobile|mobile_phone|fax|postal|postal_code|postcode|zip|zip_code|"
    r"street|street_address|address|address_line|email|e_mail|email_address|website|web_site|"
    r"url|domain|linkedin|linkedin_url|twitter|facebook)(_?\d)?(_c)?$"
)  # the detail itself ("BillingPostalCode", "Phone", "Email__c"), not "PhoneService" or
# "Total Time Spent on Website" (behaviour) or "Do Not Email" (a consent flag)


def column_words(name: str) -> str:
    """'BillingPostalCode' -> 'billing_postal_code'; 'Cloud Spend__c' -> 'cloud_spend_c'."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name))
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def is_after_sale(name: str) -> bool:
    return AFTER_SALE.search(column_words(name)) is not None


# Written while a lead or account is worked, by the sales rep or the CRM: the last activity
# logged ("SMS Sent", "Email Opened"), the rep's grade of the lead. They follow contact, so
# they leak the outcome and are unknown for a new lead (X Education's "Last Activity",
# "Last Notable Activity", "Lead Quality": with them the headline named "Last Activity SMS
# Sent" and the held-out AUC was 0.934; without them 0.899, the headline pre-contact traits).
WORKED = re.compile(
    r"(^|_)(last_(notable_)?activity|notable_activity|lead_quality|lead_grade)(_|$)"
)


def is_worked_trace(name: str) -> bool:
    return WORKED.search(column_words(name)) is not None


def is_contact_detail(name: str) -> bool:
    return CONTACT_DETAILS.search(column_words(name)) is not None
