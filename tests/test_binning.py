"""Binning: optimal merge, monotone trends, missing bins, noise, and codes that match the scorer."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from icpkit.binning import Binner, _roundest_between, column_kind, nice_cuts
from icpkit.errors import ConfigError
from icpkit.profile import CategoricalAttribute, CategoryBin, NumericAttribute, NumericBin
from icpkit.scoring import attribute_points


def _data(n: int = 6000, seed: int = 0) -> tuple[pa.Table, np.ndarray]:
    rng = np.random.default_rng(seed)
    size = np.exp(rng.normal(5, 2, n))
    size[rng.random(n) < 0.05] = np.nan
    trend = rng.normal(size=n)
    noise = rng.normal(size=n)
    ind = rng.choice(["a", "b", "c", "d"], n)
    logit = -1.2 + 1.4 * ((size > 200) & (size < 5000)) + 0.8 * trend + 1.0 * (ind == "a")
    logit = np.where(np.isnan(size), 1.0, logit)
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    table = pa.table({"size": size, "trend": trend, "noise": noise, "ind": ind})
    return table, y


KINDS = {"size": "numeric", "trend": "numeric", "noise": "numeric", "ind": "categorical"}


@pytest.fixture(scope="module")
def fitted() -> tuple[Binner, pa.Table, np.ndarray]:
    table, y = _data()
    return Binner().fit(table, y, list(KINDS), KINDS), table, y  # type: ignore[arg-type]


def test_noise_gets_one_bin_and_signal_gets_several(
    fitted: tuple[Binner, pa.Table, np.ndarray],
) -> None:
    b, _, _ = fitted
    assert len(b.attributes_["noise"].bins) == 1
    assert b.attributes_["noise"].iv < 0.01
    assert len(b.attributes_["size"].bins) >= 3
    assert b.attributes_["size"].iv > 0.1


def test_u_shape_survives_and_trend_is_monotone(
    fitted: tuple[Binner, pa.Table, np.ndarray],
) -> None:
    b, _, _ = fitted
    size = b.attributes_["size"]
    rates = [x.rate for x in size.bins]
    assert max(rates) > rates[0]
    assert max(rates) > rates[-1]
    trend = b.attributes_["trend"]
    assert trend.monotone == "increasing"
    t_rates = [x.rate for x in trend.bins]
    assert t_rates == sorted(t_rates)


def test_missing_bin_has_its_own_rate(fitted: tuple[Binner, pa.Table, np.ndarray]) -> None:
    b, _, _ = fitted
    miss = b.attributes_["size"].missing
    assert miss.count > 200
    assert miss.woe > 0.3  # missing rows were planted with a high success rate


def test_categories_grouped_by_rate(fitted: tuple[Binner, pa.Table, np.ndarray]) -> None:
    b, _, _ = fitted
    ind = b.attributes_["ind"]
    assert ("a",) in [x.values for x in ind.bins]
    assert ind.bins[-1].values == ("a",)  # ordered by success rate, best last


def test_codes_follow_the_scorer_semantics(fitted: tuple[Binner, pa.Table, np.ndarray]) -> None:
    b, table, _ = fitted
    size = b.attributes_["size"]
    attr = NumericAttribute(
        name="size",
        kind="numeric",
        bins=[NumericBin(lower=x.lower, upper=x.upper, points=i) for i, x in enumerate(size.bins)],
        missing_points=99,
    )
    expected = attribute_points(attr, table)
    assert np.array_equal(
        np.where(expected == 99, size.missing_code, expected), b.train_codes_["size"]
    )
    ind = b.attributes_["ind"]
    cattr = CategoricalAttribute(
        name="ind",
        kind="categorical",
        bins=[CategoryBin(values=list(x.values), points=i) for i, x in enumerate(ind.bins)],
        other_points=77,
        missing_points=99,
    )
    got = attribute_points(cattr, table)
    codes = ind.codes(table.column("ind"))
    assert np.array_equal(np.where(got == 77, ind.other_code, got), codes)


def test_unseen_category_is_other_and_blank_is_missing(
    fitted: tuple[Binner, pa.Table, np.ndarray],
) -> None:
    b, _, _ = fitted
    ind = b.attributes_["ind"]
    codes = ind.codes(pa.chunked_array([pa.array(["zzz", "", None, "a"])]))
    assert list(codes[:3]) == [ind.other_code, ind.missing_code, ind.missing_code]


def test_edges_are_round_numbers() -> None:
    assert _roundest_between(182.9, 183.129) == 183.0
    assert _roundest_between(4700.2, 4713.17) == 4710.0
    assert _roundest_between(0.0, 1.0) == 1.0
    cuts = nice_cuts(np.arange(1, 1001, dtype=float) + 0.37, 4)
    assert all(float(c).is_integer() for c in cuts)


def test_column_kind() -> None:
    assert column_kind(pa.chunked_array([pa.array(["1", "2.5", None, ""])])) == "numeric"
    assert column_kind(pa.chunked_array([pa.array(["x", "2"])])) == "categorical"
    assert column_kind(pa.chunked_array([pa.array([True, False])])) == "categorical"
    assert column_kind(pa.chunked_array([pa.array([1, 2])])) == "numeric"


def test_bad_parameter_names_itself() -> None:
    table, y = _data(200)
    with pytest.raises(ConfigError, match="'max_bins' parameter of Binner must be an int >= 1"):
        Binner(max_bins=0).fit(table, y, ["size"], {"size": "numeric"})
