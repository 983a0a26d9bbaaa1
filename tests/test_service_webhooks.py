"""Webhooks: signed, retried with exponential backoff, logged, idempotent by event id; a
receiver that is down neither blocks scoring nor loses events (API calls and `icp run`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from _helpers import icp
from _service_helpers import Receiver, bearer, free_port, new_key, running, settings_for, wait_for
from icpkit.service.runs import run_events
from icpkit.service.store import ServiceStore
from icpkit.service.webhooks import add_webhook, deliver_due, emit, sign, verify_signature
from icpkit.workspace import RunStore, run_workspace
from test_workspace import PROFILE, make_workspace, write_accounts

# Two leads for the hand-written test profile: Software with 200 staff (tier A), Education
# (disqualified: tier D). See PROFILE in test_workspace.py.
A_LEAD = {"Account ID": "acc-1", "Industry": "Software", "Employees": "200"}
D_LEAD = {"Account ID": "acc-1", "Industry": "Education", "Employees": "200"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(free_port()).start()
    yield r
    r.stop()


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    path = tmp_path / "icp.yaml"
    path.write_text(yaml.safe_dump(PROFILE), encoding="utf-8")
    return path


def _verified(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    for request in receiver.requests:
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert verify_signature(secret, headers["icp-signature"], request["body"])
        assert headers["icp-event-id"] == json.loads(request["body"])["id"]
    return receiver.requests


def test_signature_verifies_and_rejects_tampering() -> None:
    body = b'{"id": "evt_1"}'
    header = sign("whsec_x", 1_700_000_000, body)
    assert verify_signature("whsec_x", header, body, now=1_700_000_010)
    assert not verify_signature("whsec_x", header, body + b" ", now=1_700_000_010)
    assert not verify_signature("whsec_y", header, body, now=1_700_000_010)
    assert not verify_signature("whsec_x", header, body, now=1_700_000_000 + 301)  # replayed
    assert not verify_signature("whsec_x", "v1=abc", body)


def test_scoring_calls_fire_signed_events_retried_after_a_500(
    profile_file: Path, receiver: Receiver
) -> None:
    settings = settings_for(profile_file)
    key = new_key(settings, "score")
    store = ServiceStore(settings.resolved_store_url())
    _, secret = add_webhook(store, receiver.url, ["tier_changed", "new_tier_a"])
    receiver.plan = [500]  # the first delivery fails: it must be retried, same event id
    with running(settings) as (url, _):
        first = httpx.post(f"{url}/v1/score", json={"records": [A_LEAD]}, headers=bearer(key))
        assert first.json()["results"][0]["icp_tier"] == "A"
        wait_for(lambda: len(receiver.events()) == 1)
        second = httpx.post(f"{url}/v1/score", json={"records": [D_LEAD]}, headers=bearer(key))
        assert second.json()["results"][0]["icp_tier"] == "D"
        wait_for(lambda: len(receiver.events()) == 2)
        metrics = httpx.get(f"{url}/metrics").text
    requests = _verified(receiver, secret)
    assert [r["status"] for r in requests] == [500, 200, 200]
    failed, retried, changed = (json.loads(r["body"]) for r in requests)
    assert failed == retried  # the retry is the same event: receivers dedupe on its id
    assert retried["type"] == "new_tier_a"
    assert retried["data"]["account_id"] == "acc-1"
    assert changed["type"] == "tier_changed"
    assert (changed["data"]["old_tier"], changed["data"]["new_tier"]) == ("A", "D")
    assert changed["id"] != retried["id"]
    log = store.deliveries()
    assert sorted((r["event"], r["attempt"], r["code"], r["status"]) for r in log) == [
        ("new_tier_a", 1, 500, "delivered"),
        ("new_tier_a", 2, 200, "delivered"),
        ("tier_changed", 1, 200, "delivered"),
    ]
    assert 'icp_webhook_attempts_total{outcome="retry"} 1.0' in metrics


def test_retry_schedule_doubles_then_gives_up(profile_file: Path, receiver: Receiver) -> None:
    store = ServiceStore(settings_for(profile_file).resolved_store_url())
    add_webhook(store, receiver.url, ["drift_alert"])
    receiver.plan = [503] * 10
    emit(store, [("drift_alert", {"verdict": "watch"})])
    t = time.time() + 1  # the delivery is due from the moment it was emitted
    gaps = []
    for _ in range(4):
        assert deliver_due(store, attempts=4, backoff=2.0, now=t) == 0
        rows = store._all("SELECT next_attempt FROM deliveries")
        if rows[0][0] is None:
            break
        gaps.append(rows[0][0] - t)
        t = rows[0][0]
    assert gaps == [2.0, 4.0, 8.0]
    assert store._all("SELECT status, attempts FROM deliveries") == [("failed", 4)]
    assert [r["code"] for r in store.deliveries()] == [503] * 4
    assert len(receiver.requests) == 4


def test_down_receiver_blocks_nothing_and_loses_nothing(profile_file: Path) -> None:
    settings = settings_for(profile_file)
    key = new_key(settings, "score")
    store = ServiceStore(settings.resolved_store_url())
    port = free_port()
    _, secret = add_webhook(store, f"http://127.0.0.1:{port}/hook", ["new_tier_a"])
    leads = [{**A_LEAD, "Account ID": f"acc-{i}"} for i in range(5)]
    with running(settings) as (url, _):
        for lead in leads:  # nobody listens on the port: every delivery fails, scoring goes on
            response = httpx.post(f"{url}/v1/score", json={"records": [lead]}, headers=bearer(key))
            assert response.status_code == 200
        wait_for(lambda: len(store.deliveries(100)) >= 5)
        assert store.pending_count() == 5
        receiver = Receiver(port).start()  # the receiver comes back: retries deliver all
        try:
            wait_for(lambda: len(receiver.events()) == 5)
        finally:
            receiver.stop()
    got = sorted(e["data"]["account_id"] for e in receiver.events())
    assert got == [f"acc-{i}" for i in range(5)]
    assert len({e["id"] for e in receiver.events()}) == 5
    assert store.pending_count() == 0
    _verified(receiver, secret)


def test_run_events_from_tiers_and_drift() -> None:
    import pyarrow as pa

    before = pa.table(
        {"account_id": ["a", "b", "c"], "score": [90, 50, 10], "tier": ["A", "B", "D"]}
    )
    after = pa.table(
        {
            "account_id": ["a", "b", "c", "d"],
            "score": [40, 95, 12, 88],
            "tier": ["C", "A", "D", "A"],
        }
    )
    drift = {"population": {"summary": {"verdict": "refresh the ICP", "reasons": ["x"]}}}
    events = run_events(3, before, after, drift, version=2)
    kinds = [(k, d.get("account_id")) for k, d in events]
    assert kinds == [
        ("tier_changed", "a"),
        ("tier_changed", "b"),
        ("new_tier_a", "b"),
        ("new_tier_a", "d"),
        ("drift_alert", None),
    ]
    stable = {"population": {"summary": {"verdict": "stable"}}}
    assert [k for k, _ in run_events(3, before, before, stable, version=2)] == []


def test_icp_run_sends_events_and_keeps_them_while_the_receiver_is_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = make_workspace(tmp_path / "ws")
    run_workspace(ws)
    port = free_port()
    code, out, _ = icp(
        capsys,
        "webhooks",
        "add",
        ws,
        f"http://127.0.0.1:{port}/hook",
        "--json",
        "--events",
        "tier_changed,new_tier_a,drift_alert",
    )
    assert code == 0
    secret = json.loads(out)["secret"]
    write_accounts(ws / "data" / "accounts.csv", n=90, shift=1)  # industries move: tiers change
    second = run_workspace(ws)  # the receiver is down during this run
    store = ServiceStore(str(ws / ".icp" / "service.duckdb"))
    with RunStore(ws / ".icp" / "runs.duckdb") as runs:
        ids = [r.run_id for r in runs.runs("ok")]
        old = {r["account_id"]: r["tier"] for r in runs.scores(ids[0]).to_pylist()}
        new = {r["account_id"]: r["tier"] for r in runs.scores(ids[1]).to_pylist()}
    changed = sorted(a for a, t in new.items() if a in old and old[a] != t)
    new_a = sorted(a for a, t in new.items() if t == "A" and old.get(a) != "A")
    assert changed  # the data change moved tiers: there is something to deliver
    assert store.pending_count() >= len(changed) + len(new_a)
    assert {r["code"] for r in store.deliveries(1000)} == {None}  # tried, connection refused
    assert second.run_id == ids[1]
    receiver = Receiver(port).start()
    try:
        code, _, _ = icp(capsys, "webhooks", "deliver", ws)  # as the server would, later
        assert code == 0
        deliver_due(store, now=10**10)  # every backoff elapsed: all due now
    finally:
        receiver.stop()
    events = receiver.events()
    got_changed = sorted(e["data"]["account_id"] for e in events if e["type"] == "tier_changed")
    got_new_a = sorted(e["data"]["account_id"] for e in events if e["type"] == "new_tier_a")
    assert got_changed == changed
    assert got_new_a == new_a
    assert store.pending_count() == 0
    _verified(receiver, secret)
    code, out, _ = icp(capsys, "webhooks", "log", ws, "--json", "--limit", "1000")
    log = json.loads(out)
    assert log["pending"] == 0
    assert {r["status"] for r in log["attempts"]} == {"delivered"}


def test_webhook_cli_add_list_remove_and_bad_input(
    profile_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = icp(capsys, "webhooks", "add", profile_file, "https://h.example/x", "--json")
    assert code == 0
    hook = json.loads(out)
    assert hook["events"] == ["tier_changed", "new_tier_a", "drift_alert"]
    code, out, _ = icp(capsys, "webhooks", "list", profile_file, "--json")
    assert [h["webhook_id"] for h in json.loads(out)] == [hook["webhook_id"]]
    assert "secret" not in json.loads(out)[0]
    code, _, err = icp(
        capsys, "webhooks", "add", profile_file, "https://h.example/x", "--events", "tier_up"
    )
    assert code == 2
    assert "tier_up" in err
    assert len(err.strip().splitlines()) == 1
    assert icp(capsys, "webhooks", "remove", profile_file, hook["webhook_id"])[0] == 0
    code, _, err = icp(capsys, "webhooks", "remove", profile_file, hook["webhook_id"])
    assert code == 2
    assert "no webhook" in err


def test_webhook_removed_stops_deliveries(profile_file: Path) -> None:
    store = ServiceStore(settings_for(profile_file).resolved_store_url())
    hook, _ = add_webhook(store, "http://127.0.0.1:9/x", ["drift_alert"])
    emit(store, [("drift_alert", {"verdict": "watch"})])
    store.remove_webhook(hook.webhook_id)
    deliver_due(store)
    assert [(r["error"], r["status"]) for r in store.deliveries()] == [
        ("webhook removed", "failed")
    ]
