"""The worker side: registering, leasing runs with everything they need, recording results."""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Callable
from typing import Any

from conveyor.errors import BadInput, Conflict, NotFound
from conveyor.model.pipeline import Job, Pipeline, canonical_json
from conveyor.model.resources import blob_digest
from conveyor.model.runs import RETRYABLE, RunStatus
from conveyor.model.work import InputMaterial, OutputSpec, RunResult, RunSpec, complete_one_by_one
from conveyor.service.base import Ctx, _steps, worker_lost
from conveyor.service.tasks import TaskOps
from conveyor.store.base import Row, Tx

#: The columns of ``run_inputs`` (``_resolve_inputs`` rows carry the versions' contents too).
_INPUT_KEYS = ("name", "kind", "version_id", "upstream_run_id")
#: Given the runs a completion leased, before its transaction commits (see ``complete_many_and_lease``).
OnLeased = Callable[[list[RunSpec]], None]
#: A worker may carry at most this many labels: leasing matches every subset of them.
MAX_LABELS = 10
#: At most this many leased runs' consumers are remembered (``_consumers_of_leased``).
_MAX_HINTS = 10_000
#: how many recent leases' upstream jobs a scheduling step reads ahead (see ``_promote``)
_RECENT_UPSTREAMS = 4


def accepted_requirements(labels: dict[str, str]) -> list[str]:
    """Every ``runs_on`` requirement these labels satisfy, as stored (canonical JSON; "" = none).

    A run's requirement is satisfied when it is a subset of the worker's labels, so matching is one
    indexed ``IN`` over the subsets instead of a scan of the queue."""
    if len(labels) > MAX_LABELS:
        raise BadInput(f"a worker may carry at most {MAX_LABELS} labels, not {len(labels)}")
    items = sorted(labels.items())
    accepted = [""]
    for size in range(1, len(items) + 1):
        for subset in itertools.combinations(items, size):
            accepted.append(canonical_json(dict(subset)))
    return accepted


