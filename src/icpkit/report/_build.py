"""Build the ICP document as a plain dict (rendered to HTML, Markdown and JSON later)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from .._version import __version__
from ..phrases import money
from ..profile import Profile
from ._analytics_sections import (
    committee_section,
    funnel_section,
    market_section,
    quality_section,
    voice_section,
)
from ._data import jsonable
from ._model_sections import backtest_section, drift_section
from ._profile_sections import (
    anti_icp_section,
    attributes_section,
    points_section,
    segments_section,
    silhouette_text,
)
from ._util import absent, num, pct, section, table

__all__ = ["SECTION_IDS", "build_report"]

SQL_LINES = 24  # enough to show the shape of the query; the command prints the rest
SECTION_IDS = (
    "silhouette",
    "success",
    "attributes",
    "points",
    "segments",
    "anti-icp",
    "market",
    "funnel",
    "committee",
    "voice",
    "quality",
    "backtest",
    "drift",
    "usage",
)


def _why(stages: dict[str, dict[str, Any]], name: str, default: str) -> str:
    """One line on why a stage produced nothing."""
    st = stages.get(name)
    if st is None:
        return default
    if st["status"] == "skipped":
        return f"Not available: {st['message']}."
    if st["status"] == "failed":
        return f"The {name} stage failed: {st['message']}"
    return default


def _success_section(success: dict[str, Any] | None, why: str) -> dict[str, Any]:
    sid, title = "success", "Success and the best customers"
    if not success:
        return absent(sid, title, why)
    text = (
        f"Success means: {success.get('description')}. {num(success.get('successes'))} of"
        f" {num(success.get('rows'))} {'deals' if success.get('level') == 'deals' else 'accounts'}"
        f" succeeded ({pct(success.get('base_rate'), 1)})."
    )
    best = success.get("best_customers") or []
    tables = []
    if best:
        cols = [
            c
            for c in ("name", "industry", "employees", "country", "value")
            if any(b.get(c) is not None for b in best)
        ] or ["account_id"]
        rows = [
            [
                num(b.get(c))
                if c == "employees"
                else (money(b[c]) if b.get(c) is not None else "–")
                if c == "value"  # ACV/ARR/LTV or won deal amounts: money, not a bare number
                else (b.get(c) or "–")
                for c in cols
            ]
            for b in best
        ]
        tables.append(table(cols, rows, "The best customers"))
    return section(sid, title, paragraphs=[text], tables=tables)


def _usage_section(profile: Profile | None, sql: str | None) -> dict[str, Any]:
    bullets = [
        "CRM import file: `icp export --for salesforce` (fields ICP_Score__c, ICP_Tier__c,"
        " ICP_Segment__c) or `icp export --for hubspot` (property hs_ideal_customer_profile"
        " tier_1/tier_2/tier_3 plus icp_score).",
        "Score any file: `icp score leads.csv --profile report/profile.yaml -o scored.csv`.",
        "In the warehouse: `icp sql report/profile.yaml --dialect postgres --table accounts`"
        " prints one SELECT that adds icp_score, icp_tier and icp_segment.",
        "From Python: `icpkit.score_table(icpkit.load_profile('report/profile.yaml'), table)`.",
        "Refresh: run `icp run` again each quarter; the drift section shows what moved.",
    ]
    out = section("usage", "How to use the score", bullets=bullets)
    if sql:
        out["code"] = sql
    if profile is None:
        out["note"] = "No profile was learned in this run, so there is nothing to score with yet."
    return out


def _sql(profile: Profile | None) -> str | None:
    if profile is None:
        return None
    try:
        from ..sql import score_sql
    except ImportError:
        return None
    try:
        sql = str(score_sql(profile, "accounts", dialect="duckdb"))
    except Exception:  # the SQL snippet is a courtesy; never fail the report for it
        return None
    lines = sql.splitlines()
    if len(lines) <= SQL_LINES:
        return sql
    more = len(lines) - SQL_LINES
    return "\n".join(
        [*lines[:SQL_LINES], f"-- … {more} more lines: `icp sql report/profile.yaml` prints it all"]
    )


def _held_out(profile: Profile | None) -> dict[str, Any] | None:
    """Discover's metrics on rows it did not fit on, with how they were split."""
    metrics = (profile.metrics or {}) if profile is not None else {}
    held = metrics.get("held_out")
    if not isinstance(held, dict) or not held:
        return None
    return {**held, "validation": metrics.get("validation")}


