"""SQL generation: same scores as the reference engine, safe quoting, every dialect renders."""

from __future__ import annotations

import itertools
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from icpkit.errors import ConfigError
from icpkit.profile import Profile, profile_from_dict
from icpkit.scoring import NUMBER_PATTERN, SPACES, read_number, score_table
from icpkit.sql import DIALECTS, _str, column_types_from_arrow, score_query, score_sql

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


# --- literals: any code point stays data ---------------------------------------------------

C0 = [chr(c) for c in range(32)]


def _category_profile(values: list[str]) -> dict[str, object]:
    return {
        "attributes": [
            {
                "name": "industry",
                "kind": "categorical",
                "bins": [{"values": values, "points": 40}],
                "other_points": 5,
            }
        ],
        "segments": [{"name": f"seg{C0[1]}", "conditions": [{"attribute": "industry",
                                                          "not_in": values}]}],
    }  # fmt: skip


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_control_character_and_lone_surrogate_is_escaped(dialect: str) -> None:
    values = [f"a{c}b" for c in C0]
    # Profile files with control characters are refused at load (icp sql says so); a profile
    # built in code reaches the writer unchecked, which must still be safe on its own.
    sql = score_sql(
        Profile.model_validate(_category_profile(values)), "t", dialect=dialect, pretty=False
    )
    assert not any(c in sql for c in C0)  # no control character written raw
    # Profiles cannot hold lone surrogates (pydantic refuses them); the literal writer
    # still never emits one, so a file of SQL can always be saved as UTF-8.
    for text in ["x\ud800y", "\udfff", "a\x00\ud83d"]:
        literal = _str(text).sql(dialect=dialect)
        literal.encode("utf-8")
        assert "\ufffd" in literal
        assert not any(c in literal for c in C0)
    tree = sqlglot.parse_one(sql, read=dialect)
    assert tree.find(sqlglot.exp.Drop) is None
    assert "CHR(0)" in sql.upper() or "CHAR(0)" in sql.upper() or dialect == "postgres"


def test_control_characters_still_match_in_duckdb() -> None:
    values = [f"a{c}b" for c in C0[1:]]
    profile = Profile.model_validate(_category_profile(values))
    table = pa.table({"industry": pa.array([*values, "ab", None, "a\x01"])})
    con = duckdb.connect()
    con.register("t", table)
    got = con.sql(score_sql(profile, "t")).to_arrow_table()
    want = score_table(profile, table)
    assert got.column("icp_score").to_pylist() == want.column("icp_score").to_pylist()
    assert got.column("icp_score").to_pylist()[:31] == [40] * 31  # each one matched


