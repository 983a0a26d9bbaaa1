"""The fixed vocabularies of the synthetic world: industries, countries, technologies, names.

Each latent (clean) value has the raw spellings real exports use for it, so the render step
can make the data messy in the ways intake must undo, and truth.json can say which raw labels
stand for which canonical value.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "COUNTRIES",
    "EUROPE",
    "INDUSTRIES",
    "TECHNOLOGIES",
    "Country",
    "Industry",
    "Technology",
]


@dataclass(frozen=True)
class Industry:
    label: str  # canonical taxonomy label
    weight: float  # share of CRM accounts
    size_shift: float  # added to log(employees): banks are bigger than agencies
    salesforce_labels: tuple[str, ...]  # how a Salesforce picklist spells it (first = most common)
    hubspot_label: str  # HubSpot company "Industry" export label


INDUSTRIES: tuple[Industry, ...] = (
    Industry("Software", 0.19, 0.0, ("Software", "Computer Software", "SaaS", "software"), "Computer Software"),
    Industry("IT Services", 0.06, 0.0, ("IT Services", "Information Technology and Services", "IT Consulting"), "Information Technology and Services"),
    Industry("Financial Services", 0.12, 0.8, ("Financial Services", "Finance", "Banking", "financial services"), "Financial Services"),
    Industry("Healthcare", 0.08, 0.3, ("Healthcare", "Health Care", "Hospital & Health Care"), "Hospital & Health Care"),
    Industry("Manufacturing", 0.09, 0.4, ("Manufacturing", "Industrial Manufacturing", "Machinery"), "Machinery"),
    Industry("Retail", 0.07, 0.2, ("Retail", "Retail & E-commerce", "retail"), "Retail"),
    Industry("Education", 0.06, 0.2, ("Education", "Higher Education", "Education Management"), "Higher Education"),
    Industry("Government", 0.04, 0.6, ("Government", "Government Administration", "Public Sector"), "Government Administration"),
    Industry("Media & Entertainment", 0.05, -0.2, ("Media", "Entertainment", "Media & Entertainment"), "Entertainment"),
    Industry("Telecommunications", 0.04, 0.7, ("Telecommunications", "Communications", "Telecom"), "Telecommunications"),
    Industry("Professional Services", 0.07, -0.3, ("Consulting", "Professional Services", "Management Consulting"), "Management Consulting"),
    Industry("Marketing & Advertising", 0.04, -0.5, ("Marketing and Advertising", "Advertising", "Marketing & Advertising"), "Marketing and Advertising"),
    Industry("Transportation & Logistics", 0.04, 0.3, ("Transportation", "Logistics and Supply Chain", "Shipping"), "Logistics and Supply Chain"),
    Industry("Energy & Utilities", 0.03, 0.6, ("Energy", "Utilities", "Oil & Energy"), "Oil & Energy"),
    Industry("Real Estate", 0.02, -0.2, ("Real Estate", "Commercial Real Estate"), "Real Estate"),
)  # fmt: skip


@dataclass(frozen=True)
class Country:
    iso: str
    weight: float
    region: str
    names: tuple[str, ...]  # raw spellings, first = most common
    currency: str
    tld: str
    places: tuple[tuple[str, str], ...]  # (state or province, city)


COUNTRIES: tuple[Country, ...] = (
    Country("US", 0.40, "North America", ("United States", "USA", "US", "United States of America", "U.S."), "USD", "com",
            (("CA", "San Francisco"), ("NY", "New York"), ("TX", "Austin"), ("MA", "Boston"), ("IL", "Chicago"), ("WA", "Seattle"), ("GA", "Atlanta"), ("CO", "Denver"))),
    Country("GB", 0.09, "Europe", ("United Kingdom", "UK", "GB", "Great Britain", "England"), "GBP", "co.uk",
            (("England", "London"), ("England", "Manchester"), ("Scotland", "Edinburgh"))),
    Country("DE", 0.07, "Europe", ("Germany", "Deutschland", "DE"), "EUR", "de",
            (("Berlin", "Berlin"), ("Bavaria", "Munich"), ("Hamburg", "Hamburg"))),
    Country("FR", 0.05, "Europe", ("France", "FR"), "EUR", "fr", (("Île-de-France", "Paris"), ("Auvergne-Rhône-Alpes", "Lyon"))),
    Country("NL", 0.04, "Europe", ("Netherlands", "The Netherlands", "Holland", "NL"), "EUR", "nl", (("North Holland", "Amsterdam"), ("South Holland", "Rotterdam"))),
    Country("SE", 0.02, "Europe", ("Sweden", "SE"), "EUR", "se", (("Stockholm", "Stockholm"),)),
    Country("ES", 0.03, "Europe", ("Spain", "España"), "EUR", "es", (("Madrid", "Madrid"), ("Catalonia", "Barcelona"))),
    Country("IT", 0.02, "Europe", ("Italy", "Italia"), "EUR", "it", (("Lombardy", "Milan"),)),
    Country("IE", 0.02, "Europe", ("Ireland", "IE"), "EUR", "ie", (("Leinster", "Dublin"),)),
    Country("CH", 0.02, "Europe", ("Switzerland", "Schweiz"), "EUR", "ch", (("Zurich", "Zurich"),)),
    Country("CA", 0.06, "North America", ("Canada", "CA"), "USD", "ca", (("ON", "Toronto"), ("BC", "Vancouver"), ("QC", "Montreal"))),
    Country("AU", 0.04, "Asia-Pacific", ("Australia", "AU"), "USD", "com.au", (("NSW", "Sydney"), ("VIC", "Melbourne"))),
    Country("IN", 0.05, "Asia-Pacific", ("India", "IN"), "USD", "in", (("Karnataka", "Bengaluru"), ("Maharashtra", "Mumbai"))),
    Country("SG", 0.02, "Asia-Pacific", ("Singapore", "SG"), "USD", "sg", (("Singapore", "Singapore"),)),
    Country("JP", 0.02, "Asia-Pacific", ("Japan", "JP"), "USD", "jp", (("Tokyo", "Tokyo"),)),
    Country("BR", 0.03, "Latin America", ("Brazil", "Brasil"), "USD", "com.br", (("SP", "São Paulo"),)),
    Country("MX", 0.01, "Latin America", ("Mexico", "México"), "USD", "mx", (("CDMX", "Mexico City"),)),
    Country("ZA", 0.01, "Middle East & Africa", ("South Africa", "ZA"), "USD", "co.za", (("Gauteng", "Johannesburg"),)),
    Country("AE", 0.01, "Middle East & Africa", ("United Arab Emirates", "UAE"), "USD", "ae", (("Dubai", "Dubai"),)),
)  # fmt: skip

EUROPE: tuple[str, ...] = tuple(c.iso for c in COUNTRIES if c.region == "Europe")


@dataclass(frozen=True)
class Technology:
    name: str  # canonical name; its flag column is tech_<slug>
    logit: float  # base log-odds of use for a 100-employee company
    size_coef: float  # change in log-odds per factor 10 of employees
    industry_bumps: tuple[tuple[str, float], ...]  # industries that use it more (or less)
    spellings: tuple[str, ...]  # raw spellings in technology lists

    @property
    def slug(self) -> str:
        return "".join(ch if ch.isalnum() else "_" for ch in self.name.lower()).strip("_")

    @property
    def column(self) -> str:
        return f"tech_{self.slug}"


TECHNOLOGIES: tuple[Technology, ...] = (
    Technology("Salesforce", -0.6, 0.7, (("Software", 0.6), ("Financial Services", 0.3)), ("Salesforce", "SFDC", "salesforce")),
    Technology("HubSpot", -0.9, -0.3, (("Marketing & Advertising", 1.0), ("Software", 0.3)), ("HubSpot", "Hubspot")),
    Technology("AWS", -0.2, 0.3, (("Software", 0.8), ("Healthcare", 0.4), ("Government", -0.8)), ("AWS", "Amazon Web Services")),
    Technology("Google Cloud", -1.6, 0.2, (("Media & Entertainment", 0.6), ("Retail", 0.4)), ("Google Cloud", "GCP")),
    Technology("Azure", -1.2, 0.4, (("Government", 0.8), ("Manufacturing", 0.5), ("Education", 0.5)), ("Azure", "Microsoft Azure")),
    Technology("Snowflake", -2.2, 0.6, (("Software", 0.7), ("Financial Services", 0.5)), ("Snowflake",)),
    Technology("Slack", 0.0, -0.2, (("Software", 0.8),), ("Slack",)),
    Technology("Zendesk", -1.5, 0.2, (("Retail", 0.6), ("Software", 0.3)), ("Zendesk",)),
    Technology("Marketo", -2.3, 0.6, (("Software", 0.4),), ("Marketo", "Adobe Marketo")),
    Technology("Shopify", -2.5, -0.4, (("Retail", 2.0),), ("Shopify",)),
    Technology("Stripe", -1.8, -0.2, (("Software", 0.9), ("Retail", 0.6)), ("Stripe",)),
    Technology("Workday", -2.8, 0.9, (("Financial Services", 0.4),), ("Workday",)),
    Technology("SAP", -2.6, 0.9, (("Manufacturing", 1.2), ("Energy & Utilities", 0.8)), ("SAP",)),
    Technology("Jira", -0.8, 0.1, (("Software", 1.2), ("IT Services", 0.8)), ("Jira", "Atlassian Jira")),
    Technology("Tableau", -2.0, 0.5, (("Financial Services", 0.4), ("Healthcare", 0.3)), ("Tableau",)),
)  # fmt: skip

CLOUDS = ("AWS", "Google Cloud", "Azure")

# Company names are brand + descriptor; the brand parts give ~6,000 brands, the descriptors
# lift that to ~100,000 distinct names before any numeric de-duplication is needed.
BRAND_HEADS = (
    "Blue", "Nova", "Quantum", "Bright", "Silver", "Iron", "Clear", "North", "Red", "Green",
    "Swift", "Atlas", "Apex", "Vertex", "Summit", "Pioneer", "Lumen", "Stellar", "Cobalt", "Crimson",
    "Golden", "Rapid", "Prime", "Zen", "Echo", "Pixel", "Orbit", "Nimbus", "Terra", "Aqua",
    "Solar", "Lunar", "Cedar", "Maple", "Oak", "Pine", "Falcon", "Eagle", "Fox", "Wolf",
    "Harbor", "Beacon", "Anchor", "Bridge", "Crest", "Delta", "Ember", "Flux", "Granite", "Helix",
    "Indigo", "Jade", "Kinetic", "Lattice", "Meridian", "Nexus", "Onyx", "Polar", "Quartz", "Radiant",
    "Sable", "Tidal", "Ultra", "Vivid", "Willow", "Xeno", "Yonder", "Zephyr", "Arc", "Bolt",
    "Core", "Dyna", "Evo", "Fusion", "Grid", "Hyper", "Ion", "Juno", "Kite", "Lynx",
)  # fmt: skip
BRAND_TAILS = (
    "stack", "point", "wave", "forge", "leaf", "bridge", "path", "field", "stone", "works",
    "line", "scape", "sphere", "gate", "mark", "view", "shift", "loop", "ware", "base",
    "cloud", "logic", "mind", "pulse", "spark", "stream", "tech", "vault", "wise", "yard",
    "bit", "byte", "dock", "flow", "hub", "lab", "nest", "port", "ridge", "well",
    "crest", "dale", "fort", "grove", "haven", "isle", "land", "mont", "ora", "rise",
    "sight", "tide", "verse", "vox", "wing", "zone", "cast", "craft", "dash", "ly",
    "ify", "io", "ion", "ix", "o", "a", "ex", "ia", "us", "um",
    "en", "er", "ist", "ster", "ton",
)  # fmt: skip
DESCRIPTORS = (
    "", "", "", "", "Systems", "Labs", "Group", "Partners", "Solutions", "Technologies",
    "Analytics", "Holdings", "Consulting", "Networks", "Digital", "Health", "Capital", "Industries",
)  # fmt: skip
LEGAL = ("", "", "", "", "Inc.", "Inc", "LLC", "Ltd", "Corp.", "Co.", "GmbH", "SA", "BV", "plc")

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Chris", "Karen",
    "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Priya", "Wei",
    "Lukas", "Sophie", "Mateo", "Camille", "Hiroshi", "Aisha", "Olga", "Pedro", "Ingrid", "Ravi",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
    "Müller", "Schmidt", "Dubois", "Rossi", "Kumar", "Patel", "Chen", "Wang", "Tanaka", "Silva",
    "O'Brien", "Nguyen", "Kowalski", "Andersson", "de Vries", "Okafor", "Cohen", "Murphy", "Singh", "Kim",
)  # fmt: skip

# Buying-committee roles (Salesforce OpportunityContactRole picklist) and the titles people
# holding them tend to have. Titles are free text, with the variants real CRMs hold.
ROLE_TITLES: dict[str, tuple[str, ...]] = {
    "Economic Buyer": (
        "Chief Financial Officer", "CFO", "VP Finance", "VP, Finance", "Head of Finance",
        "Finance Director", "Chief Executive Officer", "CEO", "Controller", "VP of Procurement",
    ),
    "Executive Sponsor": (
        "Chief Revenue Officer", "CRO", "Chief Operating Officer", "COO", "VP Sales",
        "VP, Revenue Operations", "SVP Sales", "Chief Marketing Officer", "VP of Marketing", "Founder & CEO",
    ),
    "Technical Buyer": (
        "Chief Technology Officer", "CTO", "Head of IT", "IT Director", "Director of Engineering",
        "VP Engineering", "Chief Information Officer", "CIO", "Head of Data", "Director, IT Infrastructure",
    ),
    "Decision Maker": (
        "Director of Sales Operations", "Head of RevOps", "Director, Revenue Operations", "VP Customer Success",
        "Director of Marketing", "Head of Sales", "Sales Director", "Director of Operations", "General Manager",
    ),
    "Evaluator": (
        "Sr. Software Engineer", "Software Engineer", "Data Analyst", "Sales Operations Analyst",
        "Business Analyst", "Solutions Architect", "Senior Data Engineer", "IT Manager", "Systems Administrator",
        "RevOps Manager",
    ),
    "Influencer": (
        "Marketing Manager", "Account Executive", "Sales Manager", "Customer Success Manager",
        "Product Manager", "Demand Generation Manager", "Sales Representative", "Marketing Coordinator",
        "Office Manager", "Accounting Manager",
    ),
}  # fmt: skip
ROLES: tuple[str, ...] = tuple(ROLE_TITLES)

# Plain Salesforce / HubSpot picklist values used by the render step.
LEAD_SOURCES = (
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Other",
    "Trade Show",
    "Webinar",
    "Employee Referral",
)
HUBSPOT_SOURCES = (
    "Organic Search",
    "Paid Search",
    "Referrals",
    "Offline Sources",
    "Direct Traffic",
    "Social Media",
    "Email Marketing",
)
OPEN_STAGES = (
    "Appointment Scheduled",
    "Qualified To Buy",
    "Presentation Scheduled",
    "Decision Maker Bought-In",
    "Contract Sent",
)
FUNDING_TYPES = (
    "Seed",
    "Series A",
    "Series B",
    "Series C",
    "Series D+",
    "Private Equity",
    "Debt Financing",
)
OWNERS = (
    "Alex Rivera",
    "Jordan Lee",
    "Sam Patel",
    "Taylor Brooks",
    "Morgan Chen",
    "Casey Novak",
    "Riley Adams",
    "Jamie Fox",
)
