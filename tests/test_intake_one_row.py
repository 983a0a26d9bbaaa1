"""One-row columns (a service scoring one lead) are normalised without pandas, and
remembered: the answer must be the one the column normalisers give."""

from __future__ import annotations

import pyarrow as pa
import pytest

from icpkit.intake import _load
from icpkit.intake.normalizers import normalize

VALUES = [
    None,
    "",
    " ",
    "Select",
    "n/a",
    "-",
    "1,200",
    "1.200",
    "1200",
    "  51-200 ",
    "10k",
    "$2.5M",
    "€1,5 Mio",
    "EUR 3000000",
    "USD 1.2B",
    "1e6",
    "-5",
    "0",
    "-0",
    "nan",
    "abc",
    "12 employees",
    "5000+",
    "£ 40,000",
    "1 234 567",
    "¥1000000",
    "12.5%",
    "  Series   A ",
    "001234",
    "Acme\u00a0 Corp\t",
    "N/A",
    "null",
]


def _pandas_path(original: str, canonical: str, kind: str, raw: pa.Table):
    series = raw.column(original).to_pandas()
    result = normalize(kind, series, canonical)
    arrays = [(name, _load._to_arrow(values)) for name, values in result.columns.items()]
    return arrays, _load._coercion(original, canonical, series, result, 3)


@pytest.mark.parametrize(
    ("kind", "canonical"),
    [
        ("number", "score"),
        ("employees", "employees"),
        ("money", "annual_revenue"),
        ("id", "account_id"),
        ("text", "name"),
        ("category", "last_funding_type"),
    ],
)
@pytest.mark.parametrize("value", VALUES)
def test_one_value_equals_the_normaliser(kind: str, canonical: str, value: str | None) -> None:
    raw = pa.table({"Col": pa.array([value], pa.string())})
    want_arrays, want_coercion = _pandas_path("Col", canonical, kind, raw)
    got_arrays, got_coercion = _load._one_value("Col", canonical, kind, value, 3)
    assert [n for n, _ in got_arrays] == [n for n, _ in want_arrays]
    for (_, got), (_, want) in zip(got_arrays, want_arrays, strict=True):
        assert got.type == want.type
        assert got.to_pylist() == want.to_pylist()
    assert got_coercion == want_coercion


def test_remembered_answer_is_a_copy() -> None:
    raw = pa.table({"Revenue": pa.array(["abc"], pa.string())})
    rec = _load.recognize(raw.column_names, kind="accounts")
    first = _load._normalise(raw, rec, 0)
    first[2][0]["first_row"] = 99  # load_table edits the entry
    again = _load._normalise(raw, rec, 0)
    assert again[2][0]["first_row"] == 0
    assert again[0].keys() == first[0].keys()
