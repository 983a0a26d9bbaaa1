"""One semantics, four engines: reference (NumPy/Arrow), DuckDB SQL, PostgreSQL SQL, Spark.

Hypothesis generates profiles and rows — missing values, NaN, infinities, unseen
categories, values exactly on bin edges, float32 values next to float64 edges, numbers
written as odd text — and every engine must give the same icp_score, icp_tier and
icp_segment on the same rows. PostgreSQL is a throwaway cluster (tests/pg_cluster.py) and
Spark runs in local mode; both start once per session.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icpkit.indb import score_in_db
from icpkit.profile import PRIORITY_GRID, ColumnSource, Profile, profile_from_dict
from icpkit.scoring import score_table
from icpkit.sql import column_types_from_arrow, score_sql

EDGES = [-1.5, 0.0, 0.1, 1.0, 2.5, 10.0, 100.0, 1e6]
NUMBERS = [*EDGES, -0.0, 0.30000000000000004, 1e-300, 99.99999999999999, -7.0, math.inf, -math.inf]
TEXTS = [
    *(repr(v) for v in EDGES),
    " 10 ", "1,000", "abc", "", " ", "inf", "-Infinity", "nan", "1e1", ".1", "1.", "+2.5",
    "true", "false", "\t5", "0x10", "1_000", "١٢", "O'Brien\"; DROP TABLE x;--", "software",
]  # fmt: skip
CATEGORIES = ["software", "retail", "SOFTWARE", "Ünïcode", "O'Brien\"; DROP TABLE x;--", "", " "]
INTS = [-1, 0, 1, 2, 10, 100]

# column → (arrow type, kinds of attribute it may carry)
COLUMNS: dict[str, tuple[pa.DataType, tuple[str, ...]]] = {
    "f64": (pa.float64(), ("numeric",)),
    "f32": (pa.float32(), ("numeric",)),
    "i64": (pa.int64(), ("numeric", "categorical")),
    "txt": (pa.string(), ("numeric", "categorical")),
    "cat": (pa.string(), ("categorical",)),
    "flag": (pa.bool_(), ("numeric", "categorical")),
}
LABELS = [str(v) for v in INTS] + ["true", "false", *CATEGORIES, *TEXTS[:6]]


# --- strategies -----------------------------------------------------------------------------


def _value(column: str) -> st.SearchStrategy[Any]:
    missing = st.none()
    if column in ("f64", "f32"):
        return st.one_of(missing, st.just(math.nan), st.sampled_from(NUMBERS), st.floats(-1e3, 1e3))
    if column == "i64":
        return st.one_of(missing, st.sampled_from(INTS), st.integers(-(2**40), 2**40))
    if column == "txt":
        return st.one_of(missing, st.sampled_from(TEXTS), st.text(max_size=6).filter(_pg_safe))
    if column == "cat":
        return st.one_of(missing, st.sampled_from(CATEGORIES), st.text(max_size=4).filter(_pg_safe))
    return st.one_of(missing, st.booleans())


def _pg_safe(s: str) -> bool:
    return "\x00" not in s  # PostgreSQL text cannot hold NUL


def _rows(n: int) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(st.fixed_dictionaries({c: _value(c) for c in COLUMNS}), min_size=1, max_size=n)


@st.composite
def _numeric_bins(draw: st.DrawFn) -> list[dict[str, Any]]:
    edges = sorted(set(draw(st.lists(st.sampled_from(EDGES), min_size=1, max_size=4))))
    bins: list[dict[str, Any]] = []
    if draw(st.booleans()):  # contiguous bins
        bounds: list[float | None] = [None, *edges, None]
        for lo, hi in itertools.pairwise(bounds):
            bins.append({"lower": lo, "upper": hi})
    else:  # arbitrary, possibly overlapping or with gaps: first bin wins, gaps are 'other'
        for _ in range(draw(st.integers(1, 3))):
            lo = draw(st.one_of(st.none(), st.sampled_from(EDGES)))
            hi = draw(st.one_of(st.none(), st.sampled_from(EDGES)))
            if lo is not None and hi is not None and not lo < hi:
                lo, hi = None, hi
            bins.append({"lower": lo, "upper": hi})
    for b in bins:
        b["points"] = draw(st.integers(-30, 30))
    return [{k: v for k, v in b.items() if v is not None or k == "points"} for b in bins]


@st.composite
def _condition(draw: st.DrawFn) -> dict[str, Any]:
    column = draw(st.sampled_from(list(COLUMNS)))
    if "numeric" in COLUMNS[column][1] and draw(st.booleans()):
        cond: dict[str, Any] = {"attribute": column}
        lo, hi = draw(st.sampled_from(EDGES)), draw(st.sampled_from(EDGES))
        which = draw(st.sampled_from(["ge", "lt", "both"]))
        if which in ("ge", "both"):
            cond["ge"] = min(lo, hi) if which == "both" else lo
        if which in ("lt", "both"):
            cond["lt"] = max(lo, hi) if which == "both" else hi
        if which == "both" and cond["ge"] >= cond["lt"]:
            del cond["ge"]
        return cond
    if column in ("f64", "f32"):
        column = "cat"
    key = draw(st.sampled_from(["in", "not_in"]))
    return {
        "attribute": column,
        key: draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=3)),
    }


@st.composite
def _attributes(draw: st.DrawFn) -> list[dict[str, Any]]:
    attributes = []
    for column in draw(
        st.lists(st.sampled_from(list(COLUMNS)), min_size=1, max_size=4, unique=True)
    ):
        kind = draw(st.sampled_from(COLUMNS[column][1]))
        attr: dict[str, Any] = {
            "name": column,
            "kind": kind,
            "missing_points": draw(st.integers(-10, 10)),
            "other_points": draw(st.integers(-10, 10)),
        }
        if kind == "numeric":
            attr["bins"] = draw(_numeric_bins())
        else:
            values = st.lists(st.sampled_from(LABELS), min_size=1, max_size=3)
            bins = draw(st.lists(values, min_size=1, max_size=3))
            attr["bins"] = [{"values": v, "points": draw(st.integers(-30, 30))} for v in bins]
        attributes.append(attr)
    return attributes


@st.composite
def profiles(draw: st.DrawFn, persona: bool = False) -> Profile:
    attributes = draw(_attributes())
    rule = st.lists(_condition(), min_size=1, max_size=2)
    segments = [
        {"name": f"seg {i} '\"", "conditions": draw(rule), "points": draw(st.integers(-15, 15))}
        for i in range(draw(st.integers(0, 2)))
    ]
    disqualifiers = [
        {"name": f"dq {i}", "conditions": draw(rule), "cap": draw(st.integers(0, 100))}
        for i in range(draw(st.integers(0, 2)))
    ]
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=3, max_size=3)), reverse=True)
    data: dict[str, Any] = {
        "intercept": draw(st.integers(-20, 60)),
        "attributes": attributes,
        "segments": segments,
        "disqualifiers": disqualifiers,
        "tiers": dict(zip("ABC", cuts, strict=True)),
    }
    if persona:  # a second points table over (possibly the same) columns
        p_cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=3, max_size=3)), reverse=True)
        data["persona"] = {
            "intercept": draw(st.integers(-20, 60)),
            "attributes": draw(_attributes()),
            "tiers": dict(zip("123", p_cuts, strict=True)),
        }
        if draw(st.booleans()):  # a learned (or hand-edited) order of the priority grid
            data["persona"]["priority"] = draw(st.permutations(PRIORITY_GRID))
    return profile_from_dict(data)


# --- engines -------------------------------------------------------------------------------


def _arrow(rows: list[dict[str, Any]]) -> pa.Table:
    data = {"rid": pa.array(range(len(rows)), pa.int64())}
    for name, (dtype, _) in COLUMNS.items():
        values = [r[name] for r in rows]
        if name == "f32":
            values = [None if v is None else float(np.float32(v)) for v in values]
        data[name] = pa.array(values, dtype)
    return pa.table(data)


Result = list[tuple[int, str, str | None]]


def _result(table: pa.Table) -> Result:
    return list(
        zip(
            table.column("icp_score").to_pylist(),
            table.column("icp_tier").to_pylist(),
            table.column("icp_segment").to_pylist(),
            strict=True,
        )
    )


def _reference(profile: Profile, table: pa.Table) -> Result:
    return _result(score_table(profile, table))


# The CRM's own names for the canonical columns (`icp sql --columns crm|MAPFILE`).
RAW_NAMES = {"f64": "Annual Revenue", "f32": "Cloud_Spend__c", "i64": "NumberOfEmployees",
             "txt": "Employee Range", "cat": "Industry", "flag": "Uses \"AWS\""}  # fmt: skip


def _as_text(table: pa.Table) -> pa.Table:
    """Every column as text, as a CSV export loaded into a warehouse holds it."""
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_boolean(col.type):
            col = pa.compute.if_else(col, "true", "false")
        elif pa.types.is_floating(col.type):
            col = pa.array(
                [None if v is None or math.isnan(v) else repr(v) for v in col.to_pylist()],
                pa.string(),
            )
        cols[name] = col.cast(pa.string())
    return pa.table(cols)


def _raw_names(profile: Profile, table: pa.Table) -> tuple[pa.Table, dict[str, ColumnSource]]:
    """The table under raw CRM names, and the sources mapping the profile onto them."""
    renamed = table.rename_columns([RAW_NAMES.get(c, c) for c in table.column_names])
    return renamed, {c: ColumnSource(column=RAW_NAMES[c]) for c in profile.columns}


def _duckdb_raw_text(profile: Profile, table: pa.Table) -> Result:
    """All-text columns under raw names: every value read through its text form, once."""
    raw, sources = _raw_names(profile, _as_text(table))
    con = duckdb.connect()
    con.register("t", raw)
    sql = score_sql(profile, "t", sources=sources)
    query = f"SELECT * FROM ({sql}) ORDER BY CAST(rid AS BIGINT)"  # rid is text too
    return _result(con.sql(query).to_arrow_table())


def _duckdb(profile: Profile, table: pa.Table, typed: bool) -> Result:
    con = duckdb.connect()
    con.register("t", table)
    types = column_types_from_arrow(table.schema) if typed else None
    query = f"SELECT * FROM ({score_sql(profile, 't', column_types=types)}) ORDER BY rid"
    return _result(con.sql(query).to_arrow_table())


_PG_TYPES = {"rid": "bigint", "f64": "double precision", "f32": "real", "i64": "bigint",
             "txt": "text", "cat": "text", "flag": "boolean"}  # fmt: skip


def _postgres(profile: Profile, table: pa.Table, url: str) -> Result:
    import psycopg

    names = table.column_names
    rows = list(zip(*(table.column(c).to_pylist() for c in names), strict=True))
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS accounts")
        con.execute(
            "CREATE TABLE accounts (" + ", ".join(f'"{c}" {_PG_TYPES[c]}' for c in names) + ")"
        )
        with con.cursor() as cur:
            marks = ", ".join(["%s"] * len(names))
            cur.executemany(f"INSERT INTO accounts VALUES ({marks})", rows)
        score_in_db(con, "accounts", profile, into="scored", replace=True)
        got = con.execute(
            "SELECT icp_score, icp_tier, icp_segment FROM scored ORDER BY rid"
        ).fetchall()
        if "f32" not in profile.columns:
            # `icp sql` without types: every value read through its text form, regex-guarded.
            untyped = score_sql(profile, "accounts", dialect="postgres")
            again = con.execute(
                f"SELECT icp_score, icp_tier, icp_segment FROM ({untyped}) AS s ORDER BY rid"
            ).fetchall()
            assert again == got
    return [(int(s), str(t), g) for s, t, g in got]


def _postgres_raw_text(profile: Profile, table: pa.Table, url: str) -> Result:
    import psycopg

    raw, sources = _raw_names(profile, _as_text(table))
    names = raw.column_names
    rows = list(zip(*(raw.column(c).to_pylist() for c in names), strict=True))
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS crm_text")
        quoted = [f'"{c.replace(chr(34), chr(34) * 2)}"' for c in names]
        con.execute("CREATE TABLE crm_text (" + ", ".join(q + " text" for q in quoted) + ")")
        with con.cursor() as cur:
            cur.executemany(f"INSERT INTO crm_text VALUES ({', '.join(['%s'] * len(names))})", rows)
        query = score_sql(profile, "crm_text", dialect="postgres", sources=sources)
        got = con.execute(
            f"SELECT icp_score, icp_tier, icp_segment FROM ({query}) AS s ORDER BY rid::bigint"
        ).fetchall()
    return [(int(s), str(t), g) for s, t, g in got]


def _spark_sql_raw_text(profile: Profile, table: pa.Table, spark: Any) -> Result:
    from pyspark.sql import types as T

    raw, sources = _raw_names(profile, _as_text(table))
    schema = T.StructType([T.StructField(c, T.StringType(), True) for c in raw.column_names])
    rows = list(zip(*(raw.column(c).to_pylist() for c in raw.column_names), strict=True))
    frame = spark.createDataFrame(rows, schema)
    frame.createOrReplaceTempView("crm_text")
    query = score_sql(profile, "crm_text", dialect="spark", sources=sources)
    out = spark.sql(
        f"SELECT icp_score, icp_tier, icp_segment FROM ({query}) ORDER BY CAST(rid AS BIGINT)"
    )
    return [(r[0], r[1], r[2]) for r in out.collect()]


def _spark_sql(profile: Profile, table: pa.Table, spark: Any) -> Result:
    """The generated Spark SQL text (not the DataFrame adapter), run by spark.sql."""
    _spark_frame([(profile, table)], spark).createOrReplaceTempView("accounts")
    types = column_types_from_arrow(table.schema)
    query = score_sql(profile, "accounts", dialect="spark", column_types=types)
    out = spark.sql(f"SELECT icp_score, icp_tier, icp_segment FROM ({query}) ORDER BY rid")
    return [(r[0], r[1], r[2]) for r in out.collect()]


def _spark_frame(examples: list[tuple[Profile, pa.Table]], spark: Any) -> Any:
    """One DataFrame with every example's rows, tagged by ``eid`` (NaN and null kept apart)."""
    from pyspark.sql import types as T

    spark_types = {"rid": T.LongType(), "f64": T.DoubleType(), "f32": T.FloatType(),
                   "i64": T.LongType(), "txt": T.StringType(), "cat": T.StringType(),
                   "flag": T.BooleanType()}  # fmt: skip
    names = examples[0][1].column_names
    schema = T.StructType(
        [T.StructField("eid", T.IntegerType(), False)]
        + [T.StructField(c, spark_types[c], True) for c in names]
    )
    rows = [
        (eid, *row)
        for eid, (_, table) in enumerate(examples)
        for row in zip(*(table.column(c).to_pylist() for c in names), strict=True)
    ]
    return spark.createDataFrame(rows, schema)


