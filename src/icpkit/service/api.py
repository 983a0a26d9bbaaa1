"""The /v1 JSON API: scoring, profile versions, accounts. Thin: parse, call, shape.

Request and response models document the API in /openapi.json; the score endpoint
answers with pre-serialised JSON (msgspec) because 10,000 results through FastAPI's
generic encoder would cost more than scoring them.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from ..errors import IcpError
from ..profile import Profile, profile_to_dict
from .accounts import NoAccounts
from .body import request_body_schema
from .core import Service
from .deps import get_service, require_scope
from .profiles import VersionNotFound, profile_text
from .store import KeyRecord

__all__ = ["ERROR_RESPONSES", "ErrorBody", "router"]

# Version numbers are INTEGER in the store: bound them so a huge one is a 422, not a 500.
Version = Annotated[int, Path(ge=1, le=2_147_483_647)]


class ErrorDetail(BaseModel):
    code: int
    message: str


class ErrorBody(BaseModel):
    """Every error but 422 has this shape (422 adds FastAPI's per-field ``detail`` list)."""

    error: ErrorDetail
    detail: Any = None


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class InvalidBody(BaseModel):
    """A 422: what is wrong, with the path of each bad field (as FastAPI's own 422)."""

    error: ErrorDetail
    detail: list[FieldError]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No API key, or an unknown or revoked one"},
    403: {"model": ErrorBody, "description": "The key lacks the scope this needs"},
    413: {"model": ErrorBody, "description": "The request body is too large"},
    429: {"model": ErrorBody, "description": "Rate limit exceeded; see Retry-After"},
}


class ScoreResult(BaseModel):
    account_id: str | None
    icp_score: int
    icp_tier: str
    icp_segment: str | None
    icp_reasons: list[str]
    warnings: list[str]


class ScoreResponse(BaseModel):
    profile_version: int
    results: list[ScoreResult]
    ignored_columns: list[str] = Field(description="Fields that did not count in the score")
    missing_columns: list[str] = Field(description="Profile columns no record gave")


class VersionSummary(BaseModel):
    version: int
    author: str | None
    note: str | None
    created: str | None
    active: bool


class ProfilesResponse(BaseModel):
    active: int | None
    versions: list[VersionSummary]


class SavedVersion(BaseModel):
    version: int
    active: int | None


class DiffResponse(BaseModel):
    from_: int = Field(alias="from")
    to: int
    summary: dict[str, Any]
    changes: list[dict[str, Any]]


class AccountsResponse(BaseModel):
    total: int
    accounts: list[dict[str, Any]]
    next_cursor: str | None


