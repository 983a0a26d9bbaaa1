"""The engine's rules over whole columns (a batch of records at once).

A row's outcome depends on it only through the term of each attribute and on which
segments and caps hold (:meth:`icpkit.rowrules.RowRules.key`). So a batch is scored
column by column: a field's values arrive as codes into a :class:`Column` of every
distinct value the field has given (icpkit.fieldvalues keeps it), and each attribute
and each condition is read once per distinct value (NumPy's searchsorted over the edges
for a number, a dict for a label), remembered, and taken onto the rows by code. Points,
caps, tiers and the first segment are array sums and masks; the reasons are the engine's
own picks (scoring._pick_terms) over the rows' term ids, their words written once per
distinct pick. Nothing runs per row in Python. tests/test_compiled.py holds every result
equal to `icp score`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from .rowrules import RowRules, _Numeric, _Test, as_text
from .scoring import _pick_terms, _signed

__all__ = ["Coded", "Column", "ColumnRules"]

#: A column of a batch: the field's Column, and per row the code of its value.
Coded = tuple["Column", np.ndarray]

#: A row's reasons key is one int64 below this radix product, else a tuple.
_RADIX_MAX = 2**62
#: Bound on the remembered reason lists (entries); a full memo is emptied, not evicted.
_REASONS_MAX = 100_000


class Column:
    """One profile column as one field gives it: every distinct value seen, by code, and
    what each rule reading the column answers for each (computed once per value)."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._answers: dict[Hashable, np.ndarray] = {}

    def clear(self) -> None:
        self.values.clear()
        self._answers.clear()

    def answers(self, rule: Hashable, read: Callable[[list[Any]], np.ndarray]) -> np.ndarray:
        """Per code, ``read`` of its value; the values added since the last call are read."""
        done = self._answers.get(rule)
        have = 0 if done is None else len(done)
        if have < len(self.values):
            more = read(self.values[have:])
            done = more if done is None else np.concatenate([done, more])
            self._answers[rule] = done
        assert done is not None
        return done


def _numbers(values: list[Any]) -> np.ndarray:
    """Values as the engine reads a number (NaN: missing): as_number, at C speed."""
    array = np.asarray(values, dtype=object)
    return np.where(pd.isna(array), math.nan, array).astype(np.float64)


