"""A run's outputs are replaced together or not at all, and one run writes at a time.

Every file a run produces (the report in three formats, the profile, the scores, the CRM
exports, the accounts snapshot used for drift) is written into its own folder
``.icp/outputs/<run_id>/``; ``report`` is a symbolic link to that run's ``report/``
folder. Publishing a run is one atomic step, the rename of a new link over the old one,
done right after the run is committed to the store. So ``report/`` always shows exactly
one run, whatever moment a process is killed at:

- killed before the commit: the half-written folder is not in the store and is removed at
  the next start; ``report`` still shows the previous run;
- killed between the commit and the link: the next start (or reader) points the link at
  the last committed run.

A lock file (``.icp/run.lock``, released by the OS when its holder dies, even by SIGKILL)
keeps a second ``icp run`` from writing at the same time: it exits with "workspace busy".
Readers (`icp report`, `icp export`) take no lock: they read the last committed run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from filelock import FileLock, Timeout

from ..atomic import remove_stale_temporaries
from ..errors import ConfigError

__all__ = [
    "OUTPUTS",
    "REPORT_DIR",
    "WorkspaceLock",
    "publish",
    "recover",
    "run_folder",
    "staging_folder",
]

REPORT_DIR = "report"
OUTPUTS = "outputs"
_STAGING = ".staging-"


def _outputs(state: Path) -> Path:
    return state / OUTPUTS


def run_folder(state: Path, run_id: int) -> Path:
    """``.icp/outputs/<run_id>``: ``report/`` (what users open) and ``accounts.parquet``."""
    return _outputs(state) / str(run_id)


def staging_folder(state: Path) -> Path:
    """A fresh folder for the outputs of the run in progress (renamed once complete)."""
    folder = _outputs(state) / f"{_STAGING}{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / REPORT_DIR).mkdir(parents=True)
    return folder


class WorkspaceLock:
    """Exclusive right to change a workspace; a second holder gets "workspace busy" (exit 2)."""

    def __init__(self, state: Path, timeout: float = 0.0) -> None:
        state.mkdir(parents=True, exist_ok=True)
        self.path = state / "run.lock"
        self.timeout = timeout
        self.lock = FileLock(str(self.path))

    def __enter__(self) -> WorkspaceLock:
        try:
            self.lock.acquire(timeout=self.timeout)
        except Timeout:
            raise ConfigError(
                "workspace busy: another `icp run` is writing it",
                file=str(self.path.parent.parent),
                hint="Wait for it to finish (icp report and icp export still work meanwhile)",
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()

    def try_acquire(self) -> bool:
        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            return False
        return True


def _link_target(link: Path) -> Path | None:
    if not link.is_symlink():
        return None
    return (link.parent / os.readlink(link)).resolve()


def publish(workspace: Path, folder: Path) -> None:
    """Point ``workspace/report`` at ``folder/report`` in one atomic rename."""
    link = workspace / REPORT_DIR
    if link.exists() and not link.is_symlink():
        # A workspace from before run folders: keep its files, out of the way, once.
        legacy = _outputs(folder.parent.parent) / "before-run-folders"
        shutil.rmtree(legacy, ignore_errors=True)
        legacy.mkdir(parents=True)
        os.replace(link, legacy / REPORT_DIR)
    tmp = workspace / f".{REPORT_DIR}.{os.getpid()}.link"
    tmp.unlink(missing_ok=True)
    try:
        os.symlink(os.path.relpath(folder / REPORT_DIR, workspace), tmp, target_is_directory=True)
    except OSError:  # no symbolic links here (Windows without the privilege): copy, file by file
        _copy_into(folder / REPORT_DIR, link)
        return
    os.replace(tmp, link)


def _copy_into(source: Path, target: Path) -> None:
    """Fallback publication: each file atomically, the set of files not at once."""
    from ..atomic import atomic_path

    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        with atomic_path(target / path.name) as tmp:
            shutil.copyfile(path, tmp)


def recover(workspace: Path, state: Path, committed: list[int]) -> None:
    """Make the workspace show the last committed run; drop what killed runs left behind.

    ``committed`` lists the run ids of successful runs, oldest first. Call it holding the
    workspace lock (a run in progress owns its staging folder).
    """
    remove_stale_temporaries(workspace)
    remove_stale_temporaries(state)
    outputs = _outputs(state)
    cache = state / "cache"
    if cache.is_dir():  # half-written cache entries (hidden temporary folders)
        for entry in cache.iterdir():
            if entry.name.startswith("."):
                shutil.rmtree(entry, ignore_errors=True)
    if not outputs.is_dir():
        return
    last = committed[-1] if committed else None
    current = _link_target(workspace / REPORT_DIR)
    folder = None if last is None else run_folder(state, last)
    shown = None if folder is None else (folder / REPORT_DIR).resolve()
    if folder is not None and shown is not None and shown.is_dir() and current != shown:
        publish(workspace, folder)  # killed between commit and link
        current = shown
    keep = {str(last)} if last is not None else set()
    for entry in outputs.iterdir():
        if entry.name == "before-run-folders" or entry.name in keep:
            continue
        if current is not None and current.is_relative_to(entry.resolve()):
            continue  # never remove what report/ shows
        shutil.rmtree(entry, ignore_errors=True)
