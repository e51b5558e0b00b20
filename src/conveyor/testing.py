"""Helpers for tests of conveyor and of pipelines built on it: run a pipeline in-process until idle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conveyor.service import Service
from conveyor.worker.local import local_pool, run_pipeline


def run_until_idle(service: Service, pipeline: str, root: Path, concurrency: int = 2) -> list[dict[str, Any]]:
    """Run everything runnable in ``pipeline`` with a local pool; return the finished runs in order."""
    worker_id = service.register_worker("test")
    pool = local_pool(
        service, worker_id, concurrency, work_root=root / "work", scratch_root=root / "scratch", prefetch=True
    )
    try:
        run_pipeline(service, pool, pipeline)
    finally:
        service.stop_worker(worker_id)
    return pool.finished
