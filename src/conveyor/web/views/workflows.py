"""Workflows: one list with a tab per kind (state machines, Tinkerbell), each newest first a page at a time
with optional filters (definition or template, status); and a state-machine workflow's page (the state
graph with the path it took, and every state's input and output). A Tinkerbell workflow's page is in
``tinkerbell``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from conveyor.api.auth import service_of
from conveyor.service import Service
from conveyor.service.sm_views import workflow_json
from conveyor.web.render import PageRoute, page
from conveyor.web.session import Viewer
from conveyor.web.statechart import statechart

router = APIRouter(prefix="/ui/workflows", route_class=PageRoute, include_in_schema=False)

#: (kind, tab title) of each kind of workflow the UI lists.
KINDS = (("statemachine", "State machines"), ("tinkerbell", "Tinkerbell"))
#: Each kind's statuses, the list's status filter: Clever's, and tink's states (short names).
STATUSES = {
    "statemachine": ("queued", "running", "succeeded", "failed", "cancelled"),
    "tinkerbell": ("pending", "running", "success", "failed", "timeout"),
}
PAGE = 25
Text = Annotated[str | None, Query(max_length=200)]


@router.get("", response_class=HTMLResponse)
def workflows(
    request: Request,
    who: Viewer,
    kind: Annotated[str, Query(pattern="^(|statemachine|tinkerbell)$")] = "",
    definition: Text = None,
    template: Text = None,
    status: Text = None,
    page_token: Text = None,
) -> HTMLResponse:
    service = service_of(request)
    kind = kind or "statemachine"
    status = status if status in STATUSES[kind] else ""
    token = page_token or None
    if kind == "tinkerbell":
        context = _tinkerbell(service, template or "", status, token)
    else:
        context = _statemachines(service, definition or "", status, token)
    return page(
        request,
        "workflows.html",
        who,
        kinds=KINDS,
        kind=kind,
        statuses=STATUSES[kind],
        status=status,
        first_page=not page_token,
        **context,
    )


def _statemachines(service: Service, definition: str, status: str, token: str | None) -> dict[str, Any]:
    names = [d["name"] for d in service.definitions()]
    chosen = definition if definition in names else ""
    rows, next_token = service.all_workflows(chosen or None, status or None, limit=PAGE, page_token=token)
    return {
        "choices": [(n, n) for n in names],
        "chosen": chosen,
        "by": "definition",
        "workflows": [workflow_json(r, summary_only=True) for r in rows],
        "next_token": next_token,
    }


def _tinkerbell(service: Service, template: str, status: str, token: str | None) -> dict[str, Any]:
    templates = service.tink_templates()
    ids = {t["id"] for t in templates}
    chosen = template if template in ids else ""
    rows, next_token = service.tink_workflows_page(chosen or None, status or None, token, PAGE)
    return {
        "choices": [(t["id"], t["name"]) for t in templates],
        "chosen": chosen,
        "by": "template",
        "workflows": rows,
        "next_token": next_token,
    }


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
