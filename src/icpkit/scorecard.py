"""The fit model: an additive points table learned on the bins.

An L2-penalised logistic regression on the one-hot bin indicators of every attribute (a step
-function GAM), plus one indicator per discovered segment, so a conjunction that the additive part
misses gets its own points. Where the binning found a monotone trend, the bin coefficients are
made monotone too (weighted isotonic regression), so "more employees" never zig-zags in points.

Points are the coefficients in score units: each attribute's contributions are centred on their
training-weighted mean (so a positive number reads "better than the average record" in reasons),
the log-odds range of the training records (0.5% to 99.5% quantile) maps to 0..100, and everything
is rounded to integers, as the profile contract requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.isotonic import isotonic_regression
from sklearn.linear_model import LogisticRegression

from .binning import BinnedAttribute, ordinal_rank
from .errors import ConfigError
from .profile import (
    CategoricalAttribute,
    CategoryBin,
    NumericAttribute,
    NumericBin,
    Tiers,
)

__all__ = [
    "Points",
    "Scorecard",
    "anti_icp_caps",
    "clearly_above",
    "consistent_coefficients",
    "design_matrix",
    "profile_attributes",
    "tier_cutoffs",
]


def design_matrix(
    attrs: dict[str, BinnedAttribute], codes: dict[str, np.ndarray], rules: list[np.ndarray]
) -> sp.csr_matrix:
    """One-hot bin indicators of every attribute, then one column per rule."""
    n = len(next(iter(codes.values()))) if codes else len(rules[0])
    rows, cols = [], []
    offset = 0
    for name, attr in attrs.items():
        rows.append(np.arange(n))
        cols.append(offset + codes[name].astype(np.int64))
        offset += attr.n_codes
    for mask in rules:
        idx = np.flatnonzero(mask)
        rows.append(idx)
        cols.append(np.full(len(idx), offset, dtype=np.int64))
        offset += 1
    r = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, offset))


@dataclass
class Points:
    """Integer points of a fitted scorecard (the shipped artefact)."""

    intercept: int
    attributes: dict[str, np.ndarray]  # points per code (bins, missing, other)
    rules: list[int]
    factor: float  # points per unit of log-odds
    offset: float  # log-odds that maps to score 0


class Scorecard:
    """L2 logistic regression on bin indicators, turned into an integer points table.

    Parameters
    ----------
    C: inverse strength of the L2 penalty (as in scikit-learn), or "auto" to choose it by
       3-fold cross-validated log-loss among a few values.
    max_points_per_logit: caps how steep the score is when the data has little signal, so a
       weak model does not look confident.
    """

    def __init__(self, *, C: float | str = "auto", max_points_per_logit: float = 50.0) -> None:
        self.C = C
        self.max_points_per_logit = max_points_per_logit

    def fit(
        self,
        attrs: dict[str, BinnedAttribute],
        codes: dict[str, np.ndarray],
        rules: list[np.ndarray],
        y: np.ndarray,
    ) -> Scorecard:
        if not attrs and not rules:
            raise ConfigError("nothing to fit: no attribute carries information about success")
        self.attrs_ = attrs
        X = design_matrix(attrs, codes, rules)
        y = np.asarray(y, dtype=np.int8)
        if y.all() or not y.any():
            raise ConfigError(
                "the rows to learn from have only one outcome (no successes or no failures)",
                hint="Give rows with both outcomes",
            )
        self.C_ = self._choose_C(X, y) if self.C == "auto" else float(self.C)
        lr = LogisticRegression(C=self.C_, max_iter=1000, tol=1e-5)  # lbfgs: cheap on sparse
        lr.fit(X, y)
        return self._store(lr)

    def extend(
        self, codes: dict[str, np.ndarray], rules: list[np.ndarray], y: np.ndarray
    ) -> Scorecard:
        """Refit with extra rule columns appended, starting from the current solution."""
        X = design_matrix(self.attrs_, codes, rules)
        old = self.lr_.coef_.ravel()
        lr = LogisticRegression(C=self.C_, max_iter=1000, tol=1e-5, warm_start=True)
        lr.coef_ = np.concatenate([old, np.zeros(X.shape[1] - len(old))])[None, :]
        lr.intercept_ = self.lr_.intercept_.copy()
        lr.fit(X, np.asarray(y, dtype=np.int8))
        return self._store(lr)

    def _store(self, lr: LogisticRegression) -> Scorecard:
        self.lr_ = lr
        attrs = self.attrs_
        coef = lr.coef_.ravel()
        self.intercept_ = float(lr.intercept_[0])
        self.coefs_: dict[str, np.ndarray] = {}
        offset = 0
        for name, attr in attrs.items():
            c = coef[offset : offset + attr.n_codes].copy()
            offset += attr.n_codes
            self.coefs_[name] = consistent_coefficients(attr, c)
        self.rule_coefs_ = coef[offset:].copy()
        return self

    def _choose_C(self, X: sp.csr_matrix, y: np.ndarray) -> float:
        """Pick the penalty by 3-fold log-loss; big data barely needs one, so skip the search."""
        if X.shape[0] > 40000:
            return 1.0
        if X.shape[0] > 15000:  # a subsample ranks the penalties just as well
            keep = np.random.default_rng(0).choice(X.shape[0], 15000, replace=False)
            X, y = X[keep], y[keep]
        # Each search fold must train on both outcomes: with fewer than 3 of one, a fold would
        # lack it (scikit-learn refuses to fit one class), and 3 rows rank no penalty anyway.
        grid = [0.05, 0.3, 2.0]
        if min(int(y.sum()), int(len(y) - y.sum())) < 3:
            return grid[1]
        from sklearn.model_selection import StratifiedKFold

        losses = np.zeros(len(grid))
        folds = StratifiedKFold(3, shuffle=True, random_state=0).split(np.zeros(len(y)), y)
        for tr, te in folds:
            for i, c in enumerate(grid):
                m = LogisticRegression(C=c, max_iter=300, tol=1e-4)
                m.fit(X[tr], y[tr])
                p = np.clip(m.predict_proba(X[te])[:, 1], 1e-9, 1 - 1e-9)
                losses[i] -= np.mean(y[te] * np.log(p) + (1 - y[te]) * np.log(1 - p))
        return grid[int(np.argmin(losses))]

    def decision_function(
        self, codes: dict[str, np.ndarray], rules: list[np.ndarray]
    ) -> np.ndarray:
        """Log-odds of success of every row."""
        out = np.full(len(next(iter(codes.values()))) if codes else len(rules[0]), self.intercept_)
        for name, c in self.coefs_.items():
            out += c[codes[name]]
        for coef, mask in zip(self.rule_coefs_, rules, strict=True):
            out += coef * mask
        return out

    def points(
        self, codes: dict[str, np.ndarray], rules: list[np.ndarray], quantiles: float = 0.005
    ) -> Points:
        """Integer points: the training log-odds range (trimmed) maps onto 0..100."""
        logit = self.decision_function(codes, rules)
        lo, hi = np.quantile(logit, [quantiles, 1 - quantiles])
        factor = min(100.0 / max(hi - lo, 1e-9), self.max_points_per_logit)
        if hi - lo < 1e-9:
            lo = float(logit.mean()) - 50.0 / factor
        elif factor == self.max_points_per_logit:  # weak signal: centre the narrow range on 50
            lo = float((lo + hi) / 2) - 50.0 / factor
        base = self.intercept_
        pts: dict[str, np.ndarray] = {}
        for name, c in self.coefs_.items():
            counts = np.bincount(codes[name], minlength=len(c)).astype(np.float64)
            mean = float(np.dot(counts, c) / counts.sum())
            centred = np.where(counts > 0, c - mean, 0.0)
            base += mean
            pts[name] = np.rint(centred * factor).astype(np.int64)
        intercept = round((base - lo) * factor)
        rules_pts = [round(float(c) * factor) for c in self.rule_coefs_]
        return Points(intercept, pts, rules_pts, float(factor), float(lo))


MISSING_PRIOR = 20.0  # rows of evidence at which a missing/other bin keeps half its effect


def clearly_above(events: float, count: float, rate: float, z: float = 1.96) -> bool:
    """True when a group's success rate is above ``rate`` beyond its 95% Wilson interval."""
    if count <= 0:
        return False
    p = events / count
    centre = (p + z * z / (2 * count)) / (1 + z * z / count)
    half = z * np.sqrt(p * (1 - p) / count + z * z / (4 * count * count)) / (1 + z * z / count)
    return bool(centre - half > rate)


