"""Workflows: a list filtered by definition and status, and a state-machine workflow's page (the
state graph with the path it took, and every state's input and output).

Tinkerbell workflows (templates run on hardware) come from another branch. Their place here: add an
entry to ``KINDS`` (the list page shows one tab per kind), a list read, and a detail route at
``/ui/tinkerbell/workflows/{id}`` in a module of their own (tasks, actions, workers, the events
timeline, ephemeral data) — this module stays the state-machine one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from conveyor.api.auth import service_of
from conveyor.service.sm_views import workflow_json
from conveyor.web.render import PageRoute, page
from conveyor.web.session import Viewer
from conveyor.web.statechart import statechart

router = APIRouter(prefix="/ui/workflows", route_class=PageRoute, include_in_schema=False)

#: (kind, tab title) of each kind of workflow the UI lists.
KINDS = (("statemachine", "State machines"),)
#: Clever's workflow statuses, the list's status filter.
STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
PAGE = 25
Text = Annotated[str | None, Query(max_length=200)]


@router.get("", response_class=HTMLResponse)
def workflows(
    request: Request,
    who: Viewer,
    definition: Text = None,
    status: Annotated[str | None, Query(pattern="^(|queued|running|succeeded|failed|cancelled)$")] = None,
    page_token: Text = None,
) -> HTMLResponse:
    service = service_of(request)
    definitions = service.definitions()
    names = [d["name"] for d in definitions]
    chosen = definition if definition in names else (names[0] if names else None)
    rows, next_token = (
        service.workflows(chosen, status or None, page_token=page_token or None, limit=PAGE)
        if chosen
        else ([], None)
    )
    return page(
        request,
        "workflows.html",
        who,
        kinds=KINDS,
        kind="statemachine",
        definitions=names,
        definition=chosen,
        statuses=STATUSES,
        status=status or "",
        workflows=[workflow_json(r, summary_only=True) for r in rows],
        next_token=next_token,
        first_page=not page_token,
    )


@router.get("/{uid}", response_class=HTMLResponse)
def workflow(request: Request, uid: str, who: Viewer) -> HTMLResponse:
    wf = workflow_json(service_of(request).workflow(uid), history=True)
    machine = wf["workflowDefinition"].get("stateMachine") or {}
    return page(
        request,
        "workflow.html",
        who,
        wf=wf,
        pic=statechart(machine, wf["states"], wf["status"]),
        states=wf["states"],
    )
