"""SQL generation: same scores as the reference engine, safe quoting, every dialect renders."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
import sqlglot

from icpkit.errors import ConfigError
from icpkit.profile import profile_from_dict
from icpkit.scoring import score_table
from icpkit.sql import DIALECTS, column_types_from_arrow, score_query, score_sql

EVIL = "O'Brien\"; DROP TABLE x;--"

PROFILE = {
    "intercept": 10,
    "attributes": [
        {
            "name": "employees",
            "kind": "numeric",
            "bins": [
                {"upper": 50, "points": 0},
                {"lower": 50, "upper": 1000, "points": 30},
                {"lower": 1000, "points": 20},
            ],
            "missing_points": 5,
            "other_points": -3,
        },
        {
            "name": "industry",
            "kind": "categorical",
            "bins": [
                {"values": ["software", EVIL], "points": 40},
                {"values": ["education"], "points": -20},
            ],
            "other_points": 2,
            "missing_points": 1,
        },
        {
            "name": "uses salesforce",
            "kind": "categorical",
            "bins": [{"values": ["true"], "points": 7}],
        },
    ],
    "segments": [
        {
            "name": EVIL,
            "conditions": [
                {"attribute": "industry", "in": ["software", EVIL]},
                {"attribute": "employees", "ge": 200},
            ],
            "points": 20,
        },
        {"name": "Others", "conditions": [{"attribute": "industry", "not_in": ["software"]}]},
    ],
    "disqualifiers": [
        {"name": "Tiny", "conditions": [{"attribute": "employees", "lt": 5}], "cap": 10},
    ],
}


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "employees": [300.0, 50.0, None, 2000.0, 3.0, 49.999, float("nan"), -1.0],
            "industry": ["software", "retail", "education", "", EVIL, None, "x", "software"],
            "uses salesforce": [True, False, None, True, True, False, True, None],
        }
    )


@pytest.mark.parametrize("typed", [True, False])
def test_duckdb_matches_reference(typed: bool) -> None:
    profile = profile_from_dict(PROFILE)
    table = pa.Table.from_pandas(_frame(), preserve_index=False)
    types = column_types_from_arrow(table.schema) if typed else None
    con = duckdb.connect()
    con.register("accounts", table)
    got = con.sql(score_sql(profile, "accounts", column_types=types)).to_arrow_table()
    want = score_table(profile, table)
    assert got.column_names == [*table.column_names, "icp_score", "icp_tier", "icp_segment"]
    for name in ("icp_score", "icp_tier", "icp_segment"):
        assert got.column(name).to_pylist() == want.column(name).to_pylist(), name
    # The evil value is data: it scored as software, and the table is still there.
    assert got.column("icp_segment").to_pylist()[4] == "Others"  # 3 employees < 200
    assert con.sql("select count(*) from accounts").fetchall() == [(8,)]


def test_text_columns_are_read_as_numbers_by_one_pattern() -> None:
    profile = profile_from_dict(PROFILE)
    texts = [" 300 ", "5e1", "1,000", "abc", "", "-inf", "Infinity", ".5", "true", "1e3"]
    table = pa.table(
        {
            "employees": pa.array(texts),
            "industry": pa.array(["retail"] * len(texts)),
            "uses salesforce": pa.array(["false"] * len(texts)),
        }
    )
    got = duckdb.sql(score_sql(profile, "table")).to_arrow_table()
    want = score_table(profile, table)
    assert got.column("icp_score").to_pylist() == want.column("icp_score").to_pylist()
    # ' 300 ' -> 30, '5e1' = 50 -> 30, '1,000' and 'abc' and '' missing -> 5, '-inf' -> 0,
    # 'Infinity' -> 20, '.5' -> 0 (capped at 10 anyway), 'true' = 1 -> 0, '1e3' -> 20
    assert got.column("icp_score").to_pylist() == [42, 42, 17, 17, 17, 10, 32, 10, 10, 32]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_renders_and_parses_back(dialect: str) -> None:
    profile = profile_from_dict(PROFILE)
    sql = score_sql(profile, "crm.accounts", dialect=dialect)
    tree = sqlglot.parse_one(sql, read=dialect)
    assert tree.find(sqlglot.exp.Drop) is None  # the evil value stayed a string
    names = {a.alias for a in tree.find_all(sqlglot.exp.Alias)}
    assert {"icp_score", "icp_tier", "icp_segment"} <= names
    view = score_sql(profile, "crm.accounts", dialect=dialect, view="crm.scored")
    assert view.upper().startswith("CREATE")
    assert isinstance(sqlglot.parse_one(view, read=dialect), sqlglot.exp.Create)


def test_postgres_reads_text_numbers_without_try_cast() -> None:
    profile = profile_from_dict(PROFILE)
    sql = score_sql(profile, "t", dialect="postgres", pretty=False)
    assert "TRY_CAST" not in sql.upper()
    assert "~" in sql  # the regex guards the plain CAST


def test_score_query_is_a_tree() -> None:
    tree = score_query(profile_from_dict(PROFILE), "t")
    assert isinstance(tree, sqlglot.exp.Select)


def test_unknown_dialect_and_bad_table_are_config_errors() -> None:
    profile = profile_from_dict(PROFILE)
    with pytest.raises(ConfigError, match="unknown SQL dialect 'oracle'"):
        score_sql(profile, "t", dialect="oracle")
    with pytest.raises(ConfigError, match="invalid table name"):
        score_sql(profile, "a..b")
