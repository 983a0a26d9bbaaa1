"""API keys: created once, stored hashed, checked per request with a scope and a rate limit.

A key reads ``icp_<key_id>_<secret>``: the id finds the record, the secret is compared by
its SHA-256. Keys are 256 random bits, so a slow password hash would add latency to every
request without adding protection (nobody can guess 2^256); a leaked store still gives no
usable key. Scopes are ordered: ``admin`` can do what ``read`` can, ``read`` what ``score``
can.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from dataclasses import dataclass

from ..errors import ConfigError
from .fresh import Fresh
from .store import KeyRecord, ServiceStore

__all__ = [
    "SCOPES",
    "AuthError",
    "KeyCache",
    "RateLimiter",
    "authenticate",
    "create_key",
    "hash_secret",
    "parse_bearer",
]

SCOPES = ("score", "read", "admin")
_RANK = {name: i for i, name in enumerate(SCOPES)}


class AuthError(Exception):
    """401 (no or bad key) or 403 (the key lacks the scope); ``status`` says which."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(store: ServiceStore, scope: str, name: str | None = None) -> tuple[str, KeyRecord]:
    """A new key: returns the full key (shown once, never stored) and its record."""
    if scope not in _RANK:
        raise ConfigError(f"scope must be one of {', '.join(SCOPES)}. Got {scope!r} instead")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    record = store.add_key(key_id, scope, hash_secret(secret), name)
    return f"icp_{key_id}_{secret}", record


def parse_bearer(header: str | None) -> tuple[str, str] | None:
    """(key_id, secret) from ``Authorization: Bearer icp_<id>_<secret>``; None if malformed."""
    if not header:
        return None
    kind, _, token = header.strip().partition(" ")
    if kind.lower() != "bearer":
        return None
    prefix, _, rest = token.strip().partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != "icp" or not key_id or not secret:
        return None
    return key_id, secret


class KeyCache:
    """Key records by key id, re-read from the store in the background once older than
    ``ttl`` seconds (so a revoked key stops working about ``ttl`` seconds later), never on
    the request path once a key was seen (icpkit.service.fresh)."""

    def __init__(self, store: ServiceStore, ttl: float = 1.0) -> None:
        self.store, self.ttl = store, ttl
        self._records: Fresh[KeyRecord | None] = Fresh(lambda k: store.key(str(k)), ttl)

    def get(self, key_id: str) -> KeyRecord | None:
        return self._records.get(key_id)

    def clear(self) -> None:
        """Forget every key read (after a change made in this process): read them anew."""
        self._records.clear()


def authenticate(cache: KeyCache, header: str | None, scope: str) -> KeyRecord:
    """The key record for a Bearer header that grants ``scope``; AuthError otherwise."""
    parsed = parse_bearer(header)
    if parsed is None:
        raise AuthError(401, "missing or malformed API key: send 'Authorization: Bearer KEY'")
    key_id, secret = parsed
    record = cache.get(key_id)
    if record is None or not hmac.compare_digest(record.hash, hash_secret(secret)):
        raise AuthError(401, "unknown API key")
    if record.revoked is not None:
        raise AuthError(401, "this API key was revoked")
    if _RANK[record.scope] < _RANK[scope]:
        raise AuthError(403, f"this API key has scope {record.scope!r}; this needs {scope!r}")
    return record


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """A token bucket per key: ``rate`` requests a second, bursts up to ``burst``.

    In memory, per process: with ``--workers N`` each worker allows the rate.
    """

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, max(1, burst)
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, key_id: str) -> float:
        """0 if the request may go ahead, else the seconds to wait before retrying."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            b = self._buckets.get(key_id)
            if b is None:
                b = self._buckets[key_id] = _Bucket(float(self.burst), now)
            b.tokens = min(float(self.burst), b.tokens + (now - b.at) * self.rate)
            b.at = now
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                return 0.0
            return (1.0 - b.tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> str:
        return str(max(1, math.ceil(wait)))
