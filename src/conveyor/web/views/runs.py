"""A run's page: its log as it is written (per step, with when each part arrived), the versions it read
and made, its state files and lineage; Cancel (with a reason), Approve and Reject."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse

from conveyor.api.auth import service_of
from conveyor.errors import BadInput
from conveyor.service import Service
from conveyor.service.reads import public_run
from conveyor.web import urls
from conveyor.web.render import FINISHED, HEADERS, PageRoute, page, redirect
from conveyor.web.session import Form, Operator, Viewer

router = APIRouter(prefix="/ui/runs/{run_id}", route_class=PageRoute, include_in_schema=False)

RunId = Annotated[int, Path(ge=1, le=2**62)]
#: Log chunks sent per read: a long log streams in pieces instead of one huge read.
CHUNKS = 200
POLL_SECONDS = 0.25


@router.get("", response_class=HTMLResponse)
def run_page(request: Request, run_id: RunId, who: Viewer) -> HTMLResponse:
    service = service_of(request)
    row = service.run(run_id)
    run = public_run(row)
    return page(
        request,
        "run.html",
        who,
        run=run,
        lineage=service.run_lineage(run_id),
        outputs=row["outputs"],
        events=[{**e, "data": json.loads(e["data"])} for e in row["events"]],
        live=f"{urls.run_url(run_id)}/live",
    )


@router.get("/log.txt")
def log_text(request: Request, run_id: RunId, _: Viewer) -> PlainTextResponse:
    """The whole log as text: for saving, for grep, for a browser without scripts."""
    text = service_of(request).logs(run_id).decode("utf-8", errors="replace")
    return PlainTextResponse(text, headers=HEADERS)


@router.get("/live")
async def live(request: Request, run_id: RunId, _: Viewer) -> StreamingResponse:
    """Server-Sent Events: ``status`` when the run's status changes, ``log`` per chunk (``id`` = its
    number, so a reconnecting browser resumes where it was), ``end`` once finished and all sent."""
    service = service_of(request)
    await run_in_threadpool(service.timed_log, run_id, 0, 1)  # a missing run is a 404 page
    after = request.headers.get("last-event-id", "0")
    return StreamingResponse(
        _follow(request, service, run_id, int(after) if after.isdigit() else 0),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _follow(request: Request, service: Service, run_id: int, after: int) -> AsyncIterator[str]:
    shown = None
    yield "retry: 2000\n\n"
    while not service.closing.is_set():
        status, chunks = await run_in_threadpool(service.timed_log, run_id, after, CHUNKS)
        if status != shown:
            shown = status
            yield f"event: status\ndata: {json.dumps({'status': status})}\n\n"
        for chunk in chunks:
            after = int(chunk["seq"])
            text = bytes(chunk["data"]).decode("utf-8", errors="replace")
            data = json.dumps({"at": chunk["created_at"], "text": text}, ensure_ascii=False)
            yield f"id: {after}\nevent: log\ndata: {data}\n\n"
        if status in FINISHED and not chunks:
            yield f"event: end\ndata: {json.dumps({'status': status})}\n\n"
            return
        if await request.is_disconnected():
            return
        if len(chunks) < CHUNKS:
            await asyncio.sleep(POLL_SECONDS)


@router.post("/cancel")
def cancel(request: Request, run_id: RunId, who: Operator, form: Form) -> Response:
    reason = form.get("reason", "").strip()
    if not reason:
        raise BadInput("cancelling a run needs a reason")
    run = service_of(request).cancel(run_id, reason, by=who.name)
    note = "cancel requested: the worker stops it" if run["status"] == "running" else "cancelled"
    return redirect(request, urls.run_url(run_id), note, form)


@router.post("/approve")
def approve(request: Request, run_id: RunId, who: Operator, form: Form) -> Response:
    service_of(request).approve(run_id, by=who.name, comment=form.get("comment", "").strip())
    return redirect(request, urls.run_url(run_id), "approved: the run is queued", form)


@router.post("/reject")
def reject(request: Request, run_id: RunId, who: Operator, form: Form) -> Response:
    service_of(request).approve(run_id, by=who.name, comment=form.get("comment", "").strip(), approve=False)
    return redirect(request, urls.run_url(run_id), "rejected", form)
