"""Segments: the few distinct groups of ideal customers, and the anti-ICP.

Subgroup discovery by beam search over the learned bins. A *condition* is one bin or a run of
adjacent bins of one attribute ("employees 200 to < 5,000", "industry in Software, SaaS"); a *rule*
is a conjunction of conditions on different attributes. Rules are scored with the binomial-test
quality ``coverage**0.4 * (rate - base)``, which, unlike WRAcc, does not prefer a broad rule to the
sharper conjunction that explains it. Several ICPs come out by sequential covering: once a segment
is chosen its rows are set aside and the search runs again, so the second segment is not a variant
of the first. Conditions that add nothing are pruned. The anti-ICP is the same search with the
sign flipped, kept only when its success rate is far below the base rate.

Masks are bit-packed so a conjunction is one ``&`` and a popcount.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from .binning import BinnedAttribute, column_text, column_values, nice_cuts
from .profile import Condition

__all__ = ["Atom", "Rule", "SegmentFinder", "atoms_for", "candidate_atoms", "rule_mask"]


@dataclass(frozen=True)
class Atom:
    """One condition over one attribute, with its bit-packed row mask."""

    attribute: str
    codes: tuple[int, ...]
    condition: Condition
    packed: np.ndarray = field(repr=False, compare=False, hash=False)


@dataclass
class Rule:
    """A conjunction of atoms with its statistics on the rows it was learned from."""

    atoms: tuple[Atom, ...]
    size: int
    successes: int
    rate: float
    lift: float
    quality: float
    z: float

    @property
    def conditions(self) -> list[Condition]:
        return [a.condition for a in self.atoms]

    @property
    def attributes(self) -> set[str]:
        return {a.attribute for a in self.atoms}


def _numeric_condition(attr: BinnedAttribute, i: int, j: int) -> Condition:
    lower, upper = attr.bins[i].lower, attr.bins[j].upper
    return Condition(attribute=attr.name, ge=lower, lt=upper)


def atoms_for(attr: BinnedAttribute, codes: np.ndarray) -> list[Atom]:
    """Candidate conditions of one attribute: single bins and runs of adjacent bins."""
    k = len(attr.bins)
    if k < 2:
        return []
    spans: list[tuple[int, int]] = []
    if attr.kind == "numeric":
        spans = [(i, j) for i in range(k) for j in range(i, k) if (i, j) != (0, k - 1)]
    else:
        # Bins are ordered by success rate: single bins, the best few, the worst few.
        # Single bins only: unions of bins let one broad rule swallow several distinct ICPs.
        spans = [(i, i) for i in range(k)]
    out = []
    for i, j in spans:
        sel = tuple(range(i, j + 1))
        if attr.kind == "numeric":
            cond = _numeric_condition(attr, i, j)
        else:
            values = [v for c in sel for v in attr.bins[c].values]
            cond = Condition.model_validate({"attribute": attr.name, "in": values})
        mask = np.isin(codes, sel)
        out.append(Atom(attr.name, sel, cond, np.packbits(mask)))
    return out


def _raw_atoms(name: str, kind: str, col: pa.ChunkedArray, min_count: int) -> list[Atom]:
    """Finer conditions than the model's bins: quantile ranges of numbers, single categories.

    The scorecard merges categories of similar overall rate (Software with Energy, say), but a
    segment may hinge on one of them; so rules get to pick single values and narrower ranges.
    """
    out = []
    if kind == "numeric":
        x = column_values(col)
        present = ~np.isnan(x)
        if present.sum() < 2 * min_count:
            return []
        edges = [None, *nice_cuts(x[present], 6), None]
        for i in range(len(edges) - 1):
            for j in range(i + 1, len(edges)):
                if i == 0 and j == len(edges) - 1:
                    continue
                lo, hi = edges[i], edges[j]
                mask = present.copy()
                if lo is not None:
                    mask &= x >= lo
                if hi is not None:
                    mask &= x < hi
                cond = Condition(attribute=name, ge=lo, lt=hi)
                out.append(Atom(name, (-1, i, j), cond, np.packbits(mask)))
        return out
    text = column_text(col)
    values, counts = np.unique(text[~pd.isna(text)].astype(str), return_counts=True)
    for v in values[np.argsort(-counts)][:25]:
        mask = text == v
        if mask.sum() >= min_count:
            cond = Condition.model_validate({"attribute": name, "in": [str(v)]})
            out.append(Atom(name, (-2, hash(v)), cond, np.packbits(mask)))
    return out


def candidate_atoms(
    table: pa.Table,
    attrs: dict[str, BinnedAttribute],
    codes: dict[str, np.ndarray],
    min_count: int,
) -> list[Atom]:
    """Every candidate condition: the model's bins and runs of bins, plus finer raw conditions."""
    atoms: list[Atom] = []
    seen: set[bytes] = set()
    for name, attr in attrs.items():
        cands = atoms_for(attr, codes[name]) + _raw_atoms(
            name, attr.kind, table.column(name), min_count
        )
        for a in cands:
            key = a.packed.tobytes()
            if key in seen or _count(a.packed) < min_count:
                continue
            seen.add(key)
            atoms.append(a)
    return atoms


