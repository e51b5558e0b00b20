"""Benchmark: what users read and write when the store holds years of history.

Fills a fresh store (SQLite file, and a fresh PostgreSQL schema) with one pipeline of ``--jobs``
jobs (a binary tree below ``j000``, which a ``params`` resource ``src`` triggers; every job also
reads ``src`` without being triggered by it), ``--versions`` versions of ``src``, ``--runs`` runs
with their inputs, and one event per finished run plus one per version. The pipeline went through
the tree once per "wave" (each wave is one run of every job, reading the newest ``src`` version);
about 3% of runs failed, errored or were cancelled; the newest wave still has running, queued and
pending runs (the pending ones wait out a retry backoff). History is loaded through the store's bulk
path (``SqlTx.bulk_*``); everything measured goes through ``Service``, the code the API, the web UI and
the CLI call.

Each operation runs ``--reps`` times after a short warm-up; the table gives the median and the 99th
percentile in milliseconds, and whether the median is within the 5 ms target.

usage: python bench/scale.py [--backends sqlite,postgres] [--runs 1000000] [--versions 100000]
                             [--jobs 200] [--reps 200] [--queues 100,10000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from conveyor import definitions
from conveyor.model.work import RunResult
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from run import drop_pg_schema, store_url

TARGET_MS = 5.0
PIPELINE = "scale"
RESOURCE = "src"
#: Rows loaded per transaction.
CHUNK = 50_000
DAY = 86_400.0


def parent(i: int) -> int:
    """The tree's shape: job i (> 0) is triggered by job (i - 1) // 2."""
    return (i - 1) // 2


def job_name(i: int) -> str:
    return f"j{i:03d}"


def pipeline_yaml(jobs: int) -> str:
    out = [f"name: {PIPELINE}", "resources:", f"  - {{name: {RESOURCE}, type: params}}", "jobs:"]
    out.append(f"  - {{name: {job_name(0)}, inputs: [{{resource: {RESOURCE}}}], steps: ['true']}}")
    for i in range(1, jobs):
        inputs = f"[{{job: {job_name(parent(i))}}}, {{resource: {RESOURCE}, trigger: false}}]"
        out.append(f"  - {{name: {job_name(i)}, inputs: {inputs}, steps: ['true']}}")
    return "\n".join(out) + "\n"


@dataclass
class Filled:
    """What the filler made: ids the measurements refer to."""

    pipeline_id: int
    job_ids: dict[str, int]
    worker_id: int
    first_run: int
    last_run: int
    runs: int
    versions: int
    events: int
    seconds: float


def _steps(status: str) -> str:
    code = 0 if status == "succeeded" else 1
    return json.dumps([{"name": "true", "status": status, "exit_code": code, "seconds": 0.01}])


def _status(rng: random.Random) -> str:
    x = rng.random()
    if x < 0.02:
        return "failed"
    if x < 0.025:
        return "errored"
    if x < 0.028:
        return "cancelled"
    return "succeeded"


