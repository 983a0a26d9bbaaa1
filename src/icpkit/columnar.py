"""The engine's rules over whole columns of distinct values (a batch of records at once).

A row's outcome depends on it only through its *key* (:meth:`icpkit.rowrules.RowRules.key`:
the term of each attribute, whether each segment and each cap holds), and a batch of
thousands of records holds a few hundred keys. So a batch is scored column by column:
each profile column arrives as its distinct normalised values and, per row, the index of
its value; every attribute and condition is read once per distinct value (NumPy's
searchsorted over the edges for a number, a dict for a label) and taken onto the rows;
the rows' keys are packed into one integer each, and each distinct key is answered once
by :meth:`RowRules.outcome` (remembered across calls, bounded). Nothing here runs per row
in Python, and no rule is written twice: RowRules says what a key means.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .rowrules import RowRules, _Numeric, _Test, as_text
from .scoring import _pick_terms, _signed

__all__ = ["Column", "ColumnRules"]

#: Bound on the remembered reason lists (entries); a full memo is emptied, not evicted.
_REASONS_MAX = 100_000


@dataclass
class Column:
    """One profile column of a batch: its distinct normalised values, and per row the
    index of the row's value among them."""

    values: Sequence[Any]
    rows: np.ndarray
    _numbers: np.ndarray | None = field(default=None, repr=False)
    _texts: list[str | None] | None = field(default=None, repr=False)

    def numbers(self) -> np.ndarray:
        """The distinct values as the engine reads a number (NaN: missing)."""
        if self._numbers is None:
            values = np.asarray(self.values, dtype=object)
            # as_number: None and NaN are missing; booleans and ints read as floats.
            self._numbers = np.where(pd.isna(values), math.nan, values).astype(np.float64)
        return self._numbers

    def texts(self) -> list[str | None]:
        """The distinct values as the engine reads a label (None: missing)."""
        if self._texts is None:
            self._texts = [as_text(v) for v in self.values]
        return self._texts


