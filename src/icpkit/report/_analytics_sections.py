"""Report sections from the analytics stages: market, funnel, committee, voice, quality,
backtest and drift. Each reads the plain ``{"summary": ..., "table": [...]}`` a stage kept."""

from __future__ import annotations

from typing import Any

from ._charts import TIER_COLORS
from ._util import absent, kv_table, num, pct, records_table, section, table

__all__ = [
    "backtest_section",
    "committee_section",
    "drift_section",
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


def _tier_items(mapping: Any, unit_value: bool = False) -> list[dict[str, Any]]:
    if isinstance(mapping, dict):
        pairs = [(t, mapping.get(t)) for t in "ABCD" if t in mapping]
    elif isinstance(mapping, list):
        pairs = [
            (str(r.get("tier")), _find(r, "count", "companies", "n", "rows"))
            for r in mapping
            if isinstance(r, dict) and "tier" in r
        ]
    else:
        pairs = []
    return [
        {"label": f"Tier {t}", "value": float(v or 0), "color": t}
        for t, v in pairs
        if t in TIER_COLORS and isinstance(v, int | float)
    ]


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


def market_section(data: dict[str, Any] | None, why: str) -> dict[str, Any]:
    summary = (data or {}).get("summary") or {}
    charts = []
    items = _tier_items(_find(summary, "by_tier", "tiers", "tier_counts"))
    if items:
        charts.append(
            {
                "id": "market-tiers",
                "type": "bars",
                "title": "Companies in the market by tier",
                "items": items,
            }
        )
    return _generic(
        "market",
        "Market size and white space",
        data,
        why,
        "How many companies in the market fit the profile, what they are worth, and the white"
        " space: fitting companies not yet in the CRM.",
        charts,
    )


def funnel_section(data: dict[str, Any] | None, why: str) -> dict[str, Any]:
    return _generic(
        "funnel",
        "Funnel by tier",
        data,
        why,
        "How much of the pipeline is ICP, and how each tier converts from lead to won.",
    )


def committee_section(data: dict[str, Any] | None, why: str) -> dict[str, Any]:
    return _generic(
        "committee",
        "The buying committee",
        data,
        why,
        "Which roles take part in won deals compared with lost ones, and the usual committee size.",
    )


def quality_section(data: dict[str, Any] | None, why: str) -> dict[str, Any]:
    return _generic(
        "quality",
        "Data quality and decay",
        data,
        why,
        "Fill rates of the attributes the profile reads, duplicates, and how many records are"
        " expected to be stale today and in 90 days.",
    )


def _quotes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        for key in ("quotes", "examples"):
            for q in r.get(key) or []:
                if isinstance(q, dict) and q.get("text"):
                    out.append(
                        {
                            "text": q["text"],
                            "who": q.get("account") or q.get("account_id") or q.get("source"),
                            "theme": r.get("label") or r.get("theme"),
                        }
                    )
                elif isinstance(q, str):
                    out.append({"text": q, "who": None, "theme": r.get("label") or r.get("theme")})
    return out[:8]


def voice_section(data: dict[str, Any] | None, why: str) -> dict[str, Any]:
    out = _generic(
        "voice",
        "Voice of the customer",
        data,
        why,
        "What the best customers say: their pains, how they buy, how they found us, why they chose us.",
    )
    if data:
        out["quotes"] = _quotes(data.get("table") or [])
    return out


def _metric(ev: dict[str, Any], *names: str) -> Any:
    return _find(ev, *names)


def backtest_section(ev: dict[str, Any] | None, why: str) -> dict[str, Any]:
    sid, title = "backtest", "Backtest: does the score find winners?"
    if not ev:
        return absent(sid, title, why)
    charts: list[dict[str, Any]] = []
    tables: list[dict[str, Any] | None] = []
    tiers = _metric(ev, "tiers", "tier_table", "by_tier")
    if isinstance(tiers, list) and tiers:
        rows = []
        for r in tiers:
            rows.append(
                [
                    r.get("tier"),
                    pct(_find(r, "share_rows", "row_share", "share_of_rows")),
                    pct(_find(r, "share_successes", "success_share", "share_of_successes")),
                    pct(_find(r, "success_rate", "rate")),
                ]
            )
        tables.append(
            table(
                ["tier", "share of accounts", "share of successes", "success rate"],
                rows,
                "Tier table",
            )
        )
        charts.append(
            {
                "id": "backtest-tiers",
                "type": "bars",
                "title": "Success rate by tier",
                "unit": "%",
                "items": [
                    {
                        "label": f"Tier {r.get('tier')}",
                        "value": _find(r, "success_rate", "rate") or 0,
                        "color": r.get("tier"),
                    }
                    for r in tiers
                ],
            }
        )
    deciles = _metric(ev, "deciles", "lift", "lift_by_decile")
    if isinstance(deciles, list) and deciles:
        items = [
            {
                "label": str(d.get("decile", k + 1)),
                "value": _find(d, "lift") or 0,
                "color": "A" if (_find(d, "lift") or 0) >= 1 else "C",
            }
            for k, d in enumerate(deciles)
            if isinstance(d, dict)
        ]
        charts.append(
            {
                "id": "backtest-lift",
                "type": "columns",
                "title": "Lift by score decile (1 = top 10%)",
                "unit": "x",
                "items": items,
                "reference": 1.0,
                "reference_label": "average",
                "x_label": "score decile",
            }
        )
    calib = _metric(ev, "calibration")
    if isinstance(calib, list) and calib:
        items = [
            {
                "label": str(c.get("band", "")),
                "x": _find(c, "expected", "predicted", "mean_predicted") or 0,
                "y": _find(c, "observed", "success_rate", "rate") or 0,
            }
            for c in calib
            if isinstance(c, dict)
        ]
        if items and all("x" in i for i in items):
            charts.append(
                {
                    "id": "backtest-calibration",
                    "type": "calibration",
                    "title": "Calibration",
                    "items": items,
                }
            )
    auc = _metric(ev, "auc", "roc_auc")
    head = (
        f"AUC {auc:.3f} on held-out data." if isinstance(auc, int | float) else "Held-out metrics."
    )
    warn = _metric(ev, "reliability", "warning", "verdict")
    scalars = {k: v for k, v in ev.items() if not isinstance(v, list | dict)}
    tables.append(kv_table(scalars, "metrics"))
    return section(
        sid, title, paragraphs=[head, str(warn) if warn else None], charts=charts, tables=tables
    )


def drift_section(drift: dict[str, Any] | None, why: str) -> dict[str, Any]:
    sid, title = "drift", "Drift since the last run"
    if not drift:
        return absent(sid, title, why)
    paragraphs: list[str] = []
    charts: list[dict[str, Any]] = []
    tables: list[dict[str, Any] | None] = []
    changed = drift.get("changed_inputs") or []
    paragraphs.append(
        f"Compared with run {drift.get('previous_run')} ({str(drift.get('previous_started'))[:16]}). "
        + (f"Changed inputs: {', '.join(changed)}." if changed else "No input changed.")
    )
    scores = drift.get("scores")
    if scores:
        paragraphs.append(
            f"{num(scores['tier_changes'])} of {num(scores['accounts_compared'])} accounts changed tier"
            f" ({num(scores['moved_up'])} moved up); mean score change {scores['mean_score_change']:+.1f};"
            f" {num(scores['new_accounts'])} new and {num(scores['gone_accounts'])} removed accounts."
        )
        charts.append(
            {
                "id": "drift-tiers",
                "type": "stacked",
                "title": "Tier mix: last run and this run",
                "rows": [
                    {"label": "last run", "parts": list(scores["tiers_before"].items())},
                    {"label": "this run", "parts": list(scores["tiers_after"].items())},
                ],
            }
        )
    pop = (drift.get("population") or {}).get("summary")
    if pop:
        verdict = pop.get("verdict")
        if verdict:
            paragraphs.append(
                f"Verdict: **{verdict}**. " + "; ".join(str(r) for r in pop.get("reasons") or [])
            )
        tables.append(
            kv_table(
                {k: v for k, v in pop.items() if k not in ("reasons", "attribute_psi")},
                "population stability",
            )
        )
    prof = drift.get("profile")
    if prof:
        tables.append(records_table(prof.get("table") or [], "profile changes"))
    return section(sid, title, paragraphs=paragraphs, charts=charts, tables=tables)
