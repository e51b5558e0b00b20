"""API tokens (admin): create (shown once), list, revoke."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from conveyor.api.auth import Admin, service_of
from conveyor.api.schemas import Id, NewToken

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


@router.get("")
def list_tokens(request: Request, _: Admin) -> list[dict[str, Any]]:
    return service_of(request).tokens()


@router.post("", status_code=201)
def create_token(request: Request, body: NewToken, _: Admin) -> dict[str, Any]:
    token_id, token = service_of(request).create_token(body.name, body.role)
    return {"id": token_id, "name": body.name, "role": body.role, "token": token}


@router.delete("/{token_id}", status_code=204)
def revoke(request: Request, token_id: Id, _: Admin) -> None:
    service_of(request).revoke_token(token_id)