def test_nul_byte_cannot_smuggle_sql_into_psql(postgres_url: str, tmp_path: Path) -> None:
    """The attack: a NUL ends psql's line, so a payload after it ran as SQL (issue 15)."""
    import psycopg

    from pg_cluster import find_pg_bindir

    payload = "'); DROP TABLE victim; --"
    profile = _category_profile(["Software", "é\0", payload])
    path = tmp_path / "p.yaml"
    import yaml

    path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    icp = str(Path(sys.executable).with_name("icp"))
    refused = subprocess.run(
        [icp, "sql", str(path), "--dialect", "postgres", "--table", "accounts"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert refused.returncode == 2  # first layer: the profile file is refused at load
    assert "control character" in refused.stderr
    assert "Traceback" not in refused.stderr
    # Second layer: the SQL writer on a profile built in code.
    out = score_sql(Profile.model_validate(profile), "accounts", dialect="postgres").encode()
    assert b"\0" not in out  # the NUL is not written raw
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS victim; DROP TABLE IF EXISTS accounts")
        con.execute("CREATE TABLE victim (x int); CREATE TABLE accounts (industry text)")
        con.execute("INSERT INTO accounts VALUES ('Software'), ('é'), (%s), (NULL)", [payload])
    sql_file = tmp_path / "score.sql"
    sql_file.write_bytes(out)
    bindir = find_pg_bindir()
    assert bindir is not None
    run = subprocess.run(
        [str(bindir / "psql"), postgres_url, "-v", "ON_ERROR_STOP=1", "-At", "-f", str(sql_file)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "Software|40|C|",
        "é|5|D|seg\x01",
        f"{payload}|40|C|",
        "|0|D|",
    ]
    with psycopg.connect(postgres_url, autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM victim").fetchone() == (0,)  # still there


def _odd_texts() -> list[str]:
    """A battery of three-piece texts: signs, dots, exponents, inf/nan, underscores, control
    whitespace, unicode digits, the characters around digits ('/', ':') (DuckDB's TRY_CAST
    alone would accept '1_000', '+-1' and 'nan'; PostgreSQL's and Spark's CAST fail on most
    of them)."""
    parts = ["", "1", "12", ".", "5.", ".5", "e", "E", "e5", "e+5", "+", "-", "inf",
             "Infinity", "nan", "NaN", "_", "1_000", "0x10", " ", "\t", "\n", "\r", "\x0b",
             "\x0c", "\u00a0", "١٢", "d", "infin", "1e", "1.e5", "0", "1,0", "∞", "true",
             "false", "+-", "/", ":"]  # fmt: skip
    return sorted({a + b + c for a in parts for b in parts for c in parts})


def _beyond_double(text: str) -> bool:
    """A number by the pattern whose value overflows a double ('1e512')."""
    if not re.fullmatch(NUMBER_PATTERN, text) or "inf" in text.lower():
        return False
    return math.isinf(float(text))


def test_duckdb_try_cast_reads_more_than_the_pattern_only_in_three_ways() -> None:
    """Where DuckDB's TRY_CAST reads a text the pattern does not, or differently: an
    underscore between digits ('1_000'), a '+' before the '-' ('+-1') and NaN ('nan',
    missing anyway). The generated query casts every text and reads exactly these as
    missing: NaN, a '_' in the text, or a negative value whose text holds '+-'."""
    texts = _odd_texts()
    con = duckdb.connect()
    con.register("t", pa.table({"txt": pa.array(texts)}))
    cast = [got for (got,) in con.sql("SELECT TRY_CAST(txt AS DOUBLE) FROM t").fetchall()]
    reference = read_number(pa.array(texts))
    differ = [
        t
        for t, got, want in zip(texts, cast, reference, strict=True)
        if got is not None and t not in ("true", "false") and not math.isnan(got)
        and not (got == want or (math.isnan(want) and math.isnan(got)))
    ]  # fmt: skip
    assert len(differ) > 50  # the battery holds such texts
    for t in differ:
        assert "_" in t or t.lstrip(SPACES).startswith("+-"), repr(t)
    nan = [t for t, got in zip(texts, cast, strict=True) if got is not None and math.isnan(got)]
    assert nan
    assert all("nan" in t.lower() for t in nan)
    # The rule the query follows: the cast's value where it is a number and none of the three.
    for t, got, want in zip(texts, cast, reference, strict=True):
        kept = got is not None and not math.isnan(got) and "_" not in t
        kept = kept and not (math.copysign(1.0, got) < 0 and "+-" in t)
        if t in ("true", "false"):
            continue
        if kept:
            assert got == want, repr(t)
        else:
            assert math.isnan(want), repr(t)  # missing in the reference engine too


def _edge_profile() -> Profile:
    """One numeric attribute read from text, with edges that split the odd texts' values."""
    edges = [-1e5, -1.0, -0.5, 0.0, 0.5, 1.0, 5.0, 12.0, 1e5, 1e15]  # 1e15: the profile cap
    bins = [{"upper": edges[0], "points": 1}] + [
        {"lower": lo, "upper": hi, "points": i + 2}
        for i, (lo, hi) in enumerate(itertools.pairwise(edges))
    ]
    bins.append({"lower": edges[-1], "points": 30})
    # Segments and a cap over ranges holding 1 ('true') and 0 ('false'), and -1 ('+-1' if
    # misread): conditions read the text as the points do.
    segments = [
        {"name": "one", "conditions": [{"attribute": "txt", "ge": 0.5, "lt": 5.0}], "points": 50},
        {"name": "zero", "conditions": [{"attribute": "txt", "ge": -0.5, "lt": 0.5}], "points": 45},
    ]
    cap = [{"name": "negative", "conditions": [{"attribute": "txt", "lt": -0.5}], "cap": 2}]
    return profile_from_dict(
        {
            "attributes": [{"name": "txt", "kind": "numeric", "bins": bins, "missing_points": 40}],
            "segments": segments,
            "disqualifiers": cap,
        }
    )


def _misread(texts: list[str], got: list[int]) -> list[str]:
    """The texts an engine scores differently from the reference engine."""
    table = pa.table({"txt": pa.array(texts)})
    want = score_table(_edge_profile(), table).column("icp_score").to_pylist()
    assert len(set(want)) > 8  # the texts really spread over the bins
    return [t for t, g, w in zip(texts, got, want, strict=True) if g != w]


def test_duckdb_reads_odd_text_as_the_pattern_does() -> None:
    texts = _odd_texts()
    con = duckdb.connect()
    con.register("t", pa.table({"txt": pa.array(texts)}))
    got = con.sql(score_sql(_edge_profile(), "t")).to_arrow_table()
    assert _misread(texts, got.column("icp_score").to_pylist()) == []


def test_postgres_reads_odd_text_as_the_pattern_does(postgres_url: str) -> None:
    import psycopg

    # PostgreSQL's CAST stops the query with an error on text beyond the double range
    # ('1.e512', which the reference engine, DuckDB and Spark read as inf): a known gap,
    # named in docs/engines.md; it fails loudly and never misreads, so it is left out here.
    texts = [t for t in _odd_texts() if not _beyond_double(t)]
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS odd_text")
        con.execute("CREATE TABLE odd_text (i integer, txt text)")
        with con.cursor() as cur, cur.copy("COPY odd_text (i, txt) FROM STDIN") as copy:
            for i, t in enumerate(texts):
                copy.write_row((i, t))
        sql = score_sql(_edge_profile(), "odd_text", dialect="postgres")
        got = con.execute(f"SELECT icp_score FROM ({sql}) AS s ORDER BY i").fetchall()
    assert _misread(texts, [int(s) for (s,) in got]) == []


def test_spark_sql_reads_odd_text_as_the_pattern_does(spark: Any) -> None:
    from pyspark.sql import types as T

    from icpkit.spark import score as spark_score

    texts = _odd_texts()
    schema = T.StructType(
        [T.StructField("i", T.IntegerType(), False), T.StructField("txt", T.StringType(), True)]
    )
    spark.createDataFrame(list(enumerate(texts)), schema).createOrReplaceTempView("odd_text")
    sql = score_sql(_edge_profile(), "odd_text", dialect="spark")
    got = spark.sql(f"SELECT icp_score FROM ({sql}) ORDER BY i").collect()
    assert _misread(texts, [r[0] for r in got]) == []
    # The DataFrame adapter reads text by the same pattern ('5_0' is no number there either).
    frame = spark_score(spark.table("odd_text"), _edge_profile())
    got = frame.orderBy("i").select("icp_score").collect()
    assert _misread(texts, [r[0] for r in got]) == []


@pytest.mark.parametrize("dialect", ["postgres", "spark"])
def test_a_text_number_costs_one_pattern_match_and_one_cast(dialect: str) -> None:
    """On all-text columns (`icp sql` without types) each value is matched against the number
    pattern at most once and cast once; these engines' casts skip the whitespace the pattern
    allows, so no TRIM copies the text first."""
    tree = score_query(_edge_profile(), "t", dialect=dialect)
    assert len(list(tree.find_all(exp.RegexpLike))) == 1
    double = exp.DataType.build("double")
    reads = [c for c in tree.find_all(exp.Cast) if c.to == double and c.find(exp.Column)]
    text = exp.cast(exp.column("txt", table="_icp_src", quoted=True), "text").sql()
    assert [c.this.sql() for c in reads] == [text]
    assert list(tree.find_all(exp.Trim)) == []
    read = next(c for c in tree.find_all(exp.Case) if c.find(exp.RegexpLike))
    # each branch casts once: a row takes one branch
    assert all(
        len([c for c in w.find_all(exp.Cast) if c.to == double]) <= 1 for w in read.args["ifs"]
    )


def test_duckdb_casts_a_text_number_once_and_matches_no_pattern() -> None:
    """DuckDB casts every text once (the hand-written query's TRY_CAST) and no regex runs:
    what TRY_CAST reads beyond the pattern (NaN, '_', '+-') reads as missing where the query
    compares (issue 14: the all-text query was 0.59x the hand-written one with a guard on
    every value before the cast)."""
    tree = score_query(_edge_profile(), "t")
    assert list(tree.find_all(exp.RegexpLike)) == []
    casts = list(tree.find_all(exp.TryCast))
    assert [c.this.sql() for c in casts] == [
        exp.cast(exp.column("txt", table="_icp_src", quoted=True), "text").sql()
    ]
    assert list(tree.find_all(exp.Trim)) == []
