"""Pipelines: applying definitions, versions, triggers, scheduling, and what people do to runs."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from conveyor.engine.dag import build
from conveyor.engine.scheduler import Decision, decide
from conveyor.errors import BadInput, Conflict, NotFound
from conveyor.model.pipeline import Pipeline, canonical_json, pipeline_to_dict
from conveyor.model.resources import blob_digest, version_digest
from conveyor.model.runs import RunStatus
from conveyor.service.base import ApplyResult, Ctx, ServiceBase, check_properties, did_you_mean
from conveyor.store.base import Row

#: a run not started yet remembers at most this many of the triggers it coalesced
MAX_CAUSES = 20


def _with_causes(had: list[dict[str, Any]], causes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``had`` and then each of ``causes`` it lacks, in turn, while fewer than ``MAX_CAUSES``; a
    workflow's cause is kept whatever the count: the run's end is reported to each waiting task."""
    out = list(had)
    for cause in causes:
        if (len(out) < MAX_CAUSES or cause.get("kind") == "workflow") and cause not in out:
            out.append(cause)
    return out


class PipelineOps(ServiceBase):
    @contextmanager
    def _write(self, pipeline: str | None) -> Iterator[Ctx]:
        now = self._now()
        with self._transaction() as tx:
            row = self._pipeline(tx, pipeline, lock=True)
            ctx = self._ctx(tx, row, now)
            yield ctx
            self._promote(ctx)

    def promote(self, pipeline: str) -> Decision:
        """Re-run the scheduling decision now (a retry's backoff may have passed): which runs were
        queued, and when a run waiting out a backoff becomes eligible."""
        now = self._now()
        with self._transaction() as tx:
            ctx = self._ctx(tx, self._pipeline(tx, pipeline, lock=True), now)
            return self._promote(ctx)

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
        with self._transaction() as tx:
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
            ctx = Ctx(tx, pid, number, graph, now, job_ids={}, resource_rows={})
            changed: dict[str, str] = {}

            new_jobs: list[tuple[str, str]] = []
            for job in pipeline.jobs:
                job_digest = job.digest()
                jrow = old_jobs.pop(job.name, None)
                if jrow is None:
                    new_jobs.append((job.name, job_digest))
                    reason = "new job"
                else:
                    ctx.job_ids[job.name] = jrow["id"]
                    reason = "job changed" if jrow["digest"] != job_digest or not jrow["active"] else ""
                    if reason:
                        tx.update_job(jrow["id"], job_digest, True)
                if reason and not job.manual_only:
                    changed[job.name] = reason
            ctx.job_ids.update(tx.insert_jobs(pid, new_jobs))
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
            from conveyor.service.checks import sync_checks

            sync_checks(ctx, pipeline)
            for name, declared in to_version:
                self._new_version(ctx, name, declared, {}, "pipeline", f"pipeline version {number}")

            tx.add_event("pipeline.applied", now, pid, version=number, digest=digest)
            self._promote(ctx)
            return ApplyResult(pid, pipeline.name, number, True, ctx.new_versions, ctx.triggered)

    # -- versions and triggers ------------------------------------------------------------------
    def _new_version(
        self,
        ctx: Ctx,
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
        consumers = [j for j in ctx.graph.resource_consumers.get(resource, ()) if j != exclude_job]
        if consumers:
            self._trigger_all(ctx, consumers, [{"kind": "version", "resource": resource, "number": number}])
        return {"id": version_id, "number": number, "digest": digest, "properties": properties}

    def _trigger(self, ctx: Ctx, job: str, cause: dict[str, Any]) -> int:
        """Start a run of the job, or add the cause to its run not yet started (coalescing), so a burst
        of triggers makes one run that reads the latest of everything."""
        return self._trigger_all(ctx, [job], [cause])[0]

    def _trigger_all(
        self,
        ctx: Ctx,
        jobs: Sequence[str],
        causes: list[dict[str, Any]],
        open_runs: tuple[list[int], dict[int, Row]] | None = None,
        quiet: bool = False,
    ) -> list[int]:
        """``_trigger`` for every job one event starts (a run's consumers, a version's): their open
        runs read, and the new runs inserted, in one statement each however many there are.
        ``causes``: one event's, or several that came together (a fan-out's runs ending in one
        transaction), as if each had triggered in turn. ``open_runs``: (job ids, their open runs)
        read earlier in this transaction: used unless a trigger since changed any (``ctx.touched``).
        ``quiet``: nobody reads what was triggered (a completion's consumers): a lone new run is
        then written without waiting for its id (which is not returned, nor noted in ``ctx.triggered``)."""
        tx = ctx.tx
        jobs = list(dict.fromkeys(jobs))
        ids = [ctx.job_ids[job] for job in jobs]
        still = open_runs is not None and open_runs[0] == ids and ctx.touched.isdisjoint(ids)
        pending = open_runs[1] if still and open_runs is not None else tx.open_runs_of_jobs(ids)
        ctx.touched.update(ids)
        run_ids: dict[str, int] = {}
        new: list[tuple[int, str, str]] = []
        for job, job_id in zip(jobs, ids, strict=True):
            spec = ctx.graph.pipeline.job(job)
            run = pending.get(job_id)
            chrono = spec is not None and spec.dependency_mode == "chrono"
            if chrono and run is not None and run["created_at"] != ctx.now:
                run = None  # one run per trigger, in order; what one change starts at once is one trigger
            if run is None:
                runs_on = canonical_json(dict(spec.runs_on)) if spec is not None and spec.runs_on else ""
                new.append((job_id, job, runs_on))
                continue
            had = json.loads(run["causes"])
            kept = _with_causes(had, causes)
            if len(kept) > len(had):
                tx.set_causes(run["id"], kept)
            if run["status"] == RunStatus.WAITING_APPROVAL:
                # new upstream work: wait for it to settle, then ask again for the newer inputs
                tx.set_run_status(run["id"], RunStatus.PENDING)
            run_ids[job] = int(run["id"])
        # one job (a chain's every step): the one-row statement, 100 against 123 µs on SQLite here
        first = _with_causes([], causes)
        if quiet and len(new) == 1:
            job_id, job, runs_on = new[0]
            tx.add_pending_run(ctx.pipeline_id, ctx.version, job_id, job, first, ctx.now, runs_on=runs_on)
            return []
        if len(new) == 1:
            job_id, job, runs_on = new[0]
            run_id, number = tx.insert_run(
                ctx.pipeline_id, ctx.version, job_id, job, first, ctx.now, runs_on=runs_on
            )
            made = {job_id: (run_id, number)}
        else:
            made = tx.insert_runs_numbered(ctx.pipeline_id, ctx.version, new, first, ctx.now) if new else {}
        for job_id, job, _ in new:
            run_id, number = made[job_id]
            ctx.triggered.append(f"{job} #{number}")
            run_ids[job] = run_id
        return [run_ids[job] for job in jobs]

    def _inputs_ready(self, ctx: Ctx, job_name: str, seen: dict[int, str | None]) -> bool:
        """Whether a job's upstream jobs let it run: a triggering job input's latest finished run
        must have succeeded (never build on an untested artifact: if `test` failed, `package` waits
        for the next good `test`); a non-triggering one ("use the latest good one") must have
        succeeded once. A resource input with no version yet is simply empty (the job may be the
        one that makes its first version)."""
        job = ctx.graph.pipeline.job(job_name)
        assert job is not None
        for inp in job.resource_inputs:
            if inp.passed and self._passed_version(ctx, inp.name, inp.passed) is None:
                return False
        # ``seen``: one decision asks once per upstream job (a fan-out's 1,000 runs share one), and
        # a join's thousand upstream jobs are asked in one statement
        unseen = [
            jid
            for inp in job.job_inputs
            if inp.trigger and (jid := ctx.job_ids.get(inp.name)) is not None and jid not in seen
        ]
        if unseen:
            statuses = ctx.tx.last_finished_statuses(unseen)
            seen.update({jid: statuses.get(jid) for jid in unseen})
        for inp in job.job_inputs:
            jid = ctx.job_ids.get(inp.name)
            if jid is None:
                return False
            if inp.trigger:
                if seen[jid] != RunStatus.SUCCEEDED:
                    return False
            elif jid not in self._succeeded_jobs:
                if ctx.tx.last_succeeded_run(jid) is None:
                    return False
                self._succeeded_jobs.add(jid)
        return True

    def _passed_version(self, ctx: Ctx, resource: str, passed: tuple[str, ...]) -> int | None:
        """The latest version of ``resource`` read by a successful run of every job in ``passed``."""
        rrow = ctx.resource_rows.get(resource)
        job_ids = [ctx.job_ids[j] for j in passed if j in ctx.job_ids]
        if rrow is None or len(job_ids) != len(passed):
            return None
        return ctx.tx.latest_version_passed(rrow["id"], resource, job_ids)

    def _promote(self, ctx: Ctx, lease: int = 0) -> Decision:
        """Queue (or hold for approval) the pending runs that may move on. With ``lease``, the
        worker leases up to that many of the pipeline's runs next in this transaction: the store
        may read them now, with the pending runs, and they are left in ``ctx.leasable``, with the
        upstream runs those are likely to read (``ctx.upstream_runs``) and the last statuses the
        decision reads of them: of the jobs that succeeded in this step (a chain's next job waits
        for, then reads, its predecessor) and of the last few leases' upstream jobs (a fan-out's
        every leaf reads its root)."""
        tx = ctx.tx
        ahead_ids = list(dict.fromkeys([*ctx.succeeded, *self._recent_upstreams])) if lease > 0 else None
        pending, active, queued, ahead = tx.pending_and_active(ctx.pipeline_id, lease, ahead_ids)
        # job id -> its last finished run's status, as ``_inputs_ready`` reads it
        seen: dict[int, str | None] = {}
        if ahead is not None:
            ctx.upstream_runs = {jid: ahead.last_succeeded.get(jid) for jid in ahead.asked}
            seen.update({jid: ahead.last_finished.get(jid) for jid in ahead.asked})
        try:
            if not pending:
                return Decision()
            decision = decide(
                ctx.graph,
                pending,
                active,
                ctx.now,
                inputs_ready=lambda job: self._inputs_ready(ctx, job, seen),
            )
        finally:
            active.close()
        tx.queue_runs(decision.queue, ctx.now)
        if queued is not None:
            ctx.leasable = tx.queued_after(queued, pending, decision.queue, ctx.now, lease)
        if decision.queue:
            self._mark_queued()
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
                raise NotFound(
                    f"no resource named {resource!r} in pipeline {ctx.graph.pipeline.name!r}"
                    + did_you_mean(resource, ctx.resource_rows)
                )
            check_properties(properties, env_names=rrow["type"] == "params")
            return self._new_version(
                ctx, resource, properties, files or {}, "user", creator, merge=not replace
            )

    def trigger_job(self, job: str, pipeline: str | None = None, creator: str = "user") -> Row:
        with self._write(pipeline) as ctx:
            if ctx.graph.pipeline.job(job) is None:
                raise NotFound(
                    f"no job named {job!r} in pipeline {ctx.graph.pipeline.name!r}"
                    + did_you_mean(job, ctx.graph.index)
                )
            run_id = self._trigger(ctx, job, {"kind": "manual", "by": creator})
            run = ctx.tx.run(run_id)
            assert run is not None
            return run

    def cancel(self, run_id: int, reason: str, by: str = "user") -> Row:
        """Cancel a run. One not yet started is cancelled at once; a running one is killed by its
        worker (which learns of it on its next heartbeat) and then reported cancelled."""
        if not reason.strip():
            raise BadInput("cancelling a run needs a reason")
        now = self._now()
        with self._transaction() as tx:
            run = tx.run(run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            status = RunStatus(run["status"])
            if status.finished:
                raise Conflict(f"run {run_id} already {status}")
            pipeline = tx.lock_pipeline(run["pipeline_id"])
            message = f"cancelled by {by}: {reason}"
            if status == RunStatus.RUNNING:
                tx.request_cancel(run_id, message)
            else:
                tx.fail_unstarted_run(run_id, RunStatus.CANCELLED, now, message)
                self._promote(self._ctx(tx, pipeline, now))
            tx.add_event("run.cancel_requested", now, run["pipeline_id"], run_id, by=by, reason=reason)
            after = tx.run(run_id)
            assert after is not None
            return after

    def set_paused(self, job: str, paused: bool, pipeline: str | None = None, by: str = "user") -> None:
        """A paused job keeps its triggers (runs wait as pending) but starts nothing until unpaused."""
        with self._write(pipeline) as ctx:
            if ctx.graph.pipeline.job(job) is None:
                raise NotFound(f"no job named {job!r} in pipeline {ctx.graph.pipeline.name!r}")
            ctx.tx.set_job_paused(ctx.pipeline_id, job, paused)
            kind = "job.paused" if paused else "job.unpaused"
            ctx.tx.add_event(kind, ctx.now, ctx.pipeline_id, None, job=job, by=by)

    def approve(self, run_id: int, by: str = "user", comment: str = "", approve: bool = True) -> Row:
        now = self._now()
        with self._transaction() as tx:
            run = tx.run(run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            if run["status"] != RunStatus.WAITING_APPROVAL:
                raise Conflict(f"run {run_id} is {run['status']}, not waiting for approval")
            pipeline = tx.lock_pipeline(run["pipeline_id"])
            if approve:
                tx.approve_run(run_id, now)
                self._mark_queued()
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
