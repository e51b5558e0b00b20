"""Clever workflow-manager's HTTP API, route for route: workflow definitions, workflows, state resources.

Same paths, field names, enums and success codes as its ``swagger.yml``; errors are ``{"message": ...}``
(see ``api/errors.py``), but bad input gets 400/404/409 where that system answered 500. The seed README's
older ``POST /jobs/`` start route is here too. Workflows run on conveyor's own States Language engine.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from conveyor.api.auth import Admin, Operator, Viewer, service_of
from conveyor.errors import BadInput
from conveyor.service.sm_views import definition_json, state_resource_json, workflow_json

router = APIRouter(tags=["workflow-manager"])


async def _json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object, whatever its Content-Type: ``curl -d`` (the seed README's client)
    sends JSON as ``application/x-www-form-urlencoded``."""
    raw = await request.body()
    try:
        value = json.loads(raw) if raw.strip() else None
    except ValueError:
        raise BadInput("the request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise BadInput("the request body must be a JSON object")
    return value


Json = Annotated[dict[str, Any], Depends(_json_body)]
#: Documents the body that ``_json_body`` reads, for OpenAPI clients.
BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}}
Text = Annotated[str, Query(max_length=500)]
MAX_WORKFLOWS = 10_000


@router.get("/_health", response_class=Response)
def health() -> Response:
    """Liveness, as workflow-manager answered it: 200 with an empty body (no token needed)."""
    return Response(status_code=200)


# -- workflow definitions ---------------------------------------------------------------------------
@router.get("/workflow-definitions")
def get_definitions(request: Request, _: Viewer) -> list[dict[str, Any]]:
    """The latest version of every workflow definition."""
    return [definition_json(r) for r in service_of(request).definitions()]


@router.post("/workflow-definitions", status_code=201, openapi_extra=BODY)
def new_definition(request: Request, body: Json, _: Admin) -> dict[str, Any]:
    """Version 0 of a new definition (a ``version`` in the body is ignored; the name must be new).
    Also takes the Batch-era format, a ``states`` array (``hello-workflow.post.json``)."""
    return definition_json(service_of(request).new_definition(body))


@router.get("/workflow-definitions/{name}")
def get_definition_versions(
    request: Request, name: str, _: Viewer, latest: Annotated[bool, Query()] = True
) -> list[dict[str, Any]]:
    """The latest version as a one-element list, or (``latest=false``) every version."""
    return [definition_json(r) for r in service_of(request).definition_versions(name, latest)]


@router.put("/workflow-definitions/{name}", status_code=201, openapi_extra=BODY)
def update_definition(request: Request, name: str, body: Json, _: Admin) -> dict[str, Any]:
    """A new version (latest + 1); older versions never change."""
    return definition_json(service_of(request).update_definition(name, body))


@router.get("/workflow-definitions/{name}/{version}")
def get_definition(
    request: Request, name: str, version: Annotated[int, Path(ge=0, le=2**31)], _: Viewer
) -> dict[str, Any]:
    return definition_json(service_of(request).definition(name, version))


# -- workflows --------------------------------------------------------------------------------------
def _start(request: Request, body: dict[str, Any], object_only: bool) -> dict[str, Any]:
    wanted = body.get("workflowDefinition")
    if not isinstance(wanted, dict) or not isinstance(wanted.get("name"), str) or not wanted["name"]:
        raise BadInput("workflowDefinition.name is required")
    version = wanted.get("version", 0)
    if version is None:
        version = 0
    if not isinstance(version, int) or isinstance(version, bool):
        raise BadInput("workflowDefinition.version must be an integer (-1 for the latest)")
    for field in ("namespace", "queue"):
        if not isinstance(body.get(field, ""), str):
            raise BadInput(f"{field} must be a string")
    service = service_of(request)
    row = service.start_workflow(
        wanted["name"],
        version,
        body.get("input"),
        body.get("namespace") or "",
        body.get("queue") or "default",
        body.get("tags"),
        object_only=object_only,
    )
    return workflow_json(service.workflow(row["uid"]))


@router.post("/workflows", openapi_extra=BODY)
def start_workflow(request: Request, body: Json, _: Operator) -> dict[str, Any]:
    """Start a workflow: ``{"workflowDefinition": {"name", "version"}, "input": "<JSON object text>",
    "namespace", "queue", "tags"}``. ``version: -1`` starts the latest; an omitted version is 0."""
    return _start(request, body, object_only=True)


@router.post("/jobs/", include_in_schema=False, openapi_extra=BODY)
@router.post("/jobs", openapi_extra=BODY)
def start_job(request: Request, body: Json, _: Operator) -> dict[str, Any]:
    """The Batch-era start route of the seed README; its ``input`` may be any JSON value (an array of
    arguments there), given as is or as JSON text."""
    return _start(request, body, object_only=False)


