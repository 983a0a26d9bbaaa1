"""The data-quality summary as sentences a person reads, in business words.

`icp quality` and the report's quality section say the same findings in the same words, so
both take them from here: a duplicate found "by company name" on the command line is not
"by name" in the document.
"""

from __future__ import annotations

from typing import Any

from .phrases import attribute_name, counted

__all__ = [
    "DUPLICATE_KEYS",
    "duplicate_sentences",
    "impossible_sentences",
    "quality_sentences",
    "staleness_sentence",
]

# What each duplicate check compares, in words (keys of the summary's "duplicates").
DUPLICATE_KEYS = {"domain": "domain", "name": "company name", "email": "e-mail address"}
_IMPOSSIBLE = {
    "< 0": "below zero",
    "outside 1600..this year": "before 1600 or after this year",
    "in the future": "in the future",
}


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def duplicate_sentences(duplicates: dict[str, Any], *, none_found: bool = False) -> list[str]:
    """'3 duplicate records by company name (e.g. acme, globex).' per check that found some;
    with ``none_found``, also one sentence naming the checks that found none."""
    out, clean = [], []
    for key, found in (duplicates or {}).items():
        if not isinstance(found, dict):
            continue  # no such column: not checked
        words = DUPLICATE_KEYS.get(key, attribute_name(key))
        if not found.get("extra_rows"):
            clean.append(words)
            continue
        examples = ", ".join(str(e) for e in (found.get("examples") or [])[:3])
        out.append(
            f"{counted(int(found['extra_rows']), 'duplicate record')} by {words}"
            + (f" (e.g. {examples})" if examples else "")
            + "."
        )
    if none_found and clean:
        out.append(f"No duplicate records by {_listed(clean)}.")
    return out


def impossible_sentences(impossible: dict[str, int]) -> list[str]:
    """'2 impossible values: employees below zero.'"""
    out = []
    for key, n in (impossible or {}).items():
        column, _, test = key.partition(" ")
        out.append(
            f"{counted(int(n), 'impossible value')}: "
            f"{attribute_name(column)} {_IMPOSSIBLE.get(test, test)}."
        )
    return out


def staleness_sentence(stale: dict[str, Any]) -> str:
    """How many records have gone stale, from the last-verified date; or why it is unknown."""
    if stale.get("expected_stale_today") is None:
        return (
            "No last-verified or last-modified date: the age of the records, and how many "
            "have gone stale, cannot be measured."
        )
    rate = float(stale.get("decay_per_month") or 0)
    n = round(stale["expected_stale_today"])
    return (
        f"At {rate:.0%} decay a month (from the {attribute_name(str(stale.get('column')))} date;"
        f" median age {float(stale.get('median_age_months') or 0):,.1f} months), about"
        f" {counted(n, 'record')} {'is' if n == 1 else 'are'} stale as of"
        f" {stale.get('today')} and {round(stale.get('expected_stale_in_90_days') or 0):,}"
        " will be 90 days later: re-verify tier A and B accounts first."
    )


def quality_sentences(summary: dict[str, Any]) -> list[str]:
    """Every finding of :func:`icpkit.quality.data_quality`'s summary, one sentence each."""
    out = [
        f"{counted(int(summary.get('rows') or 0), 'record')}, "
        f"{counted(int(summary.get('columns') or 0), 'column')}"
        + (
            f"; {summary['mean_fill_rate']:.1%} of cells filled."
            if summary.get("mean_fill_rate") is not None
            else "."
        )
    ]
    rates = summary.get("low_fill_rates") or {}
    if rates:
        low = [f"{attribute_name(c)} ({r:.0%} filled)" for c, r in rates.items()]
        out.append(f"Filled below 80%: {', '.join(low)}.")
    used = summary.get("profile_low_fill") or []
    if used:
        names = ", ".join(attribute_name(c) for c in used)
        out.append(f"Attributes the score depends on with fill below 80%: {names}.")
    out += duplicate_sentences(summary.get("duplicates") or {}, none_found=True)
    variants = summary.get("variant_columns") or {}
    if variants:
        listed = ", ".join(
            f"{attribute_name(c)} ({counted(n, 'row')})" for c, n in variants.items()
        )
        out.append(f"Spelled unlike the usual spelling of the same value: {listed}.")
    mixed = summary.get("mixed_type_columns") or {}
    if mixed:
        listed = ", ".join(f"{attribute_name(c)} ({counted(n, 'row')})" for c, n in mixed.items())
        out.append(f"Text among numbers: {listed}.")
    out += impossible_sentences(summary.get("impossible_values") or {})
    out.append(staleness_sentence(summary.get("staleness") or {}))
    return out