class WorkerOps(TaskOps):
    # -- workers --------------------------------------------------------------------------------
    def register_worker(
        self,
        name: str,
        labels: dict[str, str] | None = None,
        hostname: str | None = None,
        pid: int | None = None,
    ) -> int:
        """A worker announces itself; ``hostname``/``pid`` (default: this process) let a conveyor on
        the same host tell at once that a crashed worker's runs are lost."""
        labels = labels or {}
        accepted_requirements(labels)  # refuses too many labels
        now = self._now()
        with self._transaction() as tx:
            return tx.insert_worker(
                name, hostname or os.uname().nodename, os.getpid() if pid is None else pid, labels, now
            )

    def heartbeat(
        self, worker_id: int, held: list[tuple[str, int]] | None = None
    ) -> list[tuple[tuple[str, int], str]]:
        """Renew the worker's leases; returns the runs and tasks it holds that must be cancelled.

        ``held``: the runs and tasks the worker runs. One leased to it that it does not hold was
        leased in an answer it never got (the server died, or the connection broke, after the
        commit): it never started, so it is queued again rather than held until the worker stops.
        A worker asks one thing at a time, so no lease of its own is on its way meanwhile."""
        now = self._now()
        with self._transaction() as tx:
            if tx.worker(worker_id) is None:
                raise NotFound(f"no worker {worker_id}")
            if held is not None:
                self._hand_back_unheld(tx, worker_id, set(held), now)
            tx.heartbeat_worker(worker_id, now)
            tx.extend_leases(worker_id, now + self.settings.lease_seconds)
            tx.extend_task_leases(worker_id, now + self.settings.lease_seconds)
            cancels = [(("run", r["id"]), r["cancel_reason"]) for r in tx.cancels_for_worker(worker_id)]
            cancels += [
                (("task", r["id"]), r["cancel_reason"]) for r in tx.task_cancels_for_worker(worker_id)
            ]
            return cancels

    def _hand_back_unheld(self, tx: Tx, worker_id: int, held: set[tuple[str, int]], now: float) -> None:
        lost = [r for r in tx.running_runs_of_worker(worker_id) if ("run", r["id"]) not in held]
        for run in lost:
            tx.requeue_unstarted_run(run["id"], not run["inputs_pinned"], now)
            tx.add_event("run.handed_back", now, run["pipeline_id"], run["id"], worker=worker_id)
        tasks = [t for t in tx.running_tasks_of_worker(worker_id) if ("task", t["id"]) not in held]
        for task in tasks:
            tx.requeue_task(task["id"])
        if lost or tasks:
            self._mark_queued()

    def append_log(self, worker_id: int | None, run_id: int, data: bytes, kind: str = "run") -> None:
        """Stream part of a running run's (or task's) log, so it can be followed live."""
        if kind == "task":
            self.append_task_log(worker_id, run_id, data)
            return
        if not data:
            return
        now = self._now()
        with self._transaction() as tx:
            run = tx.run(run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            if run["status"] != RunStatus.RUNNING or (
                worker_id is not None and run["worker_id"] != worker_id
            ):
                raise Conflict(f"run {run_id} is {run['status']} and no longer leased by this worker")
            tx.append_log(run_id, data, now)

    def tick(self) -> list[int]:
        """One pass of the server's scheduler loop: recover runs whose worker is gone, fire workflows'
        due timers, and move on pending runs whose retry backoff has passed. Returns the runs recovered.
        An idle server's tick is one read: recovering and promoting take a write transaction each, so
        they run only when something is running or pending."""
        with self.store.read_statement() as tx:
            running, pending = tx.scheduler_work()
        lost = self.recover() if running else []
        while self.advance_workflows() >= 100:
            pass
        self.check_resources()
        if pending or lost:
            self.promote_pending()
        return lost

    def promote_pending(self) -> None:
        """Move on the pending runs of every pipeline that has some (a retry whose backoff passed)."""
        now = self._now()
        with self._transaction() as tx:
            for pipeline_id in tx.pipelines_with_pending():
                self._promote(self._ctx(tx, tx.lock_pipeline(pipeline_id), now))

    def stop_worker(self, worker_id: int) -> None:
        with self._transaction() as tx:
            tx.stop_worker(worker_id, self._now())

    def lease(
        self,
        worker_id: int,
        limit: int,
        pipeline: str | None = None,
        labels: dict[str, str] | None = None,
        wait: float = 0.0,
        workflow: str | None = None,
    ) -> list[RunSpec]:
        """Take up to ``limit`` queued runs, resolve their inputs to the latest versions, mark them
        running; then, with room left, workflow tasks. With ``labels``, only work whose ``runs_on``
        those labels satisfy; without (one machine), any. ``pipeline`` leases only that pipeline's
        runs, ``workflow`` only that workflow's tasks. With ``wait``, block up to that many seconds for
        work to be queued (woken at once by this process's commits; by other processes' within 0.25 s,
        through ``QueueWatch``: no lease is tried until the queue changed)."""
        if limit <= 0:
            return []
        deadline = time.monotonic() + wait
        while True:
            seen = self._queued_generation
            mark = self._queue_watch.mark() if wait > 0 else ()
            with self._transaction() as tx:
                specs = self._lease_any(tx, worker_id, limit, pipeline, workflow, labels, self._now())
            remaining = deadline - time.monotonic()
            if specs or remaining <= 0 or self.closing.is_set():
                return specs
            self._queue_watch.wait(lambda: self._queued_generation, seen, mark, deadline, self.closing)

    def _lease_any(
        self,
        tx: Tx,
        worker_id: int,
        limit: int,
        pipeline: str | None,
        workflow: str | None,
        labels: dict[str, str] | None,
        now: float,
        ctx: Ctx | None = None,
    ) -> list[RunSpec]:
        specs = self._lease(tx, worker_id, limit, pipeline, now, ctx, labels=labels)
        if len(specs) < limit and pipeline is None:
            accepted = None if labels is None else accepted_requirements(labels)
            specs += self._lease_tasks(tx, worker_id, limit - len(specs), accepted, workflow, now)
        return specs

    def _lease(
        self,
        tx: Tx,
        worker_id: int,
        limit: int,
        pipeline: str | None,
        now: float,
        ctx: Ctx | None = None,
        labels: dict[str, str] | None = None,
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
        ctxs: dict[int, Ctx] = {ctx.pipeline_id: ctx} if ctx is not None else {}
        if labels is None and ctx is not None and ctx.leasable is not None and ctx.pipeline_id == pipeline_id:
            queued, ctx.leasable = ctx.leasable[:limit], None  # read with the scheduling step's reads
        elif labels is None:
            queued = tx.queued_runs(limit, pipeline_id)
        else:
            queued = tx.queued_runs_on(limit, accepted_requirements(labels), pipeline_id)
        for run in queued:
            pid = run["pipeline_id"]
            if pid not in ctxs:
                prow = tx.pipeline_by_id(pid)
                assert prow is not None
                ctxs[pid] = self._ctx(tx, prow, now)
            spec = self._start(ctxs[pid], run, worker_id)
            if spec is not None:
                specs.append(spec)
        return specs

    def _start(self, ctx: Ctx, run: Row, worker_id: int) -> RunSpec | None:
        tx = ctx.tx
        version = run["pipeline_version"] if run["inputs_pinned"] else ctx.version
        graph = self._graph(tx, ctx.pipeline_id, version)
        job = graph.pipeline.job(run["job_name"])
        if job is None:
            tx.fail_unstarted_run(run["id"], RunStatus.ERRORED, ctx.now, "its job is not in the pipeline")
            return None
        resolved = None
        if not run["inputs_pinned"]:
            resolved = self._resolve_inputs(ctx, job)
        tx.start_run(
            run["id"],
            worker_id,
            ctx.now,
            ctx.now + self.settings.lease_seconds,
            version,
            ctx.pipeline_id,
            None if resolved is None else [{k: r[k] for k in _INPUT_KEYS} for r in resolved],
        )
        if run["queued_at"] is not None:
            for observe in self.on_leased:
                observe(ctx.now - run["queued_at"])
        consumers = graph.job_consumers.get(job.name)
        if consumers:
            if len(self._consumers_of_leased) >= _MAX_HINTS:  # runs whose end another process saw
                self._consumers_of_leased.clear()
            self._consumers_of_leased[run["id"]] = [ctx.job_ids[c] for c in dict.fromkeys(consumers)]
        return self._spec(ctx, graph.pipeline, job, run, resolved)

    def _resolve_inputs(self, ctx: Ctx, job: Job) -> list[dict[str, Any]]:
        """The versions (and upstream runs) a run of ``job`` reads, shaped like ``tx.run_inputs``
        rows: the run's spec is made from them without reading back what was just written."""
        rows = []
        upstream_ids = [jid for inp in job.job_inputs if (jid := ctx.job_ids.get(inp.name)) is not None]
        ahead = ctx.upstream_runs or {}
        upstreams = {jid: run for jid in upstream_ids if (run := ahead.get(jid)) is not None}
        missing = [jid for jid in upstream_ids if jid not in ahead]
        if missing:
            read = ctx.tx.last_succeeded_runs(missing)
            upstreams.update(read)
            # the lease's next runs (a fan-out's leaves) read the same: a lease comes after every
            # run its transaction finishes, so these stay the last succeeded until it commits
            ctx.upstream_runs = {**ahead, **{jid: read.get(jid) for jid in missing}}
        if len(upstream_ids) <= _RECENT_UPSTREAMS:  # (a join's thousand upstreams are not read again)
            recent = self._recent_upstreams
            for jid in upstream_ids:
                recent.pop(jid, None)
                recent[jid] = None
            while len(recent) > _RECENT_UPSTREAMS:
                del recent[next(iter(recent))]
        for inp in job.inputs:
            version: Row | None = None
            upstream: Row | None = None
            if inp.kind == "resource" and inp.passed:
                version_id = self._passed_version(ctx, inp.name, inp.passed)
                version = ctx.tx.version_by_id(version_id) if version_id is not None else None
            elif inp.kind == "resource":
                rrow = ctx.resource_rows.get(inp.name)
                version = ctx.tx.latest_version(rrow["id"]) if rrow else None
            else:
                jid = ctx.job_ids.get(inp.name)
                upstream = upstreams.get(jid) if jid is not None else None
            rows.append(
                {
                    "name": inp.name,
                    "kind": inp.kind,
                    "version_id": version["id"] if version else None,
                    "version_number": version["number"] if version else None,
                    "version_digest": version["digest"] if version else None,
                    "version_properties": version["properties"] if version else None,
                    "version_files": version["files"] if version else None,
                    "upstream_run_id": upstream["id"] if upstream else None,
                    "upstream_number": upstream["number"] if upstream else None,
                    "upstream_properties": upstream["properties"] if upstream else None,
                    "upstream_state_files": upstream["state_files"] if upstream else None,
                }
            )
        rows.sort(key=lambda r: str(r["name"]))
        return rows

    def _blobs(self, tx: Tx, shas: dict[str, str]) -> dict[str, bytes]:
        out = {}
        for path, sha in shas.items():
            data = tx.blob(sha)
            if data is not None:
                out[path] = data
        return out

    def _spec(
        self, ctx: Ctx, pipeline: Pipeline, job: Job, run: Row, inputs: list[Row] | None = None
    ) -> RunSpec:
        """What a worker needs to run ``run``; ``inputs`` as ``_resolve_inputs`` made them (or None:
        read them, pinned by an earlier attempt)."""
        tx = ctx.tx
        types = {r.name: r.type for r in pipeline.resources}
        env: dict[str, str] = {}
        materials = []
        for row in tx.run_inputs(run["id"]) if inputs is None else inputs:
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
        if job.runtime == "shippable":
            env.update(_shippable_env(job.name, run["causes"]))
        previous = run["previous_state_files"]  # read with the queued run
        state_files = self._blobs(tx, json.loads(previous)) if previous else {}
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
            task_input=_workflow_input(run["causes"]),
            runtime=job.runtime,
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
        labels: dict[str, str] | None = None,
        kind: str = "run",
        workflow: str | None = None,
    ) -> tuple[Row, list[RunSpec]]:
        """``complete`` and, in the same transaction, ``lease`` up to ``lease`` runs for the same
        worker: one durable commit per job instead of two. ``kind="task"`` completes a workflow task."""
        rows, more = self._complete_all_and_lease(
            worker_id, [(kind, run_id, result)], lease, pipeline, labels, workflow
        )
        return rows[0], more

    def complete_many_and_lease(
        self,
        worker_id: int | None,
        done: list[tuple[str, int, RunResult]],
        lease: int = 0,
        pipeline: str | None = None,
        labels: dict[str, str] | None = None,
        workflow: str | None = None,
        on_leased: OnLeased | None = None,
    ) -> tuple[list[Row | None], list[RunSpec]]:
        """Several runs (or tasks) that ended together, completed in one transaction, then up to
        ``lease`` more leased: a worker running many small jobs pays one commit and one scheduling
        decision per batch. A run no longer this worker's comes back None (the others still count).

        ``on_leased`` (an in-process worker) is given the leased runs before the commit, so their
        steps start while it is written; should the commit fail, the caller stops them again."""
        try:
            rows, more = self._complete_all_and_lease(
                worker_id, done, lease, pipeline, labels, workflow, on_leased
            )
            return list(rows), more
        except Conflict:
            pass  # one was taken from this worker: complete them one at a time (it comes back None)
        return complete_one_by_one(
            self.complete_and_lease, worker_id, done, lease, pipeline, labels, workflow
        )

    def _complete_all_and_lease(
        self,
        worker_id: int | None,
        done: list[tuple[str, int, RunResult]],
        lease: int,
        pipeline: str | None,
        labels: dict[str, str] | None,
        workflow: str | None,
        on_leased: OnLeased | None = None,
    ) -> tuple[list[Row], list[RunSpec]]:
        """Every (kind, id, result) recorded, one scheduling decision per pipeline touched, then the
        lease: all in one transaction (Conflict or NotFound rolls it all back)."""
        now = self._now()
        with self._transaction() as tx:
            # the runs' rows (and their consumers' open runs) in one round trip, before any is written
            hints = [
                (run_id, self._consumers_of_leased.pop(run_id, None))
                for kind, run_id, _ in done
                if kind != "task"
            ]
            found = iter(zip(hints, tx.runs_to_finish(hints), strict=True))
            rows: list[Row] = []
            ctxs: dict[int, Ctx] = {}
            for kind, run_id, result in done:
                if kind == "task":
                    rows.append(self._complete_task(tx, worker_id, run_id, result, now))
                    continue
                (_, consumers), read = next(found)
                rows.append(self._complete_run(tx, worker_id, run_id, result, now, consumers, read, ctxs))
            # leasing from one pipeline (``conveyor run``), its scheduling step may read the lease too
            one = self._pipeline_ids.get(pipeline) if pipeline and labels is None and worker_id else None
            for ctx in ctxs.values():
                self._flush_triggers(ctx)
                self._promote(ctx, lease if ctx.pipeline_id == one else 0)
            last = ctxs.get(one) if one is not None else next(reversed(ctxs.values()), None)
            more = (
                self._lease_any(tx, worker_id, lease, pipeline, workflow, labels, now, last)
                if lease > 0 and worker_id
                else []
            )
            if more and on_leased is not None:
                on_leased(more)
            return rows, more

    def _complete_run(
        self,
        tx: Tx,
        worker_id: int | None,
        run_id: int,
        result: RunResult,
        now: float,
        consumers: list[int] | None,
        found: tuple[Row, Row, dict[int, Row] | None] | None,
        ctxs: dict[int, Ctx],
    ) -> Row:
        """Record one finished run, read by ``runs_to_finish`` (with its ``consumers``' open runs),
        in its pipeline's context in ``ctxs`` (one per pipeline, shared by the batch)."""
        if found is None:
            raise NotFound(f"no run {run_id}")
        run, prow, open_runs = found
        if run["status"] != RunStatus.RUNNING or (worker_id is not None and run["worker_id"] != worker_id):
            if _reported_before(run, worker_id, result):
                return run  # the answer to its first report was lost on the way: answer it again
            raise Conflict(f"run {run_id} is {run['status']} and no longer leased by this worker")
        ctx = ctxs.get(prow["id"])
        if ctx is None:
            ctx = ctxs[prow["id"]] = self._ctx(tx, prow, now)
            ctx.deferred = []
        read = (consumers, open_runs) if consumers is not None and open_runs is not None else None
        return self._finish(ctx, run, result, read)

    def _flush_triggers(self, ctx: Ctx) -> None:
        """Trigger what the batch's successes held back (``ctx.deferred``), in order; successive ones
        of the same consumers as one trigger with all their causes, reading their open runs once."""
        held = ctx.deferred
        if not held:
            return
        ctx.deferred = []
        for consumers, group in itertools.groupby(held, key=lambda h: h[0]):
            entries = list(group)
            self._trigger_all(ctx, consumers, [cause for _, cause, _ in entries], entries[0][2], quiet=True)

    def _finish(
        self, ctx: Ctx, run: Row, result: RunResult, open_runs: tuple[list[int], dict[int, Row]] | None = None
    ) -> Row:
        """Record a finished run. ``open_runs``: its consumers' open runs, read with the run."""
        tx = ctx.tx
        run_id, job_name = run["id"], run["job_name"]
        status = RunStatus(result.status)
        state_map = None
        if result.state_files is not None:
            shas = {path: blob_digest(data) for path, data in result.state_files.items()}
            tx.put_blobs({shas[p]: d for p, d in result.state_files.items()})
            state_map = shas
        creator = f"{job_name} #{run['number']}"
        for_workflow = '"workflow"' in run["causes"]
        # versions made, or a workflow told, may trigger some of its consumers (or any job)
        plain = not result.outputs and not for_workflow
        if not plain:
            self._flush_triggers(ctx)  # what the batch's earlier runs started comes first
        if status == RunStatus.SUCCEEDED:
            spec = ctx.graph.pipeline.job(job_name)
            shippable = spec is not None and spec.runtime == "shippable"
            for name, (props, files) in result.outputs.items():
                rrow = ctx.resource_rows.get(name)
                if rrow is None:
                    continue
                if rrow["type"] == "version":
                    props = self._version_output(ctx.tx.latest_version(rrow["id"]), props)
                self._new_version(
                    ctx,
                    name,
                    props,
                    files,
                    "run",
                    creator,
                    run_id,
                    exclude_job=job_name,
                    # Shippable's OUT versions start from the latest's property bag unless overwrite
                    merge=rrow["type"] == "state"
                    or (shippable and spec is not None and name not in spec.overwrite),
                )
        # ``run`` was read locked (``run_to_finish``) and found running: nothing changes it meanwhile;
        # its new versions (and their events) come before its end, as they did in the run
        after = tx.finish_run(
            run,
            status,
            ctx.now,
            result.exit_code,
            result.message,
            result.steps,
            result.properties,
            state_map,
            result.log,
        )
        if for_workflow:
            self._job_run_finished(ctx, run, status, result.properties)
        for count in self.on_finished:
            count(status)
        if status == RunStatus.SUCCEEDED:
            self._succeeded_jobs.add(run["job_id"])
            ctx.succeeded.append(run["job_id"])
            consumers = ctx.graph.job_consumers.get(job_name, ())
            if consumers:
                cause = {"kind": "job", "job": job_name, "number": run["number"]}
                read = open_runs if plain else None
                if plain and ctx.deferred is not None:
                    ctx.deferred.append((tuple(consumers), cause, read))
                else:
                    self._trigger_all(ctx, consumers, [cause], read, quiet=True)
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
                    runs_on=run["runs_on"],
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
        with self._transaction() as tx:
            for row in tx.running_runs():
                why = worker_lost(row, now, host)
                if why is None:
                    continue
                found = tx.run_to_finish(row["id"])  # locked: its worker may report it meanwhile
                if found is None or found[0]["status"] != RunStatus.RUNNING:
                    continue
                run, prow, _ = found
                ctx = self._ctx(tx, prow, now)
                self._finish(ctx, run, RunResult(status=RunStatus.ERRORED, message=f"interrupted: {why}"))
                self._promote(ctx)
                lost.append(row["id"])
            self._recover_tasks(tx, now, host)
        return lost


def _reported_before(run: Row, worker_id: int | None, result: RunResult) -> bool:
    """Whether ``run`` ended as this worker now reports it: the same report sent again (over HTTP, a
    worker retries a request whose answer it never got), not a late or conflicting one."""
    return (
        worker_id is not None
        and run["worker_id"] == worker_id
        and run["status"] == result.status
        and run["exit_code"] == result.exit_code
        and run["message"] == result.message
    )


def _workflow_input(causes: str) -> str | None:
    """For a run a workflow's Task started (``job:`` resources): the latest such task's input, as JSON."""
    if '"workflow"' not in causes:
        return None
    inputs = [c.get("input") for c in json.loads(causes) if c.get("kind") == "workflow"]
    return json.dumps(inputs[-1], separators=(",", ":")) if inputs else None


def _shippable_env(job: str, causes: str) -> dict[str, str]:
    """What Shippable told a job about its run: its name and what triggered it."""
    first: dict[str, Any] = next(iter(json.loads(causes)), {})
    by = first.get("resource") or first.get("job") or first.get("by") or first.get("kind") or ""
    return {"JOB_NAME": job, "JOB_TRIGGERED_BY_NAME": str(by), "JOB_TYPE": "runSh"}