def consistent_coefficients(attr: BinnedAttribute, c: np.ndarray) -> np.ndarray:
    """Coefficients whose order follows the groups' success rates, missing/other held in check.

    1. Missing and other (codes k, k+1) are shrunk toward neutral by their evidence,
       ``n / (n + MISSING_PRIOR)``, so a handful of blank rows cannot earn a big effect.
    2. Every populated group (bins, missing, other) is put in order of its training success
       rate and the coefficients are made non-decreasing in that order (isotonic regression
       weighted by rows): a group that succeeds more never gets fewer points. For a monotone
       numeric attribute this is the monotone fit; a U-shape keeps its shape.
    3. Missing and other never sit above the best observed bin unless their own success rate
       is above that bin's beyond the 95% Wilson interval: blanking a field cannot raise a score.
    """
    c = np.asarray(c, dtype=np.float64).copy()
    groups = attr.all_bins()
    k = len(attr.bins)
    counts = np.array([g.count for g in groups], dtype=np.float64)
    events = np.array([g.events for g in groups], dtype=np.float64)
    for code in (k, k + 1):
        c[code] *= counts[code] / (counts[code] + MISSING_PRIOR)
    used = np.flatnonzero(counts > 0)
    if len(used) > 1:
        rates = events[used] / counts[used]
        order = used[np.lexsort((used, rates))]
        c[order] = isotonic_regression(c[order], sample_weight=counts[order], increasing=True)
    observed = [i for i in range(k) if counts[i] > 0]
    if observed:
        top = max(observed, key=lambda i: c[i])
        best_rate = max(events[i] / counts[i] for i in observed)
        for code in (k, k + 1):
            if c[code] > c[top] and not clearly_above(events[code], counts[code], best_rate):
                c[code] = c[top]
    return c


