"""Supervised binning: cut each attribute into a few bins whose success rates differ.

Method (see docs/discover.md for the why):

1. *Pre-bins.* Numbers are cut at up to ``max_prebins`` quantiles; labels keep each frequent
   category as its own pre-bin (rare ones are pooled as "other", missing values get their own bin).
2. *Optimal merge.* An exact dynamic programme groups adjacent pre-bins into at most ``max_bins``
   bins, each holding at least ``min_bin_size`` rows, maximising the binomial log-likelihood minus
   a penalty per bin (BIC-like, ``penalty * log(n) / 2``). Pure noise therefore ends in one bin and
   carries no information. Categories are ordered by their (shrunk) success rate first.
3. *Monotone where it should be.* For numbers, the same programme runs on the pool-adjacent-violators
   fit (increasing and decreasing); the monotone binning wins unless the free one is better by more
   than one bin's penalty. U-shapes (a sweet spot of company size) survive.
4. *Shrinkage.* Weight of evidence uses an m-estimate toward the overall rate, so a tiny bin gets a
   weight near zero instead of an extreme one.

Row → bin codes follow the scoring semantics of :mod:`icpkit.profile` exactly: numeric bins are
``lower <= x < upper``; a categorical value is matched as text; missing is null, NaN or ''.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ConfigError

__all__ = [
    "Bin",
    "BinnedAttribute",
    "Binner",
    "column_kind",
    "column_text",
    "column_values",
    "encode_text",
    "flag_bin",
    "nice_cuts",
    "ordinal_rank",
    "shrunk_woe",
]

Kind = Literal["numeric", "categorical"]


# ---------------------------------------------------------------------------------------------
# Reading a column the way the scorer reads it


def column_text(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Column as an object array of text; None for null or ''. Booleans become 'true'/'false'."""
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = pc.cast(col, pa.string())
    col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
    return np.asarray(col.to_pandas(), dtype=object)


def encode_text(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[str]]:
    """Dictionary codes of a column read as text (-1 for null or ''), and the distinct values.

    Arrow's dictionary encoding does the hashing in C; everything downstream works on the
    small integer codes instead of Python strings.
    """
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = pc.cast(col, pa.string())
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    enc = pc.dictionary_encode(arr)
    values = [str(v) for v in enc.dictionary.to_pylist()]
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    if "" in values:
        codes[codes == values.index("")] = -1
    return codes, values


