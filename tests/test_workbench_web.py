"""The workbench's sign-in, sessions and CSRF, in process (the browser test covers the pages)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from icpkit.service.app import create_app
from icpkit.service.auth import create_key
from icpkit.service.settings import Settings

PROFILE = {
    "name": "t",
    "attributes": [
        {
            "name": "employees",
            "kind": "numeric",
            "bins": [{"upper": 50, "points": 10}, {"lower": 50, "points": 60}],
        }
    ],
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    target = tmp_path / "icp.yaml"
    target.write_text(yaml.safe_dump(PROFILE))
    app = create_app(Settings(target=target, webhooks=False, rate_per_second=0))
    with TestClient(app) as client:
        app.state.client = client
        yield app


def _key(app: Any, scope: str) -> tuple[str, str]:
    key, record = create_key(app.state.service.store, scope, f"{scope}-person")
    return key, record.key_id


def test_the_address_opens_the_sign_in_page(app: Any) -> None:
    c = app.state.client
    first = c.get("/", follow_redirects=False)
    assert first.status_code == 307
    assert first.headers["location"] == "/ui/"
    page = c.get("/ui/points", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/ui/login?next=%2Fui%2Fpoints"


def test_only_read_and_admin_keys_sign_in(app: Any) -> None:
    c = app.state.client
    score, _ = _key(app, "score")
    bad = c.post("/ui/login", data={"key": score})
    assert "needs &#39;read&#39;" in bad.text
    assert "icp_session" not in c.cookies
    wrong = c.post("/ui/login", data={"key": "icp_nope_nope"})
    assert "That key is not valid." in wrong.text
    read, _ = _key(app, "read")
    ok = c.post(
        "/ui/login", data={"key": read, "next": "https://evil.example/"}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert ok.headers["location"] == "/ui/"  # never a redirect to another site
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert read not in cookie  # the key itself never goes into the cookie


def test_a_revoked_key_ends_its_sessions(app: Any) -> None:
    c = app.state.client
    read, key_id = _key(app, "read")
    c.post("/ui/login", data={"key": read})
    assert c.get("/ui/points/diff?a=1&b=1", follow_redirects=False).status_code == 200
    app.state.service.store.revoke_key(key_id)
    app.state.service.keys.clear()  # the service re-reads keys within a second anyway
    gone = c.get("/ui/points/diff?a=1&b=1", follow_redirects=False)
    assert gone.status_code == 303


def test_forms_need_the_csrf_token_and_saving_an_admin_key(app: Any) -> None:
    c = app.state.client
    read, _ = _key(app, "read")
    c.post("/ui/login", data={"key": read})
    form = {"author": "a", "note": "b", "edits": "[]", "version": ""}
    assert c.post("/ui/points/save", data=form).status_code == 403  # no token
    whatif = c.post("/ui/api/whatif", json={"edits": []})
    assert whatif.status_code == 403
    assert whatif.headers["content-type"].startswith("application/json")
    admin, _ = _key(app, "admin")
    c.post("/ui/login", data={"key": admin})
    # The token is the session's: read it from a page the session can see.
    page = c.get("/ui/points/diff?a=1&b=1")
    assert page.status_code == 200
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    saved = c.post(
        "/ui/points/save",
        data={**form, "csrf": token, "edits": '[{"op": "tiers", "A": 90, "B": 60, "C": 30}]'},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/ui/points?version=2&saved=2"
    versions = app.state.service.versions()
    assert [(v["version"], v["author"], v["note"]) for v in versions][-1] == (2, "a", "b")
    assert versions[-1]["active"] is False  # saving does not promote
    promoted = c.post(
        "/ui/points/promote", data={"version": 2, "csrf": token}, follow_redirects=False
    )
    assert promoted.status_code == 303
    assert app.state.service.store.active_version() == 2


def test_pages_that_need_a_workspace_say_so(app: Any) -> None:
    c = app.state.client
    read, _ = _key(app, "read")
    c.post("/ui/login", data={"key": read})
    page = c.get("/ui/")
    assert page.status_code == 400
    assert "need a workspace" in page.text
    assert page.headers["content-type"].startswith("text/html")


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from icpkit.workspace._demo import demo

    ws = tmp_path_factory.mktemp("lookweb") / "ws"
    demo(ws, n_accounts=400, seed=3)
    return ws


def test_the_market_page_lists_the_lookalikes_of_the_last_run(
    demo_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import html

    import pyarrow.parquet as pq

    import icpkit.workbench as workbench
    from icpkit.workspace import run_workspace

    monkeypatch.setattr(workbench, "_RECHECK", 0.0)
    csv = demo_ws / "report" / "lookalikes.csv"
    assert csv.exists()
    table = pq.read_table(
        sorted((demo_ws / ".icp" / "cache").glob("*/lookalikes_table.parquet"))[-1]
    )
    names = table.column("name").to_pylist()
    app = create_app(Settings(target=demo_ws, webhooks=False, rate_per_second=0))
    with TestClient(app) as c:
        key, _ = create_key(app.state.service.store, "read", "reader")
        c.post("/ui/login", data={"key": key})
        page = c.get("/ui/market")
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert "Companies like your best customers" in text
        assert f"{len(names)} companies in the market" in text
        assert "the first 50 are listed" in text
        for name in names[:50]:
            assert f"<td>{name}</td>" in text
        listed = page.text.split('id="lookalikes"')[1].split("</section>")[0]
        assert listed.count("<tr>") == 1 + 50  # the header and the top 50
        for words in ("nearest best customers", "traits shared", "fit score"):
            assert words in text
        assert "shared_traits" not in text
        assert "nearest_seeds" not in text
        assert text.count("lookalikes.csv") == 1  # the report's own top 10 is not repeated

        # A run without a universe computes none: the page says so and how to get them.
        cfg = yaml.safe_load((demo_ws / "icp.yaml").read_text("utf-8"))
        cfg.pop("universe", None)
        (demo_ws / "icp.yaml").write_text(yaml.safe_dump(cfg), "utf-8")
        run_workspace(demo_ws)
        page = c.get("/ui/market")
        assert page.status_code == 200
        assert "No lookalikes were computed" in page.text
        assert "universe:" in page.text
        assert names[0] not in html.unescape(page.text)
