"""Workspaces: `icp init`, `icp run` (the staged pipeline), the run store and the stage cache."""

from ._cache import StageCache
from ._config import CONFIG_NAME, WorkspaceConfig, load_config
from ._demo import demo
from ._init import init_workspace, render_config
from ._pipeline import RunError, Skip, Stage, StageResult
from ._run import STAGES, RunResult, last_accounts, last_scores, load_report, run_workspace
from ._store import RunRecord, RunStore

__all__ = [
    "CONFIG_NAME",
    "STAGES",
    "RunError",
    "RunRecord",
    "RunResult",
    "RunStore",
    "Skip",
    "Stage",
    "StageCache",
    "StageResult",
    "WorkspaceConfig",
    "demo",
    "init_workspace",
    "last_accounts",
    "last_scores",
    "load_config",
    "load_report",
    "render_config",
    "run_workspace",
]