def _summary(values: dict[str, Any], profile: Profile | None) -> dict[str, Any]:
    kpis: list[dict[str, Any]] = []
    score = values.get("score") or {}
    tiers = score.get("tiers") or {}
    if tiers:
        total = sum(tiers.values()) or 1
        kpis.append({"label": "accounts scored", "value": num(total)})
        kpis.append(
            {
                "label": "tier A accounts",
                "value": f"{num(tiers.get('A', 0))} ({pct(tiers.get('A', 0) / total)})",
            }
        )
    success = values.get("success") or {}
    if success.get("base_rate") is not None:
        kpis.append({"label": "success rate today", "value": pct(success["base_rate"], 1)})
    held = _held_out(profile)
    ev = held or values.get("evaluation") or {}
    if isinstance(ev.get("auc"), int | float):
        # Without discover's held-out figures the backtest ran on the training rows: say so.
        label = "held-out AUC" if held else "AUC (in-sample, not a test)"
        kpis.append({"label": label, "value": f"{ev['auc']:.2f}"})
    share = ev.get("ab_share_of_successes")
    if isinstance(share, int | float):
        kpis.append({"label": "successes in tiers A+B", "value": pct(share)})
    if profile is not None:
        kpis.append(
            {
                "label": "segments / anti-ICP rules",
                "value": f"{len(profile.segments)} / {len(profile.disqualifiers)}",
            }
        )
    drift = values.get("drift") or {}
    verdict = ((drift.get("population") or {}).get("summary") or {}).get("verdict")
    if verdict:
        kpis.append({"label": "drift verdict", "value": str(verdict)})
    charts = []
    if tiers:
        charts.append(
            {
                "id": "summary-tiers",
                "type": "bars",
                "title": "Accounts by tier",
                "items": [
                    {"label": f"Tier {t}", "value": tiers.get(t, 0), "color": t} for t in "ABCD"
                ],
            }
        )
    headline = silhouette_text(profile)
    if headline is None and values.get("_no_profile"):
        headline = f"No ICP profile in this run: {values['_no_profile']}"
    rel = ev.get("reliability") if isinstance(ev, dict) else None
    caveat = (
        f"Reliability of these numbers: {rel.get('verdict')} ({rel.get('reason')})."
        if isinstance(rel, dict) and rel.get("verdict") not in (None, "reliable")
        else None
    )
    weak = _weak_evidence(profile)
    if weak:  # lead with it; the silhouette is only a best guess
        caveat = (
            f"Best guess so far (a hypothesis, not a finding): {headline}" if headline else None
        )
        headline = "No reliable ICP in this data yet: " + "; ".join(weak) + "."
    return {
        "headline": headline,
        "evidence_sufficient": not weak,
        "caveat": caveat,
        "kpis": kpis,
        "charts": charts,
        "actions": _actions(values, profile),
    }


def _safe_summary(values: dict[str, Any], profile: Profile | None) -> dict[str, Any]:
    try:
        return _summary(values, profile)
    except Exception:  # the sections below still say what each analysis found
        return {"headline": silhouette_text(profile), "kpis": [], "charts": [], "actions": []}


def _weak_evidence(profile: Profile | None) -> list[str]:
    """Why the data cannot back a profile (empty when it can, or for hand-written profiles)."""
    ev = ((profile.metrics or {}) if profile is not None else {}).get("evidence")
    if not isinstance(ev, dict) or ev.get("sufficient", True):
        return []
    return [str(r) for r in ev.get("reasons") or []]


