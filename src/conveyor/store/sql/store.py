"""``SqlStore``: the Store for SQLite and PostgreSQL, one code path, named queries per dialect."""

from __future__ import annotations

import base64
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from conveyor.errors import NotFound, SchemaTooNew
from conveyor.store.base import Row
from conveyor.store.sql.connection import (
    AsyncPostgresReads,
    LazyRows,
    PostgresConnection,
    SqliteConnection,
    connect,
)
from conveyor.store.sql.queries import migrations, queries
from conveyor.store.sql.tx_bulk import BulkTx
from conveyor.store.sql.tx_checks import ChecksTx
from conveyor.store.sql.tx_secrets import SecretsTx
from conveyor.store.sql.tx_statemachine import StateMachineTx
from conveyor.store.sql.tx_tinkerbell import TinkerbellTx
from conveyor.store.sql.tx_web import WebTx
from conveyor.store.sql.txbase import TxBase, _dumps

_BEFORE_ALL = 2**62
#: PostgreSQL: the active runs a scheduling step reads with its pending ones (see ``pending_and_active``)
_ACTIVE_PAGE = 32


def _newest_per_job(rows: list[Row]) -> dict[int, Row]:
    """Rows newest first -> job id: the first (newest) row of each job."""
    out: dict[int, Row] = {}
    for row in rows:
        out.setdefault(row["job_id"], row)
    return out


@dataclass
class JobsAhead:
    """What a scheduling step read of some jobs for the lease after it (``pending_and_active``): each
    one's last succeeded run and last finished status; a job missing from either has none."""

    asked: list[int]
    last_succeeded: dict[int, Row]
    last_finished: dict[int, str]


class _FirstPageThenRest:
    """``LazyRows`` of a first page already read and, only once it is used up, the rest."""

    def __init__(self, first: list[Row], rest: Callable[[], list[Row]] | None) -> None:
        self._rows = iter(first)
        self._rest = rest

    def __iter__(self) -> _FirstPageThenRest:
        return self

    def __next__(self) -> Row:
        row = next(self._rows, None)
        if row is None and self._rest is not None:
            self._rows = iter(self._rest())
            self._rest = None
            row = next(self._rows, None)
        if row is None:
            raise StopIteration
        return row

    def close(self) -> None:
        self._rest = None


#: One write lock per SQLite file in this process: SQLite lets one writer in at a time, and writers
#: that wait on ``busy_timeout`` poll with sleeps of up to 100 ms, unfairly (a newcomer may win while
#: a waiter sleeps), which made the server's p99 write latency ~1 s under load. Queueing on a lock
#: first hands the database from writer to writer at once; other processes still meet busy_timeout.
_SQLITE_WRITERS: dict[str, threading.RLock] = {}
_SQLITE_WRITERS_LOCK = threading.Lock()


def _sqlite_writer(path: str) -> threading.RLock:
    with _SQLITE_WRITERS_LOCK:
        return _SQLITE_WRITERS.setdefault(path, threading.RLock())


