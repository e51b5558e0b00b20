"""Tasks: a workflow's units of work (a Task state's command), leased by the same workers as pipeline runs.

A task is queued by its workflow (``statemachines.py``), leased with the worker's labels like a run, run as
a subprocess that reads its input on stdin (and from ``$CONVEYOR_TASK_INPUT``) and prints its result on
stdout, and reported back here, where its outcome becomes a report to its workflow's execution. A Task
whose resource is ``job:<pipeline>/<job>`` runs as that job's run instead; the run's end reports back.
"""

from __future__ import annotations

import json
from typing import Any

from conveyor.errors import Conflict, NotFound
from conveyor.model.runs import RunStatus
from conveyor.model.work import RunResult, RunSpec, StepSpec
from conveyor.service.base import Ctx, worker_lost
from conveyor.service.checks import CheckOps
from conveyor.service.statemachines import MAX_TASK_OUTPUT, TASK_KIND, StateMachineOps
from conveyor.statemachine import errors as names
from conveyor.store.base import Row, Tx

#: A task whose worker was lost is queued again this many times before it fails.
MAX_TASK_ATTEMPTS = 3
#: How much of a failed task's log goes into the error's cause.
_CAUSE_LINES, _CAUSE_BYTES = 20, 32 * 1024

Outcome = tuple[str, Any, Any]


def task_outcome(result: RunResult, spec: dict[str, Any]) -> Outcome | None:
    """What a finished task reports to its execution: ("succeeded", output, None) or ("failed", error,
    cause); None when it was cancelled (its workflow no longer waits for it)."""
    if result.status == "succeeded":
        text = result.stdout.decode("utf-8", errors="replace").strip()
        if len(result.stdout) > MAX_TASK_OUTPUT:
            return ("failed", names.DATA_LIMIT_EXCEEDED, f"the task's output is over {MAX_TASK_OUTPUT} bytes")
        if not text:
            return ("succeeded", None, None)
        try:
            return ("succeeded", json.loads(text), None)
        except ValueError as exc:
            return ("failed", names.TASK_FAILED, f"the task's output (stdout) is not JSON: {exc}")
    if result.status == "cancelled":
        return None
    if result.status == "timed_out":
        return ("failed", names.TIMEOUT, f"the task ran longer than {spec.get('timeout')} seconds")
    named = _named_error(result.stdout)
    if named is not None:
        return ("failed", *named)
    return ("failed", names.TASK_FAILED, _cause(result))


def _named_error(stdout: bytes) -> tuple[str, str | None] | None:
    """The ``{"error": "Name", "cause": "..."}`` object a failing task may print as its last line."""
    lines = [ln for ln in stdout.decode("utf-8", errors="replace").splitlines() if ln.strip()]
    if not lines:
        return None
    try:
        value = json.loads(lines[-1])
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("error"), str) or not value["error"]:
        return None
    cause = value.get("cause")
    return value["error"], cause if isinstance(cause, str) or cause is None else json.dumps(cause)


def _cause(result: RunResult) -> str:
    tail = result.log.decode("utf-8", errors="replace").splitlines()[-_CAUSE_LINES:]
    text = "\n".join(ln for ln in tail if not ln.startswith("▶ "))
    return (f"{result.message}\n{text}" if text else result.message)[-_CAUSE_BYTES:]


