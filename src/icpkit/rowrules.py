"""The reference engine's rules for one row, in plain Python (no Arrow, no NumPy).

:func:`icpkit.scoring.score_table` is fast per row and slow per call (a few milliseconds
of array set-up): right for a file, wrong for one lead. :class:`RowRules` is the same
semantics transcribed per row, with the profile's words and lookups prepared once, for
the few rows a live request brings. tests/test_compiled.py holds the two equal on random
rows that hit every edge, every listed value, other values and missing ones.

Values are normalised as intake gives them (float, int, bool, str or None), read as the
engine reads them: a number column as a float (NaN and None are missing), a label column
as text (booleans as 'true'/'false', '' missing).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .profile import CategoricalAttribute, Condition, NumericAttribute, Profile
from .scoring import (
    _category_lookup,
    _category_words,
    _display,
    _numeric_words,
    _signed,
    numeric_pieces,
)

__all__ = ["Outcome", "RowRules", "as_number", "as_text"]


@dataclass(frozen=True)
class Outcome:
    """What the engine answers for one row."""

    score: int
    tier: str
    segment: str | None
    reasons: list[str]  # shared by every row with this outcome: never mutate


def as_number(value: Any) -> float | None:
    """``read_number`` on one normalised value (None: missing)."""
    if value is None:
        return None
    x = float(value)
    return None if math.isnan(x) else x


def as_text(value: Any) -> str | None:
    """``read_text`` on one normalised str/int/bool value (None: missing)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) or None


# A condition, prepared: (column, ge, lt, in-set, not-in-set); numeric when both sets None.
_Test = tuple[str, float | None, float | None, frozenset[str] | None, frozenset[str] | None]


def _test(cond: Condition) -> _Test:
    in_ = None if cond.in_ is None else frozenset(cond.in_)
    not_in = None if cond.not_in is None else frozenset(cond.not_in)
    return cond.attribute, cond.ge, cond.lt, in_, not_in


def _holds(tests: Sequence[_Test], values: Mapping[str, Any]) -> bool:
    """All conditions of a rule hold (a missing value never holds)."""
    for column, ge, lt, in_, not_in in tests:
        value = values.get(column)
        if in_ is None and not_in is None:
            x = as_number(value)
            if x is None or (ge is not None and x < ge) or (lt is not None and x >= lt):
                return False
            continue
        text = as_text(value)
        if text is None or (text not in in_ if in_ is not None else text in (not_in or ())):
            return False
    return True


@dataclass(frozen=True)
class _Numeric:
    name: str
    edges: tuple[float, ...]
    # Per piece (unmerged: the words name its bin), then missing: a row's term index is
    # its piece (bisect_right over the edges), or the last one.
    terms: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class _Labels:
    name: str
    listed: dict[str, int]  # a listed value -> its term index
    # Per listed value, then another value, then missing.
    terms: tuple[tuple[int, str], ...]


class RowRules:
    """A profile's points, segments, caps, tiers and reasons, prepared for one row at a time.

    A row's outcome depends on it only through its *key*: the term of each attribute (an
    index into its ``terms``) and whether each segment and each cap holds. :meth:`key`
    reads it from one row; icpkit.columnar computes keys for whole columns; :meth:`outcome`
    answers a key as the engine answers any row that has it.
    """

    def __init__(self, profile: Profile) -> None:
        self.attributes: list[_Numeric | _Labels] = []
        for attr in profile.attributes:
            missing = (attr.missing_points, f"{_display(attr)} unknown")
            if isinstance(attr, NumericAttribute):
                p = numeric_pieces(attr)
                terms = tuple(
                    (pts, _numeric_words(attr, b)) for pts, b in zip(p.points, p.bins, strict=True)
                )
                self.attributes.append(_Numeric(attr.name, p.edges, (*terms, missing)))
            else:
                self.attributes.append(_labels(attr, missing))
        self.segments = [
            (s.name, s.points, [_test(c) for c in s.conditions]) for s in profile.segments
        ]
        self.caps = [
            (d.name, d.cap, [_test(c) for c in d.conditions]) for d in profile.disqualifiers
        ]
        t = profile.tiers
        self.cuts = (t.C, t.B, t.A)
        self.intercept = profile.intercept

    def score(self, values: Mapping[str, Any]) -> Outcome:
        """One row of normalised values (profile column -> value) as the engine scores it."""
        return self.outcome(self.key(values))

    def key(self, values: Mapping[str, Any]) -> tuple[int, ...]:
        """The row's term index per attribute, then 1/0 per segment and per cap (holds)."""
        key: list[int] = []
        for attr in self.attributes:
            value = values.get(attr.name)
            if isinstance(attr, _Numeric):
                x = as_number(value)
                # bisect_right counts the edges x >= edge: the engine's piece index.
                key.append(len(attr.edges) + 1 if x is None else bisect_right(attr.edges, x))
            else:
                text = as_text(value)
                other = len(attr.listed)
                key.append(other + 1 if text is None else attr.listed.get(text, other))
        key += [int(_holds(tests, values)) for _, _, tests in self.segments]
        key += [int(_holds(tests, values)) for _, _, tests in self.caps]
        return tuple(key)

    def outcome(self, key: Sequence[int]) -> Outcome:
        """Score, tier, segment and reasons of every row with this key (see :meth:`key`)."""
        terms = [attr.terms[i] for attr, i in zip(self.attributes, key, strict=False)]
        total = self.intercept + sum(points for points, _ in terms)
        holds = key[len(self.attributes) :]
        segment: str | None = None
        for (name, points, _), hold in zip(self.segments, holds, strict=False):
            if hold and segment is None:
                segment = name
            if points:
                terms.append((points, f"segment {name}") if hold else (0, ""))
                total += points if hold else 0
        clipped = min(100, max(0, total))
        score, notes = clipped, []
        for (name, cap, _), hold in zip(self.caps, holds[len(self.segments) :], strict=True):
            if hold:
                score = min(score, cap)
                if clipped > cap:
                    notes.append(f"capped at {cap}: {name}")
        tier = "DCBA"[sum(score >= cut for cut in self.cuts)]
        # Joined and split again as the engine's one text column is: a "; " in words splits.
        text = "; ".join([*_pick(terms), *notes])
        return Outcome(score, tier, segment, text.split("; ") if text else [])


def _labels(attr: CategoricalAttribute, missing: tuple[int, str]) -> _Labels:
    values, bins = _category_lookup(attr)  # each value once, in its first bin
    terms = [
        (attr.bins[b].points, _category_words(attr, v)) for v, b in zip(values, bins, strict=True)
    ]
    other = (attr.other_points, f"{_display(attr)} is another value")
    return _Labels(attr.name, {v: i for i, v in enumerate(values)}, (*terms, other, missing))


def _pick(terms: list[tuple[int, str]], top: int = 3) -> list[str]:
    """The engine's reason slots: the ``top`` largest positive terms, then the ``top - 1``
    most negative ones; ties keep profile order (a stable sort)."""
    order = range(len(terms))
    best = sorted(order, key=lambda j: -terms[j][0])[:top]
    worst = sorted(order, key=lambda j: terms[j][0])[: max(1, top - 1)]
    out = [_signed(*terms[j]) for j in best if terms[j][0] > 0]
    return out + [_signed(*terms[j]) for j in worst if terms[j][0] < 0]
