"""`icp sql --columns crm` on a raw Salesforce-style export loaded as all-text columns.

The synthetic world's accounts.csv carries the messy values real exports do (employee
ranges, "$1.2M", "EUR 3 bn", country names, "Salesforce;AWS" lists, placeholders). The
query generated for the CRM's own column names must give every row the same icp_score and
icp_tier as `icp score` on the same file — in DuckDB and in PostgreSQL, and on the same
table renamed the way Fivetran (snake_case) or an export with UI labels names it.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from icpkit.intake import load
from icpkit.profile import Profile, profile_from_dict, save_profile
from icpkit.sources import record_sources, resolve_sources, snake_case
from icpkit.sql import build_query, render
from icpkit.stream import score_file

ICP = str(Path(sys.executable).with_name("icp"))

# Edges sit on values the export's shapes produce: '51-200' → 126, '1-1K' → 501,
# '1K-5K' → 3000, '$1.2M'-style amounts; tiers are spread so every tier occurs.
PROFILE: dict[str, Any] = {
    "intercept": 30,
    "attributes": [
        {"name": "industry", "kind": "categorical", "missing_points": -1, "bins": [
            {"values": ["Software", "Financial Services"], "points": 12},
            {"values": ["Education", "Government"], "points": -15},
            {"values": ["Other"], "points": -4},
        ]},
        {"name": "employees", "kind": "numeric", "missing_points": -3, "bins": [
            {"upper": 126, "points": -8}, {"lower": 126, "upper": 501, "points": 2},
            {"lower": 501, "upper": 3000, "points": 6}, {"lower": 3000, "points": 9},
        ]},
        {"name": "annual_revenue", "kind": "numeric", "missing_points": 1, "bins": [
            {"upper": 1200000, "points": -5}, {"lower": 1200000, "upper": 50000000, "points": 3},
            {"lower": 50000000, "points": 8},
        ]},
        {"name": "funding_total", "kind": "numeric", "bins": [
            {"upper": 5000000, "points": 1}, {"lower": 5000000, "points": 6},
        ]},
        {"name": "cloud_spend", "kind": "numeric", "bins": [
            {"upper": 1000, "points": -4}, {"lower": 1000, "upper": 20000, "points": 3},
            {"lower": 20000, "points": 7},
        ]},
        {"name": "country", "kind": "categorical", "bins": [
            {"values": ["US", "CA"], "points": 4}, {"values": ["DE", "GB", "NL"], "points": 2},
        ]},
        {"name": "tech_aws", "kind": "categorical", "missing_points": -2, "bins": [
            {"values": ["true"], "points": 5}, {"values": ["false"], "points": -1},
        ]},
        {"name": "tech_salesforce", "kind": "categorical", "bins": [
            {"values": ["true"], "points": 4},
        ]},
        {"name": "founded_year", "kind": "numeric", "bins": [
            {"upper": 2010, "points": 2}, {"lower": 2010, "points": -1},
        ]},
    ],
    "segments": [
        {"name": "Mid-market software", "points": 6, "conditions": [
            {"attribute": "industry", "in": ["Software"]},
            {"attribute": "employees", "ge": 126, "lt": 3000},
        ]},
        {"name": "Big spenders", "conditions": [{"attribute": "cloud_spend", "ge": 20000}]},
    ],
    "disqualifiers": [
        {"name": "Far away", "cap": 20, "conditions": [
            {"attribute": "region", "in": ["Asia-Pacific"]},
            {"attribute": "employees", "lt": 126},
        ]},
    ],
    "tiers": {"A": 60, "B": 45, "C": 30},
}  # fmt: skip


@pytest.fixture(scope="module")
def crm(world_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The export, the profile with its recorded sources, and `icp score`'s results by Id."""
    tmp = tmp_path_factory.mktemp("crm")
    accounts = world_dir / "accounts.csv"
    loaded = load(accounts)
    profile = record_sources(
        profile_from_dict(PROFILE), loaded.column_origin, loaded.kind, loaded.table.schema
    )
    path = save_profile(profile, tmp / "profile.yaml")
    scored = tmp / "scored.parquet"
    score_file(accounts, profile, scored, reasons=False)
    with accounts.open(encoding="utf-8") as f:
        ids = [r["Id"] for r in csv.DictReader(f)]
    out = pq.read_table(scored).select(["icp_score", "icp_tier"]).to_pylist()
    want = {i: (int(r["icp_score"]), r["icp_tier"]) for i, r in zip(ids, out, strict=True)}
    return {"accounts": accounts, "profile": profile, "path": path, "want": want, "tmp": tmp}


def _rows(got: list[tuple[Any, ...]]) -> dict[str, tuple[int, str]]:
    return {str(i): (int(s), str(t)) for i, s, t in got}


def test_profile_records_where_each_column_came_from(crm: dict[str, Any]) -> None:
    sources = crm["profile"].sources
    assert sources["employees"].column == "NumberOfEmployees"
    assert sources["employees"].kind == "employees"
    assert (sources["tech_aws"].column, sources["tech_aws"].item) == ("Technologies__c", "aws")
    assert (sources["region"].column, sources["region"].part) == ("BillingCountry", "region")
    assert sources["industry"].kind == "industry"


