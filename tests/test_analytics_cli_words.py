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
    assert "TAM: companies 6 · value $6,000" in lines
    # the accounts in no segment are a named row, not a blank cell
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert any(line.split("│")[2].strip() == "(none)" for line in rows)


def test_funnel_conversions_read_as_percentages(capsys: pytest.CaptureFixture[str]) -> None:
    """'lead to mql 0.704' beside 'win rate 66.4%': every conversion is a share of leads."""
    from icpkit.cli import _app

    width, _app.out.width = _app.out.width, 240
    try:
        code, text, err = icp(
            capsys, "funnel", FIX / "leads.csv", "--profile", FIX / "profile.yaml"
        )
    finally:
        _app.out.width = width
    assert code == 0, err
    # the second table holds the conversions (the first counts the leads at each stage)
    part = text[text.index("conversion from stage to stage") :]
    head = next(line for line in part.splitlines() if line.startswith("┃"))
    names = [c.strip() for c in head.split("┃")[1:-1]]
    rows = [
        [c.strip() for c in line.split("│")[1:-1]]
        for line in part.splitlines()
        if line.startswith("│")
    ]
    a = dict(zip(names, next(r for r in rows if r[0] == "A"), strict=True))
    assert a["lead → MQL"] == "100.0%"
    assert a["SQL → opportunity"] == "75.0%"
    assert a["lead → won"] == "50.0%"
    lines = _summary_lines(text)
    assert "tier share: A 33.3% · B 16.7% · C 25.0% · D 25.0%" in lines
    assert "lead to won by tier: A 50.0% · B 0.0% · C 0.0% · D 0.0% · all 16.7%" in lines
