"""Tinkerbell's native routes (``/api/v1/tinkerbell/...``): templates, hardware, workflows, and the protocol
machine-bound workers speak (their work, action reports, ephemeral data).

Reading needs a viewer token; templates and hardware are definitions (admin); making and deleting workflows
is an operator's; the worker protocol needs a worker token. Every handler calls one service method.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from conveyor.api.auth import Admin, Operator, Viewer, WorkerAuth, service_of
from conveyor.errors import BadInput, LimitExceeded

router = APIRouter(prefix="/api/v1/tinkerbell", tags=["tinkerbell"])

Text = Annotated[str, Field(max_length=2 * 1024 * 1024)]
Short = Annotated[str, Field(max_length=200)]
Ref = Annotated[str, Field(min_length=1, max_length=200)]
#: A data push: the largest version the service accepts is checked there; this keeps one request bounded.
MAX_DATA_BODY = 16 * 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TemplateBody(_Strict):
    """A template's YAML text; its ``name`` comes from the YAML."""

    data: Text


class TemplateUpdate(_Strict):
    data: Text | None = None
    name: Short | None = None


class WorkflowBody(_Strict):
    template: Ref = Field(description="the template's id (or name)")
    hardware: Annotated[str, Field(max_length=64 * 1024)] | dict[str, Any] = Field(
        description='the machines: a JSON object such as {"device_1": "08:00:27:00:00:01"}'
    )


class ReportBody(_Strict):
    """A worker's report on an action (or, with ``hook``, on its on-timeout/on-failure command)."""

    worker_id: Short
    task_name: Short
    action_name: Short
    action_status: Annotated[str, Field(max_length=40)] | int
    seconds: Annotated[int, Field(ge=0, le=2**40)] = 0
    message: Annotated[str, Field(max_length=2000)] = ""
    hook: Annotated[str, Field(max_length=20)] = ""


class NoteBody(_Strict):
    worker_id: Short
    message: Annotated[str, Field(min_length=1, max_length=2000)]


def _json_text(value: str | dict[str, Any]) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)


# -- templates ----------------------------------------------------------------------------------
@router.post("/templates", status_code=201)
def create_template(request: Request, body: TemplateBody, _: Admin) -> dict[str, Any]:
    return service_of(request).tink_create_template(body.data)


@router.get("/templates")
def list_templates(
    request: Request, _: Viewer, name: Annotated[str | None, Query(max_length=200)] = None
) -> list[dict[str, Any]]:
    """Live templates, oldest first; ``name`` filters with ``*`` wildcards, in any case."""
    return service_of(request).tink_templates(name)


@router.get("/templates/{ref}")
def get_template(request: Request, ref: str, _: Viewer) -> dict[str, Any]:
    """A live template by id or name."""
    return service_of(request).tink_template(ref)


@router.put("/templates/{ref}")
def update_template(request: Request, ref: str, body: TemplateUpdate, _: Admin) -> dict[str, Any]:
    return service_of(request).tink_update_template(ref, data=body.data, name=body.name)


@router.delete("/templates/{ref}")
def delete_template(request: Request, ref: str, _: Admin) -> dict[str, Any]:
    return service_of(request).tink_delete_template(ref)


# -- hardware -----------------------------------------------------------------------------------
@router.post("/hardware", status_code=201)
async def push_hardware(request: Request, _: Admin) -> dict[str, Any]:
    """The body is the hardware JSON document itself (with its ``id``)."""
    from fastapi.concurrency import run_in_threadpool

    data = await request.body()
    result: dict[str, Any] = await run_in_threadpool(service_of(request).tink_push_hardware, data)
    return result


@router.get("/hardware")
def list_hardware(
    request: Request,
    _: Viewer,
    mac: Annotated[str | None, Query(max_length=100)] = None,
    ip: Annotated[str | None, Query(max_length=100)] = None,
) -> list[dict[str, Any]]:
    """Live hardware; with ``mac`` or ``ip``, the one record answering to it (404 if none)."""
    service = service_of(request)
    if mac is not None:
        return [service.tink_hardware_by_mac(mac)]
    if ip is not None:
        return [service.tink_hardware_by_ip(ip)]
    return service.tink_hardware_list()


@router.get("/hardware/{hardware_id}")
def get_hardware(request: Request, hardware_id: str, _: Viewer) -> dict[str, Any]:
    return service_of(request).tink_hardware(hardware_id)


@router.delete("/hardware/{hardware_id}")
def delete_hardware(request: Request, hardware_id: str, _: Admin) -> dict[str, Any]:
    return service_of(request).tink_delete_hardware(hardware_id)


# -- workflows ----------------------------------------------------------------------------------
@router.post("/workflows", status_code=201)
def create_workflow(request: Request, body: WorkflowBody, _: Operator) -> dict[str, Any]:
    return service_of(request).tink_create_workflow(body.template, _json_text(body.hardware))


@router.get("/workflows")
def list_workflows(request: Request, _: Viewer) -> list[dict[str, Any]]:
    return service_of(request).tink_workflows()


@router.get("/workflows/{workflow_id}")
def get_workflow(request: Request, workflow_id: str, _: Viewer) -> dict[str, Any]:
    return service_of(request).tink_workflow(workflow_id)


