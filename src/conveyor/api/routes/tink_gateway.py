"""The REST routes tink's grpc-gateway served (``/v1/templates``, ``/v1/hardware``, ``/v1/workflows``),
with its message shapes (FACTS 3.1): snake_case fields, RFC 3339 times, states by name, int64 as strings,
and a streaming RPC's replies as newline-delimited ``{"result": ...}`` objects. Same auth as the rest.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from conveyor.api.auth import Admin, Operator, Viewer, service_of
from conveyor.errors import BadInput

router = APIRouter(prefix="/v1", tags=["tinkerbell (tink v0.6 REST)"])


class WorkflowTemplate(BaseModel):
    name: Annotated[str, Field(max_length=200)] = ""
    data: Annotated[str, Field(max_length=2 * 1024 * 1024)]


class CreateRequest(BaseModel):
    template: Annotated[str, Field(min_length=1, max_length=200)]
    hardware: Annotated[str, Field(max_length=64 * 1024)]


class ByMac(BaseModel):
    mac: Annotated[str, Field(max_length=100)]


class ByIp(BaseModel):
    ip: Annotated[str, Field(max_length=100)]


def _stream(items: list[dict[str, Any]]) -> Response:
    """A server-streaming RPC as grpc-gateway writes it."""
    text = "".join(json.dumps({"result": item}) + "\n" for item in items)
    return Response(text, media_type="application/json")


def _template(t: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "created_at", "updated_at", "data")
    return {k: t[k] for k in keys}


def _workflow(w: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": w["id"],
        "template": w["template_id"],
        "hardware": w["hardware"],
        "state": w["state"],
        "created_at": w["created_at"],
        "updated_at": w["updated_at"],
        "data": w["data"],
    }


def _context(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "workflow_id": c["workflow_id"],
        "current_worker": c["current_worker"],
        "current_task": c["current_task"],
        "current_action": c["current_action"],
        "current_action_index": str(c["current_action_index"]),
        "current_action_state": c["current_action_state"],
        "total_number_of_actions": str(c["total_number_of_actions"]),
    }


def _event(e: dict[str, Any]) -> dict[str, Any]:
    return {
        "task_name": e["task_name"],
        "action_name": e["action_name"],
        "action_status": e["status"],
        "seconds": str(e["seconds"]),
        "message": e["message"],
        "created_at": e["created_at"],
        "worker_id": e["worker_id"],
    }


# -- TemplateService ----------------------------------------------------------------------------
@router.post("/templates")
def create_template(request: Request, body: WorkflowTemplate, _: Admin) -> dict[str, str]:
    return {"id": service_of(request).tink_create_template(body.data)["id"]}


@router.get("/templates", response_class=Response)
def list_templates(
    request: Request, _: Viewer, name: Annotated[str | None, Query(max_length=200)] = None
) -> Response:
    return _stream([_template(t) for t in service_of(request).tink_templates(name)])


@router.get("/templates/{template_id}")
def get_template(request: Request, template_id: str, _: Viewer) -> dict[str, Any]:
    return _template(service_of(request).tink_template(template_id))


@router.delete("/templates/{template_id}")
def delete_template(request: Request, template_id: str, _: Admin) -> dict[str, Any]:
    service_of(request).tink_delete_template(template_id)
    return {}


# -- HardwareService ----------------------------------------------------------------------------
@router.post("/hardware")
async def push_hardware(request: Request, _: Admin) -> dict[str, Any]:
    """``PushRequest{data: Hardware}``; a bare hardware document is taken too."""
    from fastapi.concurrency import run_in_threadpool

    raw = await request.body()
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise BadInput(f"invalid json: {exc}")
    document = body["data"] if isinstance(body, dict) and isinstance(body.get("data"), dict) else body
    await run_in_threadpool(service_of(request).tink_push_hardware, json.dumps(document))
    return {}


@router.post("/hardware/mac")
def hardware_by_mac(request: Request, body: ByMac, _: Viewer) -> dict[str, Any]:
    document: dict[str, Any] = service_of(request).tink_hardware_by_mac(body.mac)["data"]
    return document


@router.post("/hardware/ip")
def hardware_by_ip(request: Request, body: ByIp, _: Viewer) -> dict[str, Any]:
    document: dict[str, Any] = service_of(request).tink_hardware_by_ip(body.ip)["data"]
    return document


@router.get("/hardware", response_class=Response)
def all_hardware(request: Request, _: Viewer) -> Response:
    return _stream([h["data"] for h in service_of(request).tink_hardware_list()])


@router.get("/hardware/{hardware_id}")
def hardware_by_id(request: Request, hardware_id: str, _: Viewer) -> dict[str, Any]:
    document: dict[str, Any] = service_of(request).tink_hardware(hardware_id)["data"]
    return document


@router.delete("/hardware/{hardware_id}")
def delete_hardware(request: Request, hardware_id: str, _: Admin) -> dict[str, Any]:
    service_of(request).tink_delete_hardware(hardware_id)
    return {}


# -- WorkflowService ----------------------------------------------------------------------------
@router.post("/workflows")
def create_workflow(request: Request, body: CreateRequest, _: Operator) -> dict[str, str]:
    return {"id": service_of(request).tink_create_workflow(body.template, body.hardware)["id"]}


@router.get("/workflows", response_class=Response)
def list_workflows(request: Request, _: Viewer) -> Response:
    return _stream([_workflow(w) for w in service_of(request).tink_workflows()])


@router.get("/workflows/{workflow_id}")
def get_workflow(request: Request, workflow_id: str, _: Viewer) -> dict[str, Any]:
    return _workflow(service_of(request).tink_workflow(workflow_id))


@router.delete("/workflows/{workflow_id}")
def delete_workflow(request: Request, workflow_id: str, _: Operator) -> dict[str, Any]:
    service_of(request).tink_delete_workflow(workflow_id)
    return {}


@router.get("/workflows/{workflow_id}/state")
def workflow_context(request: Request, workflow_id: str, _: Viewer) -> dict[str, Any]:
    return _context(service_of(request).tink_workflow_state(workflow_id))


@router.get("/workflows/{workflow_id}/events", response_class=Response)
def workflow_events(request: Request, workflow_id: str, _: Viewer) -> Response:
    return _stream([_event(e) for e in service_of(request).tink_workflow_events(workflow_id)])
