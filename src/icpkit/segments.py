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
import pyarrow as pa

from .binning import BinnedAttribute, column_values, encode_text, nice_cuts
from .profile import Condition

__all__ = [
    "Atom",
    "Rule",
    "SegmentFinder",
    "atoms_for",
    "candidate_atoms",
    "interaction_pairs",
    "rule_mask",
]


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
    excess_z: float = 0.0  # standard errors above the additive expectation (0: not measured)

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
    codes, values = encode_text(col)
    counts = np.bincount(codes[codes >= 0], minlength=len(values))
    for i in np.argsort(-counts, kind="stable")[:25]:
        if counts[i] >= min_count:
            cond = Condition.model_validate({"attribute": name, "in": [values[i]]})
            out.append(Atom(name, (-2, int(i)), cond, np.packbits(codes == i)))
    return out


def candidate_atoms(
    table: pa.Table,
    attrs: dict[str, BinnedAttribute],
    codes: dict[str, np.ndarray],
    min_count: int,
    labels_only: frozenset[str] = frozenset(),
) -> list[Atom]:
    """Every candidate condition: the model's bins and runs of bins, plus finer raw conditions.

    Attributes in ``labels_only`` (too weak alone for the points table) offer single
    categories only: their label-fitted bins and numeric ranges would let noise columns
    through the many tests a search makes.
    """
    atoms: list[Atom] = []
    seen: set[bytes] = set()
    for name, attr in attrs.items():
        if name in labels_only:
            if attr.kind != "categorical":
                continue
            cands = _raw_atoms(name, attr.kind, table.column(name), min_count)
        else:
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


