"""The workbench's pages: each handler reads the session, calls the library, renders a template.

Everything is under ``/ui``. Pages are server-rendered (Jinja, autoescape on); the only
JavaScript sends what-if edits and swaps in the answer. POSTs need the session's CSRF token.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Coroutine
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from ...drift import profile_diff
from ...errors import IcpError
from ...whatif import apply_edits
from ...workbench import ACCOUNT_COLUMNS, AccountQuery, Workbench, csv_text
from ..auth import AuthError
from ._backend import WebBackend, backend
from ._render import render, whatif_fragment
from ._session import COOKIE, MAX_AGE, Session

__all__ = ["router"]

PREFIX = "/ui"


class _HtmlErrors(APIRoute):
    """A page that fails says why on a page (the API's JSON errors are for machines).

    Redirects (sign in) pass through; the what-if endpoint answers JSON itself.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as exc:
                if exc.status_code < 400 or request.url.path.startswith(f"{PREFIX}/api/"):
                    raise
                return _error_page(request, exc.status_code, str(exc.detail))
            except IcpError as exc:
                return _error_page(request, 400, str(exc))

        return run


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    title = {403: "Not allowed", 404: "Not found"}.get(status, "Something is missing")
    body = render(
        "error.html.j2", request=request, session=None, prefix=PREFIX, title=title, message=message
    )
    return HTMLResponse(body, status_code=status)


pages = APIRouter(prefix=PREFIX, include_in_schema=False, route_class=_HtmlErrors)
_STATIC = {"app.css": "text/css", "app.js": "text/javascript"}
PAGE_SIZE = 50


# ----------------------------------------------------------------------------- session


class _SignIn(Exception):
    """No valid session: send the browser to the sign-in page."""


def _session(
    request: Request,
    web: Annotated[WebBackend, Depends(backend)],
) -> Session:
    session = web.signer.read(request.cookies.get(COOKIE))
    if session is not None and web.key(session.key_id) is None:
        session = None  # the key was revoked since sign-in
    if session is None:
        raise HTTPException(
            303,
            headers={"Location": f"{PREFIX}/login?{urlencode({'next': str(request.url.path)})}"},
        )
    return session


SessionDep = Annotated[Session, Depends(_session)]
Web = Annotated[WebBackend, Depends(backend)]


def _check_csrf(
    session: Session,
    token: str | None,
) -> None:
    if not token or not secrets.compare_digest(token, session.csrf):
        raise HTTPException(403, "the form expired or came from another site: reload the page")


def _admin(
    session: Session,
) -> None:
    if not session.is_admin:
        raise HTTPException(403, "this needs an admin key (yours is read-only)")


def _page(
    request: Request,
    name: str,
    session: Session | None,
    **ctx: Any,
) -> HTMLResponse:
    return HTMLResponse(render(name, request=request, session=session, prefix=PREFIX, **ctx))


@pages.get("/static/{name}")
def static(
    name: str,
) -> Response:
    if name not in _STATIC:
        raise HTTPException(404)
    body = resources.files(__package__).joinpath("static", name).read_bytes()
    return Response(body, media_type=_STATIC[name], headers={"Cache-Control": "max-age=300"})


@pages.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    next: str = f"{PREFIX}/",
    error: str = "",
) -> HTMLResponse:
    return _page(request, "login.html.j2", None, next=_safe_next(next), error=error)


def _safe_next(
    target: str,
) -> str:
    """Only our own pages (no open redirect to another site)."""
    return target if target.startswith(f"{PREFIX}/") and "//" not in target else f"{PREFIX}/"


@pages.post("/login")
def login(
    request: Request,
    web: Web,
    key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = f"{PREFIX}/",
) -> Response:
    try:
        record = web.sign_in(key)
    except AuthError as exc:
        why = "That key is not valid." if exc.status == 401 else f"{exc}."
        return _page(request, "login.html.j2", None, next=_safe_next(next), error=why)
    _, cookie = web.signer.new(record.key_id, record.name or record.key_id, record.scope)
    out = RedirectResponse(_safe_next(next), status_code=303)
    out.set_cookie(
        COOKIE,
        cookie,
        max_age=MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=PREFIX,
    )
    return out


