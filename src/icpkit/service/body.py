"""The body of ``POST /v1/score``: decoded and checked in one C pass (msgspec).

A 10,000-record body is 6.6 MB of JSON. Decoding it with orjson and then validating the
Python objects with pydantic walked it twice (about 30 ms each); msgspec decodes straight
into the checked shape, in about the time of the decode alone. Pydantic's model stays the
one the API documents (/openapi.json), and says what is wrong with a body msgspec refused
(422 with the field path, as FastAPI answers for any body): the slow pass only for bad
requests. tests/test_service_body.py holds the two to the same rules.

A batch's records are one export's rows: the same field names, request after request.
:class:`RecordsDecoder` remembers, per set of field names it has met in a batch, a record
*layout*: a msgspec Struct with exactly those fields (each checked as any field value is).
A body whose records all fit one decodes straight into them: no dict per record (27 ms a
10,000-record batch as dicts, 15 ms as layouts), and the batch's field names known
without reading every record again. A layout is a read-only mapping too (``rec["Industry"]``,
``rec.get``, ``dict(rec)``), so nothing downstream has to know. A body that fits no layout
(a field more or less in any record, a bad value) is decoded as dicts, as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated, Any

import msgspec
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

__all__ = [
    "MAX_RECORDS",
    "RecordsDecoder",
    "ScoreRequest",
    "decode_records",
    "layout_header",
    "request_body_schema",
    "shared_fields",
]

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


#: A batch of at least this many records teaches the decoder its layout (a single lead's
#: body decodes in microseconds either way; its field names vary more).
LAYOUT_MIN = 128
#: Layouts remembered (most recently used first); each is tried before the dict decode.
LAYOUTS_MAX = 4


def layout_header(records: Sequence[Any]) -> tuple[str, ...] | None:
    """The field names of records decoded into one layout; None for any other records."""
    kinds = set(map(type, records))
    if len(kinds) != 1:
        return None
    header: tuple[str, ...] | None = getattr(kinds.pop(), "header", None)
    return header


def shared_fields(records: Sequence[Mapping[str, Any]]) -> tuple[str, ...] | None:
    """The field names of records that all have the same fields (one export's rows: the
    usual batch), in the first record's order; None when they differ."""
    if (header := layout_header(records)) is not None:  # decoded into one layout: its names
        return header
    first = records[0].keys() if records else {}.keys()
    # Every record as many fields as the first, and no field the first lacks (at C level).
    if set(map(len, records)) <= {len(first)} and first >= set().union(*records):
        return tuple(first)
    return None


def _layout(header: tuple[str, ...]) -> type[msgspec.Struct]:
    """A Struct with exactly these fields (attributes f0, f1, ... renamed to the field
    names: a field name need not be a Python name), read like a mapping."""
    attr_of = {name: f"f{i}" for i, name in enumerate(header)}

    def get(self: Any, name: str, default: Any = None) -> Any:
        attr = attr_of.get(name)
        return default if attr is None else getattr(self, attr)

    def getitem(self: Any, name: str) -> Any:
        return getattr(self, attr_of[name])  # KeyError for another name, as a dict

    def items(self: Any) -> Iterator[tuple[str, Any]]:
        return ((name, getattr(self, attr)) for name, attr in attr_of.items())

    namespace = {
        "header": header,
        "attr_of": attr_of,
        "get": get,
        "__getitem__": getitem,
        "__contains__": lambda self, name: name in attr_of,
        "__iter__": lambda self: iter(header),
        "__len__": lambda self: len(header),
        "keys": lambda self: attr_of.keys(),
        "items": items,
    }
    record = msgspec.defstruct(
        "Record",
        [(attr, FieldValue) for attr in attr_of.values()],
        rename={attr: name for name, attr in attr_of.items()},
        forbid_unknown_fields=True,
        gc=False,  # values are text, numbers and lists of them: no cycles to collect
        namespace=namespace,
    )
    Mapping.register(record)
    return record


class RecordsDecoder:
    """Decodes score request bodies, into a remembered layout when the records fit one
    (see the module docstring). Thread-safe."""

    def __init__(self) -> None:
        self._layouts: OrderedDict[frozenset[str], msgspec.json.Decoder[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def decode(self, body: bytes) -> Sequence[Mapping[str, Any]]:
        """The records of a body; RequestValidationError (422) if it is not a score request."""
        with self._lock:
            layouts = list(self._layouts.items())
        for names, decoder in reversed(layouts):
            try:
                records: list[Any] = decoder.decode(body).records
            except msgspec.MsgspecError:
                continue  # another layout, a bad body: the next one, then the dicts say
            with self._lock:
                if names in self._layouts:
                    self._layouts.move_to_end(names)
            return records
        records = decode_records(body)
        if len(records) >= LAYOUT_MIN:
            self._learn(records)
        return records

    def _learn(self, records: list[dict[str, Any]]) -> None:
        header = shared_fields(records)
        if not header:
            return
        layout = _layout(header)
        body_type = msgspec.defstruct(
            "Body",
            [
                (
                    "records",
                    Annotated[list[layout], msgspec.Meta(min_length=1, max_length=MAX_RECORDS)],  # type: ignore[valid-type]
                )
            ],
        )
        with self._lock:
            self._layouts[frozenset(header)] = msgspec.json.Decoder(body_type)
            while len(self._layouts) > LAYOUTS_MAX:
                self._layouts.popitem(last=False)


def request_body_schema() -> dict[str, Any]:
    """The OpenAPI request body of the score operation: ScoreRequest's JSON schema."""
    schema = ScoreRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    return {"required": True, "content": {"application/json": {"schema": schema}}}
