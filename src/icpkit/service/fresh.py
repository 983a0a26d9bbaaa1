"""Values read from the store, re-read in the background once they are older than a TTL.

The store is a file (DuckDB) or a server (PostgreSQL); reading it costs a connection and a
query, tens of milliseconds on a busy machine. Keys and the promoted version were re-read
on the request path once a second, so one request a second waited for the store, and the
event loop with it: that was the service's p99. Now a request always gets the last value
read; a value past its TTL is re-read by one background thread while requests go on.
A first read (nothing to serve yet), or a TTL of 0, is still read on the spot.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

__all__ = ["Fresh"]

T = TypeVar("T")


class Fresh(Generic[T]):
    """``get(key)``: the value of ``load(key)``, at most ``ttl`` seconds old when it was
    served fresh, re-read in the background after that (see the module docstring)."""

    def __init__(self, load: Callable[[Hashable], T], ttl: float, max_entries: int = 10_000):
        self.load, self.ttl, self.max_entries = load, ttl, max_entries
        self._values: dict[Hashable, tuple[float, T]] = {}
        self._pending: set[Hashable] = set()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="icp-store-refresh")

    def get(self, key: Hashable = None) -> T:
        now = time.monotonic()
        with self._lock:
            hit = self._values.get(key)
            stale = hit is not None and now - hit[0] >= self.ttl
            refresh = stale and self.ttl > 0 and key not in self._pending
            if refresh:
                self._pending.add(key)
        if hit is None or (stale and self.ttl <= 0):
            return self._read(key)
        if refresh:
            self._pool.submit(self._refresh, key)
        return hit[1]

    def forget(self, key: Hashable = None) -> None:
        """The next ``get(key)`` reads the store on the spot (after a change made here)."""
        with self._lock:
            self._values.pop(key, None)

    def clear(self) -> None:
        """Every next ``get`` reads the store on the spot."""
        with self._lock:
            self._values.clear()

    def _read(self, key: Hashable) -> T:
        value = self.load(key)
        with self._lock:
            if len(self._values) >= self.max_entries:  # unknown keys too: bound the memory
                self._values.clear()
            self._values[key] = (time.monotonic(), value)
        return value

    def _refresh(self, key: Hashable) -> None:
        try:
            self._read(key)
        except Exception:  # the last value stays; the next get tries again
            pass
        finally:
            with self._lock:
                self._pending.discard(key)
