"""`icp run`: execute the pipeline on a workspace and record the run."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_path
from ..export import export_scores
from ..profile import profile_to_dict, save_profile
from ..report._data import jsonable
from ._analytics import STAGES_ANALYTICS
from ._cache import StageCache
from ._config import load_config
from ._pipeline import Context, RunError, Stage, StageResult, run_stages
from ._sources import source_fingerprint
from ._stages import STAGES_CORE
from ._store import RunStore

__all__ = ["STAGES", "RunResult", "last_scores", "load_report", "run_workspace", "state_dir"]

REPORT_DIR = "report"


def state_dir(workspace: Path) -> Path:
    return workspace / ".icp"


def _report(ctx: Context) -> dict[str, Any]:
    from ..report import build_report

    stages = [r.as_dict() for r in ctx.results.values()]
    return {
        "report": build_report(ctx.values, stages=stages, config=ctx.config, previous=ctx.previous)
    }


STAGES: tuple[Stage, ...] = (
    *STAGES_CORE,
    *STAGES_ANALYTICS,
    Stage("report", "write the ICP document", _report, cache=False, required=True),
)


@dataclass
class RunResult:
    run_id: int
    workspace: Path
    stages: list[StageResult]
    outputs: dict[str, Path] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def cached(self) -> int:
        return sum(s.status == "cached" for s in self.stages)


def _metrics(ctx: Context) -> dict[str, Any]:
    profile = ctx.get("profile")
    return jsonable(
        {
            "stages": [r.as_dict() for r in ctx.results.values()],
            "success": {
                k: v for k, v in (ctx.get("success") or {}).items() if k != "best_customers"
            },
            "score": ctx.get("score"),
            "evaluation": ctx.get("evaluation"),
            "profile": None if profile is None else profile_to_dict(profile),
        }
    )


def _score_rows(ctx: Context) -> pa.Table | None:
    scores = ctx.get("scores")
    if scores is None:
        return None
    return pa.table(
        {
            "account_id": scores.column("account_id"),
            "score": scores.column("icp_score"),
            "tier": scores.column("icp_tier"),
            "segment": scores.column("icp_segment"),
        }
    )


def _previous(ctx: Context, store: RunStore) -> None:
    ctx.previous = store.last("ok")
    if ctx.previous is None:
        return
    ctx.previous_scores = store.scores(ctx.previous.run_id)
    snapshot = state_dir(ctx.workspace) / "last_accounts.parquet"
    if snapshot.is_file():
        ctx.previous_accounts = pq.read_table(snapshot)


def _fingerprint_inputs(ctx: Context) -> None:
    """Hash every configured input up front: a missing file fails before any work."""
    sources = dict(ctx.config.tables)
    if ctx.config.universe is not None:
        sources["universe"] = ctx.config.universe
    for name, source in sources.items():
        try:
            ctx.input_fingerprints[name] = source_fingerprint(ctx.workspace, source, name)
        except Exception as exc:
            raise RunError(f"intake:{name}", f"stage 'intake:{name}' failed: {exc}") from exc


def _write_outputs(ctx: Context, report: dict[str, Any]) -> dict[str, Path]:
    from ..report import write_report

    out = ctx.workspace / REPORT_DIR
    paths = {fmt: out / f"report.{fmt}" for fmt in ("html", "md", "json")}
    for path in paths.values():
        write_report(report, path)
    profile = ctx.get("profile")
    if profile is not None:
        paths["profile"] = save_profile(profile, out / "profile.yaml")
    scores = ctx.get("scores")
    if scores is not None:  # opened in spreadsheets too: written formula-safe like an export
        paths["scores"] = export_scores(scores, "csv", out / "scores.csv")
    accounts = ctx.get("accounts")
    if accounts is not None:
        with atomic_path(state_dir(ctx.workspace) / "last_accounts.parquet") as tmp:
            pq.write_table(accounts, tmp)
    return paths


def run_workspace(
    directory: str | os.PathLike[str],
    *,
    use_cache: bool = True,
    on_event: Callable[[str, Stage, StageResult | None], None] | None = None,
) -> RunResult:
    """Run every stage; record the run in ``.icp/runs.duckdb``; write ``report/``.

    A failing required stage raises :class:`RunError` (naming the stage) after recording a
    failed run; the previous successful run, its scores and its report stay as they were.
    """
    ws = Path(directory)
    config = load_config(ws)
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ctx = Context(workspace=ws, config=config, use_cache=use_cache)
    cache = StageCache(state_dir(ws) / "cache")
    with RunStore(state_dir(ws) / "runs.duckdb") as store:
        _previous(ctx, store)
        try:
            _fingerprint_inputs(ctx)
            keys = run_stages(STAGES, ctx, cache, on_event)
        except RunError as exc:
            store.record(
                started=started,
                status="failed",
                fingerprints=ctx.input_fingerprints,
                metrics=_metrics(ctx),
                stage=exc.stage,
                error=str(exc),
            )
            raise
        report = ctx.values["report"]
        report["run"] = {**report.get("run", {}), "run_id": store.next_id()}
        profile = ctx.get("profile")
        run_id = store.record(
            started=started,
            status="ok",
            fingerprints=ctx.input_fingerprints,
            metrics=_metrics(ctx),
            report=report,
            profile_version=None if profile is None else profile.version,
            scores=_score_rows(ctx),
        )
    outputs = _write_outputs(ctx, report)
    cache.prune(keys)
    _notify_service(ws, ctx, run_id)
    return RunResult(run_id, ws, list(ctx.results.values()), outputs, report)


def _notify_service(ws: Path, ctx: Context, run_id: int) -> None:
    """Tell `icp serve`, when set up on this workspace, about the run: its profile as a new
    version, and webhook events (tier changes, new tier-A accounts, drift)."""
    try:
        from ..service.runs import after_run
    except ImportError:  # the service is optional: without it there is nobody to tell
        return
    from ..errors import IcpError

    try:
        after_run(
            ws, run_id, ctx.previous_scores, _score_rows(ctx), ctx.get("drift"), ctx.get("profile")
        )
    except IcpError as exc:  # the run itself succeeded and is recorded; say what was missed
        import sys

        sys.stderr.write(f"warning: the run was not passed to the service: {exc}\n")


def _store_or_fail(ws: Path) -> RunStore:
    from ..errors import ConfigError

    load_config(ws)  # a clear error when this is not a workspace
    path = state_dir(ws) / "runs.duckdb"
    if not path.is_file():
        raise ConfigError(
            "this workspace has no runs yet", file=str(ws), hint=f"Run `icp run {ws}`"
        )
    return RunStore(path)


def load_report(directory: str | os.PathLike[str], *, run_id: int | None = None) -> dict[str, Any]:
    """The report data of the last successful run (or of ``run_id``)."""
    from ..errors import ConfigError

    ws = Path(directory)
    with _store_or_fail(ws) as store:
        runs = [r for r in store.runs("ok") if run_id is None or r.run_id == run_id]
    if not runs or runs[-1].report is None:
        which = "no successful run" if run_id is None else f"no successful run {run_id}"
        raise ConfigError(f"{which} in this workspace", file=str(ws), hint=f"Run `icp run {ws}`")
    return runs[-1].report


def last_scores(directory: str | os.PathLike[str]) -> pa.Table:
    """The scored accounts of the last run (id, name, domain, score, tier, segment)."""
    from ..errors import ConfigError

    ws = Path(directory)
    with _store_or_fail(ws) as store:
        last = store.last("ok")
        if last is None:
            raise ConfigError(
                "no successful run in this workspace", file=str(ws), hint=f"Run `icp run {ws}`"
            )
        scores = store.scores(last.run_id)
    if scores.num_rows == 0:
        raise ConfigError("the last run scored no accounts (no profile was learned)", file=str(ws))
    scores = scores.rename_columns(["account_id", "icp_score", "icp_tier", "icp_segment"])
    path = ws / REPORT_DIR / "scores.csv"
    if path.is_file():  # names and domains for the CRM match, when the run kept them
        import pyarrow.csv as pcsv

        extra = pcsv.read_csv(
            path, convert_options=pcsv.ConvertOptions(column_types={"account_id": pa.string()})
        )
        keep = [
            c for c in ("account_id", "name", "domain", "icp_reasons") if c in extra.column_names
        ]
        scores = scores.join(extra.select(keep), "account_id", join_type="left outer")
    return scores
