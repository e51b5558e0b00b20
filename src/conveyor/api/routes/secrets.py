"""Integrations (admin only): set, list, delete. Values go in and never come out: responses carry names,
key names and times only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from conveyor.api.auth import Admin, service_of

router = APIRouter(prefix="/api/v1/secrets", tags=["secrets"])

SecretName = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class SetSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: dict[Annotated[str, Field(min_length=1, max_length=200)], Annotated[str, Field(max_length=65536)]]
    replace: bool = Field(default=False, description="drop the keys not given (default: keep them)")


@router.get("")
def list_secrets(request: Request, _: Admin) -> list[dict[str, Any]]:
    """Integrations with their key names (never their values)."""
    return service_of(request).secrets()


@router.put("/{name}")
def set_secret(request: Request, name: SecretName, body: SetSecret, _: Admin) -> dict[str, Any]:
    """Store or update an integration's keys; answers with its key names."""
    return service_of(request).set_secret(name, body.values, replace_all=body.replace)


@router.delete("/{name}", status_code=204)
def delete_secret(request: Request, name: SecretName, _: Admin) -> None:
    service_of(request).delete_secret(name)
