"""Drift: profile diff and population stability, against hand-computed answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from _helpers import icp
from icpkit.drift import population_drift, profile_diff, psi
from icpkit.errors import SchemaError
from icpkit.profile import load_profile
from icpkit.scoring import score_table

FIX = Path(__file__).parent / "fixtures" / "analytics"
ICP = Path(sys.executable).parent / "icp"


@pytest.fixture(scope="module")
def profile():
    return load_profile(FIX / "profile.yaml")


def test_psi_hand_computed() -> None:
    # (0.6-0.5)ln(0.6/0.5) + (0.4-0.5)ln(0.4/0.5)
    assert psi(np.array([50, 50]), np.array([60, 40])) == pytest.approx(0.0405465, abs=1e-6)
    assert psi(np.array([3, 7]), np.array([30, 70])) == pytest.approx(0.0)


def test_profile_diff_lists_every_change(profile) -> None:
    table, summary = profile_diff(profile, load_profile(FIX / "profile_v2.yaml"))
    got = {(r.part, r.name, r.change) for r in table.itertuples()}
    assert got == {
        ("attribute", "employees", "points changed"),
        ("attribute", "industry", "removed"),
        ("attribute", "country", "added"),
        ("tiers", "A", "cut-off changed"),
        ("segment", "Mid-market software", "rule changed"),
        ("segment", "Enterprise", "removed"),
        ("segment", "Fintech", "added"),
        ("disqualifier", "Tiny", "cap changed"),
    }
    emp = table[(table["name"] == "employees")].iloc[0]
    # the bin named as the points table names it (was "[50, 1000)")
    assert (emp["detail"], emp["old"], emp["new"]) == ("50 to 1,000", 30, 35)
    rule = table[table["change"] == "rule changed"].iloc[0]
    assert (rule["old"], rule["new"]) == (
        "industry is Software and employees 200 or more",
        "industry is Software and employees 100 or more",
    )
    assert summary["n_changes"] == 8
    assert summary["verdict"] == "8 changes"  # was "8 change(s)"
    assert summary["attributes_added"] == ["country"]
    assert summary["attributes_removed"] == ["industry"]


def test_one_profile_change_reads_in_the_singular(profile) -> None:
    one = profile.model_copy(update={"intercept": profile.intercept + 1})
    assert profile_diff(profile, one).summary["verdict"] == "1 change"


def test_profile_diff_identical(profile) -> None:
    table, summary = profile_diff(profile, profile)
    assert table.empty
    assert summary["changed"] is False


def _frame(employees: list[float], industry: list[str], won: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"employees": employees, "industry": industry, "IsWon": won})


def test_population_drift_hand_computed(profile) -> None:
    # Before: 5 software@100 (score 80, A) and 5 retail@100 (40, C).
    # After: retail moved to 2000 employees (score 30, C): score buckets 4 -> 3.
    before = _frame([100] * 10, ["Software"] * 5 + ["Retail"] * 5, ["true"] * 5 + ["false"] * 5)
    after = _frame(
        [100] * 5 + [2000] * 5, ["Software"] * 5 + ["Retail"] * 5, ["true"] * 5 + ["false"] * 5
    )
    table, summary = population_drift(profile, before, after)
    full_move = 2 * (0.5 - 1e-4) * np.log(0.5 / 1e-4)
    assert summary["score_psi"] == pytest.approx(full_move, abs=1e-3)
    # employees: all in [50, 1000) before; half moved to [1000, inf) after.
    half_move = -0.5 * np.log(0.5) + (0.5 - 1e-4) * np.log(0.5 / 1e-4)
    assert summary["attribute_psi"]["employees"] == pytest.approx(half_move, abs=1e-3)
    assert summary["attribute_psi"]["industry"] == pytest.approx(0.0)
    assert summary["tier_psi"] == pytest.approx(0.0)
    assert summary["mean_score_before"] == 60
    assert summary["mean_score_after"] == 55
    assert summary["verdict"] == "refresh the ICP"
    tiers = table[table["measure"] == "tier share"].set_index("name")
    assert tiers.loc["A", "before"] == 0.5
    assert tiers.loc["D", "after"] == 0.0
    assert summary["tier_a_success_change"] == 0.0


def test_population_drift_stable_and_success_drop(profile) -> None:
    rng = np.random.default_rng(0)
    emp = list(rng.integers(1, 5000, 400).astype(float))
    ind = list(rng.choice(["Software", "Retail", "Education"], 400))
    won = ["true"] * 400
    same = population_drift(profile, _frame(emp, ind, won), _frame(emp, ind, won))
    assert same.summary["verdict"] == "stable"
    assert same.summary["score_psi"] == 0.0
    lost = population_drift(profile, _frame(emp, ind, won), _frame(emp, ind, ["false"] * 400))
    assert lost.summary["tier_a_success_change"] == -1.0
    assert lost.summary["verdict"] == "refresh the ICP"
    assert any("success rate fell" in r for r in lost.summary["reasons"])


def test_population_drift_missing_column(profile) -> None:
    """A column the tables lack scores as missing, named once per table (as `icp score` does);
    a table with none of the profile's columns is a wrong file, refused."""
    _, summary = population_drift(
        profile, pd.DataFrame({"industry": ["x"]}), pd.DataFrame({"industry": ["x"]})
    )
    assert [(g["column"], g["warning"][:28]) for g in summary["missing_columns"]] == [
        ("employees", "the earlier table has no col"),
        ("employees", "the later table has no colum"),
    ]
    with pytest.raises(SchemaError, match="none of the columns"):
        population_drift(
            profile, pd.DataFrame({"colour": ["x"]}), pd.DataFrame({"industry": ["x"]})
        )


