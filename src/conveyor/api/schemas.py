"""Request bodies (Pydantic). Responses are the service's plain dicts, documented by route."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=1, max_length=200)]
#: Ids in paths: positive, and within what both databases store (a larger one is simply not found).
MAX_ID = 2**62
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
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


class Bump(_Strict):
    part: Annotated[str, Field(pattern="^(major|minor|patch|alpha|beta|rc|final)$")] | None = Field(
        default=None, description="for a version resource: which part to bump (default: patch)"
    )


class Reason(_Strict):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class Comment(_Strict):
    comment: Annotated[str, Field(max_length=2000)] = ""


class RegisterWorker(_Strict):
    name: Name
    labels: dict[Annotated[str, Field(max_length=100)], Annotated[str, Field(max_length=200)]] = {}
    hostname: Annotated[str, Field(max_length=255)] | None = None
    pid: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None  # within what the pid column holds (INTEGER)


class Lease(_Strict):
    limit: Annotated[int, Field(ge=1, le=100)] = 1
    wait: Annotated[float, Field(ge=0, le=60)] = 0.0
    pipeline: Name | None = None
    workflow: Name | None = Field(default=None, description="lease only this workflow's tasks")


class Heartbeat(_Strict):
    """What the worker holds: any other run or task the server thinks it leased it (an answer to a
    lease lost on the way, when the server went down before it arrived) is handed back."""

    runs: Annotated[list[int], Field(max_length=1000)] | None = None
    tasks: Annotated[list[int], Field(max_length=1000)] | None = None


class OutputBody(_Strict):
    properties: dict[str, str] = {}
    files: dict[str, str] = Field(default={}, description="path -> base64 content")


class ResultBody(_Strict):
    """A run's result as a worker reports it; files and the log are base64."""

    status: Annotated[str, Field(pattern="^(succeeded|failed|errored|timed_out|cancelled)$")]
    exit_code: int | None = None
    message: Annotated[str, Field(max_length=10_000)] = ""
    steps: list[dict[str, Any]] = []
    log: str = ""
    outputs: dict[str, OutputBody] = {}
    state_files: dict[str, str] | None = None
    properties: dict[str, str] = {}
    stdout: str = Field(default="", description="a task's standard output (its result), base64")


class Complete(_Strict):
    result: ResultBody
    lease: Annotated[int, Field(ge=0, le=100)] = 0
    pipeline: Name | None = None
    workflow: Name | None = None


class NewToken(_Strict):
    name: Name
    role: Annotated[str, Field(pattern="^(viewer|operator|admin|worker)$")]
