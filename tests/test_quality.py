"""Data quality and decay, against hand-computed answers on a small fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from _helpers import icp
from icpkit.errors import ConfigError, ReadError
from icpkit.profile import load_profile
from icpkit.quality import (
    data_quality,
    decay_forecast,
    duplicates,
    normalize_domain,
    normalize_name,
)

FIX = Path(__file__).parent / "fixtures" / "analytics"


TODAY = "2026-01-01"


def test_normalize_domain_and_name() -> None:
    got = normalize_domain(
        pd.Series(
            ["https://www.Acme.com/about", "acme.com", "jo@sub.acme.co.uk", " WWW2.x.io:8080 ", ""]
        )
    )
    assert got.tolist()[:4] == ["acme.com", "acme.com", "sub.acme.co.uk", "x.io"]
    assert pd.isna(got.iloc[4])
    names = normalize_name(
        pd.Series(["Acme, Inc.", "ACME", "Procter & Gamble Co.", "Umbrella Corporation"])
    )
    assert names.tolist() == ["acme", "acme", "procter and gamble", "umbrella"]


def test_fill_variants_mixed_types() -> None:
    table, summary = data_quality(
        FIX / "accounts_quality.csv", load_profile(FIX / "profile.yaml"), today=TODAY
    )
    rows = table.set_index("column")
    assert rows.loc["employees", "fill_rate"] == 0.75  # 6 of 8
    assert rows.loc["industry", "fill_rate"] == 0.875  # 7 of 8
    assert rows.loc["domain", "filled"] == 6
    assert bool(rows.loc["employees", "low_fill"]) is True  # used by the profile and < 80%
    assert bool(rows.loc["domain", "low_fill"]) is False  # not used by the profile
    assert summary["profile_low_fill"] == ["employees"]
    # Rows not in the usual spelling: 1 'software' (3 'Software'), 1 of 'USA'/'usa'.
    assert summary["variant_columns"]["industry"] == 1
    assert summary["variant_columns"]["country"] == 1
    assert rows.loc["industry", "variant_example"] == "Software / software"
    assert summary["mixed_type_columns"] == {"employees": 1}  # '51-200'
    assert summary["rows"] == 8


def test_duplicates_by_domain_and_name() -> None:
    _, summary = data_quality(FIX / "accounts_quality.csv", today=TODAY)
    dup = summary["duplicates"]
    assert dup["domain"]["groups"] == 1
    assert dup["domain"]["extra_rows"] == 1
    assert dup["domain"]["examples"] == ["acme.com"]
    assert dup["name"]["groups"] == 2  # Acme Inc./ACME, Umbrella Corp/Corporation
    assert sorted(dup["name"]["examples"]) == ["acme", "umbrella"]
    assert duplicates(pd.DataFrame({"x": [1]})) == {"domain": None, "name": None, "email": None}
    emails = duplicates(pd.DataFrame({"email": ["Jo@acme.com ", "jo@acme.com", "al@acme.com"]}))
    assert (
        emails["email"]["extra_rows"] == 1
    )  # same address; same company domain is not a duplicate


def test_staleness_hand_computed() -> None:
    _, summary = data_quality(FIX / "accounts_quality.csv", today=TODAY, decay=0.03)
    st = summary["staleness"]
    assert st["column"] == "last_verified"
    assert st["undated"] == 1
    # ages 0,0,0,0 months, 365, 184 and 549 days: 1 - 0.97**m summed = 0.897, + 1 undated
    assert st["expected_stale_today"] == pytest.approx(1.9, abs=0.05)
    assert st["expected_stale_in_90_days"] > st["expected_stale_today"]


def test_decay_forecast_grows_with_rate_and_time() -> None:
    dates = pd.Series(pd.to_datetime(["2025-01-01"] * 100))
    table, summary = decay_forecast(dates, 0.03, today="2026-01-01")
    # 12 months at 3%/month: 1 - 0.97**12 = 30.6% of 100 records
    assert summary["expected_stale_today"] == pytest.approx(30.6, abs=0.3)
    assert table["expected_stale"].is_monotonic_increasing
    _, faster = decay_forecast(dates, 0.05, today="2026-01-01")
    assert faster["expected_stale_today"] > summary["expected_stale_today"]
    with pytest.raises(ConfigError, match="decay"):
        decay_forecast(dates, 3.0)


def test_impossible_values_in_memory() -> None:
    frame = pd.DataFrame({"employees": [10.0, -3.0], "founded_year": [2090, 1999]})
    _, summary = data_quality(frame, today=TODAY)
    assert summary["impossible_values"] == {
        "employees < 0": 1,
        "founded_year outside 1600..this year": 1,
    }


def test_missing_file() -> None:
    with pytest.raises(ReadError, match="not found"):
        data_quality(FIX / "nope.csv")


def test_cli_quality_json_and_errors(capsys) -> None:
    args = ["quality", FIX / "accounts_quality.csv", "--today", TODAY, "--json"]
    code, out, err = icp(capsys, *args)
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"]["duplicates"]["domain"]["extra_rows"] == 1
    assert len(data["table"]) == 7
    code, _, err = icp(capsys, *args, "--decay", "2")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "decay" in err


def test_quality_on_synthetic_accounts(world_dir: Path) -> None:
    from icpkit.profile import profile_from_dict

    truth = json.loads((world_dir / "truth.json").read_text())
    prof = profile_from_dict(
        {
            "segments": [
                {"name": s["name"], "conditions": s["conditions"]} for s in truth["segments"]
            ]
        }
    )
    _, summary = data_quality(world_dir / "accounts.csv", prof, today=truth["reference_date"])
    assert summary["rows"] == truth["n_accounts"]
    fill = {r["column"]: r for r in summary["profile_fill"]}
    assert set(fill) == {"industry", "employees", "tech_salesforce", "country", "tech_aws"}
    assert fill["industry"]["fill_rate"] > 0.9
    assert "NumberOfEmployees" in summary["mixed_type_columns"]  # planted ranges like '51-200'
    assert "Industry" in summary["variant_columns"]  # 'Software' / 'software'
    st = summary["staleness"]
    assert st["column"] == "last_verified"
    assert st["undated"] < st["records"]
    assert (
        st["undated"] < st["expected_stale_today"] < st["expected_stale_in_90_days"] < st["records"]
    )


@pytest.mark.parametrize("name", ["ravenstack_support_tickets.csv", "ravenstack_feature_usage.csv"])
def test_quality_on_ravenstack(name: str) -> None:
    path = Path("/work/shared/datasets/ravenstack_saas_synthetic") / name
    table, summary = data_quality(path)
    raw = pd.read_csv(path)
    assert summary["rows"] == len(raw)
    expected = 1 - raw.isna().mean()
    got = table.set_index("column")["fill_rate"]
    for col in raw.columns:
        assert got[col] == pytest.approx(expected[col], abs=1e-4)
    assert summary["staleness"]["column"] is None  # usage and tickets carry no verified date
    assert summary["duplicates"] == {"domain": None, "name": None, "email": None}


def test_quality_reads_excel(tmp_path: Path) -> None:
    frame = pd.read_csv(FIX / "accounts_quality.csv", dtype=str, keep_default_na=False)
    path = tmp_path / "accounts.xlsx"
    frame.to_excel(path, index=False)
    table, summary = data_quality(path, today=TODAY)
    assert summary["rows"] == 8
    assert table.set_index("column").loc["employees", "fill_rate"] == 0.75
    assert summary["duplicates"]["domain"]["extra_rows"] == 1


def test_used_by_profile_names_the_exported_columns(tmp_path: Path) -> None:
    # The profile reads industry and employees; a Salesforce export calls them Industry and
    # NumberOfEmployees. Both are "used by profile", not only exact-name matches.
    path = tmp_path / "sf.csv"
    path.write_text(
        "Id,Name,Industry,NumberOfEmployees,Fax\n"
        "1,Acme,Software,120,\n2,Beta,Retail,40,\n3,Gamma,Software,900,\n"
    )
    table, _ = data_quality(path, load_profile(FIX / "profile.yaml"))
    used = dict(zip(table["column"], table["used_by_profile"], strict=True))
    assert used == {
        "Id": False,
        "Name": False,
        "Industry": True,
        "NumberOfEmployees": True,
        "Fax": False,
    }


def test_amounts_are_not_spelling_variants_of_each_other(tmp_path: Path) -> None:
    path = tmp_path / "money.csv"
    path.write_text("name,revenue\nA,$1.96M\nB,$19.6M\nC,$196M\nD,USA\nE,U.S.A.\nF,USA\n")
    table, _ = data_quality(path)
    variants = dict(zip(table["column"], table["variant_rows"], strict=True))
    assert variants["revenue"] == 1  # 'U.S.A.' vs 'USA'; the three amounts are distinct


def test_staleness_is_measured_to_the_exports_own_latest_date(tmp_path: Path) -> None:
    # A 2021 export read years later: ages count to its latest date, not the machine's clock.
    path = tmp_path / "old.csv"
    dates = ["2021-06-30", "2021-06-01", "2021-05-01", "2021-03-31"]
    path.write_text("name,last_verified\n" + "\n".join(f"C{i},{d}" for i, d in enumerate(dates)))
    _, summary = data_quality(path, decay=0.03)
    stale = summary["staleness"]
    assert stale["today"] == "2021-06-30"
    assert stale["as_of"] == "latest date in the data"
    assert stale["expected_stale_today"] < 1.0  # ages of 0-3 months at 3% a month
    _, clock = data_quality(path, decay=0.03, today="2026-06-30")
    assert clock["staleness"]["expected_stale_today"] > 3.0
