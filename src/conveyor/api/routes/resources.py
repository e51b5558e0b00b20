"""Resources and their versions. POSTing a version is also the webhook trigger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from conveyor.api.auth import Operator, Viewer, service_of
from conveyor.api.schemas import PutVersion
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
