"""The vectorised fast paths give exactly the answers of the per-value parsers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.intake.normalizers import _base, _normalize, normalize
from icpkit.intake.normalizers._base import Normalized

FAST_KINDS = ["id", "text", "category", "domain", "number", "money", "employees", "date"]

DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=30)
NUMBERISH = st.one_of(
    DIGITS,
    st.builds(lambda s, d: f"{s}{d}", st.sampled_from(["", "-", "$", "$-", "-$", "+"]), DIGITS),
    st.builds(lambda a, b: f"{a}.{b}", DIGITS, DIGITS),
    st.builds(lambda a, b: f"{a},{b}", DIGITS, DIGITS),
    st.integers(-(10**20), 10**20).map(lambda i: f"{i:,}"),
    st.floats(allow_nan=False).map(lambda x: f"{x:,.3f}"),
    st.floats(allow_nan=False).map(repr),
    st.text(alphabet="0123456789.,-$ k", max_size=12),
    SCALED := st.builds(
        lambda sym, a, b, scale: f"{sym}{a}{b}{scale}",
        st.sampled_from(["", "$", "€", "£", "¥", "$-", "-", "US$", " ", "USD ", "EUR ", "GBP"]),
        DIGITS,
        st.sampled_from(["", ".5", ".05", ".", ".123456789012", ",5"]),
        st.sampled_from(
            [
                "K",
                "k",
                "M",
                "m",
                "B",
                "b",
                "MM",
                "bn",
                " M",
                "T",
                "",
                "M ",
                "Mx",
                " million",
                " Million",
                "million",
                " bn",
                "  M",
                " K",
                " billion",
                " MILLION",
                " usd",
            ]
        ),
    ),
)
LABEL = st.text(alphabet="abcxyz019-_", min_size=1, max_size=8)
DOMAINISH = st.one_of(
    st.builds(
        lambda scheme, www, labels, tld, path: f"{scheme}{www}{'.'.join(labels)}.{tld}{path}",
        st.sampled_from(["", "http://", "https://", "HTTPS://", "ftp://", "//", "mailto:"]),
        st.sampled_from(["", "www.", "WWW.", "www2.", "www.www."]),
        st.lists(LABEL, min_size=0, max_size=3),
        st.sampled_from(["com", "io", "co.uk", "c", "x1", "xn--p1ai", "COM", "de."]),
        st.sampled_from(["", "/", "/about?x=1", "#top", ":443", "/a@b.com", "?q=<x>", " "]),
    ),
    st.text(alphabet="abc.-/:@w ", max_size=16),
)
DATEISH = st.one_of(
    st.builds(
        lambda y, m, d, t: f"{y:04d}-{m:02d}-{d:02d}{t}",
        st.integers(1700, 2300),
        st.integers(0, 13),
        st.integers(0, 32),
        st.sampled_from(["", "T10:00:00Z", "T10:00:00.000Z", " 23:59:59", "T25:00:00Z", "T1:2"]),
    ),
    st.sampled_from(["20/10/2016", "10/20/2016", "45000", "2016-10", "Oct 20, 2016"]),
)
WORDS = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="aB \u00a0\t\u2003ſK-", max_size=10),
    st.sampled_from(["Select", "N/A", "ſelect", "  null ", "not  available", "", " ", "NA"]),
)
VALUES = st.one_of(st.none(), NUMBERISH, DOMAINISH, DATEISH, WORDS)


def both(kind: str, values: pd.Series) -> tuple[Normalized, Normalized]:
    """(with the fast paths, with the per-value parsers only)."""
    fast = normalize(kind, values, "c")
    _base.FAST = False
    try:
        slow = normalize(kind, values, "c")
    finally:
        _base.FAST = True
    return fast, slow


def assert_same(fast: Normalized, slow: Normalized) -> None:
    assert list(fast.columns) == list(slow.columns)
    for name, column in slow.columns.items():
        pd.testing.assert_series_equal(fast.columns[name], column, check_exact=True)
        if column.dtype == "float64":  # -0.0 and 0.0 compare equal; their signs must too
            signs = np.signbit(column.to_numpy())
            assert (np.signbit(fast.columns[name].to_numpy()) == signs).all()
    assert fast.problems.tolist() == slow.problems.tolist()
    assert fast.placeholders == slow.placeholders
    assert fast.notes == slow.notes


@pytest.mark.parametrize("kind", FAST_KINDS)
@pytest.mark.parametrize("dtype", ["str", "object"])
@settings(max_examples=40, deadline=None)
@given(values=st.lists(VALUES, max_size=12))
def test_fast_and_slow_paths_agree(kind: str, dtype: str, values: list[Any]) -> None:
    series = pd.Series(values, dtype=dtype)
    assert_same(*both(kind, series))


@pytest.mark.parametrize("dtype", ["str", "object"])
@settings(max_examples=200, deadline=None)
@given(values=st.lists(SCALED, min_size=1, max_size=12))
def test_scaled_amounts_fast_and_slow_agree(dtype: str, values: list[str]) -> None:
    """Revenue as CRMs export it ("$111M", "€87.3M"): the scaled-amount fast path."""
    assert_same(*both("money", pd.Series(values, dtype=dtype)))


CLEAN = {
    "id": ["0015g00001", "A-17", "x"],
    "text": ["Company 1", "Müller Maschinenbau GmbH", "Select One"],
    "category": ["Tier A", "b"],
    "domain": ["https://www.Acme.com/about", "acme.co.uk", "www2.shop.acme.io?x=1"],
    "number": ["1200", "-3.5", "1,234,567.89", "0"],
    "money": [
        "45000000",
        "$120,000",
        "-5",
        "$0.50",
        "$111M",
        "€87.3M",
        "£4.28K",
        "2.5b",
        "USD 4.5 million",
        "EUR 3bn",
        "£9 K",
        "USD 9",
        "€1200",
    ],
    "employees": ["350", "1,200", "10001"],
    "date": ["2021-03-04T10:00:00.000Z", "2016-10-20", "2016-10-20 13:05:01"],
}
PARSERS = {
    "id": None,
    "text": None,
    "category": None,
    "domain": "parse_domain",
    "number": "parse_number",
    "money": "parse_money",
    "employees": "parse_employees",
    "date": "parse_date",
}


@pytest.mark.parametrize("kind", FAST_KINDS)
def test_clean_values_skip_the_per_value_parser(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    values = pd.Series(CLEAN[kind] * 3 + [None, "Select", "  "], dtype="str")
    fast, slow = both(kind, values)
    assert_same(fast, slow)
    assert fast.main.iloc[: len(CLEAN[kind])].notna().all()
    if PARSERS[kind] is None:
        monkeypatch.setattr(_base, "clean_text", _fail)
    else:
        monkeypatch.setattr(_normalize, PARSERS[kind], _fail)
    # Only the placeholders reach the per-value code; the clean values never do.
    clean = normalize(kind, pd.Series(CLEAN[kind] * 3, dtype="str"), "c")
    assert_same(clean, normalize(kind, pd.Series(CLEAN[kind] * 3, dtype="str"), "c"))


def _fail(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"per-value parser called with {args!r}")


def high_cardinality(kind: str, rng: np.random.Generator) -> list[Any]:
    """3,000 mostly distinct values of a kind, some missing, odd or placeholders."""
    k = rng.integers(0, 10**9, 3000)
    makers = {
        "domain": lambda i: f"https://www.company{i}.com/about" if i % 5 else f"co{i}.io",
        "date": lambda i: str(pd.Timestamp("1990-01-01") + pd.Timedelta(seconds=int(i))),
    }
    make = makers.get(kind, lambda i: f"{i:,}" if i % 7 else f"${i / 100:,.2f}")
    values: list[Any] = [make(int(i)) for i in k]
    odd = ["(5)", "1.2k", "n/a", "€3 bn", "12%", "jane@acme.io", "10/20/2016", "2016-02-30"]
    for position in rng.integers(0, 3000, 60):
        values[position] = odd[position % len(odd)] if position % 3 else None
    values[1500:1520] = ["Select"] * 20
    return values


@pytest.mark.parametrize("kind", FAST_KINDS)
def test_high_cardinality_column_matches_the_parsers(kind: str) -> None:
    values = high_cardinality(kind, np.random.default_rng(1))
    series = pd.Series(values, dtype="str", index=range(10, 3010))
    fast, slow = both(kind, series)
    assert_same(fast, slow)
    assert fast.placeholders["Select"] >= 20
    assert fast.main.notna().mean() > 0.5  # mostly understood: the fast path had work


@pytest.mark.parametrize("dtype", ["str", "string[python]", "string[pyarrow]"])
@pytest.mark.parametrize("kind", ["id", "text", "category"])
def test_distinct_clean_text_column_skips_factorising(
    kind: str, dtype: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"Company {i}" if i % 10 else None for i in range(5000)]
    values = pd.Series(names, dtype=dtype, index=range(3, 5003))
    fast, slow = both(kind, values)
    assert_same(fast, slow)
    assert fast.main.iloc[1] == "Company 1"
    assert pd.isna(fast.main.iloc[0])
    monkeypatch.setattr(_normalize, "map_unique", _fail)
    assert_same(normalize(kind, values, "c"), slow)


@pytest.mark.parametrize("odd", ["Select", " padded", "two  spaces", "tab\there", "ſelect"])
def test_distinct_text_column_with_a_late_odd_value_falls_back(odd: str) -> None:
    names = [f"Company {i}" for i in range(5000)]
    names[4321] = odd
    for kind in ("id", "text", "category"):
        fast, slow = both(kind, pd.Series(names, dtype="str"))
        assert_same(fast, slow)
        assert fast.main.iloc[0] == "Company 0"


@pytest.mark.parametrize("kind", FAST_KINDS)
@settings(max_examples=15, deadline=None)
@given(
    odd=st.lists(VALUES, min_size=1, max_size=40),
    seed=st.integers(0, 2**32 - 1),
    dtype=st.sampled_from(["str", "string[python]"]),
)
def test_row_wise_fast_path_agrees_on_odd_values(
    kind: str, odd: list[Any], seed: int, dtype: str
) -> None:
    """Odd values hidden in a mostly distinct column (the row-wise path)."""
    rng = np.random.default_rng(seed)
    values = high_cardinality(kind, rng)[:1200] + odd * 3
    order = rng.permutation(len(values))
    series = pd.Series([values[i] for i in order], dtype=dtype)
    assert_same(*both(kind, series))
