"""Profile columns an input lacks: scored as missing, and said in one line each.

A lead form sends a few fields, an export has no technology list, a universe has no funding
round: failing would lose the whole answer, while scoring the column as missing (the
profile's points for a missing value apply) keeps it, at a cost the warning states: the most
points a row can miss, so a reader knows how far the tiers may be off. `icp score` (files and
databases), `icp evaluate`, `icp drift`, `icp funnel` and the market stage share this rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .errors import SchemaError
from .profile import Profile

__all__ = ["FLAG_PREFIX", "fill_missing", "gap", "points_at_stake", "score_gaps"]

# The list normaliser names the flags of ``technologies`` tech_<slug>, of others <name>_<slug>.
FLAG_PREFIX = {"technologies": "tech"}


def points_at_stake(profile: Profile, column: str) -> int:
    """The most points a row can miss when ``column`` is unknown: the attribute's best bin
    over its missing points, plus every segment bonus that needs the column."""
    stake = 0
    for a in profile.attributes:
        if a.name == column:
            stake += max(0, max(b.points for b in a.bins) - a.missing_points)
    for seg in profile.segments:
        if seg.points > 0 and any(c.attribute == column for c in seg.conditions):
            stake += seg.points
    return stake


def gap(profile: Profile, column: str, where: str = "the input") -> dict[str, Any]:
    """One missing column: its name, business name, points at stake and the warning line."""
    from .phrases import attribute_name

    label = next((a.label for a in profile.attributes if a.name == column), None)
    name = attribute_name(column, label)
    stake = points_at_stake(profile, column)
    rows = "company" if where == "the universe" else "row"
    return {
        "column": column,
        "name": name,
        "points_at_stake": stake,
        "warning": f"{where} has no column for {name} ({column!r}): every {rows} is scored as "
        f"missing it (up to {stake} points at stake, so tiers may be understated)",
    }


def fill_missing(
    table: pa.Table, columns: Iterable[str], absent: set[str] | None = None
) -> pa.Table:
    """Add the profile columns the table lacks: missing values, except list flags.

    A flag like ``tech_aws`` exists only when some row lists AWS; a row that lists other
    technologies does not use it (False), a row with no list says nothing (missing), as
    the list normaliser decides when the flag exists. So one record scores the same alone
    as in a batch where another row named AWS. Columns with no source at all (not even a
    list) are added to ``absent``, for the caller to name in a warning.
    """
    for name in columns:
        if name in table.column_names:
            continue
        lists = [c for c in table.column_names if name.startswith(f"{FLAG_PREFIX.get(c, c)}_")]
        if lists:
            given = pc.is_valid(table.column(max(lists, key=len)))
            values = pc.if_else(given, False, pa.scalar(None, pa.bool_()))
        else:
            values = pa.nulls(table.num_rows, pa.string())
            if absent is not None:
                absent.add(name)
        table = table.append_column(name, values)
    return table


def score_gaps(
    profile: Profile, table: pa.Table, where: str = "the input", file: str | None = None
) -> tuple[pa.Table, list[dict[str, Any]]]:
    """The table with the profile columns it lacks added as missing, and one :func:`gap` each.

    A table with none of the profile's columns is refused: that is a wrong file, not gaps.
    """
    absent: set[str] = set()
    filled = fill_missing(table, profile.columns, absent)
    if profile.columns and absent >= set(profile.columns):
        raise SchemaError(
            f"{where} has none of the columns the profile reads "
            f"({', '.join(sorted(profile.columns)[:5])})",
            file=file,
            hint="Check the file, or map its columns with --map 'Their Column=canonical'",
        )
    return filled, [gap(profile, c, where) for c in sorted(absent)]
