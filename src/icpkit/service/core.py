"""The service as a library object: what every HTTP handler (API or web UI) calls.

``Service`` ties the settings to the store, the promoted profile, the account index, the
metrics and the webhook outbox. Handlers parse, call one method, and shape the answer.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ConfigError
from ..profile import Profile
from . import profiles
from .accounts import AccountIndex
from .auth import KeyCache, RateLimiter
from .fresh import Fresh
from .metrics import Metrics
from .scoring import RecordScorer, ScoredRecords, field_names
from .settings import Settings
from .store import ServiceStore
from .webhooks import Outbox

__all__ = ["Service"]


class Service:
    """One service instance: settings, store, caches. Thread-safe; share it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = ServiceStore(settings.resolved_store_url())
        self.keys = KeyCache(self.store, ttl=settings.auth_cache_seconds)
        self.limiter = RateLimiter(settings.rate_per_second, settings.rate_burst)
        self.metrics = Metrics()
        self.accounts = AccountIndex(settings.target if settings.is_workspace else None)
        self._built: tuple[int, RecordScorer] | None = None
        self._lock = threading.Lock()
        self._active: Fresh[tuple[int, RecordScorer] | None] = Fresh(
            self._load_scorer, settings.auth_cache_seconds
        )
        self.events: Outbox | None = None
        if settings.webhooks:
            self.events = Outbox(self.store, settings, self.metrics)
        profiles.seed_versions(self.store, settings.target)

    # ------------------------------------------------------------------ profiles

    def active_profile(self) -> tuple[int, Profile]:
        """The promoted version and its profile."""
        version, scorer = self._scorer()
        return version, scorer.profile

    def _scorer(self) -> tuple[int, RecordScorer]:
        """The promoted version's scorer. The version is re-read in the background at most
        once a second, so a promotion by another worker or by the CLI takes effect within
        about a second, and the new version's scorer (its compiled profile) is built there
        too, off the request path."""
        scorer = self._active.get()
        if scorer is None:
            raise ConfigError(
                "no profile to score with yet",
                hint="Run `icp run` on the workspace, or upload one: POST /v1/profiles",
            )
        return scorer

    def _load_scorer(self, _key: object = None) -> tuple[int, RecordScorer] | None:
        version = self.store.active_version()
        if version is None:
            return None
        with self._lock:
            built = self._built
        if built is not None and built[0] == version:
            return built
        built = (version, RecordScorer(profiles.get_profile(self.store, version)))
        with self._lock:
            self._built = built
        return built

    def promote(self, version: int) -> None:
        profiles.promote(self.store, version)
        self._active.forget()
        self._active.get()  # load and compile the new version here, not on a request

    def save_profile(
        self, text_or_data: str | dict[str, Any], *, author: str | None, note: str | None
    ) -> int:
        profile = profiles.parse_profile(text_or_data)
        return profiles.save_version(self.store, profile, author=author, note=note)

    def versions(self) -> list[dict[str, Any]]:
        return profiles.list_versions(self.store)

    def diff(self, a: int, b: int) -> dict[str, Any]:
        return profiles.diff_versions(self.store, a, b)

    # ------------------------------------------------------------------ scoring

    def score(self, records: Sequence[Mapping[str, Any]]) -> tuple[int, ScoredRecords]:
        """Score records with the promoted profile; count tiers; queue tier events."""
        version, scorer = self._scorer()
        scored = scorer.score(records)
        self.metrics.calls.inc()
        self.metrics.count_tiers(scored.tiers)
        if self.events is not None:
            self.events.scored(scored, version)
        return version, scored

    def compiled_for(self, records: Sequence[Mapping[str, Any]]) -> bool:
        """True when these records' field names have a compiled plan already (so scoring
        them costs microseconds, not an intake pass or a plan to build)."""
        _, scorer = self._scorer()
        return scorer.compiled.ready(field_names(records))

    def score_requests(
        self, requests: Sequence[Sequence[Mapping[str, Any]]]
    ) -> list[tuple[int, ScoredRecords]]:
        """Several requests scored together, each answered as if scored alone.

        Requests with the same field names are concatenated and scored in one call (the
        cost of a call is mostly fixed, so this is how a busy service keeps up); every
        record is scored on its own values, so its result does not depend on its company.
        """
        version, scorer = self._scorer()
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, records in enumerate(requests):
            header = field_names(records)
            groups.setdefault(header, []).append(i)
        answers: list[tuple[int, ScoredRecords] | None] = [None] * len(requests)
        for header, members in groups.items():
            merged = [rec for i in members for rec in requests[i]]
            scored = scorer.score(merged, header)
            self.metrics.calls.inc()
            self.metrics.count_tiers(scored.tiers)
            if self.events is not None:
                self.events.scored(scored, version)
            start = 0
            for i in members:
                stop = start + len(requests[i])
                answers[i] = (version, scored.slice(start, stop))
                start = stop
        return [a for a in answers if a is not None]

    def accounts_page(self, **filters: Any) -> dict[str, Any]:
        return self.accounts.page(**filters)

    def close(self) -> None:
        if self.events is not None:
            self.events.stop()
