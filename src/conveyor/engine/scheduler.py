"""One scheduling decision: which pending runs may move on, and when to look again.

Pure: it takes rows and the graph and returns a decision, so every gate is testable with data.
A pending run moves on when
- its retry backoff (``not_before``) has passed,
- by its job's dependency mode: ``strict`` (the default) — no job upstream of it has a run pending,
  waiting for approval, queued or running (fan-in: a diamond's join runs once, after everything upstream
  settled, with the latest versions); ``chrono`` — no directly connected job is queued or running;
  ``immediate`` — nothing upstream matters, nor whether its inputs have succeeded yet,
- its job has fewer runs queued or running than its ``max_in_flight`` (1 by default: serial), and
- no queued or running run of another job writes a state resource it writes (serialised writes).
It then waits for approval if its job asks for one, and is queued otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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


class ActiveSet:
    """The pipeline's active runs, read lazily: a question stops reading as soon as it is answered.

    With many active runs (a wide fan-out queues hundreds) and few pending ones (its join), the
    first active row read usually blocks the join, so one decision costs O(1) instead of O(active).
    """

    def __init__(self, graph: Graph, rows: Iterator[dict[str, Any]]) -> None:
        self._graph = graph
        self._rows = rows
        #: jobs with any active run (pending included)
        self.mask = 0
        #: jobs with a queued or running run
        self.busy_mask = 0
        self.busy: dict[str, int] = {}
        self.locked: set[str] = set()

    def _absorb(self, row: dict[str, Any]) -> None:
        job = row["job_name"]
        self.mask |= self._graph.bit(job)
        if row["status"] in _RUNNING:
            self._hold(job)

    def _hold(self, job: str) -> None:
        self.busy[job] = self.busy.get(job, 0) + 1
        self.busy_mask |= self._graph.bit(job)
        self.locked |= self._graph.state_outputs.get(job, frozenset())

    def blocks(self, job: str) -> bool:
        """Whether an active run keeps ``job`` from moving on (upstream active, job busy, state locked)."""
        if self._blocked(job):
            return True
        for row in self._rows:
            self._absorb(row)
            if self._blocked(job):
                return True
        return False

    def _blocked(self, job: str) -> bool:
        g = self._graph
        spec = g.pipeline.jobs[g.index[job]]
        if spec.max_in_flight and self.busy.get(job, 0) >= spec.max_in_flight:
            return True
        if g.state_outputs[job] & self.locked:
            return True
        if spec.dependency_mode == "chrono":
            return bool(g.neighbours.get(g.index[job], 0) & self.busy_mask)
        if spec.dependency_mode == "immediate":
            return False
        return g.is_blocked_by(job, self.mask)

    def take(self, job: str) -> None:
        """The job's run was just queued: it is busy now, and holds its state resources."""
        self._hold(job)


def decide(
    graph: Graph,
    pending: Iterable[dict[str, Any]],
    active: Iterator[dict[str, Any]],
    now: float,
    inputs_ready: Callable[[str], bool] = lambda job: True,
) -> Decision:
    """``active`` yields (job_name, status) of every active run; ``inputs_ready(job)`` says whether
    every input of the job has something to read (a succeeded upstream run); a run whose inputs are
    not ready stays pending until they are."""
    d = Decision()
    actives = ActiveSet(graph, active)
    for run in pending:
        job = run["job_name"]
        if job not in graph.index:
            d.orphaned.append(run["id"])
            continue
        if run["not_before"] > now:
            d.wake_at = run["not_before"] if d.wake_at is None else min(d.wake_at, run["not_before"])
            actives.take(job)  # a retry waiting out its backoff keeps its place ahead of newer runs
            continue
        if actives.blocks(job):
            continue
        spec = graph.pipeline.jobs[graph.index[job]]
        if spec.dependency_mode != "immediate" and not inputs_ready(job):
            continue
        if spec.approval and not run["approved"]:
            d.await_approval.append(run["id"])
            continue
        d.queue.append(run["id"])
        actives.take(job)
    return d
