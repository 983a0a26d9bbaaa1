"""Person-level fit: a persona points table beside the account points, and the priority grid.

Leads and contacts are people. ``learn_persona`` fits a second additive points table on the
people columns of a table with outcomes (converted leads; contacts on won vs lost deals):
role (department), seniority and any person columns the user names (country, source). It uses
the account model's own machinery (bins, L2 logistic regression on bin indicators, integer
points), so a persona score reads exactly like an account score.

``score_persona`` adds ``persona_score`` (0-100), ``persona_tier`` (1-4), ``icp_priority``
(account tier x persona tier: 'A1' ... 'D4', as in the fit x persona grids sales teams use)
and ``priority_rank`` (1-16, the cell's place in the profile's priority order).
:func:`learn_priority` learns that order from the training rows: cells by their success rate,
never a cell above one that is at least as good on both tiers. :func:`priority_sort_key` is
the call list order: the cell's rank first, then, inside a cell, the two scores together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .binning import Binner, column_kind
from .errors import ConfigError, SchemaError, did_you_mean
from .profile import (
    PRIORITY_GRID,
    CategoryBin,
    NumericBin,
    Persona,
    PersonaTiers,
    Profile,
    Tiers,
)
from .scorecard import Scorecard, profile_attributes, tier_cutoffs

__all__ = [
    "PERSONA_COLUMNS",
    "PERSONA_SCORE_COLUMNS",
    "learn_persona",
    "learn_priority",
    "persona_columns",
    "persona_profile",
    "persona_summary",
    "priority_rank",
    "priority_sort_key",
    "score_persona",
]

# Person columns intake derives from titles: used when the caller says "auto".
PERSONA_COLUMNS = ("role", "seniority", "department")
PERSONA_SCORE_COLUMNS = ("persona_score", "persona_tier", "icp_priority", "priority_rank")
# Success rates of priority cells are shrunk toward the overall rate by n / (n + this), as the
# account points shrink small groups, so a cell of a few lucky leads does not jump the queue.
PRIORITY_SHRINK = 20
_DIGITS = {"A": "1", "B": "2", "C": "3", "D": "4"}


def persona_columns(table: pa.Table, persona: str | Sequence[str] | None) -> list[str]:
    """The person columns to learn from: 'auto' (role, seniority, department present) or a list."""
    if persona is None:
        return []
    if isinstance(persona, str):
        names = (
            [c for c in PERSONA_COLUMNS if c in table.column_names]
            if persona == "auto"
            else [c.strip() for c in persona.split(",") if c.strip()]
        )
    else:
        names = list(persona)
    for c in names:
        if c not in table.column_names:
            raise SchemaError(
                "no such person column",
                column=c,
                hint=did_you_mean(c, table.column_names) or "Check the --persona columns",
            )
    if not names:
        raise ConfigError(
            "no person columns to learn a persona from",
            hint="Give --persona role,seniority (columns intake derives from job titles)",
        )
    return names


def persona_profile(persona: Persona) -> Profile:
    """The persona as a profile of its own, so every engine scores it with the account code."""
    t = persona.tiers
    return Profile(
        name="persona",
        intercept=persona.intercept,
        attributes=persona.attributes,
        tiers=Tiers(A=t.first, B=t.second, C=t.third),
    )


def learn_persona(
    table: pa.Table,
    y: np.ndarray,
    columns: Sequence[str],
    *,
    max_bins: int = 6,
    description: str | None = None,
) -> Persona:
    """Fit the persona points table on ``columns`` of ``table`` against outcome ``y``."""
    kinds = {}
    for c in columns:
        kind = column_kind(table.column(c))
        if kind is None:
            raise SchemaError(
                f"cannot use a person column of type {table.column(c).type}", column=c
            )
        kinds[c] = kind
    binner = Binner(max_bins=max_bins).fit(table, y, list(columns), kinds)
    attrs = {k: a for k, a in binner.attributes_.items() if a.informative}
    if not attrs:
        raise ConfigError(
            "no person column carries information about success",
            hint="Check the outcome, or give other person columns with --persona",
        )
    codes = {k: binner.train_codes_[k] for k in attrs}
    card = Scorecard().fit(attrs, codes, [], y)
    pts = card.points(codes, [])
    attributes = profile_attributes(attrs, pts.attributes, keep_zero=True)
    raw = np.full(len(y), pts.intercept, dtype=np.int64)
    for name, arr in pts.attributes.items():
        raw += arr[codes[name]]
    cut = tier_cutoffs(np.clip(raw, 0, 100))
    return Persona(
        description=description,
        intercept=pts.intercept,
        attributes=attributes,
        tiers=PersonaTiers(first=cut.A, second=cut.B, third=cut.C),
        metrics={"train_rows": len(y), "train_successes": int(np.sum(y))},
    )


def score_persona(
    profile: Profile, table: pa.Table, account_tier: pa.Array | None, *, reasons: bool = False
) -> dict[str, pa.Array]:
    """``persona_score``, ``persona_tier`` and (with account tiers) ``icp_priority`` columns.

    Empty when the table holds none of the persona columns (an accounts table); an error when
    it holds some but not all of them.
    """
    from .scoring import reasons as reason_texts
    from .scoring import score_table

    persona = profile.persona
    if persona is None:
        return {}
    present = [c for c in persona.columns if c in table.column_names]
    if not present:
        return {}
    if len(present) < len(persona.columns):
        missing = next(c for c in persona.columns if c not in table.column_names)
        raise SchemaError(
            "the profile's persona needs a column the table does not have",
            column=missing,
            hint="Add the column, or score a table without any persona columns",
        )
    sub = persona_profile(persona)
    scored = score_table(sub, table)
    letters = pd.Series(scored.column("icp_tier").to_pylist(), dtype=object)
    digits = letters.map(_DIGITS)
    out: dict[str, pa.Array] = {
        "persona_score": scored.column("icp_score").combine_chunks(),
        "persona_tier": pa.array(digits.to_numpy(dtype=object), pa.string()),
    }
    if account_tier is not None:
        cells = pd.Series(account_tier.to_pylist(), dtype=object) + digits
        out["icp_priority"] = pa.array(cells.to_numpy(dtype=object), pa.string())
        out["priority_rank"] = pa.array(priority_rank(cells, persona.priority_order), pa.int64())
    if reasons:
        out["persona_reasons"] = reason_texts(sub, table)
    return out


def priority_rank(priority: Any, order: Sequence[str] = PRIORITY_GRID) -> np.ndarray:
    """Rank of each cell 'A1' ... 'D4' in ``order`` (1 = best; the grid's diagonals by default)."""
    ranks = {cell: i for i, cell in enumerate(order, start=1)}
    return pd.Series(priority, dtype=object).map(ranks).to_numpy(dtype=np.int64)


def learn_priority(priority: Any, y: np.ndarray, shrink: int = PRIORITY_SHRINK) -> list[str]:
    """The 16 cells best first, by the success rate of the rows in each (shrunk toward the base).

    The order stays true to both tiers: a cell never ranks above one that is at least as good
    on the account tier and on the persona tier (A2 stays above B2 and A3 whatever a small
    sample says). Within that rule the cell with the higher rate goes first; equal rates keep
    the grid's own order.
    """
    frame = pd.DataFrame({"cell": pd.Series(priority, dtype=object), "y": np.asarray(y, bool)})
    counts = frame.groupby("cell")["y"].agg(["sum", "count"]).reindex(PRIORITY_GRID).fillna(0)
    base = float(frame["y"].mean()) if len(frame) else 0.0
    rate = (counts["sum"] + shrink * base) / (counts["count"] + shrink)
    order: list[str] = []
    while len(order) < len(PRIORITY_GRID):  # 16 cells: a plain greedy topological order
        ready = [
            c
            for c in PRIORITY_GRID
            if c not in order
            and all(o in order for o in PRIORITY_GRID if o != c and o[0] <= c[0] and o[1] <= c[1])
        ]
        order.append(max(ready, key=lambda c: (rate[c], -PRIORITY_GRID.index(c))))
    return order


def persona_summary(persona: Persona | None) -> dict[str, Any] | None:
    """Each persona attribute's bins, best points first, and the held-out AUC (a plain dict)."""
    if persona is None:
        return None
    attrs: list[dict[str, Any]] = []
    for a in persona.attributes:
        ranked: list[CategoryBin | NumericBin] = sorted(a.bins, key=lambda b: -b.points)
        bins = [
            {
                "group": b.label or ", ".join(getattr(b, "values", []) or []),
                "points": b.points,
                "success_rate": b.success_rate,
                "count": b.count,
            }
            for b in ranked
        ]
        attrs.append(
            {"attribute": a.display, "information_value": a.information_value, "bins": bins}
        )
    attrs.sort(key=lambda a: -float(a["information_value"] or 0.0))
    held = (persona.metrics or {}).get("held_out", {})
    return {
        "attributes": attrs,
        "held_out_auc": held.get("auc"),
        "tiers": persona.tiers.model_dump(by_alias=True),
        "priority": persona.priority_order,
    }


def priority_sort_key(
    priority: Any,
    icp_score: Any,
    persona_score: Any,
    order: Sequence[str] = PRIORITY_GRID,
) -> np.ndarray:
    """Sort key of a call list (smaller first): the cell's rank, then more points first."""
    points = np.asarray(icp_score, dtype=np.float64) + np.asarray(persona_score, dtype=np.float64)
    return np.asarray(priority_rank(priority, order) * 1000.0 - points)
