"""Success: label columns, positive values, and the safe expression language."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from icpkit.errors import ConfigError, SchemaError
from icpkit.success import best_customers, evaluate_expression, expression_columns, success_label

DF = pd.DataFrame(
    {
        "IsWon": ["true", "false", "TRUE", None, "false"],
        "Churn": ["No", "Yes", "No", "No", "Yes"],
        "renewed": [True, True, False, True, False],
        "acv": [100.0, 50.0, 300.0, 200.0, None],
        "Deal Stage": ["Closed Won", "Closed Lost", "Closed Won", "Open", "Closed Lost"],
    }
)


def test_label_with_default_positive_and_missing_rows() -> None:
    lab = success_label(DF, "IsWon")
    assert lab.y.tolist() == [True, False, True, False, False]
    assert lab.defined.tolist() == [True, True, True, False, True]
    assert lab.n_success == 2
    assert "1 rows have no IsWon value" in lab.notes[0]


def test_positive_value_and_booleans_read_as_words() -> None:
    assert success_label(DF, "Churn", positive="No").y.tolist() == [True, False, True, True, False]
    bools = pd.DataFrame({"churned": [False, True, False]})
    assert success_label(bools, "churned", positive="No").y.tolist() == [True, False, True]


def test_composite_expression() -> None:
    lab = success_label(DF, expression="renewed and acv >= median(acv)")
    assert lab.y.tolist() == [False, False, False, True, False]
    weighted = evaluate_expression("0.5 * renewed + 0.5 * (acv >= 150) >= 0.5", DF)
    assert weighted.tolist() == [True, True, True, True, False]
    top = evaluate_expression("acv >= quantile(acv, 0.75)", DF)
    assert top.tolist() == [False, False, True, False, False]
    assert evaluate_expression('`Deal Stage` == "Closed Won"', DF).tolist() == [
        True,
        False,
        True,
        False,
        False,
    ]
    assert expression_columns("renewed and `Deal Stage` in ['a']") == ["renewed", "Deal Stage"]


def test_unknown_column_suggests_the_closest() -> None:
    with pytest.raises(SchemaError, match="Did you mean 'renewed'"):
        success_label(DF, expression="renewd and acv > 1")
    with pytest.raises(SchemaError, match="Did you mean 'IsWon'"):
        success_label(DF, "iswin")


@pytest.mark.parametrize(
    "expr", ["__import__('os').system('true')", "acv.real > 1", "[x for x in acv]", "lambda: 1"]
)
def test_unsafe_expressions_are_refused(expr: str) -> None:
    with pytest.raises(ConfigError):
        success_label(DF, expression=expr)


def test_errors_for_bad_definitions() -> None:
    with pytest.raises(ConfigError, match="exactly one"):
        success_label(DF)
    with pytest.raises(ConfigError, match="yes/no test"):
        success_label(DF, expression="acv * 2")
    with pytest.raises(ConfigError, match="no row has the positive value"):
        success_label(DF, "Churn", positive="Maybe")
    with pytest.raises(ConfigError, match="same outcome"):
        success_label(pd.DataFrame({"y": [1, 1]}), "y")


def test_best_customers_ranked() -> None:
    lab = success_label(DF, "IsWon")
    best = best_customers(DF, lab, rank_by="acv")
    assert best["acv"].tolist() == [300.0, 100.0]
    assert np.all(best["IsWon"].str.lower() == "true")
