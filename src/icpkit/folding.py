"""Folding overlapping named-only segments into the segments that contain them.

The searches (:mod:`icpkit.segments`, :mod:`icpkit.sharp`) each find their own groups, and a
sharp group can lie almost wholly inside a broader or higher-ranked one: on the seed-7 truth
world "Healthcare · on AWS · 63+ employees" (no points) lies 84% inside "Healthcare · on AWS ·
revenue $11.1M+" (+17 points) and separates success there hardly at all. A reader takes every
listed segment as a distinct group of ideal customers, so such a near-duplicate states
something false. A segment that carries no points (named only: its accounts score through
their traits' points) and whose accounts lie at least ``CONTAINED`` inside a higher-ranked
segment, or inside any segment that carries points, is folded into it: left out of the
profile, and recorded (:class:`Folded`) so discover can say so in one line.

It stays listed only when it is a distinct group within its container, by both of:

* on the rows it was found on (the search rows), it separates success inside the container
  clearly: the log-likelihood ratio of two success rates against one
  (:func:`icpkit.refine.split_gain`), less the BIC price of the conditions it draws beyond the
  container's (:func:`icpkit.refine.boundary_cost`), exceeds :data:`icpkit.refine.SWITCH_MARGIN`;
* on the rows it was not found on (the held-out rows; all rows when discover holds none out),
  its accounts succeed more often than the rest of the container's with
  p < :data:`icpkit.sharp.CONFIRM_P` (the one-sided binomial test of
  :func:`icpkit.sharp.confirmed`). Against the rest, not the container's average: a group
  that is most of its container makes most of that average. On the seed-59 truth world the
  planted "Manufacturing · on SAP · 130+ employees" (55 of the 100 accounts of the +12 segment
  "Manufacturing · on SAP") won 9 of its 13 held-out accounts against the container's 13 of
  22 (p = 0.33, folded: the planted group lost) and against the other 9 accounts' 4 (p = 0.06).

The headline's segment is never folded: the headline describes a group the reader is shown.
Scores do not change: a named-only segment adds no points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .profile import Condition, Profile, Segment
from .refine import SWITCH_MARGIN, boundary_cost, split_gain
from .sharp import beats_base

__all__ = ["CONTAINED", "Folded", "fold_segments", "folded_line"]

# A segment with at least this share of its accounts inside another is a part of it.
CONTAINED = 0.8


@dataclass(frozen=True)
class Folded:
    """One segment folded into the segment that contains it."""

    segment: str  # the folded segment's name
    into: str  # the name of the segment that contains it
    overlap: float  # share of the folded segment's accounts inside the other (0-1)
    size: int  # the folded segment's accounts

    def as_dict(self) -> dict[str, object]:
        return {
            "segment": self.segment,
            "into": self.into,
            "overlap": round(self.overlap, 4),
            "size": self.size,
        }


def _mask(conditions: list[Condition], table: pa.Table) -> np.ndarray:
    from .scoring import condition_mask

    mask = np.ones(table.num_rows, dtype=bool)
    for c in conditions:
        mask &= condition_mask(c, table)
    return mask


def _price(seg: Segment, container: np.ndarray, table: pa.Table) -> float:
    """The BIC price of the boundaries ``seg`` draws within ``container`` (a row mask):
    half the log of the container's rows per boundary that leaves some of them out (a number
    range's ends, one per label condition), as :func:`icpkit.refine.boundary_cost` prices a range. A
    condition every container row meets ("revenue $20M+" inside "revenue $45.9M+") draws none.
    """
    from .scoring import condition_mask

    n = int(container.sum())
    price = 0.0
    for c in seg.conditions:
        cuts = [c]
        if c.is_numeric:
            cuts = [Condition(attribute=c.attribute, ge=c.ge)] if c.ge is not None else []
            if c.lt is not None:
                cuts.append(Condition(attribute=c.attribute, lt=c.lt))
        for one in cuts:
            if not condition_mask(one, table)[container].all():
                price += boundary_cost(0.0, None, n)  # one boundary
    return price


def _distinct(
    seg: Segment,
    mine: np.ndarray,
    theirs: np.ndarray,
    y: np.ndarray,
    search: np.ndarray,
    table: pa.Table,
) -> bool:
    """Whether ``seg`` (rows ``mine``) separates success within its container (rows
    ``theirs``) clearly on the ``search`` rows (a mask) and is confirmed on the others (all
    rows when every row was searched)."""
    ctx = theirs & search
    if not ctx.any():
        return False
    added = split_gain(ctx[search], mine[search], y[search])
    if added - _price(seg, ctx, table) <= SWITCH_MARGIN:
        return False
    # Against the rest of the container, not its average: a group that is most of its
    # container makes most of that average, and could hardly beat it.
    test = ~search if (~search).any() else search
    both, rest = theirs & test & mine, theirs & test & ~mine
    if not rest.any():
        return False
    return beats_base(int(y[both].sum()), int(both.sum()), float(y[rest].mean()))


def fold_segments(
    profile: Profile,
    table: pa.Table,
    y: np.ndarray,
    rows: np.ndarray | None = None,
    keep: list[Condition] | None = None,
) -> tuple[Profile, list[Folded]]:
    """``profile`` without the named-only segments that lie inside another, and what was folded.

    ``table`` and ``y`` are the rows the profile was fitted on; ``rows`` the search rows the
    segments were found on (None: all rows, and the confirmation uses all rows too); ``keep``
    the headline group's conditions, whose segment stays. Segments are taken in the profile's
    order (ranked by the extra successes they bring), so a higher-ranked one is decided first.
    """
    segments = list(profile.segments)
    if len(segments) < 2:
        return profile, []
    y = np.asarray(y, dtype=bool)
    n = len(y)
    search = np.ones(n, dtype=bool)
    if rows is not None:
        search = np.zeros(n, dtype=bool)
        search[np.asarray(rows)] = True
    masks = [_mask(list(s.conditions), table) for s in segments]
    kept: list[int] = []
    folded: list[Folded] = []
    for i, seg in enumerate(segments):
        size = int(masks[i].sum())
        if seg.points != 0 or not size or (keep and list(seg.conditions) == list(keep)):
            kept.append(i)
            continue
        # Containers: kept segments ranked above, and every segment that carries points.
        above = set(kept)
        cands = [j for j in range(len(segments)) if j in above or segments[j].points != 0]
        shares = {j: int((masks[i] & masks[j]).sum()) / size for j in cands if j != i}
        inside = sorted((j for j, s in shares.items() if s >= CONTAINED), key=lambda j: -shares[j])
        into = next(
            (j for j in inside if not _distinct(seg, masks[i], masks[j], y, search, table)),
            None,
        )
        if into is None:
            kept.append(i)
        else:
            folded.append(Folded(seg.name, segments[into].name, shares[into], size))
    if not folded:
        return profile, []
    return profile.model_copy(update={"segments": [segments[i] for i in kept]}), folded


def folded_line(folded: list[dict[str, object]]) -> str | None:
    """One line saying which overlapping groups were folded into which segments, or None."""
    from .phrases import counted

    if not folded:
        return None
    # Rounded down: 99.6% inside is not "100% inside".
    parts = [
        f"{f['segment']} ({math.floor(float(str(f['overlap'])) * 100 + 1e-9)}% inside {f['into']})"
        for f in folded
    ]
    where = "the segment that contains it" if len(folded) == 1 else "the segments that contain them"
    what = counted(len(folded), "overlapping group")
    return f"{what} folded into {where}: " + "; ".join(parts) + "."
