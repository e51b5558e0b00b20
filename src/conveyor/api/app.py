"""The app factory: routes, auth, errors, metrics — around one ``Service``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from conveyor import __version__, web
from conveyor.api import errors
from conveyor.api.auth import Viewer
from conveyor.api.metrics import Metrics
from conveyor.api.routes import clever, events, jobs, pipelines, resources, runs, tokens, workers
from conveyor.service import Service

#: Request bodies above this are refused before they are read (413).
MAX_BODY = 32 * 1024 * 1024


def create_app(service: Service, auth: bool = True) -> FastAPI:
    app = FastAPI(
        title="conveyor",
        version=__version__,
        description="Stateful assembly lines: pipelines, resources and versions, jobs, runs, workers.",
        responses=errors.ERROR_RESPONSES,
    )
    app.state.service = service
    app.state.auth = auth
    metrics = Metrics(service)
    app.state.metrics = metrics
    errors.install(app)

    @app.middleware("http")
    async def limit_and_measure(request: Request, call_next: Any) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return errors.body("limit_exceeded", f"request bodies are limited to {MAX_BODY} bytes", 413)
        response: Response = await metrics.middleware(request, call_next)
        return response

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: answers without a token."""
        return {"status": "ok", "version": __version__}

    @app.get("/metrics", tags=["health"], response_class=Response)
    def prometheus(_: Viewer) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    for module in (pipelines, resources, jobs, runs, workers, events, tokens, clever):
        app.include_router(module.router)
    web.install(app)  # the UI at / and /ui/..., on the same service and tokens

    @app.get("/api/v1", tags=["health"])
    def root(_: Viewer) -> JSONResponse:
        return JSONResponse({"version": __version__, "docs": "/docs", "openapi": "/openapi.json"})

    return app
