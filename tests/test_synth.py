"""The synthetic world: determinism, planted truth, messiness, integrity, files and CLI."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency
from typer.testing import CliRunner

from icpkit.errors import ConfigError
from icpkit.synth import ANTI_ICP, FILES, SEGMENTS, World, generate, make_world, matches

ICP = str(Path(sys.executable).with_name("icp"))


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_same_world_and_different_seed_differs() -> None:
    a, b, c = make_world(400, seed=1), make_world(400, seed=1), make_world(400, seed=2)
    for name, frame in a.tables().items():
        pd.testing.assert_frame_equal(frame, b.tables()[name], obj=name)
    assert a.truth == b.truth
    assert not a.accounts.equals(c.accounts)


def test_sizes_follow_arguments() -> None:
    w = make_world(200, seed=3, n_universe=1500)
    assert len(make_world(5, seed=3, n_universe=2).universe) == 2  # fewer than the overlap
    assert len(w.accounts) == len(w.training) == 200
    assert len(w.universe) == 1500
    assert w.truth["universe"]["overlap_accounts"] == 120  # 60% of the accounts


# --- planted truth -------------------------------------------------------------------------


def test_planted_segment_win_rates_hold(world: World) -> None:
    won = world.training["IsWon"].eq("true").to_numpy()
    for rule, entry in zip(SEGMENTS, world.truth["segments"], strict=True):
        member = matches(world.latent, rule)
        assert member.sum() == entry["size"] >= 50
        rate = won[member].mean()
        assert rate == pytest.approx(entry["win_rate"], abs=1e-3)
        # Within 4 standard errors of the planted rate (a binomial draw of `size` accounts).
        se = np.sqrt(rule.win_rate * (1 - rule.win_rate) / member.sum())
        assert rate == pytest.approx(rule.win_rate, abs=4 * se), rule.name


def test_anti_icp_rarely_wins_and_churns_more(world: World) -> None:
    won = world.training["IsWon"].eq("true").to_numpy()
    base = world.truth["base_rate"]
    assert 0.12 <= base <= 0.28
    assert won.mean() == pytest.approx(base, abs=1e-3)
    for rule in ANTI_ICP:
        member = matches(world.latent, rule)
        assert member.sum() >= 100
        assert won[member].mean() < 0.05, rule.name
    anti = world.latent["anti_icp"].notna().to_numpy()
    icp = world.latent["icp_segment"].notna().to_numpy()
    churned = world.latent["churned"].to_numpy(dtype=bool)
    assert churned[anti & won].mean() > churned[icp & won].mean() + 0.15


def test_additive_signal_and_noise_columns(world: World) -> None:
    lat = world.latent
    rest = (lat["icp_segment"].isna() & lat["anti_icp"].isna()).to_numpy()
    won = lat["won"].to_numpy()
    spend = lat["cloud_spend"].to_numpy()
    high = spend >= np.median(spend[rest])
    assert won[rest & high].mean() > won[rest & ~high].mean() + 0.05
    raw = world.training
    won_raw = raw["IsWon"].eq("true")
    for col in world.truth["noise_columns"]:
        assert col in raw.columns
    # Noise is independent of the label: no test of independence rejects it.
    for col in ("Priority__c", "Territory_Code__c"):
        table = pd.crosstab(raw[col].dropna(), won_raw[raw[col].notna()])
        assert chi2_contingency(table).pvalue > 1e-3, col
    score = pd.to_numeric(raw["Legacy_Score__c"], errors="coerce")
    ok = score.notna()
    r = np.corrcoef(score[ok], won_raw[ok])[0, 1]
    assert abs(r) < 4 / np.sqrt(ok.sum())


def test_truth_rules_use_canonical_columns_and_name_raw_ones(world: World) -> None:
    for entry in world.truth["segments"] + world.truth["anti_icp"]:
        for cond in entry["conditions"]:
            assert cond["attribute"] in world.latent.columns
            assert entry["raw_columns"][cond["attribute"]] in world.accounts.columns
    assert world.truth["label"] == {"file": "training.csv", "column": "IsWon", "positive": "true"}
    assert set(world.truth["leaky_columns"]) <= set(world.training.columns)


def test_tam_counts_match_the_universe(world: World) -> None:
    uni = world.latent_universe
    for rule, entry in zip(SEGMENTS, world.truth["segments"], strict=True):
        hit = matches(uni, rule)
        assert hit.sum() == entry["tam"] > entry["size"] // 2
        assert (hit & ~uni["in_crm"].to_numpy()).sum() == entry["tam_not_in_crm"]
    shared = set(world.universe["Company Domain Name"]) & set(world.latent["domain"])
    assert len(shared) == world.truth["universe"]["overlap_accounts"]


# --- messiness -----------------------------------------------------------------------------


def test_accounts_are_messy_like_real_exports(world: World) -> None:
    acc = world.accounts
    emp = acc["NumberOfEmployees"].dropna()
    assert emp.str.fullmatch(r"\d+").mean() > 0.6
    assert emp.str.fullmatch(r"\d{1,3}(,\d{3})+").any()
    assert emp.isin(["51-200", "201-500", "1,001-5,000"]).any()
    assert emp.eq("10,001+").any() or emp.eq("10K+").any()
    assert emp.str.contains("K").any()
    money = acc["AnnualRevenue"].dropna()
    assert money.str.fullmatch(r"\$\d[\d.]*[KMB]").any()
    assert money.str.fullmatch(r"\d{1,3}(,\d{3})+").any()
    assert money.str.startswith("€").any() or money.str.startswith("EUR").any()
    assert money.str.contains("million|bn").any()
    countries = set(acc["BillingCountry"].dropna())
    assert {"USA", "United States", "US"} <= countries
    assert {"Deutschland", "UK"} & countries
    techs = acc["Technologies__c"].dropna()
    assert techs.str.contains(";").mean() > 0.5
    assert techs.str.contains("SFDC").any()
    sites = acc["Website"].dropna()
    assert sites.str.startswith("https://www.").any()
    assert sites.str.startswith("www.").any()
    assert (~sites.str.contains("/")).any()
    assert sites.str.contains("/about").any()
    assert len(set(acc["Industry"].dropna())) > len(world.truth["industry_labels"])
    for col in ("Industry", "NumberOfEmployees", "BillingCountry", "Website"):
        share = acc[col].isna().mean()
        assert 0 < share < 0.1, col


def test_export_labels(world: World) -> None:
    assert {"Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date", "Create Date",
            "Associated Company IDs", "Deal Type", "Pipeline", "Original Source"} <= set(world.deals.columns)  # fmt: skip
    assert {"Closed Won", "Closed Lost", "Appointment Scheduled"} <= set(world.deals["Deal Stage"])
    assert set(world.deals["Deal Type"]) == {"New Business", "Existing Business"}
    assert {"Lead ID", "Company", "Lead Source", "Lead Status", "Create Date", "Title", "Industry",
            "No. of Employees", "Country", "MQL Date", "SQL Date", "Opportunity Date",
            "Won Date"} <= set(world.leads.columns)  # fmt: skip
    titles = set(world.contacts["Job Title"].dropna())
    assert {"VP, Revenue Operations", "Sr. Software Engineer", "Chief Financial Officer"} <= titles
    assert set(world.contact_roles["Role"]) == {
        "Decision Maker", "Economic Buyer", "Technical Buyer", "Evaluator", "Influencer",
        "Executive Sponsor",
    }  # fmt: skip
    assert list(world.outcomes.columns) == [
        "Account ID", "Customer Since", "ACV", "Renewed", "Expanded", "Churned", "Seats", "NRR",
        "LTV", "CAC", "Sales Cycle Days",
    ]  # fmt: skip
    assert {"Company name", "Company Domain Name", "Number of Employees",
            "Country/Region", "Technologies"} <= set(world.universe.columns)  # fmt: skip


# --- integrity -----------------------------------------------------------------------------


def test_referential_integrity(world: World) -> None:
    ids = set(world.accounts["Id"])
    assert world.accounts["Id"].is_unique
    assert world.deals["Record ID"].is_unique
    assert world.contacts["Record ID"].is_unique
    assert world.leads["Lead ID"].is_unique
    assert set(world.deals["Associated Company IDs"]) <= ids
    assert set(world.contacts["Associated Company ID"]) <= ids
    assert set(world.outcomes["Account ID"]) <= ids
    assert set(world.leads["Converted Account ID"].dropna()) <= ids
    assert set(world.feedback["account_id"].dropna()) <= ids
    roles = world.contact_roles.merge(
        world.deals[["Record ID", "Associated Company IDs"]],
        left_on="OpportunityId",
        right_on="Record ID",
    ).merge(
        world.contacts[["Record ID", "Associated Company ID"]],
        left_on="ContactId",
        right_on="Record ID",
    )
    assert len(roles) == len(world.contact_roles)  # every role points at a deal and a contact
    assert (roles["Associated Company IDs"] == roles["Associated Company ID"]).all()
    assert not world.contact_roles.duplicated(["OpportunityId", "ContactId"]).any()


def test_training_label_matches_deals_and_outcomes(world: World) -> None:
    won_accounts = set(
        world.deals.loc[world.deals["Deal Stage"].eq("Closed Won"), "Associated Company IDs"]
    )
    is_won = world.training["IsWon"].eq("true")
    assert (
        set(world.training.loc[is_won, "Id"]) == won_accounts == set(world.outcomes["Account ID"])
    )
    assert world.training.loc[~is_won, "ACV"].isna().all()
    assert world.training.loc[is_won, "ACV"].notna().all()
    customer = world.training["Type"].str.startswith("Customer")
    assert (customer == is_won).all()


def test_buying_committee(world: World) -> None:
    deals = world.deals.set_index("Record ID")
    roles = world.contact_roles.assign(
        stage=deals.loc[world.contact_roles["OpportunityId"], "Deal Stage"].to_numpy()
    )
    size = roles.groupby("OpportunityId").size()
    stage = deals.loc[size.index, "Deal Stage"]
    assert size[stage.eq("Closed Won").to_numpy()].mean() == pytest.approx(5.7, abs=0.4)
    assert size[stage.eq("Closed Lost").to_numpy()].mean() < 4
    for role in world.truth["committee"]["planted_roles"]:
        has = (
            roles[roles["Role"] == role].groupby("OpportunityId").size().reindex(size.index).notna()
        )
        assert (
            has[stage.eq("Closed Won").to_numpy()].mean()
            > has[stage.eq("Closed Lost").to_numpy()].mean() + 0.3
        )
    assert (
        roles.groupby("OpportunityId")["IsPrimary"].apply(lambda s: (s == "true").sum()).eq(1).all()
    )


def test_lead_funnel_converts_more_in_segments(world: World) -> None:
    leads = world.leads.merge(world.latent[["account_id", "icp_segment", "anti_icp"]],
                              left_on="Converted Account ID", right_on="account_id", how="left")  # fmt: skip
    has_mql = world.leads["MQL Date"].notna()
    assert 0.2 < has_mql.mean() < 0.9
    converted = world.leads["Won Date"].notna()
    assert converted.sum() == len(world.outcomes)
    assert (world.leads.loc[converted, "Lead Status"] == "Closed - Converted").all()
    assert leads["account_id"].notna().sum() == converted.sum()
    # The converting lead's won date is the day its account's first deal closed.
    since = world.outcomes.set_index("Account ID")["Customer Since"]
    won = world.leads[converted]
    assert (
        pd.to_datetime(won["Won Date"], format="%m/%d/%Y").to_numpy()
        == pd.to_datetime(since.loc[won["Converted Account ID"]]).to_numpy()
    ).all()
    stages = ["Create Date", "MQL Date", "SQL Date", "Opportunity Date", "Won Date"]
    dates = world.leads[stages].apply(pd.to_datetime, format="%m/%d/%Y")
    for early, late in itertools.pairwise(stages):
        both = dates[early].notna() & dates[late].notna()
        assert (dates.loc[both, early] <= dates.loc[both, late]).all(), (early, late)


# --- files and errors ----------------------------------------------------------------------


def test_generate_writes_every_file(world: World, world_dir: Path) -> None:
    for name in FILES:
        assert (world_dir / name).stat().st_size > 0, name
    truth = json.loads((world_dir / "truth.json").read_text())
    assert truth["segments"] == json.loads(json.dumps(world.truth["segments"]))
    accounts = pd.read_csv(world_dir / "accounts.csv", dtype=str, keep_default_na=False)
    assert accounts.shape == world.accounts.shape
    assert (accounts["Id"] == world.accounts["Id"]).all()
    assert (
        accounts["NumberOfEmployees"].eq("").sum()
        == world.accounts["NumberOfEmployees"].isna().sum()
    )
    uni = pd.read_parquet(world_dir / "universe.parquet")
    assert len(uni) == len(world.universe)
    assert len(pd.read_csv(world_dir / "training.csv", dtype=str)) == len(world.training)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"n_accounts": 0}, "n_accounts"),
        ({"n_accounts": "10"}, "n_accounts"),
        ({"n_accounts": True}, "n_accounts"),
        ({"seed": -1}, "seed"),
        ({"n_universe": -3}, "n_universe"),
    ],
)
def test_bad_parameters_raise_config_error(kwargs: dict[str, object], word: str) -> None:
    with pytest.raises(ConfigError, match=word):
        make_world(**kwargs)  # type: ignore[arg-type]


def test_generate_into_a_file_is_an_error(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        generate(target, n_accounts=10)
    assert target.read_text() == "x"


def test_empty_universe_is_allowed() -> None:
    w = make_world(50, seed=0, n_universe=0)
    assert len(w.universe) == 0
    assert all(s["tam"] == 0 for s in w.truth["segments"])


# --- CLI -----------------------------------------------------------------------------------


def test_cli_writes_world(tmp_path: Path) -> None:
    out = tmp_path / "w"
    res = subprocess.run([ICP, "synth", str(out), "--accounts", "300", "--seed", "4", "--json"],
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["files"]["accounts.csv"]["rows"] == 300
    assert report["files"]["universe.parquet"]["rows"] == 3000
    assert Path(report["truth"]).exists()


def test_cli_table_output(tmp_path: Path) -> None:
    from icpkit.cli import commands  # noqa: F401
    from icpkit.cli._app import app

    out = tmp_path / "w"
    res = CliRunner().invoke(app, ["synth", str(out), "--accounts", "50", "--universe", "100"])
    assert res.exit_code == 0, res.output
    assert "accounts.csv" in res.output
    assert "truth.json" in res.output
    assert (out / "contact_roles.csv").exists()


def _main(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """Run the real console entry point (icpkit.cli.main) in process: exit code and stderr."""
    from icpkit.cli._app import main

    monkeypatch.setattr(sys, "argv", ["icp", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(
    "args", [["--accounts", "-5"], ["--accounts", "abc"], ["--universe", "-1"], ["--seed", "-2"]]
)
def test_cli_rejects_bad_args(
    tmp_path: Path,
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = _main(["synth", str(tmp_path / "w"), *args], monkeypatch, capsys)
    assert code == 2
    assert "Traceback" not in err
    assert not (tmp_path / "w").exists()


def test_cli_library_errors_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _main(["synth", str(tmp_path / "w"), "--accounts", "0"], monkeypatch, capsys)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "n_accounts" in lines[0]
    assert re.search(r"Got 0", lines[0])
    target = tmp_path / "taken"
    target.write_text("keep me")
    code, err = _main(["synth", str(target), "-n", "10"], monkeypatch, capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "not a folder" in err
    assert target.read_text() == "keep me"


def test_brand_parts_spell_unique_domains() -> None:
    # _latent numbers duplicate domains by an integer key over (head, tail, descriptor, TLD);
    # that is only right if distinct parts never spell the same text.
    from icpkit.synth._tables import BRAND_HEADS, BRAND_TAILS, DESCRIPTORS

    texts = [
        h.lower() + t + d.lower()
        for h in BRAND_HEADS
        for t in BRAND_TAILS
        for d in set(DESCRIPTORS)
    ]
    assert len(texts) == len(set(texts))
    assert not any(ch.isdigit() for ch in "".join(BRAND_HEADS + BRAND_TAILS + DESCRIPTORS))
    w = make_world(2000, seed=5, n_universe=30_000)
    assert w.latent_universe["domain"].is_unique


def test_planted_rules_survive_intake(world_dir: Path, world: World) -> None:
    # truth.json's rules are over the canonical columns intake produces from the raw exports:
    # applied to intake's normalised training.csv they select nearly the same accounts (the
    # difference is the planted mess: employee ranges, blanks).
    from icpkit.intake import load

    table = load(world_dir / "training.csv").table.to_pandas()
    assert len(table) == len(world.latent)
    for rule in (*SEGMENTS, *ANTI_ICP):
        planted, normalised = matches(world.latent, rule), matches(table, rule)
        jaccard = (planted & normalised).sum() / (planted | normalised).sum()
        assert jaccard > 0.75, rule.name


def test_nothing_happens_after_the_reference_date(world: World) -> None:
    today = pd.Timestamp(world.truth["reference_date"])
    closed = world.deals["Deal Stage"].isin(["Closed Won", "Closed Lost"])
    assert (pd.to_datetime(world.deals["Create Date"]) <= today).all()
    assert (pd.to_datetime(world.deals.loc[closed, "Close Date"]) <= today).all()
    assert (pd.to_datetime(world.deals.loc[~closed, "Close Date"]) > today).all()  # expected close
    assert (pd.to_datetime(world.accounts["CreatedDate"]).dt.tz_localize(None) <= today).all()
    for col in ("Create Date", "MQL Date", "SQL Date", "Opportunity Date", "Won Date"):
        assert (pd.to_datetime(world.leads[col], format="%m/%d/%Y").dropna() <= today).all()
    assert (pd.to_datetime(world.feedback["date"]) <= today).all()


def test_expansion_deals_follow_the_first_win(world: World) -> None:
    deals = world.deals.assign(created=pd.to_datetime(world.deals["Create Date"]))
    more = deals[deals["Deal Type"] == "Existing Business"]
    assert (more["Deal Stage"] == "Closed Won").all()
    expanded = set(world.outcomes.loc[world.outcomes["Expanded"] == "Yes", "Account ID"])
    assert set(more["Associated Company IDs"]) == expanded
    since = pd.to_datetime(world.outcomes.set_index("Account ID")["Customer Since"])
    assert (more["created"].to_numpy() > since.loc[more["Associated Company IDs"]].to_numpy()).all()


def test_lead_sources_lean_on_referrals_for_good_fit(world: World) -> None:
    leads = world.leads
    converted = leads["Won Date"].notna()
    referral = leads["Lead Source"].isin(["Partner Referral", "Employee Referral"])
    assert referral[converted].mean() > referral[~converted].mean() + 0.03
    assert (
        world.truth["lead_sources"]["high"]["Partner Referral"]
        > world.truth["lead_sources"]["low"]["Partner Referral"]
    )


def test_public_api_is_complete() -> None:
    import icpkit.synth as synth

    # (ruff's RUF022 keeps __all__ sorted, constants first)
    assert len(synth.__all__) == len(set(synth.__all__))
    public = {
        n for n in dir(synth) if not n.startswith("_") and n not in {"annotations", "feedback"}
    }
    assert set(synth.__all__) == public


def test_junk_cells_are_counted_and_intake_reports_them(world_dir: Path) -> None:
    # A few cells hold placeholders ('N/A', '-') or text that is not a value ('TBD'): truth
    # counts them, and intake's coercion report must say exactly that many became missing.
    from icpkit.intake import load

    truth = json.loads((world_dir / "truth.json").read_text())["junk"]["accounts.csv"]
    report = {c["column"]: c for c in load(world_dir / "accounts.csv").report["coercions"]}
    for column, counts in truth.items():
        assert counts["placeholders"] > 0
        assert counts["unreadable"] > 0
        assert report[column]["became_missing"] == counts["unreadable"], column
        assert sum(report[column]["placeholders"].values()) == counts["placeholders"], column


def test_world_repr_is_short() -> None:
    text = repr(make_world(20, seed=1, n_universe=40))
    assert text.startswith("World(accounts=20, ")
    assert "universe=40" in text
    assert "\n" not in text


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", n_accounts=200, seed=9, n_universe=500)
    b = generate(tmp_path / "b", n_accounts=200, seed=9, n_universe=500)
    for name in FILES:
        assert a[name].read_bytes() == b[name].read_bytes(), name


def test_failed_generate_leaves_previous_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import icpkit.synth._world as world_module

    paths = generate(tmp_path, n_accounts=30, seed=1, n_universe=50)
    before = {name: p.read_bytes() for name, p in paths.items()}
    real = world_module._write_csv

    def full_disk(frame: pd.DataFrame, path: Path) -> None:
        if path.name == "leads.csv":
            raise OSError(28, "No space left on device")
        real(frame, path)

    monkeypatch.setattr(world_module, "_write_csv", full_disk)
    with pytest.raises(OSError, match="No space"):
        generate(tmp_path, n_accounts=40, seed=2, n_universe=50)
    assert {name: p.read_bytes() for name, p in paths.items()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)  # no staging left
