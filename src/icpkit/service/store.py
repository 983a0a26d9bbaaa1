"""The service store: API keys, profile versions, webhooks, events and the delivery log.

DuckDB by default (a file beside the workspace's run store, so `icp run` keeps its own
lock), PostgreSQL for teams (``postgresql://...``). The SQL is written once, with ``?``
parameters and portable types; times are epoch seconds (DOUBLE PRECISION) so that retry
schedules compare the same way on both backends.

DuckDB lets one process at a time open a file for writing, and the CLI (`icp keys create`)
must work while `icp serve` runs: so every operation opens, works and closes, retrying
briefly while another process holds the file. The service caches what it reads on every
request (keys, the promoted profile) for a second, so this costs little.

Opening the file costs about 20 ms of CPU, and the service re-reads keys, the promoted
version and the webhooks every second or so: most of the time nothing has changed. So a
read of a DuckDB store is answered from memory while the file and its write-ahead log are
as they were when it was last read (same size, same modification time), and that time is
over a second old: a change made within the same clock tick as the read could otherwise
go unseen, so a recently changed file is always read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = [
    "Delivery",
    "KeyRecord",
    "ProfileVersion",
    "ServiceStore",
    "StoreError",
    "Webhook",
    "open_store",
]

_DDL = (
    """CREATE TABLE IF NOT EXISTS api_keys (
        key_id TEXT PRIMARY KEY, name TEXT, scope TEXT NOT NULL, hash TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL, revoked DOUBLE PRECISION)""",
    """CREATE TABLE IF NOT EXISTS profile_versions (
        version INTEGER PRIMARY KEY, body TEXT NOT NULL, author TEXT, note TEXT,
        created DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS service_state (name TEXT PRIMARY KEY, value TEXT)""",
    """CREATE TABLE IF NOT EXISTS webhooks (
        webhook_id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL,
        secret TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, removed DOUBLE PRECISION)""",
    """CREATE TABLE IF NOT EXISTS events (
        event_id TEXT PRIMARY KEY, type TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
        body TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS deliveries (
        delivery_id TEXT PRIMARY KEY, event_id TEXT NOT NULL, webhook_id TEXT NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt DOUBLE PRECISION,
        last_code INTEGER, last_error TEXT, updated DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS delivery_log (
        delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL, attempted DOUBLE PRECISION NOT NULL,
        code INTEGER, error TEXT, ms DOUBLE PRECISION)""",
    """CREATE TABLE IF NOT EXISTS account_tiers (
        account_id TEXT PRIMARY KEY, tier TEXT, score INTEGER, updated DOUBLE PRECISION)""",
)

ACTIVE = "active_version"


class StoreError(ConfigError):
    """The store database refused an operation (one line, not a driver traceback)."""


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    name: str | None
    scope: str
    hash: str
    created: float
    revoked: float | None

    def public(self) -> dict[str, Any]:
        """What may be shown: never the hash."""
        return {
            "key_id": self.key_id,
            "name": self.name,
            "scope": self.scope,
            "created": _iso(self.created),
            "revoked": _iso(self.revoked),
        }


@dataclass(frozen=True)
class ProfileVersion:
    version: int
    body: str  # the profile as YAML text, exactly as saved
    author: str | None
    note: str | None
    created: float

    def summary(self, active: int | None) -> dict[str, Any]:
        return {
            "version": self.version,
            "author": self.author,
            "note": self.note,
            "created": _iso(self.created),
            "active": self.version == active,
        }


@dataclass(frozen=True)
class Webhook:
    webhook_id: str
    url: str
    events: tuple[str, ...]
    secret: str
    created: float

    def public(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "url": self.url,
            "events": list(self.events),
            "created": _iso(self.created),
        }


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    event_id: str
    webhook_id: str
    status: str  # pending, delivered, failed (gave up)
    attempts: int
    next_attempt: float | None
    last_code: int | None
    last_error: str | None
    updated: float


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class _Backend:
    """Opens a DB-API connection per operation; ``?`` parameters everywhere."""

    paramstyle = "?"

    def token(self) -> Any:
        """What changes whenever the stored data may have: None when it cannot tell."""
        return None

    @contextmanager
    def connect(self) -> Iterator[Any]:
        raise NotImplementedError
        yield

    def sql(self, text: str) -> str:
        return text if self.paramstyle == "?" else text.replace("?", "%s")


class _DuckDB(_Backend):
    # One process-wide lock: DuckDB connections to one file from several threads of this
    # process would each be a writer; serialising them keeps transactions simple.
    _lock = threading.RLock()

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def token(self) -> Any:
        """The file's and its log's (inode, size, modification time); None when one of
        them changed within the last second (see the module docstring)."""
        now = time.time_ns()
        marks: list[tuple[int, int, int] | None] = []
        for path in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                st = path.stat()
            except FileNotFoundError:
                marks.append(None)
                continue
            if now - st.st_mtime_ns < 1_000_000_000:
                return None
            marks.append((st.st_ino, st.st_size, st.st_mtime_ns))
        return tuple(marks)

    @contextmanager
    def connect(self) -> Iterator[Any]:
        import duckdb

        deadline = time.monotonic() + 10.0
        with self._lock:
            while True:
                try:
                    con = duckdb.connect(str(self.path))
                    break
                except duckdb.IOException as exc:  # another process holds the file
                    if time.monotonic() > deadline:
                        raise ConfigError(
                            f"the service store is busy: {exc}",
                            file=str(self.path),
                            hint="Another icp process holds it; try again",
                        ) from None
                    time.sleep(0.02)
            try:
                con.execute("BEGIN TRANSACTION")
                yield con
                con.execute("COMMIT")
            except duckdb.Error as exc:
                con.execute("ROLLBACK")
                raise StoreError(f"service store: {exc}", file=str(self.path)) from None
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                con.close()


class _Postgres(_Backend):
    paramstyle = "%s"

    def __init__(self, url: str) -> None:
        self.url = url

    @contextmanager
    def connect(self) -> Iterator[Any]:
        try:
            import psycopg
        except ImportError:
            raise ConfigError(
                "a PostgreSQL store needs psycopg", hint="pip install 'icpkit[postgres]'"
            ) from None
        try:
            con = psycopg.connect(self.url, autocommit=False)
        except psycopg.OperationalError as exc:
            raise ConfigError(
                f"cannot connect to the PostgreSQL store: {str(exc).strip().splitlines()[0]}",
                hint="Check the --store URL, and that the server is running",
            ) from None
        try:
            with con:  # commits on success, rolls back on error, closes
                yield con.cursor()
        except psycopg.Error as exc:
            raise StoreError(f"service store: {str(exc).strip().splitlines()[0]}") from None


class ServiceStore:
    """Keys, profile versions, webhooks and deliveries, in DuckDB or PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith(("postgresql://", "postgres://")):
            self.backend: _Backend = _Postgres(url)
        else:
            self.backend = _DuckDB(Path(url.removeprefix("duckdb://")))
        # Reads answered while the store is unchanged (see the module docstring).
        self._reads: dict[tuple[str, tuple[Any, ...]], tuple[Any, list[tuple[Any, ...]]]] = {}
        self._lock = threading.Lock()
        self._init_schema()

    @property
    def kind(self) -> str:
        return "postgresql" if isinstance(self.backend, _Postgres) else "duckdb"

    def _init_schema(self) -> None:
        with self.backend.connect() as cur:
            for ddl in _DDL:
                cur.execute(ddl)

    def _all(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        # The token is taken before the read: a write after it changes the token, and the
        # next read goes to the store again.
        token = self.backend.token()
        key = (query, tuple(params))
        if token is not None:
            with self._lock:
                hit = self._reads.get(key)
            if hit is not None and hit[0] == token:
                return list(hit[1])
        with self.backend.connect() as cur:
            cur.execute(self.backend.sql(query), list(params))
            rows = [tuple(r) for r in cur.fetchall()]
        if token is not None:
            with self._lock:
                if len(self._reads) >= 256:  # reads keyed by a clock or an id: bounded
                    self._reads.clear()
                self._reads[key] = (token, rows)
        return list(rows)

    def _run(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Several statements in one transaction."""
        with self.backend.connect() as cur:
            for query, params in statements:
                cur.execute(self.backend.sql(query), list(params))

    # ------------------------------------------------------------------ keys

    def add_key(self, key_id: str, scope: str, hashed: str, name: str | None) -> KeyRecord:
        rec = KeyRecord(key_id, name, scope, hashed, time.time(), None)
        self._run(
            [
                (
                    "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, NULL)",
                    (key_id, name, scope, hashed, rec.created),
                )
            ]
        )
        return rec

    def list_keys(self, *, include_revoked: bool = True) -> list[KeyRecord]:
        where = "" if include_revoked else " WHERE revoked IS NULL"
        rows = self._all(f"SELECT * FROM api_keys{where} ORDER BY created, key_id")
        return [KeyRecord(*r) for r in rows]

    def key(self, key_id: str) -> KeyRecord | None:
        rows = self._all("SELECT * FROM api_keys WHERE key_id = ?", (key_id,))
        return KeyRecord(*rows[0]) if rows else None

    def revoke_key(self, key_id: str) -> bool:
        if self.key(key_id) is None:
            return False
        self._run(
            [
                (
                    "UPDATE api_keys SET revoked = ? WHERE key_id = ? AND revoked IS NULL",
                    (time.time(), key_id),
                )
            ]
        )
        return True

    def has_active_key(self) -> bool:
        return bool(self._all("SELECT 1 FROM api_keys WHERE revoked IS NULL LIMIT 1"))

    # ------------------------------------------------------------------ profile versions

    def save_version(
        self, render: Callable[[int], str], *, author: str | None, note: str | None
    ) -> int:
        """Append a profile version; ``render(number)`` gives its YAML text (validated).

        The number is taken inside the transaction, so two writers never share one.
        """
        with self.backend.connect() as cur:
            cur.execute("SELECT coalesce(max(version), 0) + 1 FROM profile_versions")
            row = cur.fetchone()
            version = int(row[0]) if row else 1
            cur.execute(
                self.backend.sql("INSERT INTO profile_versions VALUES (?, ?, ?, ?, ?)"),
                [version, render(version), author, note, time.time()],
            )
        return version

    def versions(self) -> list[ProfileVersion]:
        rows = self._all("SELECT * FROM profile_versions ORDER BY version")
        return [ProfileVersion(*r) for r in rows]

    def version(self, version: int) -> ProfileVersion | None:
        rows = self._all("SELECT * FROM profile_versions WHERE version = ?", (int(version),))
        return ProfileVersion(*rows[0]) if rows else None

    def latest_version(self) -> ProfileVersion | None:
        rows = self._all("SELECT * FROM profile_versions ORDER BY version DESC LIMIT 1")
        return ProfileVersion(*rows[0]) if rows else None

    def active_version(self) -> int | None:
        value = self.state(ACTIVE)
        return int(value) if value is not None else None

    def promote(self, version: int) -> None:
        if self.version(version) is None:
            raise ConfigError(f"no profile version {version}", hint="See GET /v1/profiles")
        self.set_state(ACTIVE, str(int(version)))

    def state(self, name: str) -> str | None:
        rows = self._all("SELECT value FROM service_state WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def set_state(self, name: str, value: str) -> None:
        self._run(
            [
                ("DELETE FROM service_state WHERE name = ?", (name,)),
                ("INSERT INTO service_state VALUES (?, ?)", (name, value)),
            ]
        )

    # ------------------------------------------------------------------ webhooks

    def add_webhook(self, hook: Webhook) -> None:
        self._run(
            [
                (
                    "INSERT INTO webhooks VALUES (?, ?, ?, ?, ?, NULL)",
                    (hook.webhook_id, hook.url, ",".join(hook.events), hook.secret, hook.created),
                )
            ]
        )

    def webhooks(self) -> list[Webhook]:
        rows = self._all(
            "SELECT webhook_id, url, events, secret, created FROM webhooks"
            " WHERE removed IS NULL ORDER BY created, webhook_id"
        )
        return [Webhook(r[0], r[1], tuple(r[2].split(",")), r[3], r[4]) for r in rows]

    def remove_webhook(self, webhook_id: str) -> bool:
        if not any(h.webhook_id == webhook_id for h in self.webhooks()):
            return False
        self._run(
            [("UPDATE webhooks SET removed = ? WHERE webhook_id = ?", (time.time(), webhook_id))]
        )
        return True

    def add_events(
        self, events: Sequence[tuple[str, str, float, str]], deliveries: Sequence[Delivery]
    ) -> None:
        """Events (id, type, created, JSON body) and their pending deliveries, in one go."""
        stmts: list[tuple[str, Sequence[Any]]] = [
            ("INSERT INTO events VALUES (?, ?, ?, ?)", e) for e in events
        ]
        stmts += [
            (
                "INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    d.delivery_id,
                    d.event_id,
                    d.webhook_id,
                    d.status,
                    d.attempts,
                    d.next_attempt,
                    d.last_code,
                    d.last_error,
                    d.updated,
                ),
            )
            for d in deliveries
        ]
        if stmts:
            self._run(stmts)

    def due_deliveries(self, now: float, limit: int = 100) -> list[tuple[Delivery, str, str]]:
        """Pending deliveries whose time has come, with the event type and body."""
        rows = self._all(
            "SELECT d.*, e.type, e.body FROM deliveries d JOIN events e USING (event_id)"
            " WHERE d.status = 'pending' AND d.next_attempt <= ?"
            " ORDER BY d.next_attempt, d.delivery_id LIMIT ?",
            (now, limit),
        )
        return [(Delivery(*r[:9]), r[9], r[10]) for r in rows]

    def record_attempt(
        self,
        delivery: Delivery,
        *,
        status: str,
        next_attempt: float | None,
        code: int | None,
        error: str | None,
        ms: float,
    ) -> None:
        now = time.time()
        attempt = delivery.attempts + 1
        self._run(
            [
                (
                    "UPDATE deliveries SET status = ?, attempts = ?, next_attempt = ?,"
                    " last_code = ?, last_error = ?, updated = ? WHERE delivery_id = ?",
                    (status, attempt, next_attempt, code, error, now, delivery.delivery_id),
                ),
                (
                    "INSERT INTO delivery_log VALUES (?, ?, ?, ?, ?, ?)",
                    (delivery.delivery_id, attempt, now, code, error, ms),
                ),
            ]
        )

    def deliveries(self, limit: int = 100) -> list[dict[str, Any]]:
        """The delivery log, newest first: one row per attempt, with its delivery's state."""
        rows = self._all(
            "SELECT l.attempted, d.delivery_id, d.event_id, e.type, w.url, l.attempt, l.code,"
            " l.error, l.ms, d.status FROM delivery_log l"
            " JOIN deliveries d USING (delivery_id) JOIN events e ON e.event_id = d.event_id"
            " JOIN webhooks w ON w.webhook_id = d.webhook_id"
            " ORDER BY l.attempted DESC, l.attempt DESC LIMIT ?",
            (limit,),
        )
        names = (
            "at",
            "delivery_id",
            "event_id",
            "event",
            "url",
            "attempt",
            "code",
            "error",
            "ms",
            "status",
        )
        out = [dict(zip(names, r, strict=True)) for r in rows]
        for row in out:
            row["at"] = _iso(row["at"])
        return out

    def pending_count(self) -> int:
        rows = self._all("SELECT count(*) FROM deliveries WHERE status = 'pending'")
        return int(rows[0][0])

    # ------------------------------------------------------------------ account tiers

    def swap_tiers(self, rows: Sequence[tuple[str, str, int]]) -> dict[str, str | None]:
        """Store each account's latest (tier, score); returns the tiers they had before.

        A scoring call's accounts go as three array parameters, unnested by the database:
        one statement each to read, delete and insert, whatever the number of accounts
        (bound one by one, 10,000 accounts took ~0.8 s of CPU on DuckDB). An account named
        twice in one call keeps its last tier."""
        if not rows:
            return {}
        latest = {a: (t, int(s)) for a, t, s in rows}
        ids = list(latest)
        tiers = [t for t, _ in latest.values()]
        scores = [s for _, s in latest.values()]
        accounts = "SELECT unnest(?::TEXT[])"
        with self.backend.connect() as cur:
            sql = self.backend.sql
            cur.execute(
                sql(f"SELECT account_id, tier FROM account_tiers WHERE account_id IN ({accounts})"),
                [ids],
            )
            before = {str(a): t for a, t in cur.fetchall()}
            cur.execute(sql(f"DELETE FROM account_tiers WHERE account_id IN ({accounts})"), [ids])
            cur.execute(
                sql(
                    "INSERT INTO account_tiers SELECT unnest(?::TEXT[]), unnest(?::TEXT[]), "
                    "unnest(?::INTEGER[]), ?::DOUBLE PRECISION"
                ),
                [ids, tiers, scores, time.time()],
            )
        return {a: before.get(a) for a in ids}


def open_store(url: str) -> ServiceStore:
    return ServiceStore(url)
