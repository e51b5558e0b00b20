"""State-machine workflows: versioned definitions, workflows started with an input, run by conveyor.

The States Language interpreter (``conveyor.statemachine``) is pure: it returns effects and takes reports.
This module is its outside world, inside the store's transactions: each change to a workflow locks its
row, loads its execution, applies reports, advances it, performs the effects as rows (a Task state's
command becomes a *task* for a worker; a Wait becomes a timer the scheduler tick fires) and saves it.
So a crash between any two commits loses nothing, and a restarted server carries on where it was.

Task resources: a Task's ``Resource`` names a state resource (``namespace``/``name``) whose ``uri`` says
what runs — ``exec:<command line>`` (a command on a worker) or ``job:<pipeline>/<job>`` (a conveyor job
run) — or is itself such a URI. A name that resolves to nothing fails the execution with
``States.Runtime`` and the cause "State resource does not exist", as Clever reported it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from conveyor import statemachine as sm
from conveyor.errors import BadInput, Conflict, InvalidDefinition, NotFound
from conveyor.model.pipeline import canonical_json
from conveyor.service.base import new_uuid
from conveyor.service.pipelines import PipelineOps
from conveyor.statemachine import errors as names
from conveyor.store.base import Row, Tx

MANAGER = "step-functions"
#: Clever's limits on a list page.
DEFAULT_LIMIT, MAX_LIMIT = 10, 10_000
#: Clever's StateResourceType for what conveyor runs.
RESOURCE_TYPE = "ActivityARN"
_PREFIXES = ("lambda:", "glue:")
#: What a task's stdout may hold: the States Language's payload limit (256 KiB).
MAX_TASK_OUTPUT = 256 * 1024
TASK_KIND = "statemachine"


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def stamp(ts: float | None) -> str | None:
    """RFC 3339 with milliseconds, as Clever's API wrote times."""
    if ts is None:
        return None
    return _dt(ts).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_input(value: Any, *, object_only: bool = True) -> Any:
    """A start request's ``input``: a JSON string ("" meaning ``{}``), or (conveyor's leniency) the JSON
    value itself. Clever accepted only an object; the Batch-era ``/jobs/`` route passed arrays of args."""
    if isinstance(value, str):
        if value.strip() == "":
            return {}
        try:
            value = json.loads(value)
        except ValueError:
            raise BadInput("input is not a valid JSON object") from None
    elif value is None:
        return {}
    if object_only and not isinstance(value, dict):
        raise BadInput("input is not a valid JSON object")
    return value


def unchanged(machine: Any, tags: Any, definition: sm.Definition) -> bool:
    """Whether a stored definition (its state machine and default tags) already says what
    ``definition`` says: applying it again then makes no new version."""
    return canonical_json(machine) == canonical_json(definition.machine) and (tags or {}) == dict(
        definition.default_tags
    )


