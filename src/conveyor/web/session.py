"""Who is looking at the UI, and whether a form really comes from it.

The session is an API token in an HttpOnly, ``SameSite=Strict`` cookie, checked on every request by the
same code as the API's bearer tokens (``api.auth.check_token``): a revoked token logs its browser out at
once, and roles mean the same in both. With ``--no-auth`` everyone is the anonymous admin.

Forms: the cookie never leaves on a cross-site request (``SameSite=Strict``), and every POST must also
carry the value of a second random cookie (double submit) and, when the browser says where it comes
from (``Origin``, ``Sec-Fetch-Site``), come from this site. Any one of the three stops a forged form.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response

from conveyor.api.auth import Principal, check_token

SESSION_COOKIE = "conveyor_session"
CSRF_COOKIE = "conveyor_csrf"
FLASH_COOKIE = "conveyor_flash"
#: A form of the UI is a few fields; a version's properties are the biggest.
MAX_FORM = 1024 * 1024


def _user(role: str) -> Callable[[Request], Principal]:
    def dependency(request: Request) -> Principal:
        token = request.cookies.get(SESSION_COOKIE, "")
        if request.app.state.auth and not token:
            raise HTTPException(401, "log in to see this page")
        return check_token(request, token, role)

    return dependency


Viewer = Annotated[Principal, Depends(_user("viewer"))]
Operator = Annotated[Principal, Depends(_user("operator"))]


def csrf_token(request: Request) -> tuple[str, bool]:
    """The browser's form token, and whether it is new (then the response must set the cookie)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) >= 32:
        return token, False
    return secrets.token_urlsafe(32), True


def set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _same_site(request: Request) -> bool:
    """Whether the browser says the request comes from this site (or says nothing: not a browser). The
    host alone is compared, so a proxy that ends TLS in front of the server does not break forms."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host", "")


async def _form(request: Request) -> dict[str, str]:
    """The POSTed form's fields, once it has passed the cross-site checks."""
    if not _same_site(request):
        raise HTTPException(403, "this form was sent from another site")
    body = await request.body()
    if len(body) > MAX_FORM:
        raise HTTPException(413, f"a form is at most {MAX_FORM} bytes")
    fields = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(fields.get("csrf", ""), cookie):
        raise HTTPException(403, "this form has expired or came from another site: reload the page and retry")
    return fields


Form = Annotated[dict[str, str], Depends(_form)]