@pages.post("/logout")
def logout(
    session: SessionDep,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    _check_csrf(session, csrf)
    out = RedirectResponse(f"{PREFIX}/login", status_code=303)
    out.delete_cookie(COOKIE, path=PREFIX)
    return out


# ----------------------------------------------------------------------------- overview


@pages.get("/", response_class=HTMLResponse)
def overview(
    request: Request,
    session: SessionDep,
    web: Web,
) -> HTMLResponse:
    report = web.workbench.report()
    sections = {s["id"]: s for s in report.get("sections", [])}
    version, _ = web.active_profile()
    return _page(
        request,
        "overview.html.j2",
        session,
        report=report,
        version=version,
        sections=[sections[k] for k in ("segments", "anti-icp", "backtest") if k in sections],
    )


# ----------------------------------------------------------------------------- points & what-if


@pages.get("/points", response_class=HTMLResponse)
def points(
    request: Request,
    session: SessionDep,
    web: Web,
    version: int | None = None,
    saved: int | None = None,
) -> HTMLResponse:
    active, _ = web.active_profile()
    profile = web.profile(version)
    web.workbench.warm_whatif(profile)
    return _page(
        request,
        "points.html.j2",
        session,
        profile=profile,
        version=version if version is not None else active,
        active=active,
        versions=web.versions(),
        saved=saved,
    )


def _edited(
    web: WebBackend,
    version: int | None,
    edits: Any,
) -> tuple[Any, Any]:
    if not isinstance(edits, list):
        raise HTTPException(422, "edits must be a list")
    base = web.profile(version)
    return base, apply_edits(base, edits)


@pages.post("/api/whatif")
async def whatif(
    request: Request,
    session: SessionDep,
    web: Web,
) -> JSONResponse:
    _check_csrf(session, request.headers.get("x-csrf-token"))
    try:
        body = await request.json()
        version = body.get("version")
        base, edited = _edited(
            web, None if version in (None, "") else int(version), body.get("edits")
        )
        result = web.workbench.whatif().compare(base, edited)
    except (IcpError, ValueError, TypeError, AttributeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
    return JSONResponse(
        {
            "html": whatif_fragment(result, edited),
            "current": {k: result["current"][k] for k in ("auc", "ab_share_of_successes")},
            "edited": {k: result["edited"][k] for k in ("auc", "ab_share_of_successes")},
            "rows_changing_tier": result["rows_changing_tier"],
        }
    )


@pages.post("/points/save")
def save_version(
    request: Request,
    session: SessionDep,
    web: Web,
    csrf: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    edits: Annotated[str, Form()] = "[]",
    author: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    _check_csrf(session, csrf)
    _admin(session)
    if not author.strip() or not note.strip():
        raise HTTPException(422, "a saved version needs an author and a note")
    try:
        _, edited = _edited(web, int(version) if version else None, json.loads(edits))
    except (IcpError, ValueError) as exc:
        raise HTTPException(422, str(exc)) from None
    new = web.save(edited, author=author.strip(), note=note.strip())
    return RedirectResponse(f"{PREFIX}/points?version={new}&saved={new}", status_code=303)


@pages.post("/points/promote")
def promote(
    session: SessionDep,
    web: Web,
    version: Annotated[int, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    _check_csrf(session, csrf)
    _admin(session)
    web.promote(version)
    return RedirectResponse(f"{PREFIX}/points?version={version}", status_code=303)


@pages.get("/points/diff", response_class=HTMLResponse)
def diff(
    request: Request,
    session: SessionDep,
    web: Web,
    a: int,
    b: int,
) -> HTMLResponse:
    try:
        result = profile_diff(web.profile(a), web.profile(b))
    except IcpError as exc:
        raise HTTPException(404, str(exc)) from None
    rows = result.table.astype(object).where(result.table.notna(), None).to_dict("records")
    return _page(
        request,
        "diff.html.j2",
        session,
        a=a,
        b=b,
        rows=rows,
        summary=result.summary,
        versions=web.versions(),
    )


# ----------------------------------------------------------------------------- accounts


def _query(
    request: Request,
) -> AccountQuery:
    p = request.query_params

    def number(name: str) -> float | None:
        try:
            return float(p[name]) if p.get(name, "").strip() else None
        except ValueError:
            raise HTTPException(422, f"{name} must be a number") from None

    return AccountQuery(
        tier=p.get("tier", ""),
        segment=p.get("segment", ""),
        industry=p.get("industry", ""),
        region=p.get("region", ""),
        min_employees=number("min_employees"),
        max_employees=number("max_employees"),
        q=p.get("q", ""),
        sort=p.get("sort", "icp_score"),
        descending=p.get("order", "desc") != "asc",
    )


@pages.get("/accounts", response_class=HTMLResponse)
def accounts(
    request: Request,
    session: SessionDep,
    web: Web,
) -> HTMLResponse:
    query = _query(request)
    try:
        page_no = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page_no = 1
    rows, total = web.workbench.query(query, offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    params = {k: v for k, v in request.query_params.items() if k != "page" and v}
    columns = [c for c in ACCOUNT_COLUMNS if c in rows.columns]
    return _page(
        request,
        "accounts.html.j2",
        session,
        query=query,
        rows=rows.astype(object).where(rows.notna(), None).to_dict("records"),
        columns=columns,
        total=total,
        page_no=page_no,
        pages=max(1, -(-total // PAGE_SIZE)),
        facets=web.workbench.facets(),
        params=params,
        qs=urlencode(params),
    )


@pages.get("/accounts.csv")
def accounts_csv(
    request: Request,
    session: SessionDep,
    web: Web,
) -> Response:
    rows, _ = web.workbench.query(_query(request), limit=None)
    keep = [
        c
        for c in (
            "account_id",
            "name",
            "domain",
            "icp_score",
            "icp_tier",
            "icp_segment",
            *ACCOUNT_COLUMNS,
            "icp_reasons",
        )
        if c in rows.columns
    ]
    return Response(
        csv_text(rows[keep]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="icp-accounts.csv"'},
    )


@pages.get("/accounts/{account_id}", response_class=HTMLResponse)
def account(
    request: Request,
    session: SessionDep,
    web: Web,
    account_id: str,
) -> HTMLResponse:
    wb: Workbench = web.workbench
    frame = wb.accounts()
    match = frame[frame["account_id"].astype(str) == account_id]
    if match.empty:
        raise HTTPException(404, f"no account {account_id!r} in the last run")
    row = match.iloc[0].astype(object).where(match.iloc[0].notna(), None).to_dict()
    _, profile = web.active_profile()
    return _page(
        request,
        "account.html.j2",
        session,
        row=row,
        why=wb.why(account_id, profile),
        committee=wb.committee(account_id),
        highlights=wb.highlights(account_id),
        columns=[c for c in ACCOUNT_COLUMNS if c in row],
    )


# ----------------------------------------------------------------------------- market, voice, runs


def _sections(
    web: WebBackend,
    *ids: str,
) -> list[dict[str, Any]]:
    by_id = {s["id"]: s for s in web.workbench.report().get("sections", [])}
    return [by_id[i] for i in ids if i in by_id]


@pages.get("/market", response_class=HTMLResponse)
def market(
    request: Request,
    session: SessionDep,
    web: Web,
) -> HTMLResponse:
    return _page(
        request,
        "sections.html.j2",
        session,
        title="Market",
        active_nav="market",
        sections=web.workbench.market_sections(),
        lookalikes=web.workbench.lookalikes(50),
        show_lookalikes=True,
    )


@pages.get("/voice", response_class=HTMLResponse)
def voice(
    request: Request,
    session: SessionDep,
    web: Web,
    q: str = "",
) -> HTMLResponse:
    answer, error = None, None
    if q.strip():
        try:
            answer = web.workbench.ask(q.strip())
        except IcpError as exc:
            error = str(exc)
    return _page(
        request,
        "voice.html.j2",
        session,
        q=q,
        answer=answer,
        error=error,
        plan=web.workbench.interview_plan(),
        sections=_sections(web, "voice"),
    )


@pages.get("/runs", response_class=HTMLResponse)
def runs(
    request: Request,
    session: SessionDep,
    web: Web,
) -> HTMLResponse:
    return _page(
        request,
        "runs.html.j2",
        session,
        runs=list(reversed(web.workbench.runs())),
        versions=web.versions(),
        sections=_sections(web, "drift", "quality"),
    )


# What the service mounts: the pages, and the bare address sending a browser to them.
router = APIRouter(include_in_schema=False)
router.include_router(pages)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/", status_code=307)
