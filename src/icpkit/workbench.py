"""The workbench's view of a workspace: the last run's scored accounts, their why, and the feedback.

The web workbench (``icpkit.service.web``) and scripts read the same thing through this module:
one :class:`Workbench` per workspace, which loads the last successful run once (report, scores,
the accounts as normalised by intake, and the stage cache's tables) and answers questions about
it: a filtered and sorted page of accounts, one account's points breakdown, its buying-committee
coverage and its feedback highlights, a question to the feedback, the what-if backtest.

When ``icp run`` records a newer run, the next call reloads (the last run id is checked).
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import ConfigError
from .explain import pretty_name
from .export import safe_cell
from .profile import Profile, profile_from_dict
from .scoring import contributions, reasons
from .whatif import WhatIf, load_training

__all__ = ["ACCOUNT_COLUMNS", "AccountQuery", "Workbench", "csv_text"]

# What a reader scans in the accounts list (whichever the workspace has), after name and score.
ACCOUNT_COLUMNS = ("industry", "region", "country", "employees", "annual_revenue")
SORTABLE = ("icp_score", "name", "employees", "annual_revenue")
_RECHECK = 2.0  # seconds between looks at the run store for a newer run


@dataclass(frozen=True)
class AccountQuery:
    """Filters of the accounts list; empty means 'any'."""

    tier: str = ""
    segment: str = ""
    industry: str = ""
    region: str = ""
    min_employees: float | None = None
    max_employees: float | None = None
    q: str = ""  # in the name or domain, case-insensitive
    sort: str = "icp_score"
    descending: bool = True


def _newest(ws: Path, name: str) -> Path | None:
    """The newest stage-cache file called ``name`` (the cache keeps only the last run's)."""
    found = sorted((ws / ".icp" / "cache").glob(f"*/{name}"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def csv_text(frame: pd.DataFrame) -> str:
    """CSV a spreadsheet opens safely: text cells that look like formulas are quoted out."""
    out = frame.copy()
    for c in out.columns:
        if not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].map(safe_cell)
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue()


class Workbench:
    """One workspace's last run, loaded once and shared by every request (thread-safe reads)."""

    def __init__(self, workspace: str | Path) -> None:
        self.workspace = Path(workspace)
        self._lock = threading.RLock()
        self._run_id: int | None = None
        self._data: dict[str, Any] = {}
        self._checked = 0.0
        self._key_locks: dict[str, threading.Lock] = {}

    # -- loading

    def _last_run(self) -> Any:
        from .workspace._run import _store_or_fail

        with _store_or_fail(self.workspace) as store:
            return store.last("ok")

    def _fresh(self) -> dict[str, Any]:
        """The loaded data of the last run (reloaded when a newer run exists)."""
        with self._lock:
            now = time.monotonic()
            if self._data and now - self._checked < _RECHECK:
                return self._data
            self._checked = now
            last = self._last_run()
            if last is None:
                raise ConfigError(
                    "no successful run in this workspace",
                    file=str(self.workspace),
                    hint=f"Run `icp run {self.workspace}`",
                )
            if last.run_id != self._run_id:
                self._data = {"run": last}
                self._run_id = last.run_id
            return self._data

    def _get(self, key: str, load: Any) -> Any:
        """``data[key]``, loaded once; a slow load blocks only the callers wanting that key."""
        data = self._fresh()
        with self._lock:
            if key in data:
                return data[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in data:
                    return data[key]
            value = load()
            with self._lock:
                data[key] = value
            return value

    @property
    def run(self) -> Any:
        return self._fresh()["run"]

    def report(self) -> dict[str, Any]:
        return dict(self.run.report or {})

    def run_profile(self) -> Profile | None:
        """The profile the last run scored with."""
        data = (self.run.metrics or {}).get("profile")
        return profile_from_dict(data) if data else None

    def cached(self, name: str) -> Any:
        """A stage output of the last run: ``'contacts'`` (a table) or ``'committee'`` (a dict)."""

        def load() -> Any:
            table = _newest(self.workspace, f"{name}.parquet")
            if table is not None:
                return pq.read_table(table)
            data = _newest(self.workspace, f"{name}.json")
            return json.loads(data.read_text("utf-8")) if data is not None else None

        return self._get(f"cache:{name}", load)

    def lookalikes(self, limit: int = 50) -> dict[str, Any] | None:
        """The last run's lookalikes in words (the first ``limit``), or None when it found none.

        ``{"found", "shown", "columns", "rows"}``: the columns are the report's (company,
        similarity, fit score, tier, nearest best customers, traits shared).
        """
        from .report._analytics_sections import LOOKALIKE_COLUMNS, lookalike_row

        stages = (self.report().get("run") or {}).get("stages") or []
        ran = any(
            s.get("name") == "lookalike" and s.get("status") in ("ok", "cached")
            for s in stages
            if isinstance(s, dict)
        )
        table = self.cached("lookalikes_table") if ran else None
        if not isinstance(table, pa.Table) or table.num_rows == 0:
            return None
        frame = table.to_pandas()
        head = frame.head(limit).astype(object).where(frame.head(limit).notna(), None)
        rows = [lookalike_row(r) for r in head.to_dict("records")]
        return {
            "found": int(table.num_rows),
            "shown": len(rows),
            "columns": list(LOOKALIKE_COLUMNS),
            "rows": rows,
        }

    def market_sections(self) -> list[dict[str, Any]]:
        """The report's market and funnel sections, without the report's short lookalike table
        (the Market page lists more of them itself)."""
        by_id = {s.get("id"): s for s in self.report().get("sections", []) if isinstance(s, dict)}
        out = []
        for sid in ("market", "funnel"):
            s = by_id.get(sid)
            if s is None:
                continue
            tables = [t for t in s.get("tables") or [] if t.get("id") != "lookalikes"]
            lead = "Companies like your best customers:"
            paragraphs = [p for p in s.get("paragraphs") or [] if not str(p).startswith(lead)]
            out.append({**s, "tables": tables, "paragraphs": paragraphs})
        return out

    def accounts(self) -> pd.DataFrame:
        """Scored accounts with the columns people filter on (one row per account)."""

        def load() -> pd.DataFrame:
            from .workspace import last_accounts, last_scores

            scores = last_scores(self.workspace).to_pandas()
            snap = last_accounts(self.workspace)
            if snap is not None:
                acc = pq.read_table(snap).to_pandas()
                if "account_id" in acc:
                    keep = [c for c in ("account_id", "domain", *ACCOUNT_COLUMNS) if c in acc]
                    acc = acc[keep].assign(account_id=acc["account_id"].astype(str))
                    acc = acc.drop_duplicates("account_id")
                    scores = scores.merge(
                        acc.drop(columns=[c for c in acc if c in scores and c != "account_id"]),
                        on="account_id",
                        how="left",
                    )
            return scores.reset_index(drop=True)

        frame: pd.DataFrame = self._get("accounts", load)
        return frame

    def facets(self) -> dict[str, list[str]]:
        """The values each filter offers, most common first."""
        frame = self.accounts()
        out: dict[str, list[str]] = {"tier": list("ABCD")}
        for col, key in (
            ("icp_segment", "segment"),
            ("industry", "industry"),
            ("region", "region"),
        ):
            if col in frame:
                out[key] = [str(v) for v in frame[col].dropna().value_counts().index]
        return out

    def query(
        self, query: AccountQuery, *, offset: int = 0, limit: int | None = 50
    ) -> tuple[pd.DataFrame, int]:
        """(one page of accounts matching ``query``, how many match in all)."""
        frame = self.accounts()
        keep = np.ones(len(frame), dtype=bool)
        for col, value in (
            ("icp_tier", query.tier),
            ("icp_segment", query.segment),
            ("industry", query.industry),
            ("region", query.region),
        ):
            if value and col in frame:
                keep &= (frame[col].astype("string") == value).fillna(False).to_numpy()
        if "employees" in frame and (
            query.min_employees is not None or query.max_employees is not None
        ):
            emp = pd.to_numeric(frame["employees"], errors="coerce")
            if query.min_employees is not None:
                keep &= (emp >= query.min_employees).fillna(False).to_numpy()
            if query.max_employees is not None:
                keep &= (emp < query.max_employees).fillna(False).to_numpy()
        if query.q.strip():
            needle = query.q.strip().lower()
            hit = np.zeros(len(frame), dtype=bool)
            for col in ("name", "domain", "account_id"):
                if col in frame:
                    text = frame[col].astype("string").str.lower()
                    hit |= text.str.contains(needle, regex=False).fillna(False).to_numpy()
            keep &= hit
        out = frame[keep]
        sort = query.sort if query.sort in SORTABLE and query.sort in out else "icp_score"
        out = out.sort_values(sort, ascending=not query.descending, kind="stable")
        total = len(out)
        page = out.iloc[offset : None if limit is None else offset + limit]
        return page.reset_index(drop=True), total

    # -- one account

    def _account_row(self, account_id: str) -> pa.Table:
        acc = self.cached("accounts")
        if acc is None or "account_id" not in acc.column_names:
            raise ConfigError("the last run kept no accounts table", file=str(self.workspace))
        ids = pa.compute.cast(acc.column("account_id"), pa.string())
        mask = pa.compute.equal(ids, account_id)
        rows = acc.filter(mask)
        if rows.num_rows == 0:
            raise ConfigError(f"no account {account_id!r} in the last run")
        return rows.slice(0, 1)

    def why(self, account_id: str, profile: Profile) -> dict[str, Any]:
        """Points per attribute and segment for one account, largest first, with the reasons."""
        row = self._account_row(account_id)
        parts = contributions(profile, row).to_pylist()[0]
        values = row.to_pylist()[0]
        labels = {a.name: a.label or pretty_name(a.name) for a in profile.attributes}
        items = [
            {
                "part": name,
                "label": labels.get(name, name),
                "value": values.get(name),
                "points": int(points),
            }
            for name, points in parts.items()
            if name in labels or points  # a segment the account is not in adds nothing
        ]
        items.sort(key=lambda i: -abs(i["points"]))
        return {
            "intercept": profile.intercept,
            "items": items,
            "reasons": reasons(profile, row).to_pylist()[0],
        }

    def committee(self, account_id: str) -> list[dict[str, Any]]:
        """Each deal role typical of won committees: covered at this account, and by whom."""
        from .committee import contact_personas

        summary = (self.cached("committee") or {}).get("summary") or {}
        needs = ((summary.get("gaps") or {}).get("needs")) or []
        contacts = self.cached("contacts")
        if not needs or contacts is None or "account_id" not in contacts.column_names:
            return []
        frame = contacts.to_pandas()
        frame = frame[frame["account_id"].astype(str) == account_id]
        people = contact_personas(frame) if len(frame) else frame.assign(persona=[])
        out = []
        for need in needs:
            who = people[people["persona"].isin(need.get("personas") or [])]
            out.append(
                {
                    "deal_role": need.get("deal_role"),
                    "personas": need.get("personas") or [],
                    "covered": bool(len(who)),
                    "contacts": [str(t) for t in who.get("title", who["persona"]).head(3).tolist()],
                    "won_share": need.get("won_share"),
                }
            )
        return out

    def labelled_feedback(self) -> Any:
        """The feedback cut into labelled highlights, ICP flagged (computed once per run)."""

        def load() -> Any:
            from .voice import label_feedback

            feedback = self.cached("feedback")
            if feedback is None:
                raise ConfigError(
                    "this workspace has no feedback table",
                    hint="Add tables.feedback to icp.yaml and run again",
                )
            acc = self.accounts()
            config_method = self._voice_method()
            return label_feedback(
                feedback.to_pandas(),
                acc,
                profile=None,
                tiers=("A", "B"),
                method=config_method,
            )

        return self._get("labelled", load)

    def _voice_method(self) -> str:
        from .workspace import load_config

        try:
            return str(load_config(self.workspace).options.voice_method)
        except Exception:  # a workspace without options reads feedback the lean way
            return "tfidf"

    def highlights(self, account_id: str, limit: int = 5) -> list[dict[str, Any]]:
        """The account's own feedback highlights, most confident first."""
        try:
            labelled = self.labelled_feedback()
        except ConfigError:
            return []
        hl = labelled.highlights
        mine = hl[hl["account_id"].astype(str) == account_id]
        sort = "confidence" if "confidence" in mine else mine.columns[0]
        mine = mine.sort_values(sort, ascending=False).head(limit)
        keep = [c for c in ("text", "category", "source", "date") if c in mine]
        return [
            {k: (None if pd.isna(v) else str(v)) for k, v in r.items()}
            for r in mine[keep].to_dict("records")
        ]

    def ask(self, question: str, top: int = 8) -> dict[str, Any]:
        """Evidence answering ``question`` from ICP accounts' feedback, with sources."""
        from .voice import ask

        answer = ask(self.labelled_feedback(), question, top=top)
        names = (
            self.accounts().set_index("account_id")["name"] if "name" in self.accounts() else None
        )
        for item in answer["evidence"]:
            aid = str(item.get("account_id"))
            item["account"] = (
                str(names.get(aid)) if names is not None and aid in names.index else aid
            )
        return answer

    def interview_plan(self) -> dict[str, Any] | None:
        from .voice import interview_plan

        contacts = self.cached("contacts")
        if contacts is None:
            return None
        try:
            plan = interview_plan(self.labelled_feedback(), contacts.to_pandas())
        except ConfigError:
            return None
        names = self._names()
        for c in plan.get("contacts") or []:
            person = " ".join(str(c.get(k) or "") for k in ("first_name", "last_name")).strip()
            c["person"] = person or None
            c["account"] = names.get(str(c.get("account_id")), c.get("account_id"))
        return plan

    def _names(self) -> dict[str, str]:
        frame = self.accounts()
        if "name" not in frame:
            return {}
        return dict(zip(frame["account_id"].astype(str), frame["name"].astype(str), strict=True))

    # -- what-if

    def whatif(self) -> WhatIf:
        """The training rows of the last run, ready for what-if backtests."""
        return self._get("whatif", lambda: WhatIf.from_training(load_training(self.workspace)))

    def warm_whatif(self, profile: Profile) -> None:
        """Read and bin the training rows in the background (once), so the first edit on the
        points page is answered as fast as the next ones."""
        with self._lock:
            if self._data.get("warming"):
                return
            self._data["warming"] = True

        def warm() -> None:
            with contextlib.suppress(Exception):  # a failure shows on the first real request
                self.whatif().backtest(profile)

        threading.Thread(target=warm, name="whatif-warm", daemon=True).start()

    def runs(self) -> list[Any]:
        from .workspace._run import _store_or_fail

        with _store_or_fail(self.workspace) as store:
            return store.runs()
