"""One explicit, typed settings object for the service (nothing is read at import time)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["SETTINGS_ENV", "Settings", "default_store_url", "settings_from_env"]

# `icp serve --workers N` hands the settings to each worker process through this variable.
SETTINGS_ENV = "ICPKIT_SERVICE_SETTINGS"


@dataclass(frozen=True)
class Settings:
    """What one service instance serves and how.

    ``target`` is a workspace folder (scores with its learned profile, lists its scored
    accounts) or a bare profile YAML. ``store_url`` is a DuckDB file path (default: beside
    the target) or ``postgresql://...``.
    """

    target: Path
    store_url: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 32 * 1024 * 1024
    max_records: int = 10_000
    rate_per_second: float = 50.0  # per key, token bucket; 0 turns the limit off
    rate_burst: int = 100
    webhooks: bool = True  # run the delivery worker in this process
    webhook_timeout: float = 5.0
    webhook_attempts: int = 6
    webhook_backoff: float = 1.0  # seconds before the 2nd attempt; doubles each time
    auth_cache_seconds: float = 1.0  # a revoked key stops working within this time
    extra: dict[str, Any] = field(default_factory=dict)  # for extensions (the web UI)

    @property
    def is_workspace(self) -> bool:
        return self.target.is_dir()

    def resolved_store_url(self) -> str:
        return self.store_url or default_store_url(self.target)

    def to_json(self) -> str:
        data = asdict(self)
        data["target"] = str(self.target)
        data["cors_origins"] = list(self.cors_origins)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        data["target"] = Path(data["target"])
        data["cors_origins"] = tuple(data.get("cors_origins") or ())
        return cls(**data)


def default_store_url(target: Path) -> str:
    """The embedded store: ``<workspace>/.icp/service.duckdb``, or beside a bare profile."""
    if target.is_dir():
        return str(target / ".icp" / "service.duckdb")
    if target.is_file():
        return str(target.with_name(f"{target.stem}.service.duckdb"))
    raise ConfigError(
        "no such workspace or profile",
        file=str(target),
        hint="Give a workspace folder (icp init) or a profile YAML (icp discover)",
    )


def settings_from_env() -> Settings:
    text = os.environ.get(SETTINGS_ENV)
    if not text:
        raise ConfigError(f"{SETTINGS_ENV} is not set; start the service with `icp serve`")
    return Settings.from_json(text)
