"""Contradictions: bins whose points order disagrees with their success-rate order.

A points table earns trust when "succeeds more often" always means "gets at least as many
points" within an attribute. discover makes that so (see
:func:`icpkit.scorecard.consistent_coefficients`); a hand edit, or an older profile, may not.
The check reads the success rates recorded in the profile (the training rows), so it needs no
data, and lists every pair of groups of one attribute where the one that succeeds less often
gets more points. Groups without a recorded rate (hand-written bins) are skipped.
"""

from __future__ import annotations

from typing import Any

from .profile import Profile

__all__ = ["contradictions", "describe_contradiction"]


def _groups(attr: Any) -> list[tuple[str, int, float, int | None]]:
    """(label, points, success rate, rows) of every group with a known rate."""
    out = []
    for b in attr.bins:
        if b.success_rate is not None and (b.count is None or b.count > 0):
            out.append((b.label or _label(b), b.points, float(b.success_rate), b.count))
    for key, label in (("missing", "missing"), ("other", "other values")):
        rate = getattr(attr, f"{key}_success_rate")
        if rate is not None:
            count = getattr(attr, f"{key}_count")
            out.append((label, getattr(attr, f"{key}_points"), float(rate), count))
    return out


def _label(b: Any) -> str:
    if hasattr(b, "values"):
        return ", ".join(b.values)
    return f"{b.lower} to {b.upper}"


def contradictions(profile: Profile) -> list[dict[str, Any]]:
    """Every pair (within one attribute) where the group that succeeds less gets more points."""
    found: list[dict[str, Any]] = []
    for attr in profile.attributes:
        groups = _groups(attr)
        for lo in groups:
            for hi in groups:
                if lo[2] < hi[2] and lo[1] > hi[1]:
                    found.append(
                        {
                            "attribute": attr.display,
                            "bin": lo[0],
                            "points": lo[1],
                            "success_rate": lo[2],
                            "rows": lo[3],
                            "versus_bin": hi[0],
                            "versus_points": hi[1],
                            "versus_success_rate": hi[2],
                            "versus_rows": hi[3],
                        }
                    )
    return found


def describe_contradiction(c: dict[str, Any]) -> str:
    """One contradiction in words."""
    return (
        f"{c['attribute']}: '{c['bin']}' gets {c['points']:+d} points but succeeds less often "
        f"({c['success_rate']:.1%}) than '{c['versus_bin']}' ({c['versus_points']:+d}, "
        f"{c['versus_success_rate']:.1%})"
    )
