"""Pipelines: apply a file (or JSON), list, get, versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status

from conveyor.api.auth import Admin, Viewer, service_of
from conveyor.api.schemas import ApplyPipeline, Id
from conveyor.errors import BadInput

router = APIRouter(prefix="/api/v1/pipelines", tags=["pipelines"])


@router.get("")
def list_pipelines(request: Request, _: Viewer) -> list[dict[str, Any]]:
    return service_of(request).pipelines()


@router.post("", status_code=status.HTTP_200_OK)
def apply_pipeline(request: Request, body: ApplyPipeline, who: Admin) -> dict[str, Any]:
    """Apply a pipeline; a changed definition makes a new pipeline version and triggers what it starts."""
    from conveyor import definitions
    from conveyor.model.pipeline import canonical_json

    if (body.source is None) == (body.definition is None):
        raise BadInput("give exactly one of 'source' (YAML text) or 'definition' (JSON)")
    source = body.source if body.source is not None else canonical_json(body.definition)
    pipeline = definitions.load_text(source, body.file, default_name=body.name or _stem(body.file))
    result = service_of(request).apply(pipeline, source, body.file)
    return {
        "pipeline": result.name,
        "version": result.version,
        "changed": result.changed,
        "new_versions": result.new_versions,
        "triggered": result.triggered,
    }


@router.get("/{name}")
def get_pipeline(request: Request, name: str, _: Viewer) -> dict[str, Any]:
    return service_of(request).pipeline_detail(name)


@router.get("/{name}/versions")
def pipeline_versions(request: Request, name: str, _: Viewer) -> list[dict[str, Any]]:
    return service_of(request).pipeline_versions(name)


@router.get("/{name}/versions/{number}")
def pipeline_version(request: Request, name: str, number: Id, _: Viewer) -> dict[str, Any]:
    return service_of(request).pipeline_definition(name, number)


def _stem(file: str) -> str:
    base = file.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base
