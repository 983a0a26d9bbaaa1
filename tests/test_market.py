"""Market sizing: hand-computed TAM/SAM, white space and ACV on a 6-company universe.

Scores under tests/fixtures/analytics/profile.yaml (intercept 10):
  1 Acme      Software, 300   -> 10+30+40+20 = 100 A  Mid-market software  US  in CRM (domain)
  2 Globex    Software, 100   -> 80 A                                       GB
  3 Initech   Education, 50   -> 20 D                                       US  in CRM (name; no domain)
  4 Hooli     Retail, 2000    -> 30 C  Enterprise                           DE
  5 Umbrella  Software, 3     -> 50, capped at 10 by "Tiny" -> D           US
  6 Vandelay  Software, n/a   -> 10+5+40 = 55 B                             US
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _helpers import icp
from icpkit.errors import ConfigError, SchemaError
from icpkit.market import MarketFilters, expected_acv, market_size, white_space
from icpkit.profile import load_profile
from icpkit.quality import normalize_domain

FIX = Path(__file__).parent / "fixtures" / "analytics"


@pytest.fixture(scope="module")
def profile():
    return load_profile(FIX / "profile.yaml")


@pytest.fixture(scope="module")
def universe() -> pd.DataFrame:
    return pd.read_csv(FIX / "universe.csv", dtype={"domain": "string"})


@pytest.fixture(scope="module")
def crm() -> pd.DataFrame:
    return pd.read_csv(FIX / "crm_accounts.csv", dtype={"domain": "string", "IsWon": "string"})


def _cell(table: pd.DataFrame, tier: str, segment: str | None, col: str):
    seg = table["segment"].isna() if segment is None else table["segment"] == segment
    return table.loc[(table["tier"] == tier) & seg, col].item()


def test_tam_by_tier_and_segment(universe, profile) -> None:
    table, summary = market_size(universe, profile)
    assert summary["tam"]["companies"] == 6
    assert {t: v["tam"] for t, v in summary["by_tier"].items()} == {"A": 2, "B": 1, "C": 1, "D": 2}
    assert summary["by_segment"]["Mid-market software"]["tam"] == 1
    assert summary["by_segment"]["Enterprise"]["tam"] == 1
    assert _cell(table, "D", None, "tam") == 2
    assert summary["in_crm"] is None  # no CRM given
    assert summary["tam"]["value"] is None  # no value basis given


def test_sam_filters_and_white_space(universe, crm, profile) -> None:
    table, summary = market_size(universe, profile, crm, where="country = 'US'", top=5)
    assert summary["sam"]["companies"] == 4  # Acme, Initech, Umbrella, Vandelay
    assert summary["in_crm"] == 2  # Acme by domain, Initech by name
    assert summary["white_space"]["companies"] == 2  # Umbrella, Vandelay
    assert [r["name"] for r in summary["white_space_top"]] == ["Vandelay", "Umbrella"]
    assert [r["icp_score"] for r in summary["white_space_top"]] == [55, 10]
    assert _cell(table, "A", "Mid-market software", "in_crm") == 1
    # Learned ACV: 2 won accounts (1000, 500), too few per tier -> overall mean 750.
    assert summary["expected_acv"]["overall_acv"] == 750.0
    assert summary["tam"]["value"] == 6 * 750
    assert summary["sam"]["value"] == 4 * 750
    filters = MarketFilters(countries=["US", "DE"], min_employees=100)
    _, by_filters = market_size(universe, profile, filters=filters)
    assert by_filters["sam"]["companies"] == 2  # Acme (300, US), Hooli (2000, DE)


def test_value_fixed_or_column(universe, profile) -> None:
    _, fixed = market_size(universe, profile, value="25,000")
    assert fixed["by_tier"]["A"]["tam_value"] == 50_000
    _, summed = market_size(universe, profile, value="employees")
    assert summed["tam"]["value"] == 300 + 100 + 50 + 2000 + 3
    assert summed["by_tier"]["C"]["tam_value"] == 2000


def test_expected_acv_by_tier_and_segment(profile) -> None:
    # 6 won tier-A software accounts at 300 employees (Mid-market software) and 5 won
    # tier-B ones (Software, 10 employees: 10+0+40=50 -> B).
    acc = pd.DataFrame(
        {
            "industry": ["Software"] * 11,
            "employees": [300] * 6 + [10] * 5,
            "acv": [100, 200, 300, 400, 500, 600, 10, 20, 30, 40, 50],
            "IsWon": ["true"] * 11,
        }
    )
    table, summary = expected_acv(profile, acc)
    assert summary["acv_by_tier"] == {"A": 350.0, "B": 30.0}
    row = table[(table["tier"] == "A") & (table["segment"] == "Mid-market software")].iloc[0]
    assert (row["acv"], row["basis"]) == (350.0, "segment")
    row_c = table[(table["tier"] == "C") & table["segment"].isna()].iloc[0]
    assert row_c["basis"] == "overall"
    assert row_c["acv"] == pytest.approx(sum(acc["acv"]) / 11)


def test_parquet_fast_path_and_csv(tmp_path, universe, crm, profile) -> None:
    path = tmp_path / "universe.parquet"
    pq.write_table(pa.Table.from_pandas(universe, preserve_index=False), path)
    _, summary = market_size(path, profile, crm, value=1, top=10)
    assert summary["read_path"].startswith("duckdb")
    assert summary["white_space"]["companies"] == 4
    top = summary["white_space_top"]
    assert [r["name"] for r in top] == ["Globex", "Vandelay", "Hooli", "Umbrella"]
    assert top[0]["domain"] == "https://www.globex.com/x"
    _, from_csv = market_size(FIX / "universe.csv", profile, crm, value=1)
    assert from_csv["white_space"] == summary["white_space"]
    ws, ws_summary = white_space(path, profile, crm, top=2)
    assert ws["name"].tolist() == ["Globex", "Vandelay"]
    assert ws_summary["white_space"]["companies"] == 4


def test_domain_keys_agree_between_sql_and_pandas(profile) -> None:
    messy = [
        "https://www.Acme.com/about",
        "ACME.com",
        "jo@acme.com",
        "www2.acme.com:8080",
        "acme.com.",
    ]
    uni = pd.DataFrame(
        {
            "name": [f"n{i}" for i in range(5)],
            "domain": messy,
            "industry": "Software",
            "employees": 300,
        }
    )
    crm = pd.DataFrame({"name": ["x"], "domain": ["acme.com"]})
    _, summary = market_size(uni, profile, crm, value=1)
    assert summary["in_crm"] == 5
    assert set(normalize_domain(pd.Series(messy))) == {"acme.com"}


def test_domain_and_name_keys_sql_equals_pandas() -> None:
    import duckdb
    from sqlglot import exp

    from icpkit.quality import domain_key_sql, name_key_sql, normalize_name

    domains = [
        "WWW.Acme.COM",
        "Www.acme.com/",
        " acme.com",
        "acme.com.",
        "http://a.b.io?x=1",
        "mailto:jo@x.org",
        "sub.Example.co.uk",
        "",
        "   ",
        None,
    ]
    names = ["Acme, Inc.", "ACME Corp", "Procter & Gamble Co.", "Umbrella Corporation", "", None]
    rows = max(len(domains), len(names))
    frame = pd.DataFrame(
        {"d": domains + [None] * (rows - len(domains)), "n": names + [None] * (rows - len(names))}
    )
    query = exp.select(
        exp.alias_(domain_key_sql(exp.column("d")), "dk"),
        exp.alias_(name_key_sql(exp.column("n")), "nk"),
    ).from_("frame")
    got = duckdb.sql(query.sql(dialect="duckdb")).df()
    want_d = normalize_domain(frame["d"]).tolist()
    want_n = normalize_name(frame["n"]).tolist()
    assert [None if pd.isna(v) else v for v in got["dk"]] == [
        None if pd.isna(v) else v for v in want_d
    ]
    assert [None if pd.isna(v) else v for v in got["nk"]] == [
        None if pd.isna(v) else v for v in want_n
    ]


def test_crm_account_without_domain_matches_by_name(universe, profile) -> None:
    crm = pd.DataFrame({"name": ["Hooli, Inc.", "Globex"], "domain": [None, "globex.com"]})
    _, summary = market_size(universe, profile, crm, value=1)
    # Hooli: CRM has no domain -> name match; Globex: URL normalised to globex.com.
    assert summary["in_crm"] == 2
    assert summary["by_tier"]["C"]["in_crm"] == 1


def test_bad_input_errors(universe, profile) -> None:
    with pytest.raises(ConfigError, match="where"):
        market_size(universe, profile, where="employees >=")
    with pytest.raises(ConfigError, match="Select is not allowed"):
        market_size(universe, profile, where="SELECT 1")
    with pytest.raises(ConfigError, match="is not allowed"):
        market_size(universe, profile, where="employees IN (SELECT 1)")
    with pytest.raises(ConfigError, match="Anonymous is not allowed"):
        market_size(universe, profile, where="getenv('HOME') = 'x'")
    _, ok = market_size(
        universe, profile, where="lower(industry) LIKE 'soft%' AND employees BETWEEN 100 AND 300"
    )
    assert ok["sam"]["companies"] == 2  # Acme (300), Globex (100)
    with pytest.raises(SchemaError, match="emploees"):
        market_size(universe, profile, where="emploees > 3")
    # A universe without a column the profile uses is sized with it missing, and says so.
    _, gaps = market_size(universe.drop(columns=["industry"]), profile)
    assert [g["column"] for g in gaps["missing_columns"]] == ["industry"]
    assert gaps["missing_columns"][0]["points_at_stake"] > 0
    assert "has no column for industry ('industry')" in gaps["warnings"][0]
    with pytest.raises(SchemaError, match="revenue"):
        market_size(universe, profile, value="revenue")


def test_cli_tam(capsys) -> None:
    args = ["tam", FIX / "universe.csv", "--profile", FIX / "profile.yaml"]
    code, out, err = icp(capsys, *args, "--value", "1000", "--country", "US,DE", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"]["sam"]["companies"] == 5
    assert data["summary"]["tam"]["value"] == 6000
    code, _, err = icp(capsys, *args, "--where", "nope >")
    assert code == 2
    assert len(err.strip().splitlines()) == 1


DATASETS = Path("/work/shared/datasets")


@pytest.mark.parametrize(
    ("path", "profile_file", "where"),
    [
        (DATASETS / "inc5000_2019" / "inc5000-2019.csv", "profile.yaml", "state = 'CA'"),
        (DATASETS / "fortune1000_2021" / "Fortune_1000.csv", "profile.yaml", "employees >= 10000"),
        (
            DATASETS / "crunchbase_2013" / "crunchbase-companies.csv",
            "profile_funding.yaml",
            "state = 'CA'",
        ),
    ],
    ids=["inc5000", "fortune1000", "crunchbase"],
)
def test_shared_universes_match_reference_scorer(path: Path, profile_file: str, where: str) -> None:
    from icpkit.intake import load
    from icpkit.scoring import score_table

    prof = load_profile(FIX / profile_file)
    _, summary = market_size(path, prof, where=where)
    assert summary["read_path"].startswith("intake")  # raw export: mapped first
    table = load(str(path), kind="universe").table
    reference = score_table(prof, table).column("icp_tier").to_pandas().value_counts()
    assert summary["universe_companies"] == table.num_rows
    got = {t: v["tam"] for t, v in summary["by_tier"].items()}
    assert got == {str(t): int(n) for t, n in reference.items()}  # DuckDB SQL == reference engine
    assert 0 < summary["sam"]["companies"] < table.num_rows


def _planted_profile(truth: dict) -> object:
    from icpkit.profile import profile_from_dict

    return profile_from_dict(
        {
            "name": "Planted ICP",
            "segments": [
                {"name": s["name"], "conditions": s["conditions"], "points": 100}
                for s in truth["segments"]
            ],
            "disqualifiers": [
                {"name": a["name"], "conditions": a["conditions"], "cap": 0}
                for a in truth["anti_icp"]
            ],
        }
    )


def test_tam_recovers_planted_segments(world_dir: Path) -> None:
    truth = json.loads((world_dir / "truth.json").read_text())
    prof = _planted_profile(truth)
    _, summary = market_size(
        world_dir / "universe.parquet",
        prof,
        world_dir / "accounts.csv",
        deals=world_dir / "deals.csv",
    )
    planted_tam = sum(s["tam"] for s in truth["segments"])
    # Messy exports lose some values (ranges, blanks), so close, not equal.
    assert summary["by_tier"]["A"]["tam"] == pytest.approx(planted_tam, rel=0.12)
    for seg in truth["segments"]:
        got = summary["by_segment"][seg["name"]]
        assert got["tam"] == pytest.approx(seg["tam"], rel=0.12)
        assert got["white_space"] == pytest.approx(seg["tam_not_in_crm"], rel=0.12)
    assert summary["in_crm"] == pytest.approx(truth["universe"]["overlap_accounts"], rel=0.05)
    # ICP customers are worth more: learned ACV of tier A is above tier D's.
    acv = summary["expected_acv"]["acv_by_tier"]
    assert acv["A"] > acv["D"]
    assert summary["white_space_top"][0]["icp_score"] == 100
