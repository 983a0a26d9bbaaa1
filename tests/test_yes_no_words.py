"""Words a user reads about 0/1 columns, and other things said in the right order.

Found by running `icp discover` / `icp score` on the telco churn export: its 0/1 column
``SeniorCitizen`` read "Senior Citizen < 1" in the points table and "Senior Citizen >= 1 (−2)"
in every record's reasons. A column holding only 0 and 1 is a yes/no trait, worded as the
yes/no columns already are: "Senior Citizen: yes".
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from _helpers import icp
from icpkit.discover import learn
from icpkit.explain import explain_profile, explain_text
from icpkit.profile import Profile
from icpkit.rowrules import RowRules
from icpkit.scoring import reasons


def _flag_table(n: int = 2000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    senior = (rng.random(n) < 0.3).astype(np.int64)
    plan = rng.choice(["Basic", "Pro", "Enterprise"], n)
    p = 0.25 + 0.35 * senior + 0.2 * (plan == "Enterprise")
    return pd.DataFrame({"SeniorCitizen": senior, "Plan": plan, "won": rng.random(n) < p})


@pytest.fixture(scope="module")
def flag_profile() -> Profile:
    return learn(_flag_table(), target="won", validate=False).profile


def test_a_zero_one_column_is_a_yes_no_trait_in_the_points_table(flag_profile: Profile) -> None:
    rows = [
        r for r in explain_profile(flag_profile)["points"] if r["attribute"] == "Senior Citizen"
    ]
    assert sorted(r["bin"] for r in rows) == ["no", "yes"]
    text = explain_text(flag_profile)
    assert "Senior Citizen: yes:" in text
    assert "Senior Citizen: no:" in text
    for said in ("< 1", ">= 1", "1+", "1 or more", "under 1"):
        assert said not in text


def test_segments_on_a_zero_one_column_read_yes_or_no(flag_profile: Profile) -> None:
    senior = [
        s for s in explain_profile(flag_profile)["segments"] if "Senior" in s["name"] + s["rule"]
    ]
    assert senior  # the planted group is found
    for s in senior:
        assert "Senior Citizen: yes" in s["name"], s
        assert "Senior Citizen: yes" in s["rule"], s


def test_profile_drift_words_a_zero_one_rule_as_yes_or_no(flag_profile: Profile) -> None:
    from icpkit.drift import profile_diff

    fewer = flag_profile.model_copy(update={"segments": []})
    rows = profile_diff(flag_profile, fewer).table.to_dict("records")
    removed = [r for r in rows if r["change"] == "removed" and "Senior" in str(r["detail"])]
    assert removed, rows
    assert all("Senior Citizen: yes" in r["detail"] for r in removed), removed


def test_reasons_say_yes_or_no_on_every_engine(flag_profile: Profile) -> None:
    rows = pd.DataFrame({"SeniorCitizen": [1, 0, 1], "Plan": ["Basic", "Pro", "Enterprise"]})
    said = reasons(flag_profile, rows).to_pylist()
    assert any("Senior Citizen: yes (+" in r for r in said), said
    assert not any("< 1" in r or ">= 1" in r or "1+" in r for r in said), said
    rules = RowRules(flag_profile)
    for i, row in rows.iterrows():
        one = rules.score({"SeniorCitizen": float(row["SeniorCitizen"]), "Plan": row["Plan"]})
        assert one.reasons == (said[i].split("; ") if said[i] else []), (one.reasons, said[i])


def test_a_count_column_keeps_its_ranges() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    offices = rng.integers(0, 4, n)  # 0..3: a count, not a yes/no trait
    frame = pd.DataFrame({"offices": offices, "won": rng.random(n) < 0.2 + 0.15 * offices})
    profile = learn(frame, target="won", validate=False).profile
    bins = [r["bin"] for r in explain_profile(profile)["points"] if r["attribute"] == "offices"]
    assert bins
    assert not {"yes", "no"} & set(bins), bins


# ------------------------------------------------------------------ funnel without a lead status


def _leads_csv(tmp_path: Path, **columns: list[object]) -> Path:
    path = tmp_path / "leads.csv"
    n = 40
    base: dict[str, list[object]] = {
        "Lead Number": list(range(n)),
        "icp_tier": ["A", "B", "C", "D"] * (n // 4),
    }
    pd.DataFrame({**base, **columns}).to_csv(path, index=False)
    return path


def test_funnel_of_leads_with_only_a_converted_flag_goes_lead_to_won(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """X Education's leads say only whether each converted: the funnel is lead -> won."""
    leads = _leads_csv(tmp_path, Converted=[1, 1, 0, 0] * 10)
    code, out, err = icp(capsys, "funnel", leads, "--json")
    assert code == 0, err
    result = json.loads(out)
    tiers = {r["tier"]: r for r in result["table"]}
    assert tiers["A"]["won"] == 10
    assert tiers["D"]["lead_to_won"] == 0.0
    # no stage between lead and won is known: none is shown, as a count or as a rate
    assert not {"mql", "sql", "opportunity", "win_rate", "lead_to_mql"} & set(tiers["A"])
    assert "converted" in result["summary"]["stage_evidence"]


