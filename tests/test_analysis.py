"""Attribute analysis: rates, lift, IV, multiple-testing correction, unreliable small groups."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icpkit.analysis import analyse, benjamini_hochberg
from icpkit.binning import Binner


def test_benjamini_hochberg() -> None:
    q = benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5]))
    assert np.allclose(q, [0.04, 0.16 / 3, 0.16 / 3, 0.5])


def test_analysis_flags_signal_noise_and_small_groups() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    ind = rng.choice(np.array(["a", "b", "c"], dtype=object), n)
    ind[:8] = "tiny"
    noise = rng.normal(size=n)
    y = rng.random(n) < np.where(ind == "a", 0.5, 0.2)
    table = pa.table({"ind": ind, "noise": noise})
    kinds = {"ind": "categorical", "noise": "numeric"}
    b = Binner(min_category_count=5).fit(table, y, list(kinds), kinds)  # type: ignore[arg-type]
    res = analyse(b.attributes_, b.train_codes_, y, {"ind": table.column("ind")})
    attrs = {a["attribute"]: a for a in res.attributes}
    assert res.attributes[0]["attribute"] == "ind"
    assert attrs["ind"]["significant"]
    assert not attrs["noise"]["significant"]
    assert attrs["ind"]["best_group"] == "a"
    groups = {g["group"]: g for g in res.groups if g["attribute"] == "ind"}
    assert groups["a"]["lift"] > 1.4
    assert groups["a"]["significant"]
    assert groups["tiny"]["reliable"] is False
    assert abs(sum(g["coverage"] for g in groups.values()) - 1) < 1e-3
    assert res.groups_frame().shape[0] == len(res.groups)