class SqlTx(StateMachineTx, ChecksTx, TinkerbellTx, SecretsTx, WebTx, BulkTx, TxBase):
    """Domain-level operations inside one transaction. Rows come back as plain dicts.

    The pipeline core lives here; other areas (state machines, Tinkerbell) add their operations as
    ``TxBase`` mixins in their own modules, with their queries in ``queries_<area>.sql``."""

    # -- pipelines ------------------------------------------------------------------------------
    def pipeline_by_name(self, name: str, lock: bool = False) -> Row | None:
        return self._one("pipeline_by_name_for_update" if lock else "pipeline_by_name", name=name)

    def pipeline_by_id(self, pipeline_id: int) -> Row | None:
        return self._one("pipeline_by_id", id=pipeline_id)

    def pipelines(self) -> list[Row]:
        return self._all("pipelines")

    def run_to_finish(
        self, run_id: int, open_runs_of: list[int] | None = None
    ) -> tuple[Row, Row, dict[int, Row] | None] | None:
        """A run about to be finished and its pipeline ({id, current_version}), both locked until
        the transaction ends (PostgreSQL; SQLite's write lock is global): one statement instead of
        two on every completion, and a status that holds until ``finish_run``.

        With ``open_runs_of`` (job ids: the consumers the run's success would trigger), also
        ``open_runs_of_jobs`` of them, read once the locks are held, in the same round trip
        (None without)."""
        return self.runs_to_finish([(run_id, open_runs_of)])[0]

    def runs_to_finish(
        self, runs: list[tuple[int, list[int] | None]]
    ) -> list[tuple[Row, Row, dict[int, Row] | None] | None]:
        """``run_to_finish`` of each (run id, open_runs_of), in one round trip: a worker reporting
        several runs at once waits once. Runs with the same consumers share one read of their open
        runs, made after the first of them is locked (and its pipeline with it)."""
        if not runs:
            return []
        q = self._q
        # the runs first, in one statement: one run by id, several in id order (see the query)
        ids = [run_id for run_id, _ in runs]
        read: tuple[str, dict[str, Any]] = (
            (q["run_to_finish"], {"id": ids[0]})
            if len(ids) == 1
            else (q["runs_to_finish"], {"ids": self._ids(ids)})
        )
        statements = [read]
        opened_at: list[int | None] = []  # per run: the statement of its open runs
        shared: dict[tuple[int, ...], int] = {}
        for _, open_runs_of in runs:
            opened = None
            if open_runs_of:
                opened = shared.get(tuple(open_runs_of))
                if opened is None:
                    opened = shared[tuple(open_runs_of)] = len(statements)
                    statements.append(self._open_runs_statement(open_runs_of))
            opened_at.append(opened)
        results = self._conn.execute_together(*statements)
        by_id = {int(r["id"]): r for r in results[0]}
        newest: dict[int, dict[int, Row]] = {}
        out: list[tuple[Row, Row, dict[int, Row] | None] | None] = []
        for run_id, opened in zip(ids, opened_at, strict=True):
            found = by_id.get(run_id)
            if found is None:
                out.append(None)
                continue
            row = dict(found)  # (a run named twice gets its own copy)
            version = row.pop("pipeline_current_version")
            open_runs = None
            if opened is not None:
                open_runs = newest.get(opened)
                if open_runs is None:
                    open_runs = newest[opened] = _newest_per_job(results[opened])
            out.append((row, {"id": row["pipeline_id"], "current_version": version}, open_runs))
        return out

    def lock_pipeline(self, pipeline_id: int) -> Row:
        """The pipeline, locked until the transaction ends (PostgreSQL; SQLite's write lock is global)."""
        row = self._one("lock_pipeline", id=pipeline_id)
        if row is None:
            raise NotFound(f"no pipeline {pipeline_id}")
        return row

    def insert_pipeline(self, name: str, now: float) -> int:
        return int(self._val("insert_pipeline", name=name, now=now))

    def set_pipeline_version(self, pipeline_id: int, number: int) -> None:
        self._all("set_pipeline_version", id=pipeline_id, number=number)

    def pipeline_version(self, pipeline_id: int, number: int) -> Row | None:
        return self._one("pipeline_version", pipeline_id=pipeline_id, number=number)

    def insert_pipeline_version(
        self,
        pipeline_id: int,
        number: int,
        digest: str,
        definition: dict[str, Any],
        source: str,
        source_file: str,
        now: float,
    ) -> None:
        self._all(
            "insert_pipeline_version",
            pipeline_id=pipeline_id,
            number=number,
            digest=digest,
            definition=_dumps(definition),
            source=source,
            source_file=source_file,
            now=now,
        )

    # -- resources and versions -----------------------------------------------------------------
    def resources(self, pipeline_id: int) -> list[Row]:
        return self._all("resources", pipeline_id=pipeline_id)

    def resource_by_name(self, pipeline_id: int, name: str) -> Row | None:
        return self._one("resource_by_name", pipeline_id=pipeline_id, name=name)

    def insert_resource(self, pipeline_id: int, name: str, type_: str, declared_digest: str) -> int:
        return int(
            self._val(
                "insert_resource",
                pipeline_id=pipeline_id,
                name=name,
                type=type_,
                declared_digest=declared_digest,
            )
        )

    def update_resource(self, resource_id: int, type_: str, declared_digest: str, active: bool) -> None:
        self._all(
            "update_resource", id=resource_id, type=type_, declared_digest=declared_digest, active=int(active)
        )

    def latest_version(self, resource_id: int) -> Row | None:
        return self._one("latest_version", resource_id=resource_id)

    def version_by_id(self, version_id: int) -> Row | None:
        return self._one("version_by_id", id=version_id)

    def versions(self, resource_id: int, before: int | None = None, limit: int = 50) -> list[Row]:
        return self._all("versions", resource_id=resource_id, before=before or _BEFORE_ALL, limit=limit)

    def insert_version(
        self,
        resource_id: int,
        digest: str,
        properties: dict[str, str],
        files: dict[str, str],
        created_by: str,
        creator: str,
        run_id: int | None,
        now: float,
    ) -> tuple[int, int]:
        number = int(self._val("bump_resource_version", id=resource_id))
        version_id = self._val(
            "insert_version",
            resource_id=resource_id,
            number=number,
            digest=digest,
            properties=_dumps(properties),
            files=_dumps(files),
            created_by=created_by,
            creator=creator,
            run_id=run_id,
            now=now,
        )
        return int(version_id), number

    def versions_made_by_run(self, run_id: int) -> list[Row]:
        return self._all("versions_made_by_run", run_id=run_id)

    # -- blobs ----------------------------------------------------------------------------------
    def put_blobs(self, blobs: dict[str, bytes]) -> None:
        if blobs:
            self._conn.execute_many(
                self._q["insert_blob"],
                [{"sha256": sha, "size": len(data), "data": data} for sha, data in blobs.items()],
            )

    def blob(self, sha256: str) -> bytes | None:
        data = self._val("blob", sha256=sha256)
        return None if data is None else bytes(data)

    # -- jobs -----------------------------------------------------------------------------------
    def jobs(self, pipeline_id: int) -> list[Row]:
        return self._all("jobs", pipeline_id=pipeline_id)

    def insert_job(self, pipeline_id: int, name: str, digest: str) -> int:
        return int(self._val("insert_job", pipeline_id=pipeline_id, name=name, digest=digest))

    def insert_jobs(self, pipeline_id: int, jobs: list[tuple[str, str]]) -> dict[str, int]:
        """A job for each (name, digest) in one statement: name -> id (a 1,000-job pipeline's
        first apply is one round trip, not a thousand; one job takes the one-row statement)."""
        if len(jobs) <= 1:
            return {name: self.insert_job(pipeline_id, name, digest) for name, digest in jobs}
        if self.dialect == "postgres":
            params: dict[str, Any] = {"names": [j[0] for j in jobs], "digests": [j[1] for j in jobs]}
        else:
            params = {"jobs": _dumps(jobs)}
        return {r["name"]: int(r["id"]) for r in self._all("insert_jobs", pipeline_id=pipeline_id, **params)}

    def update_job(self, job_id: int, digest: str, active: bool) -> None:
        self._all("update_job", id=job_id, digest=digest, active=int(active))

    # -- runs -----------------------------------------------------------------------------------
    def insert_run(
        self,
        pipeline_id: int,
        pipeline_version: int,
        job_id: int,
        job_name: str,
        causes: list[dict[str, Any]],
        now: float,
        status: str = "pending",
        number: int | None = None,
        attempt: int = 1,
        retry_of: int | None = None,
        inputs_pinned: bool = False,
        not_before: float = 0.0,
        runs_on: str = "",
    ) -> tuple[int, int]:
        params = _new_run(
            pipeline_id,
            pipeline_version,
            job_id,
            job_name,
            causes,
            now,
            status=status,
            attempt=attempt,
            retry_of=retry_of,
            inputs_pinned=inputs_pinned,
            not_before=not_before,
            runs_on=runs_on,
        )
        if number is None:
            row = self._one("insert_run_numbered", **params)
            assert row is not None
            return int(row["id"]), int(row["number"])
        return int(self._val("insert_run", number=number, **params)), number

    def add_pending_run(
        self,
        pipeline_id: int,
        pipeline_version: int,
        job_id: int,
        job_name: str,
        causes: list[dict[str, Any]],
        now: float,
        runs_on: str = "",
    ) -> None:
        """``insert_run`` of a new pending run (numbered) whose id and number nobody reads: sent
        without waiting (a chain's every completion triggers one; on PostgreSQL a round trip less)."""
        params = _new_run(pipeline_id, pipeline_version, job_id, job_name, causes, now, runs_on=runs_on)
        self._run("insert_run_numbered", **params)

    def run(self, run_id: int) -> Row | None:
        return self._one("run", id=run_id)

    def run_lineage(self, run_id: int) -> Row | None:
        """The run with its pipeline's name (``pipeline``), and the rows of ``run_inputs``,
        ``versions_made_by_run`` and ``events_of_run`` (``inputs``, ``outputs``, ``events``).
        PostgreSQL answers in one statement (a statement there is a round trip and a parse); SQLite,
        where one costs microseconds and JSON would round REAL columns, in one per part."""
        if self.dialect == "postgres":
            return self._one("run_lineage", id=run_id)
        run = self.run(run_id)
        if run is None:
            return None
        prow = self.pipeline_by_id(run["pipeline_id"])
        assert prow is not None
        return {
            **run,
            "pipeline": prow["name"],
            "inputs": self.run_inputs(run_id),
            "outputs": self.versions_made_by_run(run_id),
            "events": self.events_of_run(run_id),
        }

    def open_runs_of_jobs(self, job_ids: list[int]) -> dict[int, Row]:
        """Job id -> its newest open run (pending, waiting for approval or queued, inputs not
        pinned): the run a trigger coalesces into."""
        if not job_ids:
            return {}
        sql, params = self._open_runs_statement(job_ids)
        return _newest_per_job(self._conn.execute(sql, params))

    def _open_runs_statement(self, job_ids: list[int]) -> tuple[str, dict[str, Any]]:
        # one job (a chain's every step): the one-row statement, 6 against 28 µs on SQLite here;
        # the batch one pays off from two jobs on
        if len(job_ids) == 1:
            return self._q["pending_run_of_job"], {"job_id": job_ids[0]}
        return self._q["pending_runs_of_jobs"], {"job_ids": self._ids(job_ids)}

    def insert_runs_numbered(
        self,
        pipeline_id: int,
        pipeline_version: int,
        jobs: list[tuple[int, str, str]],
        causes: list[dict[str, Any]],
        now: float,
    ) -> dict[int, tuple[int, int]]:
        """A pending run of each (job id, job name, runs_on), numbered as ``insert_run`` numbers
        one, in one statement: job id -> (run id, number). Job ids must differ."""
        params: dict[str, Any] = {
            "pipeline_id": pipeline_id,
            "pipeline_version": pipeline_version,
            "causes": _dumps(causes),
            "now": now,
        }
        if self.dialect == "postgres":
            params.update(ids=[j[0] for j in jobs], names=[j[1] for j in jobs], runs_on=[j[2] for j in jobs])
        else:
            params["jobs"] = _dumps(jobs)
        rows = self._all("insert_runs_numbered", **params)
        return {r["job_id"]: (int(r["id"]), int(r["number"])) for r in rows}

    def set_causes(self, run_id: int, causes: list[dict[str, Any]]) -> None:
        self._run("set_causes", id=run_id, causes=_dumps(causes))

    def pending_and_active(
        self, pipeline_id: int, lease: int = 0, jobs_ahead: list[int] | None = None
    ) -> tuple[list[Row], LazyRows, list[Row] | None, JobsAhead | None]:
        """The pipeline's pending runs of jobs not paused (oldest first), and (id, job_name, status)
        of every active run, lazily: the scheduler stops reading once it knows (a wide fan-out has a
        thousand runs queued, and the first one read keeps its join waiting).

        SQLite reads the active runs only as they are iterated. PostgreSQL sends a read's every row,
        so it reads a first page of them with the pending runs, in one round trip, and the rest only
        if the scheduler asks for more. With ``lease``, PostgreSQL also reads in that round trip what
        ``queued_runs(lease, pipeline_id)`` would, before the step's own writes, and the pending runs
        with every column it returns, so a step that leases next needs no read of its own (see
        ``queued_after``); the third item is None when it did not (SQLite: a read costs no round
        trip there). With ``jobs_ahead`` too (job ids), PostgreSQL reads their ``last_succeeded_runs``
        and ``last_finished_statuses`` in that round trip, after the step's writes sent before it:
        the fourth item (None without, and on SQLite)."""
        params = {"pipeline_id": pipeline_id}
        q = self._q
        if self.dialect == "sqlite":
            active = self._conn.iterate(q["active_jobs"], params)
            return self._all("pending_runs", **params), active, None, None
        statements: list[tuple[str, dict[str, Any]]] = [
            (q["pending_runs_to_lease" if lease > 0 else "pending_runs"], params),
            (q["active_jobs_first"], {**params, "limit": _ACTIVE_PAGE}),
        ]
        read_ahead = lease > 0 and bool(jobs_ahead)
        if lease > 0:
            statements.append((q["queued_runs_of_pipeline"], {**params, "limit": lease}))
        if read_ahead:
            statements.append((q["jobs_ahead"], {"job_ids": jobs_ahead}))
        pending, first, *more = self._conn.execute_together(*statements)
        queued = more[0] if more else None
        ahead = None
        if read_ahead:
            assert jobs_ahead is not None
            succeeded: dict[int, Row] = {}
            finished: dict[int, str] = {}
            for r in more[1]:
                job_id, status = r.pop("job_id"), r.pop("last_status")
                if status is not None:
                    finished[job_id] = str(status)
                if r["id"] is not None:
                    succeeded[job_id] = r
            ahead = JobsAhead(jobs_ahead, succeeded, finished)

        def rest() -> list[Row]:
            return self._all("active_jobs_rest", pipeline_id=pipeline_id, seen=[r["id"] for r in first])

        lazy = _FirstPageThenRest(first, rest if len(first) == _ACTIVE_PAGE else None)
        return pending, lazy, queued, ahead

    def queued_after(
        self, queued: list[Row], pending: list[Row], queue: list[int], now: float, limit: int
    ) -> list[Row]:
        """What ``queued_runs(limit, pipeline)`` reads once ``queue_runs(queue, now)`` is written,
        from what it read before (``queued``) and the pending rows read with it (every column):
        the oldest of both. The runs just queued are locked by that write, the others by the read,
        so no other worker can take them meanwhile."""
        if not queue:
            return queued[:limit]
        ids = set(queue)
        now_queued = [{**r, "status": "queued", "queued_at": now} for r in pending if r["id"] in ids]
        return sorted(queued + now_queued, key=lambda r: int(r["id"]))[:limit]

    def active_counts(self, pipeline_id: int) -> list[Row]:
        return self._all("active_counts", pipeline_id=pipeline_id)

    def queue_runs(self, run_ids: Iterable[int], now: float) -> None:
        params = [{"id": rid, "now": now} for rid in run_ids]
        if params:
            self._conn.execute_many(self._q["queue_run"], params)

    def set_run_status(self, run_id: int, status: str) -> None:
        self._all("set_run_status", id=run_id, status=status)

    def approve_run(self, run_id: int, now: float) -> None:
        self._all("approve_run", id=run_id, now=now)

    def queued_runs(self, limit: int, pipeline_id: int | None = None) -> list[Row]:
        """The oldest queued runs, each with ``previous_state_files``: its job's latest state before it."""
        if pipeline_id is None:
            return self._all("queued_runs", limit=limit)
        return self._all("queued_runs_of_pipeline", limit=limit, pipeline_id=pipeline_id)

    def start_run(
        self,
        run_id: int,
        worker_id: int,
        now: float,
        lease: float,
        pipeline_version: int,
        pipeline_id: int,
        inputs: list[dict[str, Any]] | None = None,
    ) -> None:
        """Mark a queued run running for ``worker_id`` and record its ``run.started`` event and, when
        given, the inputs it reads (``run_inputs`` rows), together with the runs the transaction
        starts next to it (``execute_combined``): a lease of eight runs costs PostgreSQL one
        statement, SQLite three, where each run cost one, or three."""
        params: dict[str, Any] = {
            "id": run_id,
            "worker_id": worker_id,
            "now": now,
            "lease": lease,
            "pipeline_version": pipeline_version,
        }
        keys = ("name", "kind", "version_id", "upstream_run_id")
        rows = [{k: i[k] for k in keys} for i in inputs or ()]
        # PostgreSQL's statement reads the calls as one JSON array (lists included), SQLite's each
        # call's inputs as JSON text
        params.update(
            pipeline_id=pipeline_id,
            data=_dumps({"worker": worker_id}),
            inputs=rows if self.dialect == "postgres" else _dumps(rows),
        )
        self._conn.execute_combined(self._q["start_runs_recorded"], params)

    def finish_run(
        self,
        run: Row,
        status: str,
        now: float,
        exit_code: int | None,
        message: str,
        steps: list[dict[str, Any]],
        properties: dict[str, str],
        state_files: dict[str, str] | None,
        log: bytes | None = None,
    ) -> Row:
        """Finish a running run read by ``run_to_finish`` in this transaction (which locked it, so
        its status cannot change before the commit), appending ``log`` to its log and recording its
        ``run.<status>`` event, together with the runs the transaction finishes next to it
        (``execute_combined``, as ``start_run``). The row after is built here, not read back: a
        completion's write then waits for nothing."""
        after = {
            "status": str(status),
            "finished_at": now,
            "exit_code": exit_code,
            "message": message,
            "steps": _dumps(steps),
            "properties": _dumps(properties),
            "state_files": None if state_files is None else _dumps(state_files),
            "lease_expires_at": None,
        }
        event = {
            "kind": f"run.{status}",
            "pipeline_id": run["pipeline_id"],
            "data": _dumps({"message": message}),
        }
        if self.dialect == "postgres":  # its statement reads the calls as one JSON array: no bytes
            log_param: bytes | str | None = base64.b64encode(log).decode() if log else None
        else:
            log_param = log or None
        params = {"id": run["id"], **after, "log": log_param, **event}
        del params["lease_expires_at"]
        self._conn.execute_combined(self._q["finish_runs_recorded"], params)
        return {**run, **after}

    def fail_unstarted_run(self, run_id: int, status: str, now: float, message: str) -> None:
        self._all("fail_unstarted_run", id=run_id, status=status, now=now, message=message)

    def running_runs(self) -> list[Row]:
        return self._all("running_runs")

    def running_runs_of_worker(self, worker_id: int) -> list[Row]:
        """(id, pipeline_id, inputs_pinned) of the runs leased to the worker and running."""
        return self._all("running_runs_of_worker", worker_id=worker_id)

    def requeue_unstarted_run(self, run_id: int, inputs_read: bool, now: float) -> None:
        """Queue again a running run its worker never started; with ``inputs_read`` (they were
        resolved at the lease, not pinned by an earlier attempt), the next lease reads them anew."""
        if inputs_read:
            self._run("delete_run_inputs", run_id=run_id)
        self._run("requeue_unstarted_run", id=run_id, now=now)

    def extend_leases(self, worker_id: int, lease: float) -> None:
        self._all("extend_leases", worker_id=worker_id, lease=lease)

    def last_succeeded_run(self, job_id: int) -> Row | None:
        return self._one("last_succeeded_run", job_id=job_id)

    def last_succeeded_runs(self, job_ids: list[int]) -> dict[int, Row]:
        """``last_succeeded_run`` of several jobs in one statement (a join's thousand upstream jobs):
        job id -> its run; a job that never succeeded is missing. One job (a chain's every step)
        takes the one-row query, cheaper on SQLite than going through a JSON array."""
        if len(job_ids) <= 1:
            runs = {jid: self.last_succeeded_run(jid) for jid in job_ids}
            return {jid: run for jid, run in runs.items() if run is not None}
        return {r.pop("job_id"): r for r in self._all("last_succeeded_runs", job_ids=self._ids(job_ids))}

    def last_finished_status(self, job_id: int) -> str | None:
        status = self._val("last_finished_status", job_id=job_id)
        return None if status is None else str(status)

    def last_finished_statuses(self, job_ids: list[int]) -> dict[int, str]:
        """``last_finished_status`` of several jobs in one statement; a job never finished is
        missing. One job takes the one-row query."""
        if len(job_ids) <= 1:
            statuses = {jid: self.last_finished_status(jid) for jid in job_ids}
            return {jid: status for jid, status in statuses.items() if status is not None}
        rows = self._all("last_finished_statuses", job_ids=self._ids(job_ids))
        return {r["job_id"]: str(r["status"]) for r in rows}

    def insert_run_inputs(self, run_id: int, inputs: list[dict[str, Any]]) -> None:
        if inputs:
            self._conn.execute_many(self._q["insert_run_input"], [{"run_id": run_id, **i} for i in inputs])

    def copy_run_inputs(self, run_id: int, new_run_id: int) -> None:
        self._all("copy_run_inputs", run_id=run_id, new_run_id=new_run_id)

    def run_inputs(self, run_id: int) -> list[Row]:
        return self._all("run_inputs", run_id=run_id)

    def runs_of_pipeline(self, pipeline_id: int, before: int | None = None, limit: int = 50) -> list[Row]:
        return self._all(
            "runs_of_pipeline", pipeline_id=pipeline_id, before=before or _BEFORE_ALL, limit=limit
        )

    def runs_of_job(self, job_id: int, before: int | None = None, limit: int = 50) -> list[Row]:
        return self._all("runs_of_job", job_id=job_id, before=before or _BEFORE_ALL, limit=limit)

    def runs_since(self, pipeline_id: int, after: int) -> list[Row]:
        return self._all("runs_since", pipeline_id=pipeline_id, after=after)

    def open_runs(self, pipeline_id: int) -> list[Row]:
        return self._all("open_runs", pipeline_id=pipeline_id)

    def latest_runs_per_job(self, pipeline_id: int) -> list[Row]:
        return self._all("latest_runs_per_job", pipeline_id=pipeline_id)

    # -- logs and events ------------------------------------------------------------------------
    def append_log(self, run_id: int, data: bytes, now: float) -> None:
        """Append a chunk after the run's last one (the next ``seq``, in the same statement)."""
        self._run("insert_log", run_id=run_id, data=data, now=now)

    def logs(self, run_id: int, after: int = 0) -> list[Row]:
        return self._all("logs", run_id=run_id, after=after)

    def add_event(
        self, kind: str, now: float, pipeline_id: int | None = None, run_id: int | None = None, **data: Any
    ) -> None:
        self._run(
            "insert_event", kind=kind, now=now, pipeline_id=pipeline_id, run_id=run_id, data=_dumps(data)
        )

    def events_of_run(self, run_id: int) -> list[Row]:
        return self._all("events_of_run", run_id=run_id)

    # -- server: tokens, cancels, labels, listings -----------------------------------------------
    def insert_token(self, name: str, role: str, hash_: str, now: float) -> int:
        return int(self._val("insert_token", name=name, role=role, hash=hash_, now=now))

    def token_by_hash(self, hash_: str) -> Row | None:
        return self._one("token_by_hash", hash=hash_)

    def touch_token(self, token_id: int, now: float) -> None:
        self._all("touch_token", id=token_id, now=now)

    def tokens(self) -> list[Row]:
        return self._all("tokens")

    def revoke_token(self, token_id: int, now: float) -> None:
        self._all("revoke_token", id=token_id, now=now)

    def request_cancel(self, run_id: int, reason: str) -> None:
        self._all("request_cancel", id=run_id, reason=reason)

    def cancels_for_worker(self, worker_id: int) -> list[Row]:
        return self._all("cancels_for_worker", worker_id=worker_id)

    def latest_version_passed(self, resource_id: int, input_name: str, job_ids: list[int]) -> int | None:
        """The newest version of a resource that a succeeded run of each of ``job_ids`` read."""
        param: Any = job_ids if self._conn.dialect == "postgres" else _dumps(job_ids)
        value = self._val(
            "latest_version_passed", resource_id=resource_id, name=input_name, jobs=param, n=len(job_ids)
        )
        return None if value is None else int(value)

    def queued_runs_on(self, limit: int, accepted: list[str], pipeline_id: int | None = None) -> list[Row]:
        """Queued runs whose ``runs_on`` (canonical JSON of required labels) is one of ``accepted``."""
        param: Any = accepted if self._conn.dialect == "postgres" else _dumps(accepted)
        if pipeline_id is None:
            return self._all("queued_runs_on", limit=limit, accepted=param)
        return self._all("queued_runs_on_of_pipeline", limit=limit, accepted=param, pipeline_id=pipeline_id)

    def set_runs_on(self, run_id: int, runs_on: str) -> None:
        self._all("set_runs_on", id=run_id, runs_on=runs_on)

    def scheduler_work(self) -> tuple[bool, bool]:
        """Whether anything is running (runs or tasks: a lost worker's may need recovering), and whether
        any run is pending (it may move on)."""
        row = self._one("scheduler_work")
        assert row is not None
        return bool(row["running"]), bool(row["pending"])

    def pipelines_with_pending(self) -> list[int]:
        return [int(r["pipeline_id"]) for r in self._all("pipelines_with_pending")]

    def set_job_paused(self, pipeline_id: int, name: str, paused: bool) -> None:
        self._all("set_job_paused", pipeline_id=pipeline_id, name=name, paused=int(paused))

    def job_by_name(self, pipeline_id: int, name: str) -> Row | None:
        return self._one("job_by_name", pipeline_id=pipeline_id, name=name)

    def pipeline_versions(self, pipeline_id: int) -> list[Row]:
        return self._all("pipeline_versions", pipeline_id=pipeline_id)

    def runs_filtered(
        self,
        pipeline_id: int | None,
        job_id: int | None,
        status: str | None,
        before: int | None,
        limit: int,
    ) -> list[Row]:
        """Runs newest first, before the cursor ``before``: each combination of filters has its own
        query and index (a job's runs are its pipeline's: ``job_id`` makes ``pipeline_id`` moot)."""
        page = {"before": before or _BEFORE_ALL, "limit": limit}
        if job_id is not None:
            if status is None:
                return self._all("runs_of_job", job_id=job_id, **page)
            return self._all("runs_of_job_with_status", job_id=job_id, status=status, **page)
        if pipeline_id is not None:
            if status is None:
                return self._all("runs_of_pipeline", pipeline_id=pipeline_id, **page)
            return self._all("runs_of_pipeline_with_status", pipeline_id=pipeline_id, status=status, **page)
        if status is not None:
            return self._all("runs_with_status", status=status, **page)
        return self._all("runs_page", **page)

    def events_after(
        self,
        after: int,
        limit: int,
        pipeline_id: int | None = None,
        run_id: int | None = None,
        kind: str | None = None,
    ) -> list[Row]:
        """Events oldest first, after the cursor ``after``; one query (and index) per filter."""
        page = {"after": after, "limit": limit}
        if run_id is not None:
            return self._all("events_after_of_run", run_id=run_id, pipeline_id=pipeline_id, kind=kind, **page)
        if kind is not None:
            if pipeline_id is None:
                return self._all("events_after_of_kind", kind=kind, **page)
            return self._all("events_after_of_pipeline_kind", pipeline_id=pipeline_id, kind=kind, **page)
        if pipeline_id is not None:
            return self._all("events_after_of_pipeline", pipeline_id=pipeline_id, **page)
        return self._all("events_after", **page)

    def workers(self, since: float) -> list[Row]:
        return self._all("workers", since=since)

    def worker(self, worker_id: int) -> Row | None:
        return self._one("worker", id=worker_id)

    def running_runs_by_worker(self) -> list[Row]:
        """Every running run (id, job_name, number, pipeline_id) with its ``worker_id``, oldest first."""
        return self._all("running_runs_by_worker")

    def status_counts(self) -> list[Row]:
        return self._all("status_counts")

    def queue_mark(self) -> tuple[int, ...]:
        """A summary of the queued runs and tasks that changes whenever one joins or leaves the queue."""
        row = self._one("queue_mark")
        assert row is not None
        return tuple(int(v) for v in row.values())

    # -- workers --------------------------------------------------------------------------------
    def insert_worker(self, name: str, hostname: str, pid: int, labels: dict[str, str], now: float) -> int:
        return int(
            self._val("insert_worker", name=name, hostname=hostname, pid=pid, labels=_dumps(labels), now=now)
        )

    def heartbeat_worker(self, worker_id: int, now: float) -> None:
        self._all("heartbeat_worker", id=worker_id, now=now)

    def stop_worker(self, worker_id: int, now: float) -> None:
        self._all("stop_worker", id=worker_id, now=now)


