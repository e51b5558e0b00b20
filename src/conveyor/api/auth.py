"""Bearer tokens with roles. Every route but /health depends on ``require(...)``.

Roles: ``viewer`` reads; ``operator`` also triggers, puts versions, approves, cancels, pauses;
``admin`` also applies pipelines and manages tokens; ``worker`` may only lease, heartbeat and
report (admin may do that too). With auth off (``conveyor server --no-auth``) everyone is admin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from conveyor.service import Service

_ALLOWED = {
    "viewer": {"viewer", "operator", "admin"},
    "operator": {"operator", "admin"},
    "admin": {"admin"},
    "worker": {"worker", "admin"},
}

_bearer = HTTPBearer(auto_error=False, description="an API token: `conveyor token create --role ...`")


@dataclass(frozen=True)
class Principal:
    name: str
    role: str


ANONYMOUS_ADMIN = Principal("anonymous", "admin")


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def require(role: str) -> Callable[..., Awaitable[Principal]]:
    if role not in _ALLOWED:  # fail when the route is declared, not on its first request
        raise ValueError(f"unknown role {role!r}")

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        # async, so the common case (a token verified moments ago) costs no thread hop and no query
        if not request.app.state.auth:
            return ANONYMOUS_ADMIN
        if credentials is None:
            raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
        service = service_of(request)
        row = service.cached_token(credentials.credentials)
        if row is None:
            row = await run_in_threadpool(service.verify_token, credentials.credentials)
        return _principal(row, role)

    return dependency


def check_token(request: Request, token: str, role: str) -> Principal:
    """Who holds ``token``, if it may act as ``role``: the one check behind both the API's bearer
    tokens and the web UI's session cookie. 401 for a bad token, 403 for a role too small."""
    if not request.app.state.auth:
        return ANONYMOUS_ADMIN
    service = service_of(request)
    return _principal(service.cached_token(token) or service.verify_token(token), role)


def _principal(row: dict[str, Any] | None, role: str) -> Principal:
    if row is None:
        raise HTTPException(401, "invalid or revoked token", {"WWW-Authenticate": "Bearer"})
    if row["role"] not in _ALLOWED[role]:
        raise HTTPException(403, f"a {row['role']} token may not do this (needs {role})")
    return Principal(row["name"], row["role"])


Viewer = Annotated[Principal, Depends(require("viewer"))]
Operator = Annotated[Principal, Depends(require("operator"))]
Admin = Annotated[Principal, Depends(require("admin"))]
WorkerAuth = Annotated[Principal, Depends(require("worker"))]
