"""FastAPI dependencies: the Service of this app, and the key check with a scope.

``check_key(request, scope)`` is the one place a request is authenticated; the web UI can
call it too (or call :func:`icpkit.service.auth.authenticate` with its own credential).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request

from .auth import AuthError, RateLimiter, authenticate
from .core import Service
from .store import KeyRecord

__all__ = ["check_key", "get_service", "require_scope"]


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def check_key(request: Request, scope: str) -> KeyRecord:
    """The key record of the request's Bearer key if it grants ``scope``; 401/403/429."""
    service = get_service(request)
    try:
        record = authenticate(service.keys, request.headers.get("authorization"), scope)
    except AuthError as exc:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        raise HTTPException(exc.status, str(exc), headers=headers) from None
    wait = service.limiter.check(record.key_id)
    if wait > 0:
        raise HTTPException(
            429,
            f"rate limit of {service.limiter.rate:g} requests/s for this key exceeded",
            headers={"Retry-After": RateLimiter.retry_after(wait)},
        )
    request.state.key = record
    return record


def require_scope(scope: str) -> Callable[[Request], Awaitable[KeyRecord]]:
    """A dependency: ``key: KeyRecord = Depends(require_scope("read"))``."""

    # async: the check is a cached lookup and a hash, cheaper than a hop to a worker thread.
    async def dependency(request: Request) -> KeyRecord:
        return check_key(request, scope)

    dependency.__name__ = f"require_{scope}"
    return dependency
