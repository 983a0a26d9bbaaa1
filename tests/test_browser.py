"""The ICP document looked at in a real browser: headless Chromium driven by Playwright.

Checks what a reader would notice: console errors, charts that did not draw, anything
fetched from the network (the report must work offline), and that the PDF has content.
Screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from _helpers import require
from icpkit.report import write_report
from icpkit.report._render import CHROMIUM_ARGS

CHROMIUM = os.environ.get("ICPKIT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`icp demo` through the real CLI main(), as `make demo` runs it (smaller world)."""
    from icpkit.cli import main
    from icpkit.workspace import load_report

    out = tmp_path_factory.mktemp("demo") / "demo-output"
    argv, stdout = sys.argv, io.StringIO()
    sys.argv = ["icp", "demo", "--out", str(out), "--accounts", "400", "--seed", "3", "--quiet"]
    try:
        with contextlib.redirect_stdout(stdout), pytest.raises(SystemExit) as done:
            main()
    finally:
        sys.argv = argv
    assert done.value.code in (0, None)
    printed = stdout.getvalue()
    html = out / "report" / "report.html"
    assert f"ICP report: {html}" in printed
    report = load_report(out)
    stages = [SimpleNamespace(**s) for s in report["run"]["stages"]]
    return SimpleNamespace(workspace=out, outputs={"html": html}, report=report, stages=stages)


@pytest.fixture
def browser() -> Any:
    """One browser per test: Playwright's sync API allows one running instance at a time."""
    require(Path(CHROMIUM).exists(), "chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright (the test extra)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    """Open a file page; collect console errors and every request that is not the file."""
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    errors: list[str] = []
    fetched: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            fetched.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load")
    return page, errors, fetched


def test_report_renders_every_chart_without_errors(demo_run: Any, browser: Any) -> None:
    html = demo_run.outputs["html"]
    page, errors, fetched = _open(browser, html)
    assert errors == []
    assert fetched == []  # works offline: no script, font, style or image from elsewhere
    charts = page.locator("[data-chart]")
    expected = len(demo_run.report["summary"]["charts"]) + sum(
        len(s["charts"]) for s in demo_run.report["sections"]
    )
    assert charts.count() == expected
    assert expected >= 5
    for i in range(charts.count()):
        chart = charts.nth(i)
        box = chart.bounding_box()
        name = chart.get_attribute("data-chart")
        assert box is not None, name
        assert box["width"] > 100, name
        assert box["height"] > 40, name
        marks = chart.locator("[data-bar]")
        assert marks.count() > 0, name
        drawn = [marks.nth(k).bounding_box() for k in range(marks.count())]
        assert any(b and b["width"] > 0 and b["height"] > 0 for b in drawn), name
    # Every section is on the page, with its data or its one-line reason.
    for s in demo_run.report["sections"]:
        section = page.locator(f"section#{s['id']}")
        assert section.count() == 1
        assert section.bounding_box()["height"] > 20
        if not s["available"]:
            assert section.locator("p.note").inner_text().strip() == s["note"]
    # The summary box a VP reads first: a headline, numbers, and what to do next.
    summary = page.locator("#summary")
    assert summary.locator(".kpi").count() >= 4
    assert summary.locator("ul.actions li").count() >= 1
    # Each piece of advice the report data holds is on the page (which advice depends on
    # the evidence: a 400-account world advises on the data, not on tier A accounts).
    text = " ".join(summary.inner_text().split())
    for action in demo_run.report["summary"]["actions"]:
        assert " ".join(action.split())[:30] in text, action
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-top.png"))
    page.screenshot(path=str(ARTIFACTS / "report-full.png"), full_page=True)
    assert (ARTIFACTS / "report-top.png").stat().st_size > 10_000
    page.close()


SECTION_OF_STAGE = {
    "market": "market",
    "funnel": "funnel",
    "committee": "committee",
    "voice": "voice",
    "quality": "quality",
}


def test_sections_follow_their_stages(demo_run: Any) -> None:
    """A stage that ran fills its section; one that did not says why, in one line."""
    stages = {s.name: s for s in demo_run.stages}
    sections = {s["id"]: s for s in demo_run.report["sections"]}
    for stage, sid in SECTION_OF_STAGE.items():
        st, sec = stages[stage], sections[sid]
        if st.status in {"ok", "cached"}:
            assert sec["available"], (stage, sec["note"])
            assert sec["charts"] or sec["tables"], stage
        else:
            assert not sec["available"]
            assert st.message in sec["note"]
    assert stages["discover"].status == "ok"
    assert sections["points"]["available"]
    assert sections["backtest"]["available"]


def _pgm(path: Path) -> np.ndarray:
    """A binary PGM (what pdftoppm -gray writes) as a 2-D array."""
    data = path.read_bytes()
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:  # magic, width, height, maxval (no comments from pdftoppm)
        while data[pos : pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5"
    width, height = int(fields[1]), int(fields[2])
    pixels = np.frombuffer(data[pos + 1 : pos + 1 + width * height], dtype=np.uint8)
    return pixels.reshape(height, width)


def test_pdf_renders_with_content(demo_run: Any, tmp_path: Path) -> None:
    require(Path(CHROMIUM).exists(), "chromium")
    require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils)")
    pdf = write_report(demo_run.report, tmp_path / "report.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    page1 = next(tmp_path.glob("page*.pgm"))
    pixels = _pgm(page1)
    ink = (pixels < 200).mean()
    assert 0.01 < ink < 0.6  # text and charts, not a blank (or black) page
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(page1, ARTIFACTS / "report-pdf-page1.pgm")


def test_cli_writes_pdf(demo_run: Any, tmp_path: Path) -> None:
    require(Path(CHROMIUM).exists(), "chromium")
    from typer.testing import CliRunner

    import icpkit.cli.commands  # noqa: F401
    from icpkit.cli import app

    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(app, ["report", str(demo_run.workspace), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 5_000