def _count(packed: np.ndarray) -> int:
    return int(np.bitwise_count(packed).sum())


def rule_mask(rule: Rule, n: int) -> np.ndarray:
    packed = rule.atoms[0].packed
    for a in rule.atoms[1:]:
        packed = packed & a.packed
    return np.unpackbits(packed, count=n).astype(bool)


class SegmentFinder:
    """Beam-search subgroup discovery (scikit-learn style: parameters in ``__init__``).

    Parameters
    ----------
    max_segments: most ICP segments returned.
    max_disqualifiers: most anti-ICP rules returned.
    max_conditions: most conditions in one rule.
    beam_width: rules kept at each depth of the search.
    min_support: a rule covers at least max(min_support_count, min_support * rows).
    min_lift: an ICP segment's success rate is at least this times the base rate.
    max_anti_lift: an anti-ICP rule's success rate is at most this times the base rate.
    min_z: the rule's rate differs from the base rate by at least this many standard errors.
    generality: exponent of coverage in the quality ``coverage**g * (rate - base)``; 0.5 is the
        binomial test, lower prefers sharper rules (a planted conjunction over a broad union).
    """

    def __init__(
        self,
        *,
        max_segments: int = 4,
        max_disqualifiers: int = 3,
        max_conditions: int = 3,
        beam_width: int = 16,
        min_support: float = 0.02,
        min_support_count: int = 30,
        min_lift: float = 1.3,
        max_anti_lift: float = 0.35,
        min_z: float = 4.0,
        generality: float = 0.4,
    ) -> None:
        self.max_segments = max_segments
        self.max_disqualifiers = max_disqualifiers
        self.max_conditions = max_conditions
        self.beam_width = beam_width
        self.min_support = min_support
        self.min_support_count = min_support_count
        self.min_lift = min_lift
        self.max_anti_lift = max_anti_lift
        self.min_z = min_z
        self.generality = generality

    def fit(
        self,
        attrs: dict[str, BinnedAttribute],
        codes: dict[str, np.ndarray],
        y: np.ndarray,
        table: pa.Table | None = None,
    ) -> SegmentFinder:
        """Find segments over the binned attributes (and finer conditions when ``table`` is given)."""
        y = np.asarray(y, dtype=bool)
        self.n_ = n = len(y)
        self.base_rate_ = float(y.mean())
        self.min_count_ = max(self.min_support_count, math.ceil(self.min_support * n))
        if table is not None:
            atoms = candidate_atoms(table, attrs, codes, self.min_count_)
        else:
            atoms = [a for name, attr in attrs.items() for a in atoms_for(attr, codes[name])]
        self.atoms_ = atoms
        self.segments_ = self._cover(atoms, y, positive=True, limit=self.max_segments)
        self.disqualifiers_ = self._cover(atoms, y, positive=False, limit=self.max_disqualifiers)
        return self

    # -- search -----------------------------------------------------------------------------

    def _stats(self, packed: np.ndarray, ypk: np.ndarray, live: np.ndarray) -> tuple[int, int, int]:
        """(rows, successes) over all rows, and rows still live (not yet covered)."""
        return _count(packed), _count(packed & ypk), _count(packed & live)

    def _rule(self, atoms: tuple[Atom, ...], ypk: np.ndarray) -> Rule:
        packed = atoms[0].packed
        for a in atoms[1:]:
            packed = packed & a.packed
        n, e = _count(packed), _count(packed & ypk)
        base = self.base_rate_
        rate = e / n if n else 0.0
        se = math.sqrt(base * (1 - base) / max(n, 1))
        return Rule(
            atoms=atoms,
            size=n,
            successes=e,
            rate=rate,
            lift=rate / base if base else 0.0,
            quality=(n / self.n_) ** self.generality * (rate - base),
            z=(rate - base) / se if se else 0.0,
        )

    def _search(
        self, atoms: list[Atom], ypk: np.ndarray, live: np.ndarray, sign: float
    ) -> list[tuple[float, tuple[Atom, ...]]]:
        """Beam search on the live rows; returns (quality, atoms) of every rule seen."""
        live_n = max(_count(live), 1)
        live_e = _count(ypk & live)
        base = live_e / live_n
        seen: dict[frozenset[int], tuple[float, tuple[Atom, ...]]] = {}
        beam: list[tuple[tuple[Atom, ...], np.ndarray]] = [((), live)]
        ids = {id(a): i for i, a in enumerate(atoms)}
        for _depth in range(self.max_conditions):
            level: list[tuple[float, tuple[Atom, ...], np.ndarray]] = []
            for rule_atoms, packed in beam:
                used = {a.attribute for a in rule_atoms}
                for atom in atoms:
                    if atom.attribute in used:
                        continue
                    key = frozenset([*(ids[id(a)] for a in rule_atoms), ids[id(atom)]])
                    if key in seen:
                        continue
                    cand = packed & atom.packed
                    n = _count(cand)
                    if n < self.min_count_:
                        seen[key] = (-np.inf, ())
                        continue
                    e = _count(cand & ypk)
                    q = sign * (n / live_n) ** self.generality * (e / n - base)
                    new = (*rule_atoms, atom)
                    seen[key] = (q, new)
                    level.append((q, new, cand))
            if not level:
                break
            level.sort(key=lambda t: t[0], reverse=True)
            beam = [(a, p) for _, a, p in level[: self.beam_width]]
        return sorted((v for v in seen.values() if v[1]), key=lambda t: t[0], reverse=True)

    def _cover(self, atoms: list[Atom], y: np.ndarray, positive: bool, limit: int) -> list[Rule]:
        ypk = np.packbits(y)
        live_mask = np.ones(len(y), dtype=bool)
        chosen: list[Rule] = []
        sign = 1.0 if positive else -1.0
        for _ in range(limit):
            live = np.packbits(live_mask)
            found = None
            tried = 0
            for _q, rule_atoms in self._search(atoms, ypk, live, sign):
                rule = self._rule(rule_atoms, ypk)
                if not self._acceptable(rule, positive):
                    continue  # cheap check first: the pool holds thousands of rules
                tried += 1
                if tried > 50:
                    break
                rule = self._prune(rule, ypk, sign)
                if self._acceptable(rule, positive) and not _overlaps(rule, chosen, self.n_):
                    found = rule
                    break
            if found is None:
                break
            chosen.append(found)
            live_mask &= ~rule_mask(found, self.n_)
            if live_mask.sum() < self.min_count_:
                break
        return chosen

    def _prune(self, rule: Rule, ypk: np.ndarray, sign: float) -> Rule:
        """Drop conditions whose removal keeps at least 95% of the rule's quality."""
        while len(rule.atoms) > 1:
            best = None
            for i in range(len(rule.atoms)):
                sub = self._rule(rule.atoms[:i] + rule.atoms[i + 1 :], ypk)
                if sign * sub.quality >= 0.95 * sign * rule.quality and (
                    best is None or sign * sub.quality > sign * best.quality
                ):
                    best = sub
            if best is None:
                break
            rule = best
        return rule

    def _acceptable(self, rule: Rule, positive: bool) -> bool:
        if rule.size < self.min_count_:
            return False
        if positive:
            return rule.lift >= self.min_lift and rule.z >= self.min_z
        return rule.lift <= self.max_anti_lift and rule.z <= -self.min_z


def _overlaps(rule: Rule, chosen: list[Rule], n: int, limit: float = 0.5) -> bool:
    """True when the rule covers mostly the same rows as one already chosen (Jaccard)."""
    mask = rule_mask(rule, n)
    for other in chosen:
        om = rule_mask(other, n)
        inter = np.count_nonzero(mask & om)
        union = np.count_nonzero(mask | om)
        if union and inter / union > limit:
            return True
    return False
