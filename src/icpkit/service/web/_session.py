"""Sign-in for the workbench: an API key once, then a signed cookie session with a CSRF token.

The key itself never goes into the cookie: the cookie carries the key's id, scope and name,
the CSRF token and the time it was signed (sessions last :data:`MAX_AGE`); each request checks
that the key still exists and is not revoked. Every form and every
JSON POST must send the session's CSRF token back (a hidden field or ``X-CSRF-Token``), so
another site cannot post on the user's behalf with their cookie.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

__all__ = ["COOKIE", "MAX_AGE", "Session", "SessionSigner"]

COOKIE = "icp_session"
MAX_AGE = 12 * 3600  # a working day; then sign in again
_SCOPES = {"read", "admin"}  # who may sign in: score keys are for machines
_EDIT = {"admin"}  # save and promote profile versions


@dataclass(frozen=True)
class Session:
    key_id: str
    name: str
    scope: str
    csrf: str

    @property
    def can_edit(self) -> bool:
        return self.scope in _EDIT

    @property
    def is_admin(self) -> bool:
        return self.scope == "admin"


class SessionSigner:
    """Signs and reads session cookies with a per-server secret."""

    def __init__(self, secret: str | None = None) -> None:
        self._s = URLSafeTimedSerializer(secret or secrets.token_urlsafe(32), salt="icp-web")

    def new(self, key_id: str, name: str, scope: str) -> tuple[Session, str]:
        session = Session(key_id=key_id, name=name, scope=scope, csrf=secrets.token_urlsafe(24))
        return session, self._s.dumps({"k": key_id, "n": name, "s": scope, "c": session.csrf})

    def read(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data: Any = self._s.loads(cookie, max_age=MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("s") not in _SCOPES:
            return None
        return Session(
            key_id=str(data.get("k", "")),
            name=str(data.get("n", "")),
            scope=str(data["s"]),
            csrf=str(data["c"]),
        )
