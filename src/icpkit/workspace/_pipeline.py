"""The pipeline engine: an ordered tuple of stages run over a context.

Each stage is a function ``ctx -> {output name: value}`` that calls one library function.
It declares the context keys it reads (``inputs``) and the settings it depends on
(``settings``); from these the engine builds a cache key, so unchanged inputs make a
re-run fast. A stage raises :class:`Skip` when its library function or its input is not
there; optional stages that fail are recorded and the run goes on; a required stage that
fails stops the run with one message naming the stage, the input and the reason.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import IcpError
from ._cache import StageCache, digest
from ._config import WorkspaceConfig

__all__ = ["Context", "RunError", "Skip", "Stage", "StageResult", "run_stages"]


class Skip(Exception):
    """Raised by a stage that cannot run; the message says why in a few words."""


class RunError(IcpError):
    """A required stage failed; ``stage`` names it."""

    def __init__(self, stage: str, message: str, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.stage = stage


@dataclass(frozen=True)
class Stage:
    name: str
    title: str
    run: Callable[[Context], dict[str, Any]]
    inputs: tuple[str, ...] = ()
    settings: Callable[[Context], Any] = lambda ctx: None
    required: bool = False
    cache: bool = True
    version: int = 1


@dataclass
class StageResult:
    name: str
    status: str  # ok | cached | skipped | failed
    message: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Context:
    workspace: Path
    config: WorkspaceConfig
    values: dict[str, Any] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    results: dict[str, StageResult] = field(default_factory=dict)
    previous: Any = None  # the last successful RunRecord, for drift
    previous_scores: Any = None  # its scores (pa.Table: account_id, score, tier, segment)
    previous_accounts: Any = None  # its normalised accounts table, when kept
    input_fingerprints: dict[str, str] = field(default_factory=dict)
    use_cache: bool = True

    def get(self, key: str) -> Any:
        return self.values.get(key)


@functools.cache
def code_fingerprint() -> str:
    """A hash of icpkit's own code and data files: new code never reuses old results."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.blake2b(digest_size=10)
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".yaml", ".csv", ".json"} and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _key(stage: Stage, ctx: Context) -> str:
    fps = {k: ctx.fingerprints.get(k) for k in stage.inputs}
    return digest(
        stage.name, stage.version, __version__, code_fingerprint(), fps, stage.settings(ctx)
    )


def _run_one(stage: Stage, ctx: Context, cache: StageCache) -> tuple[StageResult, str]:
    key = _key(stage, ctx)
    start = time.perf_counter()
    cached = cache.get(key) if (stage.cache and ctx.use_cache) else None
    if cached is not None:
        outputs, status, message = cached, "cached", "unchanged inputs"
    else:
        try:
            outputs, status, message = stage.run(ctx), "ok", ""
        except Skip as why:
            outputs, status, message = {}, "skipped", str(why)
        except Exception as exc:
            if stage.required:
                raise _as_run_error(stage, exc) from exc
            outputs, status, message = {}, "failed", _reason(exc)
        if status == "ok" and stage.cache:
            cache.put(key, outputs)
    if "_message" in outputs:  # a stage may leave a one-line note for the progress display
        note = str(outputs.pop("_message"))
        message = f"{message}: {note}" if status == "cached" else note
    for name, value in outputs.items():
        ctx.values[name] = value
        ctx.fingerprints[name] = digest(key, name)
    return StageResult(stage.name, status, message, time.perf_counter() - start), key


def _reason(exc: BaseException) -> str:
    if isinstance(exc, IcpError):
        return str(exc)
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _as_run_error(stage: Stage, exc: BaseException) -> RunError:
    # Notes added on the way up ("while reading tables.accounts (data/a.csv)") name the input.
    notes = "".join(f" ({n})" for n in getattr(exc, "__notes__", []))
    if isinstance(exc, IcpError):
        return RunError(
            stage.name,
            f"stage {stage.name!r} failed{notes}: {exc.message}",
            file=exc.file,
            row=exc.row,
            column=exc.column,
            value=exc.value,
            hint=exc.hint,
        )
    return RunError(stage.name, f"stage {stage.name!r} failed{notes}: {_reason(exc)}")


def run_stages(
    stages: tuple[Stage, ...],
    ctx: Context,
    cache: StageCache,
    on_event: Callable[[str, Stage, StageResult | None], None] | None = None,
) -> set[str]:
    """Run every stage in order; returns the cache keys used (to prune the rest)."""
    keys: set[str] = set()
    for stage in stages:
        if on_event:
            on_event("start", stage, None)
        try:
            result, key = _run_one(stage, ctx, cache)
        except RunError:
            ctx.results[stage.name] = StageResult(stage.name, "failed")
            raise
        keys.add(key)
        ctx.results[stage.name] = result
        if on_event:
            on_event("end", stage, result)
    return keys