def interaction_pairs(
    atoms: list[Atom],
    y: np.ndarray,
    p: np.ndarray,
    *,
    min_count: int,
    max_pairs: int = 4,
    top_k: int = 30,
    pool: int = 150,
    min_score: float = 4.0,
) -> list[tuple[Atom, Atom]]:
    """Pairs of conditions whose conjunction the fitted model under-rates.

    The score test for adding the indicator ``z`` of a pair to a logistic model with predictions
    ``p`` is ``sum(z * (y - p)) / sqrt(sum(z * p * (1 - p)))``; pairs above ``min_score`` (and
    only under-rated ones: a positive score) are returned, best first, without near-duplicates.
    Only pairs among the ``pool`` strongest single conditions are tried, anchored on the
    ``top_k`` strongest, which keeps this a few matrix products.
    """
    if len(atoms) < 2:
        return []
    n = len(y)
    resid = (y - p).astype(np.float32)
    weight = (p * (1 - p)).astype(np.float32)
    masks = np.stack([np.unpackbits(a.packed, count=n) for a in atoms]).astype(np.float32)
    counts = masks.sum(axis=1)
    strength = np.abs(masks @ (y - y.mean()).astype(np.float32)) / np.sqrt(counts + 1)
    cand = np.argsort(-strength)[:pool]
    names = np.array([a.attribute for a in atoms])
    found: list[tuple[float, int, int]] = []
    for k in cand[:top_k]:
        both = masks[cand] * masks[k]
        cnt = both.sum(axis=1)
        score = (both @ resid) / np.sqrt(both @ weight + 1e-9)
        ok = (cnt >= min_count) & (names[cand] != names[k]) & (score >= min_score)
        found += [(float(score[i]), int(k), int(cand[i])) for i in np.flatnonzero(ok)]
    found.sort(reverse=True)
    out: list[tuple[Atom, Atom]] = []
    chosen: list[np.ndarray] = []
    for _s, i, j in found:
        mask = (masks[i] * masks[j]) > 0
        if any(_jaccard(mask, m) > 0.5 for m in chosen):
            continue
        chosen.append(mask)
        out.append((atoms[i], atoms[j]))
        if len(out) >= max_pairs:
            break
    return out


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 0.0


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
    max_search_rows: the search runs on a sample of this many rows of a bigger table.
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
        max_search_rows: int = 25000,
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
        self.max_search_rows = max_search_rows

    def fit(
        self,
        attrs: dict[str, BinnedAttribute],
        codes: dict[str, np.ndarray],
        y: np.ndarray,
        table: pa.Table | None = None,
        rows: np.ndarray | None = None,
        labels_only: frozenset[str] = frozenset(),
        expected: np.ndarray | None = None,
    ) -> SegmentFinder:
        """Find segments over the binned attributes (and finer conditions when ``table`` is given).

        On big tables the search runs on a random sample of ``max_search_rows`` rows (a sample
        ranks rules reliably); ``rows`` restricts the search to those rows (discover passes the
        training part of its hold-out split, so segments can be measured on rows they were not
        found on). Either way the chosen rules are then re-measured on every row with the
        scorer's own condition semantics.

        ``expected`` (a success probability per row, from an additive model) makes the search
        rank groups by how much more they succeed than expected, ``coverage**g * mean(y - p)``,
        instead of by their rate: a mix of traits the points table already scores (high cloud
        spend and late funding) then ranks low, and an interaction it misses ranks high.
        """
        y = np.asarray(y, dtype=bool)
        n_all = len(y)
        sample = None if rows is None or table is None else np.sort(np.asarray(rows))
        pool = n_all if sample is None else len(sample)
        if table is not None and pool > self.max_search_rows:
            rng = np.random.default_rng(0)
            pick = np.sort(rng.choice(pool, self.max_search_rows, replace=False))
            sample = pick if sample is None else sample[pick]
        if sample is not None:
            assert table is not None
            full = (table, y)
            table, y = table.take(sample), y[sample]
            codes = {k: v[sample] for k, v in codes.items()}
            expected = None if expected is None else np.asarray(expected)[sample]
        self.expected_ = None if expected is None else np.asarray(expected, dtype=np.float64)
        self.n_ = n = len(y)
        self.base_rate_ = float(y.mean())
        self.min_count_ = max(self.min_support_count, math.ceil(self.min_support * n))
        if table is not None:
            atoms = candidate_atoms(table, attrs, codes, self.min_count_, labels_only)
        else:
            atoms = [a for name, attr in attrs.items() for a in atoms_for(attr, codes[name])]
        self.segments_ = self._cover(atoms, y, positive=True, limit=self.max_segments)
        self.disqualifiers_ = self._cover(atoms, y, positive=False, limit=self.max_disqualifiers)
        self.atoms_, self.sample_ = atoms, sample
        if sample is not None:
            self.n_ = len(full[1])
            self.base_rate_ = float(full[1].mean())
            self.expected_ = None  # the re-measured rules' quality is not compared again
            for rules in (self.segments_, self.disqualifiers_):
                rules[:] = [self.measure(r.atoms, *full) for r in rules]
        return self

    def measure(self, atoms: tuple[Atom, ...], table: pa.Table, y: np.ndarray) -> Rule:
        """A rule's statistics on every row of ``table``, with the scorer's condition semantics."""
        from .scoring import condition_mask

        full = tuple(
            Atom(a.attribute, a.codes, a.condition, np.packbits(condition_mask(a.condition, table)))
            for a in atoms
        )
        return self._rule(full, np.packbits(np.asarray(y, dtype=bool)))

    # -- search -----------------------------------------------------------------------------

    def _rule(self, atoms: tuple[Atom, ...], ypk: np.ndarray) -> Rule:
        packed = atoms[0].packed
        for a in atoms[1:]:
            packed = packed & a.packed
        n, e = _count(packed), _count(packed & ypk)
        base = self.base_rate_
        rate = e / n if n else 0.0
        se = math.sqrt(base * (1 - base) / max(n, 1))
        expect, excess_z = base, 0.0
        if self.expected_ is not None and n:
            p = self.expected_[np.unpackbits(packed, count=self.n_).astype(bool)]
            expect = float(p.mean())
            excess_z = (e - float(p.sum())) / math.sqrt(float((p * (1 - p)).sum()) + 1e-9)
        return Rule(
            atoms=atoms,
            size=n,
            successes=e,
            rate=rate,
            lift=rate / base if base else 0.0,
            quality=(n / self.n_) ** self.generality * (rate - expect),
            z=(rate - base) / se if se else 0.0,
            excess_z=excess_z,
        )

    def _search(
        self, atoms: list[Atom], ypk: np.ndarray, live: np.ndarray, sign: float
    ) -> list[tuple[float, tuple[Atom, ...]]]:
        """Beam search on the live rows; returns (quality, atoms) of every rule seen, best first.

        Every extension of a beam rule is counted at once: the atoms' bit masks are one 2-D
        array, so a level is a handful of vectorised ``&`` and popcounts, not a Python loop.
        """
        if not atoms:
            return []
        live_n = max(_count(live), 1)
        base = _count(ypk & live) / live_n
        matrix, attr_of = self._matrix(atoms)
        dense = None if self.expected_ is None else self._dense(atoms)
        seen: dict[frozenset[int], tuple[float, tuple[Atom, ...]]] = {}
        beam: list[tuple[tuple[int, ...], np.ndarray]] = [((), live)]
        for _depth in range(self.max_conditions):
            level: list[tuple[float, tuple[int, ...]]] = []
            for rule, packed in beam:
                cand = matrix & packed
                n = np.bitwise_count(cand).sum(axis=1, dtype=np.int64)
                e = np.bitwise_count(cand & ypk).sum(axis=1, dtype=np.int64)
                ok = n >= self.min_count_
                if rule:
                    ok &= ~np.isin(attr_of, attr_of[list(rule)])
                idx = np.flatnonzero(ok)
                if dense is None:
                    expect = base
                else:  # expected successes of each extension: one matrix-vector product
                    assert self.expected_ is not None
                    inside = np.unpackbits(packed, count=len(self.expected_))
                    # Over every atom, then picked: indexing the matrix first would copy it.
                    w = (inside * self.expected_).astype(np.float32)
                    expect = (dense @ w)[idx] / n[idx]
                q = sign * (n[idx] / live_n) ** self.generality * (e[idx] / n[idx] - expect)
                # Only the best extensions can enter the beam or be chosen later: keep a few.
                top = np.argsort(-q, kind="stable")[: 3 * self.beam_width]
                idx, q = idx[top], q[top]
                for i, qi in zip(idx.tolist(), q.tolist(), strict=True):
                    key = frozenset((*rule, i))
                    if key not in seen:
                        new = (*rule, i)
                        seen[key] = (qi, tuple(atoms[j] for j in new))
                        level.append((qi, new))
            if not level:
                break
            level.sort(key=lambda t: t[0], reverse=True)
            beam = []
            for _q, rule in level[: self.beam_width]:
                packed = live
                for j in rule:
                    packed = packed & matrix[j]
                beam.append((rule, packed))
        return sorted(seen.values(), key=lambda t: t[0], reverse=True)

    def _matrix(self, atoms: list[Atom]) -> tuple[np.ndarray, np.ndarray]:
        """Atoms' packed masks stacked (cached per atom list), and each atom's attribute id."""
        if getattr(self, "_cache_key", None) is not atoms:
            names = {a.attribute: i for i, a in enumerate(atoms)}
            self._cache = (
                np.stack([a.packed for a in atoms]),
                np.array([names[a.attribute] for a in atoms]),
            )
            self._cache_key = atoms
        return self._cache

    def _dense(self, atoms: list[Atom]) -> np.ndarray:
        """Atoms' masks unpacked (atoms x rows, float32), for expected counts; cached."""
        if getattr(self, "_dense_key", None) is not atoms:
            n = len(self.expected_) if self.expected_ is not None else self.n_
            self._dense_cache = np.stack([np.unpackbits(a.packed, count=n) for a in atoms]).astype(
                np.float32
            )
            self._dense_key = atoms
        return self._dense_cache

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
                if not self.acceptable(rule, positive):
                    continue  # cheap check first: the pool holds thousands of rules
                tried += 1
                if tried > 50:
                    break
                rule = self._prune(rule, ypk, sign)
                if self.acceptable(rule, positive) and not _overlaps(rule, chosen, self.n_):
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

    def acceptable(self, rule: Rule, positive: bool) -> bool:
        """Whether a rule passes the bar of an ICP segment (or of an anti-ICP rule)."""
        if rule.size < self.min_count_:
            return False
        base = self.base_rate_
        if positive:
            # With a high base rate (retention) a lift of 1.3 is impossible: then ask for the
            # failure rate to halve instead.
            halves = (1 - rule.rate) <= 0.5 * (1 - base)
            # Searching for what the points miss, the group must beat them by the same bar.
            beats = self.expected_ is None or rule.excess_z >= self.min_z
            return (rule.lift >= self.min_lift or halves) and rule.z >= self.min_z and beats
        doubles = rule.rate <= 0.5 * base and (1 - rule.rate) >= 2 * (1 - base)
        return (rule.lift <= self.max_anti_lift or doubles) and rule.z <= -self.min_z


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
