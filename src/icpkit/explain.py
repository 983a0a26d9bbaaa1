"""A profile in words: conditions, segments, the points table and the silhouette paragraph."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from .binning import fmt_number
from .intake.normalizers.lists import canonical_item
from .profile import Condition, Disqualifier, Profile, Segment

__all__ = [
    "bin_words",
    "describe_condition",
    "describe_rule",
    "explain_profile",
    "explain_text",
    "flag_words",
    "icp_segments",
    "left_out_line",
    "pretty_name",
    "segment_role",
    "segment_why",
    "silhouette",
    "unit_noun",
    "unit_of_kind",
    "with_unit",
]


def pretty_name(name: str) -> str:
    """'tech_salesforce' -> 'Salesforce', 'annual_revenue' -> 'annual revenue'."""
    name = name.removesuffix("__c")  # a Salesforce custom field: 'Priority__c' -> 'Priority'
    if name.startswith("tech_"):
        words = name[5:].replace("_", " ")
        # The technology's own spelling ('AWS', 'HubSpot') when it is a known one.
        return canonical_item(words) or words.title()
    if " " not in name and "_" not in name:  # a CamelCase header: 'OnlineSecurity'
        name = _CAMEL.sub(" ", name)
    return name.replace("_", " ")


# A lower-case letter or digit followed by a capital: a word boundary in CamelCase ('NRR' stays).
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _values(values: list[str], limit: int = 3) -> str:
    shown = values[:limit]
    text = ", ".join(shown[:-1]) + (" or " if len(shown) > 1 else "") + shown[-1]
    return text + (f" (+{len(values) - limit} more)" if len(values) > limit else "")


def describe_condition(cond: Condition, flags: Collection[str] = ()) -> str:
    """One condition as a short phrase: 'employees 200 to 5,000', 'uses Salesforce';
    ``flags`` names the 0/1 columns, whose conditions read 'Senior Citizen: yes'."""
    from .phrases import attribute_name, flag_answer, is_money, money

    # tech flags read 'uses X' below; other columns by the name the tables use
    tech = cond.attribute.startswith("tech_")
    label = pretty_name(cond.attribute) if tech else attribute_name(cond.attribute)
    if (yes := flag_answer(cond, flags)) is not None:
        if tech:
            return f"uses {label}" if yes else f"does not use {label}"
        return f"{label}: {'yes' if yes else 'no'}"
    if cond.is_numeric:
        year = "year" in cond.attribute.lower()

        def number(x: float) -> str:  # money as segment names show it: $3.8M, not 3,800,000
            return money(x) if is_money(cond.attribute) else fmt_number(x, year=year)

        ge = None if cond.ge is None else number(cond.ge)
        lt = None if cond.lt is None else number(cond.lt)
        if ge is not None and lt is not None:
            return f"{label} {ge} to {lt}"
        if ge is not None:
            return f"{label} {ge} or more"
        return f"{label} under {lt}"
    values = cond.in_ if cond.in_ is not None else cond.not_in or []
    negate = cond.not_in is not None
    return f"{label} {'is not' if negate else 'is'} {_values(values)}"


def describe_rule(conditions: list[Condition], flags: Collection[str] = ()) -> str:
    return " and ".join(describe_condition(c, flags) for c in conditions)


_FIRMOGRAPHIC = {
    "industry",
    "employees",
    "annual_revenue",
    "country",
    "region",
    "founded_year",
    "funding_total",
    "cloud_spend",
    "state",
    "city",
    "ownership",
    "last_funding_type",
}


def _headline(profile: Profile) -> tuple[list[Condition], dict[str, Any] | None]:
    """The headline group's conditions and, when measured, its figures."""
    from .evidence import headline_conditions

    head = (profile.metrics or {}).get("silhouette")
    if isinstance(head, dict) and head.get("conditions"):
        try:
            return [Condition.model_validate(c) for c in head["conditions"]], head
        except ValueError:
            pass
    conds, segment = headline_conditions(profile)
    if segment is not None:  # a hand-written or older profile: the segment's own figures
        s = next(s for s in profile.segments if s.name == segment)
        return conds, {"size": s.size, "success_rate": s.success_rate, "lift": s.lift}
    return conds, None


# What one row of the data is, by intake's table kind: the noun the prose counts in.
_UNITS = {"leads": "leads", "contacts": "contacts", "deals": "opportunities"}
_ONE = {"leads": "lead", "contacts": "contact", "opportunities": "opportunity"}


def unit_of_kind(table_kind: str | None) -> str:
    """What one row of a table of this kind is called, plural: 'opportunities', 'accounts'."""
    return _UNITS.get(str(table_kind), "accounts")


