"""State-machine objects as Clever's workflow-manager API showed them: camelCase fields, its enums, times in
RFC 3339, ``input`` / ``output`` as JSON text. One place, used by the API and by the CLI's ``--json``."""

from __future__ import annotations

import json
from typing import Any

from conveyor.service.statemachines import MANAGER, RESOURCE_TYPE, stamp
from conveyor.store.base import Row

#: The states that are jobs in Clever's history (``wfupdater/processevents.go``).
JOB_STATE_TYPES = frozenset({"Task", "Choice", "Succeed"})


def definition_json(row: Row) -> dict[str, Any]:
    return {
        "id": row["uid"],
        "name": row["name"],
        "version": row["version"],
        "createdAt": stamp(row["created_at"]),
        "manager": row.get("manager") or MANAGER,
        "stateMachine": json.loads(row["state_machine"]),
        "defaultTags": json.loads(row["default_tags"]),
    }


def state_resource_json(row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": row["name"],
        "namespace": row["namespace"],
        "uri": row["uri"],
        "lastUpdated": stamp(row["last_updated"]),
        "type": row.get("type") or RESOURCE_TYPE,
    }
    if row.get("runs_on"):
        out["runsOn"] = json.loads(row["runs_on"])
    return out


def _text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def job_json(job: dict[str, Any], namespace: str, queue: str) -> dict[str, Any]:
    """One executed state (Clever's Job), plus conveyor's ``type``, ``branch``, ``error``, ``cause``."""
    out: dict[str, Any] = {
        "id": job["id"],
        "attempts": [
            {
                "createdAt": a.get("created_at"),
                "startedAt": a.get("started_at"),
                "stoppedAt": a.get("stopped_at"),
                "reason": a.get("reason"),
                "taskARN": a.get("worker"),
                "error": a.get("error"),
                "cause": a.get("cause"),
            }
            for a in job.get("attempts", [])
        ],
        "container": job.get("worker"),
        "createdAt": job.get("created_at"),
        "startedAt": job.get("started_at"),
        "stoppedAt": job.get("stopped_at"),
        "input": _text(job.get("input")),
        "output": _text(job.get("output")) if job.get("status") == "succeeded" else None,
        "name": job["state"],
        "state": job["state"],
        "queue": queue,
        "status": job["status"],
        "statusReason": job.get("status_reason"),
        "type": job.get("type"),
        "branch": job.get("branch", ""),
        "error": job.get("error"),
        "cause": job.get("cause"),
    }
    if job.get("resource"):
        resource = str(job["resource"])
        for prefix in ("lambda:", "glue:"):
            if resource.startswith(prefix):
                resource = resource[len(prefix) :]
        out["stateResource"] = {"name": resource, "namespace": namespace, "type": RESOURCE_TYPE}
    return out


def _with_task(job: dict[str, Any], task: Row | None) -> dict[str, Any]:
    """A job as its task shows it: a task's start reaches the execution with its next batch of reports,
    but a reader should see it running (on which worker) at once."""
    if task is None or job.get("status") not in ("created", "queued"):
        return job
    return {**job, "status": "running", "worker": task.get("worker"), "started_at": stamp(task["started_at"])}


def workflow_json(row: Row, summary_only: bool = False, history: bool = False) -> dict[str, Any]:
    """A Workflow (or, with ``summary_only``, a WorkflowSummary whose definition is cut to name and
    version). Failed workflows also carry ``error`` and ``cause``: what ended them. ``jobs`` holds the
    Task, Choice and Succeed states, as Clever's did; with ``history``, ``states`` holds every state
    entered (Pass, Wait, Parallel, Map and Fail too): the path the workflow took."""
    execution = json.loads(row["execution"])
    definition = row.get("definition")
    running = {t["token"]: t for t in row.get("tasks", ()) if t["status"] == "running"}
    every = [
        job_json(_with_task(j, running.get(j.get("token") or "")), row["namespace"], row["queue"])
        for j in execution.get("jobs", [])
    ]
    jobs = [j for j in every if j["type"] in JOB_STATE_TYPES]
    last_job = None
    if row["status"] == "failed" and jobs:
        failed = [j for j in jobs if j["status"] == "failed"]
        last_job = failed[-1] if failed else jobs[-1]
    if definition is not None:
        embedded = definition_json(definition)
        if row.get("start_at"):
            embedded["stateMachine"] = execution.get("machine", embedded["stateMachine"])
    else:
        embedded = {"name": row["definition_name"]}
    out: dict[str, Any] = {
        "id": row["uid"],
        "createdAt": stamp(row["created_at"]),
        "lastUpdated": stamp(row["last_updated"]),
        "stoppedAt": stamp(row["stopped_at"]),
        "workflowDefinition": embedded,
        "status": row["status"],
        "namespace": row["namespace"],
        "queue": row["queue"],
        "input": row["input"],
        "resolvedByUser": bool(row["resolved_by_user"]),
        "retryFor": row["retry_for"] or None,
        "retries": json.loads(row["retries"]) or None,
        "tags": json.loads(row["tags"]),
        "lastJob": last_job,
        "error": row.get("error"),
        "cause": row.get("cause"),
    }
    if summary_only:
        out["workflowDefinition"] = {"name": embedded["name"], "version": embedded.get("version")}
        return out
    out["statusReason"] = row.get("status_reason")
    out["output"] = row.get("output")
    out["jobs"] = jobs
    if history:
        out["states"] = every
    return out
