"""The score request body: msgspec's one-pass decode keeps exactly the rules of the
documented pydantic model (ScoreRequest), and a bad body is a 422 with the field path."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from icpkit.service.api import router
from icpkit.service.body import MAX_RECORDS, ScoreRequest, decode_records

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
_records = st.lists(st.dictionaries(st.text(max_size=6), _values, max_size=4), max_size=4)
_bodies = st.one_of(
    st.builds(lambda r: {"records": r}, _records),
    st.builds(
        lambda r, extra: {"records": r, **extra}, _records, st.dictionaries(st.text(), _values)
    ),
    _values,
)


def _pydantic(body: bytes) -> list[dict[str, Any]] | None:
    try:
        return ScoreRequest.model_validate_json(body).records
    except ValidationError:
        return None


def _fast(body: bytes) -> list[dict[str, Any]] | None:
    try:
        return decode_records(body)
    except RequestValidationError:
        return None


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(_bodies)
def test_fast_decode_accepts_exactly_what_the_documented_model_accepts(body: Any) -> None:
    raw = orjson.dumps(body)
    assert _fast(raw) == _pydantic(raw)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"records": []}', ["body", "records"]),
        (b'{"records": [{"a": {"nested": 1}}]}', ["body", "records", 0, "a"]),
        (b'{"records": [{"a": "x"}, {}]}', ["body", "records", 1]),
        (b'{"rows": [{"a": 1}]}', ["body", "records"]),
        (b'{"records": "Software"}', ["body", "records"]),
        (b'{"records": [{"a": [[1]]}]}', ["body", "records", 0, "a"]),
        (b"{not json", ["body"]),
        (b'{"records": [{"a": NaN}]}', ["body"]),
        (orjson.dumps({"records": [{"a": 1}] * (MAX_RECORDS + 1)}), ["body", "records"]),
    ],
)
def test_bad_body_is_a_validation_error_at_its_field(body: bytes, where: list[Any]) -> None:
    with pytest.raises(RequestValidationError) as caught:
        decode_records(body)
    errors = caught.value.errors()
    assert errors
    assert list(errors[0]["loc"][: len(where)]) == where


def test_messy_values_come_through_as_sent() -> None:
    records = [
        {"Industry": "Software", "NumberOfEmployees": 120, "AnnualRevenue": 1.5e6},
        {"Industry": None, "Technologies__c": ["AWS", "Slack", None], "Active": True},
        {"Name": 'Müller GmbH \u2014 "Köln"', "AnnualRevenue": "$1.2M", "Big": 2**63 - 1},
    ]
    assert decode_records(orjson.dumps({"records": records, "note": "extra keys ignored"})) == (
        records
    )


def test_openapi_still_documents_the_body_and_its_422() -> None:
    app = FastAPI()
    app.include_router(router)
    op = app.openapi()["paths"]["/v1/score"]["post"]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["records"]
    assert schema["properties"]["records"]["maxItems"] == MAX_RECORDS
    assert schema["properties"]["records"]["items"]["minProperties"] == 1
    assert "422" in op["responses"]