def _new_run(
    pipeline_id: int,
    pipeline_version: int,
    job_id: int,
    job_name: str,
    causes: list[dict[str, Any]],
    now: float,
    *,
    status: str = "pending",
    attempt: int = 1,
    retry_of: int | None = None,
    inputs_pinned: bool = False,
    not_before: float = 0.0,
    runs_on: str = "",
) -> dict[str, Any]:
    """The parameters of ``insert_run`` and ``insert_run_numbered``."""
    return {
        "pipeline_id": pipeline_id,
        "pipeline_version": pipeline_version,
        "job_id": job_id,
        "job_name": job_name,
        "attempt": attempt,
        "retry_of": retry_of,
        "status": status,
        "causes": _dumps(causes),
        "inputs_pinned": int(inputs_pinned),
        "not_before": not_before,
        "now": now,
        "runs_on": runs_on,
    }


class _ThreadConnection:
    """One thread's connection and operations. Closed when its thread ends (its thread-local data,
    which holds this, goes then): the server's thread pool retires threads idle for 10 s and starts
    new ones, and each would otherwise leave one more PostgreSQL connection open for good."""

    def __init__(self, conn: SqliteConnection | PostgresConnection) -> None:
        self.conn = conn
        self.tx = SqlTx(conn, queries(conn.dialect))

    def __del__(self) -> None:
        try:
            self.conn.close()
        except Exception:  # at interpreter exit, or already closed
            pass


