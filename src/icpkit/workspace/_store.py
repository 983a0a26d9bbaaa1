"""The run store: an embedded DuckDB file at ``<workspace>/.icp/runs.duckdb``.

Each run is written in one transaction (run row + its scores), so a failed run never
touches the previous one. Tables::

    runs(run_id, started, finished, status, stage, error, profile_version,
         fingerprints JSON, metrics JSON, report JSON)
    scores(run_id, account_id, score, tier, segment)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import ConfigError

__all__ = ["RunRecord", "RunStore"]

_DDL = (
    """CREATE TABLE IF NOT EXISTS runs (
        run_id INTEGER PRIMARY KEY, started TIMESTAMP, finished TIMESTAMP, status VARCHAR,
        stage VARCHAR, error VARCHAR, profile_version INTEGER, fingerprints JSON,
        metrics JSON, report JSON)""",
    """CREATE TABLE IF NOT EXISTS scores (
        run_id INTEGER, account_id VARCHAR, score INTEGER, tier VARCHAR, segment VARCHAR)""",
)


@dataclass
class RunRecord:
    run_id: int
    started: dt.datetime
    finished: dt.datetime | None
    status: str
    stage: str | None
    error: str | None
    profile_version: int | None
    fingerprints: dict[str, Any]
    metrics: dict[str, Any]
    report: dict[str, Any] | None


def _loads(text: Any) -> Any:
    return None if text is None else json.loads(text)


def _connect(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """Open the store; while another process holds it (for a moment: runs keep it open only
    to read the last run and to commit theirs), wait and try again."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            locked = "lock" in str(exc).lower()
            if not locked or time.monotonic() >= deadline:
                raise ConfigError(
                    f"cannot open the run store: {' '.join(str(exc).split())}",
                    file=str(path),
                    hint="Another icpkit process holds it; try again in a moment"
                    if locked
                    else "Delete .icp/runs.duckdb to start the history afresh",
                ) from None
            time.sleep(0.05)


class RunStore:
    """Read and append runs. Open it for the duration of one operation (DuckDB locks the file);
    ``read_only`` for readers, so a report can be read while a run computes."""

    def __init__(
        self, path: str | os.PathLike[str], *, read_only: bool = False, wait: float = 30.0
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if read_only and not self.path.is_file():
            read_only = False  # nothing to read yet: create it (empty)
        self.con = _connect(self.path, read_only, wait)
        if not read_only:
            for ddl in _DDL:
                self.con.execute(ddl)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def next_id(self) -> int:
        row = self.con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchone()
        return int(row[0]) if row else 1

    def record(
        self,
        *,
        started: dt.datetime,
        status: str,
        fingerprints: dict[str, Any],
        metrics: dict[str, Any],
        report: dict[str, Any] | None = None,
        profile_version: int | None = None,
        scores: pa.Table | None = None,
        stage: str | None = None,
        error: str | None = None,
        run_id: int | None = None,
    ) -> int:
        """Append one run (and its scores) atomically; returns its run_id."""
        finished = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        self.con.execute("BEGIN TRANSACTION")
        try:
            run_id = self.next_id() if run_id is None else run_id
            self.con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    started,
                    finished,
                    status,
                    stage,
                    error,
                    profile_version,
                    json.dumps(fingerprints, default=str),
                    json.dumps(metrics, default=str),
                    None if report is None else json.dumps(report, default=str),
                ],
            )
            if scores is not None and scores.num_rows:
                self.con.register("_new_scores", scores)
                self.con.execute(
                    "INSERT INTO scores SELECT ?, CAST(account_id AS VARCHAR), score, tier, segment"
                    " FROM _new_scores",
                    [run_id],
                )
                self.con.unregister("_new_scores")
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return run_id

    def runs(self, status: str | None = None) -> list[RunRecord]:
        """All runs, oldest first (optionally only those with ``status``)."""
        q = "SELECT * FROM runs" + (" WHERE status = ?" if status else "") + " ORDER BY run_id"
        rows = self.con.execute(q, [status] if status else []).fetchall()
        return [
            RunRecord(
                run_id=r[0],
                started=r[1],
                finished=r[2],
                status=r[3],
                stage=r[4],
                error=r[5],
                profile_version=r[6],
                fingerprints=_loads(r[7]) or {},
                metrics=_loads(r[8]) or {},
                report=_loads(r[9]),
            )
            for r in rows
        ]

    def last(self, status: str = "ok") -> RunRecord | None:
        runs = self.runs(status)
        return runs[-1] if runs else None

    def scores(self, run_id: int) -> pa.Table:
        return self.con.sql(
            f"SELECT account_id, score, tier, segment FROM scores WHERE run_id = {int(run_id)}"
            " ORDER BY account_id"
        ).to_arrow_table()
