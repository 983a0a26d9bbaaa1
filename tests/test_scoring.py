"""The reference engine: exact edges in float32, text read as numbers, dictionaries, reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from icpkit.errors import SchemaError
from icpkit.profile import profile_from_dict
from icpkit.scoring import (
    attribute_points,
    contributions,
    numeric_pieces,
    raw_scores,
    read_number,
    reasons,
    score_table,
)

PROFILE = {
    "intercept": 20,
    "attributes": [
        {
            "name": "employees",
            "kind": "numeric",
            "label": "Employees",
            "bins": [
                {"upper": 0.1, "points": -10},
                {"lower": 0.1, "upper": 200, "points": 5, "label": "small"},
                {"lower": 200, "upper": 5000, "points": 12},
                {"lower": 5000, "points": 8},
            ],
            "missing_points": -3,
        },
        {
            "name": "industry",
            "kind": "categorical",
            "label": "Industry",
            "bins": [
                {"values": ["Software"], "points": 18},
                {"values": ["Retail", "Food"], "points": -9},
            ],
            "other_points": 1,
        },
    ],
    "segments": [
        {
            "name": "Software scale-up",
            "conditions": [{"attribute": "industry", "in": ["Software"]}],
            "points": 4,
        }
    ],
    "disqualifiers": [
        {
            "name": "Student",
            "conditions": [{"attribute": "industry", "in": ["Education"]}],
            "cap": 5,
        }
    ],
}


@pytest.fixture
def profile():
    return profile_from_dict(PROFILE)


def test_float32_compares_exactly_against_float64_edges(profile) -> None:
    # float32(0.1) is just above the double 0.1, so it is in [0.1, 200); the float32 just
    # below is not. An engine that rounded the edge to float32 would get one of them wrong.
    below = np.nextafter(np.float32(0.1), np.float32(0))
    x = np.array([np.float32(0.1), below, np.float32(200), np.nan], dtype=np.float32)
    table = pa.table({"employees": x, "industry": ["x"] * 4})
    assert float(np.float32(0.1)) > 0.1 > float(below)
    assert attribute_points(profile.attributes[0], table).tolist() == [5, -10, 12, -3]
    assert read_number(table.column("employees")).dtype == np.float32  # no float64 copy


def test_text_numbers_follow_one_pattern() -> None:
    # Whitespace around a number is skipped, as the DuckDB, PostgreSQL and Spark casts do
    # ('5\t' from a pasted cell is 5); inside a number it is not.
    text = pa.array([" 12 ", "1e3", "-inf", "Infinity", ".5", "5.", "true", "false",
                     "\t5", "5\r\n", "\x0b 7 \x0c", "1,000", "abc", "", None, "nan", "0x10",
                     "1_000", "+-1", "5\t5", "\u00a05"])  # fmt: skip
    got = read_number(text)
    want = [12, 1000, -np.inf, np.inf, 0.5, 5, 1, 0, 5, 5, 7] + [np.nan] * 10
    np.testing.assert_array_equal(got, np.array(want, dtype=np.float64))


def test_integer_boolean_and_dictionary_columns(profile) -> None:
    table = pa.table(
        {
            "employees": pa.array([250, None, 6000], pa.int64()),
            "industry": pa.array(["Software", None, "Food"]).dictionary_encode(),
        }
    )
    assert score_table(profile, table).column("icp_score").to_pylist() == [54, 17, 19]
    flags = pa.table({"f": pa.array([True, False, None])})
    p = profile_from_dict(
        {
            "attributes": [
                {"name": "f", "kind": "categorical", "bins": [{"values": ["true"], "points": 9}]}
            ]
        }
    )
    assert score_table(p, flags).column("icp_score").to_pylist() == [9, 0, 0]


def test_scores_tiers_segments_caps(profile) -> None:
    df = pd.DataFrame(
        {
            "employees": [300.0, 10.0, None, 9000.0, 300.0],
            "industry": ["Software", "Retail", "", "Education", "Mining"],
        }
    )
    out = score_table(profile, df)
    # 20+12+18+4 = 54; 20+5-9 = 16; 20-3+0 (''=missing) = 17; 20+8+1 = 29 capped at 5; 20+12+1
    assert out.column("icp_score").to_pylist() == [54, 16, 17, 5, 33]
    assert out.column("icp_tier").to_pylist() == ["B", "D", "D", "D", "C"]
    assert out.column("icp_segment").to_pylist() == ["Software scale-up", None, None, None, None]
    assert raw_scores(profile, pa.Table.from_pandas(df)).tolist() == [54, 16, 17, 29, 33]


def test_reasons_in_words(profile) -> None:
    df = pd.DataFrame(
        {"employees": [300.0, 10.0, 9000.0], "industry": ["Software", "Retail", "Education"]}
    )
    got = reasons(profile, df).to_pylist()
    assert (
        got[0] == "Industry is Software (+18); Employees 200–5,000 (+12);"
        " segment Software scale-up (+4)"
    )
    assert got[1] == "Employees small (+5); Industry is Retail (−9)"
    assert got[2] == "Employees 5,000+ (+8); Industry is another value (+1); capped at 5: Student"
    with_reasons = score_table(profile, df, reasons=True)
    assert with_reasons.column("icp_reasons").to_pylist() == got


def test_contributions_sum_to_raw_score(profile) -> None:
    df = pd.DataFrame({"employees": [300.0, None], "industry": ["Software", "Food"]})
    parts = contributions(profile, df).to_pandas()
    assert list(parts.columns) == ["employees", "industry", "segment: Software scale-up"]
    assert (parts.sum(axis=1) + profile.intercept).tolist() == [54, 8]


def test_threads_and_chunks_do_not_change_scores(profile, monkeypatch) -> None:
    import icpkit.scoring as scoring

    rng = np.random.default_rng(0)
    n = 50_000
    table = pa.table(
        {
            "employees": rng.lognormal(5, 2, n).astype(np.float32),
            "industry": rng.choice(["Software", "Retail", "Education", "Mining"], n),
        }
    )
    one = score_table(profile, table, threads=1)
    encoded = table.set_column(1, "industry", table.column("industry").dictionary_encode())
    assert score_table(profile, encoded, threads=1).equals(one)  # codes straight from indices
    monkeypatch.setattr(scoring, "_CHUNK", 997)  # many uneven chunks
    monkeypatch.setattr(scoring, "_PARALLEL_MIN_ROWS", 0)
    assert score_table(profile, table, threads=2).equals(one)


def test_pieces_first_bin_wins_and_gaps_are_other() -> None:
    attr = profile_from_dict(
        {
            "attributes": [
                {
                    "name": "x",
                    "kind": "numeric",
                    "other_points": 7,
                    "bins": [
                        {"lower": 0, "upper": 10, "points": 1},
                        {"lower": 5, "upper": 20, "points": 2},
                        {"lower": 30, "points": 3},
                    ],
                }
            ]
        }
    ).attributes[0]
    pieces = numeric_pieces(attr)
    assert pieces.edges == (0, 5, 10, 20, 30)
    assert pieces.points == (7, 1, 1, 2, 7, 3)
    assert pieces.merged().edges == (0, 10, 20, 30)


def test_missing_column_names_the_closest(profile) -> None:
    with pytest.raises(SchemaError, match="Did you mean 'employee'"):
        score_table(profile, pd.DataFrame({"employee": [1.0], "industry": ["x"]}))


def test_timestamp_cannot_be_a_number() -> None:
    p = profile_from_dict(
        {"attributes": [{"name": "t", "kind": "numeric", "bins": [{"points": 1}]}]}
    )
    table = pa.table({"t": pa.array([0], pa.timestamp("s"))})
    with pytest.raises(SchemaError, match="needs numbers"):
        score_table(p, table)
