"""What `icp run` tells the service: its profile as a new version, and webhook events.

Called at the end of a successful run when the workspace has a service store (someone ran
`icp serve`, `icp keys` or `icp webhooks` on it). The run's profile is saved as a version
but not promoted: which version scores stays a person's choice (`POST .../promote`), unless
nothing scores yet. Events: ``tier_changed`` and ``new_tier_a`` from the previous run's
scores to this one's, ``drift_alert`` when the drift stage's verdict is not "stable". They
are written to the outbox first, then one delivery pass is tried within a few seconds; what
fails stays pending for the server (or `icp webhooks deliver`) to retry.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..atomic import atomic_path
from ..profile import Profile
from . import profiles
from .settings import default_store_url
from .store import ServiceStore
from .webhooks import deliver_due, emit, tier_events

__all__ = ["STORE_URL_FILE", "after_run", "remember_store", "run_events", "workspace_store"]

# `icp serve --store postgresql://...` on a workspace records the URL here (mode 600) so
# that `icp run` finds the same store.
STORE_URL_FILE = "service-store.url"


def remember_store(workspace: Path, url: str) -> None:
    """Record a non-default store URL in the workspace (readable by its owner only)."""
    path = workspace / ".icp" / STORE_URL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(url + "\n", encoding="utf-8")
        os.chmod(tmp, 0o600)  # it may hold a database password


def workspace_store(workspace: Path) -> ServiceStore | None:
    """The workspace's service store, or None when the service was never set up on it."""
    state = workspace / ".icp"
    pointer = state / STORE_URL_FILE
    if pointer.is_file():
        return ServiceStore(pointer.read_text(encoding="utf-8").strip())
    path = Path(default_store_url(workspace))
    return ServiceStore(str(path)) if path.is_file() else None


def _tiers(table: pa.Table | None) -> dict[str, tuple[str, int]]:
    if table is None or table.num_rows == 0:
        return {}
    ids = table.column("account_id").to_pylist()
    tiers = table.column("tier").to_pylist()
    scores = table.column("score").to_pylist()
    return {str(a): (t, int(s)) for a, t, s in zip(ids, tiers, scores, strict=True) if a}


def run_events(
    run_id: int,
    previous: pa.Table | None,
    current: pa.Table | None,
    drift: dict[str, Any] | None,
    version: int | None,
) -> list[tuple[str, dict[str, Any]]]:
    """The events of one run: tier changes and new tier-A accounts, and a drift alert."""
    before, after = _tiers(previous), _tiers(current)
    changes = [(a, before.get(a, (None, 0))[0], t, s) for a, (t, s) in after.items()]
    events = tier_events(changes, source=f"run {run_id}", version=version)
    population = ((drift or {}).get("population") or {}).get("summary") or {}
    verdict = population.get("verdict")
    if verdict and verdict != "stable":
        events.append(
            (
                "drift_alert",
                {
                    "run_id": run_id,
                    "verdict": verdict,
                    "reasons": population.get("reasons", []),
                    "score_psi": population.get("score_psi"),
                    "profile_version": version,
                },
            )
        )
    return events


def after_run(
    workspace: Path,
    run_id: int,
    previous: pa.Table | None,
    current: pa.Table | None,
    drift: dict[str, Any] | None,
    profile: Profile | None,
    *,
    deliver_seconds: float = 5.0,
) -> dict[str, Any] | None:
    """Save the run's profile as a version and send the run's events; None without a store."""
    store = workspace_store(workspace)
    if store is None:
        return None
    version = None
    if profile is not None:
        latest = store.latest_version()
        if latest is None or latest.body != profiles.profile_text(
            profile.model_copy(update={"version": latest.version})
        ):
            version = profiles.save_version(
                store, profile, author="icp run", note=f"learned by run {run_id}"
            )
        else:
            version = latest.version
        if store.active_version() is None:
            store.promote(version)
    events = run_events(run_id, previous, current, drift, store.active_version())
    ids = emit(store, events) if events else []
    delivered = 0
    # httpx comes with the serve extra; without it the server delivers them later.
    with contextlib.suppress(ImportError):
        if ids:
            delivered = deliver_due(store, budget=deliver_seconds, timeout=2.0)
    return {"profile_version": version, "events": len(ids), "delivered": delivered}
