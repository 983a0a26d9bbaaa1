"""The ICP as a live service (`icp serve`): REST API, API keys, webhooks, profile versions.

An optional extra (``pip install 'icpkit[serve]'``): FastAPI + uvicorn over the library.
Modules: :mod:`.app` (``create_app``), :mod:`.api` (the /v1 routes), :mod:`.core` (the
``Service`` every handler calls), :mod:`.scoring`, :mod:`.profiles`, :mod:`.accounts`,
:mod:`.auth` and :mod:`.deps` (keys), :mod:`.store`, :mod:`.webhooks`, :mod:`.metrics`.
"""

from .settings import Settings
from .store import ServiceStore, open_store

__all__ = ["ServiceStore", "Settings", "open_store"]
