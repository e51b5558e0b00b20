"""Pages: the Jinja2 environment (autoescaped: every name, log line and property a user wrote is
escaped), the filters pages share, and the route class that turns errors into pages instead of JSON.

Responses forbid inline scripts and styles (Content-Security-Policy): the only script is
``static/ui.js``, so a string that slipped past escaping still could not run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from conveyor.api.auth import Principal
from conveyor.errors import ConveyorError
from conveyor.web import urls
from conveyor.web.session import CSRF_COOKIE, FLASH_COOKIE, csrf_token, set_cookie

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

#: Set by ui.js on forms it sends itself (``data-inline``): answer 204 with the note, no redirect.
INLINE_HEADER = "x-conveyor-inline"

FINISHED = frozenset({"succeeded", "failed", "errored", "timed_out", "cancelled"})


def when(ts: float | None) -> str:
    """A moment in UTC, to the second: the same on every screen, sortable, and what logs print."""
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.1f} s"
    minutes, secs = divmod(int(value), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def duration(run: dict[str, Any]) -> str:
    """How long a run took, or has been running."""
    start = run.get("started_at")
    if start is None:
        return "—"
    end = run.get("finished_at") or time.time()
    return seconds(end - start)


def cause(c: dict[str, Any]) -> str:
    """One trigger cause in words."""
    kind = c.get("kind")
    if kind == "manual":
        return f"triggered by {c.get('by', 'someone')}"
    if kind == "version":
        return f"new version {c.get('resource')} v{c.get('number')}"
    if kind == "job":
        return f"{c.get('job')} #{c.get('number')} succeeded"
    if kind == "pipeline":
        return f"pipeline v{c.get('version')}: {c.get('reason', 'changed')}"
    if kind == "retry":
        return f"retry (attempt {c.get('attempt')}) of run {c.get('of')}"
    if kind == "workflow":
        return f"workflow {str(c.get('workflow', ''))[:8]}"
    return json.dumps(c, ensure_ascii=False)


def status_word(status: str | None) -> str:
    return (status or "never run").replace("_", " ")


#: tink's states (wire names) as badges: the class of the pipeline status they look like, and tink's word.
TINK_BADGES = {
    "STATE_PENDING": ("pending", "pending"),
    "STATE_RUNNING": ("running", "running"),
    "STATE_SUCCESS": ("succeeded", "success"),
    "STATE_FAILED": ("failed", "failed"),
    "STATE_TIMEOUT": ("timed_out", "timeout"),
}


def tink_badge(wire: str | None) -> tuple[str, str]:
    return TINK_BADGES.get(wire or "", ("never", (wire or "—").removeprefix("STATE_").lower()))


def pretty_json(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return str(value)
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=when,
        iso=iso,
        seconds=seconds,
        duration=duration,
        cause=cause,
        status=status_word,
        json=pretty_json,
        tink=tink_badge,
    )
    env.globals.update(urls=urls, finished=FINISHED)
    return env


ENV = _environment()


def page(
    request: Request, template: str, who: Principal | None = None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render ``template`` for this browser: with its form token, the signed-in user and any note left
    by the action that redirected here."""
    token, new = csrf_token(request)
    flash = unquote(request.cookies.get(FLASH_COOKIE, ""))
    html = ENV.get_template(template).render(
        request_path=request.url.path,
        csrf=token,
        who=who,
        auth=bool(request.app.state.auth),
        flash=flash,
        **context,
    )
    response = HTMLResponse(html, status_code, headers=HEADERS)
    if new:
        set_cookie(request, response, CSRF_COOKIE, token)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def local(url: str | None, default: str) -> str:
    """``url`` if it is a path on this site, else ``default``: a form's ``back`` and the login page's
    ``next`` must never send the browser elsewhere."""
    if url and url.startswith("/") and not url.startswith(("//", "/\\")):
        return url
    return default


def redirect(request: Request, url: str, note: str = "", form: dict[str, str] | None = None) -> Response:
    """After a form: to the page its ``back`` field names, else ``url`` (303, so a reload does not post
    again), with a one-time note. A form the page's script sent itself (a live page that must not
    reload) gets just the note."""
    if request.headers.get(INLINE_HEADER):  # the page sent it with fetch and stays where it is
        headers = {"X-Conveyor-Note": quote(note), "Cache-Control": "no-store"}
        return Response(status_code=204, headers=headers)
    url = local((form or {}).get("back"), url)
    response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
    if note:
        set_cookie(request, response, FLASH_COOKIE, quote(note[:300]), max_age=60)
    return response


def error_page(request: Request, status_code: int, message: str) -> Response:
    return page(request, "error.html", status_code=status_code, message=message, code=status_code)


class PageRoute(APIRoute):
    """A UI route: a missing session goes to the login page, and every error is a readable page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as exc:
                if exc.status_code == 401:
                    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    if request.method != "GET":
                        back = urls.HOME
                    return RedirectResponse(f"{urls.LOGIN}?next={quote(back, safe='')}", status_code=303)
                return error_page(request, exc.status_code, str(exc.detail))
            except ConveyorError as exc:
                return error_page(request, exc.http_status, exc.message)
            except RequestValidationError:
                return error_page(request, 404, "no such page")

        return run
