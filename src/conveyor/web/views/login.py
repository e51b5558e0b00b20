"""Logging in with a token (``conveyor token create``) and out. With ``--no-auth`` there is nothing to do."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from conveyor.api.auth import check_token
from conveyor.web import urls
from conveyor.web.render import PageRoute, local, page
from conveyor.web.session import SESSION_COOKIE, Form, set_cookie

router = APIRouter(prefix=urls.PREFIX, route_class=PageRoute, include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = urls.HOME) -> Response:
    if not request.app.state.auth:
        return RedirectResponse(local(next, urls.HOME), status_code=303)
    return page(request, "login.html", next=local(next, urls.HOME), error="")


@router.post("/login")
def login(request: Request, form: Form) -> Response:
    token = form.get("token", "").strip()
    target = local(form.get("next"), urls.HOME)
    try:
        check_token(request, token, "viewer")
    except HTTPException as exc:
        message = "that token is not valid (or was revoked)" if exc.status_code == 401 else str(exc.detail)
        return page(request, "login.html", status_code=exc.status_code, next=target, error=message)
    response = RedirectResponse(target, status_code=303)
    if request.app.state.auth:
        set_cookie(request, response, SESSION_COOKIE, token)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/logout")
def logout(request: Request, _: Form) -> Response:
    response = RedirectResponse(urls.LOGIN, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