def unit_noun(profile: Profile) -> str:
    """'accounts', or 'leads' / 'contacts' / 'opportunities' for a profile learned from those."""
    return unit_of_kind((profile.fingerprint or {}).get("table_kind"))


def with_unit(profile: Profile, table_kind: str) -> Profile:
    """The profile with the kind of table it was learned from recorded in its fingerprint,
    and its headline re-worded to count in that unit ('205 leads', not '205 accounts')."""
    fingerprint = {**(profile.fingerprint or {}), "table_kind": table_kind}
    profile = profile.model_copy(update={"fingerprint": fingerprint})
    if profile.silhouette is None or unit_noun(profile) == "accounts":
        return profile
    return profile.model_copy(update={"silhouette": silhouette(profile)})


def _figures(head: dict[str, Any] | None, unit: str = "accounts") -> str:
    if not head or not head.get("lift") or not head.get("size"):
        return ""
    rate = head.get("success_rate")
    where = head.get("measured_on")
    # 'such customers (32 accounts' / 'such leads (205' : the noun follows what a row is
    text = (
        f"; such customers ({head['size']:,} accounts"
        if unit == "accounts"
        else f"; such {unit} ({head['size']:,}"
    )
    if rate is not None:
        text += f", {rate:.0%} successful"
    text += f") succeed {head['lift']:.1f}x as often as the average"
    return text + (f" (measured on {where})" if where else "")


def silhouette(profile: Profile) -> str:
    """'Our ideal customer is a Software company with 200–5,000 employees, on Salesforce; ...'.

    It describes one real group (see :mod:`icpkit.evidence`) in business words and quotes
    that group's own size, success rate and lift.
    """
    from .phrases import flag_columns, phrase

    flags = flag_columns(profile)
    conds, head = _headline(profile)
    if not conds:
        return "No attribute separates successful customers from the rest clearly enough to describe them."
    noun, parts, wheres = "company", [], []
    for c in conds:
        low = c.attribute.lower()
        if low == "industry" and c.in_:
            noun = f"{_values(c.in_)} company"
        elif low == "employees" and c.is_numeric:
            parts.append(f"with {phrase(c, flags=flags)}")
        elif low.startswith("tech_") or (low in {"country", "region"} and c.in_):
            parts.append(phrase(c, flags=flags))
        else:
            wheres.append(phrase(c, flags=flags))
    if wheres:  # "with A, B and C" reads better than "with A, with B, with C"
        tail = wheres[0] if len(wheres) == 1 else ", ".join(wheres[:-1]) + " and " + wheres[-1]
        parts.append(f"with {tail}")
    if noun == "company" and not any(c.attribute.lower() in _FIRMOGRAPHIC for c in conds):
        noun = "customer"  # no company attributes at all (consumer or lead data)
        one = _ONE.get(unit_noun(profile), "customer")
        text = f"Our ideal {one} is one " + ", ".join(parts)
    else:
        article = "an" if noun[:1].lower() in "aeiou" else "a"
        text = f"Our ideal customer is {article} {noun} " + ", ".join(parts)
    return text.strip() + _figures(head, unit_noun(profile)) + "."


def segment_role(seg: Segment, profile: Profile) -> str:
    """What a segment does to the score, so a listing can show what carries weight.

    'bonus' (several traits, points added), 'correction' (points taken off), 'top-up' (one
    trait with a bonus: it adds to a points-table group, it is not a separate ICP), 'described'
    (no points: named for the reader, its accounts score through their traits' points) or
    'repeat' (one trait of the points table, no points: it only repeats that table's row).
    """
    one = len({c.attribute for c in seg.conditions}) == 1
    if seg.points < 0:
        return "correction"
    if seg.points > 0:
        return "top-up" if one else "bonus"
    scored = {a.name for a in profile.attributes}
    return "repeat" if one and seg.conditions[0].attribute in scored else "described"


def icp_segments(profile: Profile) -> list[Segment]:
    """The segments that are ICPs of their own (not one-trait top-ups or repeats), in order."""
    return [
        s
        for s in profile.segments
        if segment_role(s, profile) in {"bonus", "correction", "described"}
    ]


def segment_why(role: str, points: int, unit: str = "accounts") -> str:
    """Why a segment of this role is listed, in words."""
    pts = f"{points:+d} point{'s' if abs(points) != 1 else ''}"  # '+1 point', '+10 points'
    return {
        "bonus": f"adds {pts} on top of the points table",
        "correction": f"{pts}: the points table alone over-scores these {unit}",
        "top-up": f"one trait: adds {pts} to its points-table group; not a separate ICP",
        "described": f"adds no points: named so sales can recognise it; its {unit} score "
        "through their traits' points",
        "repeat": "one trait with no bonus: repeats a row of the points table",
    }[role]


