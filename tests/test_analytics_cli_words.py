"""The summaries under the analytics tables (tam, funnel, drift, ...) read as words, not Python.

A new user's `icp tam` ended with lines such as "tam: {'companies': 30000, 'value': 652730920.09}",
"missing columns: []" and "expected acv: " (nothing), and left the no-segment row's name blank.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from _helpers import icp

FIX = Path(__file__).parent / "fixtures" / "analytics"


def _summary_lines(text: str) -> list[str]:
    """Lines outside the tables."""
    return [line for line in text.splitlines() if line.strip() and line[0] not in "┏┃┡│└…"]


def test_tam_summary_reads_as_words(capsys: pytest.CaptureFixture[str]) -> None:
    code, text, err = icp(
        capsys,
        "tam",
        FIX / "universe.csv",
        "--profile",
        FIX / "profile.yaml",
        "--accounts",
        FIX / "crm_accounts.csv",
        "--value",
        "1000",
    )
    assert code == 0, err
    lines = _summary_lines(text)
    assert lines
    for line in lines:
        assert not re.search(r"[{}\[\]']", line), line  # no Python dicts or lists
        assert not line.rstrip().endswith(":"), line  # no label without a value
    assert "tam: companies 6 · value 6,000" in lines
    # the accounts in no segment are a named row, not a blank cell
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert any(line.split("│")[2].strip() == "(none)" for line in rows)
