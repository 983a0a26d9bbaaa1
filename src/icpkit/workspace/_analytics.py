"""The analytics stages of `icp run`: market, funnel, committee, quality, voice, drift.

Each one calls one library function (written by other modules of icpkit) and keeps its
summary and the head of its table for the report. They are optional: when one fails the
run goes on and its report section says why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..profile import profile_from_dict
from ..report._data import jsonable, records, result_dict
from ._pipeline import Context, Skip, Stage
from ._sources import optional
from ._stages import _call, _need, _profile

__all__ = ["STAGES_ANALYTICS"]


def _fn(module: str, *names: str) -> Any:
    fn = optional(module, *names)
    if fn is None:
        raise Skip(f"icpkit.{module} is not available")
    return fn


def _scored_accounts(ctx: Context) -> pa.Table | None:
    """The accounts with their score columns, for analyses filtered by tier."""
    accounts, scores = ctx.get("accounts"), ctx.get("scores")
    if accounts is None or scores is None:
        return accounts
    out = accounts
    for c in ("icp_score", "icp_tier", "icp_segment"):
        if c in scores.column_names and c not in out.column_names:
            out = out.append_column(c, scores.column(c))
    return out


def _market(ctx: Context) -> dict[str, Any]:
    fn = _fn("market", "market_size", "market")
    universe = _need(ctx, "universe", "no universe configured in icp.yaml")
    profile = _profile(ctx)
    cfg = ctx.config.universe
    result = _call(
        fn,
        universe,
        profile,
        accounts=ctx.get("accounts"),
        deals=ctx.get("deals"),
        value=None if cfg is None else cfg.value,
        where=None if cfg is None else cfg.where,
    )
    out: dict[str, Any] = {"market": result_dict(result)}
    warnings = (getattr(result, "summary", None) or {}).get("warnings") or []
    if warnings:  # shown on the progress line: the run goes on, the reader is told
        out["_message"] = "warning: " + "; ".join(warnings)
    return out


def _lookalike(ctx: Context) -> dict[str, Any]:
    """More companies like the 20 best-scoring customers, from the universe (not in the CRM)."""
    from ..lookalike import lookalikes

    # CRM accounts are told apart from white space by the enrichment matcher (an extra): a
    # core install skips this stage and says how to get it, rather than failing the run.
    try:
        import rapidfuzz  # noqa: F401
        import tldextract  # noqa: F401
    except ImportError:
        raise Skip("needs the enrich extra: pip install 'icpkit[enrich]'") from None
    universe = _need(ctx, "universe", "no universe configured in icp.yaml")
    accounts = _need(ctx, "accounts", "no accounts")
    table, summary = lookalikes(universe, _profile(ctx), best=20, crm=accounts, k=100)
    keep = [
        c
        for c in ("company_id", "name", "domain", "similarity", "icp_score", "icp_tier",
                  "nearest_seeds", "shared_traits")
        if c in table.columns
    ]  # fmt: skip
    top = table[keep]
    note = f"{len(top)} lookalikes of {summary['seeds']} best customers"
    return {
        "lookalikes": {"summary": jsonable(summary), "top": records(top.head(25))},
        "lookalikes_table": pa.Table.from_pandas(top, preserve_index=False),
        "_message": note,
    }


def _funnel(ctx: Context) -> dict[str, Any]:
    fn = _fn("funnel", "funnel_by_tier", "funnel")
    leads = _need(ctx, "leads", "no leads table configured in icp.yaml")
    profile = _profile(ctx)
    accounts = ctx.get("accounts")
    leads = _link_by_domain(leads, accounts)
    result = _call(fn, leads, profile, accounts=accounts, deals=ctx.get("deals"))
    return {"funnel": result_dict(result)}


def _link_by_domain(leads: pa.Table, accounts: pa.Table | None) -> pa.Table:
    """Give leads without an account_id the id of the account with the same domain.

    CRM leads usually carry a company website but an account id only once converted;
    without this link only converted leads would get a tier.
    """
    if accounts is None or "domain" not in leads.column_names:
        return leads
    if not {"domain", "account_id"} <= set(accounts.column_names):
        return leads
    acc = accounts.select(["domain", "account_id"]).to_pandas().dropna()
    by_domain = acc.assign(domain=acc["domain"].astype(str).str.lower()).drop_duplicates("domain")
    lookup = pd.Series(by_domain["account_id"].astype(str).to_numpy(), index=by_domain["domain"])
    frame = leads.to_pandas()
    matched = frame["domain"].astype("string").str.lower().map(lookup)
    if "account_id" in frame:
        own = frame["account_id"].astype("string")
        frame["account_id"] = own.where(own.notna() & (own != ""), matched)
    else:
        frame["account_id"] = matched
    return pa.Table.from_pandas(frame, preserve_index=False)


def _committee(ctx: Context) -> dict[str, Any]:
    fn = _fn("committee", "buying_committee", "committee")
    contacts = _need(ctx, "contacts", "no contacts table configured in icp.yaml")
    result = _call(
        fn,
        contacts,
        deals=ctx.get("deals"),
        roles=ctx.get("contact_roles"),
        contact_roles=ctx.get("contact_roles"),
        accounts=_scored_accounts(ctx),
        scored=_scored_accounts(ctx),
        profile=ctx.get("profile"),
    )
    return {"committee": result_dict(result)}


def _quality(ctx: Context) -> dict[str, Any]:
    fn = _fn("quality", "data_quality", "quality", "assess_quality")
    accounts = _need(ctx, "accounts", "no accounts")
    result = _call(fn, accounts, profile=ctx.get("profile"), decay=ctx.config.options.decay)
    return {"quality": result_dict(result)}


def _voice(ctx: Context) -> dict[str, Any]:
    fn = _fn("voice", "analyze")
    feedback = _need(ctx, "feedback", "no feedback table configured in icp.yaml")
    scored = _scored_accounts(ctx)
    result = _call(
        fn,
        feedback.to_pandas(),
        None if scored is None else scored.to_pandas(),
        profile=ctx.get("profile"),
        tiers=("A", "B"),
        method=ctx.config.options.voice_method,
        encoding_cache=_voice_encodings(ctx),
    )
    report = getattr(result, "report", None) or {}
    summary = {k: v for k, v in report.items() if k != "themes"}
    themes = records(getattr(result, "themes", None), 60)
    _name_quotes(themes, ctx.get("accounts"))
    return {"voice": {"summary": jsonable(summary), "table": themes}}


def _voice_encodings(ctx: Context) -> Path:
    """The run store also keeps the voice stage's sentence encodings by text hash (table
    voice_encodings, written by icpkit.voice), so a re-run encodes only new feedback."""
    return ctx.workspace / ".icp" / "runs.duckdb"


def _name_quotes(themes: list[dict[str, Any]], accounts: pa.Table | None) -> None:
    """Quotes carry account ids; a reader wants the company's name."""
    if accounts is None or not {"account_id", "name"} <= set(accounts.column_names):
        return
    ids: set[str] = set()
    for t in themes:
        ids.update(str(q.get("account_id")) for q in t.get("quotes") or [] if isinstance(q, dict))
    names = {
        str(i): n
        for i, n in zip(
            accounts.column("account_id").to_pylist(),
            accounts.column("name").to_pylist(),
            strict=True,
        )
        if str(i) in ids
    }
    for t in themes:
        for q in t.get("quotes") or []:
            if isinstance(q, dict) and str(q.get("account_id")) in names:
                q["account"] = names[str(q["account_id"])]


