"""Report sections about the model over time: the backtest and drift since the last run."""

from __future__ import annotations

from typing import Any

from ..phrases import aside
from ._analytics_sections import _find
from ._util import absent, kv_table, num, pct, records_table, section, table

__all__ = ["backtest_section", "drift_section"]


def _metric(ev: dict[str, Any], *names: str) -> Any:
    return _find(ev, *names)


def _headline(ev: dict[str, Any], in_sample: dict[str, Any] | None) -> str:
    auc = _metric(ev, "auc")
    where = aside(ev.get("validation") or "rows the profile was not fitted on")
    text = f"AUC {auc:.2f} on held-out data ({where})." if isinstance(auc, float) else ""
    if in_sample and isinstance(in_sample.get("auc"), float):
        text += f" On all rows, including those it learned from: AUC {in_sample['auc']:.2f}."
    share = ev.get("ab_share_of_successes")
    rows = ev.get("ab_share_of_rows")
    if isinstance(share, float) and isinstance(rows, float):
        text += f" Tiers A and B hold {pct(share)} of the successes in {pct(rows)} of the rows."
    return text.strip() or "Backtest metrics."


def _tier_parts(tiers: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    rows = [
        [
            r.get("tier"),
            pct(_find(r, "share_rows", "row_share", "share_of_rows")),
            pct(_find(r, "share_successes", "success_share", "share_of_successes")),
            pct(_find(r, "success_rate", "rate")),
        ]
        for r in tiers
    ]
    header = ["tier", "share of accounts", "share of successes", "success rate"]
    chart = {
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
    return table(header, rows, "Tier table"), chart


def _lift_chart(deciles: list[Any]) -> dict[str, Any]:
    items = [
        {
            "label": str(d.get("decile", k + 1)),
            "value": _find(d, "lift") or 0,
            "color": "A" if (_find(d, "lift") or 0) >= 1 else "C",
        }
        for k, d in enumerate(deciles)
        if isinstance(d, dict)
    ]
    return {
        "id": "backtest-lift",
        "type": "columns",
        "title": "Lift by score decile (1 = top 10%)",
        "unit": "x",
        "items": items,
        "reference": 1.0,
        "reference_label": "average",
        "x_label": "score decile",
    }


def _calibration_chart(calib: list[Any]) -> dict[str, Any]:
    return {
        "id": "backtest-calibration",
        "type": "columns",
        "title": "Calibration: observed success rate by score band",
        "unit": "%",
        "items": [
            {"label": str(c.get("band", "")), "value": _find(c, "success_rate") or 0.0}
            for c in calib
            if isinstance(c, dict)
        ],
        "x_label": "score band",
    }


def backtest_section(
    ev: dict[str, Any] | None, why: str, in_sample: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Held-out metrics first (honest numbers); the in-sample AUC only as a comparison."""
    sid, title = "backtest", "Backtest: does the score find winners?"
    if not ev:
        return absent(sid, title, why)
    charts: list[dict[str, Any]] = []
    tables: list[dict[str, Any] | None] = []
    tiers = _metric(ev, "tiers", "tier_table", "by_tier")
    if isinstance(tiers, list) and tiers:
        tier_table, tier_chart = _tier_parts(tiers)
        tables.append(tier_table)
        charts.append(tier_chart)
    deciles = _metric(ev, "deciles", "lift", "lift_by_decile")
    if isinstance(deciles, list) and deciles:
        charts.append(_lift_chart(deciles))
    calib = _metric(ev, "calibration")
    if isinstance(calib, list) and calib:
        charts.append(_calibration_chart(calib))
    paragraphs = [_headline(ev, in_sample)]
    rel = _metric(ev, "reliability")
    if isinstance(rel, dict) and rel.get("reason"):
        paragraphs.append(f"Reliability: **{rel.get('verdict')}** ({rel['reason']}).")
    scalars = {k: v for k, v in ev.items() if not isinstance(v, list | dict) and k != "auc"}
    tables.append(kv_table(scalars, "metrics"))
    return section(sid, title, paragraphs=paragraphs, charts=charts, tables=tables)


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
