"""One scheduling decision: which pending runs may move on, and when to look again.

Pure: it takes rows and the graph and returns a decision, so every gate is testable with data.
A pending run moves on when
- its retry backoff (``not_before``) has passed,
- no job upstream of it has a run pending, waiting for approval, queued or running (fan-in: a
  diamond's join runs once, after everything upstream settled, with the latest versions),
- its job has no run queued or running (jobs are serial), and
- no queued or running run of another job writes a state resource it writes (serialised writes).
It then waits for approval if its job asks for one, and is queued otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from conveyor.engine.dag import Graph

_RUNNING = ("queued", "running")


@dataclass
class Decision:
    queue: list[int] = field(default_factory=list)
    await_approval: list[int] = field(default_factory=list)
    #: runs of jobs no longer in the pipeline: they can never run.
    orphaned: list[int] = field(default_factory=list)
    #: earliest time a blocked-by-backoff run becomes eligible, if any.
    wake_at: float | None = None


def decide(
    graph: Graph,
    pending: Iterable[dict[str, Any]],
    active: Iterable[dict[str, Any]],
    now: float,
    inputs_ready: Callable[[str], bool] = lambda job: True,
) -> Decision:
    """``inputs_ready(job)`` says whether every input of the job has something to read (a version,
    a succeeded upstream run); a run whose inputs are not ready stays pending until they are."""
    d = Decision()
    active_mask = 0
    busy_jobs: set[str] = set()
    locked: set[str] = set()
    for row in active:
        job = row["job_name"]
        active_mask |= graph.bit(job)
        if row["status"] in _RUNNING:
            busy_jobs.add(job)
            locked |= graph.state_outputs.get(job, frozenset())
    for run in pending:
        job = run["job_name"]
        if job not in graph.index:
            d.orphaned.append(run["id"])
            continue
        if run["not_before"] > now:
            d.wake_at = run["not_before"] if d.wake_at is None else min(d.wake_at, run["not_before"])
            busy_jobs.add(job)  # a retry waiting out its backoff keeps its place ahead of newer runs
            continue
        if graph.is_blocked_by(job, active_mask) or job in busy_jobs:
            continue
        writes = graph.state_outputs[job]
        if writes & locked or not inputs_ready(job):
            continue
        spec = graph.pipeline.jobs[graph.index[job]]
        if spec.approval and not run["approved"]:
            d.await_approval.append(run["id"])
            continue
        d.queue.append(run["id"])
        busy_jobs.add(job)
        locked |= writes
    return d
