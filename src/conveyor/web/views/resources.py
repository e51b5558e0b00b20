"""A resource's page: its versions (newest first, a page at a time) with their properties, who made
each and which runs read it; and a form to put a new version (which triggers its jobs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from conveyor.api.auth import service_of
from conveyor.cli.common import parse_pairs
from conveyor.errors import BadInput, NotFound
from conveyor.service.reads import public_version
from conveyor.web import urls
from conveyor.web.render import PageRoute, page, redirect
from conveyor.web.session import Form, Operator, Viewer

router = APIRouter(
    prefix="/ui/pipelines/{pipeline}/resources/{resource}", route_class=PageRoute, include_in_schema=False
)

PAGE = 25
#: Consuming runs listed per version; the page says how many there are in all.
CONSUMERS = 5
Cursor = Annotated[int | None, Query(ge=1, le=2**62)]


@router.get("", response_class=HTMLResponse)
def resource_page(
    request: Request, pipeline: str, resource: str, who: Viewer, before: Cursor = None
) -> HTMLResponse:
    service = service_of(request)
    versions = [public_version(v) for v in service.versions(resource, pipeline, PAGE, before)]
    rows = [r for r in service.resources(pipeline) if r["name"] == resource]
    if not rows:
        raise NotFound(f"no resource named {resource!r} in pipeline {pipeline!r}")
    return page(
        request,
        "resource.html",
        who,
        pipeline=pipeline,
        resource=rows[0],
        versions=versions,
        consumers=service.version_consumers([v["id"] for v in versions], CONSUMERS),
        before=before,
        older=versions[-1]["number"] if len(versions) == PAGE else None,
    )


@router.post("/versions")
def put_version(request: Request, pipeline: str, resource: str, who: Operator, form: Form) -> Response:
    # key=value lines, as `conveyor resource put` takes them
    properties = parse_pairs([line for line in form.get("properties", "").splitlines() if line.strip()])
    if not properties:
        raise BadInput("a new version needs at least one key=value line")
    version = service_of(request).put_version(
        resource, properties, pipeline, replace=form.get("replace") == "on", creator=who.name
    )
    note = (
        f"{resource} v{version['number']} created"
        if version
        else "identical to the latest version: none made"
    )
    return redirect(request, urls.resource_url(pipeline, resource), note, form)
