"""Segments: planted conjunctions are found, distinct, pruned; the anti-ICP too."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icpkit.binning import Binner
from icpkit.segments import SegmentFinder


def test_planted_conjunctions_and_anti_icp() -> None:
    rng = np.random.default_rng(0)
    n = 8000
    ind = rng.choice(["soft", "fin", "edu", "retail", "health"], n, p=[0.2, 0.2, 0.15, 0.25, 0.2])
    emp = np.exp(rng.uniform(1, 10, n))
    crm = rng.random(n) < 0.4
    eu = rng.random(n) < 0.3
    noise = rng.normal(size=n)
    seg1 = (ind == "soft") & (emp >= 200) & (emp < 5000) & crm
    seg2 = (ind == "fin") & eu
    rate = np.where(seg1, 0.7, np.where(seg2, 0.55, np.where(ind == "edu", 0.02, 0.12)))
    y = rng.random(n) < rate
    table = pa.table({"industry": ind, "employees": emp, "crm": crm, "eu": eu, "noise": noise})
    kinds = {
        "industry": "categorical",
        "employees": "numeric",
        "crm": "categorical",
        "eu": "categorical",
        "noise": "numeric",
    }
    b = Binner().fit(table, y, list(kinds), kinds)  # type: ignore[arg-type]
    f = SegmentFinder().fit(b.attributes_, b.train_codes_, y, table)
    found = [{c.attribute: c for c in r.conditions} for r in f.segments_]
    assert any(r.keys() >= {"industry", "crm"} and r["industry"].in_ == ["soft"] for r in found)
    assert any(r.keys() >= {"industry", "eu"} and r["industry"].in_ == ["fin"] for r in found)
    assert all("noise" not in r for r in found)
    assert f.segments_[0].lift > 3
    anti = [{c.attribute: c for c in r.conditions} for r in f.disqualifiers_]
    assert anti
    assert anti[0]["industry"].in_ == ["edu"]
    assert f.disqualifiers_[0].rate < 0.05


def test_interaction_pairs_find_what_an_additive_model_misses() -> None:
    from icpkit.segments import candidate_atoms, interaction_pairs

    rng = np.random.default_rng(3)
    n = 6000
    a = rng.random(n) < 0.5
    b = rng.random(n) < 0.5
    c = rng.normal(size=n)
    # Success only when a AND b: each flag alone looks mildly good, the pair is what matters.
    y = rng.random(n) < np.where(a & b, 0.6, 0.1)
    table = pa.table({"a": a, "b": b, "c": c})
    kinds = {"a": "categorical", "b": "categorical", "c": "numeric"}
    binner = Binner().fit(table, y, list(kinds), kinds)  # type: ignore[arg-type]
    atoms = candidate_atoms(table, binner.attributes_, binner.train_codes_, 100)
    # An additive fit: P(y | a) and P(y | b) combined on the log-odds scale.
    pa_ = np.where(a, y[a].mean(), y[~a].mean())
    pb_ = np.where(b, y[b].mean(), y[~b].mean())
    base = y.mean()
    logit = np.log(pa_ / (1 - pa_)) + np.log(pb_ / (1 - pb_)) - np.log(base / (1 - base))
    prob = 1 / (1 + np.exp(-logit))
    pairs = interaction_pairs(atoms, y.astype(float), prob, min_count=100)
    assert pairs
    first = {x.attribute: x.condition.in_ for x in pairs[0]}
    # The additive fit under-rates both diagonal cells (a and b, neither); either is the pair.
    assert first in ({"a": ["true"], "b": ["true"]}, {"a": ["false"], "b": ["false"]})
    assert all("c" not in {x.attribute for x in pair} for pair in pairs)
