"""Resources and their versions. POSTing a version is also the webhook trigger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from conveyor.api.auth import Admin, Operator, Viewer, service_of
from conveyor.api.schemas import Bump, PutVersion
from conveyor.service.reads import public_version

router = APIRouter(prefix="/api/v1/pipelines/{pipeline}/resources", tags=["resources"])


@router.get("")
def list_resources(request: Request, pipeline: str, _: Viewer) -> list[dict[str, Any]]:
    return service_of(request).resources(pipeline)


@router.get("/{resource}")
def get_resource(request: Request, pipeline: str, resource: str, _: Viewer) -> dict[str, Any]:
    service = service_of(request)
    rows = [r for r in service.resources(pipeline) if r["name"] == resource]
    latest = service.versions(resource, pipeline, limit=1)
    base = rows[0] if rows else {"name": resource}
    return {**base, "latest": public_version(latest[0]) if latest else None}


@router.get("/{resource}/versions")
def list_versions(
    request: Request,
    pipeline: str,
    resource: str,
    _: Viewer,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    return [public_version(v) for v in service_of(request).versions(resource, pipeline, limit)]


@router.post("/{resource}/versions", status_code=status.HTTP_201_CREATED, response_model=dict[str, Any])
async def put_version(
    request: Request, pipeline: str, resource: str, body: PutVersion, who: Operator
) -> Response:
    """A new version (merged with the latest unless ``replace``); 200 and ``created: false`` when it
    is identical to the latest. Every job it triggers is started."""
    # async with one thread hop for the transaction; the service's dict is encoded as it is
    version = await run_in_threadpool(
        service_of(request).put_version,
        resource,
        body.properties,
        pipeline,
        replace=body.replace,
        creator=who.name,
    )
    if version is None:
        return JSONResponse({"created": False, "version": None}, status.HTTP_200_OK)
    return JSONResponse({"created": True, "version": version}, status.HTTP_201_CREATED)


@router.post("/{resource}/bump", status_code=status.HTTP_201_CREATED)
def bump(request: Request, pipeline: str, resource: str, body: Bump, who: Operator) -> dict[str, Any]:
    """A ``trigger`` resource's counter + 1 (starting its jobs), or a ``version`` resource's semver bumped
    by ``part`` (major, minor, patch, alpha, beta, rc, final)."""
    return service_of(request).bump(resource, body.part, pipeline, by=who.name)


@router.post("/{resource}/check")
async def check(request: Request, pipeline: str, resource: str, _: Operator) -> dict[str, Any]:
    """Check a time or git resource now: the versions it made."""
    made = await run_in_threadpool(service_of(request).check_resource, resource, pipeline)
    return {"versions_made": made}


@router.post("/{resource}/webhook-token", status_code=status.HTTP_201_CREATED)
def webhook_token(request: Request, pipeline: str, resource: str, _: Admin) -> dict[str, Any]:
    """A new token for a webhook resource (the previous one stops working); shown only here."""
    token = service_of(request).webhook_token(resource, pipeline)
    return {"token": token, "path": f"/api/v1/pipelines/{pipeline}/resources/{resource}/webhook"}


@router.post("/{resource}/webhook", status_code=status.HTTP_201_CREATED)
async def webhook(
    request: Request,
    response: Response,
    pipeline: str,
    resource: str,
    token: Annotated[str | None, Query(max_length=200, description="the resource's webhook token")] = None,
    x_conveyor_token: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    """A JSON object POSTed by another system (a git host, a registry) becomes a version of a webhook
    resource and starts its jobs. Authenticated by the resource's own token (``?token=`` or the
    ``X-Conveyor-Token`` header), not by an API token, so it can be given to that system alone."""
    body = await request.body()
    service = service_of(request)
    version = await run_in_threadpool(
        service.webhook, pipeline, resource, token or x_conveyor_token or "", body
    )
    if version is None:
        response.status_code = status.HTTP_200_OK
        return {"created": False, "version": None}
    return {"created": True, "version": version}