def column_values(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Column as float64 with NaN for missing; text that is not a number is missing."""
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return np.asarray(pd.to_numeric(col.to_pandas(), errors="coerce"), dtype=np.float64)
    if pa.types.is_boolean(col.type):
        col = pc.cast(col, pa.int8())
    if pa.types.is_dictionary(col.type):
        return column_values(pc.cast(col, pa.string()))
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)


def column_kind(col: pa.ChunkedArray | pa.Array) -> Kind | None:
    """'numeric', 'categorical', or None when the column cannot be an attribute (dates, lists)."""
    t = col.type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_boolean(t):
        return "categorical"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        sample = col.slice(0, 20000) if len(col) > 20000 else col
        text = pc.drop_null(pc.utf8_trim_whitespace(pc.cast(sample, pa.string())))
        text = pc.filter(text, pc.not_equal(text, ""))
        if len(text) == 0:
            return "categorical"
        parsed = pd.to_numeric(text.to_pandas(), errors="coerce")
        return "numeric" if parsed.notna().mean() >= 0.98 else "categorical"
    if pa.types.is_null(t):
        return "categorical"
    return None


# Labels with a natural order (funding stages): a bin's rank is the mean rank of its values.
_STAGES = ("pre-seed", "angel", "seed", "series a", "series b", "series c", "series d", "series d+")
_STAGE_RANK = {v: i for i, v in enumerate(_STAGES)} | {"series e": 8, "series f": 9}


def ordinal_rank(column: str, values: tuple[str, ...] | list[str]) -> float | None:
    """Mean position of ``values`` in the column's natural order, or None if it has none."""
    if "funding" not in column.lower() or not values:
        return None
    ranks = [_STAGE_RANK.get(str(v).strip().lower()) for v in values]
    if any(r is None for r in ranks):
        return None
    return float(np.mean([r for r in ranks if r is not None]))


# ---------------------------------------------------------------------------------------------
# Statistics helpers


def shrunk_woe(events: np.ndarray, counts: np.ndarray, base: float, m: float) -> np.ndarray:
    """Weight of evidence of each group with an m-estimate toward the base rate."""
    events = np.asarray(events, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    rate = (events + m * base) / (counts + m)
    rate = np.clip(rate, 1e-6, 1 - 1e-6)
    return np.log(rate / (1 - rate)) - math.log(base / (1 - base))


def _ll(events: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Maximised binomial log-likelihood of groups (0 for pure groups)."""
    e = np.asarray(events, dtype=np.float64)
    n = np.asarray(counts, dtype=np.float64)
    out = np.zeros_like(n)
    ok = (e > 0) & (e < n)
    p = np.where(ok, e / np.where(n > 0, n, 1), 0.5)
    out[ok] = e[ok] * np.log(p[ok]) + (n[ok] - e[ok]) * np.log(1 - p[ok])
    return out


def _pav(events: np.ndarray, counts: np.ndarray, increasing: bool) -> list[tuple[int, int]]:
    """Pool adjacent violators: blocks (start, stop) of pre-bins whose pooled rates are monotone."""
    blocks: list[list[float]] = []  # [start, stop, events, counts]
    for i, (e, n) in enumerate(zip(events, counts, strict=True)):
        blocks.append([i, i + 1, float(e), float(n)])
        while len(blocks) > 1:
            a, b = blocks[-2], blocks[-1]
            ra, rb = a[2] / max(a[3], 1e-9), b[2] / max(b[3], 1e-9)
            if (ra > rb) if increasing else (ra < rb):
                blocks[-2:] = [[a[0], b[1], a[2] + b[2], a[3] + b[3]]]
            else:
                break
    return [(int(b[0]), int(b[1])) for b in blocks]


def _optimal_partition(
    events: np.ndarray, counts: np.ndarray, max_bins: int, min_size: float, penalty: float
) -> tuple[list[int], float]:
    """Exact DP: cut points (indices into the pre-bins) and the penalised objective."""
    k = len(counts)
    ce = np.concatenate([[0.0], np.cumsum(events)])
    cn = np.concatenate([[0.0], np.cumsum(counts)])
    i_idx, j_idx = np.triu_indices(k + 1, 1)
    seg_e = ce[j_idx] - ce[i_idx]
    seg_n = cn[j_idx] - cn[i_idx]
    gain = np.full((k + 1, k + 1), -np.inf)
    valid = seg_n >= min_size
    gain[i_idx[valid], j_idx[valid]] = _ll(seg_e[valid], seg_n[valid])
    best = np.full((max_bins + 1, k + 1), -np.inf)
    back = np.zeros((max_bins + 1, k + 1), dtype=np.int64)
    best[0, 0] = 0.0
    for g in range(1, max_bins + 1):
        for j in range(1, k + 1):
            cand = best[g - 1, :j] + gain[:j, j]
            i = int(np.argmax(cand))
            best[g, j], back[g, j] = cand[i], i
    scores = best[1:, k] - penalty * np.arange(1, max_bins + 1)
    if not np.isfinite(scores).any():  # too few rows to cut at all
        return [], float(_ll(ce[-1:], cn[-1:])[0]) - penalty
    g = int(np.argmax(scores)) + 1
    cuts: list[int] = []
    j = k
    for gg in range(g, 0, -1):
        i = int(back[gg, j])
        if i > 0:
            cuts.append(i)
        j = i
    return sorted(cuts), float(scores[g - 1])


# ---------------------------------------------------------------------------------------------
# The learned bins of one attribute


@dataclass
class Bin:
    """One bin: a numeric range or a set of category values."""

    lower: float | None = None
    upper: float | None = None
    values: tuple[str, ...] = ()
    count: int = 0
    events: int = 0
    woe: float = 0.0

    @property
    def rate(self) -> float:
        return self.events / self.count if self.count else float("nan")


@dataclass
class BinnedAttribute:
    """The bins learned for one column, with training statistics.

    Codes: ``0..len(bins)-1`` for the bins, ``len(bins)`` for missing, ``len(bins)+1`` for other
    (a category not listed in any bin).
    """

    name: str
    kind: Kind
    bins: list[Bin]
    missing: Bin = field(default_factory=Bin)
    other: Bin = field(default_factory=Bin)
    monotone: str | None = None
    iv: float = 0.0
    prebin_pvalue: float = 1.0
    flag: bool = False  # a number column holding only 0 and 1: a yes/no trait

    @property
    def n_codes(self) -> int:
        return len(self.bins) + 2

    @property
    def missing_code(self) -> int:
        return len(self.bins)

    @property
    def other_code(self) -> int:
        return len(self.bins) + 1

    @property
    def informative(self) -> bool:
        """More than one populated group (a single bin plus nothing else says nothing)."""
        groups = len(self.bins) + (self.missing.count > 0) + (self.other.count > 0)
        return groups > 1

    def all_bins(self) -> list[Bin]:
        return [*self.bins, self.missing, self.other]

    def codes(self, col: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """Bin code of every row, with the scorer's semantics."""
        if self.kind == "numeric":
            x = column_values(col)
            edges = np.array([b.lower for b in self.bins[1:]], dtype=np.float64)
            idx = np.searchsorted(edges, x, side="right").astype(np.int32)
            idx[np.isnan(x)] = self.missing_code
            return idx
        codes, values = encode_text(col)
        lookup = {v: i for i, b in enumerate(self.bins) for v in b.values}
        lut = np.array([lookup.get(v, self.other_code) for v in values] + [self.missing_code])
        return lut[codes].astype(np.int32)  # code -1 (missing) picks the last entry

    def bin_label(self, code: int) -> str:
        if code == self.missing_code:
            return "missing"
        if code == self.other_code:
            return "other values"
        b = self.bins[code]
        if self.kind == "categorical":
            shown = ", ".join(b.values[:4])
            return shown + (f" (+{len(b.values) - 4} more)" if len(b.values) > 4 else "")
        if self.flag and (answer := flag_bin(b.lower, b.upper)) is not None:
            return answer
        return range_label(b.lower, b.upper, year="year" in self.name.lower())


def flag_bin(lower: float | None, upper: float | None) -> str | None:
    """'no' / 'yes' for a bin of a 0/1 column that holds only 0 / only 1 (None otherwise)."""
    if lower is None and upper is not None and 0 < upper <= 1:
        return "no"
    if upper is None and lower is not None and 0 < lower <= 1:
        return "yes"
    return None


def fmt_number(x: float, *, year: bool = False) -> str:
    """Short human form of a bin edge: 1200 -> '1,200', 0.5 -> '0.5'; years stay '2016'."""
    if float(x).is_integer():
        return f"{int(x)}" if year else f"{int(x):,}"
    return f"{x:,.4g}" if abs(x) >= 1 else f"{x:.3g}"


def range_label(lower: float | None, upper: float | None, *, year: bool = False) -> str:
    if lower is None and upper is None:
        return "any"
    if lower is None:
        return f"< {fmt_number(upper, year=year)}"  # type: ignore[arg-type]
    if upper is None:
        return f">= {fmt_number(lower, year=year)}"
    return f"{fmt_number(lower, year=year)} to < {fmt_number(upper, year=year)}"


# ---------------------------------------------------------------------------------------------
# The estimator


class Binner:
    """Learn bins for many columns at once (scikit-learn style: ``fit`` then ``transform``).

    Parameters
    ----------
    max_bins: most bins per attribute (missing and other come on top).
    max_prebins: quantile pre-bins per number before the optimal merge.
    min_bin_frac, min_bin_count: a bin holds at least max(min_bin_count, min_bin_frac * rows).
    penalty: strength of the per-bin penalty; 1.0 is BIC. Lower finds more bins on big data.
    prior_strength: the m of the m-estimate used for the weight of evidence.
    min_category_count: categories seen fewer times are pooled as "other".
    max_categories: at most this many categories are kept, the most frequent ones.
    """

    def __init__(
        self,
        *,
        max_bins: int = 8,
        max_prebins: int = 24,
        min_bin_frac: float = 0.02,
        min_bin_count: int = 20,
        penalty: float = 1.0,
        prior_strength: float = 20.0,
        min_category_count: int = 10,
        max_categories: int = 60,
    ) -> None:
        self.max_bins = max_bins
        self.max_prebins = max_prebins
        self.min_bin_frac = min_bin_frac
        self.min_bin_count = min_bin_count
        self.penalty = penalty
        self.prior_strength = prior_strength
        self.min_category_count = min_category_count
        self.max_categories = max_categories

    def _check_params(self) -> None:
        for name in ("max_bins", "max_prebins", "min_bin_count", "min_category_count"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ConfigError(
                    f"The {name!r} parameter of Binner must be an int >= 1. Got {v!r} instead."
                )
        for name in ("min_bin_frac", "penalty", "prior_strength"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or v < 0:
                raise ConfigError(
                    f"The {name!r} parameter of Binner must be a number >= 0. Got {v!r} instead."
                )

    def fit(
        self, table: pa.Table, y: np.ndarray, columns: list[str], kinds: dict[str, Kind]
    ) -> Binner:
        """Learn bins of ``columns`` of ``table`` against the 0/1 label ``y``."""
        self._check_params()
        y = np.asarray(y, dtype=np.float64)
        n = len(y)
        self.base_rate_ = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
        self.min_size_ = max(float(self.min_bin_count), self.min_bin_frac * n)
        self.lambda_ = self.penalty * 0.5 * math.log(max(n, 2))
        self.attributes_: dict[str, BinnedAttribute] = {}
        self.train_codes_: dict[str, np.ndarray] = {}
        for name in columns:
            col = table.column(name)
            try:
                if kinds[name] == "numeric":
                    attr = self._fit_numeric(name, column_values(col), y)
                else:
                    attr = self._fit_categorical(name, col, y)
                codes = attr.codes(col)
            except Exception as exc:
                exc.add_note(f"while binning column {name!r}")
                raise
            self._finish(attr, codes, y)
            self.attributes_[name] = attr
            self.train_codes_[name] = codes
        return self

    def transform(self, table: pa.Table) -> dict[str, np.ndarray]:
        """Bin codes of every fitted column."""
        return {name: a.codes(table.column(name)) for name, a in self.attributes_.items()}

    # -- numbers ------------------------------------------------------------------------------

    def _fit_numeric(self, name: str, x: np.ndarray, y: np.ndarray) -> BinnedAttribute:
        present = ~np.isnan(x)
        xs, ys = x[present], y[present]
        if len(xs) == 0:
            return BinnedAttribute(name, "numeric", [Bin(count=0)])
        qs = np.quantile(xs, np.linspace(0, 1, self.max_prebins + 1)[1:-1], method="lower")
        edges = np.unique(qs)
        edges = edges[edges > xs.min()]  # a first edge at the minimum makes an empty bin
        codes = np.searchsorted(edges, xs, side="right")
        k = len(edges) + 1
        counts = np.bincount(codes, minlength=k).astype(np.float64)
        events = np.bincount(codes, weights=ys, minlength=k)
        keep = counts > 0
        lowers = np.concatenate([[-np.inf], edges])[keep]
        counts, events = counts[keep], events[keep]
        cuts, monotone = self._best_cuts(events, counts, numeric=True)
        bounds = [0, *cuts, len(counts)]
        bins = []
        for a, b in itertools.pairwise(bounds):
            lo = None if a == 0 else float(lowers[a])
            hi = None if b == len(counts) else float(lowers[b])
            bins.append(Bin(lower=lo, upper=hi, count=int(counts[a:b].sum()), events=0))
        _nice_edges(bins, xs)
        attr = BinnedAttribute(name, "numeric", bins, monotone=monotone)
        # 0 and 1 only (and missing): a yes/no trait, its bins read 'yes' / 'no'
        attr.flag = xs.min() == 0 and xs.max() == 1 and bool(np.isin(xs, (0.0, 1.0)).all())
        attr.prebin_pvalue = _chi2_pvalue(events, counts)
        return attr

    def _best_cuts(
        self, events: np.ndarray, counts: np.ndarray, numeric: bool
    ) -> tuple[list[int], str | None]:
        lam, size = self.lambda_, self.min_size_
        cuts, obj = _optimal_partition(events, counts, self.max_bins, size, lam)
        if not numeric or not cuts:
            return cuts, None
        best: tuple[list[int], str | None, float] = (cuts, None, obj - lam)
        for increasing in (True, False):
            blocks = _pav(events, counts, increasing)
            starts = [s for s, _ in blocks]
            be = np.array([events[s:t].sum() for s, t in blocks])
            bn = np.array([counts[s:t].sum() for s, t in blocks])
            bcuts, bobj = _optimal_partition(be, bn, self.max_bins, size, lam)
            if bobj > best[2]:
                best = (
                    [starts[c] for c in bcuts],
                    "increasing" if increasing else "decreasing",
                    bobj,
                )
        return best[0], best[1]

    # -- labels -------------------------------------------------------------------------------

    def _fit_categorical(
        self, name: str, col: pa.ChunkedArray | pa.Array, y: np.ndarray
    ) -> BinnedAttribute:
        codes, all_values = encode_text(col)
        present = codes >= 0
        size = np.bincount(codes[present], minlength=len(all_values)).astype(np.float64)
        succ = np.bincount(codes[present], weights=y[present], minlength=len(all_values))
        by_size = np.argsort(-size, kind="stable")
        top = [i for i in by_size if size[i] >= self.min_category_count][: self.max_categories]
        if not top:
            return BinnedAttribute(name, "categorical", [Bin(values=("(none)",))])
        m = self.prior_strength
        shrunk = (succ[top] + m * self.base_rate_) / (size[top] + m)
        frequent = np.array(top)[np.argsort(shrunk, kind="stable")]
        counts, events = size[frequent], succ[frequent]
        cuts, _ = self._best_cuts(events, counts, numeric=False)
        bounds = [0, *cuts, len(counts)]
        values = [all_values[i] for i in frequent]
        # Within a bin, values are listed best first (by their own success rate): a label
        # that shows three and says "+2 more" must show the strongest ones.
        raw = events / counts
        bins = [
            Bin(
                values=tuple(values[i] for i in sorted(range(a, b), key=lambda i: -raw[i])),
                count=int(counts[a:b].sum()),
            )
            for a, b in itertools.pairwise(bounds)
        ]
        attr = BinnedAttribute(name, "categorical", bins)
        attr.prebin_pvalue = _chi2_pvalue(events, counts)
        return attr

    # -- statistics on the final bins ---------------------------------------------------------

    def _finish(self, attr: BinnedAttribute, codes: np.ndarray, y: np.ndarray) -> None:
        """Fill counts, events, shrunk WoE and IV of every bin (including missing and other)."""
        k = attr.n_codes
        counts = np.bincount(codes, minlength=k).astype(np.float64)
        events = np.bincount(codes, weights=y, minlength=k)
        woe = shrunk_woe(events, counts, self.base_rate_, self.prior_strength)
        for b, c, e, w in zip(attr.all_bins(), counts, events, woe, strict=True):
            b.count, b.events, b.woe = int(c), round(e), float(w) if c else 0.0
        attr.iv = information_value(events, counts)


def nice_cuts(xs: np.ndarray, n: int) -> list[float]:
    """Round cut points near the 1/n .. (n-1)/n quantiles of ``xs`` (distinct, sorted)."""
    values = np.unique(xs)
    qs = np.unique(np.quantile(xs, np.linspace(0, 1, n + 1)[1:-1], method="lower"))
    cuts = []
    for q in qs[qs > values[0]]:
        i = int(np.searchsorted(values, q, side="left"))
        cuts.append(_roundest_between(float(values[i - 1]), float(q)))
    return sorted(set(cuts))


def _nice_edges(bins: list[Bin], xs: np.ndarray) -> None:
    """Move each cut to the roundest number that splits the training values the same way."""
    values = np.unique(xs)
    for left, right in itertools.pairwise(bins):
        edge = right.lower
        assert edge is not None
        i = int(np.searchsorted(values, edge, side="left"))
        below = values[i - 1] if i > 0 else edge - 1.0
        nice = _roundest_between(float(below), float(edge))
        left.upper = right.lower = nice


def _roundest_between(lo: float, hi: float) -> float:
    """The number in (lo, hi] with the fewest significant digits (hi itself if none is rounder)."""
    if hi <= lo:
        return hi
    for digits in range(1, 8):
        scale = 10 ** (math.floor(math.log10(abs(hi))) - digits + 1) if hi else 1.0
        for cand in (math.floor(hi / scale) * scale, math.ceil(lo / scale) * scale):
            if lo < cand <= hi:
                return float(round(cand, 10))
        if scale < 1e-9:
            break
    return hi


def information_value(events: np.ndarray, counts: np.ndarray) -> float:
    """IV of a grouping, with half a count added so empty cells stay finite."""
    events = np.asarray(events, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    used = counts > 0
    e, n = events[used], counts[used]
    pos = (e + 0.5) / (e.sum() + 0.5 * len(e))
    neg = (n - e + 0.5) / ((n - e).sum() + 0.5 * len(e))
    return float(np.sum((pos - neg) * np.log(pos / neg)))


def _chi2_pvalue(events: np.ndarray, counts: np.ndarray) -> float:
    """Chi-square test of equal rates across pre-bins (fixed before looking at the label)."""
    from scipy.stats import chi2

    used = counts > 0
    e, n = events[used], counts[used]
    if len(n) < 2 or e.sum() == 0 or e.sum() == n.sum():
        return 1.0
    p = e.sum() / n.sum()
    stat = float(np.sum((e - n * p) ** 2 / (n * p * (1 - p))))
    return float(chi2.sf(stat, len(n) - 1))
