"""Business words for conditions: segment names and headline traits, never raw column names.

``phrase`` turns one condition into the words a salesperson would use ("200–5,000 employees",
"on Salesforce", "revenue $45.8M+", "in Europe"); ``segment_name`` joins a rule's phrases into
a name of at most ~60 characters that never cuts a word: value lists shrink first ("Software,
Healthcare or 2 more"), then whole traits are left out and counted ("+1 more").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from .binning import flag_bin, fmt_number
from .profile import Condition, Profile
from .schema import TABLES

__all__ = [
    "aside",
    "attribute_name",
    "counted",
    "display_value",
    "flag_answer",
    "flag_columns",
    "is_money",
    "money",
    "phrase",
    "segment_name",
]

_NAME_LIMIT = 60
_MONEY = {c.name for t in TABLES.values() for c in t.columns if c.kind == "money"}
_WORDS = {"annual_revenue": "revenue", "funding_total": "raised", "last_funding_type": "last round"}
_WORDS |= {
    c.name: c.description
    for t in TABLES.values()
    for c in t.columns
    if c.kind == "money" and c.name not in _WORDS and len(c.description) <= 24
}
_PLACES = {"country", "region", "state", "city"}
# A table's attribute column names the trait in full ("total funding", not "raised").
_NAMES = {c.name: c.description for t in TABLES.values() for c in t.columns if c.kind == "money"}
_NAMES |= {
    "funding_total": "total funding",
    "last_funding_type": "last funding round",
    "founded_year": "year founded",
    "icp_score": "fit score",
    "icp_tier": "fit tier",
}


def counted(n: int, noun: str) -> str:
    """'1 success', '2,000 rows', '3 failures': a count and its noun, agreeing."""
    plural = noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")
    return f"{n:,} {noun if n == 1 else plural}"


# A count of rows inside a phrase ("hold-out of 2310 rows"); not part of a date or a decimal.
_ROW_COUNT = re.compile(r"(?<![\d.,:-])(\d{4,})(?= rows\b)")


def aside(text: str) -> str:
    """A phrase that will sit in brackets, made fit for it: its own brackets become commas
    ("5-fold cross-validation (small data)" -> "5-fold cross-validation, small data") and its
    row counts get thousands separators, so "Held-out (...)" never nests brackets."""
    text = re.sub(r"\s*\(([^()]*)\)", r", \1", text)
    return _ROW_COUNT.sub(lambda m: f"{int(m.group(1)):,}", text)


def money(x: float) -> str:
    """$45.8M, $127k, $950: short money for names and headlines."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            v = x / size
            text = f"{v:.1f}".rstrip("0").rstrip(".") if v < 100 else f"{v:.0f}"
            return f"${text}{suffix}"
    return f"${x:,.0f}"


def _number(cond: Condition, x: float) -> str:
    if cond.attribute in _MONEY:
        return money(x)
    return fmt_number(x, year="year" in cond.attribute.lower())


def _values(values: Sequence[str], limit: int) -> str:
    shown = list(values[:limit])
    more = len(values) - len(shown)
    if more:
        # "or 4 more", not "+4": beside points and bonuses a bare "+4" reads as points.
        return ", ".join(shown) + f" or {more} more"
    return " or ".join(shown) if len(shown) <= 2 else ", ".join(shown[:-1]) + " or " + shown[-1]


def attribute_name(name: str, label: str | None = None) -> str:
    """An attribute as a table lists it: its label, else business words for its column.

    'cloud_spend' -> 'monthly cloud spend', 'tech_aws' -> 'uses AWS', 'Territory_Code__c' ->
    'Territory Code', 'OnlineSecurity' -> 'Online Security'.
    """
    from .explain import pretty_name

    if label:
        return label
    if name.startswith("tech_"):
        return f"uses {pretty_name(name)}"
    return _NAMES.get(name) or pretty_name(name)


def is_money(name: str) -> bool:
    """Whether a column holds an amount of money (revenue, funding, ACV, cloud spend ...)."""
    return name in _MONEY


