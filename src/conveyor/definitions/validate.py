"""Graph checks on a built pipeline, after the shape checks: every problem, each where it was written.

They run on the model rather than on YAML so that every format (native and the importers) shares one set of
rules (like Concourse's ``configvalidate``). The model keeps locations for resources, jobs and inputs; what
it does not keep (outputs, property keys) a front end may pass in ``Where``; without it, problems point at
the job or resource.

Everything is linear in the size of the pipeline: the cycle search is an iterative Tarjan (no recursion
limit at 10,000 jobs), and a resource fanning out from many writers to many readers becomes one graph node
instead of writers x readers edges.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from itertools import pairwise

from conveyor.definitions.hints import Suggester
from conveyor.errors import Problem
from conveyor.model.pipeline import Input, Job, Location, Pipeline

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: A cycle longer than this many hops is shown as its start and end only.
_CYCLE_SHOWN = 12


class Where:
    """Locations the model has no room for; keys are positions in ``Pipeline.jobs``/``resources``."""

    __slots__ = ("outputs", "properties", "source")

    def __init__(self) -> None:
        #: (job index, output index) -> where the output is named
        self.outputs: dict[tuple[int, int], Location] = {}
        #: (resource index, property key) -> where the key is written
        self.properties: dict[tuple[int, str], Location] = {}
        #: (resource index, source key) -> where the key is written
        self.source: dict[tuple[int, str], Location] = {}


def check_graph(pipeline: Pipeline, where: Where | None = None) -> list[Problem]:
    """Every graph problem in ``pipeline`` (unsorted)."""
    return _Graph(pipeline, where or Where()).check()


def _problem(loc: Location, message: str) -> Problem:
    return Problem(loc.file, loc.line, loc.col, message)


class _Graph:
    def __init__(self, pipeline: Pipeline, where: Where) -> None:
        self.p = pipeline
        self.where = where
        self.problems: list[Problem] = []
        self.suggest = Suggester()
        self.jobs: dict[str, int] = {}
        self.resources: dict[str, int] = {}

    def check(self) -> list[Problem]:
        self._names()
        self._params_keys()
        self._sources()
        for index, job in enumerate(self.p.jobs):
            self._inputs(job)
            self._outputs(index, job)
        self._cycles()
        return self.problems

    def _names(self) -> None:
        for index, r in enumerate(self.p.resources):
            first = self.resources.setdefault(r.name, index)
            if first != index:
                line = self.p.resources[first].location.line
                self.problems.append(
                    _problem(r.location, f"resource {r.name!r} is defined twice (first at line {line})")
                )
        for index, j in enumerate(self.p.jobs):
            first = self.jobs.setdefault(j.name, index)
            if first != index:
                line = self.p.jobs[first].location.line
                self.problems.append(
                    _problem(j.location, f"job {j.name!r} is defined twice (first at line {line})")
                )
            elif j.name in self.resources:
                line = self.p.resources[self.resources[j.name]].location.line
                self.problems.append(
                    _problem(
                        j.location,
                        f"name {j.name!r} is used by both a job and a resource (the resource at line "
                        f"{line}); inputs are materialised by name, so names must be unique",
                    )
                )

    def _sources(self) -> None:
        """What a resource's ``source`` says must make sense for its type (a cron line that parses...)."""
        from conveyor.engine.checks import source_problems

        for index, r in enumerate(self.p.resources):
            for key, message in source_problems(r.type, dict(r.source)):
                loc = self.where.source.get((index, key), r.location) if key else r.location
                self.problems.append(_problem(loc, f"resource {r.name!r}: {message}"))

    def _params_keys(self) -> None:
        """A params resource's properties become environment variables of the steps that read it."""
        for index, r in enumerate(self.p.resources):
            if r.type != "params":
                continue
            for key, _ in r.properties:
                if not _ENV_NAME.match(key):
                    loc = self.where.properties.get((index, key), r.location)
                    self.problems.append(
                        _problem(
                            loc,
                            f"invalid property {key!r} of params resource {r.name!r}: params properties are "
                            "exported to steps as environment variables, so use letters, digits and '_', "
                            "not starting with a digit",
                        )
                    )

    def _inputs(self, job: Job) -> None:
        seen: dict[tuple[str, str], Input] = {}
        for i in job.inputs:
            first = seen.setdefault((i.kind, i.name), i)
            if first is not i:
                self.problems.append(
                    _problem(
                        i.location,
                        f"input {i.name!r} is listed twice in job {job.name!r} "
                        f"(first at line {first.location.line})",
                    )
                )
                continue
            if i.kind == "job" and i.name == job.name:
                self.problems.append(_problem(i.location, f"job {job.name!r} takes itself as an input"))
                continue
            names, other, other_kind = (
                (self.jobs, self.resources, "resource")
                if i.kind == "job"
                else (self.resources, self.jobs, "job")
            )
            if i.name not in names:
                if i.name in other:
                    hint = f" ({i.name!r} is a {other_kind}: write '{other_kind}: {i.name}')"
                else:
                    hint = self.suggest.did_you_mean(i.name, names)
                self.problems.append(_problem(i.location, f"input {i.name!r} names no {i.kind}{hint}"))
            for upstream in i.passed:
                self._passed(job, i, upstream)

    def _passed(self, job: Job, i: Input, upstream: str) -> None:
        """``passed: [J]`` on input R: J must be another job that reads R too."""
        if upstream == job.name:
            self.problems.append(
                _problem(i.location, f"input {i.name!r} of job {job.name!r} cannot pass itself")
            )
            return
        index = self.jobs.get(upstream)
        if index is None:
            hint = self.suggest.did_you_mean(upstream, self.jobs)
            self.problems.append(_problem(i.location, f"passed: {upstream!r} names no job{hint}"))
            return
        if not any(u.kind == "resource" and u.name == i.name for u in self.p.jobs[index].inputs):
            self.problems.append(
                _problem(
                    i.location,
                    f"passed: job {upstream!r} does not read resource {i.name!r}, so no version passes it",
                )
            )

    def _outputs(self, index: int, job: Job) -> None:
        seen: set[str] = set()
        for n, name in enumerate(job.outputs):
            loc = self.where.outputs.get((index, n), job.location)
            if name in seen:
                self.problems.append(_problem(loc, f"output {name!r} is listed twice in job {job.name!r}"))
                continue
            seen.add(name)
            if name not in self.resources:
                hint = (
                    f" ({name!r} is a job; outputs are resources)"
                    if name in self.jobs
                    else self.suggest.did_you_mean(name, self.resources)
                )
                self.problems.append(_problem(loc, f"output {name!r} names no resource{hint}"))

    # -- cycles ------------------------------------------------------------------------------------------

    def _cycles(self) -> None:
        graph = _JobGraph(self.p, self.jobs)
        for component in _strongly_connected(graph.edges):
            jobs_in = [n for n in component if n < graph.njobs]
            if len(jobs_in) < 2:
                continue
            start = min(jobs_in)
            path = graph.shortest_cycle(start, set(component))
            self.problems.append(graph.problem(path))