def test_duckdb_all_text_export_scores_like_icp_score(crm: dict[str, Any]) -> None:
    proc = subprocess.run(
        [ICP, "sql", str(crm["path"]), "--columns", "crm", "--table", "sf.account"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "warning: SQL reads some values of" in proc.stderr  # the inexact shapes are named
    assert proc.stdout.startswith("-- Generated by icpkit")
    assert "NumberOfEmployees: counts with decimals" in proc.stdout
    con = duckdb.connect()
    con.execute("CREATE SCHEMA sf")
    con.execute(
        "CREATE TABLE sf.account AS SELECT * FROM read_csv(?, all_varchar = true)",
        [str(crm["accounts"])],
    )
    got = con.execute(f'SELECT "Id", icp_score, icp_tier FROM ({proc.stdout.rstrip()[:-1]})')
    rows = _rows(got.fetchall())
    assert len(rows) == len(crm["want"]) == 3000
    assert rows == crm["want"]
    assert len({t for _, t in rows.values()}) == 4  # every tier occurs: the test can fail


def test_fivetran_snake_case_table_found_through_the_catalog(crm: dict[str, Any]) -> None:
    db = crm["tmp"] / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    with crm["accounts"].open(encoding="utf-8") as f:
        names = next(csv.reader(f))
    select = ", ".join(f'"{c}" AS "{snake_case(c)}"' for c in names)
    con.execute(
        f"CREATE TABLE account AS SELECT {select} FROM read_csv(?, all_varchar = true)",
        [str(crm["accounts"])],
    )
    con.close()
    proc = subprocess.run(
        [ICP, "sql", str(crm["path"]), "--columns", "crm", "--table", "account", "--db", str(db)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert '"number_of_employees"' in proc.stdout
    assert '"NumberOfEmployees"' not in proc.stdout
    con = duckdb.connect(str(db))
    got = con.execute(f"SELECT id, icp_score, icp_tier FROM ({proc.stdout.rstrip()[:-1]})")
    assert _rows(got.fetchall()) == crm["want"]


# Salesforce UI labels, as a report export writes its header.
LABELS = {
    "Id": "Account ID", "NumberOfEmployees": "Employees", "AnnualRevenue": "Annual Revenue",
    "BillingCountry": "Billing Country", "Industry": "Industry",
}  # fmt: skip


def test_postgres_all_text_export_with_labels_scores_like_icp_score(
    crm: dict[str, Any], postgres_url: str
) -> None:
    import psycopg

    profile: Profile = crm["profile"]
    with crm["accounts"].open(encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        data = list(reader)
    names = [LABELS.get(c, c) for c in header]
    sources = resolve_sources(profile, "crm", table_columns=names)
    assert sources is not None
    assert sources["employees"].column == "Employees"
    query = build_query(profile, "crm.account", dialect="postgres", sources=sources)
    assert "Employees" in query.inexact
    sql = render(query, "postgres")
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("DROP SCHEMA IF EXISTS crm CASCADE")
        con.execute("CREATE SCHEMA crm")
        quoted = [f'"{n}"' for n in names]
        con.execute(f"CREATE TABLE crm.account ({', '.join(q + ' text' for q in quoted)})")
        copy_sql = f"COPY crm.account ({', '.join(quoted)}) FROM STDIN"
        with con.cursor() as cur, cur.copy(copy_sql) as copy:
            for row in data:
                copy.write_row([v if v != "" else None for v in row])
        got = con.execute(f'SELECT "Account ID", icp_score, icp_tier FROM ({sql}) AS s').fetchall()
    assert _rows(got) == crm["want"]


DBT_PROJECT = """name: icp_demo
version: "1.0"
profile: icp_demo
model-paths: ["models"]
"""
DBT_PROFILES = """icp_demo:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: {path}
      threads: 1
"""
DBT_SOURCES = """version: 2
sources:
  - name: salesforce
    schema: main
    tables:
      - name: account
"""


def test_icp_dbt_model_builds_and_its_tests_pass(crm: dict[str, Any]) -> None:
    """`icp dbt` → `dbt build` with dbt-duckdb: the model runs, its schema tests pass, and
    the view's scores are `icp score`'s."""
    project = crm["tmp"] / "dbt"
    (project / "models").mkdir(parents=True)
    warehouse = project / "warehouse.duckdb"
    (project / "dbt_project.yml").write_text(DBT_PROJECT, encoding="utf-8")
    (project / "profiles.yml").write_text(DBT_PROFILES.format(path=warehouse), encoding="utf-8")
    (project / "models" / "sources.yml").write_text(DBT_SOURCES, encoding="utf-8")
    con = duckdb.connect(str(warehouse))
    con.execute(
        "CREATE TABLE account AS SELECT * FROM read_csv(?, all_varchar = true)",
        [str(crm["accounts"])],
    )
    con.close()
    subprocess.run(
        [ICP, "dbt", str(crm["path"]), "--model", "account_icp", "--source",
         "salesforce.account", "-o", str(project / "models")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    yml = (project / "models" / "account_icp.schema.yml").read_text(encoding="utf-8")
    assert "account_icp_tier_is_a_to_d" in yml
    assert "not_null" in yml
    # make test installs dbt in a virtualenv of its own (its pins clash with the test tools'),
    # and says where in ICPKIT_DBT.
    dbt = os.environ.get("ICPKIT_DBT") or str(Path(sys.executable).with_name("dbt"))
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    run = subprocess.run(
        [dbt, "build", "--project-dir", str(project), "--profiles-dir", str(project),
         "--no-version-check"],
        capture_output=True, text=True, env=env, cwd=project,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:]
    assert "PASS=6 WARN=0 ERROR=0" in run.stdout  # the model and its five data tests
    con = duckdb.connect(str(warehouse), read_only=True)
    got = con.execute('SELECT "Id", icp_score, icp_tier FROM account_icp').fetchall()
    assert _rows(got) == crm["want"]
