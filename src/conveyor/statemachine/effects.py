"""What an execution asks of the outside world (effects), and what it records (job history).

The interpreter never runs a task, sleeps or reads a clock: ``Execution.advance(now)`` returns effects, and
the outside reports back by token (``task_succeeded`` / ``task_failed`` / ``timer_fired``). A token names one
attempt of one task, or one timer, and stays the same across serialisation, so the outside may persist it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

# Execution statuses (Clever's WorkflowStatus).
QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
FINISHED = frozenset({SUCCEEDED, FAILED, CANCELLED})

# Job statuses (Clever's JobStatus).
JOB_CREATED = "created"
JOB_QUEUED = "queued"
JOB_RUNNING = "running"
JOB_SUCCEEDED = "succeeded"
JOB_FAILED = "failed"
JOB_ABORTED_BY_USER = "aborted_by_user"
#: Cut short because something else failed: a sibling branch of a Parallel / Map, or the execution.
JOB_ABORTED_DEPS_FAILED = "aborted_deps_failed"
JOB_DONE = frozenset({JOB_SUCCEEDED, JOB_FAILED, JOB_ABORTED_BY_USER, JOB_ABORTED_DEPS_FAILED})


@dataclass(frozen=True)
class RunTask:
    """Run ``resource`` with ``input``; report ``task_succeeded`` / ``task_failed`` with ``token``.

    The outside enforces the timeouts and reports ``States.Timeout`` / ``States.HeartbeatTimeout`` as task
    failures. ``timeout_seconds`` is None only when the execution was started without a default timeout.
    """

    token: str
    resource: str
    input: Any
    timeout_seconds: int | None
    heartbeat_seconds: int | None
    state: str
    attempt: int


@dataclass(frozen=True)
class Timer:
    """Call ``timer_fired(token)`` at ``at`` (a Wait state, a retry interval or the execution's timeout)."""

    token: str
    at: datetime


@dataclass(frozen=True)
class CancelTask:
    """The task with ``token`` is no longer wanted (stop it if you can; its report will be ignored)."""

    token: str


@dataclass(frozen=True)
class CancelTimer:
    """The timer with ``token`` is no longer wanted (its firing would be ignored)."""

    token: str


@dataclass(frozen=True)
class Finished:
    """The execution succeeded with ``output``."""

    output: Any


@dataclass(frozen=True)
class Failed:
    """The execution failed with ``error`` (None only for a Fail state without one) and ``cause``."""

    error: str | None
    cause: str | None


@dataclass(frozen=True)
class Cancelled:
    """The execution was cancelled, for ``reason``."""

    reason: str | None


Effect = RunTask | Timer | CancelTask | CancelTimer | Finished | Failed | Cancelled


class Attempt(TypedDict):
    """An earlier, failed try of a job (Clever's JobAttempt)."""

    created_at: str | None
    started_at: str | None
    stopped_at: str | None
    error: str | None
    cause: str | None
    reason: str | None
    worker: str | None


class Job(TypedDict):
    """One executed state (Clever's Job): one per entry into a state, retries kept in ``attempts``.

    ``branch`` says where the state ran: "" at the top level, ``"P[1]"`` in branch 1 of Parallel state P,
    ``"P[1]/M[7]"`` in item 7 of Map state M inside it. Times are RFC 3339 strings from the ``now`` given
    to ``advance``. ``token`` is the current task attempt's token (Task states only).
    """

    id: str
    state: str
    type: str
    branch: str
    status: str
    input: Any
    output: Any
    attempts: list[Attempt]
    created_at: str
    started_at: str | None
    stopped_at: str | None
    error: str | None
    cause: str | None
    status_reason: str | None
    resource: str | None
    token: str | None
    worker: str | None
