"""Separated lists ("Salesforce;HubSpot", "AWS, GCP | Azure") → one flag per item.

Items are split on ";", ",", "|", "•" and newlines, trimmed, mapped through the
alias table (data/technologies.csv: "SFDC" → Salesforce, "Amazon Web Services" →
AWS, "GCP" → Google Cloud, "MSFT Dynamics" → Microsoft Dynamics, ...) and
de-duplicated. Unknown items are kept as written; when one item is spelled in
several ways ("zendesk", "Zendesk") the most frequent spelling names it.
The main column joins the canonical items with ";" (sorted, case-insensitively);
each distinct item gets a boolean column ``tech_<slug>`` (for the column
``technologies``) or ``<name>_<slug>``. A row whose list is missing has missing
flags, not False: nobody said the company does not use the technology.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from functools import cache, lru_cache
from importlib import resources

__all__ = ["canonical_item", "slugify", "split_items"]

_SPLIT = re.compile(r"[;,|•\n\r]+")


@lru_cache(maxsize=1 << 16)
def slugify(text: str) -> str:
    """Lowercase, every run of non-alphanumerics → "_" (trimmed): "Power BI" → "power_bi"."""
    return re.sub(r"[^0-9a-z]+", "_", text.casefold()).strip("_")


def _alias_key(text: str) -> str:
    return re.sub(r"[\s.\-_]+", " ", text.casefold()).strip()


@cache
def _aliases() -> dict[str, str]:
    data = resources.files(__package__) / "data" / "technologies.csv"
    with data.open(encoding="utf-8") as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    table = {_alias_key(row["alias"]): row["name"] for row in csv.DictReader(lines)}
    # Every canonical name is also an alias of itself, spaces or not ("PowerBI").
    for name in list(table.values()):
        table.setdefault(_alias_key(name), name)
        table.setdefault(_alias_key(name).replace(" ", ""), name)
    return table


def canonical_item(text: str) -> str | None:
    """The canonical name of a known technology, or None."""
    key = _alias_key(text)
    aliases = _aliases()
    return aliases.get(key) or aliases.get(key.replace(" ", ""))


def split_items(text: str) -> list[str]:
    """The trimmed, non-empty items of one list value, aliases resolved, in order."""
    return [item for item in map(_item, _SPLIT.split(text)) if item is not None]


# A column of technology lists has many distinct lists of few distinct items: each item
# is cleaned and looked up once (bounded), not once per list it appears in.
@lru_cache(maxsize=1 << 16)
def _item(raw: str) -> str | None:
    """One piece of a list value as an item (aliases resolved), or None for nothing."""
    item = re.sub(r"\s+", " ", raw).strip().strip("\"'")
    if item and item.casefold() not in ("none", "n/a", "-"):
        return canonical_item(item) or item
    return None


def spelling_table(spellings: Counter[str]) -> dict[str, str]:
    """Each spelling → the display name of its slug (most frequent spelling, then sorted)."""
    by_slug: dict[str, list[tuple[int, str]]] = {}
    for spelling, count in spellings.items():
        by_slug.setdefault(slugify(spelling), []).append((-count, spelling))
    display = {slug: min(options)[1] for slug, options in by_slug.items()}
    return {spelling: display[slugify(spelling)] for spelling in spellings}
