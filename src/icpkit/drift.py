"""Drift: what changed between two profiles, and whether the population moved.

Two questions, two functions:

- :func:`profile_diff` compares two profile versions (attributes, points, tiers,
  segments, disqualifiers) so a reviewer sees exactly what an edit or a re-learn did.
- :func:`population_drift` scores a "before" and an "after" table with one profile and
  measures the population stability index (PSI) of the score and of every attribute
  (bucketed by the profile's own bins), the tier-mix shift and the change in success
  rate by tier, then gives a plain verdict: ``stable``, ``watch`` or ``refresh the ICP``.

PSI = sum((after - before) * ln(after / before)) over buckets; the usual reading is
below 0.10 stable, 0.10-0.25 a moderate shift, above 0.25 a major shift.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .errors import SchemaError
from .explain import bin_words, describe_rule
from .gaps import score_gaps
from .phrases import counted, flag_columns
from .profile import CategoricalAttribute, Disqualifier, NumericAttribute, Profile, Segment
from .quality import read_frame
from .scoring import score_table, to_arrow

__all__ = [
    "PSI_MAJOR",
    "PSI_MODERATE",
    "DriftResult",
    "population_drift",
    "profile_diff",
    "psi",
    "success_flags",
    "won_flags",
]

PSI_MODERATE = 0.10
PSI_MAJOR = 0.25
# A drop in tier A's success rate this large (absolute) means the profile no longer
# picks winners, whatever the PSI says.
SUCCESS_DROP = 0.10
_EPS = 1e-4
_TRUE = {"true", "1", "yes", "y", "t", "won", "closed won", "closedwon"}


class DriftResult(NamedTuple):
    table: pd.DataFrame
    summary: dict[str, Any]


# --------------------------------------------------------------------------- profile diff


def _bin_key(b: Any) -> str:
    if hasattr(b, "values"):
        return ", ".join(b.values)
    lo = "" if b.lower is None else f"{b.lower:g}"
    hi = "" if b.upper is None else f"{b.upper:g}"
    return f"[{lo}, {hi})"


def _attr_changes(old: Any, new: Any) -> list[tuple[str, str, Any, Any]]:
    """(change, detail, old, new) for one attribute present in both profiles."""
    out: list[tuple[str, str, Any, Any]] = []
    if old.kind != new.kind:
        return [("kind changed", "kind", old.kind, new.kind)]
    for field, words in (("missing_points", "missing"), ("other_points", "other values")):
        if getattr(old, field) != getattr(new, field):
            out.append(("points changed", words, getattr(old, field), getattr(new, field)))
    # Bins match on their edges or values; the detail names them as the points table does.
    old_bins = {_bin_key(b): (b.points, bin_words(b)) for b in old.bins}
    new_bins = {_bin_key(b): (b.points, bin_words(b)) for b in new.bins}
    for key in old_bins.keys() | new_bins.keys():
        if key not in new_bins:
            out.append(("bin removed", old_bins[key][1], old_bins[key][0], None))
        elif key not in old_bins:
            out.append(("bin added", new_bins[key][1], None, new_bins[key][0]))
        elif old_bins[key][0] != new_bins[key][0]:
            out.append(("points changed", new_bins[key][1], old_bins[key][0], new_bins[key][0]))
    return sorted(out, key=lambda r: (r[0], r[1]))


def _rule_text(rule: Segment | Disqualifier, flags: Collection[str] = ()) -> str:
    """The rule in the words `icp explain` uses ("industry is Software and employees 200 or
    more"); whether it changed is decided on the conditions themselves."""
    return describe_rule(list(rule.conditions), flags)


def _rule_rows(
    part: str, old: list[Any], new: list[Any], value: str, flags: Collection[str] = ()
) -> list[dict[str, Any]]:
    """Rules added, removed or changed; ``flags`` names the 0/1 columns (read as yes/no)."""
    rows: list[dict[str, Any]] = []

    o, n = {r.name: r for r in old}, {r.name: r for r in new}
    for name in [*o, *(k for k in n if k not in o)]:
        if name not in n:
            rows.append(
                _row(
                    part,
                    name,
                    "removed",
                    _rule_text(o[name], flags),
                    _rule_text(o[name], flags),
                    None,
                )
            )
        elif name not in o:
            rows.append(
                _row(
                    part,
                    name,
                    "added",
                    _rule_text(n[name], flags),
                    None,
                    _rule_text(n[name], flags),
                )
            )
        else:
            if o[name].conditions != n[name].conditions:
                rows.append(
                    _row(
                        part,
                        name,
                        "rule changed",
                        "conditions",
                        _rule_text(o[name], flags),
                        _rule_text(n[name], flags),
                    )
                )
            if getattr(o[name], value) != getattr(n[name], value):
                rows.append(
                    _row(
                        part,
                        name,
                        f"{value} changed",
                        value,
                        getattr(o[name], value),
                        getattr(n[name], value),
                    )
                )
    return rows


def _row(part: str, name: str, change: str, detail: str, old: Any, new: Any) -> dict[str, Any]:
    return {"part": part, "name": name, "change": change, "detail": detail, "old": old, "new": new}


def profile_diff(old: Profile, new: Profile) -> DriftResult:
    """Every difference between two profiles, one row each (part, name, change, detail, old, new)."""
    rows: list[dict[str, Any]] = []
    if old.intercept != new.intercept:
        rows.append(
            _row(
                "intercept",
                "intercept",
                "points changed",
                "intercept",
                old.intercept,
                new.intercept,
            )
        )
    oa, na = {a.name: a for a in old.attributes}, {a.name: a for a in new.attributes}
    for name in [*oa, *(k for k in na if k not in oa)]:
        if name not in na:
            rows.append(_row("attribute", name, "removed", oa[name].kind, oa[name].kind, None))
        elif name not in oa:
            rows.append(_row("attribute", name, "added", na[name].kind, None, na[name].kind))
        else:
            rows += [_row("attribute", name, *c) for c in _attr_changes(oa[name], na[name])]
    for tier in ("A", "B", "C"):
        before, after = getattr(old.tiers, tier), getattr(new.tiers, tier)
        if before != after:
            rows.append(
                _row(
                    "tiers", tier, "cut-off changed", f"lowest score of tier {tier}", before, after
                )
            )
    flags = flag_columns(old) | flag_columns(new)
    rows += _rule_rows("segment", old.segments, new.segments, "points", flags)
    rows += _rule_rows("disqualifier", old.disqualifiers, new.disqualifiers, "cap", flags)
    table = pd.DataFrame(rows, columns=["part", "name", "change", "detail", "old", "new"])
    by_part = {str(k): int(v) for k, v in table["part"].value_counts().sort_index().items()}
    summary = {
        "old": {"name": old.name, "version": old.version},
        "new": {"name": new.name, "version": new.version},
        "changed": bool(rows),
        "n_changes": len(rows),
        "changes_by_part": by_part,
        "attributes_added": sorted(set(na) - set(oa)),
        "attributes_removed": sorted(set(oa) - set(na)),
        "verdict": "identical" if not rows else counted(len(rows), "change"),
    }
    return DriftResult(table, summary)


# --------------------------------------------------------------------------- population drift


def psi(before: np.ndarray, after: np.ndarray) -> float:
    """Population stability index of two count (or share) vectors over the same buckets."""
    b = np.asarray(before, dtype=float)
    a = np.asarray(after, dtype=float)
    if b.sum() == 0 or a.sum() == 0:
        return float("nan")
    b = np.maximum(b / b.sum(), _EPS)
    a = np.maximum(a / a.sum(), _EPS)
    return float(np.sum((a - b) * np.log(a / b)))


def _buckets(attr: Any, frame: pd.DataFrame) -> np.ndarray:
    """Which profile bin each row falls in ('missing', 'other' or the bin's key)."""
    if attr.name not in frame.columns:
        raise SchemaError(
            "the profile needs a column the table does not have",
            column=attr.name,
            hint="Give both tables the columns the profile reads",
        )
    col = frame[attr.name]
    out = np.full(len(col), "other", dtype=object)
    if isinstance(attr, NumericAttribute):
        x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        for b in reversed(attr.bins):
            hold = np.ones(len(x), dtype=bool)
            if b.lower is not None:
                hold &= x >= b.lower
            if b.upper is not None:
                hold &= x < b.upper
            out[hold] = _bin_key(b)
        out[np.isnan(x)] = "missing"
        return out
    assert isinstance(attr, CategoricalAttribute)
    # Booleans compare as 'true'/'false', like every scoring engine.
    if pd.api.types.is_bool_dtype(col):
        text = col.map({True: "true", False: "false"}).astype("string")
    else:
        text = col.astype("string")
    for cb in reversed(attr.bins):
        out[text.isin(cb.values).fillna(False).to_numpy(dtype=bool)] = _bin_key(cb)
    out[(text.isna() | (text == "")).fillna(True).to_numpy(dtype=bool)] = "missing"
    return out


def _share_psi(before: pd.Series, after: pd.Series) -> tuple[float, pd.DataFrame]:
    keys = sorted(set(before.unique()) | set(after.unique()), key=str)
    b = before.value_counts().reindex(keys, fill_value=0)
    a = after.value_counts().reindex(keys, fill_value=0)
    shares = pd.DataFrame({"before": b / max(len(before), 1), "after": a / max(len(after), 1)})
    return psi(b.to_numpy(), a.to_numpy()), shares


def success_flags(values: pd.Series, positive: list[str] | None = None) -> pd.Series:
    """A boolean Series (with NA) from a success column: bools, 1/0, yes/no, won, or ``positive``."""
    if pd.api.types.is_bool_dtype(values):
        if not positive:
            return values.astype("boolean")
        # Booleans read as 'true'/'false', like every scoring engine, so positive: [false] works.
        values = values.map({True: "true", False: "false"})
    text = values.astype("string").str.strip().str.lower()
    accept = {p.lower() for p in positive} if positive else _TRUE
    out = text.isin(accept).astype("boolean")
    return out.mask(text.isna() | (text == ""))


def _level(value: float) -> str:
    if np.isnan(value):
        return "n/a"
    return "major" if value >= PSI_MAJOR else "moderate" if value >= PSI_MODERATE else "stable"


def _success_column(profile: Profile, frame: pd.DataFrame, success: str | None) -> str | None:
    if success is not None:
        if success not in frame.columns:
            raise SchemaError("success column not found", column=success)
        return success
    target = profile.success.target if profile.success else None
    return target if target in frame.columns else None


def population_drift(
    profile: Profile, before: Any, after: Any, *, success: str | None = None
) -> DriftResult:
    """PSI of the score and each attribute, tier mix and success by tier, with a verdict."""
    b_frame, a_frame = read_frame(before, "accounts"), read_frame(after, "accounts")
    # A column one period lacks scores as missing there (and its PSI shows the jump).
    b_table, b_gaps = score_gaps(profile, to_arrow(b_frame), "the earlier table")
    a_table, a_gaps = score_gaps(profile, to_arrow(a_frame), "the later table")
    b_frame, a_frame = b_table.to_pandas(), a_table.to_pandas()
    b_scored = score_table(profile, b_table).to_pandas()
    a_scored = score_table(profile, a_table).to_pandas()
    rows: list[dict[str, Any]] = []
    edges = np.arange(0, 101, 10)
    b_bins = pd.Series(np.clip(np.digitize(b_scored["icp_score"], edges[1:-1]), 0, 9))
    a_bins = pd.Series(np.clip(np.digitize(a_scored["icp_score"], edges[1:-1]), 0, 9))
    score_psi, _ = _share_psi(b_bins, a_bins)
    rows.append(
        _measure(
            "score",
            "fit score",
            b_scored["icp_score"].mean(),
            a_scored["icp_score"].mean(),
            score_psi,
        )
    )
    attr_psi: dict[str, float] = {}  # by column, for the summary
    shown: dict[str, float] = {}  # by business name, for the reasons people read
    for attr in profile.attributes:
        value, _ = _share_psi(
            pd.Series(_buckets(attr, b_frame)), pd.Series(_buckets(attr, a_frame))
        )
        attr_psi[attr.name] = shown[attr.display] = value
        rows.append(_measure("attribute", attr.display, None, None, value))
    tier_psi, shares = _share_psi(b_scored["icp_tier"], a_scored["icp_tier"])
    for tier in ("A", "B", "C", "D"):
        s = shares.reindex([tier], fill_value=0.0).iloc[0]
        rows.append(_measure("tier share", tier, float(s["before"]), float(s["after"]), None))
    col = _success_column(profile, b_frame, success)
    drop = _success_rows(rows, col, b_frame, a_frame, b_scored, a_scored, profile)
    table = pd.DataFrame(rows)
    verdict, reasons = _verdict(score_psi, shown, drop)
    summary = {
        "rows_before": len(b_frame),
        "rows_after": len(a_frame),
        "score_psi": round(score_psi, 4),
        "tier_psi": round(tier_psi, 4),
        "attribute_psi": {k: round(v, 4) for k, v in attr_psi.items()},
        "mean_score_before": round(float(b_scored["icp_score"].mean()), 2),
        "mean_score_after": round(float(a_scored["icp_score"].mean()), 2),
        "success_column": col,
        "tier_a_success_change": None if drop is None else round(drop, 4),
        "verdict": verdict,
        "reasons": reasons,
        "missing_columns": [*b_gaps, *a_gaps],  # as market_size names them
    }
    return DriftResult(table, summary)


def _measure(
    measure: str, name: str, before: Any, after: Any, value: float | None
) -> dict[str, Any]:
    change = None if before is None or after is None else float(after) - float(before)
    return {
        "measure": measure,
        "name": name,
        "before": None if before is None else float(before),
        "after": None if after is None else float(after),
        "change": change,
        "psi": value,
        "level": None if value is None else _level(value),
    }


def _success_rows(
    rows: list[dict[str, Any]],
    col: str | None,
    b_frame: pd.DataFrame,
    a_frame: pd.DataFrame,
    b_scored: pd.DataFrame,
    a_scored: pd.DataFrame,
    profile: Profile,
) -> float | None:
    """Add success rate by tier; return the change of tier A's rate (None when unknown)."""
    if col is None or col not in a_frame.columns:
        return None
    positive = profile.success.positive if profile.success else None
    b_ok, a_ok = success_flags(b_frame[col], positive), success_flags(a_frame[col], positive)
    change_a = None
    for tier in ("A", "B", "C", "D"):
        rb = b_ok[(b_scored["icp_tier"] == tier).to_numpy()].mean()
        ra = a_ok[(a_scored["icp_tier"] == tier).to_numpy()].mean()
        rb = None if pd.isna(rb) else float(rb)
        ra = None if pd.isna(ra) else float(ra)
        rows.append(_measure("success rate", tier, rb, ra, None))
        if tier == "A" and rb is not None and ra is not None:
            change_a = ra - rb
    return change_a


def _verdict(
    score_psi: float, attr_psi: dict[str, float], drop: float | None
) -> tuple[str, list[str]]:
    """The verdict and its reasons; ``attr_psi`` is keyed by the attributes' business names."""
    reasons: list[str] = []
    refresh = watch = False
    if score_psi >= PSI_MAJOR:
        refresh = True
        reasons.append(f"score distribution shifted a lot (PSI {score_psi:.2f} >= {PSI_MAJOR})")
    elif score_psi >= PSI_MODERATE:
        watch = True
        reasons.append(f"score distribution shifted (PSI {score_psi:.2f} >= {PSI_MODERATE})")
    if drop is not None and drop <= -SUCCESS_DROP:
        refresh = True
        reasons.append(f"tier A success rate fell by {-drop * 100:.0f} percentage points")
    moved = sorted(
        (k for k, v in attr_psi.items() if v >= PSI_MODERATE), key=lambda k: -attr_psi[k]
    )
    if moved:
        watch = True
        reasons.append(
            "attributes shifted: " + ", ".join(f"{k} (PSI {attr_psi[k]:.2f})" for k in moved)
        )
    if refresh:
        return "refresh the ICP", reasons
    if watch:
        return "watch", reasons
    return "stable", reasons or ["score, attributes and tier mix are stable (PSI < 0.10)"]


def won_flags(frame: pd.DataFrame, profile: Profile | None = None) -> pd.Series | None:
    """Won (True/False) per row from the success target, a won/IsWon/is_customer flag or a
    stage containing "won"; None when the table has none of them."""
    target = profile.success.target if profile and profile.success else None
    positive = profile.success.positive if profile and profile.success else None
    for col in (target, "won", "IsWon", "is_won", "is_customer"):
        if col and col in frame.columns:
            return success_flags(frame[col], positive if col == target else None).fillna(False)
    if "stage" in frame.columns:
        stage = frame["stage"].astype("string").str.lower()
        return (stage.str.contains("won") & ~stage.str.contains("lost")).fillna(False)
    return None