def _tags(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput(f"{what} must be an object of strings")
    for key, item in value.items():
        if not isinstance(item, str):
            raise BadInput(f"{what}: the value of {key!r} must be a string, not {type(item).__name__}")
    return dict(value)


class StateMachineOps(PipelineOps):
    # -- definitions ------------------------------------------------------------------------------
    def _load_definition(self, body: Any, source: str = "<request>") -> sm.Definition:
        if not isinstance(body, dict):
            raise BadInput("a workflow definition must be a JSON object")
        try:
            definition = sm.load(body, source=source)
        except InvalidDefinition as exc:
            problems = "; ".join(p.message for p in exc.problems)
            raise BadInput(f"invalid workflow definition: {problems}") from None
        if not definition.name:
            raise BadInput("a workflow definition needs a name")
        if len(definition.name) > 200:
            raise BadInput("a workflow definition's name is at most 200 characters")
        manager = body.get("manager", MANAGER)
        if manager not in (MANAGER, None, ""):
            raise BadInput(f"manager must be {MANAGER!r}, not {manager!r}")
        _tags(body.get("defaultTags"), "defaultTags")
        return definition

    def new_definition(self, body: Any) -> Row:
        """POST /workflow-definitions: version 0 of a new name (any ``version`` in the body is ignored)."""
        definition = self._load_definition(body)
        assert definition.name is not None
        with self._transaction() as tx:
            if tx.sm_latest_definition(definition.name) is not None:
                raise Conflict(f"Already Exists: {definition.name}")
            return self._insert_definition(tx, definition, 0)

    def update_definition(self, name: str, body: Any) -> Row:
        """PUT /workflow-definitions/{name}: a new version, latest + 1; older versions never change."""
        definition = self._load_definition(body)
        if definition.name != name:
            raise BadInput(f"the name in the body ({definition.name!r}) does not match the path ({name!r})")
        with self._transaction() as tx:
            latest = tx.sm_latest_definition(name)
            if latest is None:
                raise NotFound(f"workflow definition {name!r} not found")
            return self._insert_definition(tx, definition, latest["version"] + 1)

    def apply_definition(self, body: Any, source: str = "<file>") -> tuple[Row, bool]:
        """What ``conveyor definition apply`` does: a new definition, or a new version of one whose state
        machine or tags changed; the same one again changes nothing. Returns (definition, changed)."""
        definition = self._load_definition(body, source)
        assert definition.name is not None
        with self._transaction() as tx:
            latest = tx.sm_latest_definition(definition.name)
            if latest is not None:
                stored = (json.loads(latest["state_machine"]), json.loads(latest["default_tags"]))
                if unchanged(*stored, definition):
                    return latest, False
            version = 0 if latest is None else latest["version"] + 1
            return self._insert_definition(tx, definition, version), True

    def _insert_definition(self, tx: Tx, definition: sm.Definition, version: int) -> Row:
        assert definition.name is not None
        now = self._now()
        def_id = tx.sm_insert_definition(
            new_uuid(),
            definition.name,
            version,
            MANAGER,
            definition.machine,
            dict(definition.default_tags),
            now,
        )
        row = tx.sm_definition_by_id(def_id)
        assert row is not None
        return row

    def definitions(self) -> list[Row]:
        with self.store.read() as tx:
            return tx.sm_latest_definitions()

    def definition_versions(self, name: str, latest: bool = True) -> list[Row]:
        with self.store.read() as tx:
            if latest:
                row = tx.sm_latest_definition(name)
                rows = [row] if row is not None else []
            else:
                rows = tx.sm_definition_versions(name)
        if not rows:
            raise NotFound(f"workflow definition {name!r} not found")
        return rows

    def definition(self, name: str, version: int) -> Row:
        with self.store.read() as tx:
            row = tx.sm_definition(name, version)
        if row is None:
            raise NotFound(f"workflow definition {name!r} version {version} not found")
        return row

    # -- state resources --------------------------------------------------------------------------
    def put_state_resource(
        self, namespace: str, name: str, uri: str, runs_on: dict[str, str] | None = None
    ) -> Row:
        """Create or replace the state resource ``namespace``/``name`` (POST and PUT both upsert)."""
        if not name:
            raise BadInput("a state resource needs a name")
        if not (uri.startswith("exec:") or uri.startswith("job:")):
            raise BadInput(
                f"a state resource's uri is exec:<command line> or job:<pipeline>/<job>, not {uri!r}"
            )
        if uri.startswith("job:") and "/" not in uri[4:]:
            raise BadInput(f"a job: uri names job:<pipeline>/<job>, not {uri!r}")
        if uri.strip() in ("exec:", "job:"):
            raise BadInput("the uri's command is empty")
        requirement = canonical_json(_tags(runs_on, "runsOn")) if runs_on else ""
        with self._transaction() as tx:
            tx.sm_put_state_resource(namespace, name, uri, RESOURCE_TYPE, requirement, self._now())
            row = tx.sm_state_resource(namespace, name)
        assert row is not None
        return row

    def state_resource(self, namespace: str, name: str) -> Row:
        with self.store.read() as tx:
            row = tx.sm_state_resource(namespace, name)
        if row is None:
            raise NotFound(f"state resource {_resource_key(namespace, name)} not found")
        return row

    def delete_state_resource(self, namespace: str, name: str) -> None:
        with self._transaction() as tx:
            if not tx.sm_delete_state_resource(namespace, name):
                raise NotFound(f"state resource {_resource_key(namespace, name)} not found")

    # -- workflows: start, read, list -------------------------------------------------------------
    def start_workflow(
        self,
        name: str,
        version: int | None = None,
        input: Any = None,
        namespace: str = "",
        queue: str = "default",
        tags: dict[str, Any] | None = None,
        *,
        object_only: bool = True,
    ) -> Row:
        """A new workflow of a definition (``version`` < 0: the latest; omitted: 0, as Clever did),
        queued and advanced at once: its first states run before this returns."""
        value = parse_input(input, object_only=object_only)
        request_tags = _tags(tags, "tags")
        with self._transaction() as tx:
            if version is None:
                version = 0
            definition = tx.sm_latest_definition(name) if version < 0 else tx.sm_definition(name, version)
            if definition is None:
                what = f"workflow definition {name!r}" + ("" if version < 0 else f" version {version}")
                raise NotFound(f"{what} not found")
            machine = json.loads(definition["state_machine"])
            all_tags = {**json.loads(definition["default_tags"]), **request_tags}
            return self._create(tx, definition, machine, value, namespace, queue or "default", all_tags)

    def _create(
        self,
        tx: Tx,
        definition: Row,
        machine: dict[str, Any],
        value: Any,
        namespace: str,
        queue: str,
        tags: dict[str, str],
        retry_for: str = "",
        start_at: str | None = None,
    ) -> Row:
        now = self._now()
        uid = new_uuid()
        context = {
            "Execution": {"Id": uid, "Name": uid},
            "StateMachine": {"Id": definition["uid"], "Name": definition["name"]},
        }
        try:
            ex = sm.Execution.start(machine, value, context)
        except InvalidDefinition as exc:
            raise BadInput("; ".join(p.message for p in exc.problems)) from None
        wf_id = tx.sm_insert_workflow(
            uid,
            definition,
            ex.status,
            namespace,
            queue,
            json.dumps(value, separators=(",", ":")),
            tags,
            retry_for,
            start_at,
            ex.to_json(),
            now,
        )
        row = tx.sm_lock_workflow(wf_id)
        assert row is not None
        self._advance(tx, row, ex, now)
        found = tx.sm_workflow(uid)
        assert found is not None
        return found

    def workflow(self, uid: str) -> Row:
        with self.store.read() as tx:
            row = tx.sm_workflow(uid)
            if row is None:
                raise NotFound(f"workflow {uid} not found")
            definition = tx.sm_definition_by_id(row["definition_id"])
            tasks = tx.tasks_of_workflow(row["id"])
        return {**row, "definition": definition, "tasks": tasks}

    def workflows(
        self,
        definition_name: str,
        status: str | None = None,
        resolved: bool | None = None,
        oldest_first: bool = False,
        limit: int = DEFAULT_LIMIT,
        page_token: str | None = None,
    ) -> tuple[list[Row], str | None]:
        """One page of a definition's workflows; the token of the next page when more follow (the id of
        this page's last workflow, as Clever's store used)."""
        if not definition_name:
            raise BadInput("query parameter 'workflowDefinitionName' must be specified")
        if limit < 1 or limit > MAX_LIMIT:
            raise BadInput(f"limit must be between 1 and {MAX_LIMIT}")
        return self._workflows_page(definition_name, status, resolved, oldest_first, limit, page_token)

    def all_workflows(
        self,
        definition_name: str | None = None,
        status: str | None = None,
        limit: int = DEFAULT_LIMIT,
        page_token: str | None = None,
    ) -> tuple[list[Row], str | None]:
        """One page of workflows, newest first, of one definition or (``None``) of every one: the web UI's
        list, which Clever's API (a definition required) does not offer."""
        if limit < 1 or limit > MAX_LIMIT:
            raise BadInput(f"limit must be between 1 and {MAX_LIMIT}")
        return self._workflows_page(definition_name or None, status, None, False, limit, page_token)

    def _workflows_page(
        self,
        definition_name: str | None,
        status: str | None,
        resolved: bool | None,
        oldest_first: bool,
        limit: int,
        page_token: str | None,
    ) -> tuple[list[Row], str | None]:
        """A keyset page (after the workflow ``page_token`` names) with each row's definition: two
        statements whatever the page's length."""
        import uuid  # here, not at the top: it costs every command's start-up

        with self.store.read() as tx:
            after = None
            if page_token:
                try:
                    uuid.UUID(page_token)
                except ValueError:
                    raise BadInput(f"invalid page token {page_token!r}") from None
                anchor = tx.sm_workflow(page_token)
                if anchor is None or definition_name not in (None, anchor["definition_name"]):
                    raise BadInput(f"invalid page token {page_token!r}")
                after = (anchor["created_at"], anchor["id"])
            if definition_name is None:
                rows = tx.sm_workflows_page_all(status, after, limit + 1)
            else:
                rows = tx.sm_workflows_page(definition_name, status, resolved, oldest_first, after, limit + 1)
            ids = sorted({r["definition_id"] for r in rows[:limit]})
            definitions = {d["id"]: d for d in tx.sm_definitions_by_ids(ids)}
        more = len(rows) > limit
        rows = rows[:limit]
        page = [{**r, "definition": definitions.get(r["definition_id"]), "tasks": []} for r in rows]
        return page, (rows[-1]["uid"] if more and rows else None)

    def workflow_activity(self, uid: str) -> tuple[str, dict[str, int], float | None]:
        """A workflow's status, its tasks by status, and its next timer: what a local runner waits on."""
        with self.store.read() as tx:
            row = tx.sm_workflow(uid)
            if row is None:
                raise NotFound(f"workflow {uid} not found")
            counts: dict[str, int] = {}
            for task in tx.tasks_of_workflow(row["id"]):
                counts[task["status"]] = counts.get(task["status"], 0) + 1
            return str(row["status"]), counts, tx.sm_next_timer(row["id"])

    # -- workflows: what people do ----------------------------------------------------------------
    def cancel_workflow(self, uid: str, reason: str) -> Row:
        """Stop the workflow now: running tasks are killed (their process groups), queued ones dropped."""
        if not reason:
            raise BadInput("a cancel needs a reason")
        now = self._now()
        with self._transaction() as tx:
            row = self._lock_by_uid(tx, uid)
            if row["status"] in ("succeeded", "failed", "cancelled"):
                raise BadInput(f"Cancellation not allowed. Workflow {uid} is {row['status']}")
            tx.sm_set_cancel(row["id"], reason, now)
            ex = self._told(tx, row, now)
            ex.cancel(reason)
            self._advance(tx, {**row, "resolved_by_user": 1, "cancel_reason": reason}, ex, now)
            found = tx.sm_workflow(uid)
        assert found is not None
        return found

    def resolve_workflow(self, uid: str) -> None:
        with self._transaction() as tx:
            row = self._lock_by_uid(tx, uid)
            if row["resolved_by_user"]:
                raise Conflict(f"workflow {uid} already resolved")
            tx.sm_set_resolved(row["id"], self._now())

    def resume_workflow(self, uid: str, start_at: str) -> Row:
        """A new workflow that starts the finished one again at the top-level state ``start_at``, with the
        input that state had; linked both ways (``retryFor`` / ``retries``)."""
        if not start_at:
            raise BadInput("StartAt must name a state")
        with self._transaction() as tx:
            row = self._lock_by_uid(tx, uid)
            self._check_done(tx, row)
            ex = self._load(row)
            value = ex.resume_input(start_at)  # Conflict / BadInput as Clever's rules say
            machine = sm.with_start_at(ex.machine, start_at)
            definition = tx.sm_definition_by_id(row["definition_id"])
            assert definition is not None
            new = self._create(
                tx,
                definition,
                machine,
                value,
                row["namespace"],
                row["queue"],
                json.loads(row["tags"]),
                retry_for=uid,
                start_at=start_at,
            )
            retries = [*json.loads(row["retries"]), new["uid"]]
            tx.sm_set_retries(row["id"], retries, self._now())
        return new

    def _check_done(self, tx: Tx, row: Row) -> None:
        done = row["status"] in ("succeeded", "failed") or (
            row["status"] == "cancelled" and row["resolved_by_user"]
        )
        if not done:
            raise Conflict(
                f"workflow {row['uid']} is {row['status']}; only a finished workflow can be resumed"
            )
        for child in json.loads(row["retries"]):
            found = tx.sm_workflow(child)
            if found is not None:
                self._check_done(tx, found)

    def _lock_by_uid(self, tx: Tx, uid: str) -> Row:
        row = tx.sm_workflow(uid)
        if row is None:
            raise NotFound(f"workflow {uid} not found")
        locked = tx.sm_lock_workflow(row["id"])
        assert locked is not None
        return locked

    # -- the engine's outside world ---------------------------------------------------------------
    def advance_workflows(self, limit: int = 100) -> int:
        """Tell executions what happened since they last advanced (task reports deferred while their
        workflow still had queued work) and fire every due timer (Wait states, retry intervals,
        execution timeouts); the scheduler's tick calls this. Returns how many workflows advanced."""
        now = self._now()
        done = 0
        with self.store.read_statement() as tx:  # most ticks find nothing: no write transaction then
            if not tx.sm_dirty_workflows(1) and not tx.sm_due_timers(now, 1):
                return 0
        with self._transaction() as tx:
            due: dict[int, list[str]] = {wf_id: [] for wf_id in tx.sm_dirty_workflows(limit)}
            for timer in tx.sm_due_timers(now, limit):
                due.setdefault(timer["workflow_id"], []).append(timer["token"])
            for wf_id, tokens in due.items():
                row = tx.sm_lock_workflow(wf_id)
                if row is None:
                    continue
                ex = self._told(tx, row, now)
                for token in tokens:
                    tx.sm_delete_timer(wf_id, token)
                    ex.timer_fired(token)
                self._advance(tx, row, ex, now)
                done += 1
        return done

    def next_timer(self, workflow_id: int | None = None) -> float | None:
        with self.store.read_statement() as tx:  # one statement: on PostgreSQL, no BEGIN and COMMIT
            return tx.sm_next_timer(workflow_id)

    #: Deferred task reports wait at most this long for their batch (seconds).
    REPORT_BATCH_SECONDS = 0.5

    def _task_done(self, tx: Tx, task: Row, outcome: tuple[str, Any, Any], now: float) -> None:
        """A task of a workflow finished with ("succeeded", output, None) or ("failed", error, cause).

        The outcome is kept in the task's row at once (durable); the execution is told now when its
        workflow has no queued work left (someone may be waiting for what comes next), else with the
        next batch: a Map of 1,000 tasks then saves its execution a few times, not 2,000 times."""
        tx.set_task_outcome(task["id"], list(outcome))
        row = tx.sm_lock_workflow(task["workflow_id"])
        if row is None or row["status"] not in ("queued", "running"):
            return
        if tx.sm_has_queued_tasks(row["id"]) and now - row["advanced_at"] < self.REPORT_BATCH_SECONDS:
            tx.sm_set_dirty(row["id"])
            return
        self._advance(tx, row, self._told(tx, row, now), now)

    def _load(self, row: Row) -> sm.Execution:
        """The row's execution: the one this process saved last, when the row is still at that revision
        (parsing a big execution costs more than advancing it), else parsed from the row."""
        cached = self._executions.pop(row["id"], None)
        if cached is not None and cached[0] == row["revision"]:
            found: sm.Execution = cached[1]
            return found
        execution: sm.Execution = sm.Execution.from_json(row["execution"])
        return execution

    def _told(self, tx: Tx, row: Row, now: float) -> sm.Execution:
        """The execution, told every task start and end it has not heard of yet."""
        ex = self._load(row)
        for task in tx.untold_tasks(row["id"]):
            status = task["status"]
            if status == "waiting":
                continue
            if task["told"] == "" and task["worker_id"] is not None:
                ex.task_started(task["token"], task.get("worker_name") or f"worker {task['worker_id']}")
            if status == "running":
                if task["told"] == "":
                    tx.set_task_told(task["id"], "started")
                continue
            if task["outcome"] is not None:
                kind, first, second = json.loads(task["outcome"])
                if kind == "succeeded":
                    ex.task_succeeded(task["token"], first)
                else:
                    ex.task_failed(task["token"], first, second)
            tx.set_task_told(task["id"], "done")
        return ex

    def _advance(self, tx: Tx, row: Row, ex: sm.Execution, now: float) -> None:
        """Advance the execution, perform its effects as rows, and save it; a Task whose resource names
        nothing is failed at once and the execution advanced again."""
        while True:
            again = False
            for effect in ex.advance(_dt(now)):
                if isinstance(effect, sm.RunTask):
                    again |= self._queue_task(tx, row, ex, effect, now)
                elif isinstance(effect, sm.Timer):
                    tx.sm_insert_timer(row["id"], effect.token, effect.at.timestamp())
                elif isinstance(effect, sm.CancelTimer):
                    tx.sm_delete_timer(row["id"], effect.token)
                elif isinstance(effect, sm.CancelTask):
                    why = row.get("cancel_reason") or "its state no longer waits for it"
                    self._cancel_task(tx, row["id"], effect.token, why, now)
                elif isinstance(effect, sm.Finished | sm.Failed | sm.Cancelled):
                    tx.sm_delete_timers(row["id"])
            if not again:
                break
        finished = ex.status in ("succeeded", "failed", "cancelled")
        if finished:
            for task in tx.tasks_of_workflow(row["id"]):
                if task["status"] in ("queued", "waiting", "running"):
                    why = row.get("cancel_reason") or f"the workflow {ex.status}"
                    self._cancel_task(tx, row["id"], task["token"], why, now)
        stopped = ex.stopped_at
        revision = tx.sm_save_workflow(
            row["id"],
            now,
            status=ex.status,
            status_reason=row.get("cancel_reason") or ex.status_reason,
            output=json.dumps(ex.output, separators=(",", ":")) if ex.status == "succeeded" else None,
            error=ex.error,
            cause=ex.cause,
            execution=ex.to_json(),
            stopped_at=stopped.timestamp() if stopped is not None else None,
            resolved_by_user=bool(row["resolved_by_user"]) or ex.status in ("succeeded", "cancelled"),
        )
        if not finished:
            self._executions[row["id"]] = (revision, ex)

    def _queue_task(self, tx: Tx, row: Row, ex: sm.Execution, task: sm.RunTask, now: float) -> bool:
        """Turn a RunTask into a queued task; True when it failed at once (the resource names nothing)."""
        target = self._resolve_resource(tx, row["namespace"], task.resource)
        if target is None:
            ex.task_failed(task.token, names.RUNTIME, "State resource does not exist")
            return True
        uri, runs_on = target
        spec = {
            "uri": uri,
            "resource": task.resource,
            "input": task.input,
            "state": task.state,
            "attempt": task.attempt,
            "timeout": task.timeout_seconds,
            "heartbeat": task.heartbeat_seconds,
            "workflow": row["uid"],
            "definition": row["definition_name"],
        }
        if uri.startswith("job:"):
            return self._start_job_task(tx, row, ex, task, uri, now)
        tx.insert_task(TASK_KIND, row["id"], task.token, task.state, runs_on, spec, now)
        self._mark_queued()
        return False

    def _start_job_task(
        self, tx: Tx, row: Row, ex: sm.Execution, task: sm.RunTask, uri: str, now: float
    ) -> bool:
        pipeline, _, job = uri[4:].partition("/")
        cause = {"kind": "workflow", "workflow": row["uid"], "token": task.token, "input": task.input}
        try:
            self._trigger_for_task(tx, pipeline, job, cause, now)
        except (NotFound, BadInput, Conflict) as exc:
            ex.task_failed(task.token, names.TASK_FAILED, f"{uri}: {exc.message}")
            return True
        spec = {"uri": uri, "state": task.state}
        tx.insert_task("job", row["id"], task.token, task.state, "", spec, now, status="waiting")
        return False

    def _trigger_for_task(self, tx: Tx, pipeline: str, job: str, cause: dict[str, Any], now: float) -> None:
        prow = tx.pipeline_by_name(pipeline, lock=True)
        if prow is None:
            raise NotFound(f"no pipeline named {pipeline!r}")
        ctx = self._ctx(tx, prow, now)
        if ctx.graph.pipeline.job(job) is None:
            raise NotFound(f"no job named {job!r} in pipeline {pipeline!r}")
        self._trigger(ctx, job, cause)
        self._promote(ctx)

    def _resolve_resource(self, tx: Tx, namespace: str, resource: str) -> tuple[str, str] | None:
        if resource.startswith("exec:") or resource.startswith("job:"):
            return resource, ""
        name = resource
        for prefix in _PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix) :]
        found = tx.sm_state_resource(namespace, name)
        if found is None and namespace:
            found = tx.sm_state_resource("", name)
        if found is None:
            return None
        return str(found["uri"]), str(found["runs_on"])

    def _cancel_task(self, tx: Tx, workflow_id: int, token: str, reason: str, now: float) -> None:
        task = tx.task_by_token(workflow_id, token)
        if task is None:
            return
        if task["status"] in ("queued", "waiting"):
            tx.finish_task(task["id"], "cancelled", {"reason": reason}, now)
        elif task["status"] == "running":
            tx.cancel_task(task["id"], reason)


def _resource_key(namespace: str, name: str) -> str:
    return f"{namespace}--{name}" if namespace else name