def _spark(examples: list[tuple[Profile, pa.Table]], spark: Any) -> list[Result]:
    """All examples in ONE Spark job: each example's rows scored by its own profile, unioned."""
    from functools import reduce

    from pyspark.sql import functions as F

    from icpkit.spark import score

    df = _spark_frame(examples, spark)
    names = ["eid", "rid", "icp_score", "icp_tier", "icp_segment"]
    parts = [
        score(df.where(F.col("eid") == k), profile).select(*names)
        for k, (profile, _) in enumerate(examples)
    ]
    got = reduce(lambda a, b: a.unionByName(b), parts).orderBy("eid", "rid").collect()
    out: list[Result] = [[] for _ in examples]
    for r in got:
        out[r[0]].append((r[2], r[3], r[4]))
    return out


# --- the properties --------------------------------------------------------------------------

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
SLOW = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@FAST
@given(profile=profiles(), rows=_rows(40))
def test_reference_and_duckdb_agree(profile: Profile, rows: list[dict[str, Any]]) -> None:
    table = _arrow(rows)
    want = _reference(profile, table)
    assert _duckdb(profile, table, typed=True) == want
    if "f32" not in profile.columns:  # untyped SQL reads float32 via text (documented)
        assert _duckdb(profile, table, typed=False) == want
    # The same values as text under the CRM's names: the reference reads the text table.
    text = _as_text(table)
    assert _duckdb_raw_text(profile, table) == _reference(profile, text)


