"""Score JSON records exactly as `icp score` scores the rows of a CSV export.

Records whose field names the compiled profile can read (:mod:`icpkit.compiled`: a CRM
export's or canonical names) are scored by it. The others become an Arrow table of text
columns (a CSV export is read as text, and empty cells as missing), then go through
:func:`icpkit.stream.score_raw`: the same intake mapping, normalisers and reference engine
as `icp score`. Nothing here computes a score.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..compiled import CompiledProfile, Scored, cell_text
from ..errors import SchemaError
from ..profile import Profile
from ..stream import FLAG_PREFIX, score_raw
from .body import shared_fields

if TYPE_CHECKING:
    from ..intake import Loaded

__all__ = ["RecordScorer", "ScoredRecords", "field_names", "records_to_table", "score_records"]


@dataclass
class ScoredRecords(Scored):
    """The compiled scorer's results, plus the fields ignored and the profile columns missing."""

    ignored_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)

    def slice(self, start: int, stop: int) -> ScoredRecords:
        """The results of records ``start:stop`` (one request of a coalesced batch)."""
        return ScoredRecords(
            self.scores[start:stop],
            self.tiers[start:stop],
            self.segments[start:stop],
            self.reasons[start:stop],
            self.warnings[start:stop],
            self.ids[start:stop],
            self.ignored_columns,
            self.missing_columns,
        )

    def response(self, version: int) -> bytes:
        """The JSON answer of ``POST /v1/score``, encoded by msgspec in one call from
        Structs made column by column (no dict per record; each outcome's reasons are one
        shared list, never copied per record)."""
        results = list(
            map(
                _Result,
                self.ids,
                self.scores,
                self.tiers,
                self.segments,
                self.reasons,
                self.warnings,
            )
        )
        answer = _Answer(version, results, self.ignored_columns, self.missing_columns)
        return _ENCODER.encode(answer)


class _Result(msgspec.Struct, gc=False):
    """One record's answer (the documented shape: icpkit.service.api.ScoreResult)."""

    account_id: str | None
    icp_score: int
    icp_tier: str
    icp_segment: str | None
    icp_reasons: list[str]
    warnings: list[str]


class _Answer(msgspec.Struct, gc=False):
    profile_version: int
    results: list[_Result]
    ignored_columns: list[str]
    missing_columns: list[str]


_ENCODER = msgspec.json.Encoder()