def test_funnel_printout_of_converted_leads_has_no_empty_column_and_capital_tiers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Without dates or deals the cycle and ACV columns were printed empty, and the
    summary said "tier a vs d lift"."""
    leads = _leads_csv(tmp_path, Converted=[1, 1, 0, 1, 1, 0, 0, 0] * 5)  # D: 1 of 2
    code, out, err = icp(capsys, "funnel", leads)
    assert code == 0, err
    assert "lead → won" in out
    assert "Funnel by tier: conversion from stage to stage\n" in out
    assert "cycle" not in out  # neither a column nor the title promises one
    assert "ACV" not in out
    assert "tier A vs D lift" in out
    assert "tier a vs d" not in out


def test_funnel_of_leads_that_say_nothing_of_progress_is_one_line_in_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    leads = _leads_csv(tmp_path, Country=["India"] * 40)
    code, _, err = icp(capsys, "funnel", leads)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"error: {leads}: the leads do not say how far each one got")
    assert "lead status" in err
    assert "converted" in err
    for internal in ("mql_date", "won_date", "'status'", "column 'status'"):
        assert internal not in err, err


# ------------------------------------------------------------------------------ python -m


@pytest.mark.parametrize("module", ["icpkit.cli", "icpkit"])
def test_python_dash_m_runs_the_icp_command(module: str, tmp_path: Path) -> None:
    """`python -m icpkit.cli` said "No module named icpkit.cli.__main__"."""
    import os
    import subprocess
    import sys

    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    run = [sys.executable, "-m", module]
    done = subprocess.run([*run, "--help"], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert "Usage: icp" in done.stdout
    missing = tmp_path / "nope.csv"
    done = subprocess.run(
        [*run, "score", missing, "--profile", missing],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- the order of printed segments

_ORDERED = {
    "name": "Order",
    "intercept": 20,
    "attributes": [
        {
            "name": "industry",
            "kind": "categorical",
            "bins": [{"values": ["Software"], "points": 30}, {"values": ["Retail"], "points": 0}],
        },
        {
            "name": "country",
            "kind": "categorical",
            "bins": [{"values": ["US"], "points": 10}, {"values": ["DE"], "points": 0}],
        },
    ],
    "segments": [
        {  # no bonus, listed first: it decides the segment of the records it holds
            "name": "Software in the US",
            "conditions": [
                {"attribute": "industry", "in": ["Software"]},
                {"attribute": "country", "in": ["US"]},
            ],
            "size": 40,
        },
        {
            "name": "Software in the US or Germany",
            "conditions": [
                {"attribute": "industry", "in": ["Software"]},
                {"attribute": "country", "in": ["US", "DE"]},
            ],
            "points": 5,
            "size": 60,
        },
        {
            "name": "Retail",
            "conditions": [{"attribute": "industry", "in": ["Retail"]}],
            "points": 3,
        },
        {"name": "US", "conditions": [{"attribute": "country", "in": ["US"]}]},
    ],
}


def test_discover_lists_segments_in_the_order_that_gives_each_record_its_segment() -> None:
    """The table put bonus segments first, while a scored record takes the first segment it
    matches in the profile's order: a US software company was 'Software in the US', the
    table's second row. Now the table keeps that order, numbered, and says the rule."""
    from icpkit.cli import _app
    from icpkit.cli.discover import _print_segments
    from icpkit.scoring import score_table

    profile = Profile.model_validate(_ORDERED)
    width, _app.out.width = _app.out.width, 200
    try:
        with _app.out.capture() as seen:
            _print_segments(explain_profile(profile)["segments"], None)
    finally:
        _app.out.width = width
    text = seen.get()
    rows = [[c.strip() for c in line.split("│")[1:3]] for line in text.splitlines() if "│" in line]
    assert rows[:2] == [["1", "Software in the US"], ["2", "Software in the US or Germany"]], text
    assert "A scored record's segment is the first of these it matches, by #" in text
    assert "#3 Retail (+3 points)" in text
    assert "#4 US" in text
    scored = score_table(profile, pd.DataFrame({"industry": ["Software"], "country": ["US"]}))
    assert scored.column("icp_segment").to_pylist() == ["Software in the US"]
    # only one-trait segments: no table, and their numbers are still explained
    only = profile.model_copy(update={"segments": profile.segments[2:]})
    with _app.out.capture() as seen:
        _print_segments(explain_profile(only)["segments"], None)
    text = seen.get()
    assert "#1 Retail (+3 points)" in text
    assert "#2 US" in text
    assert "A scored record's segment is the first of these it matches, by #." in text


