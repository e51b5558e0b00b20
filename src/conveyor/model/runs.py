"""Run statuses and the moves allowed between them, as data.

::

    pending ──> waiting_approval ──> queued ──> running ──> succeeded | failed | errored | timed_out
       │              │                │           │
       └──────────────┴────────────────┴───────────┴──> cancelled   (errored also from queued/pending)

``pending`` waits for its gates (upstream jobs settled, retry backoff, serial job, state-resource lock);
``queued`` is ready for any worker to lease.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    PENDING = "pending"
    WAITING_APPROVAL = "waiting_approval"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ERRORED = "errored"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in FINISHED

    @property
    def active(self) -> bool:
        return self in ACTIVE


FINISHED = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.ERRORED, RunStatus.TIMED_OUT, RunStatus.CANCELLED}
)
ACTIVE = frozenset({RunStatus.PENDING, RunStatus.WAITING_APPROVAL, RunStatus.QUEUED, RunStatus.RUNNING})
#: Finished statuses after which a run with retries left is tried again.
RETRYABLE = frozenset({RunStatus.FAILED, RunStatus.ERRORED, RunStatus.TIMED_OUT})

TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.PENDING: frozenset(
        {RunStatus.WAITING_APPROVAL, RunStatus.QUEUED, RunStatus.CANCELLED, RunStatus.ERRORED}
    ),
    RunStatus.WAITING_APPROVAL: frozenset({RunStatus.QUEUED, RunStatus.CANCELLED}),
    RunStatus.QUEUED: frozenset({RunStatus.RUNNING, RunStatus.CANCELLED, RunStatus.ERRORED}),
    RunStatus.RUNNING: frozenset(FINISHED),
}


def can_move(src: RunStatus, dst: RunStatus) -> bool:
    return dst in TRANSITIONS.get(src, frozenset())
