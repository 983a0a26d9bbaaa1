"""`icp score` and `icp sql` end to end: streaming files, atomic output, scoring in a database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from icpkit.profile import load_profile
from icpkit.scoring import score_table
from icpkit.stream import estimate_rows, score_file

PROFILE = """
intercept: 10
attributes:
  - name: employees
    kind: numeric
    label: Employees
    bins:
      - {upper: 50, points: 0}
      - {lower: 50, upper: 1000, points: 30}
      - {lower: 1000, points: 20}
    missing_points: 5
  - name: industry
    kind: categorical
    label: Industry
    bins:
      - {values: [Software], points: 40}
      - {values: [Education], points: -20}
segments:
  - name: Mid-market software
    conditions:
      - {attribute: industry, in: [Software]}
      - {attribute: employees, ge: 200}
    points: 5
"""

RAW_CSV = (
    "Account Name,Industry,NumberOfEmployees,BillingCountry\n"
    'Acme,Computer Software,"1,200",USA\n'
    "Beta,Education,51-200,Germany\n"
    "Gamma,,,\n"
)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "profile.yaml").write_text(PROFILE, encoding="utf-8")
    (tmp_path / "accounts.csv").write_text(RAW_CSV, encoding="utf-8")
    return tmp_path


def _run(*args: str) -> tuple[int, str, str]:
    """The real `icp` entry point (its main() turns library errors into exit code 2)."""
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("icp")), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_raw_crm_export_is_normalised_and_keeps_original_columns(files: Path) -> None:
    out = files / "scored.csv"
    code, stdout, _ = _run(
        "score",
        str(files / "accounts.csv"),
        "--profile",
        str(files / "profile.yaml"),
        "-o",
        str(out),
    )
    assert code == 0, stdout
    table = pacsv.read_csv(out)
    assert table.column_names == [
        "Account Name", "Industry", "NumberOfEmployees", "BillingCountry",
        "icp_score", "icp_tier", "icp_segment", "icp_reasons",
    ]  # fmt: skip
    assert table.column("NumberOfEmployees").to_pylist() == ["1,200", "51-200", ""]
    # Acme: 10 + 20 (1,200 employees) + 40 (Software) + 5 (segment) = 75
    # Beta: 10 + 30 (51-200 read as a number in 50..1000) - 20 = 20; Gamma: 10 + 5 = 15
    assert table.column("icp_score").to_pylist() == [75, 20, 15]
    assert table.column("icp_tier").to_pylist() == ["A", "D", "D"]
    assert table.column("icp_segment").to_pylist() == ["Mid-market software", "", ""]
    reasons = table.column("icp_reasons").to_pylist()
    assert (
        reasons[0]
        == "Industry is Software (+40); Employees 1,000+ (+20); segment Mid-market software (+5)"
    )
    assert reasons[1] == "Employees 50–1,000 (+30); Industry is Education (−20)"
    assert "scored 3 rows" in stdout


def test_parquet_streams_in_batches_and_matches_in_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 10_000
    employees = rng.lognormal(5, 2, n)
    employees[::17] = np.nan
    source = pa.table(
        {
            "employees": employees,
            "industry": rng.choice(["Software", "Education", "Retail", ""], n),
            "id": np.arange(n),
        }
    )
    pq.write_table(source, tmp_path / "in.parquet", row_group_size=3000)
    (tmp_path / "p.yaml").write_text(PROFILE, encoding="utf-8")
    profile = load_profile(tmp_path / "p.yaml")
    seen: list[tuple[int, int | None]] = []
    report = score_file(
        tmp_path / "in.parquet",
        profile,
        tmp_path / "out.parquet",
        normalize=False,
        batch_rows=1000,
        progress=lambda done, total: seen.append((done, total)),
    )
    got = pq.read_table(tmp_path / "out.parquet")
    want = score_table(profile, source)
    assert got.column("id").to_pylist() == list(range(n))
    for name in ("icp_score", "icp_tier", "icp_segment"):
        assert got.column(name).to_pylist() == want.column(name).to_pylist()
    assert report["rows"] == n
    assert sum(report["tiers"].values()) == n
    assert len(seen) >= 10
    assert seen[-1] == (n, n)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_failed_run_leaves_no_file(files: Path) -> None:
    (files / "bad.yaml").write_text(
        "attributes:\n  - {name: funding_total, kind: numeric, bins: [{points: 1}]}\n",
        encoding="utf-8",
    )
    out = files / "scored.parquet"
    out.write_bytes(b"old")
    code, _, stderr = _run(
        "score", str(files / "accounts.csv"), "--profile", str(files / "bad.yaml"), "-o", str(out)
    )
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1
    assert "funding_total" in stderr
    assert out.read_bytes() == b"old"  # the previous output is untouched
    assert sorted(p.name for p in files.iterdir()) == [
        "accounts.csv", "bad.yaml", "profile.yaml", "scored.parquet",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "x.txt"], "Name the output .csv or .parquet"),
        (["-o", "x.csv", "--batch-rows", "0"], "batch_rows must be an int >= 1"),
        ([], "give a file to score and -o OUTPUT"),
    ],
)
def test_bad_options_are_one_line(files: Path, args: list[str], message: str) -> None:
    code, _, stderr = _run(
        "score", str(files / "accounts.csv"), "--profile", str(files / "profile.yaml"), *args
    )
    assert code == 2
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_score_inside_duckdb(files: Path) -> None:
    db = files / "crm.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE accounts AS SELECT * FROM (VALUES (1200.0, 'Software'), (NULL, 'Retail'))"
        " AS t(employees, industry)"
    )
    con.close()
    code, stdout, _ = _run(
        "score",
        "--db",
        str(db),
        "--table",
        "accounts",
        "--profile",
        str(files / "profile.yaml"),
        "--json",
    )
    assert code == 0, stdout
    assert '"rows": 2' in stdout
    with duckdb.connect(str(db)) as con:
        rows = con.sql(
            "SELECT icp_score, icp_tier FROM accounts_scored ORDER BY icp_score"
        ).fetchall()
    assert rows == [(15, "D"), (75, "A")]
    # Running again without --replace refuses to overwrite.
    code, _, stderr = _run(
        "score", "--db", str(db), "--table", "accounts", "--profile", str(files / "profile.yaml")
    )
    assert code == 2
    assert "--replace" in stderr
    # Scoring a table into itself would drop the source first: refused, source kept.
    code, _, stderr = _run(
        "score", "--db", str(db), "--table", "accounts", "--into", "accounts", "--replace",
        "--profile", str(files / "profile.yaml"),
    )  # fmt: skip
    assert code == 2
    assert "is the table being scored" in stderr
    with duckdb.connect(str(db)) as con:
        assert con.sql("SELECT count(*) FROM accounts").fetchall() == [(2,)]


def test_icp_sql_prints_a_query_duckdb_runs(files: Path) -> None:
    code, stdout, _ = _run(
        "sql", str(files / "profile.yaml"), "--table", "accounts", "--type", "employees=float"
    )
    assert code == 0
    con = duckdb.connect()
    con.execute("CREATE TABLE accounts AS SELECT 300.0 AS employees, 'Software' AS industry")
    assert con.sql(stdout.strip().rstrip(";")).fetchall() == [
        (300.0, "Software", 85, "A", "Mid-market software")
    ]
    code, stdout, _ = _run(
        "sql", str(files / "profile.yaml"), "--view", "scored", "--dialect", "spark"
    )
    assert code == 0
    assert stdout.startswith("CREATE OR REPLACE VIEW `scored`")
    code, _, stderr = _run("sql", str(files / "profile.yaml"), "--dialect", "oracle")
    assert code == 2
    assert "unknown SQL dialect" in stderr


def test_estimate_rows(files: Path) -> None:
    assert estimate_rows(files / "accounts.csv") in range(2, 5)
    assert estimate_rows(files / "missing.csv") is None


ABSENT_PROFILE = {
    "intercept": 40,
    "attributes": [
        {
            "name": "industry",
            "kind": "categorical",
            "bins": [{"values": ["Software"], "points": 20}, {"values": ["Retail"], "points": -5}],
        },
        {
            "name": "tech_aws",
            "kind": "categorical",
            "missing_points": -3,
            "bins": [{"values": ["true"], "points": 12}, {"values": ["false"], "points": 0}],
        },
        {
            "name": "employees",
            "kind": "numeric",
            "missing_points": 1,
            "bins": [{"upper": 100, "points": -4}, {"lower": 100, "points": 8}],
        },
    ],
}


def test_a_file_lacking_profile_columns_scores_them_as_missing_like_the_api(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 15: `icp score` stopped on a file with no technology list; the API scores the
    absent attributes as missing. One rule for both, and a warning names what was absent."""
    import yaml

    from _helpers import icp
    from icpkit.profile import profile_from_dict
    from icpkit.service.scoring import score_records

    profile_path = tmp_path / "profile.yaml"
    profile_path.write_text(yaml.safe_dump(ABSENT_PROFILE), encoding="utf-8")
    records = [{"Name": "A", "Industry": "Software"}, {"Name": "B", "Industry": "Retail"}]
    source = tmp_path / "accounts.csv"
    source.write_text("Name,Industry\nA,Software\nB,Retail\n", encoding="utf-8")
    out = tmp_path / "scored.csv"
    code, stdout, err = icp(capsys, "score", source, "-p", profile_path, "-o", out)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert [w.split(": every row")[0] for w in warnings] == [
        "warning: the input has no column for employees ('employees')",
        "warning: the input has no column for uses AWS ('tech_aws')",
    ]
    assert all("scored as missing it (up to" in w for w in warnings)
    scored = pacsv.read_csv(out)
    api = score_records(profile_from_dict(ABSENT_PROFILE), records)
    assert scored["icp_score"].to_pylist() == api.scores
    assert sorted(api.missing_columns) == ["employees", "tech_aws"]
    # 40 + industry + (-3 for no AWS known) + (1 for no head count): points, not a refusal
    assert scored["icp_score"].to_pylist() == [40 + 20 - 3 + 1, 40 - 5 - 3 + 1]
    code, stdout, _ = icp(capsys, "score", source, "-p", profile_path, "-o", out, "--json")
    assert code == 0
    import json

    assert json.loads(stdout)["missing_columns"] == ["employees", "tech_aws"]


