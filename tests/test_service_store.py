"""The service store on DuckDB (default) and PostgreSQL (the suite's throwaway cluster);
`icp serve` as a real process; `icp keys`; accounts of a workspace, filtered and paged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import icpkit
from _helpers import icp
from _service_helpers import Receiver, bearer, free_port, new_key, running, settings_for, wait_for
from icpkit.service.auth import create_key, hash_secret
from icpkit.service.store import ServiceStore
from icpkit.service.webhooks import add_webhook, deliver_due, emit
from icpkit.workspace import last_scores, run_workspace
from test_workspace import PROFILE, make_workspace


@pytest.fixture(params=["duckdb", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "duckdb":
        return str(tmp_path / "service.duckdb")
    base: str = request.getfixturevalue("postgres_url")
    # A fresh schema per test: the cluster is shared by the session.
    import psycopg

    schema = f"svc_{os.getpid()}_{abs(hash(str(tmp_path))) % 10**8}"
    with psycopg.connect(base, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    path = tmp_path / "icp.yaml"
    path.write_text(yaml.safe_dump(PROFILE), encoding="utf-8")
    return path


def test_store_keys_versions_webhooks_round_trip(store_url: str) -> None:
    store = ServiceStore(store_url)
    key, record = create_key(store, "read", "analyst")
    secret = key.split("_", 2)[2]
    assert store.key(record.key_id) == record
    assert record.hash == hash_secret(secret)
    assert secret not in json.dumps([k.public() for k in store.list_keys()])
    assert store.revoke_key(record.key_id)
    assert store.key(record.key_id).revoked is not None  # type: ignore[union-attr]
    assert not store.has_active_key()
    assert store.save_version(lambda n: f"version: {n}\n", author="a", note="first") == 1
    assert store.save_version(lambda n: f"version: {n}\n", author="b", note=None) == 2
    assert [v.body for v in store.versions()] == ["version: 1\n", "version: 2\n"]
    store.promote(2)
    assert store.active_version() == 2
    hook, _ = add_webhook(store, "http://127.0.0.1:9/x", ["new_tier_a"])
    [event_id] = emit(store, [("new_tier_a", {"account_id": "x"})])
    assert store.pending_count() == 1
    assert store.swap_tiers([("x", "A", 90), ("y", "B", 60)]) == {"x": None, "y": None}
    assert store.swap_tiers([("x", "C", 40)]) == {"x": "A"}
    deliver_due(store, attempts=1, timeout=1.0)  # nobody listens on port 9: gives up
    log = store.deliveries()
    assert [(r["event_id"], r["status"]) for r in log] == [(event_id, "failed")]
    assert store.remove_webhook(hook.webhook_id)
    assert store.webhooks() == []


def test_server_on_the_store_scores_promotes_and_delivers(
    store_url: str, profile_file: Path
) -> None:
    settings = settings_for(profile_file, store=store_url)
    key = new_key(settings, "admin")
    receiver = Receiver(free_port()).start()
    try:
        add_webhook(ServiceStore(store_url), receiver.url, ["new_tier_a"])
        with running(settings) as (url, _), httpx.Client(headers=bearer(key)) as client:
            lead = {"records": [{"Account ID": "p-1", "Industry": "Software", "Employees": "300"}]}
            first = client.post(f"{url}/v1/score", json=lead).json()
            assert first["results"][0]["icp_tier"] == "A"
            profile = client.get(f"{url}/v1/profiles/1").json()
            profile["tiers"] = {"A": 99, "B": 98, "C": 97}
            assert client.post(f"{url}/v1/profiles", json=profile).json()["version"] == 2
            client.post(f"{url}/v1/profiles/2/promote")
            second = client.post(f"{url}/v1/score", json=lead).json()
            assert second["profile_version"] == 2
            assert second["results"][0]["icp_tier"] == "D"
            kind = "postgresql" if store_url.startswith("postgresql") else "duckdb"
            assert client.get(f"{url}/healthz").json()["store"] == kind
            wait_for(lambda: len(receiver.events()) == 1)
    finally:
        receiver.stop()
    assert receiver.events()[0]["data"]["account_id"] == "p-1"
    assert ServiceStore(store_url).active_version() == 2


def test_workspace_accounts_filtered_and_paged(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    run_workspace(ws)
    scores = last_scores(ws).to_pylist()
    settings = settings_for(ws)
    key = new_key(settings, "read")
    with running(settings) as (url, _), httpx.Client(headers=bearer(key)) as client:
        everything: list[dict[str, object]] = []
        cursor = None
        while True:
            params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
            page = client.get(f"{url}/v1/accounts", params=params).json()
            assert page["total"] == len(scores)
            everything += page["accounts"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(a["account_id"] for a in everything) == sorted(
            s["account_id"] for s in scores
        )
        ordered = [a["icp_score"] for a in everything]
        assert ordered == sorted(ordered, reverse=True)
        tier_a = client.get(f"{url}/v1/accounts", params={"tier": "a", "limit": 1000}).json()
        assert tier_a["total"] == sum(s["icp_tier"] == "A" for s in scores)
        assert {a["icp_tier"] for a in tier_a["accounts"]} <= {"A"}
        segment = PROFILE["segments"][0]["name"]
        seg = client.get(f"{url}/v1/accounts", params={"segment": segment, "limit": 1000}).json()
        assert seg["total"] == sum(s["icp_segment"] == segment for s in scores) > 0
        found = client.get(f"{url}/v1/accounts", params={"q": "COMPANY 1"}).json()
        assert found["total"] == sum("company 1" in str(s.get("name", "")).lower() for s in scores)
        assert client.get(f"{url}/v1/accounts", params={"cursor": "x"}).status_code == 422


def _cli_env() -> dict[str, str]:
    src = str(Path(icpkit.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


@pytest.fixture
def serve_process(profile_file: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from icpkit.cli import main; main()",
            "serve",
            str(profile_file),
            "--port",
            str(port),
        ],
        env=_cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=20)  # also closes the pipes
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def test_icp_serve_process_answers(
    serve_process: tuple[str, subprocess.Popen[bytes]],
    profile_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, proc = serve_process

    def up() -> bool:
        try:
            return httpx.get(f"{url}/healthz").status_code == 200
        except httpx.TransportError:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            return False

    wait_for(up, seconds=60)
    code, out, _ = icp(capsys, "keys", "create", profile_file, "--scope", "score", "--json")
    assert code == 0
    key = json.loads(out)["key"]
    body = {"records": [{"Industry": "Software", "Employees": "300"}]}
    response = httpx.post(f"{url}/v1/score", json=body, headers=bearer(key))
    assert response.status_code == 200
    assert response.json()["results"][0]["icp_tier"] == "A"


def test_serve_refuses_a_public_address_without_a_key(profile_file: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from icpkit.cli import main; main()",
            "serve",
            str(profile_file),
            "--host",
            "0.0.0.0",
            "--port",
            str(free_port()),
        ],
        env=_cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "refusing to listen on 0.0.0.0" in lines[0]
    assert "icp keys create" in lines[0]


def test_keys_cli_create_list_revoke_and_bad_scope(
    profile_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = icp(capsys, "keys", "create", profile_file, "--scope", "read", "--name", "bi")
    assert code == 0
    key = out.strip()
    assert key.startswith("icp_")
    assert "shown only this once" in err
    code, out, _ = icp(capsys, "keys", "list", profile_file, "--json")
    [listed] = json.loads(out)
    assert (listed["name"], listed["scope"], listed["revoked"]) == ("bi", "read", None)
    assert key.split("_", 2)[2] not in out
    store_file = profile_file.with_name("icp.service.duckdb")
    assert key.split("_", 2)[2].encode() not in store_file.read_bytes()  # only the hash
    assert icp(capsys, "keys", "revoke", profile_file, listed["key_id"])[0] == 0
    code, out, _ = icp(capsys, "keys", "list", profile_file, "--json")
    assert json.loads(out)[0]["revoked"] is not None
    code, _, err = icp(capsys, "keys", "create", profile_file, "--scope", "root")
    assert code == 2
    assert "scope must be one of score, read, admin" in err
    code, _, err = icp(capsys, "keys", "revoke", profile_file, "nope")
    assert code == 2
    assert "no key 'nope'" in err
    code, _, err = icp(capsys, "keys", "list", profile_file.with_name("missing.yaml"))
    assert code == 2
    assert "no such workspace or profile" in err


def test_duckdb_reads_are_answered_from_memory_until_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys and the promoted version are re-read every second: while the store file is
    unchanged (and its last change over a second old) the answer comes from memory, and
    a change by another process (here: another store object on the file) is seen."""
    import time

    path = tmp_path / "service.duckdb"
    server, cli = ServiceStore(str(path)), ServiceStore(str(path))
    _, record = create_key(cli, "score", "zap")
    opened = 0
    connect = server.backend.connect

    def counting() -> Any:
        nonlocal opened
        opened += 1
        return connect()

    monkeypatch.setattr(server.backend, "connect", counting)
    assert server.key(record.key_id) == record  # just written: read from the file
    assert opened == 1
    time.sleep(1.1)
    for _ in range(5):
        assert server.key(record.key_id) == record
    assert opened == 2  # one read once the change was a second old, then from memory
    assert cli.revoke_key(record.key_id)
    revoked = server.key(record.key_id)
    assert revoked is not None
    assert revoked.revoked is not None
    time.sleep(1.1)
    again = server.key(record.key_id)
    assert again is not None
    assert again.revoked is not None


def test_tier_tracking_takes_a_whole_batch_and_an_account_twice(store_url: str) -> None:
    """A scoring call of 10,000 accounts is tracked in one go (it was 40,000 bound
    parameters: ~0.8 s of CPU on DuckDB), and an account named twice in one call keeps its
    last tier (it broke the primary key, and the whole call's tier changes were lost)."""
    store = ServiceStore(store_url)
    rows = [(f"acc{i:05d}", "ABCD"[i % 4], i % 100) for i in range(10_000)]
    assert store.swap_tiers(rows) == {a: None for a, _, _ in rows}
    again = [("acc00001", "A", 95), ("new", "B", 70), ("acc00001", "D", 10)]
    assert store.swap_tiers(again) == {"acc00001": "B", "new": None}
    assert store.swap_tiers([("acc00001", "C", 40)]) == {"acc00001": "D"}
    assert store.swap_tiers([("acc09999", "A", 99)]) == {"acc09999": "D"}
