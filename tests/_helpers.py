"""Helpers shared by several test modules (import them: ``from _helpers import icp``)."""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

import pytest


def icp(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Run the ``icp`` entry point in process: (exit code, stdout, stderr)."""
    from icpkit.cli import main

    with mock.patch.object(sys, "argv", ["icp", *map(str, args)]):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def require(ok: bool, what: str) -> None:
    """Skip a test whose system tool is missing, but fail under CI=true: CI must run it."""
    import os

    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI (make test installs it)")
    pytest.skip(f"{what} is not installed (scripts/ensure-system-deps installs it)")


def discover_world(tmp: Path, accounts: int, seed: int) -> tuple[str, Path, Path]:
    """`icp discover` on a synthetic world's training.csv, as a user runs it: the printout
    (table rows unwrapped), the profile it wrote and the data it read."""
    import contextlib
    import io

    from icpkit.cli import _app, main
    from icpkit.synth import generate

    generate(tmp / "w", n_accounts=accounts, seed=seed)
    data, out = tmp / "w" / "training.csv", tmp / "p.yaml"
    argv = ["icp", "discover", str(data), "-t", "IsWon", "-o", str(out)]
    width, _app.out.width = _app.out.width, 220  # names unwrapped
    text = io.StringIO()
    try:
        with (
            mock.patch.object(sys, "argv", argv),
            contextlib.redirect_stdout(text),
            pytest.raises(SystemExit) as done,
        ):
            main()
        assert done.value.code == 0
    finally:
        _app.out.width = width
    return text.getvalue(), out, data
