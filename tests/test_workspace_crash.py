"""Crash safety of the workspace: SIGKILL at any moment, two runs at once, readers during a run.

Each kill leaves ``report/`` showing exactly one committed run (report, profile and scores
of the same run), the store opens, no temporary files survive the next start, and the
next run succeeds. The runs apply a given profile (no learning), so each takes seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from icpkit.profile import load_profile
from icpkit.workspace import RunStore, init_workspace, last_scores, load_report, run_workspace
from icpkit.workspace._demo import DEMO_MAPPINGS
from icpkit.workspace._outputs import WorkspaceLock

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and symlinks are POSIX")

ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
ENTRY = "from icpkit.cli import main; main()"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with one successful run, set to apply its learned profile from now on."""
    from icpkit.synth import generate

    ws = tmp_path_factory.mktemp("crash") / "ws"
    generate(ws / "data", n_accounts=600, seed=5)
    init_workspace(
        ws,
        tables={"accounts": "data/accounts.csv", "deals": "data/deals.csv"},
        mappings={k: DEMO_MAPPINGS[k] for k in ("accounts", "deals")},
        target="won",
    )
    run_workspace(ws)
    shutil.copy(ws / "report" / "profile.yaml", ws / "given.yaml")
    config = yaml.safe_load((ws / "icp.yaml").read_text("utf-8"))
    config.setdefault("options", {})["profile"] = "given.yaml"
    (ws / "icp.yaml").write_text(yaml.safe_dump(config), "utf-8")
    run_workspace(ws)
    return ws


@pytest.fixture
def ws(base: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "ws"
    shutil.copytree(base, copy, symlinks=True)
    return copy


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", ENTRY, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def _kill_after_line(proc: subprocess.Popen[str], marker: str | None, delay: float) -> bool:
    """SIGKILL ``proc`` ``delay`` s after a stderr line containing ``marker`` (or at start)."""
    assert proc.stderr is not None
    if marker is not None:
        for line in proc.stderr:
            if marker in line:
                break
        else:
            return False  # the process ended before that point
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)  # reap it and close its pipes
    return True


def _wait_for_temporary(proc: subprocess.Popen[str], folder: Path, size: int) -> bool:
    """Wait until ``proc`` has written ``size`` bytes to a new temporary file in ``folder``."""
    seen = {p.name for p in folder.iterdir()}
    while proc.poll() is None:
        for p in folder.iterdir():
            if p.name.endswith(".tmp") and p.name not in seen:
                try:
                    if p.stat().st_size >= size:
                        return True
                except FileNotFoundError:  # renamed into place meanwhile
                    pass
        time.sleep(0.01)
    return False


def _assert_consistent(ws: Path) -> int:
    """report/ shows one committed run whole: report, profile and scores all of that run."""
    with RunStore(ws / ".icp" / "runs.duckdb", read_only=True) as store:
        ok = {r.run_id: r for r in store.runs("ok")}
        report = json.loads((ws / "report" / "report.json").read_text("utf-8"))
        run_id = report["run"]["run_id"]
        assert run_id in ok, f"report/ shows run {run_id}, not a committed one {sorted(ok)}"
        stored = store.scores(run_id).to_pandas()
    files = pd.read_csv(ws / "report" / "scores.csv", dtype={"account_id": str})
    assert len(files) == len(stored)
    merged = files.merge(stored, on="account_id")
    assert len(merged) == len(stored)
    assert (merged["icp_score"] == merged["score"]).all()
    assert (merged["icp_tier"] == merged["tier"]).all()
    profile = load_profile(ws / "report" / "profile.yaml")
    assert profile.version == ok[run_id].profile_version
    return int(run_id)


def _leftovers(ws: Path) -> list[Path]:
    found = [p for p in ws.rglob("*") if p.name.endswith(".tmp") or ".staging-" in p.name]
    cache = ws / ".icp" / "cache"
    found += [p for p in cache.iterdir() if p.name.startswith(".")] if cache.is_dir() else []
    return found


