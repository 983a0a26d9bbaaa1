"""Backtest metrics: how well a profile's scores separate successes on a table with outcomes.

Everything is a plain dict (JSON-ready): AUC, lift by decile, the tier table (share of rows, share
of successes, success rate per tier), calibration (success rate per score band) and a reliability
verdict that says plainly when the data is too small to trust.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from .gaps import score_gaps
from .insample import overlap
from .phrases import counted
from .profile import Profile, Tiers
from .scoring import score_table, to_arrow
from .success import success_label

__all__ = [
    "IN_SAMPLE_SHARE",
    "MIN_SUCCESSES",
    "auc",
    "evaluate",
    "evaluate_scores",
    "evidence",
    "in_sample_verdict",
    "reliability",
]

MIN_SUCCESSES = 100  # below this, metrics are too noisy to trust


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (ties count half); NaN when only one class is present."""
    from scipy.stats import rankdata

    y = np.asarray(y, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def reliability(n_rows: int, n_success: int, auc_value: float) -> dict[str, Any]:
    """A verdict in words, with the reason."""
    n_fail = n_rows - n_success
    smaller = min(n_success, n_fail)
    if smaller < MIN_SUCCESSES:
        verdict, why = (
            "too small to trust",
            f"only {counted(smaller, 'success' if n_success <= n_fail else 'failure')} "
            f"(fewer than {MIN_SUCCESSES}); treat the profile as a hypothesis",
        )
    elif smaller < 3 * MIN_SUCCESSES:
        verdict, why = "indicative", f"{smaller:,} of the rarer outcome; expect the numbers to move"
    else:
        verdict, why = "reliable", f"{n_success:,} successes and {n_fail:,} failures"
    if verdict != "too small to trust" and np.isfinite(auc_value) and auc_value < 0.6:
        verdict, why = (
            "weak signal",
            f"AUC {auc_value:.2f}: the attributes barely separate outcomes",
        )
    return {"verdict": verdict, "reason": why}


def evidence(
    n_rows: int, n_success: int, held_out_auc: float | None, significant: bool = True
) -> dict[str, Any]:
    """Is there enough evidence for a profile? ``sufficient`` False lists why, in words.

    Reports and the CLI lead with these reasons and give no advice the data cannot back.
    """
    reasons = []
    if not significant:
        reasons.append(
            "no attribute separates successes from the rest beyond chance (none passes the "
            "significance test)"
        )
    n_fail = n_rows - n_success
    smaller = min(n_success, n_fail)
    if smaller < MIN_SUCCESSES:
        which = "success" if n_success <= n_fail else "failure"
        reasons.append(
            f"only {counted(smaller, which)} in {n_rows:,} rows: too few to learn a profile to "
            "rely on "
            f"(at least {MIN_SUCCESSES} are needed)"
        )
    if held_out_auc is not None and np.isfinite(held_out_auc) and held_out_auc < 0.6:
        reasons.append(
            f"on rows it did not learn from the score barely beats chance (AUC {held_out_auc:.2f})"
        )
    return {"sufficient": not reasons, "reasons": reasons}


def _lift_by_decile(y: np.ndarray, score: np.ndarray) -> list[dict[str, Any]]:
    order = np.lexsort((np.arange(len(score)), -score))  # best first, stable
    ys = y[order]
    base = y.mean()
    total = max(int(y.sum()), 1)
    out, cum = [], 0
    for d, idx in enumerate(np.array_split(np.arange(len(ys)), 10), start=1):
        if len(idx) == 0:
            continue
        s = int(ys[idx].sum())
        cum += s
        rate = s / len(idx)
        out.append(
            {
                "decile": d,
                "rows": len(idx),
                "successes": s,
                "success_rate": round(rate, 4),
                "lift": round(rate / base, 3) if base else None,
                "cumulative_share_of_successes": round(cum / total, 4),
                "min_score": float(score[order][idx].min()),
            }
        )
    return out


def _tier_table(y: np.ndarray, tiers: np.ndarray) -> list[dict[str, Any]]:
    n, total = len(y), max(int(y.sum()), 1)
    base = y.mean() if n else 0.0
    out = []
    for t in "ABCD":
        m = tiers == t
        rows, s = int(m.sum()), int(y[m].sum())
        rate = s / rows if rows else None
        out.append(
            {
                "tier": t,
                "rows": rows,
                "share_of_rows": round(rows / n, 4) if n else 0.0,
                "successes": s,
                "share_of_successes": round(s / total, 4),
                "success_rate": None if rate is None else round(rate, 4),
                "lift": None if rate is None or not base else round(rate / base, 3),
            }
        )
    return out


def _calibration(y: np.ndarray, score: np.ndarray, width: int = 10) -> list[dict[str, Any]]:
    out = []
    for lo in range(0, 100, width):
        hi = lo + width
        m = (score >= lo) & ((score < hi) if hi < 100 else (score <= 100))
        if m.any():
            out.append(
                {
                    "band": f"{lo}-{hi if hi < 100 else 100}",
                    "rows": int(m.sum()),
                    "success_rate": round(float(y[m].mean()), 4),
                }
            )
    return out


def evaluate_scores(
    y: np.ndarray, score: np.ndarray, tiers: np.ndarray | None = None, cutoffs: Tiers | None = None
) -> dict[str, Any]:
    """Metrics of 0–100 scores (and tiers) against 0/1 outcomes."""
    y = np.asarray(y, dtype=bool)
    score = np.asarray(score, dtype=np.float64)
    if tiers is None:
        t = cutoffs or Tiers()
        tiers = np.select([score >= t.A, score >= t.B, score >= t.C], ["A", "B", "C"], "D")
    tiers = np.asarray(tiers, dtype=object)
    a = auc(y, score)
    table = _tier_table(y, tiers)
    ab = [r for r in table if r["tier"] in ("A", "B")]
    return {
        "rows": len(y),
        "successes": int(y.sum()),
        "base_rate": round(float(y.mean()), 4) if len(y) else None,
        "auc": round(a, 4) if np.isfinite(a) else None,
        "ab_share_of_rows": round(sum(r["share_of_rows"] for r in ab), 4),
        "ab_share_of_successes": round(sum(r["share_of_successes"] for r in ab), 4),
        "tiers": table,
        "lift_by_decile": _lift_by_decile(y, score),
        "calibration": _calibration(y, score),
        "reliability": reliability(len(y), int(y.sum()), a),
    }


def evaluate(
    profile: Profile,
    data: Any,
    target: str | None = None,
    *,
    positive: str | list[str] | None = None,
    expression: str | None = None,
    unit: str = "rows",
    open_as_failure: bool | None = None,
) -> dict[str, Any]:
    """Backtest a profile (learned or hand-written) on a table that has outcomes.

    Without ``target``/``expression`` the profile's own success definition is used; ``unit``
    names a row ('opportunities') in the notes on rows left out. Rows still open count as
    failures when ``open_as_failure``, by default when the profile was learned that way.
    """
    table = to_arrow(data)
    if target is None and expression is None and profile.success is not None:
        target, expression = profile.success.target, profile.success.expression
        positive = positive if positive is not None else profile.success.positive
    why = None
    if open_as_failure is None:
        open_as_failure = bool(profile.success and profile.success.open_as_failure)
        why = "as the profile was learned (--open-as-failure)"
    label = success_label(
        table,
        target,
        positive=positive,
        expression=expression,
        unit=unit,
        open_as_failure=open_as_failure,
        open_why=why,
    )
    given = table
    table, gaps = score_gaps(profile, table)  # a column the table lacks scores as missing
    scored = score_table(profile, table)
    keep = label.defined
    score = scored.column("icp_score").to_numpy()[keep]
    tiers = np.asarray(scored.column("icp_tier").to_pylist(), dtype=object)[keep]
    out = evaluate_scores(label.y[keep], score, tiers)
    out["notes"] = label.notes
    out.update(_evidence(profile, table, label.y, keep))
    # measured on the rows tested: open deals left out are no part of the figures
    seen = overlap(
        (profile.fingerprint or {}).get("row_sketch"),
        given if keep.all() else given.filter(pa.array(keep)),
    )
    out["in_sample"] = seen
    out["missing_columns"] = gaps  # as market_size names them
    if seen is not None and seen["share"] >= IN_SAMPLE_SHARE:
        out["reliability"] = in_sample_verdict(seen["share"], profile)
    return out


def _evidence(profile: Profile, table: Any, y: np.ndarray, keep: np.ndarray) -> dict[str, Any]:
    """Segments' and the headline group's figures on these rows, and points contradictions."""
    import pyarrow as pa

    from .contradictions import contradictions
    from .evidence import group_figures, headline_conditions, segment_figures

    rows = table.filter(pa.array(keep)) if not keep.all() else table
    ys = y[keep]
    conds, _segment = headline_conditions(profile)
    head = (profile.metrics or {}).get("silhouette")
    prior = 0.0
    if isinstance(head, dict) and head.get("conditions"):
        from .profile import Condition

        conds = [Condition.model_validate(c) for c in head["conditions"]]
        # A headline quoted with a shrunk rate is re-measured the same way, so it reproduces.
        prior = float(head.get("prior_rows") or 0.0)
    return {
        "headline": group_figures(conds, rows, ys, prior=prior) if conds else None,
        "segments": segment_figures(profile, rows, ys),
        "contradictions": contradictions(profile),
    }


IN_SAMPLE_SHARE = 0.05  # from this share of training rows on, the figures flatter the profile


def in_sample_verdict(share: float, profile: Profile) -> dict[str, Any]:
    """Replaces the reliability grade: figures on training rows are not a test."""
    held = ((profile.metrics or {}).get("held_out") or {}).get("auc")
    honest = f"; its held-out AUC, measured when it was learned, is {held:.3f}" if held else ""
    if share >= 0.9:
        verdict = "in-sample"
        why = f"these rows are the ones the profile was learned from ({share:.0%} matched)"
    else:
        verdict = "partly in-sample"
        why = f"about {share:.0%} of these rows are ones the profile was learned from"
    return {
        "verdict": verdict,
        "reason": f"{why}: the figures flatter it and are no test{honest}",
    }
