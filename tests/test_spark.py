"""The PySpark adapter: native column expressions (no Python UDF), same scores as the reference."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from icpkit.errors import SchemaError
from icpkit.profile import profile_from_dict
from icpkit.scoring import score_table

PROFILE = {
    "intercept": 10,
    "attributes": [
        {
            "name": "head.count",  # a dot is part of the name, not a struct field
            "kind": "numeric",
            "bins": [{"upper": 50, "points": 0}, {"lower": 50, "points": 30}],
            "missing_points": 5,
        },
        {
            "name": "in dustry",
            "kind": "categorical",
            "bins": [{"values": ["Software", "O'Brien`s"], "points": 40}],
        },
    ],
    "segments": [
        {"name": "Big", "conditions": [{"attribute": "head.count", "ge": 1000}], "points": 10}
    ],
    "disqualifiers": [
        {"name": "No", "conditions": [{"attribute": "in dustry", "in": ["Gambling"]}], "cap": 3}
    ],
}


def test_spark_scores_match_reference_without_udfs(spark: Any) -> None:
    from icpkit.spark import score

    profile = profile_from_dict(PROFILE)
    rows = [
        (1, 2000.0, "Software"),
        (2, 10.0, "O'Brien`s"),
        (3, None, "Gambling"),
        (4, float("nan"), ""),
        (5, 50.0, None),
    ]
    df = spark.createDataFrame(rows, "id long, `head.count` double, `in dustry` string")
    scored = score(df, profile)
    plan = scored._jdf.queryExecution().executedPlan().toString()
    assert "PythonUDF" not in plan
    assert "BatchEvalPython" not in plan
    assert "ArrowEvalPython" not in plan
    got = [
        tuple(r)
        for r in scored.orderBy("id").select("icp_score", "icp_tier", "icp_segment").collect()
    ]
    table = pa.table(
        {
            "head.count": pa.array([2000.0, 10.0, None, float("nan"), 50.0]),
            "in dustry": pa.array(["Software", "O'Brien`s", "Gambling", "", None]),
        }
    )
    want = score_table(profile, table)
    assert got == list(
        zip(
            *(want.column(c).to_pylist() for c in ("icp_score", "icp_tier", "icp_segment")),
            strict=True,
        )
    )
    assert got[0] == (90, "A", "Big")
    assert scored.columns == [
        "id",
        "head.count",
        "in dustry",
        "icp_score",
        "icp_tier",
        "icp_segment",
    ]


def test_missing_column_is_a_schema_error(spark: Any) -> None:
    from icpkit.spark import score

    df = spark.createDataFrame([(1.0,)], "headcount double")
    with pytest.raises(SchemaError, match=r"head\.count"):
        score(df, profile_from_dict(PROFILE))


def test_persona_columns_all_or_none_as_in_the_reference(spark: Any) -> None:
    from icpkit.spark import score

    data = {
        **PROFILE,
        "persona": {
            "attributes": [
                {
                    "name": "role",
                    "kind": "categorical",
                    "bins": [{"values": ["CFO"], "points": 60}],
                },
                {"name": "seniority", "kind": "numeric", "bins": [{"lower": 5, "points": 30}]},
            ]
        },
    }
    profile = profile_from_dict(data)
    accounts = spark.createDataFrame(
        [(2000.0, "Software")], "`head.count` double, `in dustry` string"
    )
    assert "persona_score" not in score(accounts, profile).columns  # no people columns: no persona
    people = spark.createDataFrame(
        [(2000.0, "Software", "CFO", 7.0)],
        "`head.count` double, `in dustry` string, role string, seniority double",
    )
    got = score(people, profile).select("persona_score", "icp_priority").collect()
    want = score_table(
        profile,
        pa.table(
            {"head.count": [2000.0], "in dustry": ["Software"], "role": ["CFO"], "seniority": [7.0]}
        ),
    )
    assert [tuple(r) for r in got] == [
        (want.column("persona_score")[0].as_py(), want.column("icp_priority")[0].as_py())
    ]
    with pytest.raises(SchemaError, match="seniority"):
        score(people.drop("seniority"), profile)
