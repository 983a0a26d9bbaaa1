"""The stages of `icp run`, in order. Each calls one library function of icpkit.

intake → success → discover → score → evaluate → market → funnel → committee → quality
→ voice → drift → report. A stage whose library function has not landed, or whose
input is not configured, raises :class:`Skip` and its report section says so.
"""

from __future__ import annotations

import inspect
from typing import Any

import pandas as pd
import pyarrow as pa

from ..errors import IcpError
from ..phrases import counted
from ..profile import Profile, load_profile
from ..report._data import jsonable
from ._cache import file_fingerprint
from ._config import TABLE_KINDS, Source
from ._pipeline import Context, Skip, Stage
from ._sources import load_source, optional, source_fingerprint
from ._training import LABEL, best_customers, training_frame

__all__ = ["STAGES_CORE"]


def _need(ctx: Context, key: str, why: str) -> Any:
    value = ctx.get(key)
    if value is None:
        raise Skip(why)
    return value


def _profile(ctx: Context) -> Profile:
    """The profile, or a Skip that repeats why discover produced none."""
    profile = ctx.get("profile")
    if profile is None:
        why = ctx.results.get("discover")
        detail = f": {why.message}" if why is not None and why.message else ""
        raise Skip(f"no profile (discover {why.status if why else 'did not run'}{detail})")
    return profile


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` with the keyword arguments it accepts (APIs differ in optional extras)."""
    params = inspect.signature(fn).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return fn(*args, **kwargs)


# ----------------------------------------------------------------------------- intake


def _source(ctx: Context, name: str) -> Source | None:
    if name == "universe":
        return ctx.config.universe
    return ctx.config.tables.get(name)


# An optional input left out of icp.yaml: the stages that need it say so in their own words.
NOT_CONFIGURED = "not configured in icp.yaml"


def _intake_settings(name: str) -> Any:
    def settings(ctx: Context) -> Any:
        source = _source(ctx, name)
        if source is None:
            return None
        if name not in ctx.input_fingerprints:
            ctx.input_fingerprints[name] = source_fingerprint(ctx.workspace, source, name)
        return ctx.input_fingerprints[name]

    return settings


def _intake(name: str) -> Any:
    def run(ctx: Context) -> dict[str, Any]:
        source = _source(ctx, name)
        if source is None:
            raise Skip(NOT_CONFIGURED)
        try:
            table, report = load_source(ctx.workspace, source, name)
        except Exception as exc:
            exc.add_note(f"reading tables.{name} from {source.describe()}")
            raise
        note = f"{table.num_rows:,} rows × {table.num_columns} columns"
        return {name: table, f"{name}_intake": jsonable(report), "_message": note}

    return run


# ----------------------------------------------------------------------------- enrich


def _enrich(ctx: Context) -> dict[str, Any]:
    """Accounts with their gaps filled from the universe (``universe: enrich: true``)."""
    cfg = ctx.config.universe
    if cfg is None or not cfg.enrich:
        raise Skip("off (set universe.enrich: true in icp.yaml)")
    from ..enrich import enrich

    accounts = _need(ctx, "accounts", "no accounts").to_pandas()
    universe = _need(ctx, "universe", "no universe").to_pandas()
    result = enrich(accounts, universe, fields=cfg.enrich_fields)
    s = result.summary
    note = (
        f"{s['matched_by_domain']:,} by domain, {s['matched_by_name']:,} by name, "
        f"{s['unmatched']:,} unmatched"
    )
    table = pa.Table.from_pandas(result.table, preserve_index=False)
    return {"accounts": table, "enrich": jsonable(s), "_message": note}


# ----------------------------------------------------------------------------- success


def _as_exported(ctx: Context, target: str | None) -> str | None:
    """The success column named as the export spells it ('Renewed'), as intake names it
    ('renewed'); other names are kept (a derived 'won', or a typo reported later)."""
    for kind in ("accounts", "outcomes"):
        have = ctx.get(kind)
        if target is None or have is None or target in have.column_names:
            return target
        report = ctx.values.get(f"{kind}_intake") or {}
        for m in report.get("mapping") or []:
            if m.get("original") == target and m.get("outputs"):
                return str(m["outputs"][0])
    return target


def _success(ctx: Context) -> dict[str, Any]:
    tables = {k: ctx.get(k) for k in ("accounts", "outcomes", "deals")}
    success = ctx.config.success
    success = success.model_copy(update={"target": _as_exported(ctx, success.target)})
    frame, described = training_frame(success, tables, ctx.config.success.target)
    n, wins = len(frame), int(frame[LABEL].sum())
    summary = {
        **described,
        "rows": n,
        "successes": wins,
        "base_rate": wins / n if n else None,
        "best_customers": best_customers(frame, tables),
        "definition": ctx.config.success.model_dump(mode="json", exclude_none=True),
    }
    training = pa.Table.from_pandas(frame, preserve_index=False)
    note = f"{wins:,} of {counted(n, described['level'][:-1])} successful"
    if " = " in described["description"]:  # a label column: say which value is success
        note += f" ({described['description']})"
    if described.get("left_out"):
        note += f"; {described['left_out']}"
    if n and wins in (0, n):
        # Nothing to contrast: say what would help instead of letting discover fail obscurely.
        alt = " (set success.table: deals in icp.yaml)" if ctx.get("deals") is not None else ""
        note += f"; every row has the same outcome, so there is nothing to learn from{alt}"
    return {"training": training, "success": jsonable(summary), "_message": note}


# ----------------------------------------------------------------------------- discover


def _discover_settings(ctx: Context) -> Any:
    path = ctx.config.options.profile
    fp = (
        file_fingerprint(ctx.workspace / path)
        if path and (ctx.workspace / path).is_file()
        else None
    )
    return [ctx.config.success.model_dump(mode="json"), path, fp, ctx.config.options.seed]


def _as_profile(result: Any) -> Profile:
    for candidate in (result, getattr(result, "profile_", None), getattr(result, "profile", None)):
        if isinstance(candidate, Profile):
            return candidate
    raise TypeError(f"discover returned {type(result).__name__}, not a Profile")


def _in_users_words(exc: IcpError, ctx: Context) -> IcpError:
    """The error about the label column, which is ours (``is_success``): the user defined
    success in icp.yaml, so the line names that definition instead."""
    described = (ctx.values.get("success") or {}).get("description")
    target = ctx.config.success.expression or ctx.config.success.target
    what = described or f"success.target {target!r} in icp.yaml"
    return type(exc)(
        f"{exc.message} (success here: {what})", file=exc.file, row=exc.row, hint=exc.hint
    )


def _discover(ctx: Context) -> dict[str, Any]:
    if ctx.config.options.profile:
        path = ctx.workspace / ctx.config.options.profile
        profile = load_profile(path)
        return {"profile": profile, "discover": {"source": str(path)}, "_message": "given profile"}
    fn = optional("discover", "learn", "discover")
    if fn is None:
        raise Skip("icpkit.discover is not available")
    frame = _need(ctx, "training", "no training rows").to_pandas()
    features = frame.drop(columns=[c for c in ("account_id", "name") if c in frame])
    try:
        result = _call(
            fn,
            features,
            target=LABEL,
            positive=["true"],
            exclude=list(ctx.config.success.exclude),
            random_state=ctx.config.options.seed,
            name=ctx.config.name,
        )
    except IcpError as exc:
        if exc.column != LABEL:
            raise
        raise _in_users_words(exc, ctx) from exc
    profile = _as_profile(result)
    if ctx.config.success.open_as_failure and profile.success is not None:
        # the profile says how it was learned: `icp evaluate` with it counts open rows the same way
        success = profile.success.model_copy(update={"open_as_failure": True})
        profile = profile.model_copy(update={"success": success})
    summary = result.summary() if callable(getattr(result, "summary", None)) else {}
    info = {"source": "learned", "summary": jsonable(summary)}
    attrs, segs = len(profile.attributes), len(profile.segments)
    note = f"{attrs} attribute{'s' * (attrs != 1)}, {segs} segment{'s' * (segs != 1)}"
    return {"profile": profile, "discover": info, "_message": note}


# ----------------------------------------------------------------------------- score


def _score(ctx: Context) -> dict[str, Any]:
    from ..scoring import score_table

    profile = _profile(ctx)
    accounts: pa.Table = ctx.values["accounts"]
    scored = _call(score_table, profile, accounts, reasons=True)  # reasons: newer engines
    # The key a CRM import matches on: the record id, else the name or domain, else the row.
    id_col = next((c for c in ("account_id", "name", "domain") if c in accounts.column_names), None)
    ids = (
        accounts.column(id_col)
        if id_col is not None
        else pa.array([str(i) for i in range(accounts.num_rows)])
    )
    cols: dict[str, Any] = {"account_id": pa.compute.cast(ids, pa.string())}
    for extra in ("name", "domain"):
        if extra in accounts.column_names:
            cols[extra] = pa.compute.cast(accounts.column(extra), pa.string())
    for c in scored.column_names:
        cols[c] = scored.column(c)
    table = pa.table(cols)
    tiers = pd.Series(scored.column("icp_tier").to_pylist()).value_counts()
    summary = {
        "rows": table.num_rows,
        "id_column": id_col or "row number",
        "tiers": {t: int(tiers.get(t, 0)) for t in "ABCD"},
        "mean_score": float(pd.Series(scored.column("icp_score").to_pylist()).mean()),
        "top": _top_accounts(table),
    }
    return {"scores": table, "score": summary, "_message": f"{table.num_rows:,} accounts"}


def _top_accounts(table: pa.Table, n: int = 10) -> list[dict[str, Any]]:
    """The best-scored accounts with their reasons: the score explained on real rows."""
    keep = [
        c
        for c in ("name", "account_id", "icp_score", "icp_tier", "icp_segment", "icp_reasons")
        if c in table.column_names
    ]
    frame = table.select(keep).to_pandas()
    top = frame.sort_values("icp_score", ascending=False, kind="stable").head(n)
    return [jsonable(r) for r in top.to_dict(orient="records")]


def _evaluate(ctx: Context) -> dict[str, Any]:
    fn = optional("evaluate", "evaluate", "backtest")
    if fn is None:
        raise Skip("icpkit.evaluate is not available")
    profile = _profile(ctx)
    frame = _need(ctx, "training", "no training rows").to_pandas()
    result = _call(fn, profile, frame, target=LABEL, positive=["true"])
    evaluation = jsonable(getattr(result, "summary", result))
    if not ctx.config.success.open_as_failure:
        return {"evaluation": evaluation}
    # The training rows were labelled so: the figures count open deals as failures. Say it.
    note = "open deals counted as failures, as icp.yaml asks (success.open_as_failure: true)"
    if isinstance(evaluation, dict):
        evaluation["notes"] = [*(evaluation.get("notes") or []), note]
    return {"evaluation": evaluation, "_message": note}


STAGES_CORE: tuple[Stage, ...] = (
    *(
        Stage(f"intake:{t}", f"read {t}", _intake(t), settings=_intake_settings(t), required=True)
        for t in (*TABLE_KINDS, "universe")
    ),
    Stage(
        "enrich",
        "fill account gaps from the universe",
        _enrich,
        inputs=("accounts", "universe"),
        settings=lambda ctx: (
            None if ctx.config.universe is None else ctx.config.universe.model_dump()
        ),
    ),
    Stage(
        "success",
        "define success",
        _success,
        inputs=("accounts", "outcomes", "deals"),
        settings=lambda ctx: ctx.config.success.model_dump(mode="json"),
        required=True,
    ),
    # Required: a run without a profile would replace a good report with an empty one.
    Stage(
        "discover",
        "learn the profile",
        _discover,
        ("training",),
        _discover_settings,
        required=True,
    ),
    Stage("score", "score the accounts", _score, ("profile", "accounts"), required=True),
    Stage("evaluate", "backtest", _evaluate, ("profile", "training")),
)
