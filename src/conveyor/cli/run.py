"""``conveyor run FILE``: apply the pipeline to the embedded store and run it until nothing is left."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from typing import Any

from conveyor.cli.common import STATUS_STYLE, open_service, print_json, run_label
from conveyor.errors import BadInput
from conveyor.model.work import RunSpec
from conveyor.settings import load as load_settings


class Progress:
    """Tracks runs as the pool reports them; drawn live by Rich on a terminal, as lines otherwise."""

    def __init__(self, mode: str) -> None:
        self.mode = mode  # "live" | "lines" | "quiet"
        self.rows: dict[int, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def __call__(self, kind: str, spec: RunSpec, row: dict[str, Any] | None) -> None:
        with self.lock:
            label = run_label(spec.job, spec.number, spec.attempt)
            if kind == "started":
                self.rows[spec.run_id] = {
                    "label": label,
                    "status": "running",
                    "start": time.time(),
                    "end": None,
                }
                if self.mode == "lines":
                    print(f"  {label} started", flush=True)
            else:
                entry = self.rows[spec.run_id]
                entry["end"] = time.time()
                entry["status"] = row["status"] if row else "lost"
                if self.mode == "lines":
                    took = entry["end"] - entry["start"]
                    extra = f": {row['message']}" if row and row["message"] else ""
                    print(f"  {label} {entry['status']} in {took:.2f}s{extra}", flush=True)

    def renderable(self) -> Any:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        table.add_column("job")
        table.add_column("status")
        table.add_column("elapsed", justify="right")
        with self.lock:
            rows = list(self.rows.values())
        running = [r for r in rows if r["end"] is None]
        done = [r for r in rows if r["end"] is not None][-12:]
        for r in done + running:
            style = STATUS_STYLE.get(r["status"], "")
            elapsed = (r["end"] or time.time()) - r["start"]
            table.add_row(r["label"], f"[{style}]{r['status']}[/]", f"{elapsed:.1f}s")
        return table


def run(args: argparse.Namespace) -> int:
    from conveyor.cli.loading import load_pipeline
    from conveyor.worker.local import local_pool, run_pipeline
    from conveyor.worker.orphans import kill_steps_of, remove_stale_workdirs

    if args.concurrency < 1:
        raise BadInput("--concurrency must be at least 1")
    loaded = load_pipeline(args.file)
    pipeline, source = loaded.pipeline, loaded.source

    settings = load_settings()
    service = open_service(settings)
    started = time.time()
    applied = service.apply(pipeline, source, args.file)
    lost = set(service.recover())
    kill_steps_of(settings.work_dir, lost)
    remove_stale_workdirs(settings.work_dir)
    remove_stale_workdirs(settings.scratch_dir)

    tty = sys.stdout.isatty() and not args.json and not args.quiet
    mode = "quiet" if args.json or args.quiet else ("live" if tty else "lines")
    progress = Progress(mode)
    if mode == "lines" and applied.changed:
        print(f"applied {pipeline.name} version {applied.version}", flush=True)
    worker_id = service.register_worker(f"local:{os.uname().nodename}:{os.getpid()}")
    pool = local_pool(
        service, worker_id, args.concurrency, listener=progress, keep_finished=_SUMMARY, prefetch=True
    )
    notifications = _notifications(service, pipeline)
    try:
        if mode == "live":
            from rich.console import Console
            from rich.live import Live

            with Live(
                get_renderable=progress.renderable, console=Console(), refresh_per_second=8, transient=True
            ):
                run_pipeline(service, pool, pipeline.name)
        else:
            run_pipeline(service, pool, pipeline.name)
    finally:
        service.stop_worker(worker_id)
        if notifications is not None:  # each notification tried once; failed ones retry next time
            notifications.stop(drain=settings.notify_drain, pipeline=pipeline.name)
    elapsed = time.time() - started

    finished = pool.finished
    waiting = service.open_runs(pipeline.name)
    final: dict[tuple[str, int], dict[str, Any]] = {}
    for row in finished:
        final[(row["job_name"], row["number"])] = row  # the last attempt decides
    ok = all(r["status"] == "succeeded" for r in final.values())

    if args.json:
        print_json(
            {
                "pipeline": pipeline.name,
                "version": applied.version,
                "applied": applied.changed,
                "new_versions": applied.new_versions,
                "ok": ok,
                "up_to_date": not finished,
                "elapsed": round(elapsed, 4),
                "runs": [_run_json(r) for r in finished],
                "waiting": [_run_json(r) for r in waiting],
            }
        )
        return 0 if ok else 1
    _summary(pipeline.name, applied.version, finished, waiting, elapsed, ok)
    return 0 if ok else 1


def _notifications(service: Any, pipeline: Any) -> Any:
    """The notification sender and gate timeouts, only for a pipeline that uses them (start-up budget)."""
    if any(j.approval is not None and j.approval.timeout is not None for j in pipeline.jobs):
        service.expire_approvals()
    if not pipeline.notifiers:
        return None
    from conveyor.notify.dispatcher import Dispatcher

    return Dispatcher(service).start()


#: what the summary (and ``--json``) shows of a finished run
_SUMMARY = ("id", "job_name", "number", "attempt", "status", "message", "started_at", "finished_at")


def _run_json(r: dict[str, Any]) -> dict[str, Any]:
    took = r["finished_at"] - r["started_at"] if r.get("finished_at") and r.get("started_at") else None
    return {
        "id": r["id"],
        "job": r["job_name"],
        "number": r["number"],
        "attempt": r["attempt"],
        "status": r["status"],
        "message": r["message"],
        "duration": None if took is None else round(took, 4),
    }


def _summary(
    name: str,
    version: int,
    finished: list[dict[str, Any]],
    waiting: list[dict[str, Any]],
    elapsed: float,
    ok: bool,
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if not finished:
        console.print(f"[green]{name} is up to date[/] (pipeline version {version}): nothing to run.")
    else:
        table = Table(title=f"{name} (pipeline version {version})", title_justify="left")
        table.add_column("run", justify="right")
        table.add_column("job")
        table.add_column("status")
        table.add_column("duration", justify="right")
        table.add_column("message", overflow="fold")
        for r in finished:
            style = STATUS_STYLE.get(r["status"], "")
            took = (r["finished_at"] or 0) - (r["started_at"] or 0)
            table.add_row(
                str(r["id"]),
                run_label(r["job_name"], r["number"], r["attempt"]),
                f"[{style}]{r['status']}[/]",
                f"{took:.2f}s",
                r["message"],
            )
        console.print(table)
        counts: dict[str, int] = {}
        for r in finished:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        verdict = "[green]ok[/]" if ok else "[red]failed[/]"
        console.print(f"{verdict}: {parts} in {elapsed:.2f}s")
    for r in waiting:
        label = run_label(r["job_name"], r["number"], r["attempt"])
        if r["status"] == "waiting_approval":
            console.print(f"[magenta]{label} waits for approval[/]: conveyor approve {r['id']}")
        else:
            console.print(f"[dim]{label} is pending: it waits for an upstream job to succeed[/]")
