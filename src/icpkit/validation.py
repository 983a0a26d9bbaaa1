"""Validation: the hold-out split (by time when a creation date exists, else stratified), or
cross-validation on small data, and the held-out metrics of a fit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import ConfigError
from .evaluate import evaluate_scores
from .fitting import Params, fit_profile
from .phrases import counted
from .scoring import score_table
from .screening import Screen

__all__ = ["MIN_TO_LEARN", "auto_time_column", "enough_of_each", "held_out", "split", "uses_cv"]

_TIME_NAME = re.compile(r"creat|signup|sign_up|start|engage|since|open|date", re.IGNORECASE)
# Cross-validation trains each fold without the rows it tests: with one success, one fold
# would learn from failures alone.
MIN_TO_LEARN = 2


def split(
    table: pa.Table, y: np.ndarray, time_column: str | None, test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray, str]:
    n = len(y)
    if time_column is not None:
        ts = pd.to_datetime(table.column(time_column).to_pandas(), errors="coerce", format="mixed")
        order = np.argsort(ts.to_numpy(dtype="datetime64[ns]"), kind="stable")
        cut = round(n * (1 - test_size))
        train, test = np.sort(order[:cut]), np.sort(order[cut:])
        when = ts.iloc[order[cut]] if cut < n else None
        return (
            train,
            test,
            f"time-based: trained on rows before {when}, tested on the later {len(test):,} rows",
        )
    rng = np.random.default_rng(seed)
    test_mask = np.zeros(n, dtype=bool)
    for cls in (True, False):
        idx = np.flatnonzero(y == cls)
        test_mask[rng.choice(idx, round(len(idx) * test_size), replace=False)] = True
    return (
        np.flatnonzero(~test_mask),
        np.flatnonzero(test_mask),
        f"random stratified hold-out of {int(test_mask.sum()):,} rows ({test_size:.0%})",
    )


def auto_time_column(table: pa.Table, dates: list[str]) -> str | None:
    """A creation-like date filled on (nearly) every row, else None (then: a random split)."""
    for d in dates:
        after = re.search(r"close|end|churn|won|last|modif|verif|since|customer", d, re.I)
        filled = table.column(d).null_count <= 0.05 * table.num_rows
        if _TIME_NAME.search(d) and not after and filled:
            return d
    return None


def enough_of_each(y: np.ndarray) -> None:
    """Refuse a label with a single success (or failure): no fold could learn and test on it."""
    n_succ = int(y.sum())
    fewer, word = min((n_succ, "success"), (len(y) - n_succ, "failure"))
    if fewer < MIN_TO_LEARN:
        raise ConfigError(
            f"only {counted(fewer, word)} among {len(y):,} rows: a profile needs at least "
            f"{MIN_TO_LEARN} successes and {MIN_TO_LEARN} failures to learn from and test on",
            hint="Check the outcome column and --positive, or export more rows",
        )


def uses_cv(n: int, time_column: str | None) -> bool:
    """Small data without a time order is validated by cross-validation, not a hold-out."""
    return time_column is None and n < 3000


def held_out(
    table: pa.Table,
    y: np.ndarray,
    screen: Screen,
    p: Params,
    time_column: str | None,
    test_size: float,
    seed: int,
    keep: Sequence[str],
) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """Scores on rows the model did not fit on: CV on small data, else a (time) hold-out."""
    n = len(y)
    if uses_cv(n, time_column):
        rng = np.random.default_rng(seed)
        folds = np.empty(n, dtype=np.int64)
        for cls in (True, False):
            idx = rng.permutation(np.flatnonzero(y == cls))
            folds[idx] = np.arange(len(idx)) % 5
        scores = np.zeros(n)
        tiers = np.empty(n, dtype=object)
        leaks: list[dict[str, Any]] = []
        for f in range(5):
            tr, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
            fit = fit_profile(table.take(tr), y[tr], screen.columns, screen.kinds, p, keep=keep)
            leaks = leaks or fit.leaks
            scored = score_table(fit.profile, table.take(te))
            scores[te] = scored.column("icp_score").to_numpy()
            tiers[te] = scored.column("icp_tier").to_pylist()
        return evaluate_scores(y, scores, tiers), leaks, "5-fold cross-validation (small data)"
    train, test, how = split(table, y, time_column, test_size, seed)
    if y[train].all() or not y[train].any():
        missing = "successes" if not y[train].any() else "failures"
        raise ConfigError(
            f"the hold-out trains on the earliest {len(train):,} rows by this date, and they "
            f"have no {missing}: nothing to learn from",
            column=time_column,
            hint="Pick another date column with --date, or check the outcome column",
        )
    fit = fit_profile(table.take(train), y[train], screen.columns, screen.kinds, p, keep=keep)
    scored = score_table(fit.profile, table.take(test))
    tiers = np.asarray(scored.column("icp_tier").to_pylist(), dtype=object)
    metrics = evaluate_scores(y[test], scored.column("icp_score").to_numpy(), tiers)
    return metrics, fit.leaks, how
