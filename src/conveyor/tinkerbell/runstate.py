"""A workflow's execution state as records: the context row, worker reports, events, work handed out.

These are tink's ``WorkflowContext``, ``WorkflowActionStatus`` and ``workflow_event`` row (FACTS 2.2-2.5,
3.1), plus what conveyor adds to fix tink's quirks: when the workflow and the current action started (so
``global_timeout`` and action timeouts can be enforced by the server) and the ``on-timeout``/``on-failure``
command scheduled after an action ends that way (so it really runs). The rules that move between them are in
``execution``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from conveyor.tinkerbell.workflow import State, Workflow, WorkflowAction

ON_TIMEOUT, ON_FAILURE = "on-timeout", "on-failure"


@dataclass(frozen=True, slots=True)
class Hook:
    """An ``on-timeout``/``on-failure`` command to run, in a new container of the action's image, on the
    worker whose action ended that way. Its outcome is recorded (as an event) but changes nothing else."""

    kind: str
    action_index: int
    worker_id: str
    command: tuple[str, ...]
    state: State = State.PENDING

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "action_index": self.action_index,
            "worker_id": self.worker_id,
            "command": list(self.command),
            "state": int(self.state),
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Hook:
        return cls(
            row["kind"], row["action_index"], row["worker_id"], tuple(row["command"]), State(row["state"])
        )


@dataclass(frozen=True, slots=True)
class WorkflowState:
    """Where a workflow is (tink's ``workflow_state`` row / ``WorkflowContext``), plus conveyor's timing."""

    workflow_id: str
    total_number_of_actions: int
    current_worker: str = ""
    current_task: str = ""
    current_action: str = ""
    current_action_index: int = 0
    current_action_state: State = State.PENDING
    #: when the first action was reported running; ``global_timeout`` counts from here
    started_at: datetime | None = None
    #: when the current action was reported running; its ``timeout`` counts from here
    action_started_at: datetime | None = None
    hook: Hook | None = None

    @classmethod
    def initial(cls, workflow: Workflow) -> WorkflowState:
        """A new workflow's state: nothing started, action 0 pending."""
        return cls(workflow_id=workflow.id, total_number_of_actions=len(workflow.actions))

    def to_dict(self) -> dict[str, Any]:
        return {
            "workflow_id": self.workflow_id,
            "total_number_of_actions": self.total_number_of_actions,
            "current_worker": self.current_worker,
            "current_task": self.current_task,
            "current_action": self.current_action,
            "current_action_index": self.current_action_index,
            "current_action_state": int(self.current_action_state),
            "started_at": _time(self.started_at),
            "action_started_at": _time(self.action_started_at),
            "hook": None if self.hook is None else self.hook.to_dict(),
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> WorkflowState:
        hook = row.get("hook")
        return cls(
            workflow_id=row["workflow_id"],
            total_number_of_actions=row["total_number_of_actions"],
            current_worker=row["current_worker"],
            current_task=row["current_task"],
            current_action=row["current_action"],
            current_action_index=row["current_action_index"],
            current_action_state=State(row["current_action_state"]),
            started_at=_parse_time(row.get("started_at")),
            action_started_at=_parse_time(row.get("action_started_at")),
            hook=None if hook is None else Hook.from_dict(hook),
        )


@dataclass(frozen=True, slots=True)
class Report:
    """What a worker reports about an action (tink's ``WorkflowActionStatus``), or about its hook when
    ``hook`` names one (``on-timeout``/``on-failure``)."""

    workflow_id: str
    worker_id: str
    task_name: str
    action_name: str
    status: State
    seconds: int = 0
    message: str = ""
    hook: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """One ``workflow_event`` row: what ``workflow events`` lists, oldest first."""

    workflow_id: str
    worker_id: str
    task_name: str
    action_name: str
    seconds: int
    message: str
    status: State
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "workflow_id": self.workflow_id,
            "worker_id": self.worker_id,
            "task_name": self.task_name,
            "action_name": self.action_name,
            "seconds": self.seconds,
            "message": self.message,
            "status": int(self.status),
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Work:
    """What a worker is given to run: an action, or (``hook`` set) the action's on-timeout/on-failure command.

    ``resume`` is true when the state already says it runs (a restarted worker picks it up again): the worker
    then does not report ``STATE_RUNNING`` a second time.
    """

    workflow_id: str
    action: WorkflowAction
    resume: bool = False
    hook: str = ""

    @property
    def command(self) -> tuple[str, ...]:
        """The container command: the action's, or the hook's."""
        if self.hook == ON_TIMEOUT:
            return self.action.on_timeout
        if self.hook == ON_FAILURE:
            return self.action.on_failure
        return self.action.command


@dataclass(frozen=True, slots=True)
class Transition:
    """The outcome of a report or a timeout: the state to store, the events to append, what runs next.

    ``rejected`` is set when the report itself was not applied because the workflow had just timed out: the
    caller stores ``state`` and ``events`` all the same, then answers the worker with ``Conflict(rejected)``.
    """

    state: WorkflowState
    events: tuple[Event, ...] = ()
    #: the action that runs next (or is running), None when the workflow has ended
    next_action: WorkflowAction | None = None
    rejected: str = ""

    @property
    def next_worker(self) -> str | None:
        """Which worker's turn it is (the hand-off target), None when the workflow has ended."""
        return None if self.next_action is None else self.next_action.worker_id


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
