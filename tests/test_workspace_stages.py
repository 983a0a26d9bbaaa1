"""Pieces of the pipeline: training rows, success labels, lead linking, the stage cache."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from icpkit.errors import ConfigError, SchemaError
from icpkit.workspace import StageCache
from icpkit.workspace._analytics import _link_by_domain
from icpkit.workspace._config import Success, config_from_dict
from icpkit.workspace._training import LABEL, training_frame

ACCOUNTS = pa.table(
    {
        "account_id": ["a1", "a2", "a3", "a4"],
        "name": ["Alpha", "Beta", "Gamma", "Delta"],
        "domain": ["alpha.com", "beta.io", "gamma.de", None],
        "industry": ["Software", "Retail", "Software", "Education"],
        "employees": [250.0, 40.0, 900.0, 12.0],
        "account_type": ["Customer", "Prospect", "Customer", "Prospect"],  # restates the label
    }
)
DEALS = pa.table(
    {
        "deal_id": ["d1", "d2", "d3", "d4", "d5"],
        "account_id": ["a1", "a2", "a3", "a3", "a4"],
        "stage": ["Closed Won", "Closed Lost", "Closed Lost", "Closed Won", "Negotiation"],
        "amount": [10.0, 20.0, 30.0, 40.0, 50.0],
    }
)
OUTCOMES = pa.table({"account_id": ["a1", "a3"], "renewed": ["Yes", "No"], "acv": [100.0, 300.0]})


def test_account_success_derived_from_deals() -> None:
    frame, info = training_frame(Success(), {"accounts": ACCOUNTS, "deals": DEALS})
    won = dict(zip(frame["account_id"], frame[LABEL], strict=True))
    # a4's only deal is still in Negotiation: its outcome is not known, so it is not a failure
    # (it was counted as one; see test_open_outcomes.py)
    assert won == {"a1": True, "a2": False, "a3": True}
    assert info["description"].startswith("the account has at least one won deal")
    # Features are the accounts' own columns, never ids, names or what restates the label.
    assert set(info["features"]) == {"industry", "employees"}
    assert "account_type" not in frame.columns
    assert "amount" not in frame.columns


def test_deal_level_rows_are_closed_deals_with_their_account() -> None:
    frame, info = training_frame(Success(table="deals"), {"accounts": ACCOUNTS, "deals": DEALS})
    assert info["level"] == "deals"
    assert len(frame) == 4  # the open deal is not labelled
    assert list(frame[LABEL]) == [True, False, False, True]
    assert list(frame["industry"]) == ["Software", "Retail", "Software", "Software"]
    assert "stage" not in frame.columns


def test_label_from_an_outcome_column_leaves_unknown_rows_out() -> None:
    success = Success(target="renewed", positive=["yes"])
    frame, info = training_frame(success, {"accounts": ACCOUNTS, "outcomes": OUTCOMES})
    labels = dict(zip(frame["account_id"], frame[LABEL], strict=True))
    assert labels["a1"]
    assert not labels["a3"]
    assert "renewed" not in frame.columns  # an outcome, not a feature
    assert "acv" not in frame.columns
    assert "renewed = Yes" in info["description"]  # the value as the data spells it


def test_unknown_success_column_suggests_the_closest() -> None:
    with pytest.raises(SchemaError, match="Did you mean 'renewed'"):
        training_frame(Success(target="renewd"), {"accounts": ACCOUNTS, "outcomes": OUTCOMES})


def test_leads_get_their_account_by_domain() -> None:
    leads = pa.table(
        {
            "lead_id": ["l1", "l2", "l3", "l4"],
            "domain": ["ALPHA.com", "unknown.org", "gamma.de", None],
            "account_id": [None, None, "a9", None],
        }
    )
    linked = _link_by_domain(leads, ACCOUNTS).column("account_id").to_pylist()
    assert linked == ["a1", None, "a9", None]  # matched, unknown, own id kept, no domain


def test_cache_round_trip_and_damaged_entries(tmp_path: Path) -> None:
    cache = StageCache(tmp_path)
    cache.put("k1", {"t": ACCOUNTS, "summary": {"n": 4, "x": [1, 2]}})
    got = cache.get("k1")
    assert got is not None
    assert got["t"].equals(ACCOUNTS)
    assert got["summary"] == {"n": 4, "x": [1, 2]}
    (tmp_path / "k1" / "t.parquet").write_bytes(b"not parquet")
    assert cache.get("k1") is None  # recomputed, never trusted
    assert cache.get("missing") is None
    cache.put("k2", {"s": {}})
    cache.prune({"k2"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k2"]


def test_voice_method_is_checked() -> None:
    base = {"tables": {"accounts": {"path": "a.csv"}}}
    assert config_from_dict(base).options.voice_method == "auto"
    with pytest.raises(ConfigError, match="voice_method"):
        config_from_dict({**base, "options": {"voice_method": "gpt"}})


@pytest.mark.parametrize("module", ["icpkit.workspace", "icpkit.report"])
def test_public_names_are_exported_and_sorted(module: str) -> None:
    import importlib

    mod = importlib.import_module(module)

    def isort_order(name: str) -> tuple[int, str]:  # CONSTANTS, then Classes, then functions
        kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
        return (kind, name)

    assert mod.__all__ == sorted(mod.__all__, key=isort_order)
    for name in mod.__all__:
        assert getattr(mod, name) is not None
    classes = {n for n, v in vars(mod).items() if isinstance(v, type) and not n.startswith("_")}
    assert classes <= set(mod.__all__)


def test_written_files_are_readable_like_plain_files(tmp_path: Path) -> None:
    """Reports are shared: atomic writes must not leave them private (mkstemp's 0600)."""
    import os

    from icpkit.atomic import atomic_write_text

    mask = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "report.md", "# ICP\n")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644
