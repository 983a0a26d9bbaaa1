"""Backtest metrics and the discover / evaluate / explain commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

import icpkit.cli.commands  # noqa: F401  (registers the commands)
from icpkit.cli._app import app
from icpkit.evaluate import auc, evaluate_scores, reliability
from icpkit.synth import make_world

ICP = str(Path(sys.executable).with_name("icp"))


def test_auc_matches_sklearn_with_ties() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(500) < 0.3
    s = rng.integers(0, 10, 500) + 3 * y
    assert auc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert np.isnan(auc(np.ones(3, bool), np.arange(3)))


def test_tier_table_deciles_and_calibration_add_up() -> None:
    rng = np.random.default_rng(1)
    score = rng.integers(0, 101, 2000)
    y = rng.random(2000) < score / 120
    m = evaluate_scores(y, score)
    assert sum(t["rows"] for t in m["tiers"]) == 2000
    assert sum(t["successes"] for t in m["tiers"]) == y.sum()
    assert m["tiers"][0]["success_rate"] > m["tiers"][3]["success_rate"]
    assert m["lift_by_decile"][0]["lift"] > 1.3 > m["lift_by_decile"][-1]["lift"]
    assert m["lift_by_decile"][-1]["cumulative_share_of_successes"] == pytest.approx(1.0)
    assert sum(c["rows"] for c in m["calibration"]) == 2000
    assert m["reliability"]["verdict"] == "reliable"


def test_reliability_says_when_data_is_too_small() -> None:
    assert reliability(1000, 40, 0.9)["verdict"] == "too small to trust"
    assert reliability(1000, 200, 0.8)["verdict"] == "indicative"
    assert reliability(5000, 1000, 0.52)["verdict"] == "weak signal"


@pytest.fixture(scope="module")
def training_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "training.csv"
    make_world(n_accounts=2500, seed=2).training.to_csv(path, index=False)
    return path


def test_discover_evaluate_explain_commands(training_csv: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    prof = tmp_path / "icp.yaml"
    r = runner.invoke(app, ["discover", str(training_csv), "--target", "IsWon", "-o", str(prof)])
    assert r.exit_code == 0, r.output
    assert "Our ideal customer is" in r.output
    assert prof.is_file()
    r = runner.invoke(app, ["evaluate", str(training_csv), "-p", str(prof), "--json"])
    assert r.exit_code == 0, r.output
    metrics = json.loads(r.stdout)
    assert metrics["auc"] > 0.7
    assert len(metrics["tiers"]) == 4
    r = runner.invoke(app, ["explain", str(prof), "--json"])
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert d["points"]
    assert all(isinstance(p["points"], int) for p in d["points"])
    r = runner.invoke(app, ["explain", str(prof)])
    assert "Points table" in r.output


def test_cli_errors_are_one_line(training_csv: Path, tmp_path: Path) -> None:
    bad = subprocess.run(
        [ICP, "discover", str(training_csv), "--target", "IsWn", "-o", str(tmp_path / "x.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0
    assert "Did you mean 'IsWon'" in bad.stderr
    (tmp_path / "bad.yaml").write_text("attributes: []\ntiers: {A: 1, B: 50, C: 20}\n")
    bad = subprocess.run(
        [ICP, "explain", str(tmp_path / "bad.yaml")], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2
    assert "tiers" in bad.stderr
    assert bad.stderr.strip().count("\n") == 0
