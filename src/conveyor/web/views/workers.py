"""The workers page: each worker's labels, last heartbeat and the runs it holds."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from conveyor.api.auth import service_of
from conveyor.web.render import PageRoute, page
from conveyor.web.session import Viewer

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/ui/workers", response_class=HTMLResponse)
def workers(request: Request, who: Viewer) -> HTMLResponse:
    service = service_of(request)
    return page(
        request,
        "workers.html",
        who,
        workers=service.workers(),
        lease_seconds=service.settings.lease_seconds,
        now=time.time(),
    )