@router.delete("/workflows/{workflow_id}")
def delete_workflow(request: Request, workflow_id: str, _: Operator) -> dict[str, Any]:
    return service_of(request).tink_delete_workflow(workflow_id)


@router.get("/workflows/{workflow_id}/state")
def workflow_state(request: Request, workflow_id: str, _: Viewer) -> dict[str, Any]:
    """Where it is: current task, action, worker and action state, the workflow's state and progress."""
    return service_of(request).tink_workflow_state(workflow_id)


@router.get("/workflows/{workflow_id}/events")
def workflow_events(request: Request, workflow_id: str, _: Viewer) -> list[dict[str, Any]]:
    return service_of(request).tink_workflow_events(workflow_id)


@router.get("/workflows/{workflow_id}/actions")
def workflow_actions(request: Request, workflow_id: str, _: Viewer) -> list[dict[str, Any]]:
    return service_of(request).tink_workflow_actions(workflow_id)


@router.get("/workflows/{workflow_id}/data", response_class=Response)
def workflow_data(
    request: Request,
    workflow_id: str,
    _: Viewer,
    version: Annotated[int, Query(ge=0, le=2**31)] = 0,
    metadata: bool = False,
) -> Response:
    """A version's data (or metadata) as the bytes stored; 0 is the latest; empty when there is none.
    The ``X-Data-Version`` header says how many versions there are."""
    service = service_of(request)
    data = service.tink_data(workflow_id, version, metadata)
    count = service.tink_data_version(workflow_id)
    return Response(data, media_type="application/json", headers={"X-Data-Version": str(count)})


@router.get("/workflows/{workflow_id}/data/version")
def workflow_data_version(request: Request, workflow_id: str, _: Viewer) -> dict[str, int]:
    return {"version": service_of(request).tink_data_version(workflow_id)}


# -- the worker protocol ------------------------------------------------------------------------
@router.get("/workers")
def resolve_worker(
    request: Request,
    _: WorkerAuth,
    mac: Annotated[str | None, Query(max_length=100)] = None,
    ip: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, str]:
    """The hardware id a worker started with ``--mac`` or ``--ip`` serves."""
    service = service_of(request)
    if mac is not None:
        return {"hardware_id": service.tink_hardware_by_mac(mac)["id"]}
    if ip is not None:
        return {"hardware_id": service.tink_hardware_by_ip(ip)["id"]}
    raise BadInput("give mac or ip")


@router.get("/workers/{worker_id}/work")
async def work(
    request: Request,
    worker_id: str,
    _: WorkerAuth,
    wait: Annotated[float, Query(ge=0, le=60, description="seconds to wait for work (a long poll)")] = 0,
) -> list[dict[str, Any]]:
    """What this machine's worker must run now, one entry per workflow whose turn is its own."""
    from fastapi.concurrency import run_in_threadpool

    found: list[dict[str, Any]] = await run_in_threadpool(service_of(request).tink_work, worker_id, wait)
    return found


@router.get("/workers/{worker_id}/contexts")
def contexts(request: Request, worker_id: str, _: WorkerAuth) -> list[dict[str, Any]]:
    """Every live workflow with an action on this machine, unfiltered."""
    return service_of(request).tink_contexts(worker_id)


@router.post("/workflows/{workflow_id}/reports")
def report(request: Request, workflow_id: str, body: ReportBody, _: WorkerAuth) -> dict[str, Any]:
    """Apply an action report; answers with the new context and the reporter's next work, if any."""
    from conveyor.tinkerbell.runstate import Report
    from conveyor.tinkerbell.workflow import State

    try:
        status = State(body.action_status) if isinstance(body.action_status, int) else None
        status = status if status is not None else State.parse(str(body.action_status))
    except (KeyError, ValueError):
        raise BadInput(f"invalid action status: {body.action_status}")
    rep = Report(
        workflow_id,
        body.worker_id,
        body.task_name,
        body.action_name,
        status,
        body.seconds,
        body.message,
        body.hook,
    )
    return service_of(request).tink_report(rep)


@router.get("/workflows/{workflow_id}/data/pull", response_class=Response)
def pull_data(request: Request, workflow_id: str, _: WorkerAuth) -> Response:
    """The latest data, for a worker about to run an action (empty when there is none yet)."""
    return Response(service_of(request).tink_pull_data(workflow_id), media_type="application/json")


@router.put("/workflows/{workflow_id}/data")
async def push_data(
    request: Request,
    workflow_id: str,
    _: WorkerAuth,
    x_workflow_metadata: Annotated[str, Header(max_length=8192)] = "{}",
) -> dict[str, int]:
    """A new version of the workflow's data: the body (a JSON object); its metadata in a header."""
    from fastapi.concurrency import run_in_threadpool

    data = await request.body()
    if len(data) > MAX_DATA_BODY:
        raise LimitExceeded(f"workflow data is {len(data)} bytes, more than a request may carry")
    service = service_of(request)
    version = await run_in_threadpool(
        service.tink_push_data, workflow_id, x_workflow_metadata.encode("utf-8"), data
    )
    return {"version": version}


@router.post("/workflows/{workflow_id}/notes", status_code=204)
def note(request: Request, workflow_id: str, body: NoteBody, _: WorkerAuth) -> None:
    """An event about the current action, e.g. why a worker did not push the data an action wrote."""
    service_of(request).tink_note(workflow_id, body.worker_id, body.message)