def left_out_line(segments: list[dict[str, Any]], numbered: bool = False) -> str | None:
    """One line naming the segments a listing leaves out as repeats of the points table;
    ``numbered``: each with its place in the order that decides a record's segment ('#3')."""
    from .phrases import counted

    names = [
        f"#{s['order']} {s['name']}" if numbered else s["name"]
        for s in segments
        if s["role"] == "repeat"
    ]
    if not names:
        return None
    what = counted(len(names), "one-trait segment")
    verb = "repeats" if len(names) == 1 else "repeat"
    return f"Left out: {what} with no bonus {verb} a row of the points table: {'; '.join(names)}."


def _rule_dict(rule: Segment | Disqualifier, profile: Profile) -> dict[str, Any]:
    from .phrases import flag_columns

    out: dict[str, Any] = {
        "name": rule.name,
        "rule": describe_rule(rule.conditions, flag_columns(profile)),
        "size": rule.size,
        "success_rate": rule.success_rate,
        "lift": rule.lift,
    }
    if isinstance(rule, Segment):
        out["points"] = rule.points
        out["role"] = segment_role(rule, profile)
        out["why"] = segment_why(out["role"], rule.points, unit_noun(profile))
        if rule.held_out_size is not None:
            out["held_out"] = {
                "size": rule.held_out_size,
                "success_rate": rule.held_out_success_rate,
                "lift": rule.held_out_lift,
            }
    else:
        out["cap"] = rule.cap
    return out


def explain_profile(profile: Profile) -> dict[str, Any]:
    """The points table, segments and disqualifiers in words, as a plain dict."""
    rows = []
    for a in profile.attributes:
        for b in a.bins:
            rows.append(
                {
                    "attribute": a.display,
                    "bin": bin_words(b),
                    "points": b.points,
                    "count": b.count,
                    "success_rate": b.success_rate,
                }
            )
        for key, words in (("missing", "missing"), ("other", "other values")):
            pts, count = getattr(a, f"{key}_points"), getattr(a, f"{key}_count")
            if pts or count:
                rows.append(
                    {
                        "attribute": a.display,
                        "bin": words,
                        "points": pts,
                        "count": count,
                        "success_rate": getattr(a, f"{key}_success_rate"),
                    }
                )
    from .contradictions import contradictions
    from .evidence import trait_effects

    return {
        "name": profile.name,
        "silhouette": profile.silhouette or silhouette(profile),
        "unit": unit_noun(profile),
        "intercept": profile.intercept,
        "tiers": profile.tiers.model_dump(),
        "points": rows,
        "traits": trait_effects(profile),
        # 'order': the place that decides a record's segment, the first one it matches
        "segments": [
            {**_rule_dict(s, profile), "order": i} for i, s in enumerate(profile.segments, 1)
        ],
        "disqualifiers": [_rule_dict(d, profile) for d in profile.disqualifiers],
        "contradictions": contradictions(profile),
    }


def flag_words(values: list[str]) -> list[str]:
    """A yes/no flag's values as words: ['true'] -> ['yes'] (other values unchanged)."""
    return [{"true": "yes", "false": "no"}.get(v.lower(), v) for v in values]


def bin_words(b: Any) -> str:
    """A bin as the points table names it: its label, else its values or range in words."""
    return flag_words([b.label])[0] if getattr(b, "label", None) else _bin_words(b)


def _bin_words(b: Any) -> str:
    if hasattr(b, "values"):
        return _values(flag_words(list(b.values)))
    lo, hi = b.lower, b.upper
    if lo is None and hi is None:
        return "any"
    if lo is None:
        return f"under {fmt_number(hi)}"
    if hi is None:
        return f"{fmt_number(lo)} or more"
    return f"{fmt_number(lo)} to {fmt_number(hi)}"


def explain_text(profile: Profile) -> str:
    """Plain-text rendering of :func:`explain_profile` (for logs and the Markdown report)."""
    d = explain_profile(profile)
    lines = [d["silhouette"], "", f"Every record starts at {d['intercept']} points."]
    for r in d["points"]:
        lines.append(f"  {r['attribute']}: {r['bin']}: {r['points']:+d}")
    lines.append("Total effect per trait (own points spread + segment bonuses):")
    for t in d["traits"]:
        lines.append(
            f"  {t['attribute']}: {t['total']:+d} ({t['own_points']:+d} own, "
            f"{t['segment_points']:+d} from segments)"
        )
    for s in d["segments"]:
        if s["role"] != "repeat":
            lines.append(f"Segment {s['name']}: {s['rule']} ({s['why']})")
    if line := left_out_line(d["segments"]):
        lines.append(line)
    for q in d["disqualifiers"]:
        lines.append(f"Anti-ICP {q['name']}: {q['rule']} (score capped at {q['cap']})")
    return "\n".join(lines)