class SqlStore:
    """Opens the database, brings its schema up to date, and hands out transactions.

    Each thread gets its own connection (the server answers requests on a thread pool): SQLite in
    WAL mode lets readers run beside the one writer, PostgreSQL serves each connection apart.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()
        self._all_conns: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        self._lock = threading.Lock()
        conn = self._conn
        self.dialect = conn.dialect
        self._writer = (
            _sqlite_writer(os.path.realpath(conn.path)) if isinstance(conn, SqliteConnection) else None
        )
        self._migrate()
        #: PostgreSQL: a few asynchronous connections for the server's event loop (``*_async``)
        self._async_reads = AsyncPostgresReads(url) if self.dialect == "postgres" else None

    @property
    def reads_async(self) -> bool:
        """Whether the ``*_async`` reads exist: PostgreSQL, where a read waits for the network.
        (SQLite's take microseconds: call the synchronous ones.)"""
        return self._async_reads is not None

    async def run_lineage_async(self, run_id: int) -> Row | None:
        """``SqlTx.run_lineage`` (one statement, its own snapshot) from the event loop."""
        assert self._async_reads is not None
        rows = await self._async_reads.execute(queries(self.dialect)["run_lineage"], {"id": run_id})
        return rows[0] if rows else None

    async def events_of_run_async(self, run_id: int) -> list[Row]:
        """``SqlTx.events_of_run`` from the event loop."""
        assert self._async_reads is not None
        return await self._async_reads.execute(queries(self.dialect)["events_of_run"], {"run_id": run_id})

    @property
    def _conn(self) -> SqliteConnection | PostgresConnection:
        mine: _ThreadConnection | None = getattr(self._local, "mine", None)
        if mine is None:
            mine = _ThreadConnection(connect(self.url))
            self._local.mine = mine
            with self._lock:
                self._all_conns.add(mine)
        return mine.conn

    @property
    def _tx(self) -> SqlTx:
        self._conn  # noqa: B018 - makes this thread's connection
        mine: _ThreadConnection = self._local.mine
        return mine.tx

    def _migrate(self) -> None:
        conn = self._conn
        known = migrations(self.dialect)
        with conn.transaction(pipelined=False):
            if self.dialect == "postgres":
                conn.execute("SELECT pg_advisory_xact_lock(7316823)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at "
                + ("REAL" if self.dialect == "sqlite" else "DOUBLE PRECISION")
                + " NOT NULL)"
            )
            applied = {row["version"] for row in conn.execute("SELECT version FROM schema_migrations")}
            current = max(applied, default=0)
            newest = known[-1][0] if known else 0
            if current > newest:
                raise SchemaTooNew(
                    f"the database is at schema version {current}, newer than this conveyor ({newest})"
                )
            # every migration not applied yet, not only those above the newest applied: areas built on
            # separate branches number theirs apart, and one may land after a higher number already ran
            for version, ddl in known:
                if version not in applied:
                    conn.script(ddl)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES "
                        + ("(:v, :t)" if self.dialect == "sqlite" else "(%(v)s, %(t)s)"),
                        {"v": version, "t": time.time()},
                    )

    @property
    def schema_version(self) -> int:
        rows = self._conn.execute("SELECT max(version) AS v FROM schema_migrations")
        return int(rows[0]["v"] or 0)

    @contextmanager
    def transaction(self, pipelined: bool = True) -> Iterator[SqlTx]:
        """A write transaction: everything inside commits together or not at all. A bulk load
        (COPY on PostgreSQL) asks for one not ``pipelined``."""
        if self._writer is None:
            with self._conn.transaction(write=True, pipelined=pipelined):
                yield self._tx
            return
        with self._writer, self._conn.transaction(write=True, pipelined=pipelined):
            yield self._tx

    @contextmanager
    def flushed_at_end(self) -> Iterator[None]:
        """Commits in this thread that wait for no disk flush until the block ends, then one flush.

        For ``conveyor run`` on PostgreSQL: every commit is still atomic and visible, and a crash of
        conveyor loses none (the server has them); a crash of the database host may lose the last
        fraction of a second, as SQLite's WAL with ``synchronous=NORMAL`` may. When the block ends
        (the command returns), everything is on disk. SQLite (WAL with ``synchronous=NORMAL``,
        which syncs only at checkpoints): a checkpoint when the block ends, for the same promise."""
        conn = self._conn
        conn.set_synchronous(False)
        try:
            yield
        finally:
            conn.set_synchronous(True)

    @contextmanager
    def read(self) -> Iterator[SqlTx]:
        """A read transaction: one consistent snapshot, no write lock."""
        with self._conn.transaction(write=False):
            yield self._tx

    @contextmanager
    def read_statement(self) -> Iterator[SqlTx]:
        """For an operation that PostgreSQL answers in one statement (``run_lineage``), or in a few
        whose order makes a snapshot needless: a statement is its own consistent snapshot there, so
        no BEGIN and COMMIT round trips around it. SQLite reads in one transaction as ``read`` does."""
        if self.dialect == "postgres":
            yield self._tx
            return
        with self._conn.transaction(write=False):
            yield self._tx

    def close(self) -> None:
        with self._lock:
            conns = list(self._all_conns)
        for mine in conns:
            mine.conn.close()
        self._local = threading.local()
        if self._async_reads is not None:
            self._async_reads.close()


def open_store(url: str) -> SqlStore:
    return SqlStore(url)
