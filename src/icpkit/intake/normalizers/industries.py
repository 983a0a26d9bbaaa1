"""Industry labels → one documented taxonomy of sectors (the original is kept beside it).

Two steps, on a folded label (lowercase; "_", "-", "/", "," → space; "&" → "and"):
the explicit table data/industries.csv (Salesforce picklist, HubSpot enum,
LinkedIn names, Crunchbase category codes, Inc. 5000 and Fortune sectors, the
Maven sample's "technolgy", ravenstack's DevTools/FinTech/...), then ordered
keyword rules. A label that matches neither is "Other" — not a problem: the
original stays in ``<name>_original`` for anyone who wants finer grain.
"""

from __future__ import annotations

import csv
import re
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from ._base import Parsed

__all__ = ["SECTORS", "fold_industry", "industry_sector"]

SECTORS = (
    "Software",
    "IT Services",
    "Hardware & Semiconductors",
    "Telecommunications",
    "Financial Services",
    "Healthcare",
    "Biotech & Pharma",
    "Education",
    "Government",
    "Non-profit",
    "Manufacturing",
    "Construction",
    "Energy & Utilities",
    "Retail",
    "Consumer Goods",
    "Media & Entertainment",
    "Marketing & Advertising",
    "Real Estate",
    "Transportation & Logistics",
    "Professional Services",
    "Hospitality",
    "Agriculture",
    "Other",
)

# Ordered: the first rule whose keyword starts a word in the label wins, so the
# specific sectors come before the generic ones ("health insurance" is Healthcare,
# "technology services" is Professional Services only if nothing earlier matched).
_RULES: tuple[tuple[str, str], ...] = (
    (r"non ?profit|not for profit|charit|philanthrop|ngo|foundation", "Non-profit"),
    (r"biotech|pharma|life science|drug|genomic", "Biotech & Pharma"),
    (r"health|medical|medicine|hospitals?\b|clinic|dental|wellness|care\b", "Healthcare"),
    (
        r"software|saas|internet|apps?\b|cyber|cloud|platform|artificial intelligence|machine learning|ai\b",
        "Software",
    ),
    (
        r"information technology|it services|it consulting|computer services|data process",
        "IT Services",
    ),
    (r"semiconductor|hardware|electronic|computer|storage|devices", "Hardware & Semiconductors"),
    (r"telecom|wireless|telephon|cable|satellite|isp\b", "Telecommunications"),
    (
        r"bank|financ|insur|invest(?!igat)|capital|credit|lending|payment|wealth|asset management|fund",
        "Financial Services",
    ),
    (r"educat|school|universit|college|learning|training|academ|edu\b", "Education"),
    (
        r"government|public sector|federal|municipal|defen[cs]e|military|public administration",
        "Government",
    ),
    (r"real estate|property|properties|realty", "Real Estate"),
    (r"construct|building|architect|contractor", "Construction"),
    (
        r"energy|utilit|oil\b|gas\b|power|solar|renewable|electric|mining|petrol|environment|water",
        "Energy & Utilities",
    ),
    (
        r"transport|logistic|shipping|freight|airline|aviation|trucking|rail|maritime|delivery|supply chain",
        "Transportation & Logistics",
    ),
    (r"retail|e ?commerce|wholesale|stores?\b|shop|marketplace|distribut", "Retail"),
    (
        r"hospitality|hotel|restaurant|travel|leisure|touris|lodging|food service|catering|gaming",
        "Hospitality",
    ),
    (
        r"media|entertain|game|music|film|movie|broadcast|publish|news|sport|arts?\b|video|radio|tv\b",
        "Media & Entertainment",
    ),
    (
        r"marketing|advertis|public relations|pr agency|market research|branding|seo",
        "Marketing & Advertising",
    ),
    (
        r"consumer|food|beverage|apparel|fashion|cosmetic|household|tobacco|luxury|jewel|toy|furniture|cpg",
        "Consumer Goods",
    ),
    (
        r"manufactur|industrial|machinery|chemical|material|automotive|aerospace|plastic|textile|paper|packaging|metal|steel",
        "Manufacturing",
    ),
    (r"agricultur|farm|ranch|fisher|dairy|forestry", "Agriculture"),
    (
        r"consult|legal|law|accounting|staffing|recruit|human resources|outsourc|professional|business services|services",
        "Professional Services",
    ),
    (r"technolog|tech", "Software"),
)


def fold_industry(text: str) -> str:
    """'Food, Beverages & Tobacco' → 'food beverages tobacco'; GAMBLING_CASINOS → 'gambling casinos'.

    "&" and "and" are dropped: HubSpot's enum writes LinkedIn's "Gambling & Casinos"
    as GAMBLING_CASINOS but "Health, Wellness and Fitness" as HEALTH_WELLNESS_AND_FITNESS.
    """
    s = text.casefold().replace("&", " ")
    s = re.sub(r"[_\-/,.;:()'’]+", " ", s)
    return " ".join(word for word in s.split() if word != "and")


@cache
def _table() -> dict[str, str]:
    data = resources.files(__package__) / "data" / "industries.csv"
    with data.open(encoding="utf-8") as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    return {fold_industry(row["label"]): row["sector"] for row in csv.DictReader(lines)}


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(rf"\b(?:{pattern})"), sector) for pattern, sector in _RULES)


@lru_cache(maxsize=1 << 16)
def industry_sector(label: str) -> str:
    """The sector of an industry label ("Other" when nothing matches)."""
    key = fold_industry(label)
    table = _table()
    if key in table:
        return table[key]
    for pattern, sector in _compiled():
        if pattern.search(key):
            return sector
    return "Other"


def parse_industry(value: Any) -> Parsed:
    """One value of kind ``industry`` → ((sector, original), None): never a problem."""
    original = re.sub(r"\s+", " ", str(value)).strip()
    return (industry_sector(original), original), None