def test_funnel_on_the_leads_the_profile_was_learned_from_says_in_sample(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """X Education: learned on these leads, tier A "converted 98.3%" was printed as a fact
    about the funnel; it is the profile grading its own homework. Other leads are not said
    to be the training rows (X Education repeats leads value for value: about 13% of the
    others match a training row, and `icp evaluate` calls them partly in-sample too)."""
    leads = pd.read_csv("/work/shared/datasets/x_education_leads/Leads.csv")
    learned, other = tmp_path / "learned.csv", tmp_path / "other.csv"
    leads.iloc[:4000].to_csv(learned, index=False)
    leads.iloc[5000:].to_csv(other, index=False)
    profile = tmp_path / "p.yaml"
    code, _, err = icp(capsys, "discover", learned, "--target", "Converted", "-o", profile)
    assert code == 0, err
    code, out, err = icp(capsys, "funnel", learned, "--profile", profile)
    assert code == 0, err
    assert "IN-SAMPLE: these rows are the ones the profile was learned from" in err
    assert "no test" in err
    code, out, err = icp(capsys, "funnel", other, "--profile", profile, "--json")
    assert code == 0, err
    note = json.loads(out)["summary"].get("in_sample") or ""
    assert "the ones the profile was learned from" not in note
    assert note.startswith("about ")  # as `icp evaluate` says of the same rows


def test_fields_written_while_a_lead_is_worked_are_not_traits(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """X Education: "Last Activity", "Last Notable Activity" and "Lead Quality" follow
    contact (SOURCE.md lists them as leaks); discover made one the headline ("Last Activity
    SMS Sent"). Traits of the lead itself (time on the website, an activity score) stay."""
    from icpkit.schema import is_worked_trace

    profile = tmp_path / "p.yaml"
    leads = "/work/shared/datasets/x_education_leads/Leads.csv"
    code, out, err = icp(capsys, "discover", leads, "--target", "Converted", "-o", profile)
    assert code == 0, err
    said = out + err
    for name in ("Last Activity", "Last Notable Activity", "Lead Quality"):
        assert f"excluded {name}: written while the lead or account is worked" in said
    names = {a["name"] for a in yaml.safe_load(profile.read_text())["attributes"]}
    assert not {"Last Activity", "Last Notable Activity", "Lead Quality"} & names
    assert "Total Time Spent on Website" in names
    assert not is_worked_trace("Asymmetrique Activity Score")
    assert is_worked_trace("LastActivityType__c")
