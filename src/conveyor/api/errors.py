"""Every error leaves the API in one shape: ``{"error": {"code": "...", "message": "..."}}``.

Domain errors carry their own status (``errors.py``); request validation is 422 ``invalid_request``;
anything unexpected is a 500 ``internal`` whose details stay in the server log.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from conveyor.errors import ConveyorError

log = logging.getLogger("conveyor.api")


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


#: Declared on every route so the OpenAPI document tells clients (and schemathesis) the truth.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (400, 401, 403, 404, 409, 413, 422, 503)
}


def body(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


#: Paths of Clever workflow-manager's API, whose errors are ``{"message": ...}`` as that API's were.
CLEVER_PATHS = ("/workflow-definitions", "/workflows", "/state-resources", "/jobs", "/_health")


def _clever(request: Request) -> bool:
    path = request.url.path
    return any(path == p or path.startswith(p + "/") for p in CLEVER_PATHS)


def _answer(request: Request, code: str, message: str, status: int) -> JSONResponse:
    if _clever(request):
        # that API said 500 for most bad input; conveyor says what it is, with a 4xx
        return JSONResponse({"message": message}, status_code=400 if status == 422 else status)
    return body(code, message, status)


_HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def install(app: FastAPI) -> None:
    @app.exception_handler(ConveyorError)
    async def conveyor_error(request: Request, exc: ConveyorError) -> JSONResponse:
        return _answer(request, exc.code, exc.message, exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg")))
        return _answer(request, "invalid_request", "; ".join(parts) or "invalid request", 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        response = _answer(request, code, str(exc.detail), exc.status_code)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _answer(request, "internal", "internal error; see the server log", 500)
