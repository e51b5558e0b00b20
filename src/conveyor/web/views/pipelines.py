"""The pipelines list (``/``), a pipeline's picture, and its live stream of changes."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, StreamingResponse

from conveyor.api.auth import check_token, service_of
from conveyor.service import Service
from conveyor.web import urls
from conveyor.web.picture import Picture, picture, state
from conveyor.web.render import PageRoute, page
from conveyor.web.session import SESSION_COOKIE, Viewer

log = logging.getLogger("conveyor.web")
router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: How often a live page's stream looks for changes (three indexed reads when nothing changed).
POLL_SECONDS = 0.5
#: A comment line this often keeps proxies from closing an idle stream.
PING_SECONDS = 15.0
#: The session is checked again this often, so a revoked token stops its open pages too.
RECHECK_SECONDS = 30.0


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Viewer) -> HTMLResponse:
    service = service_of(request)
    return page(request, "pipelines.html", who, pipelines=service.pipelines(), counts=service.status_counts())


def draw(service: Service, name: str) -> Picture:
    return picture(service.pipeline_detail(name), service.latest_inputs(name))


@router.get("/ui/pipelines/{name}", response_class=HTMLResponse)
def pipeline(request: Request, name: str, who: Viewer) -> HTMLResponse:
    service = service_of(request)
    pic = draw(service, name)
    jobs = {n.name: n for n in pic.nodes if n.kind == "job"}
    return page(
        request,
        "pipeline.html",
        who,
        pic=pic,
        jobs=jobs,
        waiting=service.open_runs(name),
        live=f"{urls.pipeline_url(name)}/live",
    )


@router.get("/ui/pipelines/{name}/live")
async def live(request: Request, name: str, _: Viewer) -> StreamingResponse:
    """Server-Sent Events: a ``state`` event (classes and labels by element) whenever anything the
    picture shows may have changed."""
    service = service_of(request)
    await run_in_threadpool(service.pipeline_mark, name)  # a missing pipeline is a 404 page, not a stream
    return StreamingResponse(
        _changes(request, service, name),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _changes(request: Request, service: Service, name: str) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    mark = None
    last_sent = checked = loop.time()
    token = request.cookies.get(SESSION_COOKIE, "")
    yield "retry: 2000\n\n"
    while not service.closing.is_set():
        now = loop.time()
        try:
            if now - checked > RECHECK_SECONDS:
                await run_in_threadpool(check_token, request, token, "viewer")
                checked = now
            current = await run_in_threadpool(service.pipeline_mark, name)
            if current != mark:
                pic = await run_in_threadpool(draw, service, name)
                mark = current
                last_sent = now
                yield f"event: state\ndata: {json.dumps(state(pic), ensure_ascii=False)}\n\n"
            elif now - last_sent > PING_SECONDS:
                last_sent = now
                yield ": ping\n\n"
        except Exception:  # a revoked token, a removed pipeline, a database error: the page reloads
            log.warning("live stream of pipeline %r ended", name, exc_info=True)
            yield "event: gone\ndata: reload\n\n"
            return
        if await request.is_disconnected():
            return
        await asyncio.sleep(POLL_SECONDS)
