"""Runs: list (filters, cursor), get with lineage, logs (live via Server-Sent Events), cancel,
approve, reject."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from conveyor.api import calls
from conveyor.api.auth import Operator, Viewer, service_of
from conveyor.api.schemas import MAX_ID, Comment, Id, Reason
from conveyor.model.runs import RunStatus
from conveyor.service.reads import public_run

router = APIRouter(prefix="/api/v1/runs", tags=["runs"])

Status = Annotated[
    str | None,
    Query(pattern="^(pending|waiting_approval|queued|running|succeeded|failed|errored|timed_out|cancelled)$"),
]


@router.get("", response_model=list[dict[str, Any]])
async def list_runs(
    request: Request,
    _: Viewer,
    pipeline: Annotated[str | None, Query(max_length=200)] = None,
    job: Annotated[str | None, Query(max_length=200)] = None,
    status: Status = None,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="cursor: the last id of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """Runs, newest first. When more may follow, the ``X-Next-Cursor`` header holds the ``before``
    value of the next page."""
    service = service_of(request)
    rows = await calls.read(service, service.runs_page, pipeline, job, status, before, limit)
    response = JSONResponse(rows)
    if len(rows) == limit:
        response.headers["X-Next-Cursor"] = str(rows[-1]["id"])
    return response


@router.get("/{run_id}", response_model=dict[str, Any])
async def get_run(request: Request, run_id: Id, _: Viewer) -> Response:
    """A run with the versions it read (inputs), the versions it made (outputs) and its events."""
    # async, with at most one thread hop (a sync route costs three: auth, endpoint, response
    # validation); the service's plain dict is encoded as it is (response_model only documents it)
    service = service_of(request)
    if service.store.reads_async:
        return JSONResponse(await service.run_view_async(run_id))
    return JSONResponse(await calls.read(service, service.run_view, run_id))


@router.get("/{run_id}/logs", response_model=None)
async def logs(
    request: Request,
    run_id: Id,
    _: Viewer,
    follow: bool = False,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    """The run's log as text; with ``follow=true``, a Server-Sent Events stream: one ``log`` event
    per chunk (``id`` = chunk number, so a reconnect resumes with ``after``), then ``end``."""
    service = service_of(request)
    chunks = (await run_in_threadpool(service.log_chunks, run_id, after))[1]
    if not follow:
        text = b"".join(data for _, data in chunks).decode("utf-8", errors="replace")
        return PlainTextResponse(text)
    return StreamingResponse(
        _follow(request, run_id, after), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


async def _follow(request: Request, run_id: Id, after: int) -> AsyncIterator[str]:
    service = service_of(request)
    while True:
        status, chunks = await run_in_threadpool(service.log_chunks, run_id, after)
        for seq, data in chunks:
            after = seq
            lines = data.decode("utf-8", errors="replace").split("\n")
            yield f"id: {seq}\nevent: log\n" + "".join(f"data: {line}\n" for line in lines) + "\n"
        if RunStatus(status).finished and not chunks:
            yield f"event: end\ndata: {status}\n\n"
            return
        if await request.is_disconnected():
            return
        await asyncio.sleep(0.25)


@router.post("/{run_id}/cancel")
def cancel(request: Request, run_id: Id, body: Reason, who: Operator) -> dict[str, Any]:
    return public_run(service_of(request).cancel(run_id, body.reason, by=who.name))


# Any reader may ask: the gate itself says who may decide (its role, operator by default, and approver list).
@router.post("/{run_id}/approve")
def approve(request: Request, run_id: Id, who: Viewer, body: Comment | None = None) -> dict[str, Any]:
    comment = body.comment if body else ""
    return public_run(service_of(request).approve(run_id, by=who.name, comment=comment, role=who.role))


@router.post("/{run_id}/reject")
def reject(request: Request, run_id: Id, who: Viewer, body: Comment | None = None) -> dict[str, Any]:
    comment = body.comment if body else ""
    return public_run(
        service_of(request).approve(run_id, by=who.name, comment=comment, approve=False, role=who.role)
    )
