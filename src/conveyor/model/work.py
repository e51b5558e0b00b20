"""What a worker is handed (``RunSpec``) and what it hands back (``RunResult``).

These are the wire types between the service and any worker, in-process or remote: everything a run
needs is in the spec (so a worker needs no store), and everything it produced is in the result.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from conveyor.errors import BadInput, Conflict


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
    #: "run" (a pipeline job's run) or "task" (one unit of a workflow, e.g. a Task state's command,
    #: whose stdout is its result); ``run_id`` is the id within that kind.
    kind: str = "run"
    #: a workflow task's input (JSON text): on the task's stdin, and in the file ``$CONVEYOR_TASK_INPUT``
    task_input: str | None = None
    #: "shippable": the steps get Shippable's job runtime (``worker/shippable.py``)
    runtime: str = ""
    #: names of ``env`` entries that hold secrets: the worker masks their values in what it reports
    secret_env: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, int]:
        """What identifies the work across kinds (a run and a task may share an id)."""
        return (self.kind, self.run_id)


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
    #: a task's standard output (its result); runs send stdout to the log instead
    stdout: bytes = b""


# -- the wire: JSON forms for remote workers (files as base64) -------------------------------------
def _b64(files: dict[str, bytes]) -> dict[str, str]:
    return {path: base64.b64encode(data).decode() for path, data in files.items()}


def _unb64(files: dict[str, str]) -> dict[str, bytes]:
    try:
        return {path: base64.b64decode(data, validate=True) for path, data in files.items()}
    except ValueError as exc:
        raise BadInput(f"file content is not valid base64: {exc}") from exc


def spec_to_json(spec: RunSpec) -> dict[str, Any]:
    data = asdict(spec)
    data["state_files"] = _b64(spec.state_files)
    data["inputs"] = [{**asdict(i), "files": _b64(i.files)} for i in spec.inputs]
    return data


def spec_from_json(data: dict[str, Any]) -> RunSpec:
    steps = {k: [StepSpec(**s) for s in data[k]] for k in ("steps", "on_success", "on_failure", "always")}
    return RunSpec(
        run_id=data["run_id"],
        number=data["number"],
        attempt=data["attempt"],
        pipeline=data["pipeline"],
        job=data["job"],
        env=data["env"],
        timeout=data["timeout"],
        inputs=[InputMaterial(**{**i, "files": _unb64(i["files"])}) for i in data["inputs"]],
        outputs=[OutputSpec(**o) for o in data["outputs"]],
        state_files=_unb64(data["state_files"]),
        state_limit=data["state_limit"],
        log_limit=data["log_limit"],
        output_files_limit=data["output_files_limit"],
        kind=data.get("kind", "run"),
        task_input=data.get("task_input"),
        runtime=data.get("runtime", ""),
        secret_env=list(data.get("secret_env", [])),
        **steps,
    )


def result_to_json(result: RunResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "exit_code": result.exit_code,
        "message": result.message,
        "steps": result.steps,
        "log": base64.b64encode(result.log).decode(),
        "outputs": {name: {"properties": p, "files": _b64(f)} for name, (p, f) in result.outputs.items()},
        "state_files": None if result.state_files is None else _b64(result.state_files),
        "properties": result.properties,
        "stdout": base64.b64encode(result.stdout).decode(),
    }


def result_from_json(data: dict[str, Any]) -> RunResult:
    return RunResult(
        status=data["status"],
        exit_code=data.get("exit_code"),
        message=data.get("message", ""),
        steps=data.get("steps", []),
        log=_unb64({"log": data.get("log", "")})["log"],
        outputs={
            name: (dict(o.get("properties", {})), _unb64(o.get("files", {})))
            for name, o in data.get("outputs", {}).items()
        },
        state_files=None if data.get("state_files") is None else _unb64(data["state_files"]),
        properties=dict(data.get("properties", {})),
        stdout=_unb64({"stdout": data.get("stdout", "")})["stdout"],
    )


def complete_one_by_one(
    complete_and_lease: Callable[..., tuple[dict[str, Any], list[RunSpec]]],
    worker_id: int | None,
    done: list[tuple[str, int, RunResult]],
    lease: int,
    pipeline: str | None,
    labels: dict[str, str] | None,
    workflow: str | None,
) -> tuple[list[dict[str, Any] | None], list[RunSpec]]:
    """``complete_many_and_lease`` as one ``complete_and_lease`` per run, the last one leasing: over
    HTTP (a request each), or when one run of a batch is no longer the worker's. Such a run comes
    back None: its new owner reports it."""
    rows: list[dict[str, Any] | None] = []
    specs: list[RunSpec] = []
    for i, (kind, run_id, result) in enumerate(done):
        n = lease if i == len(done) - 1 else 0
        try:
            row, specs = complete_and_lease(worker_id, run_id, result, n, pipeline, labels, kind, workflow)
        except Conflict:
            rows.append(None)
            continue
        rows.append(row)
    return rows, specs
