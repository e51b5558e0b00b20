"""Reading: pipelines, runs with their lineage, logs, versions."""

from __future__ import annotations

import json
import threading
from typing import Any

from conveyor.engine.dag import Graph
from conveyor.errors import BadInput, NotFound
from conveyor.model.runs import RunStatus
from conveyor.service.base import ServiceBase, did_you_mean
from conveyor.store.base import Row, Tx

#: Finished runs whose API view is kept in memory (a few kB each).
RUN_VIEW_CACHE = 1024


class ReadOps(ServiceBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: run id -> its API view but its events, for finished runs only: a finished run's record,
        #: inputs and outputs never change (its outputs are written in the transaction that finishes
        #: it), so every replica may keep what it read
        self._run_views: dict[int, dict[str, Any]] = {}
        self._run_views_lock = threading.Lock()

    # -- reading --------------------------------------------------------------------------------
    def activity(self, pipeline: str) -> dict[str, int]:
        """How many of the pipeline's runs are in each active status."""
        with self.store.read() as tx:
            row = self._pipeline(tx, pipeline)
            return {r["status"]: int(r["n"]) for r in tx.active_counts(row["id"])}

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
        with self.store.read_statement() as tx:  # one statement on PostgreSQL
            run = tx.run_lineage(run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            return run

    def logs(self, run_id: int, after: int = 0) -> bytes:
        with self.store.read() as tx:
            if tx.run(run_id) is None:
                raise NotFound(f"no run {run_id}")
            return b"".join(bytes(r["data"]) for r in tx.logs(run_id, after))

    def log_chunks(self, run_id: int, after: int = 0) -> tuple[str, list[tuple[int, bytes]]]:
        """The run's status and its log chunks after ``after`` (a sequence number), for following."""
        with self.store.read() as tx:
            run = tx.run(run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            return run["status"], [(int(r["seq"]), bytes(r["data"])) for r in tx.logs(run_id, after)]

    def versions(
        self, resource: str, pipeline: str | None = None, limit: int = 50, before: int | None = None
    ) -> list[Row]:
        """Versions newest first; ``before`` is the cursor (the last number of the previous page)."""
        with self.store.read() as tx:
            prow = self._pipeline(tx, pipeline)
            rrow = tx.resource_by_name(prow["id"], resource)
            if rrow is None:
                names = [r["name"] for r in tx.resources(prow["id"])]
                raise NotFound(
                    f"no resource named {resource!r} in pipeline {prow['name']!r}"
                    + did_you_mean(resource, names)
                )
            return tx.versions(rrow["id"], before, limit)

    # -- the API's views ------------------------------------------------------------------------
    def run_view(self, run_id: int) -> dict[str, Any]:
        """A run as the API shows it: its record with the versions it read (inputs), the versions it
        made (outputs) and its events. Once the run has finished, all but its events is kept in
        memory (a finished run's record, inputs and outputs never change; events may still come,
        such as a notification's outcome), so reading one costs one small query."""
        base = self._run_views.get(run_id)
        if base is not None:
            with self.store.read_statement() as tx:
                events = tx.events_of_run(run_id)
            return {**base, "events": [_public_event(e) for e in events]}
        return self._run_view(run_id, self.run(run_id))

    async def run_view_async(self, run_id: int) -> dict[str, Any]:
        """``run_view`` on the event loop, for stores whose reads wait for the network
        (``store.reads_async``)."""
        base = self._run_views.get(run_id)
        if base is not None:
            events = await self.store.events_of_run_async(run_id)
            return {**base, "events": [_public_event(e) for e in events]}
        run = await self.store.run_lineage_async(run_id)
        if run is None:
            raise NotFound(f"no run {run_id}")
        return self._run_view(run_id, run)

    def _run_view(self, run_id: int, run: dict[str, Any]) -> dict[str, Any]:
        out = public_run(run)
        out["inputs"] = [
            {
                "name": i["name"],
                "kind": i["kind"],
                "version_id": i["version_id"],
                "version": i["version_number"],
                "upstream_run_id": i["upstream_run_id"],
            }
            for i in run["inputs"]
        ]
        out["outputs"] = [
            {"resource": o["resource_name"], "version_id": o["id"], "version": o["number"]}
            for o in run["outputs"]
        ]
        out["events"] = [_public_event(e) for e in run["events"]]
        if RunStatus(run["status"]).finished:
            with self._run_views_lock:
                while len(self._run_views) >= RUN_VIEW_CACHE:
                    del self._run_views[next(iter(self._run_views))]
                self._run_views[run_id] = {k: v for k, v in out.items() if k != "events"}
        return out

    def pipeline_detail(self, pipeline: str) -> dict[str, Any]:
        """A pipeline as the API and UI show it: its version, jobs (with latest run), resources."""
        with self.store.read() as tx:
            prow = self._pipeline(tx, pipeline)
            return self._detail(tx, prow, tx.latest_runs_per_job(prow["id"]))

    def pipeline_picture(self, pipeline: str) -> tuple[dict[str, Any], dict[str, list[Row]]]:
        """What a pipeline's picture shows, from one snapshot: ``pipeline_detail`` with each job's
        latest run cut to id, number, status and started_at, and by job name the inputs of its
        latest started run (on the edges). Each job's latest run is probed once, for both: it is the
        latest started one unless it has not started yet (only those are looked up again)."""
        with self.store.read() as tx:
            prow = self._pipeline(tx, pipeline)
            latest = tx.web_latest_run_states(prow["id"])
            detail = self._detail(tx, prow, latest)
            started = {r["job_id"]: r["id"] for r in latest if r["started_at"] is not None}
            not_yet = [r["job_id"] for r in latest if r["started_at"] is None]
            started.update(tx.web_latest_started_runs(not_yet))
            job_of_run = {run_id: job_id for job_id, run_id in started.items()}
            names = {r["job_id"]: r["job_name"] for r in latest}
            inputs: dict[str, list[Row]] = {}
            for row in tx.web_inputs_of_runs(sorted(job_of_run)):
                inputs.setdefault(names[job_of_run[row["run_id"]]], []).append(row)
            return detail, inputs

    def _detail(self, tx: Tx, prow: Row, latest_runs: list[Row]) -> dict[str, Any]:
        graph = self._graph(tx, prow["id"], prow["current_version"])
        jobs = {j["name"]: j for j in tx.jobs(prow["id"])}
        latest = {r["job_name"]: public_run(r) for r in latest_runs}
        resources = {r["name"]: r for r in tx.resources(prow["id"])}
        return {
            "name": prow["name"],
            "version": prow["current_version"],
            "created_at": prow["created_at"],
            "jobs": [_job_entry(graph, name, jobs.get(name), latest.get(name)) for name in graph.order],
            "resources": [
                {
                    "name": r.name,
                    "type": r.type,
                    "latest_version": resources[r.name]["last_version"] if r.name in resources else 0,
                }
                for r in graph.pipeline.resources
            ],
        }

    def job_detail(self, pipeline: str, job: str) -> dict[str, Any]:
        """One job as ``pipeline_detail`` shows it, for a job's page: its latest run is one index probe,
        not the latest run of every job of the pipeline."""
        with self.store.read() as tx:
            prow = self._pipeline(tx, pipeline)
            graph = self._graph(tx, prow["id"], prow["current_version"])
            if job not in graph.index:
                raise NotFound(f"no job named {job!r} in pipeline {pipeline!r}")
            jrow = tx.job_by_name(prow["id"], job)
            latest = tx.runs_of_job(jrow["id"], None, 1) if jrow is not None else []
            return _job_entry(graph, job, jrow, public_run(latest[0]) if latest else None)

    def pipeline_definition(self, pipeline: str, version: int | None = None) -> dict[str, Any]:
        with self.store.read() as tx:
            prow = self._pipeline(tx, pipeline)
            row = tx.pipeline_version(prow["id"], version or prow["current_version"])
            if row is None:
                raise NotFound(f"pipeline {pipeline!r} has no version {version}")
            return {
                "name": prow["name"],
                "version": row["number"],
                "digest": row["digest"],
                "source_file": row["source_file"],
                "created_at": row["created_at"],
                "definition": json.loads(row["definition"]),
                "source": row["source"],
            }

    def pipeline_versions(self, pipeline: str) -> list[Row]:
        with self.store.read() as tx:
            return tx.pipeline_versions(self._pipeline(tx, pipeline)["id"])

    def resources(self, pipeline: str) -> list[Row]:
        """A pipeline's resources; a webhook's token shows only as whether one is set."""
        with self.store.read() as tx:
            rows = tx.resources(self._pipeline(tx, pipeline)["id"])
        return [
            {
                **{k: v for k, v in r.items() if k != "webhook_token"},
                "webhook": r.get("webhook_token") is not None,
            }
            for r in rows
        ]

    def runs_page(
        self,
        pipeline: str | None = None,
        job: str | None = None,
        status: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Runs newest first; ``before`` is the cursor (the last id of the previous page)."""
        with self.store.read() as tx:
            pipeline_id = job_id = None
            if pipeline is not None:
                prow = self._pipeline(tx, pipeline)
                pipeline_id = prow["id"]
                if job is not None:
                    jrow = tx.job_by_name(pipeline_id, job)
                    if jrow is None:
                        raise NotFound(f"no job named {job!r} in pipeline {pipeline!r}")
                    job_id = jrow["id"]
            elif job is not None:
                raise BadInput("filtering by job needs a pipeline")
            rows = tx.runs_filtered(pipeline_id, job_id, status, before, limit)
            return [public_run(r) for r in rows]

    def events(
        self,
        after: int = 0,
        limit: int = 100,
        pipeline: str | None = None,
        run_id: int | None = None,
        kind: str | None = None,
    ) -> list[dict[str, Any]]:
        with self.store.read() as tx:
            pipeline_id = self._pipeline(tx, pipeline)["id"] if pipeline is not None else None
            rows = tx.events_after(after, limit, pipeline_id, run_id, kind)
            return [{**r, "data": json.loads(r["data"])} for r in rows]

    def workers(self, since: float | None = None) -> list[dict[str, Any]]:
        """Live workers (and those stopped in the last hour), with the runs each holds: two queries
        whatever the number of workers."""
        with self.store.read() as tx:
            rows = tx.workers(since if since is not None else self._now() - 3600)
            running: dict[int, list[Row]] = {w["id"]: [] for w in rows}
            for run in tx.running_runs_by_worker():
                worker_id = run.pop("worker_id")
                if worker_id in running:
                    running[worker_id].append(run)
            return [{**w, "labels": json.loads(w["labels"]), "running": running[w["id"]]} for w in rows]

    def worker_labels(self, worker_id: int) -> dict[str, str]:
        with self.store.read() as tx:
            row = tx.worker(worker_id)
            if row is None:
                raise NotFound(f"no worker {worker_id}")
            labels: dict[str, str] = json.loads(row["labels"])
            return labels

    def status_counts(self) -> dict[str, int]:
        with self.store.read() as tx:
            return {r["status"]: int(r["n"]) for r in tx.status_counts()}

    # -- the web UI's views: one statement per part of a page, never one per row ------------------
    def pipeline_mark(self, pipeline: str) -> tuple[int, int, tuple[tuple[str, int], ...]]:
        """What changes whenever the pipeline's picture may: its newest run and event, and how many
        runs are in each active status (a run moving from pending to queued makes no event)."""
        with self.store.read() as tx:
            pid = self._pipeline(tx, pipeline)["id"]
            last_run, last_event = tx.web_pipeline_mark(pid)
            counts = tuple(sorted((r["status"], int(r["n"])) for r in tx.active_counts(pid)))
            return last_run, last_event, counts

    def inputs_of_runs(self, run_ids: list[int]) -> dict[int, list[Row]]:
        """Run id -> the versions and upstream runs it read, for a page of runs in one query."""
        with self.store.read() as tx:
            out: dict[int, list[Row]] = {i: [] for i in run_ids}
            for row in tx.web_inputs_of_runs(run_ids):
                out[row["run_id"]].append(row)
            return out

    def run_lineage(self, run_id: int) -> list[Row]:
        """A run's inputs with what made each: the run that wrote the version, or the upstream run.
        No snapshot needed (a run's inputs are written once, before it starts): on PostgreSQL, no
        BEGIN and COMMIT round trips either."""
        with self.store.read_statement() as tx:
            if tx.run(run_id) is None:
                raise NotFound(f"no run {run_id}")
            return tx.web_run_lineage(run_id)

    def version_consumers(self, version_ids: list[int], per_version: int = 5) -> dict[int, dict[str, Any]]:
        """Version id -> how many runs read it and the newest ``per_version`` of them."""
        with self.store.read() as tx:
            out: dict[int, dict[str, Any]] = {i: {"total": 0, "runs": []} for i in version_ids}
            for row in tx.web_consumers(version_ids, per_version):
                entry = out[row["version_id"]]
                entry["total"] = int(row["total"])
                entry["runs"].append(row)
            return out

    def timed_log(self, run_id: int, after: int = 0, limit: int = 500) -> tuple[str, list[Row]]:
        """The run's status and up to ``limit`` log chunks after ``after``, each with when it arrived.
        Read status first, then chunks, with no snapshot around them (on PostgreSQL no BEGIN and COMMIT
        round trips, for a page that follows a log four times a second): a run's last chunk is written
        with, or before, its finished status, so a finished status read first means every chunk is there."""
        with self.store.read_statement() as tx:
            run = tx.run(run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            return run["status"], tx.web_timed_logs(run_id, after, limit)


def _job_entry(graph: Graph, name: str, row: Row | None, latest_run: dict[str, Any] | None) -> dict[str, Any]:
    """A job of the pipeline's current version, with its row (``paused``) and latest run, as the API
    and UI show it."""
    spec = graph.pipeline.jobs[graph.index[name]]
    return {
        "name": name,
        "paused": bool(row["paused"]) if row is not None else False,
        "inputs": [
            {"name": i.name, "kind": i.kind, "trigger": i.trigger, "switch_off": i.switch_off}
            for i in spec.inputs
        ],
        "outputs": list(spec.outputs),
        "latest_run": latest_run,
    }


_JSON_FIELDS = ("causes", "properties", "steps", "state_files")
_VERSION_JSON_FIELDS = ("properties", "files")


def public_run(row: Row) -> dict[str, Any]:
    """A run row with its JSON columns decoded."""
    out = dict(row)
    for key in _JSON_FIELDS:
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key])
    return out


def _public_event(row: Row) -> dict[str, Any]:
    return {**row, "data": json.loads(row["data"])}


def public_version(row: Row) -> dict[str, Any]:
    """A resource version row with its JSON columns decoded."""
    out = dict(row)
    for key in _VERSION_JSON_FIELDS:
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key])
    return out
