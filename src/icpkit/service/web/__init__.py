"""The ICP workbench: web pages over the service, for people who read, question and edit the ICP.

``router`` (a FastAPI APIRouter, everything under ``/ui``) is mounted by the service app; the
pages find their data through :class:`WebBackend` on ``app.state.icp_web``.
"""

from ._backend import STATE_KEY, VersionStore, WebBackend, backend
from ._routes import PREFIX, router
from ._session import SessionSigner

__all__ = [
    "PREFIX",
    "STATE_KEY",
    "SessionSigner",
    "VersionStore",
    "WebBackend",
    "backend",
    "router",
]
