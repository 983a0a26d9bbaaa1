"""Webhooks: signed event deliveries with retries, an outbox in the store, a delivery log.

Every event is written to the store before anyone tries to deliver it (the outbox), so a
receiver that is down loses nothing: its deliveries stay pending and are retried with
exponential backoff (1 s, 2 s, 4 s, ... by default) until it answers 2xx or the attempts
run out. Scoring never waits for a delivery: the service hands events to a background
thread.

Each delivery is a POST of the event as JSON with headers (like Stripe's)::

    ICP-Event-Id: evt_...          the same on every retry: receivers drop duplicates by it
    ICP-Event: tier_changed
    ICP-Signature: t=1733320000,v1=<hex HMAC-SHA256 of "<t>." + body, keyed by the secret>

:func:`verify_signature` is the receiver's side of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from ..errors import ConfigError
from .store import Delivery, ServiceStore, Webhook

__all__ = [
    "EVENTS",
    "Outbox",
    "add_webhook",
    "deliver_due",
    "emit",
    "sign",
    "tier_events",
    "verify_signature",
]

EVENTS = ("tier_changed", "new_tier_a", "drift_alert")
SIGNATURE_HEADER = "ICP-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str, header: str, body: bytes, *, tolerance: float = 300.0, now: float | None = None
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most ``tolerance`` old."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
        return False
    ts = int(parts["t"])
    if abs((time.time() if now is None else now) - ts) > tolerance:
        return False
    expected = sign(secret, ts, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts["v1"])


def _check_events(events: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(e.strip() for e in events if e.strip()))
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown or not chosen:
        raise ConfigError(
            f"unknown event(s): {', '.join(unknown) or '(none given)'}",
            hint=f"Choose from {', '.join(EVENTS)}",
        )
    return chosen


def add_webhook(
    store: ServiceStore, url: str, events: Sequence[str], secret: str | None = None
) -> tuple[Webhook, str]:
    """Register a receiver; returns it and its signing secret (generated when not given)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            f"a webhook URL must be http(s)://host/... Got {url!r} instead",
            hint="Example: https://hooks.example.com/icp",
        )
    secret = secret or f"whsec_{secrets.token_urlsafe(24)}"
    hook = Webhook(f"wh_{secrets.token_hex(6)}", url, _check_events(events), secret, time.time())
    store.add_webhook(hook)
    return hook, secret


