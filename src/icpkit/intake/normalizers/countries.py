"""Country names, codes and variants → ISO-3166 alpha-2 plus a sales region.

Lookup order, on a folded key (lowercase, accents and punctuation removed, a
leading "the" dropped): alpha-2 code, alpha-3 code, English short / official /
common name, our alias table (data/country_aliases.csv: "USA", "UK", "Holland",
"Deutschland", ...), then names in nine other languages (data/countries.csv,
generated from pycountry's iso-codes data). A value that matches nothing but is
within a typo of a known name ("Philipines") is read as that country and said so
in the column's notes. A region instead of a country ("Asia/Pacific Region",
"EMEA") gives no country, the region where it is unambiguous, and a problem.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from ._base import Parsed

__all__ = ["REGIONS", "country_region", "fold_country", "parse_country"]

REGIONS = ("North America", "Latin America", "Europe", "Middle East & Africa", "Asia-Pacific")

# Kosovo has no ISO code yet; "XK" is the user-assigned code everybody uses.
_EXTRA = [{"alpha2": "XK", "alpha3": "XKX", "name": "Kosovo", "region": "Europe"}]
# Codes that are not ISO but are written as country codes: UK (reserved for GB), EL (EU's Greece).
_EXTRA_CODES = {"UK": "GB", "EL": "GR"}

_REGION_WORDS: dict[str, str | None] = {
    "north america": "North America",
    "latin america": "Latin America",
    "latam": "Latin America",
    "south america": "Latin America",
    "central america": "Latin America",
    "caribbean": "Latin America",
    "europe": "Europe",
    "european union": "Europe",
    "eu": "Europe",
    "western europe": "Europe",
    "eastern europe": "Europe",
    "middle east": "Middle East & Africa",
    "africa": "Middle East & Africa",
    "mea": "Middle East & Africa",
    "middle east and africa": "Middle East & Africa",
    "asia": "Asia-Pacific",
    "apac": "Asia-Pacific",
    "asia pacific": "Asia-Pacific",
    "asia pacific region": "Asia-Pacific",
    "asiapacific": "Asia-Pacific",
    "oceania": "Asia-Pacific",
    "emea": None,
    "americas": None,
    "international": None,
    "rest of world": None,
    "rest of the world": None,
    "row": None,
    "worldwide": None,
    "global": None,
}

_PUNCT = re.compile(r"[\s.,;:'’`\"()\[\]/\\_\-–—]+")


@lru_cache(maxsize=1 << 16)
def fold_country(text: str) -> str:
    """The lookup key: 'Côte d’Ivoire' → 'cote d ivoire' → 'cote divoire'-style folding."""
    if text.isascii():
        stripped = text
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    key = stripped.casefold().replace("&", " and ")
    # Apostrophes join ("d'Ivoire" → "divoire"); other punctuation separates words.
    key = re.sub(r"['’`]", "", key)
    key = _PUNCT.sub(" ", key).strip()
    return key.removeprefix("the ")


def _rows() -> list[dict[str, str]]:
    data = resources.files(__package__) / "data" / "countries.csv"
    with data.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows + [dict(row, official_name="", common_name="", names="") for row in _EXTRA]


def _aliases() -> list[tuple[str, str]]:
    data = resources.files(__package__) / "data" / "country_aliases.csv"
    with data.open(encoding="utf-8") as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    return [(row["alias"], row["alpha2"]) for row in csv.DictReader(lines)]


@cache
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(codes: upper code → alpha2, names: folded key → alpha2, regions: alpha2 → region)."""
    rows = _rows()
    codes = {r["alpha2"]: r["alpha2"] for r in rows}
    codes.update({r["alpha3"]: r["alpha2"] for r in rows})
    codes.update(_EXTRA_CODES)
    names: dict[str, str] = {}
    # Earlier sources win: English names beat aliases beat translations.
    layers = [
        [(r[col], r["alpha2"]) for r in rows for col in ("name", "official_name", "common_name")],
        _aliases(),
        [(n, r["alpha2"]) for r in rows for n in r["names"].split("|")],
    ]
    for layer in layers:
        for text, code in layer:
            key = fold_country(text) if text else ""
            if key and key not in names:
                names[key] = code
    regions = {r["alpha2"]: r["region"] for r in rows}
    return codes, names, regions


