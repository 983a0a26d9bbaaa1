"""Attribute analysis: how successful customers differ from the rest, attribute by attribute.

For every attribute: information value, coverage, and a significance test of "success rate
differs across groups" on pre-bins fixed before looking at the label (quantiles, or the
categories themselves), corrected for multiple testing with Benjamini-Hochberg. For every group
(a bin of a number, a category of a label, missing): size, coverage, success rate, lift, weight
of evidence, a two-proportion test against the other rows (also corrected), and a ``reliable``
flag that is False for small groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from .binning import BinnedAttribute, encode_text, shrunk_woe

__all__ = ["Analysis", "analyse", "benjamini_hochberg"]

MIN_RELIABLE_ROWS = 30
MIN_RELIABLE_SUCCESSES = 5


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """False-discovery-rate adjusted p-values (q-values)."""
    p = np.asarray(p, dtype=np.float64)
    n = len(p)
    if n == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.clip(q, 0, 1)
    return out


@dataclass
class Analysis:
    """Attribute-level and group-level statistics (plain records, JSON-ready)."""

    base_rate: float
    attributes: list[dict[str, Any]]
    groups: list[dict[str, Any]]

    def attributes_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.attributes)

    def groups_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.groups)

    def to_dict(self) -> dict[str, Any]:
        return {"base_rate": self.base_rate, "attributes": self.attributes, "groups": self.groups}


def _group_rows(
    attr: BinnedAttribute, codes: np.ndarray, y: np.ndarray, col: Any
) -> list[tuple[str, int, int]]:
    """(label, rows, successes) of each group: bins for numbers, categories for labels."""
    out: list[tuple[str, int, int]] = []
    if attr.kind == "categorical" and col is not None:
        vcodes, values = encode_text(col)
        present = vcodes >= 0
        size = np.bincount(vcodes[present], minlength=len(values))
        succ = np.bincount(vcodes[present], weights=y[present], minlength=len(values))
        order = [i for i in np.argsort(-size, kind="stable") if size[i] > 0]
        for i in order[:40]:
            out.append((values[i], int(size[i]), round(succ[i])))
        rest = order[40:]
        if rest:
            out.append(
                (f"{len(rest)} other values", int(size[rest].sum()), round(succ[rest].sum()))
            )
        miss = ~present
        if miss.any():
            out.append(("missing", int(miss.sum()), int(y[miss].sum())))
        return out
    k = attr.n_codes
    counts = np.bincount(codes, minlength=k)
    events = np.bincount(codes, weights=y, minlength=k)
    for i in range(k):
        if counts[i]:
            out.append((attr.bin_label(i), int(counts[i]), round(events[i])))
    return out


def analyse(
    attrs: dict[str, BinnedAttribute],
    codes: dict[str, np.ndarray],
    y: np.ndarray,
    texts: dict[str, Any] | None = None,
    *,
    prior_strength: float = 20.0,
) -> Analysis:
    """Statistics of every binned attribute against the 0/1 outcome ``y``.

    ``texts`` optionally maps categorical attribute names to their column (pyarrow) so groups are
    single categories rather than the model's merged bins.
    """
    y = np.asarray(y, dtype=np.float64)
    n, total = len(y), y.sum()
    base = float(total / n) if n else float("nan")
    attributes: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    for name, attr in attrs.items():
        rows = _group_rows(attr, codes[name], y, (texts or {}).get(name))
        cnt = np.array([r[1] for r in rows], dtype=np.float64)
        ev = np.array([r[2] for r in rows], dtype=np.float64)
        woe = shrunk_woe(ev, cnt, max(min(base, 1 - 1e-6), 1e-6), prior_strength)
        rest_n, rest_e = n - cnt, total - ev
        pooled = np.clip((ev + rest_e) / n, 1e-9, 1 - 1e-9)
        se = np.sqrt(pooled * (1 - pooled) * (1 / np.maximum(cnt, 1) + 1 / np.maximum(rest_n, 1)))
        z = (ev / np.maximum(cnt, 1) - rest_e / np.maximum(rest_n, 1)) / np.where(se > 0, se, 1)
        pvals = 2 * norm.sf(np.abs(z))
        for (label, c, e), w, p in zip(rows, woe, pvals, strict=True):
            rate = e / c if c else float("nan")
            groups.append(
                {
                    "attribute": name,
                    "group": label,
                    "rows": c,
                    "coverage": round(c / n, 4),
                    "successes": e,
                    "success_rate": round(rate, 4),
                    "lift": round(rate / base, 3) if base else None,
                    "woe": round(float(w), 4),
                    "p_value": float(p),
                    "reliable": c >= MIN_RELIABLE_ROWS and min(e, c - e) >= MIN_RELIABLE_SUCCESSES,
                }
            )
        present = attr.missing.count
        best = max(rows, key=lambda r: r[2] / r[1] if r[1] >= MIN_RELIABLE_ROWS else -1)
        attributes.append(
            {
                "attribute": name,
                "kind": attr.kind,
                "information_value": round(attr.iv, 4),
                "coverage": round(1 - present / n, 4) if n else 0.0,
                "bins": len(attr.bins),
                "monotone": attr.monotone,
                "p_value": attr.prebin_pvalue,
                "best_group": best[0],
                "best_lift": round(best[2] / best[1] / base, 3) if best[1] and base else None,
            }
        )
    q_groups = benjamini_hochberg(np.array([g["p_value"] for g in groups]))
    for g, q in zip(groups, q_groups, strict=True):
        g["q_value"] = float(q)
        g["significant"] = bool(q < 0.05)
    q_attrs = benjamini_hochberg(np.array([a["p_value"] for a in attributes]))
    for a, q in zip(attributes, q_attrs, strict=True):
        a["q_value"] = float(q)
        a["significant"] = bool(q < 0.05)
    attributes.sort(key=lambda a: -float(a["information_value"]))
    return Analysis(base, attributes, groups)
