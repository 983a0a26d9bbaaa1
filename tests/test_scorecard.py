"""Scorecard: integer points, monotone where binned monotone, segment points for conjunctions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icpkit.binning import Binner
from icpkit.scorecard import Scorecard, profile_attributes


def _fit(seed: int = 0) -> tuple[Binner, Scorecard, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    n = 5000
    x = rng.normal(size=n)
    a = rng.random(n) < 0.3
    b = rng.random(n) < 0.3
    noise = rng.normal(size=n)
    logit = -1.5 + 1.0 * x + 2.0 * (a & b)
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    table = pa.table({"x": x, "a": a, "b": b, "noise": noise})
    kinds = {"x": "numeric", "a": "categorical", "b": "categorical", "noise": "numeric"}
    binner = Binner().fit(table, y, list(kinds), kinds)  # type: ignore[arg-type]
    rules = [a & b]
    card = Scorecard(C=1.0).fit(binner.attributes_, binner.train_codes_, rules, y)
    return binner, card, y, rules


def test_points_are_integers_monotone_and_scaled() -> None:
    binner, card, _, rules = _fit()
    pts = card.points(binner.train_codes_, rules)
    x_pts = pts.attributes["x"][: len(binner.attributes_["x"].bins)]
    assert x_pts.dtype.kind == "i"
    assert list(x_pts) == sorted(x_pts)  # increasing trend: points never zig-zag
    assert x_pts[-1] - x_pts[0] > 10
    total = pts.intercept + sum(p[binner.train_codes_[k]] for k, p in pts.attributes.items())
    total = total + pts.rules[0] * rules[0]
    assert np.quantile(total, 0.01) >= -5
    assert np.quantile(total, 0.99) <= 105


def test_conjunction_gets_its_own_points_and_noise_none() -> None:
    binner, card, _, rules = _fit()
    pts = card.points(binner.train_codes_, rules)
    assert pts.rules[0] > 10  # the AND carries signal the additive part cannot
    assert not np.any(pts.attributes["noise"])
    attrs = profile_attributes(binner.attributes_, pts.attributes)
    assert "noise" not in {a.name for a in attrs}
    assert {"x"} <= {a.name for a in attrs}


def test_auto_penalty_picks_from_the_grid() -> None:
    rng = np.random.default_rng(1)
    n = 600
    x = rng.normal(size=n)
    y = rng.random(n) < 1 / (1 + np.exp(-x))
    table = pa.table({"x": x})
    binner = Binner().fit(table, y, ["x"], {"x": "numeric"})
    card = Scorecard().fit(binner.attributes_, binner.train_codes_, [], y)
    assert card.C_ in {0.05, 0.3, 2.0}
    logit = card.decision_function(binner.train_codes_, [])
    assert np.corrcoef(logit, x)[0, 1] > 0.8