class _JobGraph:
    """Jobs are nodes ``0..njobs-1``; a resource with several writers and readers gets a node of its own.

    Edges: ``upstream -> job`` for each job input; ``writer -(resource)-> reader`` when a job outputs a
    resource that another job takes as a triggering input.
    """

    def __init__(self, pipeline: Pipeline, jobs: dict[str, int]) -> None:
        self.p = pipeline
        self.njobs = len(pipeline.jobs)
        #: node -> {target: resource label ("" for a job input or a hop into a resource node)}
        self.edges: list[dict[int, str]] = [{} for _ in range(self.njobs)]
        self.resource_names: list[str] = []
        writers: dict[str, list[int]] = {}
        readers: dict[str, list[int]] = {}
        for y, job in enumerate(pipeline.jobs):
            for i in job.inputs:
                if i.kind == "job":
                    x = jobs.get(i.name)
                    if x is not None and x != y:
                        self.edges[x][y] = ""
                elif i.trigger:
                    readers.setdefault(i.name, []).append(y)
            for name in job.outputs:
                writers.setdefault(name, []).append(y)
        for name, ws in writers.items():
            rs = readers.get(name)
            if not rs:
                continue
            ws, rs = list(dict.fromkeys(ws)), list(dict.fromkeys(rs))
            if len(ws) > 1 and len(rs) > 1 and not set(ws) & set(rs):
                node = self.njobs + len(self.resource_names)
                self.resource_names.append(name)
                self.edges.append({y: "" for y in rs})
                for x in ws:
                    self.edges[x].setdefault(node, "")
            else:  # a job's own output never triggers itself, so these are direct edges
                for x in ws:
                    for y in rs:
                        if x != y:
                            self.edges[x].setdefault(y, name)

    def shortest_cycle(self, start: int, component: set[int]) -> list[int]:
        """Nodes of a shortest cycle through ``start`` inside one strongly connected component."""
        parent: dict[int, int] = {}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for target in self.edges[node]:
                if target not in component:
                    continue
                if target == start:
                    path = [start, node]
                    while node != start:
                        node = parent[node]
                        path.append(node)
                    path.reverse()
                    return path
                if target not in parent:
                    parent[target] = node
                    queue.append(target)
        raise AssertionError("a strongly connected component always has a cycle")  # pragma: no cover

    def problem(self, path: list[int]) -> Problem:
        """``cycle among jobs: a -> b -(app-image)-> c -> a``, located at the input that closes it."""
        jobs = self.p.jobs
        hops: list[str] = []
        via_resource: list[tuple[str, str]] = []  # (resource, reading job)
        pending = ""
        for a, b in pairwise(path):
            if b >= self.njobs:
                pending = self.resource_names[b - self.njobs]
                continue
            label = pending or self.edges[a][b]
            pending = ""
            hops.append(f" -({label})-> {jobs[b].name}" if label else f" -> {jobs[b].name}")
            if label:
                via_resource.append((label, jobs[b].name))
        if len(hops) > _CYCLE_SHOWN:
            left = len(hops) - _CYCLE_SHOWN
            hops[_CYCLE_SHOWN - 3 : -3] = [f" -> ... ({left} more jobs) ..."]
        message = f"cycle among jobs: {jobs[path[0]].name}{''.join(hops)}"
        if via_resource:
            resource, reader = via_resource[0]
            message += (
                f"; marking an input 'trigger: false' breaks a resource cycle "
                f"(e.g. input {resource!r} of job {reader!r})"
            )
        start = jobs[path[0]]
        closing = _closing_input(start, jobs[path[-2]].name if path[-2] < self.njobs else "", via_resource)
        return _problem(closing.location if closing else start.location, message)


