"""The job history: one record per state entered, updated as the state runs (Clever's ``jobs``).

Kept as plain dicts inside the execution state so that it serialises with everything else; these helpers are
the only code that writes them, so the records keep one shape.
"""

from __future__ import annotations

from typing import Any

from conveyor.statemachine import effects as fx
from conveyor.statemachine import errors
from conveyor.statemachine.effects import Attempt, Job

#: Clever's reasons (resources/jobs.go, wfupdater/processevents.go).
JOB_TIMED_OUT = "Job timed out"
WORKFLOW_TIMED_OUT = "Workflow timed out"
NO_SUCH_RESOURCE = "State resource does not exist"


def new_job(job_id: str, state: str, kind: str, branch: str, raw: Any, now: str, resource: str | None) -> Job:
    """A job for a state just entered: ``created``; every type but Task also starts at once."""
    return Job(
        id=job_id,
        state=state,
        type=kind,
        branch=branch,
        status=fx.JOB_CREATED,
        input=raw,
        output=None,
        attempts=[],
        created_at=now,
        started_at=None if kind == "Task" else now,
        stopped_at=None,
        error=None,
        cause=None,
        status_reason=None,
        resource=resource,
        token=None,
        worker=None,
    )


def succeed(job: Job, output: Any, now: str) -> None:
    job["status"] = fx.JOB_SUCCEEDED
    job["output"] = output
    job["stopped_at"] = now
    if job["started_at"] is None:
        job["started_at"] = now


def fail(job: Job, error: str | None, cause: str | None, now: str, status: str = fx.JOB_FAILED) -> None:
    job["status"] = status
    job["error"] = error
    job["cause"] = cause
    job["stopped_at"] = now
    job["status_reason"] = reason(error, cause)


def abort(job: Job, status: str, why: str | None, now: str) -> None:
    """A job cut short from outside: cancelled by the user, or because something else failed."""
    if job["status"] == fx.JOB_SUCCEEDED:
        return
    job["status"] = status
    job["stopped_at"] = now
    job["status_reason"] = why


def retry(job: Job, now: str) -> None:
    """The failed try becomes an attempt and the job starts again (Clever resets it on re-schedule)."""
    job["attempts"].append(
        Attempt(
            created_at=job["created_at"],
            started_at=job["started_at"],
            stopped_at=job["stopped_at"],
            error=job["error"],
            cause=job["cause"],
            reason=job["status_reason"],
            worker=job["worker"],
        )
    )
    job["status"] = fx.JOB_CREATED
    job["created_at"] = now
    job["started_at"] = None if job["type"] == "Task" else now
    job["stopped_at"] = job["error"] = job["cause"] = job["status_reason"] = job["worker"] = None


def reason(error: str | None, cause: str | None) -> str:
    """Clever's ``statusReason`` for a failure: timeouts say so; else the cause's last 3 lines + the error."""
    if error == errors.RUNTIME and cause == "Internal Error":
        return NO_SUCH_RESOURCE
    if error in (errors.TIMEOUT, errors.HEARTBEAT_TIMEOUT):
        return "\n".join(part for part in (JOB_TIMED_OUT, error, cause) if part)
    tail = "\n".join((cause or "").strip().splitlines()[-3:])
    return "\n".join(part for part in (tail, error or "") if part)
