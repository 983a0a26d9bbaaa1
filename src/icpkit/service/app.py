"""``create_app(settings)``: the FastAPI application of `icp serve`.

Middleware (outermost first): request size limit, metrics, then CORS only when origins are
configured. Every error is one JSON shape, ``{"error": {"code", "message"}, "detail"}``;
422 keeps FastAPI's per-field ``detail`` list (each with its ``loc`` path). The docs page is
a local file: FastAPI's default one loads its scripts from a CDN.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._version import __version__
from ..errors import IcpError
from .api import router as api_router
from .batching import Coalescer
from .body import RecordsDecoder
from .core import Service
from .metrics import CONTENT_TYPE
from .settings import Settings, settings_from_env

__all__ = ["GC_THRESHOLDS", "app_from_env", "create_app"]

#: The garbage collector's thresholds while the service runs (see create_app's lifespan).
GC_THRESHOLDS = (100_000, 50, 100)


class _TooLarge(Exception):
    pass


class SizeLimit:
    """413 for a body over ``limit`` bytes: by Content-Length, or counted as it streams."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _too_large(self.limit)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(self.limit)(scope, receive, send)


def _too_large(limit: int) -> JSONResponse:
    return _error(413, f"request body over {limit:,} bytes; send fewer records per request")


class Timing:
    """Counts each request and its latency by route template (not by raw path)."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or "unmatched"
            self.service.metrics.observe(
                name, scope.get("method", ""), status, time.perf_counter() - started
            )


def _error(status: int, message: str, detail: Any = None, headers: Any = None) -> JSONResponse:
    body = {"error": {"code": status, "message": message}, "detail": detail or message}
    return JSONResponse(body, status_code=status, headers=headers)


class Health(BaseModel):
    status: str
    version: str
    profile_version: int | None
    store: str


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        detail = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg")), "type": str(e.get("type"))}
            for e in errors
        ]
        return _error(422, f"{where}: {first.get('msg')}", detail=detail)

    @app.exception_handler(IcpError)
    async def _icp(request: Request, exc: IcpError) -> JSONResponse:
        return _error(400, str(exc))


def _install_pages(app: FastAPI, service: Service) -> None:
    @app.get("/healthz", response_model=Health, summary="Liveness and the scoring version")
    def healthz() -> dict[str, Any]:
        return {
            "status": "ok",
            "version": __version__,
            "profile_version": service.store.active_version(),
            "store": service.store.kind,
        }

    @app.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE: {}}}},
    )
    def metrics() -> Response:
        return Response(service.metrics.render(), media_type=CONTENT_TYPE)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = resources.files(__package__).joinpath("static/docs.html").read_text("utf-8")
        return HTMLResponse(page)


def _mount_web(app: FastAPI) -> None:
    """The web workbench (icpkit.service.web): part of the serve extra, so a missing
    dependency is an install error to report, never a workbench that silently 404s."""
    from .web import router as web_router

    app.include_router(web_router)


def create_app(settings: Settings) -> FastAPI:
    """The service for ``settings``: the /v1 API, /healthz, /metrics, /docs (+ the web UI)."""
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if service.events is not None:
            service.events.start()
        with contextlib.suppress(IcpError):  # no profile yet: the first request says so
            service.active_profile()  # load and compile it now, not on the first request
        # What start-up built lives as long as the process: out of the garbage collector's
        # full passes, which otherwise walk it all again during big requests. Collected
        # first (garbage frozen would never be freed); unfrozen when the app stops (tests
        # start many apps in one process).
        gc.collect()
        gc.freeze()
        # A 10,000-record request of new values started 181 young-generation collections
        # with the default threshold (700), each walking what the request holds so far; a
        # larger first threshold makes them few (about 20% less CPU per such request with
        # seen values, measured on benchmarks/service_load.py's batch).
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            service.close()

    app = FastAPI(
        title="icpkit",
        version=__version__,
        summary="Score accounts and leads against your Ideal Customer Profile.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.coalescer = Coalescer(service, max_records=settings.max_records)
    app.state.decoder = RecordsDecoder()
    app.state.settings = settings
    _install_handlers(app)
    _install_pages(app, service)
    app.include_router(api_router)
    _mount_web(app)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(Timing, service=service)
    app.add_middleware(SizeLimit, limit=settings.max_body_bytes)
    return app


def app_from_env() -> FastAPI:
    """The app factory each worker of `icp serve --workers N` calls."""
    return create_app(settings_from_env())