class _OrjsonRequest(Request):
    """A request whose JSON body orjson decodes (a profile upload; the score body has its
    own one-pass decoder, icpkit.service.body): quicker than the standard library. A decode
    error is still a json.JSONDecodeError (orjson's is a subclass), so FastAPI answers 422
    as before; JSON beyond the standard (NaN) is a decode error too."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
        return self._json


class _OrjsonRoute(APIRoute):
    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            response: Response = await handler(_OrjsonRequest(request.scope, request.receive))
            return response

        return route


router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, route_class=_OrjsonRoute)
ServiceDep = Annotated[Service, Depends(get_service)]


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _bad_request(exc: IcpError) -> HTTPException:
    status = 404 if isinstance(exc, VersionNotFound | NoAccounts) else 400
    return HTTPException(status, str(exc))


@router.post(
    "/score",
    response_model=ScoreResponse,
    summary="Score records with the promoted profile",
    # The body is read as bytes and decoded in one pass (icpkit.service.body); the schema
    # documented is still ScoreRequest's.
    openapi_extra={"requestBody": request_body_schema()},
    responses={422: {"model": InvalidBody, "description": "Not a valid score request"}},
)
async def score(
    request: Request,
    key: Annotated[KeyRecord, Depends(require_scope("score"))],
) -> Response:
    records = request.app.state.decoder.decode(await request.body())
    try:
        version, scored = await request.app.state.coalescer.score(records)
    except IcpError as exc:  # the records passed the schema but intake refused a value
        error = {"loc": ("body", "records"), "msg": str(exc), "type": "value_error"}
        raise RequestValidationError([error]) from None
    return Response(scored.response(version), media_type="application/json")


@router.get("/profiles", response_model=ProfilesResponse, summary="Profile versions")
def list_profiles(
    service: ServiceDep, key: Annotated[KeyRecord, Depends(require_scope("read"))]
) -> dict[str, Any]:
    return {"active": service.store.active_version(), "versions": service.versions()}


@router.get(
    "/profiles/{version}",
    summary="One profile version (JSON, or YAML with ?format=yaml or Accept: application/yaml)",
    responses={404: {"model": ErrorBody}, 200: {"content": {"application/yaml": {}}}},
)
def get_profile(
    version: Version,
    request: Request,
    service: ServiceDep,
    key: Annotated[KeyRecord, Depends(require_scope("read"))],
    format: Annotated[str | None, Query(pattern="^(json|yaml)$")] = None,
) -> Response:
    from . import profiles

    try:
        profile = profiles.get_profile(service.store, version)
    except IcpError as exc:
        raise _bad_request(exc) from None
    wants_yaml = format == "yaml" or (
        format is None and "yaml" in request.headers.get("accept", "")
    )
    if wants_yaml:
        return Response(profile_text(profile), media_type="application/yaml")
    return _json(profile_to_dict(profile))


@router.post(
    "/profiles",
    response_model=SavedVersion,
    status_code=201,
    summary="Upload a new profile version (validated: 422 names the bad field; not promoted)",
    responses={400: {"model": ErrorBody}},
)
def upload_profile(
    service: ServiceDep,
    key: Annotated[KeyRecord, Depends(require_scope("admin"))],
    profile: Annotated[Profile, Body(description="The profile, as JSON (docs/profile.md)")],
    note: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    try:
        version = service.save_profile(
            profile_to_dict(profile), author=key.name or key.key_id, note=note
        )
    except IcpError as exc:
        raise _bad_request(exc) from None
    return {"version": version, "active": service.store.active_version()}


@router.post(
    "/profiles/{version}/promote",
    response_model=SavedVersion,
    summary="Make this version the one that scores",
    responses={404: {"model": ErrorBody}},
)
def promote_profile(
    version: Version,
    service: ServiceDep,
    key: Annotated[KeyRecord, Depends(require_scope("admin"))],
) -> dict[str, Any]:
    try:
        service.promote(version)
    except IcpError as exc:
        raise _bad_request(exc) from None
    return {"version": version, "active": version}


@router.get(
    "/profiles/{a}/diff/{b}",
    response_model=DiffResponse,
    summary="What changed from version a to version b",
    responses={404: {"model": ErrorBody}},
)
def diff_profiles(
    a: Version,
    b: Version,
    service: ServiceDep,
    key: Annotated[KeyRecord, Depends(require_scope("read"))],
) -> Response:
    try:
        return _json(service.diff(a, b))
    except IcpError as exc:
        raise _bad_request(exc) from None


@router.get(
    "/accounts",
    response_model=AccountsResponse,
    summary="The workspace's scored accounts (last run), filtered, paginated",
    responses={404: {"model": ErrorBody, "description": "No scored accounts to list"}},
)
def accounts(
    service: ServiceDep,
    key: Annotated[KeyRecord, Depends(require_scope("read"))],
    tier: Annotated[str | None, Query(pattern="^[ABCDabcd]$")] = None,
    segment: Annotated[str | None, Query(max_length=200)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(pattern="^[0-9]{1,9}$")] = None,
) -> Response:
    try:
        page = service.accounts_page(tier=tier, segment=segment, q=q, limit=limit, cursor=cursor)
    except IcpError as exc:
        raise _bad_request(exc) from None
    return _json(page)
