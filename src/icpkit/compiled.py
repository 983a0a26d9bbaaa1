"""A profile compiled for scoring records one at a time (a lead form, an API call).

`icp score` runs intake on whole columns: recognise the header, normalise every column it
recognises, then score with the reference engine. For one record that is mostly fixed
cost (Arrow and pandas set-up per column), most of it on columns the profile never reads.
A :class:`CompiledProfile` pays it once instead:

* per set of field names (a *header*), once: intake's recogniser maps the fields, and the
  plan keeps only the fields that feed the profile, each with its normaliser;
* per distinct value of a field, once (bounded caches): the normaliser's answer, reduced
  to the *cell* the profile can tell it by (the piece between two edges for a number,
  the listed value or "another value" for a label, missing);
* per distinct combination of cells, once: score, tier, segment and reasons. All that
  the reference engine computes depends on a row only through its cells, so a record
  whose cells were seen before is answered by one dict lookup.

New combinations are scored by a transcription of the engine's rules
(:class:`icpkit.rowrules.RowRules`); tests hold it equal to the engine, and every record
equal to `icp score` on the same row.

A batch of many records is read column by column instead (:meth:`CompiledProfile.score`
chooses): per field, the batch's distinct values; the values new to the field normalised
together by intake's vectorised fast paths (the exact per-value normaliser only for the
shapes those leave), remembered per field; then the engine's rules over whole columns
(:mod:`icpkit.columnar`). No Python loop runs per record there.

A header the plan cannot read exactly (a profile column from a custom field, dates, a
persona) returns None from :meth:`CompiledProfile.plan`: the caller then takes the whole
intake path.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter, methodcaller
from typing import Any

import numpy as np

from .columnar import Coded, ColumnRules
from .fieldvalues import (
    KINDS,
    VALUES_MAX,
    Source,
    cell_text,
    encode,
    normalise_value,
    read_one,
)
from .intake import recognize
from .intake._recognize import allowed_columns
from .intake.normalizers import output_columns
from .profile import Disqualifier, NumericAttribute, Profile, Segment
from .rowrules import Outcome, RowRules, as_number, as_text
from .scoring import numeric_pieces
from .stream import FLAG_PREFIX

__all__ = [
    "CompiledProfile",
    "Outcome",
    "Plan",
    "Scored",
    "cell_text",
    "normalise_value",
]

#: From this many records on, a call is scored column by column (see the module docstring):
#: values new to a warm scorer cost, per call, 5.0 ms record by record and 4.1 ms column by
#: column at 128 records; 2.8 ms and 3.1 ms at 64 (CPU, load 6).
COLUMNS_MIN = 128
#: Bound on the outcomes remembered per plan (entries); a full memo is emptied.
_OUTCOMES_MAX = 500_000

_OTHER = "\x00other"  # the cell of a label the profile does not list
#: The warnings of a record with none, shared by all such records (as an outcome's reasons
#: are): never mutate.
_NO_WARNINGS: list[str] = []

_FIRST, _LOST = itemgetter(0), itemgetter(2)
_SCORE, _TIER, _SEGMENT, _REASONS = map(attrgetter, ("score", "tier", "segment", "reasons"))

# ------------------------------------------------------------------ plans per header


@dataclass
class Plan:
    """How the records of one header are read: the fields that feed the profile."""

    sources: list[Source]
    id_field: str | None
    ignored: list[str]  # fields that do not count in the score
    missing: list[str]  # profile columns no field gives (scored as missing)
    outcomes: dict[tuple[Any, ...], Outcome] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Scored:
    """Per record: score, tier, segment, reasons, warnings and the normalised id. A list
    of reasons or warnings may be shared by many records: never mutate one."""

    scores: list[int]
    tiers: list[str]
    segments: list[str | None]
    reasons: list[list[str]]
    warnings: list[list[str]]
    ids: list[str | None]


class CompiledProfile:
    """A profile prepared for scoring records (see the module docstring). Thread-safe."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.columns = profile.columns
        self._index = {c: i for i, c in enumerate(self.columns)}
        # How the engine reads each column: as a number (edges cut it into cells) and/or
        # as text (the values it names; any other value is one cell).
        self._edges: dict[str, set[float]] = {}
        self._labels: dict[str, set[str]] = {}
        for attr in profile.attributes:
            if isinstance(attr, NumericAttribute):
                self._edges.setdefault(attr.name, set()).update(numeric_pieces(attr).edges)
            else:
                labels = self._labels.setdefault(attr.name, set())
                labels.update(v for b in attr.bins for v in b.values)
        rules: list[Segment | Disqualifier] = [*profile.segments, *profile.disqualifiers]
        for rule in rules:
            for c in rule.conditions:
                if c.is_numeric:
                    edges = self._edges.setdefault(c.attribute, set())
                    edges.update(e for e in (c.ge, c.lt) if e is not None)
                else:
                    self._labels.setdefault(c.attribute, set()).update(c.in_ or c.not_in or [])
        self._cuts = {c: sorted(e) for c, e in self._edges.items()}
        self._plans: dict[tuple[str, ...], Plan | None] = {}
        self._lock = threading.Lock()
        self.supported = profile.persona is None
        self.rules = RowRules(profile)
        self.columnar = ColumnRules(self.rules)

    # -------------------------------------------------------------- header plans

    def plan(self, header: Sequence[str]) -> Plan | None:
        """The plan for records with these field names; None when only the whole intake
        path reads them exactly (then score them with :mod:`icpkit.stream`)."""
        key = tuple(header)
        with self._lock:
            if key in self._plans:
                return self._plans[key]
        plan = self._make_plan(key) if self.supported and key else None
        with self._lock:
            if len(self._plans) > 1000:  # many different field sets: bound the memory
                self._plans.clear()
            self._plans[key] = plan
        return plan

    def ready(self, header: Sequence[str]) -> bool:
        """True when records with these field names have a plan built already."""
        with self._lock:
            return self._plans.get(tuple(header)) is not None

    def _make_plan(self, header: tuple[str, ...]) -> Plan | None:
        rec = recognize(list(header))
        kinds = allowed_columns(rec.kind)
        order = {name: i for i, name in enumerate(kinds)}
        # Intake's _normalise: mapped fields in schema order; the first to give a derived
        # column keeps it, a field mapped to the same canonical name replaces it.
        outputs: dict[str, tuple[str, str, int]] = {}  # column -> (field, kind, slot)
        lists: dict[str, str] = {}  # list column -> its field
        for original, canonical in sorted(rec.mapped.items(), key=lambda kv: order[kv[1]]):
            kind = kinds[canonical]
            if kind == "list":
                lists[canonical] = original
            for i, name in enumerate(output_columns(kind, canonical)):
                if name in outputs and name != canonical:
                    continue
                outputs[name] = (original, kind, i)
        if any(c in outputs for c in rec.custom):
            return None  # a custom field named like a normalised column: intake decides
        feeds: dict[str, list[tuple[str, int | str]]] = {}
        field_kind: dict[str, str] = {}
        missing = []
        slot: int | str
        for column in self.columns:
            if column in outputs:
                original, kind, slot = outputs[column][0], outputs[column][1], outputs[column][2]
                if kind not in KINDS or not self._readable(column, kind, slot):
                    return None
                if kind == "list":  # the joined list itself is text: not compiled
                    return None
            elif column in rec.custom:
                return None  # a custom attribute: typed from the whole column by intake
            elif flagged := [
                c for c in [*outputs, *rec.custom] if column.startswith(f"{_prefix(c)}_")
            ]:
                # stream._fill_missing: the longest such column says; a list gives flags.
                chosen = max(flagged, key=len)
                if chosen not in lists:
                    return None
                original, kind, slot = lists[chosen], "list", column[len(_prefix(chosen)) + 1 :]
            else:
                missing.append(column)
                continue
            feeds.setdefault(original, []).append((column, slot))
            field_kind[original] = kind
        sources = [Source(f, field_kind[f], tuple(cols)) for f, cols in feeds.items()]
        id_field = outputs["account_id"][0] if "account_id" in outputs else None
        if id_field is not None and outputs["account_id"][1] not in ("id", "text"):
            return None
        ignored = [f for f in header if f not in feeds]
        return Plan(sources, id_field, ignored, missing)

    def _readable(self, column: str, kind: str, slot: int | str) -> bool:
        """True when the engine reads this output exactly as the transcription does."""
        if kind == "list":
            return True
        typ = KINDS[kind][1][int(slot)]
        if column in self._cuts and typ == "str":
            return False  # a number read from text: the engine's own pattern decides
        return not (column in self._labels and typ == "float")  # float text formatting

    # -------------------------------------------------------------- values and cells

    def _read(self, source: Source, text: str | None) -> tuple[Any, ...]:
        """(cells' code, values, lost columns) of one value of a field, remembered."""
        if (hit := source.cache.get(text)) is not None:
            return hit
        values, lost = read_one(source, text, self._index)
        cells = tuple(
            self._cell(column, v) for (column, _), v in zip(source.columns, values, strict=True)
        )
        code = source.codes.setdefault(cells, len(source.codes))
        hit = (code, values, lost)
        if len(source.cache) >= VALUES_MAX:
            source.cache.clear()
        source.cache[text] = hit
        return hit

    def _cell(self, column: str, value: Any) -> Any:
        """What the engine can tell of a value: its piece and/or its listed label."""
        number = text = None
        if column in self._cuts:
            x = as_number(value)
            number = -1 if x is None else bisect_right(self._cuts[column], x)
        if column in self._labels:
            t = as_text(value)
            text = t if t is None or t in self._labels[column] else _OTHER
        return (number, text)

    # -------------------------------------------------------------- scoring

    def score(self, plan: Plan, records: Sequence[Mapping[str, Any]]) -> Scored:
        """Score records with the plan of their header (see :meth:`plan`)."""
        with plan.lock:  # the caches are shared: one call at a time fills them
            if len(records) >= COLUMNS_MIN:
                return self._score_columns(plan, records)
            return self._score(plan, records)

    def _score(self, plan: Plan, records: Sequence[Mapping[str, Any]]) -> Scored:
        # Field by field over all records with C-level map/zip (a 10,000-record batch of
        # seen values is dict lookups; a Python loop per record would cost more), then one
        # key per record. Python loops run only over records with a new value or key.
        columns: list[list[Any]] = []
        names = [source.name for source in plan.sources]
        if plan.id_field is not None:
            names.append(plan.id_field)
        fields = _fields(records, names)
        for source, values in zip(plan.sources, fields, strict=False):
            hits: list[Any]
            try:
                hits = list(map(source.cache.get, values))
            except TypeError:  # a list value (technologies as JSON): not a cache key itself
                hits = [source.cache.get(v) if type(v) is str else None for v in values]
            if None in hits:
                self._fill(source, values, hits)
            columns.append(hits)
        outcomes = plan.outcomes
        if columns:
            keys = list(zip(*(map(_FIRST, hits) for hits in columns), strict=True))
        else:  # a plan with no feeding field: every record is all missing
            keys = [()] * len(records)
        found = list(map(outcomes.get, keys))
        if not all(found):  # an Outcome is always true: a None is a new combination
            firsts: dict[tuple[Any, ...], int] = {}
            for r in [r for r, o in enumerate(found) if o is None]:
                firsts.setdefault(keys[r], r)
            self._learn(plan, {key: [h[r] for h in columns] for key, r in firsts.items()})
            found = list(map(outcomes.__getitem__, keys))
        return Scored(
            scores=list(map(_SCORE, found)),
            tiers=list(map(_TIER, found)),
            segments=list(map(_SEGMENT, found)),
            reasons=list(map(_REASONS, found)),
            warnings=_warnings(columns, len(records)),
            ids=self._ids(fields[-1] if plan.id_field is not None else [None] * len(records)),
        )

    def _fill(self, source: Source, values: list[Any], hits: list[Any]) -> None:
        """Reads the values of ``hits`` that are None (new to the field) into place."""
        misses = [i for i, hit in enumerate(hits) if hit is None]
        texts = [cell_text(values[i]) for i in misses]
        for i, text in zip(misses, texts, strict=True):
            hits[i] = self._read(source, text)
            if type(values[i]) is str:  # "" reads as missing: remember it as such
                source.cache[values[i]] = hits[i]

    def _learn(self, plan: Plan, firsts: dict[tuple[Any, ...], list[tuple[Any, ...]]]) -> None:
        """Outcomes of new cell combinations, from the values of one record of each."""
        rows = list(firsts.values())
        # Column by column: each profile column's values over the new combinations.
        values: dict[str, list[Any]] = {c: [None] * len(rows) for c in plan.missing}
        for s, source in enumerate(plan.sources):
            for j, (column, _) in enumerate(source.columns):
                values[column] = [hits[s][1][j] for hits in rows]
        names = list(values)
        new = [
            self.rules.score(dict(zip(names, row, strict=True)))
            for row in zip(*values.values(), strict=True)
        ]
        if len(plan.outcomes) + len(new) > _OUTCOMES_MAX:
            plan.outcomes.clear()
        plan.outcomes.update(zip(firsts, new, strict=True))

    # -------------------------------------------------------------- batches

    def _score_columns(self, plan: Plan, records: Sequence[Mapping[str, Any]]) -> Scored:
        """Many records, column by column: each field's values as codes of its distinct
        values (each read once, ever), then the rules over whole columns (icpkit.columnar)."""
        names = [source.name for source in plan.sources]
        if plan.id_field is not None:
            names.append(plan.id_field)
        fields = _fields(records, names)
        n = len(records)
        columns: dict[str, Coded] = {}
        lost: dict[int, list[tuple[int, str]]] = {}
        for source, values in zip(plan.sources, fields, strict=False):
            rows = encode(source, values, self._index)
            for (column, _), table in zip(source.columns, source.tables, strict=True):
                columns[column] = (table, rows)
            if source.lost and (gone := np.isin(rows, list(source.lost))).any():
                for r in np.flatnonzero(gone).tolist():  # rare: each said in its row
                    lost.setdefault(r, []).extend(source.lost[int(rows[r])])
        warnings = [_NO_WARNINGS] * n  # one shared empty list: rows with none are most
        for r, entries in lost.items():  # in the order of the profile's columns, as intake
            warnings[r] = [message for _, message in sorted(entries)]
        scores, tiers, segments, reasons = self.columnar.score(columns, n)
        return Scored(
            scores=scores,
            tiers=tiers,
            segments=segments,
            reasons=reasons,
            warnings=warnings,
            ids=self._ids(fields[-1] if plan.id_field is not None else [None] * n),
        )

    @staticmethod
    def _ids(values: list[Any]) -> list[str | None]:
        """The ids as intake normalises an id: stripped, placeholders missing."""
        # The usual id needs nothing: letters and digits only (nothing to strip), longer
        # than any placeholder ("unknown"); the others go through the id normaliser.
        # Checked for the whole batch at C level first: the usual batch has only those.
        if (
            set(map(type, values)) == {str}
            and min(map(len, values)) > 7
            and all(map(str.isalnum, values))
        ):
            return values
        return [
            v
            if type(v) is str and len(v) > 7 and v.isalnum()
            else normalise_value("id", cell_text(v))[0][0]
            for v in values
        ]