def test_all_four_engines_agree(postgres_url: str, spark: Any) -> None:
    """PostgreSQL and Spark on the same generated profiles and rows as the reference."""

    examples: list[tuple[Profile, pa.Table]] = []

    @SLOW
    @given(profile=profiles(), rows=_rows(30))
    def check(profile: Profile, rows: list[dict[str, Any]]) -> None:
        table = _arrow(rows)
        assert _postgres(profile, table, postgres_url) == _reference(profile, table)
        examples.append((profile, table))

    check()
    # Spark: every example at once (one job), each compared with the reference.
    for (profile, table), got in zip(examples, _spark(examples, spark), strict=True):
        assert got == _reference(profile, table), profile.model_dump_json(exclude_none=True)


def test_edges_and_odd_text_on_every_engine(postgres_url: str, spark: Any) -> None:
    """Every listed number and text against edges placed exactly on them (no luck needed)."""
    rows = [
        {"f64": v, "f32": v, "i64": None, "txt": t, "cat": c, "flag": f}
        for v in [*NUMBERS, None, math.nan]
        for t, c, f in zip(TEXTS[:3], CATEGORIES[:3], [True, False, None], strict=True)
    ]
    rows += [
        {"f64": None, "f32": None, "i64": i, "txt": t, "cat": None, "flag": None}
        for i, t in zip(INTS * 5, TEXTS, strict=False)
    ]
    contiguous = [{"upper": EDGES[0], "points": 1}] + [
        {"lower": lo, "upper": hi, "points": p}
        for p, (lo, hi) in enumerate(itertools.pairwise(EDGES), start=2)
    ]
    contiguous.append({"lower": EDGES[-1], "points": 20})
    profile = profile_from_dict(
        {
            "attributes": [
                {"name": c, "kind": "numeric", "bins": contiguous, "missing_points": 30}
                for c in ("f64", "f32", "txt")
            ]
            + [
                {
                    "name": "cat",
                    "kind": "categorical",
                    "bins": [{"values": CATEGORIES, "points": 3}],
                },
                {"name": "i64", "kind": "categorical", "bins": [{"values": ["10"], "points": 5}]},
            ],
            "tiers": {"A": 60, "B": 40, "C": 20},
        }
    )
    table = _arrow(rows)
    want = _reference(profile, table)
    assert len({s for s, _, _ in want}) > 10  # the rows really land in many bins
    assert _duckdb(profile, table, typed=True) == want
    assert _postgres(profile, table, postgres_url) == want
    assert _spark([(profile, table)], spark) == [want]
    assert _spark_sql(profile, table, spark) == want
    # All-text columns under raw CRM names, in DuckDB, PostgreSQL and Spark SQL.
    text = _as_text(table)
    want_text = _reference(profile, text)
    assert _duckdb_raw_text(profile, table) == want_text
    assert _postgres_raw_text(profile, table, postgres_url) == want_text
    assert _spark_sql_raw_text(profile, table, spark) == want_text


