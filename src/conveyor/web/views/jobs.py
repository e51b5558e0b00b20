"""A job's page: its run history (newest first, a page at a time; the newest page live), Trigger, Pause
and Unpause."""

from __future__ import annotations

import json
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from conveyor.api.auth import service_of
from conveyor.service import Service
from conveyor.web import urls
from conveyor.web.live import Mark, changes, stream, token
from conveyor.web.render import ENV, PageRoute, page, redirect
from conveyor.web.session import Form, Operator, Viewer

router = APIRouter(
    prefix="/ui/pipelines/{pipeline}/jobs/{job}", route_class=PageRoute, include_in_schema=False
)

PAGE = 50
Cursor = Annotated[int | None, Query(ge=1, le=2**62)]


@router.get("", response_class=HTMLResponse)
def job_page(request: Request, pipeline: str, job: str, who: Viewer, before: Cursor = None) -> HTMLResponse:
    service = service_of(request)
    mark = service.pipeline_mark(pipeline)  # before reading: a change meanwhile is sent by the stream
    return page(
        request,
        "job.html",
        who,
        job=service.job_detail(pipeline, job),
        # the newest runs follow the stream; an older page stays as it is
        live=None if before else f"{urls.job_url(pipeline, job)}/live?mark={token(mark)}",
        **_history(service, pipeline, job, before),
    )


def _history(service: Service, pipeline: str, job: str, before: int | None) -> dict[str, Any]:
    """What ``job_runs.html`` shows: a page of runs, what each read, and where the pages around it are."""
    runs = service.runs_page(pipeline, job, before=before, limit=PAGE)
    return {
        "pipeline": pipeline,
        "job_name": job,
        "runs": runs,
        "inputs": service.inputs_of_runs([r["id"] for r in runs]),
        "before": before,
        "older": runs[-1]["id"] if len(runs) == PAGE else None,
    }


@router.get("/live")
async def live(request: Request, pipeline: str, job: str, _: Viewer, mark: Mark = None) -> StreamingResponse:
    """Server-Sent Events: a ``runs`` event (the newest runs' rows, rendered, and the latest status)
    whenever the pipeline's mark moves and the rows changed: a new run appears, a status changes."""
    service = service_of(request)
    await run_in_threadpool(service.runs_page, pipeline, job, None, 1)  # a missing job is a 404 page

    def render() -> str:
        history = _history(service, pipeline, job, None)
        latest = history["runs"][0]["status"] if history["runs"] else None
        html = ENV.get_template("job_runs.html").render(**history)
        return json.dumps({"html": html, "status": latest}, ensure_ascii=False)

    current = partial(service.pipeline_mark, pipeline)
    return stream(changes(request, service, current, render, "runs", f"job {pipeline}/{job}", mark))


@router.post("/trigger")
def trigger(request: Request, pipeline: str, job: str, who: Operator, form: Form) -> Response:
    run = service_of(request).trigger_job(job, pipeline, creator=who.name)
    return redirect(request, urls.job_url(pipeline, job), f"{job} #{run['number']} is {run['status']}", form)


@router.post("/pause")
def pause(request: Request, pipeline: str, job: str, who: Operator, form: Form) -> Response:
    service_of(request).set_paused(job, True, pipeline, by=who.name)
    return redirect(
        request, urls.job_url(pipeline, job), f"{job} is paused: its runs wait until unpaused", form
    )


@router.post("/unpause")
def unpause(request: Request, pipeline: str, job: str, who: Operator, form: Form) -> Response:
    service_of(request).set_paused(job, False, pipeline, by=who.name)
    return redirect(request, urls.job_url(pipeline, job), f"{job} is unpaused", form)
