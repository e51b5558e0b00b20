"""A plain-text picture of an imported pipeline's graph (resources -> jobs -> resources), for a terminal.

Jobs are listed upstream first (a job after every job it reads from, directly or through a resource it
writes), each with what it reads (``<-``) and writes (``->``), so the flow reads top to bottom without
drawing. Shippable's types and the settings conveyor keeps aside are shown next to each name: this is what a
user checks before running an imported line.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from conveyor.definitions.importers.shippable.records import (
    InStep,
    JobExtras,
    ResourceExtras,
    ShippableImport,
)
from conveyor.model.pipeline import Job, Pipeline


def render_graph(result: ShippableImport) -> str:
    """The graph as text lines (no colour, no box drawing: it goes to logs and pipes too)."""
    p = result.pipeline
    extras = result.extras
    external = sum(1 for r in extras.resources.values() if r.origin == "external")
    stuck = [j for j in extras.jobs.values() if not j.runnable]
    out = [
        f"pipeline {p.name}: {_count(len(p.resources) - external, 'resource')}"
        + (f" (+{external} external)" if external else "")
        + f", {_count(len(p.jobs), 'job')}"
        + (f" ({len(stuck)} conveyor cannot run)" if stuck else ""),
        f"from {', '.join(extras.files)}",
        "",
        "resources:",
    ]
    width = max((len(r.name) for r in p.resources), default=0)
    readers, writers = _edges(p)
    for resource in p.resources:
        kind = _resource_kind(extras.resources.get(resource.name), resource.type)
        flow = []
        if writers.get(resource.name):
            flow.append(f"written by {', '.join(writers[resource.name])}")
        if readers.get(resource.name):
            flow.append(f"read by {', '.join(readers[resource.name])}")
        out.append(f"  {resource.name.ljust(width)}  {kind}" + (f"  ({'; '.join(flow)})" if flow else ""))
    out.append("")
    out.append("jobs, upstream first:")
    for job in _upstream_first(p):
        info = extras.jobs.get(job.name)
        out.append(f"  {job.name}  {_job_kind(info)}")
        steps = {i.name: i for i in info.inputs} if info else {}
        for i in job.inputs:
            out.append(
                f"      <- {i.name}  {_input_kind(i.kind, steps.get(i.name), extras.resources, i.trigger)}"
            )
        for name in job.outputs:
            res = extras.resources.get(name)
            out.append(f"      -> {name}  {_resource_kind(res, '')}")
        if info is not None:
            for target in info.outputs:
                if target.kind == "job":
                    out.append(f"      => {target.name}  (job: runs after this one)")
    if result.problems or result.warnings:
        out.append("")
        out.append(f"{_count(len(result.problems), 'error')}, {_count(len(result.warnings), 'warning')}")
    return "\n".join(out) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _resource_kind(info: ResourceExtras | None, native: str) -> str:
    if info is None:
        return f"[{native}]"
    if info.origin == "external":
        return "[external: not defined in these files]"
    mapped = "" if info.shippable_type == info.native_type else f" as {info.native_type}"
    return f"[{info.shippable_type}{mapped}]"


def _job_kind(info: JobExtras | None) -> str:
    if info is None:
        return ""
    parts = [info.shippable_type or "(no type)"]
    if not info.runnable:
        parts.append("NOT RUNNABLE")
    if info.dependency_mode:
        parts.append(f"dependencyMode {info.dependency_mode}")
    if info.trigger_mode:
        parts.append(f"triggerMode {info.trigger_mode}")
    return f"[{', '.join(parts)}]"


def _input_kind(
    kind: str, step: InStep | None, resources: Mapping[str, ResourceExtras], trigger: bool
) -> str:
    res = resources.get(step.name) if step is not None else None
    if kind == "job":
        parts = ["job"]
    elif res is not None and res.origin == "external":
        parts = ["external"]
    else:
        parts = [_resource_kind(res, "resource").strip("[]")]
    if step is None and kind == "job":
        parts.append("its OUT names this job")
    if step is not None:
        if step.switch_off:
            parts.append("switch off")
        elif not trigger:
            parts.append("never triggers")
        if step.version_name is not None:
            parts.append(f"pinned versionName {step.version_name}")
        if step.version_number is not None:
            parts.append(f"pinned versionNumber {step.version_number}")
        if step.dependency_mode:
            parts.append(f"dependencyMode {step.dependency_mode}")
    return f"({', '.join(parts)})"


def _edges(p: Pipeline) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    readers: dict[str, list[str]] = {}
    writers: dict[str, list[str]] = {}
    for job in p.jobs:
        for i in job.resource_inputs:
            readers.setdefault(i.name, []).append(job.name)
        for name in job.outputs:
            writers.setdefault(name, []).append(job.name)
    return readers, writers


def _upstream_first(p: Pipeline) -> list[Job]:
    """Jobs in dependency order (Kahn's algorithm, file order among equals); jobs in a cycle (e.g. through
    a shared state resource) follow in file order."""
    index = {j.name: n for n, j in enumerate(p.jobs)}
    state = {r.name for r in p.resources if r.type == "state"}
    writers: dict[str, list[int]] = {}
    for n, job in enumerate(p.jobs):
        for name in job.outputs:
            if name not in state:
                writers.setdefault(name, []).append(n)
    after: list[set[int]] = [set() for _ in p.jobs]
    for n, job in enumerate(p.jobs):
        for i in job.inputs:
            sources = [index[i.name]] if i.kind == "job" and i.name in index else writers.get(i.name, [])
            after[n].update(s for s in sources if s != n)
    waiting = [len(a) for a in after]
    before: list[list[int]] = [[] for _ in p.jobs]
    for n, upstream in enumerate(after):
        for s in upstream:
            before[s].append(n)
    ready = [n for n, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    done: list[int] = []
    while ready:
        n = heapq.heappop(ready)
        done.append(n)
        for m in before[n]:
            waiting[m] -= 1
            if waiting[m] == 0:
                heapq.heappush(ready, m)
    seen = set(done)
    done.extend(n for n in range(len(p.jobs)) if n not in seen)
    return [p.jobs[n] for n in done]
