"""The error hierarchy: one line, structured fields, did-you-mean."""

from __future__ import annotations

import icpkit
from icpkit.errors import IcpError, ReadError, SchemaError, closest, did_you_mean


def test_message_names_where_and_value_on_one_line() -> None:
    err = ReadError("cannot parse", file="a.csv", row=12, column="Employees", value="lots\nof")
    text = str(err)
    assert text == "a.csv, row 12, column 'Employees': cannot parse (value 'lots\\nof')"
    assert "\n" not in text
    assert isinstance(err, IcpError)


def test_did_you_mean_is_case_insensitive() -> None:
    assert closest("numberofemployee", ["Name", "NumberOfEmployees"]) == "NumberOfEmployees"
    assert did_you_mean("zzz", ["Name"]) is None
    err = SchemaError(
        "missing column", column="employes", hint=did_you_mean("employes", ["employees"])
    )
    assert str(err).endswith("Did you mean 'employees'?")


def test_public_api_is_sorted_and_importable() -> None:
    assert icpkit.__all__ == sorted(icpkit.__all__)
    for name in icpkit.__all__:
        assert hasattr(icpkit, name), name
