"""Report sections from the analytics stages: market, funnel, committee, voice, quality,
backtest and drift. Each reads the plain ``{"summary": ..., "table": [...]}`` a stage kept."""

from __future__ import annotations

from typing import Any

from ..phrases import attribute_name, money
from ._charts import TIER_COLORS
from ._util import absent, kv_table, num, pct, records_table, section, table

__all__ = [
    "committee_section",
    "funnel_section",
    "market_section",
    "quality_section",
    "voice_section",
]


def _find(summary: dict[str, Any], *names: str) -> Any:
    for n in names:
        if n in summary and summary[n] is not None:
            return summary[n]
    return None


def _generic(
    sid: str,
    title: str,
    data: dict[str, Any] | None,
    why: str,
    intro: str,
    charts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    if not data:
        return absent(sid, title, why)
    summary = data.get("summary") or {}
    return section(
        sid,
        title,
        paragraphs=[intro],
        charts=charts or [],
        tables=[kv_table(summary, "summary"), records_table(data.get("table") or [], "detail")],
    )


def _market_tables(summary: dict[str, Any]) -> list[dict[str, Any] | None]:
    by_tier = summary.get("by_tier") or {}
    tiers = [
        [
            f"Tier {t}",
            num(v.get("tam")),
            num(v.get("sam")),
            num(v.get("in_crm")),
            num(v.get("white_space")),
            num(v.get("white_space_value")),
        ]
        for t, v in by_tier.items()
        if isinstance(v, dict)
    ]
    by_seg = summary.get("by_segment") or {}
    segs = [
        [name, num(v.get("tam")), num(v.get("white_space")), num(v.get("white_space_value"))]
        for name, v in by_seg.items()
        if isinstance(v, dict)
    ]
    top = summary.get("white_space_top") or []
    return [
        table(
            ["tier", "companies", "after filters", "in CRM", "white space", "white space value"],
            tiers,
            "By tier",
        )
        if tiers
        else None,
        table(["segment", "companies", "white space", "white space value"], segs, "By segment")
        if segs
        else None,
        records_table(top, "Best-fitting companies not yet in the CRM", limit=10),
    ]


LOOKALIKE_COLUMNS = [
    "company",
    "similarity",
    "fit score",
    "tier",
    "nearest best customers",
    "traits shared",
]


def lookalike_row(r: dict[str, Any]) -> list[str]:
    """One lookalike (a row of the stage's table) in the report's words."""
    name = r.get("name") or r.get("domain") or r.get("company_id")
    sim = r.get("similarity")
    return [
        str(name) if name is not None else "–",
        pct(sim) if sim is not None else "–",
        num(r.get("icp_score")),
        str(r.get("icp_tier") or "–"),
        str(r.get("nearest_seeds") or "–"),
        str(r.get("shared_traits") or "–"),
    ]


def _lookalike_part(
    data: dict[str, Any] | None, limit: int = 10
) -> tuple[str, dict[str, Any]] | None:
    """The "Companies like your best customers": a count line and the top rows, or None."""
    top = [r for r in (data or {}).get("top") or [] if isinstance(r, dict)]
    if not top:
        return None
    summary = (data or {}).get("summary") or {}
    found = summary.get("returned") or len(top)
    seeds = summary.get("seeds")
    whom = f"your {num(seeds)} best customers" if seeds else "your best customers"
    line = (
        f"Companies like your best customers: {num(found)} companies in the market that are not"
        f" in the CRM yet look most like {whom}. The top {min(limit, len(top))} are below;"
        " the full list is in lookalikes.csv next to this report."
    )
    rows = [lookalike_row(r) for r in top[:limit]]
    return line, table(
        LOOKALIKE_COLUMNS, rows, "Companies like your best customers", id="lookalikes"
    )


def market_section(
    data: dict[str, Any] | None, why: str, lookalikes: dict[str, Any] | None = None
) -> dict[str, Any]:
    out = _market_section(data, why)
    part = _lookalike_part(lookalikes)
    if part is not None:
        line, tbl = part
        out["available"] = True
        out["paragraphs"] = [*out["paragraphs"], line]
        out["tables"] = [*out["tables"], tbl]
    return out


def _market_section(data: dict[str, Any] | None, why: str) -> dict[str, Any]:
    sid, title = "market", "Market size and white space"
    summary = (data or {}).get("summary") or {}
    by_tier = summary.get("by_tier")
    if not data or not isinstance(by_tier, dict):
        return _generic(sid, title, data, why, "How many companies in the market fit the profile.")
    a = by_tier.get("A") or {}
    tam = summary.get("tam") or {}
    text = (
        f"{num(tam.get('companies'))} companies in the market, worth {num(tam.get('value'))}"
        f" a year at the expected ACV ({summary.get('value_basis') or 'given value'})."
        f" {num(a.get('tam'))} fit tier A; {num(a.get('white_space'))} of them are not in the"
        f" CRM yet (white space worth {num(a.get('white_space_value'))})."
    )
    items = [
        {
            "label": f"Tier {t}",
            "value": float(v.get("tam") or 0),
            "color": t,
            "text": f"{num(v.get('tam'))} ({num(v.get('white_space'))} not in CRM)",
        }
        for t, v in by_tier.items()
        if isinstance(v, dict)
    ]
    filters = (summary.get("sam") or {}).get("filters")
    gaps = [
        f"Caution: {w[0].upper()}{w[1:]}."
        for w in summary.get("warnings") or []
        if isinstance(w, str)
    ]
    return section(
        sid,
        title,
        paragraphs=[*gaps, text, f"SAM filter: {filters}." if filters else None],
        charts=[
            {
                "id": "market-tiers",
                "type": "bars",
                "title": "Companies in the market by tier",
                "items": items,
            }
        ],
        tables=_market_tables(summary),
    )


def funnel_section(data: dict[str, Any] | None, why: str) -> dict[str, Any]:
    sid, title = "funnel", "Funnel by tier"
    summary = (data or {}).get("summary") or {}
    rows = (data or {}).get("table") or []
    if not data or "icp_share" not in summary or not rows:
        return _generic(sid, title, data, why, "How each tier converts from lead to won.")
    lift = summary.get("tier_a_vs_d_lift")
    text = (
        f"{pct(summary.get('icp_share'))} of {num(summary.get('leads'))} leads are ICP (tiers A"
        f" and B). Stages from {summary.get('stage_evidence')}."
        + (f" Tier A leads become customers {lift:.1f}× as often as tier D." if lift else "")
    )
    cols = ["tier", "leads", "share", "lead_to_mql", "mql_to_sql", "sql_to_opportunity"]
    cols += ["win_rate", "lead_to_won", "median_cycle_days", "mean_acv"]
    body = [
        [
            r.get("tier"),
            num(r.get("leads")),
            pct(r.get("share")),
            *(pct(r.get(c)) for c in cols[3:8]),
            num(r.get("median_cycle_days")),
            "–" if r.get("mean_acv") is None else money(r["mean_acv"]),
        ]
        for r in rows
    ]
    header = ["tier", "leads", "share", "lead → MQL", "MQL → SQL", "SQL → opp.", "win rate"]
    header += ["lead → won", "median cycle (days)", "mean ACV"]
    chart = {
        "id": "funnel-tiers",
        "type": "bars",
        "title": "Lead-to-customer conversion by tier",
        "unit": "%",
        "items": [
            {"label": f"Tier {r['tier']}", "value": r.get("lead_to_won") or 0.0, "color": r["tier"]}
            for r in rows
            if r.get("tier") in TIER_COLORS
        ],
    }
    return section(
        sid,
        title,
        paragraphs=[text],
        bullets=[str(f) for f in summary.get("flags") or []],
        charts=[chart],
        tables=[table(header, body, "Funnel per tier")],
    )


def committee_section(data: dict[str, Any] | None, why: str) -> dict[str, Any]:
    sid, title = "committee", "The buying committee"
    summary = (data or {}).get("summary") or {}
    roles = summary.get("deal_roles_by_lift")
    if not data or not isinstance(roles, list):
        return _generic(sid, title, data, why, "Which roles take part in won deals.")
    size = summary.get("committee_size") or {}
    won, lost = size.get("won") or {}, size.get("lost") or {}
    paragraphs = [
        f"Won deals had {num(won.get('mean_size'), 1)} people on the committee on average,"
        f" lost deals {num(lost.get('mean_size'), 1)}. Typical people in a won committee: "
        + ", ".join(summary.get("typical_personas") or ["–"])
        + "."
    ]
    gaps = summary.get("gaps") or {}
    bullets = [
        f"{n['deal_role']}: in {pct(n.get('won_share'))} of won deals ({n.get('lift', 0):.1f}×"
        f" lost ones); usually {', '.join(n.get('personas') or [])}."
        for n in gaps.get("needs") or []
        if isinstance(n, dict) and n.get("deal_role")
    ]
    if gaps.get("accounts_with_gaps"):
        paragraphs.append(
            f"{num(gaps['accounts_with_gaps'])} open ICP accounts miss part of that committee:"
            f" about {num(gaps.get('contacts_to_add'))} contacts to add to reach"
            f" {num(gaps.get('target_committee_size'))} people each."
        )
    chart = {
        "id": "committee-roles",
        "type": "bars",
        "title": "How much more often each role is in won deals than in lost ones",
        "unit": "x",
        "reference": 1.0,
        "reference_label": "same",
        "items": [
            {
                "label": r.get("role"),
                "value": r.get("lift") or 0.0,
                "color": "A" if (r.get("lift") or 0) >= 1.2 else "C",
                "text": f"{r.get('lift', 0):.1f}× ({pct(r.get('won_share'))} of won deals)",
            }
            for r in roles
            if isinstance(r, dict)
        ],
    }
    missing = gaps.get("most_missing") or {}
    tables = [
        table(
            ["deal role", "open ICP accounts missing it"], [[k, num(v)] for k, v in missing.items()]
        )
        if missing
        else None
    ]
    return section(
        sid, title, paragraphs=paragraphs, bullets=bullets, charts=[chart], tables=tables
    )


def _quality_bullets(summary: dict[str, Any]) -> list[str]:
    from ..qualitywords import duplicate_sentences, impossible_sentences

    out = []
    low = summary.get("profile_low_fill") or []
    if low:
        names = ", ".join(attribute_name(c) for c in low)
        out.append(f"Attributes the score depends on with fill below 80%: {names}.")
    out += duplicate_sentences(summary.get("duplicates") or {})
    return out + impossible_sentences(summary.get("impossible_values") or {})


def quality_section(data: dict[str, Any] | None, why: str) -> dict[str, Any]:
    sid, title = "quality", "Data quality and decay"
    summary = (data or {}).get("summary") or {}
    if not data or "profile_fill" not in summary:
        return _generic(sid, title, data, why, "Fill rates, duplicates and staleness.")
    stale = summary.get("staleness") or {}
    text = (
        f"{num(summary.get('rows'))} records, {pct(summary.get('mean_fill_rate'))} of cells filled."
    )
    if stale.get("expected_stale_today") is not None:
        from ..qualitywords import staleness_sentence

        text += " " + staleness_sentence(stale)
    fill = [f for f in summary.get("profile_fill") or [] if isinstance(f, dict)]
    chart = {
        "id": "quality-fill",
        "type": "bars",
        "title": "Fill rate of the attributes the score reads",
        "unit": "%",
        "reference": 0.8,
        "reference_label": "80%",
        "items": [
            {
                "label": attribute_name(str(f.get("column"))),
                "value": f.get("fill_rate") or 0.0,
                "color": "D" if f.get("low_fill") else "B",
            }
            for f in fill
        ],
    }
    return section(
        sid,
        title,
        paragraphs=[text],
        bullets=_quality_bullets(summary),
        charts=[chart] if fill else [],
    )


def _quotes(themes: list[dict[str, Any]], limit: int = 8) -> list[dict[str, Any]]:
    """One verbatim quote per theme, themes most present among ICP accounts first."""
    out = []
    for t in _distinctive(themes):
        for q in t.get("quotes") or []:
            text = q.get("text") if isinstance(q, dict) else q
            if text:
                who = (q.get("account") or q.get("account_id")) if isinstance(q, dict) else None
                source = q.get("source") if isinstance(q, dict) else None
                out.append(
                    {
                        "text": text,
                        "who": " · ".join(str(x) for x in (who, source) if x),
                        "theme": t.get("label"),
                    }
                )
                break
    return out[:limit]


def _distinctive(themes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Themes the ICP raises more than the others do, then by how many ICP accounts."""
    useful = [t for t in themes if t.get("category") != "other"]

    def key(t: dict[str, Any]) -> tuple[float, int]:
        gap = float(t.get("icp_share") or 0) - float(t.get("other_share") or 0)
        return (round(gap, 3), int(t.get("icp_accounts") or 0))

    return sorted(useful, key=key, reverse=True)


# A topic's colour says whether it is good or bad news: praise and purchase reasons
# green (tier A's colour), pain points and churn risk red (tier D's), feature requests
# amber (tier C's), how they buy and found us neutral blue.
VOICE_TONE = {
    "praise": "A",
    "purchase_reason": "A",
    "pain_point": "D",
    "churn_risk": "D",
    "feature_request": "C",
}
VOICE_NEUTRAL = "#2f5f98"


def _voice_chart(cats: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "voice-categories",
        "type": "bars",
        "title": "Share of ICP accounts raising each topic"
        " (green: good news, red: problems, amber: requests, blue: how they buy)",
        "unit": "%",
        "items": [
            {
                "label": c.get("label"),
                "value": c.get("icp_share") or 0.0,
                "color": VOICE_TONE.get(str(c.get("category")), VOICE_NEUTRAL),
                "text": f"{pct(c.get('icp_share'))} (others {pct(c.get('other_share'))})",
            }
            for c in cats
            if c.get("highlights") and c.get("category") != "other"
        ],
    }


def voice_section(data: dict[str, Any] | None, why: str) -> dict[str, Any]:
    sid, title = "voice", "Voice of the customer"
    summary = (data or {}).get("summary") or {}
    cats = summary.get("categories")
    if not data or not isinstance(cats, list):
        return _generic(sid, title, data, why, "What the best customers say.")
    themes = data.get("table") or []
    fb, icp = summary.get("feedback") or {}, summary.get("icp") or {}
    text = (
        f"{num(fb.get('items'))} feedback items ({num(fb.get('highlights'))} highlights), read"
        f" with the {summary.get('method')} method; {num(icp.get('accounts_with_feedback'))}"
        f" ICP accounts (tiers {', '.join(icp.get('tiers') or [])}) spoke."
    )
    ranked = _distinctive(themes)[:15]
    rows = [
        [
            str(t.get("category", "")).replace("_", " "),
            t.get("label"),
            num(t.get("size")),
            num(t.get("icp_accounts")),
            pct(t.get("icp_share")),
            pct(t.get("other_share")),
        ]
        for t in ranked
    ]
    columns = ["topic", "theme", "highlights", "ICP accounts", "ICP share", "others' share"]
    return section(
        sid,
        title,
        paragraphs=[text],
        charts=[_voice_chart(cats)],
        tables=[table(columns, rows, "Themes the ICP raises more than others, first")],
        quotes=_quotes(themes),
    )