# --- person fit: the persona points table, on every engine -----------------------------------

PERSONA = ("persona_score", "persona_tier", "icp_priority", "priority_rank")


def _persona_result(table: pa.Table) -> list[tuple[Any, ...]]:
    return list(zip(*(table.column(c).to_pylist() for c in PERSONA), strict=True))


def test_persona_points_agree_on_every_engine(postgres_url: str, spark: Any) -> None:
    """persona_score, persona_tier, icp_priority, priority_rank: reference = DuckDB = PostgreSQL
    = Spark."""
    import psycopg
    from pyspark.sql import functions as F

    from icpkit.spark import score as spark_score

    examples: list[tuple[Profile, pa.Table, list[tuple[Any, ...]]]] = []

    @SLOW
    @given(profile=profiles(persona=True), rows=_rows(30))
    def check(profile: Profile, rows: list[dict[str, Any]]) -> None:
        table = _arrow(rows)
        want = _persona_result(score_table(profile, table))
        assert len(want) == table.num_rows
        con = duckdb.connect()
        con.register("t", table)
        types = column_types_from_arrow(table.schema)
        query = f"SELECT * FROM ({score_sql(profile, 't', column_types=types)}) ORDER BY rid"
        assert _persona_result(con.sql(query).to_arrow_table()) == want
        _postgres(profile, table, postgres_url)  # loads the rows, scores them into "scored"
        with psycopg.connect(postgres_url, autocommit=True) as pg:
            got = pg.execute(f"SELECT {', '.join(PERSONA)} FROM scored ORDER BY rid").fetchall()
        assert [(int(s), t, p, int(r)) for s, t, p, r in got] == want
        examples.append((profile, table, want))

    check()
    assert any(len({w[1] for w in want}) > 1 for _, _, want in examples)  # tiers really vary
    for profile, table, want in examples[:8]:  # the DataFrame adapter (Spark SQL), a job each
        df = spark_score(_spark_frame([(profile, table)], spark), profile)
        rows = df.orderBy("rid").select(*(F.col(c) for c in PERSONA)).collect()
        assert [tuple(r) for r in rows] == want


def test_a_table_without_people_columns_has_no_persona() -> None:
    profile = profile_from_dict(
        {
            "attributes": [{"name": "f64", "kind": "numeric", "bins": [{"upper": 1, "points": 5}]}],
            "persona": {
                "attributes": [
                    {
                        "name": "role",
                        "kind": "categorical",
                        "bins": [{"values": ["Finance"], "points": 9}],
                    }
                ]
            },
        }
    )
    table = pa.table({"f64": [0.5, 2.0]})
    assert "persona_score" not in score_table(profile, table).column_names
    con = duckdb.connect()
    con.register("t", table)
    sql = score_sql(profile, "t", column_types=column_types_from_arrow(table.schema))
    assert "persona_score" not in con.sql(sql).columns
    people = pa.table({"f64": [0.5, 2.0], "role": ["Finance", "Sales"]})
    scored = score_table(profile, people)
    assert scored.column("persona_score").to_pylist() == [9, 0]
    assert scored.column("icp_priority").to_pylist()[0][0] in "ABCD"