def _labels(values: list[Any], *, read: Callable[[str | None], Any], dtype: Any) -> np.ndarray:
    """``read`` of each value as the engine reads a label (as_text), once per distinct
    value: a technology flag over thousands of lists is true, false or missing."""
    kept = dict.fromkeys(values)  # label values: text, true/false or None
    code = dict(zip(kept, range(len(kept)), strict=True))
    answers = np.array([read(as_text(v)) for v in kept], dtype=dtype)
    return answers[np.fromiter(map(code.__getitem__, values), np.intp, len(values))]


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
        self._names = [None, *(name for name, _, _ in rules.segments)]
        self._reasons: dict[Any, list[str]] = {}
        self._lock = threading.Lock()

    def score(
        self, columns: Mapping[str, Coded], n: int
    ) -> tuple[list[int], list[str], list[str | None], list[list[str]]]:
        """Per row of the batch: score, tier, segment and reasons (profile columns absent
        from ``columns`` are missing in every row). Rows with the same reasons share one
        list."""
        rules = self.rules
        terms = [off + idx for off, idx in zip(self._offsets, self._terms(columns, n), strict=True)]
        holds = [self._holds(("segment", s), t, columns, n) for s, t in enumerate(self._segments)]
        total = rules.intercept + sum((self._points[t] for t in terms), np.zeros(n, np.int64))
        for s, term in self._bonus:
            terms.append(np.where(holds[s], term, 0))
            total += np.where(holds[s], self._points[term], 0)
        clipped = np.clip(total, 0, 100)
        score = clipped.copy()
        notes = []
        for c, ((_, cap, _), tests) in enumerate(zip(rules.caps, self._caps, strict=True)):
            hold = self._holds(("cap", c), tests, columns, n)
            score = np.where(hold, np.minimum(score, cap), score)
            notes.append(hold & (clipped > cap))
        tier = np.zeros(n, dtype=np.int64)  # how many cut-offs the score reaches
        for cut in rules.cuts:
            tier += score >= cut
        # The first segment that holds names the row (0: none).
        first = np.zeros(n, dtype=np.int64)
        for s in reversed(range(len(holds))):
            first = np.where(holds[s], s + 1, first)
        return (
            score.tolist(),
            list(map("DCBA".__getitem__, tier.tolist())),
            list(map(self._names.__getitem__, first.tolist())),
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
        # A row's reasons are its picked term ids and its cap notes: one key per row, an
        # int64 in mixed radix (a tuple when a huge profile's radix would overflow it).
        parts = [*slots, *(note.astype(np.int64) for note in notes)]
        bases = [len(self._words)] * len(slots) + [2] * len(notes)
        if math.prod(bases) < _RADIX_MAX:
            flat = np.zeros(n, dtype=np.int64)
            for part, base in zip(parts, bases, strict=True):
                flat = flat * base + part
            # The distinct keys (sorted, in C), a row of each, and each row's among them.
            distinct, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
            keys: list[Any] = distinct.tolist()
        else:
            rows = list(map(tuple, np.stack(parts, axis=1).tolist()))
            position: dict[Any, int] = {}  # key -> its number, in order of first appearance
            inverse = np.fromiter((position.setdefault(r, len(position)) for r in rows), np.intp, n)
            keys = list(position)
            first = np.unique(inverse, return_index=True)[1]
        caps = [f"capped at {cap}: {name}" for name, cap, _ in self.rules.caps]
        with self._lock:
            memo = self._reasons
            if len(memo) > _REASONS_MAX:
                memo.clear()
            new = [j for j, k in enumerate(keys) if k not in memo]
            if new:  # each new key's parts, read from a row that has it
                picked = np.stack(parts, axis=1)[first[new]].tolist()
                for j, digits in zip(new, picked, strict=True):
                    said = [self._words[t] for t in digits[: len(slots)]]
                    said += [c for c, note in zip(caps, digits[len(slots) :], strict=True) if note]
                    # Joined and split as the engine's one text column: "; " in words splits.
                    text = "; ".join(w for w in said if w)
                    memo[keys[j]] = text.split("; ") if text else []
            lists = [memo[k] for k in keys]
        return list(map(lists.__getitem__, inverse.tolist()))

    def _terms(self, columns: Mapping[str, Coded], n: int) -> list[np.ndarray]:
        """Per attribute, every row's term index (:meth:`RowRules.key`)."""
        out: list[np.ndarray] = []
        for a, attr in enumerate(self.rules.attributes):
            missing = len(attr.terms) - 1
            if attr.name not in columns:
                out.append(np.full(n, missing, dtype=np.int64))
                continue
            col, rows = columns[attr.name]
            if isinstance(attr, _Numeric):
                read = partial(_pieces, np.asarray(attr.edges, dtype=np.float64), missing)
            else:
                term = partial(_term, attr.listed, len(attr.listed), missing)
                read = partial(_labels, read=term, dtype=np.int64)
            out.append(col.answers(("term", a), read)[rows])
        return out

    @staticmethod
    def _holds(
        rule: Hashable, tests: Sequence[_Test], columns: Mapping[str, Coded], n: int
    ) -> np.ndarray:
        """Per row: every condition of a rule holds (a missing value never holds)."""
        holds = np.ones(n, dtype=bool)
        for c, (column, ge, lt, in_, not_in) in enumerate(tests):
            if column not in columns:
                return np.zeros(n, dtype=bool)
            col, rows = columns[column]
            if in_ is None and not_in is None:
                read = partial(_within, ge, lt)
            else:
                read = partial(_labels, read=partial(_listed, in_, not_in), dtype=bool)
            holds &= col.answers((rule, c), read)[rows]
        return holds


def _pieces(edges: np.ndarray, missing: int, values: list[Any]) -> np.ndarray:
    """A numeric attribute's term index of each value (RowRules.key)."""
    x = _numbers(values)
    # side="right" counts the edges x >= edge: bisect_right, the engine's piece.
    return np.where(np.isnan(x), missing, np.searchsorted(edges, x, "right"))


def _term(listed: dict[str, int], other: int, missing: int, text: str | None) -> int:
    """A label attribute's term index of a text (RowRules.key)."""
    return missing if text is None else listed.get(text, other)


def _within(ge: float | None, lt: float | None, values: list[Any]) -> np.ndarray:
    """A numeric condition on each value (rowrules._holds): missing never holds."""
    x = _numbers(values)
    ok = ~np.isnan(x)
    if ge is not None:
        ok &= x >= ge
    if lt is not None:
        ok &= x < lt
    return ok


def _listed(in_: frozenset[str] | None, not_in: frozenset[str] | None, text: str | None) -> bool:
    """A label condition on a text (rowrules._holds): missing never holds."""
    if text is None:
        return False
    return text in in_ if in_ is not None else text not in (not_in or ())
