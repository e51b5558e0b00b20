"""The web UI: server-rendered pages over the same ``Service`` as the API, a little JavaScript for the
live parts (Server-Sent Events), nothing fetched from outside the server.

Pages call the service only (no SQL, no decisions of their own); ``picture`` and ``statechart`` only
lay out what the service returns. ``install`` mounts it on the API's app.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from conveyor.web import urls


def install(app: FastAPI) -> None:
    """Serve the UI: ``/`` and ``/ui/...`` (Clever's API owns ``/workflows`` and ``/jobs``)."""
    from conveyor.web.views import ROUTERS

    for router in ROUTERS:
        app.include_router(router)
    app.mount(urls.STATIC, StaticFiles(directory=Path(__file__).parent / "static"), name="ui-static")
