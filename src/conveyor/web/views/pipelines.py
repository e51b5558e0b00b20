"""The pipelines list (``/``), a pipeline's picture, and its live stream of changes."""

from __future__ import annotations

import json
from functools import partial

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, StreamingResponse

from conveyor.api.auth import service_of
from conveyor.service import Service
from conveyor.web import urls
from conveyor.web.live import Mark, changes, stream, token
from conveyor.web.picture import Picture, picture, state
from conveyor.web.render import PageRoute, page
from conveyor.web.session import Viewer

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Viewer) -> HTMLResponse:
    service = service_of(request)
    return page(request, "pipelines.html", who, pipelines=service.pipelines(), counts=service.status_counts())


def draw(service: Service, name: str) -> Picture:
    return picture(*service.pipeline_picture(name))


@router.get("/ui/pipelines/{name}", response_class=HTMLResponse)
def pipeline(request: Request, name: str, who: Viewer) -> HTMLResponse:
    service = service_of(request)
    mark = service.pipeline_mark(name)  # before drawing: a change while drawing is sent by the stream
    pic = draw(service, name)
    jobs = {n.name: n for n in pic.nodes if n.kind == "job"}
    return page(
        request,
        "pipeline.html",
        who,
        pic=pic,
        jobs=jobs,
        waiting=service.open_runs(name),
        live=f"{urls.pipeline_url(name)}/live?mark={token(mark)}",
    )


@router.get("/ui/pipelines/{name}/live")
async def live(request: Request, name: str, _: Viewer, mark: Mark = None) -> StreamingResponse:
    """Server-Sent Events: a ``state`` event (classes and labels by element) whenever anything the
    picture shows may have changed."""
    service = service_of(request)
    await run_in_threadpool(service.pipeline_mark, name)  # a missing pipeline is a 404 page, not a stream

    def render() -> str:
        return json.dumps(state(draw(service, name)), ensure_ascii=False)

    current = partial(service.pipeline_mark, name)
    return stream(changes(request, service, current, render, "state", f"pipeline {name!r}", mark))
