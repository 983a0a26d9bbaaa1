"""The score request body: msgspec's one-pass decode keeps exactly the rules of the
documented pydantic model (ScoreRequest), and a bad body is a 422 with the field path; a
learned record layout decodes exactly as the dicts do, and scores the same."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from icpkit.service.api import ScoreResponse, ScoreResult, router
from icpkit.service.body import (
    LAYOUT_MIN,
    MAX_RECORDS,
    RecordsDecoder,
    ScoreRequest,
    decode_records,
    layout_header,
)
from icpkit.service.scoring import RecordScorer

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


# ------------------------------------------------------------------ record layouts

_HEADER = ["Id", "Industry", "Annual Revenue", "Technologies__c"]


def _learned() -> RecordsDecoder:
    """A decoder that has met a batch of records with _HEADER's fields."""
    decoder = RecordsDecoder()
    batch = [{name: f"{name} {i}" for name in _HEADER} for i in range(LAYOUT_MIN)]
    assert all(type(r) is dict for r in decoder.decode(orjson.dumps({"records": batch})))
    return decoder


def _as_dicts(records: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in records]


_layout_records = st.lists(
    st.fixed_dictionaries(dict.fromkeys(_HEADER, _values)).flatmap(
        # now and then a field less, or one more: such a body fits no layout
        lambda rec: st.sampled_from(
            [rec, {k: v for k, v in rec.items() if k != "Industry"}, {**rec, "Extra": 1}, rec]
        )
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_layout_records)
def test_a_layout_accepts_exactly_what_the_dict_decode_accepts(records: Any) -> None:
    """Bodies with the learned fields (values of every kind, valid or not, a field less or
    more in some records) decode to the same records, or the same 422, as dicts."""
    decoder = _learned()
    raw = orjson.dumps({"records": records})
    try:
        want: Any = decode_records(raw)
    except RequestValidationError as exc:
        want = exc.errors()
    try:
        got: Any = _as_dicts(decoder.decode(raw))
    except RequestValidationError as exc:
        got = exc.errors()
    assert got == want


def test_a_batch_with_the_learned_fields_decodes_into_its_layout() -> None:
    decoder = _learned()
    records = [
        {"Technologies__c": ["AWS", None], "Annual Revenue": 1.5e6, "Id": "a", "Industry": None}
    ]
    body = orjson.dumps({"records": records * 3, "note": "extra keys ignored"})
    got = decoder.decode(body)
    assert layout_header(got) == tuple(_HEADER)  # the learned order, whatever the body's
    rec = got[0]
    assert type(rec) is not dict
    assert dict(rec) == records[0]
    assert rec["Annual Revenue"] == 1.5e6
    assert rec.get("Industry", "x") is None
    assert rec.get("Owner") is None
    assert "Owner" not in rec
    assert "Id" in rec
    assert len(rec) == 4
    assert list(rec) == _HEADER
    with pytest.raises(KeyError):
        rec["Owner"]
    assert layout_header([*got, {"Id": "b"}]) is None  # mixed with a dict: no layout


def test_layout_records_score_exactly_as_dicts(profile_file_records: Any) -> None:
    """The same batch scored from dicts and from a layout: the same answer, byte for byte."""
    profile, records = profile_file_records
    body = orjson.dumps({"records": records})
    decoder = RecordsDecoder()
    as_dicts = decoder.decode(body)
    as_layout = decoder.decode(body)
    assert type(as_dicts[0]) is dict
    assert type(as_layout[0]) is not dict
    want = RecordScorer(profile).score(as_dicts).response(1)
    assert RecordScorer(profile).score(as_layout).response(1) == want
    # The answer has exactly the documented shape (the OpenAPI schema's models).
    answer = orjson.loads(want)
    assert ScoreResponse.model_validate(answer).results[0].icp_tier in "ABCD"
    assert list(answer) == list(ScoreResponse.model_fields)
    assert list(answer["results"][0]) == list(ScoreResult.model_fields)


@pytest.fixture(scope="module")
def profile_file_records(world: Any, world_dir: Any) -> Any:
    import csv

    import pyarrow as pa

    from icpkit.discover import learn
    from icpkit.intake import load_table

    table = load_table(
        pa.Table.from_pandas(world.training, preserve_index=False), kind="accounts"
    ).table
    with (world_dir / "accounts.csv").open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))[:600]
    return learn(table, "IsWon").profile, records
