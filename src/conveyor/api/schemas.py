"""Request bodies (Pydantic). Responses are the service's plain dicts, documented by route."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=1, max_length=200)]
#: Limits that keep one request from filling the store.
MAX_SOURCE = 2 * 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApplyPipeline(_Strict):
    """A pipeline to apply: its YAML ``source`` (as a file would hold it), or a parsed ``definition``."""

    source: Annotated[str, Field(max_length=MAX_SOURCE)] | None = None
    definition: dict[str, Any] | None = None
    file: Annotated[str, Field(max_length=500)] = "pipeline.yml"
    name: Name | None = Field(default=None, description="the pipeline's name when the source has none")


class PutVersion(_Strict):
    properties: dict[Annotated[str, Field(max_length=256)], Annotated[str, Field(max_length=65536)]] = {}
    replace: bool = Field(default=False, description="hold only these keys instead of merging")


class Reason(_Strict):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class Comment(_Strict):
    comment: Annotated[str, Field(max_length=2000)] = ""


class RegisterWorker(_Strict):
    name: Name
    labels: dict[Annotated[str, Field(max_length=100)], Annotated[str, Field(max_length=200)]] = {}
    hostname: Annotated[str, Field(max_length=255)] | None = None
    pid: Annotated[int, Field(ge=0)] | None = None


class Lease(_Strict):
    limit: Annotated[int, Field(ge=1, le=100)] = 1
    wait: Annotated[float, Field(ge=0, le=60)] = 0.0
    pipeline: Name | None = None


class Complete(_Strict):
    result: dict[str, Any]
    lease: Annotated[int, Field(ge=0, le=100)] = 0
    pipeline: Name | None = None


class NewToken(_Strict):
    name: Name
    role: Annotated[str, Field(pattern="^(viewer|operator|admin|worker)$")]
