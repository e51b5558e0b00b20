"""A Tinkerbell workflow's page: its tasks, each with the machine (worker) it runs on and its actions'
states, durations and messages; the events timeline; and the ephemeral data the actions share. The list
of Tinkerbell workflows is the Workflows page's second tab (``workflows``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from conveyor.api.auth import service_of
from conveyor.web.render import PageRoute, page
from conveyor.web.session import Viewer

router = APIRouter(prefix="/ui/tinkerbell/workflows", route_class=PageRoute, include_in_schema=False)


@router.get("/{workflow_id}", response_class=HTMLResponse)
def tink_workflow(request: Request, workflow_id: str, who: Viewer) -> HTMLResponse:
    view = service_of(request).tink_workflow_view(workflow_id)
    return page(request, "tinkerbell_workflow.html", who, wf=view)
