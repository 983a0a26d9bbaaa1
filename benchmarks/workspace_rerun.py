"""How much the stage cache saves: `icp run` on a synthetic world, then again unchanged,
then after one input file (the feedback) changed.

    .venv/bin/python benchmarks/workspace_rerun.py [--accounts 3000] [--seed 0]

Prints the wall time of each run and of its slowest stages.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from icpkit.workspace import RunResult, demo, run_workspace


def _timed(label: str, fn: Callable[[], RunResult]) -> None:
    start = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - start
    slow = sorted(result.stages, key=lambda s: s.seconds, reverse=True)[:3]
    cached = sum(s.status == "cached" for s in result.stages)
    top = ", ".join(f"{s.name} {s.seconds:.1f}s" for s in slow)
    print(f"{label:<32} {wall:7.2f} s   cached stages {cached:2d}   slowest: {top}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        print(f"synthetic world: {args.accounts:,} accounts (seed {args.seed})")
        _timed("first run (icp demo)", lambda: demo(ws, n_accounts=args.accounts, seed=args.seed))
        _timed("second run, inputs unchanged", lambda: run_workspace(ws))
        feedback = ws / "data" / "feedback.csv"
        feedback.write_text(feedback.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        _timed("third run, feedback changed", lambda: run_workspace(ws))


if __name__ == "__main__":
    main()
