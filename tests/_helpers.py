"""Helpers shared by several test modules (import them: ``from _helpers import icp``)."""

from __future__ import annotations

import sys
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