def country_region(alpha2: str) -> str | None:
    """The sales region of an alpha-2 code."""
    return _tables()[2].get(alpha2)


@cache
def _by_initial() -> dict[str, list[str]]:
    """Latin-letter names by first letter: typo candidates (a typo rarely hits letter one)."""
    groups: dict[str, list[str]] = {}
    for key in _tables()[1]:
        if len(key) >= 4 and re.fullmatch(r"[a-z ]+", key):
            groups.setdefault(key[0], []).append(key)
    return groups


# Words shared by many country names: a typo guess near them would be a coin toss
# ("Republic of Ireland" is one letter from "Republic of Iceland").
_GENERIC_WORDS = frozenset(
    [
        "republic",
        "of",
        "the",
        "and",
        "islands",
        "island",
        "democratic",
        "united",
        "north",
        "south",
        "east",
        "west",
        "new",
        "saint",
        "st",
        "guinea",
        "federal",
        "states",
        "kingdom",
        "people",
        "peoples",
        "arab",
    ]
)


@lru_cache(maxsize=1 << 16)
def _fuzzy(key: str) -> str | None:
    if not 5 <= len(key) <= 30 or not re.fullmatch(r"[a-z ]+", key):
        return None
    if _GENERIC_WORDS.intersection(key.split()):
        return None
    candidates = [
        k
        for k in _by_initial().get(key[0], [])
        if abs(len(k) - len(key)) <= 2 and not _GENERIC_WORDS.intersection(k.split())
    ]
    match = difflib.get_close_matches(key, candidates, n=1, cutoff=0.86)
    return match[0] if match else None


def _exact(text: str) -> str | None:
    """The alpha-2 code of a code, name or alias; None when there is no exact match."""
    codes, names, _ = _tables()
    stripped = text.strip()
    if re.fullmatch(r"[A-Za-z]{2,3}", stripped) and stripped.upper() in codes:
        return codes[stripped.upper()]
    key = fold_country(stripped)
    if key in names:
        return names[key]
    joined = key.replace(" ", "")
    if len(joined) in (2, 3) and joined.upper() in codes:
        return codes[joined.upper()]  # "U.S.", "U.A.E"
    return None


def _region_word(text: str) -> tuple[bool, str | None]:
    """(is a region word, its region) for "APAC", "Asia/Pacific Region", "EMEA"."""
    key = fold_country(text)
    for candidate in (key, key.removesuffix(" region")):
        if candidate in _REGION_WORDS:
            return True, _REGION_WORDS[candidate]
    return False, None


# In "City, XX" a two-letter part is more often a US state or Canadian province
# ("Springfield, IL", "Toronto, ON") than a country; only these two are safe.
_SAFE_TWO_LETTER = frozenset({"UK", "US"})


def _from_parts(text: str) -> str | None:
    """ "Germany (DE)", "DE - Germany", "London, UK": the rightmost part that is a country."""
    without_brackets = re.sub(r"\([^)]*\)", " ", text).strip()
    if without_brackets != text.strip() and (code := _exact(without_brackets)):
        return code
    parts = [p.strip() for p in re.split(r"\s[-–]\s|[,;/|()]", text) if p.strip()]
    if len(parts) < 2:
        return None
    for part in reversed(parts):
        letters = re.sub(r"[^A-Za-z]", "", part)
        if len(letters) <= 2 and letters.upper() not in _SAFE_TWO_LETTER:
            continue
        if code := _exact(part):
            return code
    return None


@lru_cache(maxsize=1 << 16)
def lookup_country(text: str) -> tuple[str | None, str | None]:
    """(alpha2, how): how is None for a sure match, or 'closest name ...' for a typo."""
    code = _exact(text)
    if code is None:
        code = _from_parts(text)
    if code is not None:
        return code, None
    if _region_word(text)[0]:
        return None, None
    close = _fuzzy(fold_country(text))
    if close is not None:
        return _tables()[1][close], f"closest name {close!r}"
    return None, None


def parse_country(value: Any) -> Parsed:
    """One value of kind ``country`` → ((alpha2, region), problem)."""
    text = str(value)
    code, _ = lookup_country(text)
    if code is not None:
        return (code, country_region(code)), None
    is_region, region = _region_word(text)
    if is_region:
        return (None, region), "a region, not a country"
    return (None, None), "not a country"