def test_cli_drift_profiles_json() -> None:
    from icpkit.cli import commands  # noqa: F401
    from icpkit.cli._app import app

    res = CliRunner().invoke(
        app, ["drift", str(FIX / "profile.yaml"), str(FIX / "profile_v2.yaml"), "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["summary"]["n_changes"] == 8
    assert len(data["table"]) == 8


def test_cli_drift_population(tmp_path: Path, capsys) -> None:
    before = tmp_path / "before.csv"
    after = tmp_path / "after.csv"
    _frame([100] * 4, ["Software"] * 4, ["true"] * 4).to_csv(before, index=False)
    _frame([100, 100, 3, 3], ["Software"] * 4, ["true"] * 4).to_csv(after, index=False)
    args = ["drift", "--profile", FIX / "profile.yaml", "--before", before, "--after", after]
    code, out, err = icp(capsys, *args, "--json")
    assert code == 0, err
    assert json.loads(out)["summary"]["verdict"] == "refresh the ICP"


def test_cli_drift_bad_args_one_line(tmp_path: Path) -> None:
    res = subprocess.run(
        [str(ICP), "drift", str(FIX / "profile.yaml")], capture_output=True, text=True, check=False
    )
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1
    assert "two profiles" in res.stderr


def test_drift_on_synthetic_world(world_dir: Path) -> None:
    from icpkit.profile import profile_from_dict
    from icpkit.quality import read_frame

    truth = json.loads((world_dir / "truth.json").read_text())
    prof = profile_from_dict(
        {
            "success": {"target": "IsWon"},
            "attributes": [
                {
                    "name": "employees",
                    "kind": "numeric",
                    "bins": [
                        {"upper": 10, "points": 0},
                        {"lower": 10, "upper": 200, "points": 20},
                        {"lower": 200, "points": 35},
                    ],
                }
            ],
            "segments": [
                {"name": s["name"], "conditions": s["conditions"], "points": 40}
                for s in truth["segments"]
            ],
        }
    )
    accounts = read_frame(world_dir / "training.csv", "accounts").sort_values("created")
    half = len(accounts) // 2
    older, newer = accounts.iloc[:half], accounts.iloc[half:]
    # Same generator, two periods: stable.
    _, same = population_drift(prof, older, newer)
    assert same["verdict"] == "stable"
    assert same["success_column"] == "IsWon"
    # The newer period drifts to small companies only: the ICP must be refreshed.
    _, moved = population_drift(prof, older, newer[newer["employees"] < 200])
    assert moved["verdict"] == "refresh the ICP"
    assert moved["attribute_psi"]["employees"] > 0.25


def test_drift_on_ravenstack_accounts() -> None:
    from icpkit.profile import profile_from_dict
    from icpkit.quality import read_frame

    prof = profile_from_dict(
        {
            "success": {"target": "churned", "positive": ["false"]},  # success = retained
            "attributes": [
                {
                    "name": "industry",
                    "kind": "categorical",
                    "bins": [
                        {"values": ["Software"], "points": 40},
                        {"values": ["Education"], "points": -10},
                    ],
                },
                {
                    "name": "seats",
                    "kind": "numeric",
                    "bins": [{"upper": 10, "points": 10}, {"lower": 10, "points": 40}],
                },
            ],
        }
    )
    path = Path("/work/shared/datasets/ravenstack_saas_synthetic/ravenstack_accounts.csv")
    accounts = read_frame(path, "accounts").sort_values("created")
    half = len(accounts) // 2
    table, summary = population_drift(prof, accounts.iloc[:half], accounts.iloc[half:])
    assert summary["rows_before"] + summary["rows_after"] == 500
    assert summary["success_column"] == "churned"
    rates = table[table["measure"] == "success rate"].set_index("name")
    before = accounts.iloc[:half]
    tiers = score_table(prof, before).column("icp_tier").to_numpy(zero_copy_only=False)
    retained = ~before["churned"].astype(bool).to_numpy()
    for tier in ("A", "B", "C", "D"):
        mask = tiers == tier
        if mask.any():
            assert rates.loc[tier, "before"] == pytest.approx(retained[mask].mean())
    # The generator is stationary: the two halves of the signup history do not drift.
    assert summary["verdict"] in {"stable", "watch"}
    assert summary["score_psi"] < 0.25
