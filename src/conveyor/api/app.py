"""The app factory: routes, auth, errors, metrics — around one ``Service``."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

from conveyor import __version__, web
from conveyor.api import errors
from conveyor.api.auth import Viewer
from conveyor.api.metrics import MeasureMiddleware, Metrics
from conveyor.api.routes import (
    clever,
    events,
    jobs,
    pipelines,
    resources,
    runs,
    secrets,
    tink_gateway,
    tinkerbell,
    tokens,
    workers,
)
from conveyor.service import Service

#: Request bodies above this are refused before they are read (413).
MAX_BODY = 32 * 1024 * 1024


class BodyLimitMiddleware:
    """Pure ASGI (no per-request task): refuses a declared body over ``MAX_BODY`` with 413."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length":
                    if not value.isdigit() or int(value) > MAX_BODY:
                        message = f"request bodies are limited to {MAX_BODY} bytes"
                        await errors.body("limit_exceeded", message, 413)(scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)


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

    # the last added runs first: an oversized body is refused before it is measured
    app.add_middleware(MeasureMiddleware, metrics=metrics)
    app.add_middleware(BodyLimitMiddleware)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: answers without a token."""
        return {"status": "ok", "version": __version__}

    @app.get("/metrics", tags=["health"], response_class=Response)
    def prometheus(_: Viewer) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    for module in (pipelines, resources, jobs, runs, workers, events, tokens, clever, secrets):
        app.include_router(module.router)
    app.include_router(tinkerbell.router)  # Tinkerbell: native /api/v1/tinkerbell/...
    app.include_router(tink_gateway.router)  # ... and tink's /v1 REST routes
    web.install(app)  # the UI at / and /ui/..., on the same service and tokens

    @app.get("/api/v1", tags=["health"])
    def root(_: Viewer) -> JSONResponse:
        return JSONResponse({"version": __version__, "docs": "/docs", "openapi": "/openapi.json"})

    return app
