"""Store reads off the request path (icpkit.service.fresh): a request gets the last value
at once while a stale one is re-read in the background; a TTL of 0 reads every time."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from pathlib import Path

from icpkit.service.fresh import Fresh


def test_a_stale_value_is_served_at_once_and_replaced_in_the_background() -> None:
    reads: list[Hashable] = []
    release = threading.Event()
    version = [1]

    def load(key: Hashable) -> int:
        reads.append(key)
        if len(reads) > 1:  # the re-read: a slow store
            release.wait(10)
        return version[0]

    fresh: Fresh[int] = Fresh(load, ttl=0.05)
    assert fresh.get("k") == 1  # first read: on the spot
    version[0] = 2
    time.sleep(0.1)
    started = time.monotonic()
    assert fresh.get("k") == 1  # stale: the last value, without waiting for the store
    assert fresh.get("k") == 1  # one re-read in flight, not one per request
    assert time.monotonic() - started < 1.0
    release.set()
    deadline = time.monotonic() + 10
    while fresh.get("k") != 2:
        assert time.monotonic() < deadline, "the background re-read never landed"
        time.sleep(0.01)
    assert reads == ["k", "k"]


def test_ttl_zero_reads_every_time_and_forget_rereads() -> None:
    reads: list[Hashable] = []

    def load(key: Hashable) -> int:
        reads.append(key)
        return len(reads)

    every: Fresh[int] = Fresh(load, ttl=0)
    assert [every.get(), every.get()] == [1, 2]
    kept: Fresh[int] = Fresh(load, ttl=60)
    assert [kept.get(), kept.get()] == [3, 3]
    kept.forget()
    assert kept.get() == 4


def test_scoring_never_reads_the_store_on_the_request_path(tmp_path: Path) -> None:
    """Keys, the promoted version and the webhooks were re-read on the request path once a
    second (a DuckDB connection and a query each): the service's p99 (issue 11). Past
    their TTL, requests now get the last values; only background threads read the store."""
    import yaml

    from _service_helpers import new_key, settings_for
    from icpkit.service.auth import authenticate
    from icpkit.service.core import Service
    from icpkit.service.webhooks import add_webhook
    from test_workspace import PROFILE

    profile = tmp_path / "icp.yaml"
    profile.write_text(yaml.safe_dump(PROFILE), encoding="utf-8")
    settings = settings_for(profile, auth_cache_seconds=0.2)
    key = new_key(settings, "score")
    service = Service(settings)
    add_webhook(service.store, "http://127.0.0.1:9/hook", ["tier_changed"], secret="s")
    assert service.events is not None
    service.events.start()  # as the app's start-up does
    lead = [{"Account ID": "acc-1", "Industry": "Software", "Employees": "200"}]
    header = f"Bearer {key}"
    authenticate(service.keys, header, "score")  # first reads: on the spot, once
    service.score_requests([lead])
    here = threading.current_thread()
    reads: list[str] = []
    for name in ("key", "state", "webhooks", "version"):
        real = getattr(service.store, name)

        def counted(*args: object, _real: object = real, _name: str = name) -> object:
            if threading.current_thread() is here:
                reads.append(_name)
            return _real(*args)  # type: ignore[operator]

        setattr(service.store, name, counted)
    try:
        for _ in range(3):
            time.sleep(1.1)  # past every TTL (and the webhooks' one second)
            authenticate(service.keys, header, "score")
            [(version, scored)] = service.score_requests([lead])
            assert version == 1
            assert scored.tiers == ["A"]
    finally:
        service.close()
    assert reads == []
