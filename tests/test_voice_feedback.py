"""The synthetic feedback generator: shape, determinism, planted themes, silent topic."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from icpkit.synth.feedback import FEEDBACK_COLUMNS, SOURCES, make_feedback


def _accounts(n: int = 600) -> tuple[pd.DataFrame, np.ndarray]:
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i:04d}" for i in range(n)],
            "name": [f"Company {i}" for i in range(n)],
            "domain": [f"company{i}.com" for i in range(n)],
        }
    )
    seg = np.array([None] * n, dtype=object)
    seg[: n // 4] = "Software mid-market"
    seg[n // 4 : n // 3] = "EU financial services"
    return accounts, seg


def test_columns_sources_and_ids() -> None:
    accounts, seg = _accounts()
    table, truth = make_feedback(accounts, seg, np.random.default_rng(1))
    assert tuple(table.columns) == FEEDBACK_COLUMNS
    assert set(table["source"]) <= set(SOURCES)
    assert table["feedback_id"].is_unique
    assert set(table["account_id"]) <= set(accounts["account_id"])
    assert table["text"].str.len().min() > 20
    assert truth["n_items"] == len(table)
    json.dumps(truth)  # the truth goes into truth.json


def test_deterministic_by_seed() -> None:
    accounts, seg = _accounts()
    a, _ = make_feedback(accounts, seg, np.random.default_rng(3))
    b, _ = make_feedback(accounts, seg, np.random.default_rng(3))
    c, _ = make_feedback(accounts, seg, np.random.default_rng(4))
    pd.testing.assert_frame_equal(a, b)
    assert not a["text"].equals(c["text"]) or len(a) != len(c)


def test_planted_themes_are_said_by_their_segment_only() -> None:
    accounts, seg = _accounts()
    table, truth = make_feedback(accounts, seg, np.random.default_rng(5))
    seg_of = dict(zip(accounts["account_id"], seg, strict=True))
    table["segment"] = table["account_id"].map(seg_of)
    assert set(truth["segments"]) == {"Software mid-market", "EU financial services"}
    for name, cats in truth["segments"].items():
        keyword = cats["pain_point"]["keywords"][0]
        said = table["text"].str.lower().str.contains(keyword)
        assert said[table["segment"] == name].mean() > 0.2
        assert said[table["segment"] != name].mean() < 0.02
    # The buying process is silent for ICP accounts.
    icp_text = table.loc[table["segment"].notna(), "text"].str.lower()
    assert not icp_text.str.contains("procurement").any()
    assert truth["silent_for_icp"] == ["buying_process"]


def test_length_mismatch_is_an_error() -> None:
    accounts, seg = _accounts()
    with pytest.raises(ValueError, match="icp_segment"):
        make_feedback(accounts, seg[:-1], np.random.default_rng(0))
