"""A job's page: its run history (newest first, a page at a time), Trigger, Pause and Unpause."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from conveyor.api.auth import service_of
from conveyor.web import urls
from conveyor.web.render import PageRoute, page, redirect
from conveyor.web.session import Form, Operator, Viewer

router = APIRouter(
    prefix="/ui/pipelines/{pipeline}/jobs/{job}", route_class=PageRoute, include_in_schema=False
)

PAGE = 50
Cursor = Annotated[int | None, Query(ge=1, le=2**62)]


@router.get("", response_class=HTMLResponse)
def job_page(request: Request, pipeline: str, job: str, who: Viewer, before: Cursor = None) -> HTMLResponse:
    service = service_of(request)
    detail = service.job_detail(pipeline, job)
    runs = service.runs_page(pipeline, job, before=before, limit=PAGE)
    inputs = service.inputs_of_runs([r["id"] for r in runs])
    return page(
        request,
        "job.html",
        who,
        pipeline=pipeline,
        job=detail,
        runs=runs,
        inputs=inputs,
        before=before,
        older=runs[-1]["id"] if len(runs) == PAGE else None,
    )


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