def _text_column(values: list[Any]) -> pa.Array:
    try:  # the common case, text and missing values only: built by Arrow in one go
        arr = pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array([cell_text(v) for v in values], pa.string())
    # An empty cell is missing, as when reading a CSV.
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def field_names(records: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """Every field name of the records, in the order they first appear."""
    if (header := shared_fields(records)) is not None:  # the usual batch: at C level
        return header
    names: dict[str, None] = {}
    for rec in records:
        names.update(dict.fromkeys(rec))
    return tuple(names)


def records_to_table(
    records: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None
) -> pa.Table:
    """Records as a table of text columns (``columns``, default: every field)."""
    names = field_names(records) if columns is None else columns
    if not names:
        raise SchemaError("the records have no fields to score")
    return pa.table({name: _text_column([rec.get(name) for rec in records]) for name in names})


def _row_warnings(
    raw: pa.Table, table: pa.Table, origin: Mapping[str, str], used: Sequence[str]
) -> list[list[str]]:
    """Per row: the values of scored columns that could not be read (scored as missing)."""
    out: list[list[str]] = [[] for _ in range(raw.num_rows)]
    for name in used:
        source = origin.get(name)
        if source is None or name not in table.column_names:
            continue
        lost = pc.and_(pc.is_valid(raw.column(source)), pc.is_null(table.column(name)))
        rows = np.flatnonzero(lost.to_numpy(zero_copy_only=False))
        if not len(rows):
            continue
        values = raw.column(source).take(pa.array(rows)).to_pylist()
        for row, value in zip(rows, values, strict=True):
            out[row].append(f"{source}: could not read {value!r} as {name}; scored as missing")
    return out


def score_records(profile: Profile, records: Sequence[Mapping[str, Any]]) -> ScoredRecords:
    """Score JSON records (CRM or canonical field names, messy values) like `icp score`."""
    return RecordScorer(profile).score(records)


# Per set of field names: the fields to normalise (None: all), those ignored, and the
# profile columns none of the fields gives.
_Plan = tuple[list[str] | None, list[str], list[str]]


class RecordScorer:
    """Scores records with one profile: through its compiled form when their field names
    allow (the usual case), else through intake, remembering per set of field names which
    fields feed the score, so that later requests normalise only those.

    Intake normalises every column it recognises (dates, owners, cities...), most of which
    a profile never reads: for a single lead that is most of the time. The first request
    with a given set of field names goes through intake whole; if intake on just the
    feeding fields maps them the same way, later requests send only those (the score is
    the same: each column is normalised on its own), else they keep the whole path.
    """

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.compiled = CompiledProfile(profile)
        self._plans: dict[tuple[str, ...], _Plan] = {}
        self._lock = threading.Lock()

    def _plan(self, raw: pa.Table, loaded: Loaded) -> _Plan:
        used = self.profile.columns
        origin = loaded.column_origin
        scored = {origin.get(u) for u in used}
        given = {u for u in used if u in origin}
        # A list column (technologies) feeds flags that exist only when some row names the
        # item: keep it by what it maps to, not by which flags this request happened to get.
        for original, canonical in loaded.recognition.mapped.items():
            prefix = FLAG_PREFIX.get(canonical, canonical)
            flags = {u for u in used if u.startswith(f"{prefix}_")}
            if canonical in used or flags:
                scored.add(original)
                given |= flags | ({canonical} & set(used))
        # What the field names give, not what these values happened to produce.
        missing = [u for u in used if u not in given]
        ignored = [c for c in raw.column_names if c not in scored]
        # The id is not scored but is answered back (and tracks tier changes): keep it.
        keep = scored | {origin.get("account_id")}
        feeding = [c for c in raw.column_names if c in keep]
        if not feeding:
            return None, ignored, missing
        from ..intake import load_table

        subset = load_table(raw.select(feeding))
        same = all(subset.column_origin.get(u) == origin.get(u) for u in [*used, "account_id"])
        return (feeding if same else None), ignored, missing

    def score(
        self, records: Sequence[Mapping[str, Any]], header: tuple[str, ...] | None = None
    ) -> ScoredRecords:
        """Score records; ``header`` is their :func:`field_names` when the caller has it."""
        header = field_names(records) if header is None else header
        compiled = self.compiled.plan(header)
        if compiled is not None:  # the usual case: no intake pass at all (icpkit.compiled)
            s = self.compiled.score(compiled, records)
            return ScoredRecords(
                **vars(s), ignored_columns=compiled.ignored, missing_columns=compiled.missing
            )
        with self._lock:
            plan = self._plans.get(header)
        table = records_to_table(records, None if plan is None else plan[0])
        out, loaded = score_raw(table, self.profile, reasons=True)
        assert loaded is not None  # normalize=True always gives the intake result
        if plan is None:
            plan = self._plan(table, loaded)
            with self._lock:
                if len(self._plans) > 1000:  # many different field sets: bound the memory
                    self._plans.clear()
                self._plans[header] = plan
        return self._result(table, out, loaded, plan[1], plan[2])

    def _result(
        self,
        raw: pa.Table,
        out: pa.Table,
        loaded: Loaded,
        ignored: list[str],
        missing: list[str],
    ) -> ScoredRecords:
        used = self.profile.columns
        ids: list[str | None] = [None] * raw.num_rows
        if "account_id" in loaded.table.column_names:
            ids = [None if v is None else str(v) for v in loaded.table["account_id"].to_pylist()]
        reasons = [r.split("; ") if r else [] for r in out["icp_reasons"].to_pylist()]
        return ScoredRecords(
            scores=out["icp_score"].to_pylist(),
            tiers=out["icp_tier"].to_pylist(),
            segments=out["icp_segment"].to_pylist(),
            reasons=reasons,
            warnings=_row_warnings(raw, loaded.table, loaded.column_origin, used),
            ids=ids,
            ignored_columns=ignored,
            missing_columns=missing,
        )
