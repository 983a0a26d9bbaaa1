"""The body of ``POST /v1/score``: decoded and checked in one C pass (msgspec).

A 10,000-record body is 6.6 MB of JSON. Decoding it with orjson and then validating the
Python objects with pydantic walked it twice (about 30 ms each); msgspec decodes straight
into the checked shape, in about the time of the decode alone. Pydantic's model stays the
one the API documents (/openapi.json), and says what is wrong with a body msgspec refused
(422 with the field path, as FastAPI answers for any body): the slow pass only for bad
requests. tests/test_service_body.py holds the two to the same rules.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

__all__ = ["MAX_RECORDS", "ScoreRequest", "decode_records", "request_body_schema"]

MAX_RECORDS = 10_000

FieldValue = str | int | float | bool | list[str | int | float | bool | None] | None

# A record with no fields has nothing to score: 422 at its own path, like any bad field.
Record = Annotated[dict[str, FieldValue], Field(min_length=1)]


class ScoreRequest(BaseModel):
    records: list[Record] = Field(
        min_length=1,
        max_length=MAX_RECORDS,
        description="CRM rows: field names as exported (Salesforce, HubSpot, ...) or "
        "canonical names; values as in a CSV export ('51-200', '$1.2M', 'Germany').",
    )


# The same rules for msgspec (kept equal to ScoreRequest by the tests).
_Record = Annotated[dict[str, FieldValue], msgspec.Meta(min_length=1)]


class _Body(msgspec.Struct):
    records: Annotated[list[_Record], msgspec.Meta(min_length=1, max_length=MAX_RECORDS)]


_DECODER = msgspec.json.Decoder(_Body)


def decode_records(body: bytes) -> list[dict[str, Any]]:
    """The records of a score request body; RequestValidationError (422) if it is not one."""
    try:
        return _DECODER.decode(body).records
    except msgspec.MsgspecError as exc:
        refused = str(exc)
    try:  # a bad body: pydantic names each bad field the way FastAPI's 422 does
        ScoreRequest.model_validate_json(body)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None
    # Pydantic accepts a few bodies msgspec does not (numbers past a double, 1e400):
    # msgspec's message has the path too.
    raise RequestValidationError([{"loc": ("body",), "msg": refused, "type": "value_error"}])


def request_body_schema() -> dict[str, Any]:
    """The OpenAPI request body of the score operation: ScoreRequest's JSON schema."""
    schema = ScoreRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    return {"required": True, "content": {"application/json": {"schema": schema}}}
