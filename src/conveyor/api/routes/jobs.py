"""Jobs: list, get, trigger, pause, unpause."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status

from conveyor.api.auth import Operator, Viewer, service_of
from conveyor.service.reads import public_run

router = APIRouter(prefix="/api/v1/pipelines/{pipeline}/jobs", tags=["jobs"])


@router.get("")
def list_jobs(request: Request, pipeline: str, _: Viewer) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = service_of(request).pipeline_detail(pipeline)["jobs"]
    return jobs


@router.get("/{job}")
def get_job(request: Request, pipeline: str, job: str, _: Viewer) -> dict[str, Any]:
    service = service_of(request)
    return {**service.job_detail(pipeline, job), "runs": service.runs_page(pipeline, job, limit=20)}


@router.post("/{job}/trigger", status_code=status.HTTP_201_CREATED)
def trigger(request: Request, pipeline: str, job: str, who: Operator) -> dict[str, Any]:
    return public_run(service_of(request).trigger_job(job, pipeline, creator=who.name))


@router.post("/{job}/pause")
def pause(request: Request, pipeline: str, job: str, who: Operator) -> dict[str, Any]:
    service_of(request).set_paused(job, True, pipeline, by=who.name)
    return {"job": job, "paused": True}


@router.post("/{job}/unpause")
def unpause(request: Request, pipeline: str, job: str, who: Operator) -> dict[str, Any]:
    service_of(request).set_paused(job, False, pipeline, by=who.name)
    return {"job": job, "paused": False}
