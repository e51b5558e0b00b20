"""The one entry point the CLI, the API and workers call: apply, put, trigger, lease, complete, approve.

It owns transactions: each public method is one transaction, so a crash leaves either all of an
operation or none of it. The decisions themselves (what a trigger starts, which pending run may
move on) live in ``engine/``; SQL lives in ``store/``.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

from conveyor.engine.dag import Graph, build
from conveyor.engine.scheduler import Decision, decide
from conveyor.errors import BadInput, Conflict, NotFound
from conveyor.model.pipeline import Job, Pipeline, Step, pipeline_from_dict, pipeline_to_dict
from conveyor.model.resources import blob_digest, version_digest
from conveyor.model.runs import RETRYABLE, RunStatus
from conveyor.model.work import InputMaterial, OutputSpec, RunResult, RunSpec, StepSpec
from conveyor.settings import Settings
from conveyor.settings import load as load_settings
from conveyor.store.base import Row, Store, Tx

#: Properties a user may put: printable keys without '=' or whitespace.
_MAX_KEY = 256
_MAX_VALUE = 64 * 1024


@dataclass
class ApplyResult:
    pipeline_id: int
    name: str
    version: int
    changed: bool
    new_versions: list[str] = field(default_factory=list)
    triggered: list[str] = field(default_factory=list)


@dataclass
class _Ctx:
    """What one transaction on one pipeline carries around."""

    tx: Tx
    pipeline_id: int
    version: int
    graph: Graph
    now: float
    job_ids: dict[str, int]
    resource_rows: dict[str, Row]
    triggered: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)


def _steps(steps: tuple[Step, ...]) -> list[StepSpec]:
    return [StepSpec(label=s.label, run=s.run, env=dict(s.env)) for s in steps]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_properties(properties: dict[str, str], env_names: bool = False) -> None:
    """Keys and values a version may hold; params keys must also be environment variable names."""
    for key, value in properties.items():
        if not key or len(key) > _MAX_KEY or "=" in key or any(c.isspace() for c in key):
            raise BadInput(f"bad property key {key!r}: keys are non-empty, without '=' or spaces")
        if env_names and not _ENV_NAME.match(key):
            raise BadInput(f"bad property key {key!r}: params keys must be environment variable names")
        if len(value) > _MAX_VALUE:
            raise BadInput(f"property {key!r} is {len(value)} bytes, over the {_MAX_VALUE}-byte limit")


class Service:
    def __init__(
        self, store: Store, settings: Settings | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.settings = settings or load_settings()
        self._now = clock
        self._graphs: dict[tuple[int, int], Graph] = {}
        #: pipeline name -> id: both fixed once the pipeline exists
        self._pipeline_ids: dict[str, int] = {}
        #: (pipeline id, version) -> (job name -> id, resource name -> {id, type, active})
        self._meta: dict[tuple[int, int], tuple[dict[str, int], dict[str, Row]]] = {}
        #: jobs known to have succeeded at least once: that only ever becomes true.
        self._succeeded_jobs: set[int] = set()

    # -- context --------------------------------------------------------------------------------
    def _graph(self, tx: Tx, pipeline_id: int, version: int) -> Graph:
        key = (pipeline_id, version)
        graph = self._graphs.get(key)
        if graph is None:
            row = tx.pipeline_version(pipeline_id, version)
            if row is None:
                raise NotFound(f"pipeline version {version} not found")
            graph = build(pipeline_from_dict(json.loads(row["definition"])))
            self._graphs[key] = graph
        return graph

    def _ctx(self, tx: Tx, pipeline: Row, now: float) -> _Ctx:
        pid, version = pipeline["id"], pipeline["current_version"]
        meta = self._meta.get((pid, version))
        if meta is None:
            # job and resource ids never change once made, so one read per pipeline version suffices
            meta = (
                {j["name"]: j["id"] for j in tx.jobs(pid)},
                {
                    r["name"]: {"id": r["id"], "type": r["type"], "active": r["active"]}
                    for r in tx.resources(pid)
                },
            )
            self._meta[(pid, version)] = meta
        return _Ctx(
            tx=tx,
            pipeline_id=pid,
            version=version,
            graph=self._graph(tx, pid, version),
            now=now,
            job_ids=meta[0],
            resource_rows=meta[1],
        )

    def _pipeline(self, tx: Tx, name: str | None, lock: bool = False) -> Row:
        if name is None:
            rows = tx.pipelines()
            if len(rows) == 1:
                name = rows[0]["name"]
            elif not rows:
                raise NotFound("no pipeline has been applied yet: run `conveyor run FILE` first")
            else:
                names = ", ".join(r["name"] for r in rows)
                raise BadInput(f"several pipelines exist ({names}): name one with --pipeline")
        row = tx.pipeline_by_name(name, lock=lock)
        if row is None:
            known = [r["name"] for r in tx.pipelines()]
            hint = get_close_matches(name, known, n=1)
            raise NotFound(f"no pipeline named {name!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
        return row

    @contextmanager
    def _write(self, pipeline: str | None) -> Iterator[_Ctx]:
        now = self._now()
        with self.store.transaction() as tx:
            row = self._pipeline(tx, pipeline, lock=True)
            ctx = self._ctx(tx, row, now)
            yield ctx
            self._promote(ctx)

    # -- apply ----------------------------------------------------------------------------------
    def apply(self, pipeline: Pipeline, source: str = "", source_file: str = "") -> ApplyResult:
        """Store a new pipeline version if the definition changed, and trigger what the change starts:
        a new version of every resource whose declared properties changed, and every new or changed job
        (unless only a person may start it)."""
        now = self._now()
        digest = pipeline.digest()
        try:
            return self._apply(pipeline, source, source_file, now, digest)
        except BaseException:
            # a rolled-back version number will be reused: drop the caches, they refill lazily
            self._graphs.clear()
            self._meta.clear()
            raise

    def _apply(
        self, pipeline: Pipeline, source: str, source_file: str, now: float, digest: str
    ) -> ApplyResult:
        with self.store.transaction() as tx:
            row = tx.pipeline_by_name(pipeline.name, lock=True)
            pid = row["id"] if row else tx.insert_pipeline(pipeline.name, now)
            current = row["current_version"] if row else 0
            if current:
                cur = tx.pipeline_version(pid, current)
                if cur is not None and cur["digest"] == digest:
                    return ApplyResult(pid, pipeline.name, current, changed=False)
            number = current + 1
            tx.insert_pipeline_version(
                pid,
                number,
                digest,
                pipeline_to_dict(pipeline),
                source,
                source_file or pipeline.source_file,
                now,
            )
            tx.set_pipeline_version(pid, number)
            graph = build(pipeline)
            self._graphs[(pid, number)] = graph
            old_resources = {r["name"]: r for r in tx.resources(pid)}
            old_jobs = {j["name"]: j for j in tx.jobs(pid)}
            ctx = _Ctx(tx, pid, number, graph, now, job_ids={}, resource_rows={})
            changed: dict[str, str] = {}

            for job in pipeline.jobs:
                job_digest = job.digest()
                jrow = old_jobs.pop(job.name, None)
                if jrow is None:
                    ctx.job_ids[job.name] = tx.insert_job(pid, job.name, job_digest)
                    reason = "new job"
                else:
                    ctx.job_ids[job.name] = jrow["id"]
                    reason = "job changed" if jrow["digest"] != job_digest or not jrow["active"] else ""
                    if reason:
                        tx.update_job(jrow["id"], job_digest, True)
                if reason and not job.manual_only:
                    changed[job.name] = reason
            # A changed job whose upstream also changed is started by that upstream's success: starting
            # it now too would only park a pending run behind it (and cost every scheduling step).
            changed_mask = 0
            for name in changed:
                changed_mask |= graph.bit(name)
            for name, reason in changed.items():
                if not graph.is_blocked_by(name, changed_mask):
                    self._trigger(ctx, name, {"kind": "pipeline", "version": number, "reason": reason})
            for jrow in old_jobs.values():
                ctx.job_ids[jrow["name"]] = jrow["id"]
                if jrow["active"]:
                    tx.update_job(jrow["id"], jrow["digest"], False)

            to_version = []
            for res in pipeline.resources:
                declared = dict(res.properties)
                declared_digest = version_digest(declared, {}) if declared else ""
                rrow = old_resources.pop(res.name, None)
                if rrow is None:
                    rid = tx.insert_resource(pid, res.name, res.type, declared_digest)
                    rrow = {"id": rid, "name": res.name, "type": res.type, "declared_digest": ""}
                else:
                    tx.update_resource(rrow["id"], res.type, declared_digest, True)
                ctx.resource_rows[res.name] = {"id": rrow["id"], "type": res.type, "active": 1}
                if declared and rrow["declared_digest"] != declared_digest:
                    to_version.append((res.name, declared))
            for rrow in old_resources.values():
                ctx.resource_rows[rrow["name"]] = {"id": rrow["id"], "type": rrow["type"], "active": 0}
                tx.update_resource(rrow["id"], rrow["type"], rrow["declared_digest"], False)
            self._meta[(pid, number)] = (ctx.job_ids, ctx.resource_rows)
            for name, declared in to_version:
                self._new_version(ctx, name, declared, {}, "pipeline", f"pipeline version {number}")

            tx.add_event("pipeline.applied", now, pid, version=number, digest=digest)
            self._promote(ctx)
            return ApplyResult(pid, pipeline.name, number, True, ctx.new_versions, ctx.triggered)

    # -- versions and triggers ------------------------------------------------------------------
    def _new_version(
        self,
        ctx: _Ctx,
        resource: str,
        properties: dict[str, str],
        files: dict[str, bytes],
        created_by: str,
        creator: str,
        run_id: int | None = None,
        exclude_job: str | None = None,
        merge: bool = False,
    ) -> Row | None:
        """Append a version unless it is identical to the latest; trigger the jobs it starts."""
        tx = ctx.tx
        rrow = ctx.resource_rows[resource]
        latest = tx.latest_version(rrow["id"])
        file_shas = {path: blob_digest(data) for path, data in files.items()}
        if merge and latest is not None:
            properties = {**json.loads(latest["properties"]), **properties}
            file_shas = {**json.loads(latest["files"]), **file_shas}
        digest = version_digest(properties, file_shas)
        if latest is not None and latest["digest"] == digest:
            return None
        tx.put_blobs({sha: files[path] for path, sha in file_shas.items() if path in files})
        version_id, number = tx.insert_version(
            rrow["id"], digest, properties, file_shas, created_by, creator, run_id, ctx.now
        )
        ctx.new_versions.append(f"{resource} v{number}")
        tx.add_event(
            "version.created", ctx.now, ctx.pipeline_id, run_id, resource=resource, number=number, by=creator
        )
        for job in ctx.graph.resource_consumers.get(resource, ()):
            if job != exclude_job:
                self._trigger(ctx, job, {"kind": "version", "resource": resource, "number": number})
        return {"id": version_id, "number": number, "digest": digest, "properties": properties}

    def _trigger(self, ctx: _Ctx, job: str, cause: dict[str, Any]) -> int:
        """Start a run of the job, or add the cause to its run not yet started (coalescing), so a burst
        of triggers makes one run that reads the latest of everything."""
        tx = ctx.tx
        job_id = ctx.job_ids[job]
        pending = tx.pending_run_of_job(ctx.pipeline_id, job_id)
        if pending is not None:
            causes = json.loads(pending["causes"])
            if len(causes) < 20 and cause not in causes:
                tx.set_causes(pending["id"], [*causes, cause])
            if pending["status"] == RunStatus.WAITING_APPROVAL:
                # new upstream work: wait for it to settle, then ask again for the newer inputs
                tx.set_run_status(pending["id"], RunStatus.PENDING)
            return int(pending["id"])
        run_id, number = tx.insert_run(ctx.pipeline_id, ctx.version, job_id, job, [cause], ctx.now)
        ctx.triggered.append(f"{job} #{number}")
        return run_id

    def _inputs_ready(self, ctx: _Ctx, job_name: str) -> bool:
        """Whether a job's upstream jobs let it run: a triggering job input's latest finished run
        must have succeeded (never build on an untested artifact: if `test` failed, `package` waits
        for the next good `test`); a non-triggering one ("use the latest good one") must have
        succeeded once. A resource input with no version yet is simply empty (the job may be the
        one that makes its first version)."""
        job = ctx.graph.pipeline.job(job_name)
        assert job is not None
        for inp in job.job_inputs:
            jid = ctx.job_ids.get(inp.name)
            if jid is None:
                return False
            if inp.trigger:
                if ctx.tx.last_finished_status(jid) != RunStatus.SUCCEEDED:
                    return False
            elif jid not in self._succeeded_jobs:
                if ctx.tx.last_succeeded_run(jid) is None:
                    return False
                self._succeeded_jobs.add(jid)
        return True

    def _promote(self, ctx: _Ctx) -> Decision:
        tx = ctx.tx
        pending = tx.pending_runs(ctx.pipeline_id)
        if not pending:
            return Decision()
        active = tx.active_jobs(ctx.pipeline_id)
        try:
            decision = decide(
                ctx.graph, pending, active, ctx.now, inputs_ready=lambda job: self._inputs_ready(ctx, job)
            )
        finally:
            active.close()
        tx.queue_runs(decision.queue, ctx.now)
        for run_id in decision.await_approval:
            tx.set_run_status(run_id, RunStatus.WAITING_APPROVAL)
            tx.add_event("run.waiting_approval", ctx.now, ctx.pipeline_id, run_id)
        for run_id in decision.orphaned:
            tx.fail_unstarted_run(
                run_id, RunStatus.CANCELLED, ctx.now, "its job was removed from the pipeline"
            )
        return decision

    # -- user actions ---------------------------------------------------------------------------
    def put_version(
        self,
        resource: str,
        properties: dict[str, str],
        pipeline: str | None = None,
        files: dict[str, bytes] | None = None,
        replace: bool = False,
        creator: str = "user",
    ) -> Row | None:
        """A new version of a resource by hand (or a webhook); None when identical to the latest."""
        with self._write(pipeline) as ctx:
            rrow = ctx.resource_rows.get(resource)
            if rrow is None or not rrow.get("active", 1):
                hint = get_close_matches(resource, list(ctx.resource_rows), n=1)
                raise NotFound(
                    f"no resource named {resource!r} in pipeline {ctx.graph.pipeline.name!r}"
                    + (f" (did you mean {hint[0]!r}?)" if hint else "")
                )
            check_properties(properties, env_names=rrow["type"] == "params")
            return self._new_version(
                ctx, resource, properties, files or {}, "user", creator, merge=not replace
            )

    def trigger_job(self, job: str, pipeline: str | None = None, creator: str = "user") -> Row:
        with self._write(pipeline) as ctx:
            if ctx.graph.pipeline.job(job) is None:
                hint = get_close_matches(job, list(ctx.graph.index), n=1)
                raise NotFound(
                    f"no job named {job!r} in pipeline {ctx.graph.pipeline.name!r}"
                    + (f" (did you mean {hint[0]!r}?)" if hint else "")
                )
            run_id = self._trigger(ctx, job, {"kind": "manual", "by": creator})
            run = ctx.tx.run(run_id)
            assert run is not None
            return run

    def approve(self, run_id: int, by: str = "user", comment: str = "", approve: bool = True) -> Row:
        now = self._now()
        with self.store.transaction() as tx:
            run = tx.run(run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            if run["status"] != RunStatus.WAITING_APPROVAL:
                raise Conflict(f"run {run_id} is {run['status']}, not waiting for approval")
            pipeline = tx.lock_pipeline(run["pipeline_id"])
            if approve:
                tx.approve_run(run_id, now)
                tx.add_event("run.approved", now, run["pipeline_id"], run_id, by=by, comment=comment)
            else:
                tx.fail_unstarted_run(
                    run_id, RunStatus.CANCELLED, now, f"rejected by {by}: {comment}".strip()
                )
                tx.add_event("run.rejected", now, run["pipeline_id"], run_id, by=by, comment=comment)
                self._promote(self._ctx(tx, pipeline, now))
            after = tx.run(run_id)
            assert after is not None
            return after

    # -- workers --------------------------------------------------------------------------------
    def register_worker(self, name: str, labels: dict[str, str] | None = None) -> int:
        now = self._now()
        with self.store.transaction() as tx:
            return tx.insert_worker(name, os.uname().nodename, os.getpid(), labels or {}, now)

    def heartbeat(self, worker_id: int) -> None:
        now = self._now()
        with self.store.transaction() as tx:
            tx.heartbeat_worker(worker_id, now)
            tx.extend_leases(worker_id, now + self.settings.lease_seconds)

    def stop_worker(self, worker_id: int) -> None:
        with self.store.transaction() as tx:
            tx.stop_worker(worker_id, self._now())

    def lease(self, worker_id: int, limit: int, pipeline: str | None = None) -> list[RunSpec]:
        """Take up to ``limit`` queued runs, resolve their inputs to the latest versions, mark them
        running."""
        if limit <= 0:
            return []
        with self.store.transaction() as tx:
            return self._lease(tx, worker_id, limit, pipeline, self._now())

    def _lease(
        self, tx: Tx, worker_id: int, limit: int, pipeline: str | None, now: float, ctx: _Ctx | None = None
    ) -> list[RunSpec]:
        pipeline_id = None
        if pipeline is not None:
            pipeline_id = self._pipeline_ids.get(pipeline)
            if pipeline_id is None:
                prow = tx.pipeline_by_name(pipeline)
                if prow is None:
                    return []
                pipeline_id = self._pipeline_ids[pipeline] = prow["id"]
        specs = []
        ctxs: dict[int, _Ctx] = {ctx.pipeline_id: ctx} if ctx is not None else {}
        for run in tx.queued_runs(limit, pipeline_id):
            pid = run["pipeline_id"]
            if pid not in ctxs:
                prow = tx.pipeline_by_id(pid)
                assert prow is not None
                ctxs[pid] = self._ctx(tx, prow, now)
            spec = self._start(ctxs[pid], run, worker_id)
            if spec is not None:
                specs.append(spec)
        return specs

    def _start(self, ctx: _Ctx, run: Row, worker_id: int) -> RunSpec | None:
        tx = ctx.tx
        version = run["pipeline_version"] if run["inputs_pinned"] else ctx.version
        graph = self._graph(tx, ctx.pipeline_id, version)
        job = graph.pipeline.job(run["job_name"])
        if job is None:
            tx.fail_unstarted_run(run["id"], RunStatus.ERRORED, ctx.now, "its job is not in the pipeline")
            return None
        if not run["inputs_pinned"]:
            tx.insert_run_inputs(run["id"], self._resolve_inputs(ctx, job))
        tx.start_run(run["id"], worker_id, ctx.now, ctx.now + self.settings.lease_seconds, version)
        tx.add_event("run.started", ctx.now, ctx.pipeline_id, run["id"], worker=worker_id)
        return self._spec(ctx, graph.pipeline, job, run)

    def _resolve_inputs(self, ctx: _Ctx, job: Job) -> list[dict[str, Any]]:
        rows = []
        for inp in job.inputs:
            version_id = upstream_id = None
            if inp.kind == "resource":
                rrow = ctx.resource_rows.get(inp.name)
                latest = ctx.tx.latest_version(rrow["id"]) if rrow else None
                version_id = latest["id"] if latest else None
            else:
                jid = ctx.job_ids.get(inp.name)
                upstream = ctx.tx.last_succeeded_run(jid) if jid is not None else None
                upstream_id = upstream["id"] if upstream else None
            rows.append(
                {"name": inp.name, "kind": inp.kind, "version_id": version_id, "upstream_run_id": upstream_id}
            )
        return rows

    def _blobs(self, tx: Tx, shas: dict[str, str]) -> dict[str, bytes]:
        out = {}
        for path, sha in shas.items():
            data = tx.blob(sha)
            if data is not None:
                out[path] = data
        return out

    def _spec(self, ctx: _Ctx, pipeline: Pipeline, job: Job, run: Row) -> RunSpec:
        tx = ctx.tx
        types = {r.name: r.type for r in pipeline.resources}
        env: dict[str, str] = {}
        materials = []
        for row in tx.run_inputs(run["id"]):
            if row["kind"] == "resource":
                props = json.loads(row["version_properties"]) if row["version_properties"] else {}
                files = self._blobs(tx, json.loads(row["version_files"])) if row["version_files"] else {}
                version = (
                    {
                        "id": row["version_id"],
                        "number": row["version_number"],
                        "digest": row["version_digest"],
                    }
                    if row["version_id"]
                    else None
                )
                rtype = types.get(row["name"], "generic")
                if rtype == "params":
                    env.update(props)
            else:
                props = json.loads(row["upstream_properties"]) if row["upstream_properties"] else {}
                state = row["upstream_state_files"]
                files = self._blobs(tx, json.loads(state)) if state else {}
                version = (
                    {"run_id": row["upstream_run_id"], "number": row["upstream_number"]}
                    if row["upstream_run_id"]
                    else None
                )
                rtype = "job"
            materials.append(InputMaterial(row["name"], row["kind"], rtype, props, version, files))
        env.update(dict(job.env))
        previous = tx.last_state_of_job(run["job_id"], run["id"])
        state_files = self._blobs(tx, json.loads(previous["state_files"])) if previous else {}
        s = self.settings
        return RunSpec(
            run_id=run["id"],
            number=run["number"],
            attempt=run["attempt"],
            pipeline=pipeline.name,
            job=job.name,
            steps=_steps(job.steps),
            on_success=_steps(job.on_success),
            on_failure=_steps(job.on_failure),
            always=_steps(job.always),
            env=env,
            timeout=job.timeout,
            inputs=materials,
            outputs=[OutputSpec(o, types.get(o, "generic")) for o in job.outputs],
            state_files=state_files,
            state_limit=s.state_limit,
            log_limit=s.log_limit,
            output_files_limit=s.output_files_limit,
        )

    def complete(self, worker_id: int | None, run_id: int, result: RunResult) -> Row:
        """Record a finished run: its outputs become versions, its success starts downstream jobs,
        its failure starts a retry when it has retries left."""
        return self.complete_and_lease(worker_id, run_id, result)[0]

    def complete_and_lease(
        self,
        worker_id: int | None,
        run_id: int,
        result: RunResult,
        lease: int = 0,
        pipeline: str | None = None,
    ) -> tuple[Row, list[RunSpec]]:
        """``complete`` and, in the same transaction, ``lease`` up to ``lease`` runs for the same
        worker: one durable commit per job instead of two."""
        now = self._now()
        with self.store.transaction() as tx:
            run = tx.run(run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            if run["status"] != RunStatus.RUNNING or (
                worker_id is not None and run["worker_id"] != worker_id
            ):
                raise Conflict(f"run {run_id} is {run['status']} and no longer leased by this worker")
            prow = tx.lock_pipeline(run["pipeline_id"])
            ctx = self._ctx(tx, prow, now)
            after = self._finish(ctx, run, result)
            self._promote(ctx)
            specs = self._lease(tx, worker_id, lease, pipeline, now, ctx) if lease > 0 and worker_id else []
            return after, specs

    def _finish(self, ctx: _Ctx, run: Row, result: RunResult) -> Row:
        tx = ctx.tx
        run_id, job_name = run["id"], run["job_name"]
        status = RunStatus(result.status)
        state_map = None
        if result.state_files is not None:
            shas = {path: blob_digest(data) for path, data in result.state_files.items()}
            tx.put_blobs({shas[p]: d for p, d in result.state_files.items()})
            state_map = shas
        creator = f"{job_name} #{run['number']}"
        if status == RunStatus.SUCCEEDED:
            for name, (props, files) in result.outputs.items():
                rrow = ctx.resource_rows.get(name)
                if rrow is None:
                    continue
                self._new_version(
                    ctx,
                    name,
                    props,
                    files,
                    "run",
                    creator,
                    run_id,
                    exclude_job=job_name,
                    merge=rrow["type"] == "state",
                )
        after = tx.finish_run(
            run_id,
            status,
            ctx.now,
            result.exit_code,
            result.message,
            result.steps,
            result.properties,
            state_map,
        )
        if result.log:
            tx.append_log(run_id, 1, result.log, ctx.now)
        tx.add_event(f"run.{status}", ctx.now, ctx.pipeline_id, run_id, message=result.message)
        if status == RunStatus.SUCCEEDED:
            self._succeeded_jobs.add(run["job_id"])
            for consumer in ctx.graph.job_consumers.get(job_name, ()):
                self._trigger(ctx, consumer, {"kind": "job", "job": job_name, "number": run["number"]})
        elif status in RETRYABLE:
            graph = self._graph(tx, ctx.pipeline_id, run["pipeline_version"])
            job = graph.pipeline.job(job_name)
            if job is not None and run["attempt"] <= job.retries:
                base = job.retry_backoff if job.retry_backoff is not None else self.settings.retry_backoff
                delay = min(base * 2 ** (run["attempt"] - 1), self.settings.retry_backoff_max)
                new_id, _ = tx.insert_run(
                    ctx.pipeline_id,
                    run["pipeline_version"],
                    run["job_id"],
                    job_name,
                    [{"kind": "retry", "of": run_id, "attempt": run["attempt"] + 1}],
                    ctx.now,
                    number=run["number"],
                    attempt=run["attempt"] + 1,
                    retry_of=run_id,
                    inputs_pinned=True,
                    not_before=ctx.now + delay,
                )
                tx.copy_run_inputs(run_id, new_id)
                ctx.triggered.append(f"{job_name} #{run['number']} attempt {run['attempt'] + 1}")
        return after

    def recover(self) -> list[int]:
        """Mark runs whose worker is gone (lease expired, or its process on this host died) errored,
        and retry them per their job's ``retries``. Returns the ids of the runs recovered."""
        now = self._now()
        host = os.uname().nodename
        lost = []
        with self.store.transaction() as tx:
            for row in tx.running_runs():
                expired = row["lease_expires_at"] is not None and row["lease_expires_at"] < now
                dead = row["hostname"] == host and row["pid"] != os.getpid() and not _pid_alive(row["pid"])
                if not (expired or dead):
                    continue
                run = tx.run(row["id"])
                assert run is not None
                ctx = self._ctx(tx, tx.lock_pipeline(run["pipeline_id"]), now)
                why = (
                    f"its worker (process {row['pid']} on {row['hostname']}) died"
                    if dead
                    else "its worker stopped renewing the lease"
                )
                self._finish(ctx, run, RunResult(status=RunStatus.ERRORED, message=f"interrupted: {why}"))
                self._promote(ctx)
                lost.append(row["id"])
        return lost

    # -- reading --------------------------------------------------------------------------------
    def activity(self, pipeline: str) -> dict[str, int]:
        """How many of the pipeline's runs are in each active status."""
        with self.store.read() as tx:
            row = self._pipeline(tx, pipeline)
            return {r["status"]: int(r["n"]) for r in tx.active_counts(row["id"])}

    def promote(self, pipeline: str) -> Decision:
        """Re-run the scheduling decision now (a retry's backoff may have passed): which runs were
        queued, and when a run waiting out a backoff becomes eligible."""
        now = self._now()
        with self.store.transaction() as tx:
            ctx = self._ctx(tx, self._pipeline(tx, pipeline, lock=True), now)
            return self._promote(ctx)

    def pipelines(self) -> list[Row]:
        with self.store.read() as tx:
            return tx.pipelines()

    def pipeline_graph(self, pipeline: str | None) -> Graph:
        with self.store.read() as tx:
            row = self._pipeline(tx, pipeline)
            return self._graph(tx, row["id"], row["current_version"])

    def runs(
        self, pipeline: str | None = None, job: str | None = None, before: int | None = None, limit: int = 50
    ) -> list[Row]:
        with self.store.read() as tx:
            prow = self._pipeline(tx, pipeline)
            if job is None:
                return tx.runs_of_pipeline(prow["id"], before, limit)
            jobs = {j["name"]: j["id"] for j in tx.jobs(prow["id"])}
            if job not in jobs:
                raise NotFound(f"no job named {job!r} in pipeline {prow['name']!r}")
            return tx.runs_of_job(jobs[job], before, limit)

    def open_runs(self, pipeline: str) -> list[Row]:
        """Runs still waiting: for approval, or pending on an input that has nothing to read yet."""
        with self.store.read() as tx:
            return tx.open_runs(self._pipeline(tx, pipeline)["id"])

    def runs_since(self, pipeline: str, after: int) -> list[Row]:
        with self.store.read() as tx:
            prow = self._pipeline(tx, pipeline)
            return tx.runs_since(prow["id"], after)

    def run(self, run_id: int) -> dict[str, Any]:
        """A run with its inputs (versions seen), outputs (versions made) and events: its lineage."""
        with self.store.read() as tx:
            run = tx.run(run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            prow = tx.pipeline_by_id(run["pipeline_id"])
            assert prow is not None
            return {
                **run,
                "pipeline": prow["name"],
                "inputs": tx.run_inputs(run_id),
                "outputs": tx.versions_made_by_run(run_id),
                "events": tx.events_of_run(run_id),
            }

    def logs(self, run_id: int, after: int = 0) -> bytes:
        with self.store.read() as tx:
            if tx.run(run_id) is None:
                raise NotFound(f"no run {run_id}")
            return b"".join(bytes(r["data"]) for r in tx.logs(run_id, after))

    def versions(self, resource: str, pipeline: str | None = None, limit: int = 50) -> list[Row]:
        with self.store.read() as tx:
            prow = self._pipeline(tx, pipeline)
            rrow = tx.resource_by_name(prow["id"], resource)
            if rrow is None:
                names = [r["name"] for r in tx.resources(prow["id"])]
                hint = get_close_matches(resource, names, n=1)
                raise NotFound(
                    f"no resource named {resource!r} in pipeline {prow['name']!r}"
                    + (f" (did you mean {hint[0]!r}?)" if hint else "")
                )
            return tx.versions(rrow["id"], None, limit)
