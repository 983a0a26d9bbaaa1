"""The ICP workbench: web pages over the service, for people who read, question and edit the ICP.

``router`` (a FastAPI APIRouter, everything under ``/ui``) is mounted by the service app; the
pages find their data through :class:`WebBackend`, built on the app's ``Service``.
"""

from ._backend import STATE_KEY, WebBackend, backend
from ._routes import PREFIX, router
from ._session import SessionSigner

__all__ = [
    "PREFIX",
    "STATE_KEY",
    "SessionSigner",
    "WebBackend",
    "backend",
    "router",
]
