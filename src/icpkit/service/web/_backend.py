"""What the workbench needs from the service: the workspace, the keys and the profile versions.

The pages call only this object, so they stay a thin layer: the workspace's last run comes
from :class:`icpkit.workbench.Workbench`; keys and profile versions from the service's
:class:`~icpkit.service.core.Service` (the same store and the same checks as the /v1 API).
One ``WebBackend`` is made per app, on first use, and kept on ``app.state``.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from ...errors import ConfigError
from ...profile import Profile
from ...workbench import Workbench
from .. import profiles
from ..auth import authenticate
from ..core import Service
from ..store import KeyRecord
from ._session import SessionSigner

__all__ = ["SECRET_STATE", "STATE_KEY", "WebBackend", "backend"]

STATE_KEY = "icp_web"
# The cookie-signing secret lives in the store, so every worker of `icp serve --workers N`
# (and a restart) reads the same one and a session works whichever worker answers.
SECRET_STATE = "web_session_secret"
_LOCK = threading.Lock()


@dataclass
class WebBackend:
    service: Service
    signer: SessionSigner

    @property
    def workbench(self) -> Workbench:
        wb = getattr(self, "_workbench", None)
        if wb is None:
            if not self.service.settings.is_workspace:
                raise ConfigError(
                    "the workbench pages need a workspace (this service scores a bare profile)",
                    hint="Start it on a workspace: `icp serve my-icp`",
                )
            wb = Workbench(self.service.settings.target)
            self._workbench = wb
        return wb

    # -- keys

    def sign_in(self, key: str) -> KeyRecord:
        """The key's record when it may read the workbench (scope read or admin)."""
        return authenticate(self.service.keys, f"Bearer {key.strip()}", "read")

    def key(self, key_id: str) -> KeyRecord | None:
        """The key of a session, if it still exists and is not revoked."""
        record = self.service.keys.get(key_id)
        return None if record is None or record.revoked is not None else record

    # -- profile versions

    def versions(self) -> list[dict[str, Any]]:
        return self.service.versions()

    def active_profile(self) -> tuple[int, Profile]:
        return self.service.active_profile()

    def profile(self, version: int | None) -> Profile:
        if version is None:
            return self.active_profile()[1]
        return profiles.get_profile(self.service.store, version)

    def save(self, profile: Profile, *, author: str, note: str) -> int:
        return profiles.save_version(self.service.store, profile, author=author, note=note)

    def promote(self, version: int) -> None:
        self.service.promote(version)


def _secret(service: Service) -> str:
    store = service.store
    if store.state(SECRET_STATE) is None:
        store.set_state(SECRET_STATE, secrets.token_urlsafe(32))
    return str(store.state(SECRET_STATE))


def backend(request: Request) -> WebBackend:
    state = request.app.state
    with _LOCK:
        found = getattr(state, STATE_KEY, None)
        if found is None:
            service: Service = state.service
            found = WebBackend(service, SessionSigner(_secret(service)))
            setattr(state, STATE_KEY, found)
    return found
