"""What a worker is handed (``RunSpec``) and what it hands back (``RunResult``).

These are the wire types between the service and any worker, in-process or remote: everything a run
needs is in the spec (so a worker needs no store), and everything it produced is in the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StepSpec:
    label: str
    run: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InputMaterial:
    """One input as the run sees it on disk under ``$CONVEYOR_INPUTS/<name>/``."""

    name: str
    kind: str  # "resource" | "job"
    type: str  # resource type, or "job"
    properties: dict[str, str]
    #: for a resource: its version (id, number, digest); for a job: the upstream run (id, number).
    version: dict[str, Any] | None
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputSpec:
    name: str
    type: str


@dataclass(frozen=True)
class RunSpec:
    run_id: int
    number: int
    attempt: int
    pipeline: str
    job: str
    steps: list[StepSpec]
    on_success: list[StepSpec]
    on_failure: list[StepSpec]
    always: list[StepSpec]
    env: dict[str, str]
    timeout: float | None
    inputs: list[InputMaterial]
    outputs: list[OutputSpec]
    #: the job's state files from its previous run, restored into ``$CONVEYOR_STATE``.
    state_files: dict[str, bytes]
    state_limit: int
    log_limit: int
    output_files_limit: int


@dataclass
class RunResult:
    status: str  # succeeded | failed | timed_out | errored | cancelled
    exit_code: int | None = None
    message: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)
    log: bytes = b""
    #: resource -> (properties, files) the run wrote; only kept when the run succeeded.
    outputs: dict[str, tuple[dict[str, str], dict[str, bytes]]] = field(default_factory=dict)
    #: None when the run's state could not be kept (e.g. over the limit): the previous state stays.
    state_files: dict[str, bytes] | None = None
    properties: dict[str, str] = field(default_factory=dict)