def _fields(records: Sequence[Mapping[str, Any]], names: list[str]) -> list[list[Any]]:
    """The values of each named field over the records (None where a record lacks it):
    a C-level pass per field (faster than one pass of tuples transposed after).

    Records all of one type that names each field's attribute (``attr_of``, as the
    service's decoded layouts do: icpkit.service.body) are read by attribute."""
    kinds = set(map(type, records))
    attr_of = getattr(kinds.pop(), "attr_of", None) if len(kinds) == 1 else None
    if attr_of is not None:
        return [
            list(map(attrgetter(attr_of[name]), records))
            if name in attr_of
            else [None] * len(records)
            for name in names
        ]
    try:
        return [list(map(itemgetter(name), records)) for name in names]
    except KeyError:  # some record lacks a field: read it as missing
        return [list(map(methodcaller("get", name), records)) for name in names]


def _warnings(columns: list[list[tuple[Any, ...]]], n: int) -> list[list[str]]:
    """Per record, the values that could not be read, in the order of the profile's columns
    (as intake's warnings are)."""
    out = [_NO_WARNINGS] * n
    lost: dict[int, list[tuple[int, str]]] = {}
    for hits in columns:
        flags = list(map(_LOST, hits))
        if not any(flags):  # the usual field: every value read
            continue
        for r in [r for r, f in enumerate(flags) if f]:
            lost.setdefault(r, []).extend(flags[r])
    for r, entries in lost.items():
        out[r] = [message for _, message in sorted(entries)]
    return out


def _prefix(column: str) -> str:
    return FLAG_PREFIX.get(column, column)
