"""The workspace's scored accounts (its last successful run), filtered and paginated.

Read through :func:`icpkit.workspace.last_scores` and kept in memory until the run store
changes, so a page costs a filter, not a database read. The cursor is the position
after the last account returned, in a stable order (score high to low, then account id).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ConfigError

__all__ = ["AccountIndex", "NoAccounts", "decode_cursor", "encode_cursor"]

MAX_LIMIT = 1000


class NoAccounts(ConfigError):
    """The service has no scored accounts to list (a bare profile, or no run yet): 404."""


def encode_cursor(offset: int) -> str:
    return str(offset)


def decode_cursor(cursor: str | None) -> int:
    """The cursor is the position of the next account: past the end gives an empty page."""
    if not cursor:
        return 0
    if not cursor.isdigit():
        raise ConfigError(
            f"invalid cursor {cursor!r}", hint="Pass the next_cursor of the previous page"
        )
    return int(cursor)


@dataclass
class _Snapshot:
    stamp: tuple[float, int]
    table: pa.Table


class AccountIndex:
    """Scored accounts of one workspace; reloaded when its run store changes."""

    def __init__(self, workspace: Path | None) -> None:
        self.workspace = workspace
        self._snap: _Snapshot | None = None
        self._lock = threading.Lock()

    def _stamp(self) -> tuple[float, int] | None:
        if self.workspace is None:
            return None
        path = self.workspace / ".icp" / "runs.duckdb"
        if not path.is_file():
            return None
        st = path.stat()
        return (st.st_mtime, st.st_size)

    def table(self) -> pa.Table:
        from ..workspace import last_scores

        if self.workspace is None:
            raise NoAccounts(
                "this service scores with a bare profile: it has no scored accounts",
                hint="Serve a workspace (icp serve WORKSPACE) to list its accounts",
            )
        stamp = self._stamp()
        with self._lock:
            if self._snap is not None and self._snap.stamp == stamp:
                return self._snap.table
        try:
            table = last_scores(self.workspace)
        except ConfigError as exc:  # no run yet, or a run that learned no profile
            raise NoAccounts(exc.message, hint=exc.hint) from None
        order = pc.sort_indices(
            table, sort_keys=[("icp_score", "descending"), ("account_id", "ascending")]
        )
        table = table.take(order)
        with self._lock:
            self._snap = _Snapshot(stamp or (0.0, 0), table)
        return table

    def page(
        self,
        *,
        tier: str | None = None,
        segment: str | None = None,
        q: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """One page of accounts matching every filter given, and the cursor of the next."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ConfigError(f"limit must be an int from 1 to {MAX_LIMIT}. Got {limit} instead")
        table = self.table()
        mask = pa.array([True] * table.num_rows)
        if tier:
            mask = pc.and_(mask, pc.equal(table["icp_tier"], tier.upper()))
        if segment:
            mask = pc.and_(mask, pc.equal(table["icp_segment"], segment))
        if q:
            hit = pa.array([False] * table.num_rows)
            for name in ("account_id", "name", "domain"):
                if name in table.column_names:
                    col = table[name].cast(pa.string())
                    found = pc.match_substring(col, q, ignore_case=True)
                    hit = pc.or_(hit, pc.fill_null(found, False))
            mask = pc.and_(mask, hit)
        matched = table.filter(pc.fill_null(mask, False))
        start = decode_cursor(cursor)
        rows = matched.slice(start, limit).to_pylist()
        end = start + len(rows)
        return {
            "total": matched.num_rows,
            "accounts": rows,
            "next_cursor": encode_cursor(end) if end < matched.num_rows else None,
        }