def display_value(name: str, value: object) -> str:
    """A cell of a listing: money as money ('$2.8M', not 2809400.0), whole numbers with
    thousands separators, nothing for a missing value."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if name in _MONEY:
        return money(float(value))
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _label(name: str) -> str:
    from .explain import pretty_name

    return _WORDS.get(name, pretty_name(name))


def _range(cond: Condition, unit: str) -> str:
    ge = None if cond.ge is None else _number(cond, cond.ge)
    lt = None if cond.lt is None else _number(cond, cond.lt)
    if ge is not None and lt is not None:
        return f"{ge}–{lt} {unit}".strip()
    if ge is not None:
        return f"{ge}+ {unit}".strip()
    return f"under {lt} {unit}".strip()


def flag_columns(profile: Profile) -> frozenset[str]:
    """The profile's yes/no traits kept as numbers: 0/1 columns, their bins labelled yes/no."""
    return frozenset(
        a.name
        for a in profile.attributes
        if a.kind == "numeric"
        and a.bins
        and all((b.label or "").strip().lower() in ("yes", "no") for b in a.bins)
    )


def flag_answer(cond: Condition, flags: Collection[str] = ()) -> bool | None:
    """True / False when ``cond`` asks a yes/no question ('is true', or '>= 1' on a 0/1 column
    among ``flags``); None for any other condition."""
    if cond.is_numeric:
        answer = flag_bin(cond.ge, cond.lt) if cond.attribute in flags else None
        return None if answer is None else answer == "yes"
    values = cond.in_ if cond.in_ is not None else cond.not_in or []
    lowered = [v.lower() for v in values]
    if lowered not in (["true"], ["false"]):
        return None
    return (lowered == ["true"]) != (cond.not_in is not None)


def phrase(cond: Condition, limit: int = 3, flags: Collection[str] = ()) -> str:
    """One condition in business words, with at most ``limit`` listed values; ``flags`` names
    the 0/1 columns, whose conditions read as yes/no."""
    from .explain import pretty_name  # explain imports this module

    name = cond.attribute
    low = name.lower()
    if (yes := flag_answer(cond, flags)) is not None:
        if low.startswith("tech_"):
            return f"{'on' if yes else 'not on'} {pretty_name(name)}"
        return f"{pretty_name(name)}: {'yes' if yes else 'no'}"
    if cond.is_numeric:
        if low == "employees":
            return _range(cond, "employees")
        if "founded" in low:
            if cond.ge is not None and cond.lt is not None:
                return f"founded {_number(cond, cond.ge)}–{_number(cond, cond.lt - 1)}"
            if cond.ge is not None:
                return f"founded {_number(cond, cond.ge)} or later"
            return f"founded before {_number(cond, cond.lt)}"  # type: ignore[arg-type]
        label = _label(name)
        return f"{label} {_range(cond, '')}"
    values = cond.in_ if cond.in_ is not None else cond.not_in or []
    negate = cond.not_in is not None
    listed = _values(values, limit)
    if low == "industry":
        return f"not {listed}" if negate else listed
    if low in _PLACES:
        return f"{'outside' if negate else 'in'} {listed}"
    label = _label(name)
    return f"{label} {'not ' if negate else ''}{listed}"


def segment_name(
    conditions: Sequence[Condition], limit: int = _NAME_LIMIT, flags: Collection[str] = ()
) -> str:
    """A short name in business words, at most ``limit`` characters, no word cut; ``flags``
    names the 0/1 columns (see :func:`phrase`)."""
    conds = sorted(conditions, key=lambda c: (c.attribute.lower() != "industry", 0))
    for values in (3, 2, 1):
        parts = [phrase(c, values, flags) for c in conds]
        name = " · ".join(parts)
        if len(name) <= limit:
            return name
    parts = [phrase(c, 1, flags) for c in conds]
    for keep in range(len(parts) - 1, 0, -1):
        name = " · ".join(parts[:keep]) + f" +{len(parts) - keep} more"
        if len(name) <= limit:
            return name
    words, out = parts[0].split(), ""
    for w in words:  # one very long trait: whole words up to the limit
        if len(out) + len(w) + 2 > limit:
            return out + " …"
        out = f"{out} {w}".strip()
    return out
