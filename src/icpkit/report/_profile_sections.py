"""Report sections read from the profile: silhouette, what they share, points, segments, anti-ICP."""

from __future__ import annotations

from typing import Any

from ..phrases import attribute_name, flag_columns
from ..profile import Profile
from ._util import absent, bin_label, condition_text, num, pct, section, table

__all__ = [
    "anti_icp_section",
    "attributes_section",
    "points_section",
    "segments_section",
    "silhouette_text",
]


def _ranked(profile: Profile) -> list[Any]:
    """Attributes by importance: information value when known, else the spread of points."""

    def weight(a: Any) -> float:
        if a.information_value is not None:
            return float(a.information_value)
        pts = [b.points for b in a.bins]
        return float(max(pts) - min(pts))

    return sorted(profile.attributes, key=weight, reverse=True)


def silhouette_text(profile: Profile | None) -> str | None:
    """The profile's own silhouette, else one built from its best bins."""
    if profile is None:
        return None
    if profile.silhouette:
        return profile.silhouette
    parts = []
    for attr in _ranked(profile)[:4]:
        best = max(attr.bins, key=lambda b: b.points)
        if best.points > 0:
            parts.append(f"{attr.display} {bin_label(best)}")
    if profile.segments:
        parts.append(f"especially {profile.segments[0].description or profile.segments[0].name}")
    if not parts:
        return None
    return "Our ideal customer has " + "; ".join(parts) + "."


def _attribute_rows(
    attr: Any, base_rate: float | None
) -> tuple[list[list[Any]], list[dict[str, Any]]]:
    """Table rows and chart bars of one attribute: rate, lift and points per group."""
    rows, items = [], []
    for b in attr.bins:
        rate = b.success_rate
        lift = (rate / base_rate) if (rate is not None and base_rate) else None
        shown_lift = "–" if lift is None else f"{lift:.1f}×"
        rows.append(
            [attr.display, bin_label(b), num(b.count), pct(rate), shown_lift, f"{b.points:+d}"]
        )
        if rate is not None:
            color = "A" if (lift or 0) >= 1.2 else ("D" if (lift or 1) < 0.8 else "C")
            items.append({"label": bin_label(b), "value": rate, "color": color})
    return rows, items


def _left_out(profile: Profile) -> str | None:
    flagged = [
        f
        for f in (profile.metrics or {}).get("flagged_columns") or []
        if isinstance(f, dict) and f.get("excluded", True)
    ]
    # a money column's currency, split off by intake, is not a column of the user's file
    names = [
        attribute_name(str(f.get("column")))
        for f in flagged
        if not str(f.get("reason", "")).startswith("derived from ")
        or not str(f.get("column")).endswith("_currency")
    ]
    if not names:
        return None
    more = " …" if len(names) > 12 else ""
    return (
        f"Not used by the model ({len(names)} columns: ids, free text, derived copies or"
        f" leaks; reasons in profile.yaml): {', '.join(names[:12])}{more}."
    )


def attributes_section(
    profile: Profile | None, base_rate: float | None, why: str
) -> dict[str, Any]:
    sid, title = "attributes", "What the best customers share"
    if profile is None or not profile.attributes:
        return absent(sid, title, why)
    rows: list[list[Any]] = []
    charts = []
    for rank, attr in enumerate(_ranked(profile)):
        attr_rows, items = _attribute_rows(attr, base_rate)
        rows.extend(attr_rows)
        if rank < 4 and items:  # the four strongest attributes get a chart
            charts.append(
                {
                    "id": f"attr-{attr.name}",
                    "type": "bars",
                    "title": f"Success rate by {attr.display}",
                    "unit": "%",
                    "items": items[:10],
                    "reference": base_rate,
                    "reference_label": f"average {pct(base_rate)}" if base_rate else None,
                }
            )
    intro = (
        "For each attribute, the success rate of each group and its lift over the average"
        f" ({pct(base_rate)}). Lift above 1.2× (green) marks what ideal customers share."
        if base_rate
        else "For each attribute, its groups and their points."
    )
    return section(
        sid,
        title,
        paragraphs=[intro, _left_out(profile)],
        charts=charts,
        tables=[table(["attribute", "group", "accounts", "success rate", "lift", "points"], rows)],
    )