def _tier_a_lift(profile: Profile | None) -> float | None:
    """Tier A's success rate over the average on held-out rows (None when not measured)."""
    held = _held_out(profile) or {}
    row = next((t for t in held.get("tiers") or [] if t.get("tier") == "A"), None)
    lift = row.get("lift") if isinstance(row, dict) else None
    return float(lift) if isinstance(lift, int | float) else None


def _data_actions(values: dict[str, Any], profile: Profile | None) -> list[str]:
    """With no evidence for a profile, the only supported advice is about the data."""
    success = values.get("success") or {}
    n, wins = success.get("rows"), success.get("successes")
    out = []
    if isinstance(n, int) and isinstance(wins, int):
        fewer = min(wins, n - wins)
        if fewer < 100:
            out.append(
                f"Collect more outcomes before acting on a profile: {num(fewer)} "
                f"{'successes' if wins <= n - wins else 'failures'} so far, at least 100 are "
                "needed (add older closed deals, or learn from deals: success.table: deals)."
            )
    out.append(
        "Add attributes that could tell customers apart (industry, size, revenue, technologies,"
        " country), e.g. by enriching the accounts from a company universe."
    )
    out.append(
        "Do not prioritise accounts by this score yet: its tiers are not backed by the data."
    )
    return out


def _actions(values: dict[str, Any], profile: Profile | None) -> list[str]:
    """What to do on Monday, from whatever analyses ran — only what the numbers support."""
    if _weak_evidence(profile):
        return _data_actions(values, profile)
    out = []
    tiers = (values.get("score") or {}).get("tiers") or {}
    lift = _tier_a_lift(profile)
    if tiers.get("A") and (lift is None or lift >= 1.2):
        out.append(
            f"Work the {num(tiers['A'])} tier A accounts first (`icp export --for salesforce`"
            " or `--for hubspot` puts the tier in the CRM)."
        )
    by_tier = ((values.get("market") or {}).get("summary") or {}).get("by_tier") or {}
    a = by_tier.get("A") if isinstance(by_tier, dict) else None
    if isinstance(a, dict) and a.get("white_space"):
        out.append(
            f"Prospect the {num(a['white_space'])} tier A companies in the market that are not"
            " in the CRM yet (white space)."
        )
    if profile is not None and profile.disqualifiers:
        names = "; ".join(d.name for d in profile.disqualifiers[:3])
        out.append(f"Stop spending on the anti-ICP: {names}.")
    funnel = (values.get("funnel") or {}).get("summary") or {}
    if isinstance(funnel.get("icp_share"), float):
        out.append(
            f"Only {pct(funnel['icp_share'])} of leads are ICP: point campaigns at the segments."
        )
    gaps = ((values.get("committee") or {}).get("summary") or {}).get("gaps") or {}
    if gaps.get("accounts_with_gaps"):
        out.append(
            f"Complete the buying committee at {num(gaps['accounts_with_gaps'])} open ICP"
            " accounts (roles to add are listed below)."
        )
    return out


def _segment_lines(profile: Profile | None) -> list[str]:
    """The several ICPs in one line each, for readers who stop after the first section."""
    if profile is None:
        return []
    from ..explain import icp_segments

    out = []
    for k, seg in enumerate(icp_segments(profile), 1):
        facts = [f"{num(seg.size)} accounts" if seg.size else None]
        facts.append(f"{pct(seg.success_rate)} succeed" if seg.success_rate is not None else None)
        facts.append(f"{seg.lift:.1f}× the average" if seg.lift else None)
        shown = ", ".join(f for f in facts if f)
        # The figures above are the rows the segment was found on, which flatter it: say so,
        # and give the held-out figures beside them when there were held-out rows.
        if shown:
            shown += " in-sample"
            if seg.held_out_size and seg.held_out_lift is not None:
                shown += f"; held-out {num(seg.held_out_size)} accounts, {seg.held_out_lift:.1f}×"
        out.append(f"**ICP {k}**: {seg.description or seg.name}" + (f" ({shown})" if shown else ""))
    return out


