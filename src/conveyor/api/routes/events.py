"""The global event log: every apply, version, run transition, approval, pause — filterable."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from conveyor.api.auth import Viewer, service_of
from conveyor.api.schemas import MAX_ID

router = APIRouter(prefix="/api/v1/events", tags=["events"])


@router.get("")
def list_events(
    request: Request,
    _: Viewer,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="cursor: the last event id seen")] = 0,
    pipeline: Annotated[str | None, Query(max_length=200)] = None,
    run: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Events oldest first after ``after``; poll with the last id to follow the log."""
    return service_of(request).events(after, limit, pipeline, run, kind)
