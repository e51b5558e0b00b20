"""The job graph of one pipeline version, precomputed once for the scheduler's hot path.

Only *triggering* edges matter here: a job input that triggers (upstream job -> job), and a resource
that one job outputs and another takes as a triggering input (producer -> consumer). Validation
guarantees these edges are acyclic. Ancestor sets are Python ints used as bitsets, so "is any
ancestor of J active?" is one AND however large the pipeline is.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from conveyor.model.pipeline import Pipeline


@dataclass
class Graph:
    pipeline: Pipeline
    index: dict[str, int] = field(default_factory=dict)
    #: job -> bitset of every job upstream of it through triggering edges.
    ancestors: list[int] = field(default_factory=list)
    #: upstream job -> jobs its success starts.
    job_consumers: dict[str, list[str]] = field(default_factory=dict)
    #: resource -> jobs a new version of it starts.
    resource_consumers: dict[str, list[str]] = field(default_factory=dict)
    #: job -> state resources it writes; jobs sharing one never run at the same time.
    state_outputs: dict[str, frozenset[str]] = field(default_factory=dict)
    #: jobs upstream first, for display.
    order: list[str] = field(default_factory=list)
    #: chrono job's index -> bitset of the jobs directly connected to it by triggering edges (parents
    #: and children): a ``chrono`` job never runs beside one of them. Only chrono jobs have one: a
    #: bitset per job would be quadratic (each of a 10,000-job fan-out's leaves reaching its join's bit).
    neighbours: dict[int, int] = field(default_factory=dict)

    def is_blocked_by(self, job: str, active_mask: int) -> bool:
        return bool(self.ancestors[self.index[job]] & active_mask)

    def bit(self, job: str) -> int:
        i = self.index.get(job)
        return 0 if i is None else 1 << i


def build(pipeline: Pipeline) -> Graph:
    g = Graph(pipeline=pipeline)
    jobs = pipeline.jobs
    g.index = {j.name: i for i, j in enumerate(jobs)}
    producers: dict[str, list[str]] = {}
    for j in jobs:
        for out in j.outputs:
            producers.setdefault(out, []).append(j.name)
    state_types = {r.name for r in pipeline.resources if r.type == "state"}
    parents: list[list[int]] = [[] for _ in jobs]
    for j in jobs:
        me = g.index[j.name]
        g.state_outputs[j.name] = frozenset(o for o in j.outputs if o in state_types)
        for inp in j.inputs:
            if not inp.trigger:
                continue
            if inp.passed:  # the upstream jobs' success starts it, not the resource's new versions
                for upstream in inp.passed:
                    if upstream != j.name and j.name not in g.job_consumers.get(upstream, []):
                        g.job_consumers.setdefault(upstream, []).append(j.name)
                    if upstream in g.index and upstream != j.name:
                        parents[me].append(g.index[upstream])
                continue
            if inp.kind == "job":
                g.job_consumers.setdefault(inp.name, []).append(j.name)
                if inp.name in g.index:
                    parents[me].append(g.index[inp.name])
            else:
                g.resource_consumers.setdefault(inp.name, []).append(j.name)
                for producer in producers.get(inp.name, ()):
                    if producer != j.name:
                        parents[me].append(g.index[producer])
    children: list[list[int]] = [[] for _ in jobs]
    indegree = [0] * len(jobs)
    for child, ps in enumerate(parents):
        for p in set(ps):
            children[p].append(child)
            indegree[child] += 1
    for i, j in enumerate(jobs):
        if j.dependency_mode == "chrono":
            mask = 0
            for other in (*parents[i], *children[i]):
                mask |= 1 << other
            g.neighbours[i] = mask
    ready = deque(i for i, d in enumerate(indegree) if d == 0)
    ancestors = [0] * len(jobs)
    while ready:
        i = ready.popleft()
        for c in children[i]:
            ancestors[c] |= ancestors[i] | (1 << i)
            indegree[c] -= 1
            if indegree[c] == 0:
                ready.append(c)
    g.ancestors = ancestors
    g.order = _display_order(pipeline, g.index)
    return g


def _display_order(pipeline: Pipeline, index: dict[str, int]) -> list[str]:
    """Upstream first along every job input, triggering or not (those may form cycles: any job
    left over is appended in file order)."""
    jobs = pipeline.jobs
    children: list[list[int]] = [[] for _ in jobs]
    indegree = [0] * len(jobs)
    for j in jobs:
        for parent in {i.name for i in j.job_inputs if i.name in index and i.name != j.name}:
            children[index[parent]].append(index[j.name])
            indegree[index[j.name]] += 1
    ready = deque(i for i, d in enumerate(indegree) if d == 0)
    order: list[int] = []
    while ready:
        i = ready.popleft()
        order.append(i)
        for c in children[i]:
            indegree[c] -= 1
            if indegree[c] == 0:
                ready.append(c)
    seen = set(order)
    order.extend(i for i in range(len(jobs)) if i not in seen)
    return [jobs[i].name for i in order]
