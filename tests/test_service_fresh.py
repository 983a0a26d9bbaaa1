"""Store reads off the request path (icpkit.service.fresh): a request gets the last value
at once while a stale one is re-read in the background; a TTL of 0 reads every time."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable

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
