"""Running a pipeline in-process until nothing is left: what ``conveyor run`` does on one machine."""

from __future__ import annotations

import time
from pathlib import Path

from conveyor.service import Service
from conveyor.worker.pool import Listener, Pool, PoolConfig

#: PostgreSQL: how long a pool that ran a step to its end waits for the others in hand before
#: reporting (``PoolConfig.report_window``). A report's transaction waits for the database three
#: times whatever it carries, so two runs that end half a millisecond apart share one: W3 (two at a
#: time) 8% faster, alternated. SQLite's transactions cost no round trip: waiting made W3 10% slower.
POSTGRES_REPORT_WINDOW = 0.0005


#: runs ``conveyor run`` leases ahead per slot (``PoolConfig.prefetch``)
PREFETCH_PER_SLOT = 8


def report_window(service: Service) -> float:
    return POSTGRES_REPORT_WINDOW if service.store.dialect == "postgres" else 0.0


def local_pool(
    service: Service,
    worker_id: int,
    concurrency: int,
    listener: Listener | None = None,
    work_root: Path | None = None,
    scratch_root: Path | None = None,
    keep_finished: tuple[str, ...] | None = None,
    prefetch: bool = False,
) -> Pool:
    """An in-process pool on ``service``; ``prefetch``: lease runs ahead and report their ends in
    batches (``PoolConfig.prefetch``), for a pipeline's run rather than a workflow's tasks."""
    s = service.settings
    config = PoolConfig(
        concurrency=concurrency,
        work_root=work_root or s.work_dir,
        scratch_root=scratch_root or s.scratch_dir,
        lease_seconds=s.lease_seconds,
        hook_grace=s.hook_grace_seconds,
        keep_workdirs=s.keep_workdirs,
        keep_finished=keep_finished,
        report_window=report_window(service),
        prefetch=PREFETCH_PER_SLOT * concurrency if prefetch else 0,
    )
    return Pool(service, worker_id, config, listener)


def run_pipeline(service: Service, pool: Pool, pipeline: str) -> None:
    """Run until no run of the pipeline is queued, running, or about to retry; every commit is on
    disk when this returns (PostgreSQL flushes once at the end, not per job)."""
    with service.store.flushed_at_end():
        pool.run_until_idle(pipeline, lambda: _is_idle(service, pipeline))


def _is_idle(service: Service, pipeline: str) -> float | bool:
    counts = service.activity(pipeline)
    if counts.get("queued"):
        return False
    if counts.get("running"):  # another worker's runs: wait for their outcome (or their loss)
        time.sleep(0.2)
        service.recover()
        return False
    if counts.get("pending"):
        decision = service.promote(pipeline)
        if decision.queue:
            return False
        if decision.wake_at is not None:  # a retry waiting out its backoff
            return float(decision.wake_at)
    return True


def run_workflow(service: Service, pool: Pool, workflow: str) -> str:
    """Run a state-machine workflow's tasks (and the job runs its ``job:`` tasks start) until it is
    over; returns its final status."""
    pool.run_workflow_until_idle(workflow, lambda: _workflow_idle(service, workflow))
    return service.workflow_activity(workflow)[0]


def _workflow_idle(service: Service, workflow: str) -> float | bool:
    service.advance_workflows()
    status, tasks, next_timer = service.workflow_activity(workflow)
    if status not in ("queued", "running"):
        return True
    if tasks.get("queued"):
        return False
    if tasks.get("running") or tasks.get("waiting"):  # another worker's, or a job's run: wait for it
        time.sleep(0.05)
        service.recover()  # (not a whole tick: a workflow's run has no business polling git resources)
        service.promote_pending()
        return False
    if next_timer is not None:
        return float(next_timer)
    return True