def emit(store: ServiceStore, events: Sequence[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """Record events and one pending delivery per subscribed webhook; returns event ids."""
    hooks = store.webhooks()
    now = time.time()
    rows, deliveries, ids = [], [], []
    for kind, data in events:
        event_id = f"evt_{secrets.token_hex(10)}"
        body = json.dumps(
            {"id": event_id, "type": kind, "created": int(now), "data": dict(data)},
            default=str,
            sort_keys=True,
        )
        rows.append((event_id, kind, now, body))
        ids.append(event_id)
        deliveries += [
            Delivery(
                f"dlv_{secrets.token_hex(10)}",
                event_id,
                h.webhook_id,
                "pending",
                0,
                now,
                None,
                None,
                now,
            )
            for h in hooks
            if kind in h.events
        ]
    store.add_events(rows, deliveries)
    return ids


def tier_events(
    changes: Sequence[tuple[str, str | None, str, int]], *, source: str, version: int | None
) -> list[tuple[str, dict[str, Any]]]:
    """tier_changed (and new_tier_a) events from (account_id, old tier, new tier, score)."""
    out: list[tuple[str, dict[str, Any]]] = []
    for account, old, new, score in changes:
        data = {
            "account_id": account,
            "old_tier": old,
            "new_tier": new,
            "icp_score": score,
            "profile_version": version,
            "source": source,
        }
        if old is not None and old != new:
            out.append(("tier_changed", data))
        if new == "A" and old != "A":
            out.append(("new_tier_a", data))
    return out


def _attempt(
    client: Any, hook: Webhook, event_id: str, kind: str, body: str
) -> tuple[int | None, str | None]:
    payload = body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "icpkit-webhooks",
        "ICP-Event-Id": event_id,
        "ICP-Event": kind,
        SIGNATURE_HEADER: sign(hook.secret, int(time.time()), payload),
    }
    try:
        response = client.post(hook.url, content=payload, headers=headers)
    except Exception as exc:  # any transport failure is a failed attempt, retried later
        return None, f"{type(exc).__name__}: {exc}"[:300]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


def deliver_due(
    store: ServiceStore,
    *,
    timeout: float = 5.0,
    attempts: int = 6,
    backoff: float = 1.0,
    budget: float | None = None,
    metrics: Any = None,
    now: float | None = None,
) -> int:
    """Try every due delivery once; returns how many were delivered.

    A failure is retried after ``backoff * 2**(attempt - 1)`` seconds; after ``attempts``
    tries it is marked failed (and stays in the log). ``budget`` bounds the seconds spent;
    ``now`` (epoch seconds) replaces the clock, to replay a retry schedule.
    """
    import httpx

    started = time.monotonic()
    hooks = {h.webhook_id: h for h in store.webhooks()}
    delivered = 0
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        clock = time.time() if now is None else now
        for delivery, kind, body in store.due_deliveries(clock):
            if budget is not None and time.monotonic() - started > budget:
                break
            hook = hooks.get(delivery.webhook_id)
            if hook is None:  # removed since: stop trying
                store.record_attempt(
                    delivery,
                    status="failed",
                    next_attempt=None,
                    code=None,
                    error="webhook removed",
                    ms=0.0,
                )
                continue
            t0 = time.perf_counter()
            code, error = _attempt(client, hook, delivery.event_id, kind, body)
            ms = (time.perf_counter() - t0) * 1000
            tried = delivery.attempts + 1
            if error is None:
                status, next_at, outcome = "delivered", None, "delivered"
                delivered += 1
            elif tried >= attempts:
                status, next_at, outcome = "failed", None, "failed"
            else:
                status, next_at = "pending", clock + backoff * 2 ** (tried - 1)
                outcome = "retry"
            store.record_attempt(
                delivery, status=status, next_attempt=next_at, code=code, error=error, ms=ms
            )
            if metrics is not None:
                metrics.deliveries.labels(outcome).inc()
    return delivered


class Outbox:
    """The service's background thread: records tier events from scoring calls, and
    delivers due webhooks every ``interval`` seconds. Scoring only puts on a queue."""

    def __init__(
        self, store: ServiceStore, settings: Any, metrics: Any = None, interval: float = 0.25
    ) -> None:
        self.store, self.settings, self.metrics = store, settings, metrics
        self.interval = interval
        self._queue: queue.Queue[tuple[list[tuple[str, str, int]], int]] = queue.Queue(10_000)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._hooks_checked = 0.0
        self._wants_tiers = False
        self._any_hooks = False

    def _refresh_hooks(self) -> None:
        """Which webhooks exist, read at most once a second: with none, the service neither
        tracks tiers nor polls the outbox, so scoring pays nothing for webhooks."""
        now = time.monotonic()
        if now - self._hooks_checked > 1.0:
            hooks = self.store.webhooks()
            self._any_hooks = bool(hooks)
            self._wants_tiers = any(
                e in h.events for h in hooks for e in ("tier_changed", "new_tier_a")
            )
            self._hooks_checked = now

    def _tier_hooks(self) -> bool:
        self._refresh_hooks()
        return self._wants_tiers

    def scored(self, scored: Any, version: int) -> None:
        """Called by scoring: queue (account, tier, score) for accounts with an id.

        Reads only what the worker thread last read of the webhooks (it re-reads them
        about once a second): a store read here would stall the request, and with it
        the event loop that scores small requests."""
        if not self._wants_tiers:
            return
        rows = [
            (str(i), t, int(s))
            for i, t, s in zip(scored.ids, scored.tiers, scored.scores, strict=True)
            if i
        ]
        if rows:
            # When the worker is behind, drop this tier check rather than block scoring.
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait((rows, version))

    def _drain(self) -> None:
        while True:
            try:
                rows, version = self._queue.get_nowait()
            except queue.Empty:
                return
            before = self.store.swap_tiers(rows)
            if self._tier_hooks():
                changes = [(a, before.get(a), t, s) for a, t, s in rows]
                events = tier_events(changes, source="api", version=version)
                if events:
                    emit(self.store, events)

    def run_once(self) -> int:
        self._drain()
        self._refresh_hooks()
        if not self._any_hooks:
            return 0
        return deliver_due(
            self.store,
            timeout=self.settings.webhook_timeout,
            attempts=self.settings.webhook_attempts,
            backoff=self.settings.webhook_backoff,
            budget=5.0,
            metrics=self.metrics,
        )

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a busy store or a bad receiver must not kill the worker
                time.sleep(self.interval)
            self._stop.wait(self.interval)

    def start(self) -> None:
        if self._thread is None:
            self._refresh_hooks()  # the first requests already know which hooks exist
            self._thread = threading.Thread(target=self._loop, name="icp-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