class TaskOps(StateMachineOps, CheckOps):
    # -- leasing ----------------------------------------------------------------------------------
    def _lease_tasks(
        self,
        tx: Tx,
        worker_id: int,
        limit: int,
        accepted: list[str] | None,
        workflow: str | None,
        now: float,
    ) -> list[RunSpec]:
        workflow_id = None
        if workflow is not None:
            row = tx.sm_workflow(workflow)
            if row is None:
                return []
            workflow_id = row["id"]
        specs = []
        for task in tx.queued_tasks(limit, accepted, workflow_id):
            tx.start_task(task["id"], worker_id, now, now + self.settings.lease_seconds)
            specs.append(self._task_spec(task))
        return specs

    def _task_spec(self, task: Row) -> RunSpec:
        spec = json.loads(task["spec"])
        command = spec["uri"][len("exec:") :]
        s = self.settings
        return RunSpec(
            run_id=task["id"],
            number=task["id"],
            attempt=task["attempt"],
            pipeline=spec.get("definition", ""),
            job=spec["state"],
            steps=[StepSpec(label=spec["state"], run=command)],
            on_success=[],
            on_failure=[],
            always=[],
            env={
                "CONVEYOR_WORKFLOW_ID": spec.get("workflow", ""),
                "CONVEYOR_WORKFLOW_DEFINITION": spec.get("definition", ""),
                "CONVEYOR_STATE_NAME": spec["state"],
                "CONVEYOR_STATE_ATTEMPT": str(spec.get("attempt", 1)),
            },
            timeout=float(spec["timeout"]) if spec.get("timeout") else None,
            inputs=[],
            outputs=[],
            state_files={},
            state_limit=s.state_limit,
            log_limit=s.log_limit,
            output_files_limit=MAX_TASK_OUTPUT,
            kind="task",
            task_input=json.dumps(spec.get("input"), separators=(",", ":")),
        )

    # -- reports ----------------------------------------------------------------------------------
    def _complete_task(
        self, tx: Tx, worker_id: int | None, task_id: int, result: RunResult, now: float
    ) -> Row:
        task = tx.task(task_id)
        if task is None:
            raise NotFound(f"no task {task_id}")
        if task["status"] != "running" or (worker_id is not None and task["worker_id"] != worker_id):
            raise Conflict(f"task {task_id} is {task['status']} and no longer leased by this worker")
        if result.log:
            tx.append_task_log(task_id, result.log, now)
        spec = json.loads(task["spec"])
        if result.status == "errored" and task["attempt"] < MAX_TASK_ATTEMPTS:
            tx.requeue_task(task_id)  # handed back by a stopping worker: someone else runs it
            self._mark_queued()
        else:
            outcome = task_outcome(result, spec)
            if outcome is None and task["cancel_reason"] is None:
                outcome = ("failed", names.TASK_FAILED, result.message or "the task was cancelled")
            record: dict[str, Any] = {"status": result.status, "exit_code": result.exit_code}
            if outcome is not None:
                record.update(outcome=outcome[0], error=outcome[1] if outcome[0] == "failed" else None)
            tx.finish_task(task_id, result.status, record, now)
            if outcome is not None:
                self._task_done(tx, task, outcome, now)
        after = tx.task(task_id)
        assert after is not None
        return public_task(after)

    def append_task_log(self, worker_id: int | None, task_id: int, data: bytes) -> None:
        if not data:
            return
        now = self._now()
        with self._transaction() as tx:
            task = tx.task(task_id)
            if task is None:
                raise NotFound(f"no task {task_id}")
            if task["status"] != "running" or (worker_id is not None and task["worker_id"] != worker_id):
                raise Conflict(f"task {task_id} is {task['status']} and no longer leased by this worker")
            tx.append_task_log(task_id, data, now)

    def task_log(self, task_id: int) -> bytes:
        with self.store.read() as tx:
            if tx.task(task_id) is None:
                raise NotFound(f"no task {task_id}")
            return tx.task_log(task_id)

    def _recover_tasks(self, tx: Tx, now: float, host: str) -> list[int]:
        """Running tasks whose worker is gone: queued again (or, with HeartbeatSeconds, reported as
        ``States.HeartbeatTimeout``, which is what that field asks for)."""
        lost = []
        for row in tx.running_tasks():
            if worker_lost(row, now, host) is None:
                continue
            task = tx.task(row["id"])
            assert task is not None
            spec = json.loads(task["spec"])
            if spec.get("heartbeat"):
                outcome: Outcome = (
                    "failed",
                    names.HEARTBEAT_TIMEOUT,
                    f"no heartbeat for {spec['heartbeat']} seconds: its worker was lost",
                )
            elif task["attempt"] < MAX_TASK_ATTEMPTS:
                tx.requeue_task(task["id"])
                self._mark_queued()
                lost.append(task["id"])
                continue
            else:
                outcome = ("failed", names.TASK_FAILED, f"its worker was lost {MAX_TASK_ATTEMPTS} times")
            tx.finish_task(task["id"], "errored", {"status": "errored", "outcome": "failed"}, now)
            self._task_done(tx, task, outcome, now)
            lost.append(task["id"])
        return lost

    # -- job: resources ---------------------------------------------------------------------------
    def _job_run_finished(self, ctx: Ctx, run: Row, status: RunStatus, properties: dict[str, str]) -> None:
        """Report a finished run to every workflow task that waits for it (its causes say which)."""
        if status in (RunStatus.FAILED, RunStatus.ERRORED, RunStatus.TIMED_OUT) and self._will_retry(
            ctx, run
        ):
            return  # the retry reports
        for cause in json.loads(run["causes"]):
            if cause.get("kind") != "workflow":
                continue
            wf = ctx.tx.sm_workflow(str(cause.get("workflow")))
            if wf is None:
                continue
            task = ctx.tx.task_by_token(wf["id"], str(cause.get("token")))
            if task is None or task["status"] != "waiting":
                continue
            outcome: Outcome
            if status == RunStatus.SUCCEEDED:
                outcome = ("succeeded", dict(properties), None)
            elif status == RunStatus.TIMED_OUT:
                outcome = ("failed", names.TIMEOUT, f"run {run['id']} of job {run['job_name']} timed out")
            else:
                outcome = ("failed", names.TASK_FAILED, f"run {run['id']} of job {run['job_name']} {status}")
            ctx.tx.finish_task(task["id"], str(status), {"status": str(status), "run_id": run["id"]}, ctx.now)
            self._task_done(ctx.tx, task, outcome, ctx.now)

    def _will_retry(self, ctx: Ctx, run: Row) -> bool:
        job = self._graph(ctx.tx, ctx.pipeline_id, run["pipeline_version"]).pipeline.job(run["job_name"])
        return job is not None and run["attempt"] <= job.retries


def public_task(row: Row) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in ("spec", "result")}
    out["result"] = json.loads(row["result"]) if row.get("result") else None
    return out


__all__ = ["TASK_KIND", "TaskOps", "public_task", "task_outcome"]
