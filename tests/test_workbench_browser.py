"""The ICP workbench in a real browser: `icp serve` on a loopback port, driven by Chromium.

Checks what a person would meet: every page opens without console errors or failed requests,
and nothing is fetched from another machine; the what-if backtest follows an edit; a saved and
promoted version is the one `POST /v1/score` uses; filters and the CSV export agree with the
library; the Voice box answers; axe-core finds no serious or critical accessibility problem.
Screenshots of each page go to the test's tmp dir (printed with -s) for a person to look at.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import numpy as np
import pytest

from _helpers import require
from icpkit.report._render import CHROMIUM_ARGS

CHROMIUM = os.environ.get("ICPKIT_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "assets" / "axe.min.js"
PAGES = {
    "overview": "/ui/",
    "points": "/ui/points",
    "accounts": "/ui/accounts",
    "market": "/ui/market",
    "voice": "/ui/voice",
    "runs": "/ui/runs",
}

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from icpkit.cli import main; sys.argv = ['icp', *sys.argv[1:]]; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A demo workspace, an admin and a read key, and `icp serve` on a free loopback port."""
    require(Path(CHROMIUM).exists(), "chromium")
    ws = tmp_path_factory.mktemp("web") / "my-icp"
    done = _cli("demo", "--out", str(ws), "--accounts", "400", "--seed", "3", "--quiet")
    assert done.returncode == 0, done.stderr
    keys = {}
    for scope in ("admin", "read"):
        made = _cli("keys", "create", str(ws), "--scope", scope, "--name", f"{scope}-person")
        assert made.returncode == 0, made.stderr
        keys[scope] = made.stdout.strip().splitlines()[-1]
    port = _free_port()
    code = "import sys; from icpkit.cli import main; sys.argv = ['icp', *sys.argv[1:]]; main()"
    log = ws.parent / "serve.log"
    out = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", str(ws), "--port", str(port), "--rate-limit", "0"],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None:
                pytest.fail(f"icp serve exited: {log.read_text()}")
            time.sleep(0.2)
        else:
            pytest.fail("icp serve did not answer /healthz within 60 s")
        shots = tmp_path_factory.mktemp("screenshots")
        print(f"\nworkbench screenshots: {shots}")
        yield SimpleNamespace(base=base, workspace=ws, keys=keys, shots=shots, port=port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        out.close()


@pytest.fixture(scope="module")
def browser(server: SimpleNamespace) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright (the test extra)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watched:
    """A page whose console errors, failed requests and off-machine requests are recorded."""

    def __init__(self, browser: Any, server: SimpleNamespace, width: int = 1280) -> None:
        self.context = browser.new_context(
            viewport={"width": width, "height": 900}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.server = server
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        self.page.on(
            "response",
            lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        self.context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith((self.server.base + "/", "data:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def sign_in(self, scope: str = "admin") -> None:
        self.page.goto(self.server.base + "/")  # the bare address opens the workbench
        assert "/ui/login" in self.page.url
        self.page.fill("#key", self.server.keys[scope])
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.server.base + "/ui/")

    def go(self, path: str) -> None:
        self.page.goto(self.server.base + path)
        self.page.wait_for_load_state("networkidle")

    def clean(self) -> None:
        assert self.errors == []
        assert self.failed == []
        assert self.outside == []  # nothing leaves the machine: no CDN, font or beacon

    def axe(self) -> list[dict[str, Any]]:
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate("async () => await axe.run(document)")
        return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]

    def close(self) -> None:
        self.context.close()


def _violations(found: list[dict[str, Any]]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in found
    ]


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_opens_clean_and_accessible(
    server: SimpleNamespace, browser: Any, width: int
) -> None:
    w = Watched(browser, server, width)
    w.sign_in()
    first_account = None
    for name, path in PAGES.items():
        w.go(path)
        assert w.page.locator("main h1").count() == 1, name
        assert w.page.title().endswith("ICP workbench"), name
        w.clean()
        assert _violations(w.axe()) == [], name
        # Readable on a phone: nothing wider than the screen but the scrollable tables.
        overflow = w.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (name, overflow)
        w.page.screenshot(path=str(server.shots / f"{name}-{width}.png"), full_page=True)
        if name == "accounts":
            first_account = w.page.locator("#accounts-table tbody a").first.get_attribute("href")
    assert first_account is not None
    w.go(first_account)
    assert w.page.locator("#why-table tbody tr").count() >= 2
    assert w.page.locator("#h-committee").count() == 1
    assert w.page.locator("#h-feedback").count() == 1
    w.clean()
    assert _violations(w.axe()) == []
    w.page.screenshot(path=str(server.shots / f"account-{width}.png"), full_page=True)
    w.close()


def test_keyboard_reaches_the_pages(server: SimpleNamespace, browser: Any) -> None:
    w = Watched(browser, server)
    w.sign_in()
    w.page.keyboard.press("Tab")
    assert w.page.evaluate("document.activeElement.textContent") == "Skip to content"
    w.page.keyboard.press("Enter")
    assert w.page.evaluate("document.activeElement.id") == "main"
    labels = []
    w.go("/ui/")
    for _ in range(8):
        w.page.keyboard.press("Tab")
        labels.append(w.page.evaluate("document.activeElement.textContent.trim()"))
    assert {"Points table", "Accounts", "Voice"} <= set(labels)
    w.clean()
    w.close()


def _metric(page: Any, key: str) -> str:
    return str(page.locator(f'[data-metric="{key}"]').inner_text())


def _library_whatif(ws: Path, profile: Any, edits: list[dict[str, Any]]) -> dict[str, Any]:
    from icpkit.whatif import WhatIf, apply_edits, load_training

    wi = WhatIf.from_training(load_training(ws))
    return wi.compare(profile, apply_edits(profile, edits))


def _active_profile(server: SimpleNamespace) -> tuple[int, Any]:
    from icpkit.profile import profile_from_dict

    h = {"Authorization": f"Bearer {server.keys['admin']}"}
    listed = httpx.get(f"{server.base}/v1/profiles", headers=h).json()
    rows = listed.get("versions", listed) if isinstance(listed, dict) else listed
    active = next(v["version"] for v in rows if v.get("active"))
    body = httpx.get(
        f"{server.base}/v1/profiles/{active}", headers={**h, "Accept": "application/json"}
    ).json()
    return active, profile_from_dict(body.get("profile", body))


def test_edit_a_point_and_the_backtest_follows(server: SimpleNamespace, browser: Any) -> None:
    w = Watched(browser, server)
    w.sign_in()
    w.go("/ui/points")
    first = w.page.locator("input.pts").first
    attr, b = first.get_attribute("data-attr"), first.get_attribute("data-bin")
    first.fill("-60")
    w.page.wait_for_selector('[data-metric="auc-edited"]')
    current, edited = _metric(w.page, "auc-current"), _metric(w.page, "auc-edited")
    assert current != edited  # a big penalty on one bin moves the ranking
    _, profile = _active_profile(server)
    expected = _library_whatif(
        server.workspace, profile, [{"op": "points", "attribute": attr, "bin": b, "points": -60}]
    )
    assert current == f"{expected['current']['auc']:.3f}"
    assert edited == f"{expected['edited']['auc']:.3f}"
    assert (
        _metric(w.page, "ab-edited") == f"{100 * expected['edited']['ab_share_of_successes']:.1f}%"
    )
    # A hypothesis written as rules is back-tested as a segment too.
    w.page.fill("#hypo-name", "Mid-market software")
    w.page.fill("#hypo-rules", "industry in Software\nemployees between 50 and 1000")
    w.page.click("#run-whatif")
    w.page.wait_for_selector("text=Mid-market software")
    w.page.screenshot(path=str(server.shots / "points-whatif.png"), full_page=True)
    w.page.locator("#whatif-result").screenshot(path=str(server.shots / "whatif-result.png"))
    # A rule the page cannot read is said in words, where the answer would be.
    w.page.fill("#hypo-rules", "employees is big")
    w.page.click("#run-whatif")
    alert = w.page.locator("#whatif-result p.error")
    alert.wait_for()
    assert "cannot read" in alert.inner_text()
    assert [f.split()[0] for f in w.failed] == ["422"]  # the one refused edit, nothing else
    assert len(w.errors) == 1  # Chromium logs every 4xx answer to a fetch
    assert "status of 422" in w.errors[0]
    w.failed.clear()
    w.errors.clear()
    w.clean()
    w.close()


def test_save_and_promote_then_the_api_scores_with_it(
    server: SimpleNamespace, browser: Any
) -> None:
    from icpkit.scoring import score_table

    before, profile = _active_profile(server)
    attr = next(a for a in profile.attributes if a.kind == "numeric")
    w = Watched(browser, server)
    w.sign_in("admin")
    w.go("/ui/points")
    for i in range(len(attr.bins)):  # every bin of one attribute +25: every score moves
        box = w.page.locator(f'input.pts[data-attr="{attr.name}"][data-bin="{i}"]')
        box.fill(str(attr.bins[i].points + 25))
    # Leaving the last points box (to type the note) runs one more what-if: wait for its answer,
    # or the save's navigation aborts it (a failed request, not an app error).
    with w.page.expect_response(lambda r: "/ui/api/whatif" in r.url):
        w.page.fill("#note", "sales hunch: size matters more")
    w.page.click("#save button[type=submit]")
    w.page.wait_for_selector("p.ok")
    saved = int(w.page.url.split("saved=")[1])
    assert saved > before
    w.page.click(f"text=Promote {saved}")
    w.page.wait_for_load_state("networkidle")
    assert "This version scores now." in w.page.inner_text("main")
    w.clean()
    w.close()

    record = {
        "name": "Acme",
        "industry": "Software",
        "employees": 400,
        "annual_revenue": 50_000_000,
        "country": "DE",
    }
    h = {"Authorization": f"Bearer {server.keys['admin']}"}
    answer = httpx.post(f"{server.base}/v1/score", json={"records": [record]}, headers=h)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["profile_version"] == saved
    active, new_profile = _active_profile(server)
    assert active == saved
    assert [a.bins[0].points for a in new_profile.attributes if a.name == attr.name] == [
        attr.bins[0].points + 25
    ]
    import pandas as pd

    frame = pd.DataFrame([{c: record.get(c) for c in new_profile.columns}])
    for c in frame.columns:
        if frame[c].isna().all():
            frame[c] = frame[c].astype("object")
    old_score = int(score_table(profile, frame).column("icp_score")[0].as_py())
    assert body["results"][0]["icp_score"] != old_score or old_score in (0, 100)


def test_read_key_cannot_save_or_post_without_csrf(server: SimpleNamespace, browser: Any) -> None:
    w = Watched(browser, server)
    w.sign_in("read")
    w.go("/ui/points")
    assert w.page.locator("#save button[type=submit]").count() == 0
    assert "read-only" in w.page.inner_text("header")
    csrf = w.page.locator("#save input[name=csrf]").get_attribute("value")
    cookies = {c["name"]: c["value"] for c in w.context.cookies()}
    w.close()
    with httpx.Client(base_url=server.base, cookies=cookies) as c:
        form = {"author": "x", "note": "y", "edits": "[]", "version": ""}
        assert c.post("/ui/points/save", data={**form, "csrf": csrf}).status_code == 403
        assert c.post("/ui/points/save", data=form).status_code == 403  # no CSRF token
        assert c.post("/ui/api/whatif", json={"edits": []}).status_code == 403


def test_filter_accounts_and_download_the_view(server: SimpleNamespace, browser: Any) -> None:
    from icpkit.workbench import Workbench

    w = Watched(browser, server)
    w.sign_in("read")
    w.go("/ui/accounts")
    w.page.select_option("#f-tier", "A")
    w.page.fill("#f-min", "100")
    w.page.click("form.filters button[type=submit]")
    w.page.wait_for_load_state("networkidle")
    assert "tier=A" in w.page.url
    frame = Workbench(server.workspace).accounts()
    total = int(((frame["icp_tier"] == "A") & (frame["employees"] >= 100)).sum())
    assert total > 0
    assert w.page.inner_text("#match-count") == f"{total:,}"
    tiers = w.page.locator("#accounts-table tbody td .tier").all_inner_texts()
    assert tiers
    assert set(tiers) == {"A"}
    with w.page.expect_download() as info:
        w.page.click("#csv")
    path = info.value.path()
    text = Path(path).read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == total
    assert {r["icp_tier"] for r in rows} == {"A"}
    assert all(float(r["employees"]) >= 100 for r in rows)
    for r in rows:  # formula-injection safe: no text cell a spreadsheet would run
        for k, v in r.items():
            if k not in ("icp_score", "employees", "annual_revenue"):
                assert not v.startswith(("=", "+", "-", "@")), (k, v)
    w.clean()
    w.close()


def test_ask_the_feedback(server: SimpleNamespace, browser: Any) -> None:
    w = Watched(browser, server)
    w.sign_in("read")
    w.go("/ui/voice")
    w.page.fill("#q", "Why do they choose us over a competitor?")
    w.page.click("form[role=search] button[type=submit]")
    w.page.wait_for_selector("#answer")
    quotes = w.page.locator("#answer blockquote")
    assert quotes.count() >= 1
    assert w.page.locator("#answer blockquote footer").first.inner_text().strip()
    w.page.screenshot(path=str(server.shots / "voice-answer.png"), full_page=True)
    w.clean()
    w.close()


def test_csv_cells_are_formula_safe() -> None:
    import pandas as pd

    from icpkit.workbench import csv_text

    text = csv_text(pd.DataFrame({"name": ["=HYPERLINK(1)", "Acme"], "score": [1, 2]}))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert rows[2] == ["Acme", "2"]
    assert np.array_equal([r[1] for r in rows[1:]], ["1", "2"])
