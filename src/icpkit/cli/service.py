"""CLI commands: `icp serve`, `icp keys create|list|revoke`, `icp webhooks add|list|remove|log`."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..errors import ConfigError
from ._app import app, err, out, print_json

keys_app = typer.Typer(help="API keys for `icp serve` (stored hashed; shown once).")
hooks_app = typer.Typer(help="Webhooks: tier_changed, new_tier_a, drift_alert (signed, retried).")
app.add_typer(keys_app, name="keys")
app.add_typer(hooks_app, name="webhooks")

TargetArg = Annotated[
    Path, typer.Argument(help="Workspace folder or profile YAML the service serves.")
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="postgresql://... for a team store (default: a DuckDB file beside the target).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _store(target: Path, store: str | None) -> Any:
    from ..service.settings import default_store_url
    from ..service.store import ServiceStore

    if store and target.is_dir():  # so that `icp run` on this workspace finds it too
        from ..service.runs import remember_store

        remember_store(target, store)
    return ServiceStore(store or default_store_url(target))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command("serve")
def serve_command(
    target: TargetArg,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    store: StoreOpt = None,
    cors: Annotated[
        list[str] | None, typer.Option("--cors", help="Allow this browser origin (repeatable).")
    ] = None,
    rate: Annotated[
        float, typer.Option("--rate-limit", help="Requests per second per key (0: no limit).")
    ] = 50.0,
    burst: Annotated[int, typer.Option(help="Requests a key may burst above the rate.")] = 100,
    max_body_mb: Annotated[float, typer.Option(help="Largest request body, in MiB.")] = 32.0,
) -> None:
    """Serve the scoring API, profile versions and webhooks (FastAPI + uvicorn)."""
    try:
        import uvicorn

        from ..service.settings import SETTINGS_ENV, Settings
    except ImportError:
        raise ConfigError(
            "`icp serve` needs the serve extra", hint="pip install 'icpkit[serve]'"
        ) from None
    settings = Settings(
        target=target.resolve(),
        store_url=store,
        cors_origins=tuple(cors or ()),
        rate_per_second=rate,
        rate_burst=burst,
        max_body_bytes=int(max_body_mb * 1024 * 1024),
    )
    service_store = _store(settings.target, store)
    if not _is_loopback(host) and not service_store.has_active_key():
        raise ConfigError(
            f"refusing to listen on {host} while no API key exists",
            hint=f"Create one first: icp keys create {target} --scope score",
        )
    import os

    os.environ[SETTINGS_ENV] = settings.to_json()
    err.print(f"icp serve: http://{host}:{port} (docs at /docs, store {service_store.kind})")
    uvicorn.run(
        "icpkit.service.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        server_header=False,
    )


@keys_app.command("create")
def keys_create(
    target: TargetArg,
    scope: Annotated[str, typer.Option(help="score, read or admin.")] = "score",
    name: Annotated[str | None, typer.Option(help="A name to recognise the key by.")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API key and print it once (only its hash is kept)."""
    from ..service.auth import create_key

    key, record = create_key(_store(target, store), scope, name)
    if as_json:
        print_json({"key": key, **record.public()})
        return
    out.print(key)
    err.print(f"key {record.key_id} ({record.scope}) created; it is shown only this once")


@keys_app.command("list")
def keys_list(target: TargetArg, store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """List keys (id, name, scope, created, revoked); never the keys themselves."""
    rows = [k.public() for k in _store(target, store).list_keys()]
    if as_json:
        print_json(rows)
        return
    table = Table("key id", "name", "scope", "created", "revoked")
    for r in rows:
        table.add_row(r["key_id"], r["name"] or "", r["scope"], r["created"], r["revoked"] or "")
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(
    target: TargetArg,
    key_id: Annotated[str, typer.Argument(help="The key id (see `icp keys list`).")],
    store: StoreOpt = None,
) -> None:
    """Revoke a key: it stops working within a second."""
    if not _store(target, store).revoke_key(key_id):
        raise ConfigError(f"no key {key_id!r}", hint=f"See `icp keys list {target}`")
    out.print(f"revoked {key_id}")


@hooks_app.command("add")
def webhooks_add(
    target: TargetArg,
    url: Annotated[str, typer.Argument(help="Receiver URL (http or https).")],
    events: Annotated[
        str, typer.Option(help="Comma-separated: tier_changed,new_tier_a,drift_alert.")
    ] = "tier_changed,new_tier_a,drift_alert",
    secret: Annotated[
        str | None, typer.Option(help="Signing secret (default: a new random one).")
    ] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a webhook receiver; prints its signing secret."""
    from ..service.webhooks import add_webhook

    hook, key = add_webhook(_store(target, store), url, events.split(","), secret)
    if as_json:
        print_json({**hook.public(), "secret": key})
        return
    out.print(f"{hook.webhook_id} → {hook.url} ({', '.join(hook.events)})")
    out.print(f"signing secret: {key}")


@hooks_app.command("list")
def webhooks_list(target: TargetArg, store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """List webhook receivers."""
    rows = [h.public() for h in _store(target, store).webhooks()]
    if as_json:
        print_json(rows)
        return
    table = Table("webhook id", "url", "events", "created")
    for r in rows:
        table.add_row(r["webhook_id"], r["url"], ", ".join(r["events"]), r["created"])
    out.print(table)


@hooks_app.command("remove")
def webhooks_remove(
    target: TargetArg,
    webhook_id: Annotated[str, typer.Argument(help="The webhook id (see `icp webhooks list`).")],
    store: StoreOpt = None,
) -> None:
    """Remove a receiver (pending deliveries to it are dropped, and logged as such)."""
    if not _store(target, store).remove_webhook(webhook_id):
        raise ConfigError(f"no webhook {webhook_id!r}", hint=f"See `icp webhooks list {target}`")
    out.print(f"removed {webhook_id}")


@hooks_app.command("log")
def webhooks_log(
    target: TargetArg,
    limit: Annotated[int, typer.Option(min=1, help="Attempts to show, newest first.")] = 50,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The delivery log: one row per attempt (event, receiver, HTTP code, error, status)."""
    service_store = _store(target, store)
    rows = service_store.deliveries(limit)
    if as_json:
        print_json({"pending": service_store.pending_count(), "attempts": rows})
        return
    table = Table("at", "event", "event id", "url", "try", "code", "error", "status")
    for r in rows:
        table.add_row(
            r["at"],
            r["event"],
            r["event_id"],
            r["url"],
            str(r["attempt"]),
            "" if r["code"] is None else str(r["code"]),
            r["error"] or "",
            r["status"],
        )
    out.print(table)
    out.print(f"{service_store.pending_count()} deliveries pending")


@hooks_app.command("deliver")
def webhooks_deliver(target: TargetArg, store: StoreOpt = None) -> None:
    """Try every due delivery now (the server does this on its own while it runs)."""
    from ..service.webhooks import deliver_due

    n = deliver_due(_store(target, store))
    out.print(f"delivered {n}")