def _score_shift(previous: pa.Table, current: pa.Table) -> dict[str, Any]:
    """How the same accounts moved between the last run and this one."""
    before = previous.to_pandas().set_index("account_id")
    after = current.to_pandas().set_index("account_id")[["icp_score", "icp_tier"]]
    both = before.join(after, how="inner")
    moved = both[both["tier"] != both["icp_tier"]]
    tiers = "ABCD"
    return {
        "accounts_compared": len(both),
        "new_accounts": int((~after.index.isin(before.index)).sum()),
        "gone_accounts": int((~before.index.isin(after.index)).sum()),
        "tier_changes": len(moved),
        "moved_up": int((moved["icp_tier"].map(tiers.find) < moved["tier"].map(tiers.find)).sum()),
        "mean_score_change": float((both["icp_score"] - both["score"]).mean())
        if len(both)
        else 0.0,
        "tiers_before": {t: int((before["tier"] == t).sum()) for t in tiers},
        "tiers_after": {t: int((after["icp_tier"] == t).sum()) for t in tiers},
    }


def _drift(ctx: Context) -> dict[str, Any]:
    prev = ctx.previous
    if prev is None:
        raise Skip("first run of this workspace: nothing to compare with yet")
    profile = _profile(ctx)
    out: dict[str, Any] = {"previous_run": prev.run_id, "previous_started": str(prev.started)}
    if ctx.previous_scores is not None and ctx.get("scores") is not None:
        out["scores"] = _score_shift(ctx.previous_scores, ctx.values["scores"])
    prev_profile = (prev.metrics or {}).get("profile")
    diff = optional("drift", "profile_diff")
    if diff is not None and prev_profile:
        out["profile"] = result_dict(diff(profile_from_dict(prev_profile), profile))
    population = optional("drift", "population_drift")
    if population is not None and ctx.previous_accounts is not None:
        result = population(profile, ctx.previous_accounts, ctx.values["accounts"])
        out["population"] = result_dict(result)
    out["changed_inputs"] = sorted(
        k for k, v in ctx.input_fingerprints.items() if prev.fingerprints.get(k) != v
    )
    return {"drift": jsonable(out)}


STAGES_ANALYTICS: tuple[Stage, ...] = (
    Stage(
        "market",
        "size the market",
        _market,
        ("profile", "universe", "accounts", "deals"),
        lambda ctx: None if ctx.config.universe is None else ctx.config.universe.model_dump(),
    ),
    Stage("lookalike", "find lookalikes", _lookalike, ("profile", "universe", "accounts")),
    Stage("funnel", "funnel by tier", _funnel, ("profile", "leads", "accounts", "deals")),
    Stage(
        "committee",
        "buying committee",
        _committee,
        ("contacts", "deals", "contact_roles", "accounts", "scores", "profile"),
    ),
    Stage(
        "quality",
        "data quality",
        _quality,
        ("accounts", "profile"),
        lambda ctx: ctx.config.options.decay,
    ),
    Stage(
        "voice",
        "voice of the customer",
        _voice,
        ("feedback", "scores", "contacts", "profile"),
        lambda ctx: ctx.config.options.voice_method,
    ),
    Stage("drift", "drift since last run", _drift, ("profile", "scores"), cache=False),
)