def _closing_input(job: Job, previous: str, via_resource: list[tuple[str, str]]) -> Input | None:
    """The input of the cycle's first job that the cycle enters through."""
    for i in job.inputs:
        if i.kind == "job" and i.name == previous:
            return i
    for resource, reader in reversed(via_resource):
        if reader == job.name:
            for i in job.inputs:
                if i.kind == "resource" and i.name == resource:
                    return i
    return None


def _strongly_connected(edges: list[dict[int, str]]) -> Iterable[list[int]]:
    """Tarjan's algorithm without recursion; yields components with more than one node."""
    index_of: list[int] = [-1] * len(edges)
    low: list[int] = [0] * len(edges)
    on_stack: list[bool] = [False] * len(edges)
    stack: list[int] = []
    counter = 0
    for root in range(len(edges)):
        if index_of[root] != -1:
            continue
        work: list[tuple[int, Iterable[int]]] = [(root, iter(edges[root]))]
        index_of[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            node, targets = work[-1]
            advanced = False
            for target in targets:
                if index_of[target] == -1:
                    index_of[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack[target] = True
                    work.append((target, iter(edges[target])))
                    advanced = True
                    break
                if on_stack[target] and index_of[target] < low[node]:
                    low[node] = index_of[target]
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                if low[node] < low[parent]:
                    low[parent] = low[node]
            if low[node] == index_of[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    yield component
