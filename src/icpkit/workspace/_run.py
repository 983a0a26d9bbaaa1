"""`icp run`: execute the pipeline on a workspace and record the run."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_path, atomic_write_text
from ..export import export_scores
from ..profile import profile_to_dict, save_profile
from ..report._data import jsonable
from ._analytics import STAGES_ANALYTICS
from ._cache import StageCache
from ._config import load_config
from ._outputs import REPORT_DIR, WorkspaceLock, publish, recover, run_folder, staging_folder
from ._pipeline import Context, RunError, Stage, StageResult, run_stages
from ._sources import source_fingerprint
from ._stages import STAGES_CORE
from ._store import RunStore

__all__ = ["STAGES", "RunResult", "last_scores", "load_report", "run_workspace", "state_dir"]

_SNAPSHOT = "accounts.parquet"  # the run's accounts, for population drift in the next run
_OUTPUT_KEYS = {
    "report.html": "html",
    "report.md": "md",
    "report.json": "json",
    "profile.yaml": "profile",
    "scores.csv": "scores",
}


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
    snapshot = run_folder(state_dir(ctx.workspace), ctx.previous.run_id) / _SNAPSHOT
    legacy = state_dir(ctx.workspace) / "last_accounts.parquet"  # before run folders
    for path in (snapshot, legacy):
        if path.is_file():
            ctx.previous_accounts = pq.read_table(path)
            break


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


def _write_safe_csv(frame: pd.DataFrame, path: Path) -> Path:
    """A CSV people open in spreadsheets: text cells escaped against formula injection."""
    from ..export import safe_cell

    for c in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[c]):
            frame[c] = frame[c].map(safe_cell)
    return atomic_write_text(path, frame.to_csv(index=False))


def _write_outputs(
    ctx: Context, report: dict[str, Any], folder: Path, previous: Path | None
) -> list[str]:
    """Every file of this run, into its own (not yet published) folder; returns their names."""
    from ..report import write_report

    out = folder / REPORT_DIR
    for fmt in ("html", "md", "json"):
        write_report(report, out / f"report.{fmt}")
    profile = ctx.get("profile")
    if profile is not None:
        save_profile(profile, out / "profile.yaml")
    scores = ctx.get("scores")
    if scores is not None:  # opened in spreadsheets too: written formula-safe like an export
        export_scores(scores, "csv", out / "scores.csv")
        # CRM import files made from the previous run are remade from this one, so report/
        # never pairs new scores with old exports.
        for old in sorted(previous.glob("*_import.csv")) if previous else []:
            target = old.name.removesuffix("_import.csv")
            if target in ("salesforce", "hubspot", "csv"):
                export_scores(scores, target, out / old.name)
    lookalikes = ctx.get("lookalikes_table")
    if lookalikes is not None:
        _write_safe_csv(lookalikes.to_pandas(), out / "lookalikes.csv")
    accounts = ctx.get("accounts")
    if accounts is not None:
        with atomic_path(folder / _SNAPSHOT) as tmp:
            pq.write_table(accounts, tmp)
    return sorted(p.name for p in out.iterdir() if not p.name.startswith("."))


def _committed(store: RunStore) -> list[int]:
    rows = store.con.execute("SELECT run_id FROM runs WHERE status = 'ok' ORDER BY run_id")
    return [int(r[0]) for r in rows.fetchall()]


def run_workspace(
    directory: str | os.PathLike[str],
    *,
    use_cache: bool = True,
    on_event: Callable[[str, Stage, StageResult | None], None] | None = None,
    wait: float = 0.0,
) -> RunResult:
    """Run every stage; record the run in ``.icp/runs.duckdb``; publish ``report/``.

    A failing required stage raises :class:`RunError` (naming the stage) after recording a
    failed run; the previous successful run, its scores and every file in ``report/`` stay
    as they were. Only one run writes a workspace at a time: another one waits ``wait``
    seconds, then raises "workspace busy". See :mod:`icpkit.workspace._outputs`.
    """
    ws = Path(directory)
    config = load_config(ws)
    state = state_dir(ws)
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ctx = Context(workspace=ws, config=config, use_cache=use_cache)
    cache = StageCache(state / "cache")
    db = state / "runs.duckdb"
    with WorkspaceLock(state, timeout=wait):
        # The store is open only to read and to commit: readers use it while stages run.
        with RunStore(db) as store:
            committed = _committed(store)
            recover(ws, state, committed)
            _previous(ctx, store)
            run_id = store.next_id()
        previous = run_folder(state, committed[-1]) / REPORT_DIR if committed else None
        folder = staging_folder(state)
        try:
            _fingerprint_inputs(ctx)
            keys = run_stages(STAGES, ctx, cache, on_event)
            report = ctx.values["report"]
            report["run"] = {**report.get("run", {}), "run_id": run_id}
            try:
                files = _write_outputs(ctx, report, folder, previous)
            except Exception as exc:
                raise RunError("report", f"stage 'report' failed writing the files: {exc}") from exc
        except RunError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            with RunStore(db) as store:
                store.record(
                    started=started,
                    status="failed",
                    fingerprints=ctx.input_fingerprints,
                    metrics=_metrics(ctx),
                    stage=exc.stage,
                    error=str(exc),
                    run_id=run_id,
                )
            raise
        final = run_folder(state, run_id)
        shutil.rmtree(final, ignore_errors=True)  # a folder no committed run owns
        os.replace(folder, final)
        profile = ctx.get("profile")
        with RunStore(db) as store:
            store.record(
                started=started,
                status="ok",
                fingerprints=ctx.input_fingerprints,
                metrics=_metrics(ctx),
                report=report,
                profile_version=None if profile is None else profile.version,
                scores=_score_rows(ctx),
                run_id=run_id,
            )
        publish(ws, final)
        recover(ws, state, [*committed, run_id])
        cache.prune(keys)
    outputs = {_OUTPUT_KEYS.get(name, name): ws / REPORT_DIR / name for name in files}
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
    return RunStore(path, read_only=True)


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


def last_accounts(directory: str | os.PathLike[str]) -> Path | None:
    """The account table the last successful run learned and scored from (Parquet), if kept."""
    ws = Path(directory)
    with _store_or_fail(ws) as store:
        last = store.last("ok")
    if last is None:
        return None
    path = run_folder(state_dir(ws), last.run_id) / _SNAPSHOT
    return path if path.is_file() else None


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
    path = run_folder(state_dir(ws), last.run_id) / REPORT_DIR / "scores.csv"
    if not path.is_file():  # a workspace from before run folders
        path = ws / REPORT_DIR / "scores.csv"
    if path.is_file():  # names and domains for the CRM match, when the run kept them
        import pyarrow.csv as pcsv

        options = pcsv.ConvertOptions(column_types={"account_id": pa.string()})
        try:
            extra = pcsv.read_csv(path, convert_options=options)
        except FileNotFoundError:  # a run committed meanwhile and removed that folder
            extra = pcsv.read_csv(ws / REPORT_DIR / "scores.csv", convert_options=options)
        keep = [
            c for c in ("account_id", "name", "domain", "icp_reasons") if c in extra.column_names
        ]
        scores = scores.join(extra.select(keep), "account_id", join_type="left outer")
    return scores
