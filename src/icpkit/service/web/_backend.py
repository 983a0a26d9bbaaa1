"""What the workbench needs from the service: the workspace, the keys and the profile versions.

The pages call only this object (found on ``app.state``), so they stay a thin layer: the
workspace's last run comes from :class:`icpkit.workbench.Workbench`; keys and profile versions
come from the service's store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import Request

from ...errors import ConfigError
from ...profile import Profile
from ...workbench import Workbench
from ._session import SessionSigner

__all__ = ["STATE_KEY", "VersionStore", "WebBackend", "backend"]

STATE_KEY = "icp_web"


class VersionStore(Protocol):
    """Keys and profile versions, as the service stores them."""

    def check_key(self, key: str) -> tuple[str, str] | None:
        """(name, scope) of a valid key, else None."""

    def versions(self) -> list[dict[str, Any]]:
        """Every version, oldest first: version, author, note, created, active."""

    def profile(self, version: int) -> Profile: ...

    def active(self) -> int | None: ...

    def save(self, profile: Profile, *, author: str, note: str) -> int: ...

    def promote(self, version: int) -> None: ...


@dataclass
class WebBackend:
    workbench: Workbench
    store: VersionStore
    signer: SessionSigner = field(default_factory=SessionSigner)

    def active_profile(self) -> tuple[int | None, Profile]:
        """The version that scores now (the last run's profile when none was uploaded)."""
        version = self.store.active()
        if version is not None:
            return version, self.store.profile(version)
        profile = self.workbench.run_profile()
        if profile is None:
            raise ConfigError("the workspace has no profile yet", hint="Run `icp run` first")
        return None, profile

    def profile(self, version: int | None) -> Profile:
        return self.active_profile()[1] if version is None else self.store.profile(version)


def backend(request: Request) -> WebBackend:
    found = getattr(request.app.state, STATE_KEY, None)
    if not isinstance(found, WebBackend):
        raise RuntimeError("the workbench is not configured on this app (see icpkit.service.web)")
    return found