def test_a_technology_list_without_the_item_scores_false_not_missing(tmp_path: Path) -> None:
    """The list is there but no row names AWS: a known 'no', as the API reads it."""
    from icpkit.profile import profile_from_dict
    from icpkit.service.scoring import score_records

    profile = profile_from_dict(ABSENT_PROFILE)
    source = tmp_path / "accounts.csv"
    source.write_text(
        "Name,Industry,Employees,Technologies\nA,Software,500,Salesforce;Slack\nB,Retail,20,\n",
        encoding="utf-8",
    )
    report = score_file(source, profile, tmp_path / "scored.parquet")
    assert report["missing_columns"] == []
    got = pq.read_table(tmp_path / "scored.parquet")["icp_score"].to_pylist()
    records = [
        {"Name": "A", "Industry": "Software", "Employees": 500, "Technologies": "Salesforce;Slack"},
        {"Name": "B", "Industry": "Retail", "Employees": 20, "Technologies": None},
    ]
    assert got == score_records(profile, records).scores
    assert got == [40 + 20 + 0 + 8, 40 - 5 - 3 - 4]


def test_a_file_with_none_of_the_profile_columns_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing the profile reads: surely the wrong file, not a row of missing values each."""
    import yaml

    from _helpers import icp

    profile_path = tmp_path / "profile.yaml"
    profile_path.write_text(yaml.safe_dump(ABSENT_PROFILE), encoding="utf-8")
    source = tmp_path / "tickets.csv"
    source.write_text("Ticket,Subject\n1,Login fails\n", encoding="utf-8")
    code, _, err = icp(capsys, "score", source, "-p", profile_path, "-o", tmp_path / "o.csv")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "has none of the columns the profile reads" in err
    assert not (tmp_path / "o.csv").exists()