class ColumnRules:
    """A profile's rules over columns (see the module docstring). Thread-safe."""

    def __init__(self, rules: RowRules) -> None:
        self.rules = rules
        self._segments = [tests for _, _, tests in rules.segments]
        self._caps = [tests for _, _, tests in rules.caps]
        # Every attribute term and every segment's bonus is one reason term, as in the
        # engine's _reasons: id 0 says nothing; per term its points and its words.
        words: list[str | None] = [None]
        points = [0]
        self._offsets = []
        for attr in rules.attributes:
            self._offsets.append(len(points))
            words += [_signed(p, w) if p else None for p, w in attr.terms]
            points += [p for p, _ in attr.terms]
        self._bonus = []  # (segment index, its term id) for segments with points
        for s, (name, bonus, _) in enumerate(rules.segments):
            if bonus:
                self._bonus.append((s, len(points)))
                words.append(_signed(bonus, f"segment {name}"))
                points.append(bonus)
        self._words = words
        self._points = np.asarray(points, dtype=np.int64)
        self._names = np.array([None, *(name for name, _, _ in rules.segments)], dtype=object)
        self._reasons: dict[Any, list[str]] = {}
        self._lock = threading.Lock()

    def score(
        self, columns: Mapping[str, Column], n: int
    ) -> tuple[list[int], list[str], list[str | None], list[list[str]]]:
        """Per row of the batch: score, tier, segment and reasons (profile columns absent
        from ``columns`` are missing in every row). Rows with the same reasons share one
        list."""
        rules = self.rules
        terms = [off + idx for off, idx in zip(self._offsets, self._terms(columns, n), strict=True)]
        holds = [self._holds(tests, columns, n) for tests in self._segments]
        total = rules.intercept + sum((self._points[t] for t in terms), np.zeros(n, np.int64))
        for s, term in self._bonus:
            terms.append(np.where(holds[s], term, 0))
            total += np.where(holds[s], self._points[term], 0)
        clipped = np.clip(total, 0, 100)
        score = clipped.copy()
        notes = []
        for (_, cap, _), tests in zip(rules.caps, self._caps, strict=True):
            hold = self._holds(tests, columns, n)
            score = np.where(hold, np.minimum(score, cap), score)
            notes.append(hold & (clipped > cap))
        tier = sum((score >= cut).astype(np.int64) for cut in rules.cuts)
        # The first segment that holds names the row (0: none).
        first = np.zeros(n, dtype=np.int64)
        for s in reversed(range(len(holds))):
            first = np.where(holds[s], s + 1, first)
        return (
            score.tolist(),
            np.array(list("DCBA"))[tier].tolist(),
            self._names[first].tolist(),
            self._reason_lists(terms, notes, n),
        )

    def _reason_lists(
        self, terms: list[np.ndarray], notes: list[np.ndarray], n: int
    ) -> list[list[str]]:
        """Per row its reasons: the engine's picks (scoring._pick_terms) over the rows' term
        ids, then the caps that cut the score; each distinct pick is written once."""
        slots: list[np.ndarray] = []
        if terms:
            ids = np.stack(terms, axis=1).astype(np.int32)
            slots = _pick_terms(ids, self._points.astype(np.int32), 3)
        radix = len(self._words)
        flat = np.zeros(n, dtype=np.int64)
        packed = radix ** len(slots) * 2 ** len(notes) < 2**62
        parts = [*slots, *(note.astype(np.int64) for note in notes)]
        if packed:
            for part, base in zip(parts, [radix] * len(slots) + [2] * len(notes), strict=True):
                flat = flat * base + part
            key: np.ndarray = flat
        else:  # a profile with very many terms: rows of the pick matrix compared as bytes
            rows = np.ascontiguousarray(np.stack(parts, axis=1).astype(np.int32))
            key = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
        distinct, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        caps = [f"capped at {cap}: {name}" for name, cap, _ in self.rules.caps]
        with self._lock:
            memo = self._reasons
            if len(memo) + len(distinct) > _REASONS_MAX:
                memo.clear()
            lists = []
            for k, row in zip(distinct.tolist(), first.tolist(), strict=True):
                found = memo.get(k)
                if found is None:
                    said = [self._words[int(slot[row])] for slot in slots]
                    said += [cap for cap, note in zip(caps, notes, strict=True) if note[row]]
                    # Joined and split as the engine's one text column: a "; " in words splits.
                    text = "; ".join(w for w in said if w)
                    found = memo[k] = text.split("; ") if text else []
                lists.append(found)
        return list(map(lists.__getitem__, inverse.ravel().tolist()))

    def _terms(self, columns: Mapping[str, Column], n: int) -> list[np.ndarray]:
        """Per attribute, every row's term index (:meth:`RowRules.key`)."""
        out: list[np.ndarray] = []
        for attr in self.rules.attributes:
            col = columns.get(attr.name)
            missing = len(attr.terms) - 1
            if col is None:
                out.append(np.full(n, missing, dtype=np.int64))
                continue
            if isinstance(attr, _Numeric):
                x = col.numbers()
                # side="right" counts the edges x >= edge: bisect_right, the engine's piece.
                idx = np.searchsorted(np.asarray(attr.edges, dtype=np.float64), x, "right")
                idx[np.isnan(x)] = missing
            else:
                other = len(attr.listed)
                idx = np.array(
                    [missing if t is None else attr.listed.get(t, other) for t in col.texts()],
                    dtype=np.int64,
                )
            out.append(idx[col.rows])
        return out

    @staticmethod
    def _holds(tests: Sequence[_Test], columns: Mapping[str, Column], n: int) -> np.ndarray:
        """Per row: every condition of a rule holds (a missing value never holds)."""
        holds = np.ones(n, dtype=bool)
        for column, ge, lt, in_, not_in in tests:
            col = columns.get(column)
            if col is None:
                return np.zeros(n, dtype=bool)
            if in_ is None and not_in is None:
                x = col.numbers()
                ok = ~np.isnan(x)
                if ge is not None:
                    ok &= x >= ge
                if lt is not None:
                    ok &= x < lt
            else:
                texts = col.texts()
                if in_ is not None:
                    ok = np.array([t is not None and t in in_ for t in texts], dtype=bool)
                else:
                    out = not_in or frozenset()
                    ok = np.array([t is not None and t not in out for t in texts], dtype=bool)
            holds &= ok[col.rows]
        return holds
