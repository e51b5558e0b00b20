"""Creating a workflow (FACTS 2.2): a template rendered for its machines, frozen into an ordered action list.

``workflow create -t TEMPLATE -r '{"device_1":"08:00:27:00:00:01"}'`` renders the template (``render``),
resolves each task's ``worker`` to a hardware id (``hardware.resolve_worker``) and flattens every task's
actions, in template order, into one list where each action carries its task's name, its worker's id, and
its task's environment and volumes merged with its own. The result is immutable: it holds copies, so later
edits of the template or the hardware do not change it (tink instead re-rendered the template on every
``workflow get``; conveyor keeps what was rendered at creation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from conveyor.tinkerbell.hardware import Hardware, resolve_worker
from conveyor.tinkerbell.model import Action as TemplateAction
from conveyor.tinkerbell.model import Task, Template
from conveyor.tinkerbell.render import render_template

#: What the worker allows an action without a ``timeout`` (or with ``timeout <= 0``), in seconds.
DEFAULT_ACTION_TIMEOUT = 3600


class State(IntEnum):
    """The state of a workflow and of an action (tink's ``State`` proto enum, v0.4+ numbering)."""

    PENDING = 0
    RUNNING = 1
    FAILED = 2
    TIMEOUT = 3
    SUCCESS = 4

    @property
    def wire(self) -> str:
        """The name tink's API and CLI print: ``STATE_SUCCESS``."""
        return f"STATE_{self.name}"

    @classmethod
    def parse(cls, text: str) -> State:
        """From ``STATE_SUCCESS``, ``SUCCESS`` or ``success``."""
        return cls[text.upper().removeprefix("STATE_")]


@dataclass(frozen=True, slots=True)
class WorkflowAction:
    """One entry of a workflow's action list (tink's ``WorkflowAction``), ready to run."""

    index: int
    task_name: str
    name: str
    image: str
    worker_id: str
    timeout: int = 0
    command: tuple[str, ...] = ()
    on_timeout: tuple[str, ...] = ()
    on_failure: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    #: ``K=V`` strings: the task's environment overlaid with the action's
    environment: tuple[str, ...] = ()
    pid: str = ""

    @property
    def deadline_seconds(self) -> int:
        """How long the action may run: its ``timeout`` if positive, else the worker default of an hour."""
        return self.timeout if self.timeout > 0 else DEFAULT_ACTION_TIMEOUT

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "task_name": self.task_name,
            "name": self.name,
            "image": self.image,
            "worker_id": self.worker_id,
            "timeout": self.timeout,
            "command": list(self.command),
            "on_timeout": list(self.on_timeout),
            "on_failure": list(self.on_failure),
            "volumes": list(self.volumes),
            "environment": list(self.environment),
            "pid": self.pid,
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> WorkflowAction:
        return cls(
            index=row["index"],
            task_name=row["task_name"],
            name=row["name"],
            image=row["image"],
            worker_id=row["worker_id"],
            timeout=row["timeout"],
            command=tuple(row["command"]),
            on_timeout=tuple(row["on_timeout"]),
            on_failure=tuple(row["on_failure"]),
            volumes=tuple(row["volumes"]),
            environment=tuple(row["environment"]),
            pid=row["pid"],
        )


@dataclass(frozen=True, slots=True)
class Workflow:
    """An immutable workflow: what it was made from, and the action list its workers run in order."""

    id: str
    template_id: str
    #: the hardware mapping JSON exactly as given (tink's ``devices``)
    hardware: str
    #: the rendered template as YAML (tink's ``Workflow.data``)
    data: str
    name: str
    global_timeout: int
    actions: tuple[WorkflowAction, ...]
    created_at: datetime

    @property
    def workers(self) -> tuple[str, ...]:
        """The hardware ids with work in this workflow, in order of first use (tink's worker map)."""
        return tuple(dict.fromkeys(a.worker_id for a in self.actions))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "template_id": self.template_id,
            "hardware": self.hardware,
            "data": self.data,
            "name": self.name,
            "global_timeout": self.global_timeout,
            "actions": [a.to_dict() for a in self.actions],
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Workflow:
        return cls(
            id=row["id"],
            template_id=row["template_id"],
            hardware=row["hardware"],
            data=row["data"],
            name=row["name"],
            global_timeout=row["global_timeout"],
            actions=tuple(WorkflowAction.from_dict(a) for a in row["actions"]),
            created_at=datetime.fromisoformat(row["created_at"]),
        )


def create_workflow(
    *,
    workflow_id: str,
    template_id: str,
    template_text: str,
    hardware: str | bytes,
    records: Sequence[Hardware],
    now: datetime,
) -> Workflow:
    """A new workflow from a (live) template's stored text and the ``-r`` hardware mapping.

    ``records`` are the hardware records (deleted ones are ignored). Raises ``BadInput`` with tink's
    messages for a bad mapping, a missing key, a rendered template that is invalid, and an address that is
    not a MAC or IPv4 or that no live hardware has.
    """
    rendered = render_template(template_text, hardware, template_id)
    template = rendered.template
    workers = [resolve_worker(task.worker, records) for task in template.tasks]
    return Workflow(
        id=workflow_id,
        template_id=template_id,
        hardware=hardware.decode("utf-8") if isinstance(hardware, bytes) else hardware,
        data=rendered.data,
        name=template.name,
        global_timeout=template.global_timeout,
        actions=flatten(template, workers),
        created_at=now,
    )


def flatten(template: Template, worker_ids: Sequence[str]) -> tuple[WorkflowAction, ...]:
    """Every action of every task, in order, each with its task's name and worker id and merged settings."""
    out: list[WorkflowAction] = []
    for task, worker_id in zip(template.tasks, worker_ids, strict=True):
        for action in task.actions:
            out.append(_entry(len(out), task, action, worker_id))
    return tuple(out)


def _entry(index: int, task: Task, action: TemplateAction, worker_id: str) -> WorkflowAction:
    environment = {**task.environment, **action.environment}
    return WorkflowAction(
        index=index,
        task_name=task.name,
        name=action.name,
        image=action.image,
        worker_id=worker_id,
        timeout=action.timeout,
        command=action.command,
        on_timeout=action.on_timeout,
        on_failure=action.on_failure,
        volumes=merge_volumes(task.volumes, action.volumes),
        environment=tuple(f"{key}={value}" for key, value in environment.items()),
        pid=action.pid,
    )


def merge_volumes(task_volumes: Sequence[str], action_volumes: Sequence[str]) -> tuple[str, ...]:
    """Task volumes, then the action's; an action volume replaces a task volume with the same host path
    (the part before the first ``:``). A volume is kept as written (tink re-joined it, turning ``/dev``
    into ``/dev:``)."""
    merged: dict[str, str] = {}
    for volume in (*task_volumes, *action_volumes):
        merged[volume.split(":", 1)[0]] = volume
    return tuple(merged.values())
