"""Refining a found group's number ranges: where the group really starts and ends, and which
measure draws its boundary.

The beam search picks ranges from a coarse grid by a quality that rewards sharpness
(coverage^0.25), so a group of "50 to 999 employees" can come out as "69 to 505 employees", and a
correlated measure (revenue, cloud spend) can stand in for the one that matters. Here each
number condition of a group is chosen again within the rows its other conditions select (its
context): over every number attribute searched and every range between round cut points of that
attribute's values in the context, the range whose inside/outside split best explains success
wins, by the binomial log-likelihood ratio of two success rates against one. A proxy loses to the
attribute that draws the boundary itself, because within the context it separates less cleanly;
a range too narrow loses to a wider one whose added rows succeed like the group.

Counted on the search rows only, so the held-out figures stay honest.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from .binning import column_values, nice_cuts
from .profile import Condition
from .segments import Atom, Rule, SegmentFinder

__all__ = ["refine_ranges"]

# Cut points tried per attribute (round numbers near these quantiles of the context's values).
# 12 put no cut between 180 and 280 employees in the truth world 43, so a boundary at 200 could
# only be drawn by revenue; finer grids draw luckier slivers, which the BIC cost below prices.
CUTS = 24
# Fewest search rows a refined range may keep: the sharp search's own floor (a small planted
# group of 1% of accounts still fits), so a refined range is never a sliver of lucky rows.
MIN_ROWS = 20
# A range pays the BIC price of its cut points, 0.5 x ln(rows) per boundary drawn, so a
# two-sided sliver must explain success better than a one-sided range by that much more.
# A condition moves to another attribute only when that one explains success clearly better:
# its log-likelihood ratio beats the own attribute's best range by this much (the data are
# e^2 = 7.4 times as likely), so a correlated measure (founding year for size) does not win
# by the chance of a few rows.
SWITCH_MARGIN = 2.0


def _loglik(e: int, n: int) -> float:
    """Binomial log-likelihood of ``e`` successes in ``n`` rows at their own rate."""
    if n == 0 or e in (0, n):
        return 0.0
    p = e / n
    return e * math.log(p) + (n - e) * math.log(1 - p)


def _split_lr(e1: int, n1: int, e: int, n: int) -> float:
    """Log-likelihood ratio of two rates (inside, outside) against one over all ``n`` rows."""
    return _loglik(e1, n1) + _loglik(e - e1, n - n1) - _loglik(e, n)


def _cost(lo: float | None, hi: float | None, n: int) -> float:
    """The BIC price of a range's cut points: half the log of the rows per boundary drawn."""
    return 0.5 * math.log(max(n, 2)) * ((lo is not None) + (hi is not None))


def _best_range(x: np.ndarray, y: np.ndarray) -> tuple[float, float | None, float | None] | None:
    """(penalised log-likelihood ratio, lower, upper) of the best range of ``x`` for a better
    rate inside."""
    present = ~np.isnan(x)
    if present.sum() < 2 * MIN_ROWS:
        return None
    cuts = nice_cuts(x[present], CUTS)
    edges: list[float | None] = [None, *cuts, None]
    # Rows and successes per slot between cuts, summed cumulatively: the range from edges[i]
    # to edges[j] holds slots i .. j-1, counted in O(1) instead of a pass over the rows.
    slot = np.searchsorted(np.asarray(cuts), x[present], side="right")
    rows_to = np.r_[0, np.cumsum(np.bincount(slot, minlength=len(edges) - 1))]
    won = slot[np.asarray(y, dtype=bool)[present]]
    wins_to = np.r_[0, np.cumsum(np.bincount(won, minlength=len(edges) - 1))]
    n, e = len(y), int(y.sum())
    best: tuple[float, float | None, float | None] | None = None
    for i, lo in enumerate(edges[:-1]):
        for j in range(i + 1, len(edges)):
            hi = edges[j]
            if lo is None and hi is None:
                continue
            n1 = int(rows_to[j] - rows_to[i])
            e1 = int(wins_to[j] - wins_to[i])
            # At least MIN_ROWS inside, and the group's side must succeed more often.
            if n1 < MIN_ROWS or n1 == n or e1 * (n - n1) <= (e - e1) * n1:
                continue
            lr = _split_lr(e1, n1, e, n) - _cost(lo, hi, n)
            if best is None or lr > best[0]:
                best = (lr, lo, hi)
    return best


def refine_ranges(
    rule: Rule,
    finder: SegmentFinder,
    table: pa.Table,
    y: np.ndarray,
    rows: np.ndarray | None,
    numeric: list[str],
) -> Rule:
    """``rule`` with each number condition re-chosen (attribute and range) by likelihood.

    ``rule`` is measured on every row of ``table`` (as :meth:`SegmentFinder.measure` returns
    it); ``rows`` are the search rows the choice is made on; ``numeric`` the number
    attributes a condition may move to. The result is kept only when it still passes the
    finder's bar for an ICP segment, else ``rule`` comes back unchanged.
    """
    from .scoring import condition_mask

    n = len(y)
    idx = np.arange(n) if rows is None else np.sort(np.asarray(rows))
    ys = np.asarray(y, dtype=bool)[idx]
    values = {k: column_values(table.column(k))[idx] for k in numeric}
    atoms = list(rule.atoms)
    for i, atom in enumerate(atoms):
        if atom.attribute not in values:
            continue
        ctx = np.ones(len(idx), dtype=bool)
        for j, other in enumerate(atoms):
            if j != i:
                ctx &= np.unpackbits(other.packed, count=n).astype(bool)[idx]
        own = np.unpackbits(atom.packed, count=n).astype(bool)[idx]
        inside, yc = own[ctx], ys[ctx]
        best_lr = _split_lr(int(yc[inside].sum()), int(inside.sum()), int(yc.sum()), len(yc))
        best_lr -= _cost(atom.condition.ge, atom.condition.lt, len(yc))
        best = None
        taken = {a.attribute for j, a in enumerate(atoms) if j != i}
        # The own attribute first: its best range sets the bar another attribute must clear.
        for name in sorted(values, key=lambda k: k != atom.attribute):
            if name in taken:
                continue
            found = _best_range(values[name][ctx], ys[ctx])
            margin = 0.0 if name == atom.attribute else SWITCH_MARGIN
            if found is not None and found[0] > best_lr + margin:
                best_lr, best = found[0], Condition(attribute=name, ge=found[1], lt=found[2])
        if best is not None:
            packed = np.packbits(condition_mask(best, table))
            atoms[i] = Atom(best.attribute, (-3,), best, packed)
    if atoms == list(rule.atoms):
        return rule
    refined = finder.measure(tuple(atoms), table, y)
    ok = refined.size >= finder.min_support_count and refined.z >= finder.min_z
    return refined if ok and refined.lift >= finder.min_lift else rule
