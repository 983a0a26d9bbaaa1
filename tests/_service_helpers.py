"""A real service on a loopback port, and a local webhook receiver, for the service tests."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import uvicorn

from icpkit.service.app import create_app
from icpkit.service.auth import create_key
from icpkit.service.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(settings: Settings) -> Iterator[tuple[str, Any]]:
    """uvicorn serving ``create_app(settings)`` in a thread: (base URL, the app)."""
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def new_key(settings: Settings, scope: str) -> str:
    from icpkit.service.store import ServiceStore

    key, _ = create_key(ServiceStore(settings.resolved_store_url()), scope, f"test-{scope}")
    return key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Receiver:
    """A webhook receiver: answers each POST with the next planned status (then 200)."""

    port: int
    plan: list[int] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.plan.pop(0) if receiver.plan else 200
                receiver.requests.append(
                    {"headers": dict(self.headers), "body": body, "status": status}
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self, status: int = 200) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests if r["status"] == status]


def wait_for(check: Any, seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def settings_for(target: Path, store: str | None = None, **options: Any) -> Settings:
    options.setdefault("rate_per_second", 0)
    options.setdefault("auth_cache_seconds", 0)
    options.setdefault("webhook_backoff", 0.05)
    return Settings(target=target, store_url=store, **options)
