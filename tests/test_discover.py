"""Discover on the synthetic world: planted attributes lead, noise gets nothing, segments recovered."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import yaml

from icpkit.discover import Discovery, learn, tier_cutoffs
from icpkit.errors import ConfigError, ProfileError, SchemaError
from icpkit.evaluate import evaluate
from icpkit.intake import load_table
from icpkit.profile import load_profile, profile_from_dict, save_profile
from icpkit.scoring import score_table
from icpkit.synth import make_world


@pytest.fixture(scope="module")
def world() -> tuple[pa.Table, dict]:
    w = make_world(n_accounts=6000, seed=5)
    table = load_table(
        pa.Table.from_pandas(w.training, preserve_index=False), kind="accounts"
    ).table
    return table, w.truth


@pytest.fixture(scope="module")
def found(world: tuple[pa.Table, dict]) -> Discovery:
    return learn(world[0], "IsWon")


def _spread(profile, name: str) -> int:  # type: ignore[no-untyped-def]
    a = next((a for a in profile.attributes if a.name == name), None)
    if a is None:
        return 0
    pts = [b.points for b in a.bins] + [a.missing_points]
    return max(pts) - min(pts)


def test_planted_attributes_lead_and_noise_gets_nothing(
    found: Discovery, world: tuple[pa.Table, dict]
) -> None:
    truth = world[1]
    profile = found.profile
    spreads = {a.name: _spread(profile, a.name) for a in profile.attributes}
    top = sorted(spreads, key=lambda n: -spreads[n])[:4]
    planted = {"industry", "cloud_spend", "employees", "funding_total"}
    assert len(planted & set(top)) >= 3, spreads
    for noise in truth["noise_columns"]:
        assert _spread(profile, noise) == 0
    top_iv = [a["attribute"] for a in found.analysis.attributes[:5]]
    assert "industry" in top_iv
    assert "cloud_spend" in top_iv


def test_planted_segments_and_anti_icp_recovered(found: Discovery) -> None:
    rules = [{c.attribute: c for c in s.conditions} for s in found.profile.segments]
    software = [
        r
        for r in rules
        if "industry" in r and r["industry"].in_ == ["Software"] and "tech_salesforce" in r
    ]
    assert software, [s.name for s in found.profile.segments]
    # Segments are ranked by extra successes (a broad good group may come first); the
    # strongest planted ICP is among them with its own high lift.
    assert max(s.lift or 0.0 for s in found.profile.segments) > 2.5
    anti = [
        set(c.in_ or [])
        for d in found.profile.disqualifiers
        for c in d.conditions
        if c.attribute == "industry"
    ]
    assert any(a and a <= {"Education", "Government"} for a in anti)


def test_leaks_ids_and_outcomes_are_flagged(found: Discovery) -> None:
    flagged = {f["column"]: f["reason"] for f in found.flagged}
    assert "id-like" in flagged["account_id"]
    assert "outcome" in flagged["renewed"]
    assert "leaks" in flagged["acv"]  # present only for customers: caught by the statistics
    used = set(found.profile.columns)
    assert not used & set(flagged)


def test_held_out_metrics_are_honest_and_tiers_concentrate(found: Discovery) -> None:
    m = found.metrics
    assert "time-based" in found.profile.metrics["validation"]  # CreatedDate exists
    assert m["auc"] > 0.72
    assert m["ab_share_of_rows"] <= 0.4
    assert m["ab_share_of_successes"] >= 0.55
    assert m["reliability"]["verdict"] in {"reliable", "indicative"}
    assert found.profile.silhouette.startswith("Our ideal customer is")


def test_profile_round_trip_scores_identically(
    found: Discovery, world: tuple[pa.Table, dict], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    path = save_profile(found.profile, tmp_path / "icp.yaml")
    again = load_profile(path)
    a = score_table(found.profile, world[0]).column("icp_score").to_numpy()
    b = score_table(again, world[0]).column("icp_score").to_numpy()
    assert np.array_equal(a, b)
    assert a.min() >= 0
    assert a.max() <= 100
    assert a.std() > 5
    fp = again.fingerprint or {}
    assert fp["rows"] == 6000
    assert len(fp["hash"]) == 16
    assert "created" in fp["date_range"]


def test_hand_written_profile_evaluates_like_a_learned_one(world: tuple[pa.Table, dict]) -> None:
    hunch = {
        "name": "Sales hunch",
        "intercept": 30,
        "success": {"target": "IsWon"},
        "attributes": [
            {
                "name": "industry",
                "kind": "categorical",
                "bins": [
                    {"values": ["Software", "Financial Services"], "points": 30},
                    {"values": ["Education", "Government"], "points": -30},
                ],
            },
            {
                "name": "employees",
                "kind": "numeric",
                "bins": [{"upper": 50, "points": -10}, {"lower": 200, "points": 15}],
            },
        ],
        "tiers": {"A": 70, "B": 50, "C": 30},
    }
    m = evaluate(profile_from_dict(hunch), world[0])
    assert 0.55 < m["auc"] < 0.95
    assert sum(t["rows"] for t in m["tiers"]) == world[0].num_rows
    bad = {**hunch, "tiers": {"A": 10, "B": 50, "C": 30}}
    with pytest.raises(ProfileError, match="tiers"):
        profile_from_dict(bad)
    bad2 = yaml.safe_load(yaml.safe_dump(hunch))
    bad2["attributes"][1]["bins"][0]["points"] = "many"
    with pytest.raises(ProfileError, match=r"attributes\['employees'\].bins\[0\].points"):
        profile_from_dict(bad2)


def test_small_data_uses_cross_validation_and_warns(world: tuple[pa.Table, dict]) -> None:
    small = world[0].slice(0, 400).drop_columns(["created"])
    res = learn(small, "IsWon")
    assert "cross-validation" in res.profile.metrics["validation"]
    assert any("too small to trust" in w for w in res.warnings)
    assert res.metrics["reliability"]["verdict"] == "too small to trust"


def test_bad_inputs_raise_clear_errors(world: tuple[pa.Table, dict]) -> None:
    with pytest.raises(SchemaError, match="Did you mean 'IsWon'"):
        learn(world[0], "IsWin")
    with pytest.raises(ConfigError, match="target column or a success expression"):
        learn(world[0])
    with pytest.raises(SchemaError, match="industy"):
        learn(world[0], "IsWon", exclude=["industy"])


def test_best_customers_ranked_by_value(found: Discovery) -> None:
    best = found.best_customers
    assert len(best) == 25
    ltv = [b["ltv"] for b in best if b["ltv"] is not None]
    assert ltv == sorted(ltv, reverse=True)
    assert ltv
    assert {"name", "icp_score"} <= set(best[0])
    assert found.summary()["best_customers"] == best[:10]


def test_tier_cutoffs_make_a_minority_of_rows_a_plus_b() -> None:
    scores = np.arange(100).repeat(10)
    t = tier_cutoffs(scores)
    assert (t.A, t.B, t.C) == (90, 70, 40)
    assert tier_cutoffs(np.full(50, 60)).A <= 100


def few_successes(n: int, won: np.ndarray, seed: int = 1) -> pa.Table:
    """Accounts with a revenue column that is often blank, as real exports are.

    The blank group makes revenue look informative even to a fold with no successes at all,
    which is how one success reached scikit-learn (issue 15's attack case).
    """
    rng = np.random.default_rng(seed)
    revenue = rng.integers(1, 10**7, n).astype(float)
    return pa.table(
        {
            "industry": rng.choice(["Software", "Retail", "Health"], n),
            "employees": rng.integers(1, 5000, n),
            "revenue": pa.array(revenue, mask=rng.random(n) < 0.3),
            "created": pa.array(np.datetime64("2015-01-01") + np.arange(n).astype("m8[D]")),
            "won": won,
        }
    )


def write_csv(table: pa.Table, path: Path) -> Path:
    import pyarrow.csv as pcsv

    pcsv.write_csv(table, path)
    return path


def test_a_single_success_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 15: one success in 2,000 rows died in scikit-learn (ValueError: one class)."""
    from _helpers import icp

    n = 2000
    won = np.zeros(n, dtype=bool)
    won[700] = True
    path = write_csv(few_successes(n, won), tmp_path / "one_success.csv")
    code, _, err = icp(capsys, "discover", path, "--target", "won", "-o", tmp_path / "p.yaml")
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("error: only 1 success among 2,000 rows: a profile needs at least 2")
    assert not (tmp_path / "p.yaml").exists()


def test_two_successes_are_enough_to_learn_a_hypothesis(tmp_path: Path) -> None:
    """Two successes: every fold trains on one; the penalty search cannot split them (no crash)."""
    n = 2000
    won = np.zeros(n, dtype=bool)
    won[[100, 1500]] = True
    found = learn(few_successes(n, won), "won")
    assert found.label.n_success == 2
    assert any("only 2 successes" in w for w in found.warnings)
    assert found.profile.metrics["validation"].startswith("5-fold")


def test_a_time_split_with_no_early_success_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every success after the cut: the hold-out's training rows have none (sklearn ValueError)."""
    from _helpers import icp

    n = 4000
    won = np.zeros(n, dtype=bool)
    won[-30:] = True  # the 30 most recent accounts
    path = write_csv(few_successes(n, won), tmp_path / "late.csv")
    args = ["discover", path, "--target", "won", "--date", "created", "-o", tmp_path / "p.yaml"]
    code, _, err = icp(capsys, *args)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1
    assert "the earliest 3,000 rows by this date, and they have no successes" in err
    assert "--date" in err
    assert not (tmp_path / "p.yaml").exists()