def _top_table(top: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if not top:
        return None
    reasons = any(r.get("icp_reasons") for r in top)
    cols = ["account", "score", "tier", "segment"] + (["why"] if reasons else [])
    rows = [
        [
            r.get("name") or r.get("account_id"),
            r.get("icp_score"),
            r.get("icp_tier"),
            r.get("icp_segment") or "–",
            *([r.get("icp_reasons") or "–"] if reasons else []),
        ]
        for r in top
    ]
    return table(cols, rows, "The best-scored accounts, and why")


def points_section(
    profile: Profile | None, why: str, top: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    sid, title = "points", "The points table"
    if profile is None:
        return absent(sid, title, why)
    rows = []
    for attr in profile.attributes:
        for b in attr.bins:
            rows.append([attr.display, bin_label(b), f"{b.points:+d}", pct(b.success_rate)])
        if attr.missing_points or attr.missing_count:
            rows.append(
                [
                    attr.display,
                    "missing",
                    f"{attr.missing_points:+d}",
                    pct(attr.missing_success_rate),
                ]
            )
    for seg in profile.segments:
        if seg.points:
            rows.append([f"segment: {seg.name}", "all conditions hold", f"{seg.points:+d}", "–"])
    t = profile.tiers
    text = (
        f"Score = {profile.intercept} + the points of each row below, clipped to 0–100. "
        f"Tiers: A ≥ {t.A}, B ≥ {t.B}, C ≥ {t.C}, else D. Profile version {profile.version}; "
        "edit report/profile.yaml and re-run to change it."
    )
    return section(
        sid,
        title,
        paragraphs=[text, _missing_rule(), _contradiction_text(profile)],
        tables=[
            table(["attribute", "value", "points", "success rate"], rows),
            _traits_table(profile),
            _top_table(top),
        ],
    )


def _missing_rule() -> str:
    return (
        "Within each attribute, a group that succeeds more often never gets fewer points; a"
        " missing value never earns more than the best observed group unless its own success"
        " rate is clearly higher (beyond the 95% interval), so blanking a field cannot raise a"
        " score."
    )


def _contradiction_text(profile: Profile) -> str:
    from ..contradictions import contradictions, describe_contradiction

    found = contradictions(profile)
    if not found:
        return "Contradictions: none — every group's points follow its success rate."
    shown = "; ".join(describe_contradiction(c) for c in found[:5])
    more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
    return f"Contradictions ({len(found)}): {shown}{more}. Edit the points or re-run discover."


def _traits_table(profile: Profile) -> dict[str, Any] | None:
    from ..evidence import trait_effects

    rows = [
        [r["attribute"], f"{r['own_points']:+d}", f"{r['segment_points']:+d}", f"{r['total']:+d}"]
        for r in trait_effects(profile)
    ]
    if not rows:
        return None
    return table(
        ["trait", "own points (best − worst)", "segment bonuses", "total effect"],
        rows,
        "Total effect of each trait: its own points plus the segments it is part of",
    )


def _rule_rows(
    rules: list[Any], market: dict[str, Any] | None, flags: frozenset[str] = frozenset()
) -> list[list[Any]]:
    rows = []
    for r in rules:
        size_market = (market or {}).get(r.name)
        if isinstance(size_market, dict):
            size_market = size_market.get("tam")
        held = getattr(r, "held_out_size", None)
        rows.append(
            [
                r.name,
                " and ".join(condition_text(c, flags) for c in r.conditions),
                num(r.size),
                pct(r.success_rate),
                "–" if r.lift is None else f"{r.lift:.1f}×",
                "–"
                if held is None
                else f"{num(held)} rows, {pct(r.held_out_success_rate)}"
                + ("" if r.held_out_lift is None else f", {r.held_out_lift:.1f}×"),
                "–" if size_market is None else num(size_market),
            ]
        )
    return rows


# What a segment does to the score, short for the table, and the legend said once above it.
_EFFECT = {
    "bonus": "{p:+d} bonus",
    "correction": "{p:+d} correction",
    "top-up": "{p:+d} on one trait",
    "described": "none: named only",
}
_LEGEND = {
    "bonus": "A bonus is added on top of the points table.",
    "correction": "A correction takes points off: the points table alone over-scores these"
    " accounts.",
    "top-up": "A one-trait row adds points to that trait's group in the points table; it is"
    " not a separate ICP.",
    "described": "Named only: the segment adds no points; it is named so sales can recognise"
    " it, and its accounts score through their traits' points.",
}


def segments_section(
    profile: Profile | None, market_by_segment: dict[str, Any] | None, why: str
) -> dict[str, Any]:
    from ..explain import explain_profile, icp_segments, left_out_line, segment_role

    sid, title = "segments", "The segments: several ICPs"
    if profile is None:
        return absent(sid, title, why)
    if not profile.segments:
        return absent(sid, title, "the profile has no segments (no distinct group stood out)")
    own = icp_segments(profile)
    # One-trait segments with a bonus are listed after the ICPs, unnumbered: they top up a
    # points-table group. Those without a bonus only repeat the table and are left out.
    top_ups = [s for s in profile.segments if segment_role(s, profile) == "top-up"]
    names = [f"ICP {k}: {s.name}" for k, s in enumerate(own, 1)]
    names += [f"one trait: {s.name}" for s in top_ups]
    rules = [*own, *top_ups]
    charts = []
    lifts = [
        {"label": name, "value": s.lift, "color": "A"}
        for name, s in zip(names, own, strict=False)
        if s.lift
    ]
    if lifts:
        charts.append(
            {
                "id": "segments-lift",
                "type": "bars",
                "title": "Lift of each segment (in-sample)",
                "unit": "x",
                "items": lifts,
                "reference": 1.0,
                "reference_label": "average",
            }
        )
    descriptions = [f"**{s.name}**: {s.description}" for s in own if s.description]
    roles = [segment_role(s, profile) for s in rules]
    rows = [
        [name, row[1], _EFFECT[role].format(p=s.points), *row[2:]]
        for name, s, role, row in zip(
            names,
            rules,
            roles,
            _rule_rows(rules, market_by_segment, flag_columns(profile)),
            strict=True,
        )
    ]
    legend = " ".join(_LEGEND[r] for r in _EFFECT if r in roles)
    return section(
        sid,
        title,
        paragraphs=[
            "Distinct groups of ideal customers, each a rule you can filter on in the CRM,"
            " ranked by the extra successes they bring (size × how much more often they"
            " succeed). Accounts, success rate and lift are in-sample (the rows a group was"
            ' found on, which flatter it); "held out" gives each group\'s figures on rows it'
            " was not found on.",
            legend,
            left_out_line(explain_profile(profile)["segments"]),
        ],
        bullets=descriptions,
        charts=charts,
        tables=[
            table(
                [
                    "segment",
                    "rule",
                    "score effect",
                    "accounts (in-sample)",
                    "success rate (in-sample)",
                    "lift (in-sample)",
                    "held out",
                    "in the market",
                ],
                rows,
            )
        ],
    )


def anti_icp_section(profile: Profile | None, why: str) -> dict[str, Any]:
    sid, title = "anti-icp", "The anti-ICP: who not to chase"
    if profile is None:
        return absent(sid, title, why)
    if not profile.disqualifiers:
        return absent(sid, title, "no group with a success rate far below average was found")
    rows = [
        r[:5] for r in _rule_rows(profile.disqualifiers, None, flag_columns(profile))
    ]  # no held-out column
    caps = ", ".join(f"{d.name} ≤ {d.cap}" for d in profile.disqualifiers)
    return section(
        sid,
        title,
        paragraphs=[
            f"Accounts matching these rules are capped ({caps}), whatever else they score."
        ],
        tables=[table(["name", "rule", "accounts", "success rate", "lift"], rows)],
    )
