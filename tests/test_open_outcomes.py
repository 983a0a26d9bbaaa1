"""Open outcomes are not failures: a deal still in 'Prospecting' may yet be won.

On the crm_sales export, `icp discover --target deal_stage --positive Won` counted the 2,089
open opportunities (Engaging, Prospecting) as not won. What open deals share (no account yet,
recent) then "predicted" losing, and the held-out AUC of 0.660 measured that leak: with the open
rows left out it falls to about 0.51, the real (weak) signal of that generated data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from icpkit.success import success_label
from test_newuser_words import _run_cli

DATASETS = Path(os.environ.get("ICPKIT_DATASETS", "/work/shared/datasets"))
PIPELINE = DATASETS / "crm_sales_opportunities" / "sales_pipeline.csv"


def test_open_stages_are_left_out_and_counted() -> None:
    stage = pd.Series(["Won", "Lost", "Engaging", "Won", "Prospecting", "Engaging", None])
    label = success_label(pd.DataFrame({"stage": stage}), "stage", positive="Won")
    assert label.defined.tolist() == [True, True, False, True, False, False, False]
    assert label.y.tolist() == [True, False, False, True, False, False, False]
    said = "3 open rows (Engaging, Prospecting) left out: their outcome is not known yet"
    assert [n for n in label.notes if said in n], label.notes


def test_open_as_failure_keeps_the_old_reading() -> None:
    stage = pd.Series(["Won", "Lost", "Engaging", "Won", "Prospecting"])
    label = success_label(
        pd.DataFrame({"stage": stage}), "stage", positive="Won", open_as_failure=True
    )
    assert label.defined.all()
    assert label.y.tolist() == [True, False, False, True, False]
    assert any("counted as failures" in n for n in label.notes), label.notes


def test_salesforce_and_hubspot_stages_without_a_positive_value() -> None:
    """'Closed Won' is read as success without --positive; open stages no longer stop it."""
    stage = pd.Series(
        ["Closed Won", "Closed Lost", "Negotiation/Review", "closedwon", "closedlost"]
    )
    label = success_label(pd.DataFrame({"stage": stage}), "stage")
    assert label.defined.tolist() == [True, True, False, True, True]
    assert label.y.tolist() == [True, False, False, True, False]


def test_a_category_target_is_not_a_stage() -> None:
    """Only a column with both won and lost outcomes has open stages; others are untouched."""
    industry = pd.Series(["Software", "Retail", "Software", "Education"])
    label = success_label(pd.DataFrame({"industry": industry}), "industry", positive="Software")
    assert label.defined.all()
    assert label.notes == []


def test_discover_on_crm_sales_leaves_open_opportunities_out(tmp_path: Path) -> None:
    raw = pd.read_csv(PIPELINE)
    stage = raw["deal_stage"]
    closed = stage.isin(["Won", "Lost"])
    open_values = ", ".join(sorted(stage[~closed].unique()))
    code, text, err = _run_cli(
        "discover", PIPELINE, "--target", "deal_stage", "--positive", "Won", "-o", tmp_path / "p"
    )
    assert code == 0, err
    expected = (
        f"{int((~closed).sum()):,} open opportunities ({open_values}) left out: "
        "their outcome is not known yet"
    )
    assert expected in err, err
    assert f"{int(closed.sum()):,} rows, {int((stage == 'Won').sum()):,} successes" in text
    code, text, err = _run_cli(
        "discover",
        PIPELINE,
        "--target",
        "deal_stage",
        "--positive",
        "Won",
        "--open-as-failure",
        "-o",
        tmp_path / "q",
    )
    assert code == 0, err
    assert f"{len(raw):,} rows" in text
    assert "counted as failures" in err


def test_workspace_leaves_accounts_with_only_open_deals_out() -> None:
    from icpkit.workspace._config import Success
    from icpkit.workspace._training import LABEL, training_frame
    from test_workspace_stages import ACCOUNTS, DEALS

    frame, info = training_frame(Success(), {"accounts": ACCOUNTS, "deals": DEALS})
    won = dict(zip(frame["account_id"], frame[LABEL], strict=True))
    assert "a4" not in won  # its only deal is in Negotiation: not lost, not won yet
    assert "1 account with only open deals left out" in info["description"]
    frame, _ = training_frame(Success(open_as_failure=True), {"accounts": ACCOUNTS, "deals": DEALS})
    assert not dict(zip(frame["account_id"], frame[LABEL], strict=True))["a4"]


def test_workspace_config_reads_open_as_failure() -> None:
    from icpkit.workspace._config import config_from_dict

    cfg = config_from_dict(
        {
            "tables": {"accounts": {"path": "a.csv"}},
            "success": {"target": "won", "open_as_failure": True},
        }
    )
    assert cfg.success.open_as_failure


def test_evaluate_says_open_rows_were_left_out_and_measures_overlap_on_the_rest(
    tmp_path: Path,
) -> None:
    """It printed nothing about the 2,089 open rows, and measured how many rows the profile
    learned from against all 8,800 (71%: 'partly in-sample') instead of the 6,711 it tests."""
    profile = tmp_path / "p.yaml"
    code, _, err = _run_cli(
        "discover", PIPELINE, "--target", "deal_stage", "--positive", "Won", "-o", profile
    )
    assert code == 0, err
    code, text, err = _run_cli("evaluate", PIPELINE, "--profile", profile)
    assert code == 0, err
    stage = pd.read_csv(PIPELINE)["deal_stage"]
    n_open = int((~stage.isin(["Won", "Lost"])).sum())
    # in the same words as discover said it
    assert f"{n_open:,} open opportunities (Engaging, Prospecting) left out" in err, err
    assert text.startswith("IN-SAMPLE:"), text[:300]


def test_workspace_success_stage_counts_open_deals_left_out() -> None:
    from icpkit.workspace._config import Success
    from icpkit.workspace._training import training_frame
    from test_workspace_stages import ACCOUNTS, DEALS

    _, info = training_frame(Success(table="deals"), {"accounts": ACCOUNTS, "deals": DEALS})
    assert info["left_out"] == "1 open deal left out: its outcome is not known yet"
    _, info = training_frame(Success(), {"accounts": ACCOUNTS, "deals": DEALS})
    assert (
        info["left_out"] == "1 account with only open deals left out: its outcome is not known yet"
    )


def _deals_with_open_ones(n: int = 600) -> pd.DataFrame:
    industry = [("Software", "Retail", "Health")[i % 3] for i in range(n)]
    stage = [
        "Prospecting" if i % 5 == 0 else "Won" if (ind == "Software") != (i % 4 == 0) else "Lost"
        for i, ind in enumerate(industry)
    ]
    return pd.DataFrame({"industry": industry, "stage": stage})


def test_a_profile_learned_with_open_as_failure_says_so_and_evaluate_honours_it(
    tmp_path: Path,
) -> None:
    """`icp evaluate` with a profile learned with --open-as-failure left the open rows out:
    the profile did not record the choice. It records it, and evaluate counts them the same way,
    saying why, unless told otherwise."""
    from icpkit.profile import load_profile

    deals = _deals_with_open_ones()
    n_open = int((deals["stage"] == "Prospecting").sum())
    path = tmp_path / "deals.csv"
    deals.to_csv(path, index=False)
    profile = tmp_path / "p.yaml"
    code, _, err = _run_cli(
        "discover", path, "--target", "stage", "--positive", "Won", "--open-as-failure",
        "-o", profile,
    )  # fmt: skip
    assert code == 0, err
    assert load_profile(profile).success.open_as_failure is True
    code, text, err = _run_cli("evaluate", path, "--profile", profile)
    assert code == 0, err
    assert f"{len(deals):,} rows" in text, text
    said = f"{n_open:,} open opportunities (Prospecting) counted as failures, as the profile was learned"
    assert said in err, err
    code, text, err = _run_cli("evaluate", path, "--profile", profile, "--open-left-out")
    assert code == 0, err
    assert f"{len(deals) - n_open:,} rows" in text, text
    assert "left out" in err, err
    # a profile learned without it records nothing, and evaluate leaves open rows out
    plain = tmp_path / "q.yaml"
    code, _, err = _run_cli("discover", path, "--target", "stage", "--positive", "Won", "-o", plain)
    assert code == 0, err
    assert "open_as_failure" not in plain.read_text(encoding="utf-8")
    code, text, err = _run_cli("evaluate", path, "--profile", plain)
    assert f"{len(deals) - n_open:,} rows" in text, text


def test_workspace_profile_records_open_as_failure_and_its_evaluation_says_so(
    tmp_path: Path,
) -> None:
    import yaml

    from icpkit.workspace import run_workspace
    from test_workspace import make_workspace

    root = make_workspace(tmp_path / "ws")
    deals = pd.read_csv(root / "data" / "deals.csv")
    deals.loc[deals.index % 9 == 0, "stage"] = "Negotiation"  # open: not won, not lost yet
    deals.to_csv(root / "data" / "deals.csv", index=False)
    cfg = yaml.safe_load((root / "icp.yaml").read_text(encoding="utf-8"))
    del cfg["options"]["profile"]  # learn it
    cfg["success"]["open_as_failure"] = True
    (root / "icp.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    result = run_workspace(root)
    stages = {s.name: s for s in result.stages}
    assert stages["discover"].status == "ok", stages["discover"].message
    learned = yaml.safe_load(result.outputs["profile"].read_text(encoding="utf-8"))
    assert learned["success"]["open_as_failure"] is True
    assert stages["evaluate"].status == "ok", stages["evaluate"].message
    assert "open deals counted as failures" in (stages["evaluate"].message or "")