def fill(service: Service, runs: int, versions: int, jobs: int, seed: int = 1) -> Filled:
    """Apply the pipeline, then bulk-load its history: ``versions`` versions, about ``runs`` runs
    (whole waves of ``jobs`` runs) with their inputs, and their events."""
    started = time.perf_counter()
    rng = random.Random(seed)
    pipeline = definitions.load_text(pipeline_yaml(jobs), "scale.yml", default_name=PIPELINE)
    service.apply(pipeline, pipeline_yaml(jobs), "scale.yml")
    for run in service.runs(PIPELINE):  # applying triggered the root: that run is history's too
        if run["status"] in ("pending", "queued"):
            service.cancel(run["id"], "making room for loaded history")
    worker_id = service.register_worker("scale-history", {})
    store = service.store
    with store.read() as tx:
        prow = tx.pipeline_by_name(PIPELINE)
        assert prow is not None
        pid, pversion = prow["id"], prow["current_version"]
        jrows = {j["name"]: j for j in tx.jobs(pid)}
        resource_id = tx.resource_by_name(pid, RESOURCE)["id"]  # type: ignore[index]
        ids = tx.bulk_max_ids()
        numbers = tx.bulk_run_numbers(pid)
    job_ids = {name: int(j["id"]) for name, j in jrows.items()}
    waves = max(1, runs // jobs)
    per_wave = max(1, versions // waves)
    span = 365 * DAY
    t0 = time.time() - span - DAY
    dt = span / (waves * jobs + versions)

    # versions: numbered 1..versions, ids after any already there; one event each
    first_version = ids["versions"] + 1
    event_id = ids["events"]
    version_rows, version_events = [], []
    for n in range(1, versions + 1):
        at = t0 + n * dt * (waves * jobs + versions) / versions
        props = json.dumps({"GIT_SHA": f"{n:040x}", "BRANCH": "main"}, separators=(",", ":"))
        version_rows.append(
            (first_version + n - 1, resource_id, n, f"{n:064x}", props, "{}", "user", "user", None, at)
        )
        event_id += 1
        data = json.dumps({"resource": RESOURCE, "number": n, "by": "user"}, separators=(",", ":"))
        version_events.append((event_id, at, "version.created", pid, None, data))
    for chunk in _chunks(version_rows, CHUNK):
        with store.transaction(pipelined=False) as tx:
            tx.bulk_versions(chunk)
    for chunk in _chunks(version_events, CHUNK):
        with store.transaction(pipelined=False) as tx:
            tx.bulk_events(chunk)
    del version_rows, version_events

    run_id = ids["runs"]
    first_run = run_id + 1
    names = [job_name(i) for i in range(jobs)]
    waves_per_chunk = max(1, CHUNK // jobs)
    in_flight = min(50, jobs // 4)  # of the newest wave's leaves, 1/5 running, 3/5 queued, 1/5 pending
    total_events = versions
    for start in range(0, waves, waves_per_chunk):
        run_rows: list[tuple[Any, ...]] = []
        input_rows: list[tuple[Any, ...]] = []
        event_rows: list[tuple[Any, ...]] = []
        for w in range(start, min(waves, start + waves_per_chunk)):
            last = w == waves - 1
            vnum = min(versions, (w + 1) * per_wave)
            vid = first_version + vnum - 1 if versions else None
            wave_ids: list[int] = []
            for i, name in enumerate(names):
                run_id += 1
                wave_ids.append(run_id)
                numbers[name] += 1
                at = t0 + (w * jobs + i) * dt + vnum * dt
                status = _status(rng)
                not_before = 0.0
                # the newest wave's leaves: some still in flight; the pending ones are retries waiting
                # out a day-long backoff
                if last and i >= jobs - in_flight:
                    k = (i - (jobs - in_flight)) * 50 // in_flight
                    status = "running" if k < 10 else "queued" if k < 40 else "pending"
                    not_before = time.time() + DAY if status == "pending" else 0.0
                finished = status not in ("running", "queued", "pending")
                if i == 0:
                    causes = [{"kind": "version", "resource": RESOURCE, "number": vnum}]
                else:
                    causes = [{"kind": "job", "job": names[parent(i)], "number": numbers[names[parent(i)]]}]
                run_rows.append(
                    (
                        run_id,
                        pid,
                        pversion,
                        job_ids[name],
                        name,
                        numbers[name],
                        1,
                        status,
                        json.dumps(causes, separators=(",", ":")),
                        at,
                        None if status == "pending" else at + 0.001,
                        at + 0.002 if status in ("running",) or finished else None,
                        at + 0.5 if finished else None,
                        worker_id if status == "running" or finished else None,
                        time.time() + 30 * DAY if status == "running" else None,
                        (0 if status == "succeeded" else 1) if finished else None,
                        "" if status == "succeeded" else status,
                        "{}",
                        _steps(status) if finished else "[]",
                        "",
                        not_before,
                    )
                )
                if status == "running" or finished:  # inputs are resolved when a run starts
                    if i:
                        input_rows.append((run_id, names[parent(i)], "job", None, wave_ids[parent(i)]))
                    input_rows.append((run_id, RESOURCE, "resource", vid, None))
                if finished:
                    event_id += 1
                    total_events += 1
                    data = json.dumps({"message": ""}, separators=(",", ":"))
                    event_rows.append((event_id, at + 0.5, f"run.{status}", pid, run_id, data))
        with store.transaction(pipelined=False) as tx:
            tx.bulk_runs(run_rows)
            tx.bulk_run_inputs(input_rows)
            tx.bulk_events(event_rows)
    with store.transaction(pipelined=False) as tx:
        tx.bulk_finish(pid)
    with store.transaction(pipelined=False) as tx:
        tx.bulk_analyze()
    return Filled(
        pipeline_id=pid,
        job_ids=job_ids,
        worker_id=worker_id,
        first_run=first_run,
        last_run=run_id,
        runs=run_id - first_run + 1,
        versions=versions,
        events=total_events,
        seconds=time.perf_counter() - started,
    )


def _chunks(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


# -- measuring ---------------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    samples: list[float]  # seconds

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p99_ms(self) -> float:
        xs = sorted(self.samples)
        return xs[min(len(xs) - 1, round(0.99 * (len(xs) - 1)))] * 1000


def measure(name: str, op: Callable[[int], float | None], reps: int, warmup: int = 3) -> Result:
    """Run ``op(i)`` ``warmup + reps`` times. ``op`` returns the seconds its measured part took, or
    None to be timed whole (for reads, which need no untimed setup)."""
    samples = []
    for i in range(warmup + reps):
        start = time.perf_counter()
        took = op(i)
        whole = time.perf_counter() - start
        if i >= warmup:
            samples.append(whole if took is None else took)
    return Result(name, samples)


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def top_up_queue(service: Service, filled: Filled, size: int, jobs: list[str]) -> None:
    """Bulk-add queued runs (of leaf jobs, spread over ``jobs``) until ``size`` runs are queued."""
    queued = service.status_counts().get("queued", 0)
    if queued >= size:
        return
    now = time.time()
    with service.store.transaction(pipelined=False) as tx:
        run_id = tx.bulk_max_ids()["runs"]
        numbers = tx.bulk_run_numbers(filled.pipeline_id)
        rows = []
        for k in range(size - queued):
            name = jobs[k % len(jobs)]
            run_id += 1
            numbers[name] += 1
            number = numbers[name]
            causes = json.dumps([{"kind": "manual", "by": "bench"}])
            run = (run_id, filled.pipeline_id, 1, filled.job_ids[name], name, number, 1, "queued", causes)
            rows.append((*run, now, now, None, None, None, None, None, "", "{}", "[]", "", 0.0))
        tx.bulk_runs(rows)
        tx.bulk_finish(filled.pipeline_id)


def drain_queue(service: Service) -> None:
    """Cancel whatever is queued, so what follows controls the queue itself."""
    while queued := service.runs_page(PIPELINE, status="queued", limit=500):
        for run in queued:
            service.cancel(run["id"], "bench: emptying the queue")


def operations(
    service: Service, filled: Filled, jobs: int, reps: int, queues: tuple[int, ...] = (100, 10_000)
) -> list[Result]:
    """Every measurement, in an order that leaves each write's setting as the next one expects."""
    rng = random.Random(7)
    mid = (filled.first_run + filled.last_run) // 2
    some_job = job_name(min(jobs - 1, 5))
    deep_version = max(1, filled.versions // 2)
    ids = range(filled.first_run, filled.last_run + 1)
    events_deep = max(0, filled.events // 2)
    out: list[Result] = []

    def read(name: str, fn: Callable[[int], Any]) -> None:
        def whole(i: int) -> None:
            fn(i)

        out.append(measure(name, whole, reps))

    # -- listings (API, web and CLI) -------------------------------------------------------------
    read("runs of pipeline, first page", lambda i: service.runs_page(PIPELINE))
    read("runs of pipeline, deep page", lambda i: service.runs_page(PIPELINE, before=mid))
    read("runs of job, first page", lambda i: service.runs_page(PIPELINE, some_job))
    read("runs of job, deep page", lambda i: service.runs_page(PIPELINE, some_job, before=mid))
    read("runs of job, deep page (CLI)", lambda i: service.runs(PIPELINE, some_job, before=mid))
    read("runs by status failed, first page", lambda i: service.runs_page(status="failed"))
    read(
        "runs by status failed, deep page", lambda i: service.runs_page(PIPELINE, status="failed", before=mid)
    )
    read("runs by status running", lambda i: service.runs_page(PIPELINE, status="running"))
    read("runs of job by status failed", lambda i: service.runs_page(PIPELINE, some_job, "failed"))
    read("versions, first page", lambda i: service.versions(RESOURCE, PIPELINE))
    read("versions, deep page", lambda i: service.versions(RESOURCE, PIPELINE, before=deep_version))
    read("latest version", lambda i: service.versions(RESOURCE, PIPELINE, limit=1))
    read("events, first page", lambda i: service.events(0, 100))
    read("events, deep page", lambda i: service.events(events_deep, 100, PIPELINE))
    read("events by kind run.errored", lambda i: service.events(0, 100, kind="run.errored"))
    read("events of a run", lambda i: service.events(0, 100, run_id=rng.choice(ids)))
    # -- pages ---------------------------------------------------------------------------------------
    read("run view (GET /api/v1/runs/{id})", lambda i: service.run_view(rng.choice(ids)))

    def run_page(i: int) -> None:
        run_id = rng.choice(ids)
        service.run(run_id)
        service.run_lineage(run_id)
        service.timed_log(run_id, 0, 200)

    read("run page (web)", run_page)

    def pipeline_page(i: int) -> None:
        service.pipeline_picture(PIPELINE)
        service.open_runs(PIPELINE)

    read("pipeline page (web)", pipeline_page)

    def job_page(i: int) -> None:
        service.job_detail(PIPELINE, some_job)
        runs = service.runs_page(PIPELINE, some_job, before=mid)
        service.inputs_of_runs([r["id"] for r in runs])

    read("job page, deep (web)", job_page)

    def resource_page(i: int) -> None:
        versions = service.versions(RESOURCE, PIPELINE, 50, deep_version)
        service.resources(PIPELINE)
        service.version_consumers([v["id"] for v in versions], 5)

    read("resource page, deep (web)", resource_page)
    read("home page counts (web)", lambda i: (service.pipelines(), service.status_counts()))

    # -- trigger evaluation ----------------------------------------------------------------------
    worker = service.register_worker("scale-bench", {})
    drain_queue(service)

    def put_version(i: int) -> float:
        took = _timed(lambda: service.put_version(RESOURCE, {"GIT_SHA": f"bench-{i}"}, PIPELINE))
        newest = service.runs(PIPELINE, job_name(0), limit=1)[0]
        if newest["status"] in ("pending", "queued"):
            service.cancel(newest["id"], "bench: the next version starts a new run")
        return took

    out.append(measure("put_version -> trigger root", put_version, reps))

    triggering: list[float] = []

    def complete(i: int) -> None:
        """Lease the oldest queued run and complete it: a tree job's success triggers its two children
        (timed), a leaf's triggers nothing (not timed); an empty queue starts the tree again."""
        specs = service.lease(worker, 1, PIPELINE)
        if not specs:
            service.trigger_job(job_name(0), PIPELINE)
            specs = service.lease(worker, 1, PIPELINE)
        spec = specs[0]
        took = _timed(
            lambda: service.complete(worker, spec.run_id, RunResult(status="succeeded", exit_code=0))
        )
        if int(spec.job[1:]) * 2 + 1 < jobs:
            triggering.append(took)

    i = 0
    while len(triggering) < reps + 3:
        complete(i)
        i += 1
    out.append(Result("complete -> trigger 2 downstream", triggering[3:]))

    # -- leasing with a short and a long queue (leased runs are left running) ---------------------
    drain_queue(service)
    leaf_jobs = [job_name(i) for i in range(jobs // 2, jobs)]
    for size in queues:
        for label, labels in (("", None), (", labelled worker", {"os": "linux", "arch": "x86_64"})):
            top_up_queue(service, filled, size, leaf_jobs)
            taken = 0

            def lease(i: int, labels: dict[str, str] | None = labels, size: int = size) -> float:
                nonlocal taken
                if taken >= 10:
                    top_up_queue(service, filled, size, leaf_jobs)
                    taken = 0
                took = _timed(lambda: service.lease(worker, 1, labels=labels))
                taken += 1
                return took

            out.append(measure(f"lease, queue of {size:,}{label}", lease, reps))
    return out


# -- the table ---------------------------------------------------------------------------------------
def table(results: dict[str, list[Result]], target_ms: float = TARGET_MS) -> str:
    """operation | <backend> median | <backend> p99 | ... | target ok?, as a Markdown table."""
    backends = list(results)
    names = [r.name for r in next(iter(results.values()))] if results else []
    head = ["operation"] + [f"{b} {k} ms" for b in backends for k in ("median", "p99")]
    head.append(f"median <= {target_ms:g} ms?")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for idx, name in enumerate(names):
        cells = [name]
        ok = True
        for b in backends:
            r = results[b][idx]
            cells += [f"{r.median_ms:.3f}", f"{r.p99_ms:.3f}"]
            ok = ok and r.median_ms <= target_ms
        cells.append("ok" if ok else "**no**")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_backend(backend: str, args: argparse.Namespace, work: Path) -> tuple[list[Result], Filled]:
    home = Path(tempfile.mkdtemp(dir=work))
    url, schema = store_url(backend, home)
    store = open_store(url)
    try:
        service = Service(store, Settings(home=home, database_url=url))
        filled = fill(service, args.runs, args.versions, args.jobs)
        print(
            f"{backend}: loaded {filled.runs:,} runs, {filled.versions:,} versions, {filled.events:,} events "
            f"in {filled.seconds:.1f} s",
            file=sys.stderr,
        )
        queues = tuple(int(q) for q in args.queues.split(","))
        return operations(service, filled, args.jobs, args.reps, queues), filled
    finally:
        store.close()
        shutil.rmtree(home, ignore_errors=True)
        if schema:
            drop_pg_schema(schema)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--queues", default="100,10000", help="queue lengths to lease from")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="conveyor-scale-"))
    results = {}
    try:
        for backend in [b for b in args.backends.split(",") if b]:
            results[backend] = run_backend(backend, args, work)[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(
        f"\n{args.runs:,} runs, {args.versions:,} versions, {args.jobs} jobs; {args.reps} reps each; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores\n"
    )
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