@pytest.mark.parametrize(
    ("marker", "delay"),
    [
        (None, 0.8),  # during intake
        ("score", 0.0),  # right after scoring, the analyses running
        ("report", 0.0),  # outputs being written / committed / published
        ("report", 0.05),
        ("report", 0.15),
    ],
)
def test_sigkill_during_run_leaves_one_whole_run(ws: Path, marker: str | None, delay: float):
    before = _assert_consistent(ws)
    with _start("run", str(ws), "--no-cache") as proc:
        _kill_after_line(proc, marker, delay)
    with RunStore(ws / ".icp" / "runs.duckdb", read_only=True):
        pass  # the store opens after a kill
    after = _assert_consistent(ws)
    assert after >= before
    result = run_workspace(ws)  # the next run succeeds and cleans what the kill left
    assert _assert_consistent(ws) == result.run_id
    assert _leftovers(ws) == []
    assert sorted(p.name for p in (ws / ".icp" / "outputs").iterdir()) == [str(result.run_id)]


def test_second_run_while_one_holds_the_workspace_exits_busy(ws: Path) -> None:
    with WorkspaceLock(ws / ".icp"), _start("run", str(ws)) as proc:
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "workspace busy" in err
    assert "Traceback" not in err
    _assert_consistent(ws)


def test_two_runs_at_once_never_corrupt(ws: Path) -> None:
    procs = [_start("run", str(ws), "--no-cache") for _ in range(2)]
    results = []
    for p in procs:
        with p:
            _, err = p.communicate(timeout=300)
            results.append((p.returncode, err))
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2])  # the second either ran after the first, or was refused
    for code, err in results:
        assert code == 0 or "workspace busy" in err
    _assert_consistent(ws)
    assert _leftovers(ws) == []


def test_report_and_export_serve_the_last_run_while_a_run_is_going(ws: Path) -> None:
    last = _assert_consistent(ws)
    with _start("run", str(ws), "--no-cache") as proc:
        _serve_while_running(ws, proc, last)
    assert proc.returncode == 0
    assert _assert_consistent(ws) == last + 1
    # The import file exported from the last run is remade from the new run's scores
    remade = pd.read_csv(ws / "report" / "hubspot_import.csv", dtype=str)
    scores = pd.read_csv(ws / "report" / "scores.csv", dtype=str)
    assert len(remade) == len(scores)


def _serve_while_running(ws: Path, proc: subprocess.Popen[str], last: int) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:
        if "intake:accounts" in line:
            break
    try:
        assert proc.poll() is None  # the run is still going
        assert load_report(ws)["run"]["run_id"] == last
        assert last_scores(ws).num_rows > 0
        out = subprocess.run(
            [sys.executable, "-c", ENTRY, "export", str(ws), "--for", "hubspot"],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        assert (ws / "report" / "hubspot_import.csv").stat().st_size > 0
    finally:
        proc.communicate(timeout=300)


def test_killed_score_leaves_old_output_whole_and_no_temporaries(ws: Path, tmp_path: Path):
    profile = ws / "given.yaml"
    small = ws / "data" / "accounts.csv"
    out = tmp_path / "scored.csv"
    code = subprocess.run(
        [sys.executable, "-c", ENTRY, "score", str(small), "-p", str(profile), "-o", str(out)],
        capture_output=True,
        env=ENV,
        timeout=120,
    ).returncode
    assert code == 0
    good = out.read_bytes()
    frame = pd.read_csv(small, dtype=str)
    big = tmp_path / "big.csv"
    pd.concat([frame] * 300).to_csv(big, index=False)  # 180,000 rows: seconds to score
    left: set[str] = set()
    for written in (1, 1 << 20):  # killed once the first batch is out, and after 1 MB
        args = ("score", str(big), "-p", str(profile), "-o", str(out), "--batch-rows", "4096")
        with _start(*args) as proc:
            assert _wait_for_temporary(proc, tmp_path, written), "score ended before the kill"
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
        assert out.read_bytes() == good  # the previous output, whole
        left |= {p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")}
    assert len(left) == 2  # the kills did leave half-written temporaries ...
    with _start("score", str(small), "-p", str(profile), "-o", str(out)) as proc:
        proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert out.read_bytes() == good
    # ... and the next write into the folder removed them
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_workspace_from_before_run_folders_keeps_its_files(ws: Path) -> None:
    report = ws / "report"
    real = ws / "old_report"
    shutil.copytree(report, real)
    (real / "my_notes.txt").write_text("mine", "utf-8")
    report.unlink()
    real.rename(report)  # report/ as a plain folder, as older versions wrote it
    result = run_workspace(ws)
    assert (ws / "report").is_symlink()
    assert _assert_consistent(ws) == result.run_id
    kept = ws / ".icp" / "outputs" / "before-run-folders" / "report" / "my_notes.txt"
    assert kept.read_text("utf-8") == "mine"