def shape_note(attr: BinnedAttribute) -> str | None:
    """Say so when an ordered attribute is not monotone: the data, not the rule, decided it."""
    rates = [b.rate for b in attr.bins if b.count]
    if len(rates) < 2:
        return None
    if attr.kind == "numeric":
        if attr.monotone or all(np.diff(rates) >= 0) or all(np.diff(rates) <= 0):
            return None
        peak = attr.bin_label(int(np.argmax([b.rate if b.count else -1 for b in attr.bins])))
        return (
            f"not monotone: the success rate peaks at {peak} (a free binning fits the data "
            "clearly better than a monotone one)"
        )
    found = [ordinal_rank(attr.name, b.values) for b in attr.bins if b.count]
    ranks = [r for r in found if r is not None]
    if len(ranks) < len(found):
        return None
    order = np.argsort(ranks, kind="stable")
    ordered = np.array(rates)[order]
    if all(np.diff(ordered) >= 0) or all(np.diff(ordered) <= 0):
        return None
    return "not monotone in its natural order (the data says so; points follow success rates)"


def profile_attributes(
    attrs: dict[str, BinnedAttribute], points: dict[str, np.ndarray], *, keep_zero: bool = False
) -> list[NumericAttribute | CategoricalAttribute]:
    """Profile attributes from bins and points; attributes whose points are all 0 are left out."""
    out: list[NumericAttribute | CategoricalAttribute] = []
    for name, attr in attrs.items():
        p = points[name]
        if not np.any(p) and not keep_zero:
            continue
        k = len(attr.bins)
        common: dict[str, Any] = {
            "name": name,
            "missing_points": int(p[k]),
            "other_points": int(p[k + 1]),
            "information_value": round(attr.iv, 4),
            "note": shape_note(attr),
        }
        for key, group in (("missing", attr.missing), ("other", attr.other)):
            if group.count:
                common[f"{key}_count"] = group.count
                common[f"{key}_success_rate"] = round(group.rate, 4)
        if attr.kind == "numeric":
            nbins = [
                NumericBin(
                    label=attr.bin_label(i),
                    lower=b.lower,
                    upper=b.upper,
                    points=int(p[i]),
                    count=b.count,
                    success_rate=round(b.rate, 4),
                )
                for i, b in enumerate(attr.bins)
            ]
            out.append(NumericAttribute(kind="numeric", bins=nbins, **common))
        else:
            cbins = [
                CategoryBin(
                    label=attr.bin_label(i),
                    values=list(b.values),
                    points=int(p[i]),
                    count=b.count,
                    success_rate=round(b.rate, 4),
                )
                for i, b in enumerate(attr.bins)
            ]
            out.append(CategoricalAttribute(kind="categorical", bins=cbins, **common))
    return out


def tier_cutoffs(
    scores: np.ndarray, shares: tuple[float, float, float] = (0.10, 0.30, 0.60)
) -> Tiers:
    """Lowest scores of A, B and C so that at most the given cumulative shares of rows reach them."""
    s = np.clip(np.asarray(scores, dtype=np.int64), 0, 100)
    counts = np.bincount(s, minlength=101)
    at_or_above = np.cumsum(counts[::-1])[::-1] / max(len(s), 1)  # share with score >= t
    # The cut whose share is closest to the target: ties (many rows on one score) can make an
    # exact share impossible, and "at most" would then collapse a tier to almost nothing.
    # Cut-offs are strictly increasing (C < B < A): with heavy ties the closest share for B may
    # equal C's, and "A >= 2, B >= 2, C >= 2" reads as three tiers where there is one. B and A
    # then move to the next score up, even when that leaves a tier empty (which is the truth).
    c = int(np.argmin(np.abs(at_or_above[1:99] - shares[2]))) + 1
    b = c + 1 + int(np.argmin(np.abs(at_or_above[c + 1 : 100] - shares[1])))
    a = b + 1 + int(np.argmin(np.abs(at_or_above[b + 1 : 101] - shares[0])))
    return Tiers(A=a, B=b, C=c)


def anti_icp_caps(
    masks: list[np.ndarray], score: np.ndarray, y: np.ndarray, tiers: Tiers
) -> list[int]:
    """The cap of each anti-ICP rule: the lowest tier boundary that does not cost ranking.

    A cap overrides the points, so a rule that is right on average can still push down records
    whose other attributes are excellent; capping just below C (into D) is kept only when it does
    not lower the training AUC, else the next boundary up is tried, and 100 (listed, no cap) last.
    """
    from .evaluate import auc

    caps: list[int] = []
    current = auc(y, score)
    for mask in masks:
        chosen = 100
        for cap in sorted({max(tiers.C - 1, 0), max(tiers.B - 1, 0), max(tiers.A - 1, 0)}):
            capped = np.where(mask, np.minimum(score, cap), score)
            trial = auc(y, capped)
            if trial >= current - 5e-4:
                chosen, score, current = cap, capped, max(current, trial)
                break
        caps.append(chosen)
    return caps