@router.get("/workflows")
def get_workflows(
    request: Request,
    response: Response,
    _: Viewer,
    workflowDefinitionName: Text = "",
    status: Annotated[str | None, Query(max_length=50)] = None,
    resolvedByUser: Annotated[bool | None, Query()] = None,
    oldestFirst: Annotated[bool, Query()] = False,
    limit: Annotated[int, Query()] = 10,
    pageToken: Annotated[str | None, Query(max_length=100)] = None,
    summaryOnly: Annotated[bool, Query()] = False,
) -> list[dict[str, Any]]:
    """A definition's workflows, newest first; the next page's path is in ``X-Next-Page-Path``."""
    rows, token = service_of(request).workflows(
        workflowDefinitionName, status, resolvedByUser, oldestFirst, limit, pageToken
    )
    if token is not None:
        query = {k: v for k, v in request.query_params.items() if k != "pageToken"}
        response.headers["X-Next-Page-Path"] = f"/workflows?{urlencode({**query, 'pageToken': token})}"
    return [workflow_json(r, summary_only=summaryOnly) for r in rows]


@router.get("/workflows/{workflowID}")
def get_workflow(
    request: Request,
    workflowID: str,
    _: Viewer,
    fetchHistory: Annotated[bool, Query()] = False,
) -> dict[str, Any]:
    """A workflow with its jobs; ``fetchHistory=true`` adds ``states``, every state it entered."""
    return workflow_json(service_of(request).workflow(workflowID), history=fetchHistory)


@router.delete("/workflows/{workflowID}", response_class=Response, openapi_extra=BODY)
def cancel_workflow(request: Request, workflowID: str, body: Json, _: Operator) -> Response:
    """Cancel with ``{"reason": ...}`` (required): running tasks are killed, the workflow is cancelled."""
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise BadInput('a cancel needs a body {"reason": "..."}')
    service_of(request).cancel_workflow(workflowID, reason)
    return Response(status_code=200)


@router.post("/workflows/{workflowID}", openapi_extra=BODY)
def resume_workflow(request: Request, workflowID: str, body: Json, _: Operator) -> dict[str, Any]:
    """Resume a finished workflow from ``{"StartAt": "<top-level state>"}`` as a new workflow."""
    start_at = body.get("StartAt")
    if not isinstance(start_at, str):
        raise BadInput("StartAt must name a state")
    new = service_of(request).resume_workflow(workflowID, start_at)
    return workflow_json(service_of(request).workflow(new["uid"]))


@router.post("/workflows/{workflowID}/resolved", response_class=Response, status_code=201)
def resolve_workflow(request: Request, workflowID: str, _: Operator) -> Response:
    service_of(request).resolve_workflow(workflowID)
    return Response(status_code=201)


# -- state resources --------------------------------------------------------------------------------
def _put_resource(
    request: Request, body: dict[str, Any], namespace: str | None, name: str | None
) -> dict[str, Any]:
    for field in ("name", "namespace", "uri"):
        if not isinstance(body.get(field, ""), str):
            raise BadInput(f"{field} must be a string")
    if name is not None and body.get("name", "") != name:
        raise BadInput("StateResource.Name does not match name in path")
    if namespace is not None and body.get("namespace", "") != namespace:
        raise BadInput("StateResource.Namespace does not match namespace in path")
    runs_on = body.get("runsOn")
    if runs_on is not None and not isinstance(runs_on, dict):
        raise BadInput("runsOn must be an object of worker labels")
    row = service_of(request).put_state_resource(
        body.get("namespace", ""), body.get("name", ""), body.get("uri", ""), runs_on
    )
    return state_resource_json(row)


@router.post("/state-resources", status_code=201, openapi_extra=BODY)
def post_state_resource(request: Request, body: Json, _: Admin) -> dict[str, Any]:
    """Create or replace a state resource: ``{"name", "namespace", "uri", "runsOn"}`` where ``uri`` is
    ``exec:<command line>`` or ``job:<pipeline>/<job>`` and ``runsOn`` the worker labels it needs."""
    return _put_resource(request, body, None, None)


@router.get("/state-resources/{namespace}/{name}")
def get_state_resource(request: Request, namespace: str, name: str, _: Viewer) -> dict[str, Any]:
    return state_resource_json(service_of(request).state_resource(namespace, name))


@router.put("/state-resources/{namespace}/{name}", status_code=201, openapi_extra=BODY)
def put_state_resource(request: Request, namespace: str, name: str, body: Json, _: Admin) -> dict[str, Any]:
    return _put_resource(request, body, namespace, name)


@router.delete("/state-resources/{namespace}/{name}", response_class=Response)
def delete_state_resource(request: Request, namespace: str, name: str, _: Admin) -> Response:
    service_of(request).delete_state_resource(namespace, name)
    return Response(status_code=200)


@router.get("/state-resources/{name}")
def get_state_resource_without_namespace(request: Request, name: str, _: Viewer) -> dict[str, Any]:
    """A state resource of the empty namespace (keyed by its name alone, as Clever's store keyed it)."""
    return state_resource_json(service_of(request).state_resource("", name))


@router.delete("/state-resources/{name}", response_class=Response)
def delete_state_resource_without_namespace(request: Request, name: str, _: Admin) -> Response:
    service_of(request).delete_state_resource("", name)
    return Response(status_code=200)