def _safe(sid: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One section; if its data has a shape we do not know, say so instead of losing the report."""
    try:
        return build()
    except Exception as exc:
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        return absent(sid, sid.replace("-", " ").capitalize(), f"Could not be drawn: {reason}")


def _sections(
    values: dict[str, Any], stage_map: dict[str, dict[str, Any]], profile: Profile | None
) -> list[dict[str, Any]]:
    success = values.get("success") or {}
    base_rate = success.get("base_rate")
    no_profile = _why(stage_map, "discover", "No profile was learned.")
    by_segment = ((values.get("market") or {}).get("summary") or {}).get("by_segment")
    silhouette = silhouette_text(profile)
    held_out = _held_out(profile)

    def why(stage: str, default: str) -> str:
        return _why(stage_map, stage, default)

    builders: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        (
            "silhouette",
            lambda: (
                section(
                    "silhouette",
                    "Our ideal customer",
                    paragraphs=[silhouette],
                    bullets=_segment_lines(profile),
                )
                if silhouette
                else absent("silhouette", "Our ideal customer", no_profile)
            ),
        ),
        ("success", lambda: _success_section(success, why("success", "No success definition."))),
        ("attributes", lambda: attributes_section(profile, base_rate, no_profile)),
        (
            "points",
            lambda: points_section(profile, no_profile, (values.get("score") or {}).get("top")),
        ),
        (
            "segments",
            lambda: segments_section(
                profile, by_segment if isinstance(by_segment, dict) else None, no_profile
            ),
        ),
        ("anti-icp", lambda: anti_icp_section(profile, no_profile)),
        (
            "market",
            lambda: market_section(
                values.get("market"), why("market", "No market."), values.get("lookalikes")
            ),
        ),
        ("funnel", lambda: funnel_section(values.get("funnel"), why("funnel", "No funnel."))),
        (
            "committee",
            lambda: committee_section(values.get("committee"), why("committee", "No committee.")),
        ),
        ("voice", lambda: voice_section(values.get("voice"), why("voice", "No feedback."))),
        ("quality", lambda: quality_section(values.get("quality"), why("quality", "No quality."))),
        (
            "backtest",
            lambda: backtest_section(
                held_out or values.get("evaluation"),
                why("evaluate", "No backtest."),
                in_sample=values.get("evaluation") if held_out else None,
            ),
        ),
        (
            "drift",
            lambda: drift_section(values.get("drift"), why("drift", "No earlier run to compare.")),
        ),
        ("usage", lambda: _usage_section(profile, _sql(profile))),
    ]
    return [_safe(sid, build) for sid, build in builders]


def build_report(
    values: dict[str, Any],
    *,
    stages: list[dict[str, Any]] | None = None,
    config: Any = None,
    previous: Any = None,
) -> dict[str, Any]:
    """The whole ICP document as JSON-safe data: summary, then one entry per section."""
    stage_map = {s["name"]: s for s in stages or []}
    profile: Profile | None = values.get("profile")
    if profile is None:
        values = {**values, "_no_profile": _why(stage_map, "discover", "")}
    sections = _sections(values, stage_map, profile)
    name = getattr(config, "name", None) or (profile.name if profile else "ICP")
    title = (
        getattr(getattr(config, "options", None), "title", None)
        or f"{name}: our Ideal Customer Profile"
    )
    return jsonable(
        {
            "title": title,
            "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "icpkit_version": __version__,
            "profile_version": None if profile is None else profile.version,
            "summary": _safe_summary(values, profile),
            "sections": sections,
            "run": {"stages": stages or [], "previous_run": getattr(previous, "run_id", None)},
        }
    )
