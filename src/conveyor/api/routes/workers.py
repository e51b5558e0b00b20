"""Workers: list them; and the protocol a remote worker speaks (register, lease, heartbeat, log,
complete). Worker tokens may use only the protocol routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from conveyor.api.auth import Viewer, WorkerAuth, service_of
from conveyor.api.schemas import Complete, Heartbeat, Id, Lease, RegisterWorker
from conveyor.errors import LimitExceeded
from conveyor.model.work import result_from_json, spec_to_json
from conveyor.service.reads import public_run

router = APIRouter(prefix="/api/v1/workers", tags=["workers"])

#: One log chunk; a worker sends at most a few per second.
MAX_LOG_CHUNK = 4 * 1024 * 1024


@router.get("")
def list_workers(request: Request, _: Viewer) -> list[dict[str, Any]]:
    """Workers alive (and those stopped within the hour): labels, last heartbeat, runs in hand."""
    return service_of(request).workers()


@router.post("", status_code=201)
def register(request: Request, body: RegisterWorker, _: WorkerAuth) -> dict[str, Any]:
    service = service_of(request)
    worker_id = service.register_worker(body.name, body.labels, body.hostname, body.pid)
    return {"id": worker_id, "lease_seconds": service.settings.lease_seconds}


@router.post("/{worker_id}/lease")
async def lease(request: Request, worker_id: Id, body: Lease, _: WorkerAuth) -> dict[str, Any]:
    """Up to ``limit`` runs this worker's labels satisfy; waits up to ``wait`` seconds for work."""
    service = service_of(request)
    labels = await run_in_threadpool(service.worker_labels, worker_id)
    specs = await run_in_threadpool(
        service.lease, worker_id, body.limit, body.pipeline, labels, body.wait, body.workflow
    )
    return {"runs": [spec_to_json(s) for s in specs]}


@router.post("/{worker_id}/heartbeat")
def heartbeat(
    request: Request, worker_id: Id, _: WorkerAuth, body: Heartbeat | None = None
) -> dict[str, Any]:
    """Renews the worker's leases; answers with the runs it must cancel. With what the worker
    holds, runs and tasks leased to it that it does not hold are queued again."""
    held = None
    if body is not None and body.runs is not None and body.tasks is not None:
        held = [("run", i) for i in body.runs] + [("task", i) for i in body.tasks]
    cancels = service_of(request).heartbeat(worker_id, held)
    return {
        "cancel": [
            {"kind": kind, ("task_id" if kind == "task" else "run_id"): work_id, "reason": reason}
            for (kind, work_id), reason in cancels
        ]
    }


@router.post("/{worker_id}/runs/{run_id}/log", status_code=204)
async def append_log(request: Request, worker_id: Id, run_id: Id, _: WorkerAuth) -> None:
    data = await request.body()
    if len(data) > MAX_LOG_CHUNK:
        raise LimitExceeded(f"a log chunk is at most {MAX_LOG_CHUNK} bytes")
    await run_in_threadpool(service_of(request).append_log, worker_id, run_id, data)


@router.post("/{worker_id}/runs/{run_id}/complete")
def complete(request: Request, worker_id: Id, run_id: Id, body: Complete, _: WorkerAuth) -> dict[str, Any]:
    """Record the run's result and, in the same transaction, lease up to ``lease`` more runs."""
    service = service_of(request)
    labels = service.worker_labels(worker_id) if body.lease else None
    row, specs = service.complete_and_lease(
        worker_id,
        run_id,
        result_from_json(body.result.model_dump()),
        body.lease,
        body.pipeline,
        labels,
        workflow=body.workflow,
    )
    return {"run": public_run(row), "runs": [spec_to_json(s) for s in specs]}


@router.post("/{worker_id}/tasks/{task_id}/log", status_code=204)
async def append_task_log(request: Request, worker_id: Id, task_id: Id, _: WorkerAuth) -> None:
    data = await request.body()
    if len(data) > MAX_LOG_CHUNK:
        raise LimitExceeded(f"a log chunk is at most {MAX_LOG_CHUNK} bytes")
    await run_in_threadpool(service_of(request).append_task_log, worker_id, task_id, data)


@router.post("/{worker_id}/tasks/{task_id}/complete")
def complete_task(
    request: Request, worker_id: Id, task_id: Id, body: Complete, _: WorkerAuth
) -> dict[str, Any]:
    """Record a workflow task's result (its stdout is its output) and lease up to ``lease`` more work."""
    service = service_of(request)
    labels = service.worker_labels(worker_id) if body.lease else None
    row, specs = service.complete_and_lease(
        worker_id,
        task_id,
        result_from_json(body.result.model_dump()),
        body.lease,
        body.pipeline,
        labels,
        kind="task",
        workflow=body.workflow,
    )
    return {"task": row, "runs": [spec_to_json(s) for s in specs]}


@router.delete("/{worker_id}", status_code=204)
def stop(request: Request, worker_id: Id, _: WorkerAuth) -> None:
    service_of(request).stop_worker(worker_id)
