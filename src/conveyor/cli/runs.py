"""``conveyor runs [RUN]``, ``conveyor logs RUN``, ``conveyor approve|reject RUN``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from conveyor.cli.common import STATUS_STYLE, ago, duration, open_service, print_json, remote, run_label, user
from conveyor.service.reads import public_run


def _label(r: dict[str, Any]) -> str:
    return run_label(r["job_name"], r["number"], r["attempt"])


def runs(args: argparse.Namespace) -> int:
    api = remote(args) or open_service()
    if args.run_id is not None:
        return _show(api.run(args.run_id), args.json)
    rows = api.runs(args.pipeline, args.job, limit=args.limit)
    if args.json:
        print_json([public_run(r) for r in rows])
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for col in ("run", "job", "status", "started", "duration"):
        table.add_column(col, no_wrap=True)
    for col in ("cause", "message"):
        table.add_column(col, overflow="fold")
    for r in rows:
        style = STATUS_STYLE.get(r["status"], "")
        causes = public_run(r)["causes"]
        table.add_row(
            str(r["id"]),
            _label(r),
            f"[{style}]{r['status']}[/]",
            ago(r["started_at"]),
            duration(r["started_at"], r["finished_at"]),
            _cause(causes[0]) if causes else "",
            r["message"],
        )
    Console(highlight=False).print(table)
    return 0


def _cause(c: dict[str, Any]) -> str:
    kind = c.get("kind")
    if kind == "version":
        return f"{c['resource']} v{c['number']}"
    if kind == "job":
        return f"{c['job']} #{c['number']}"
    if kind == "pipeline":
        return f"pipeline v{c['version']} ({c.get('reason', '')})"
    if kind == "retry":
        return f"retry of run {c['of']}"
    if kind == "manual":
        return f"manual ({c.get('by', '')})"
    return str(kind)


def _show(run: dict[str, Any], as_json: bool) -> int:
    data = public_run(run)
    data["inputs"] = [
        {
            "name": i["name"],
            "kind": i["kind"],
            "version": i.get("version_number", i.get("version")),
            "upstream_run": i["upstream_run_id"],
        }
        for i in run["inputs"]
    ]
    data["outputs"] = [
        {"resource": o.get("resource_name", o.get("resource")), "version": o.get("number", o.get("version"))}
        for o in run["outputs"]
    ]
    data["events"] = [
        {
            "at": e["at"],
            "kind": e["kind"],
            **(json.loads(e["data"]) if isinstance(e["data"], str) else e["data"]),
        }
        for e in run["events"]
    ]
    if as_json:
        print_json(data)
        return 0
    from rich.console import Console

    c = Console(highlight=False)
    style = STATUS_STYLE.get(run["status"], "")
    c.print(f"[bold]{run['pipeline']} / {_label(run)}[/]  run {run['id']}  [{style}]{run['status']}[/]")
    if run["message"]:
        c.print(f"  {run['message']}")
    c.print(f"  started {ago(run['started_at'])}, took {duration(run['started_at'], run['finished_at'])}")
    c.print("  causes: " + ", ".join(_cause(x) for x in data["causes"]))
    for i in data["inputs"]:
        seen = f"v{i['version']}" if i["kind"] == "resource" else f"run {i['upstream_run']}"
        c.print(f"  in   {i['name']}: {seen if (i['version'] or i['upstream_run']) else 'nothing yet'}")
    for o in data["outputs"]:
        c.print(f"  out  {o['resource']}: v{o['version']}")
    for s in data["steps"]:
        c.print(f"  step [{s.get('phase')}] {s.get('label')}: exit {s.get('exit_code')}")
    if data["properties"]:
        c.print("  properties: " + " ".join(f"{k}={v}" for k, v in data["properties"].items()))
    if data["state_files"]:
        c.print("  state files: " + ", ".join(sorted(data["state_files"])))
    return 0


def logs(args: argparse.Namespace) -> int:
    client = remote(args)
    if args.follow:
        status = _follow(client, args.run_id)
        return 0 if status in ("succeeded", "") else 1
    data = client.logs(args.run_id) if client is not None else open_service().logs(args.run_id)
    sys.stdout.write(data.decode("utf-8", errors="replace"))
    sys.stdout.flush()
    return 0


def _follow(client: Any, run_id: int) -> str:
    """Print the log as it grows until the run ends; returns its final status."""
    if client is not None:
        return str(client.follow_logs(run_id, lambda text: print(text, flush=True)))
    import time

    service = open_service()
    after = 0
    while True:
        status, chunks = service.log_chunks(run_id, after)
        for seq, data in chunks:
            after = seq
            sys.stdout.write(data.decode("utf-8", errors="replace"))
            sys.stdout.flush()
        if status in ("succeeded", "failed", "errored", "timed_out", "cancelled") and not chunks:
            return status
        time.sleep(0.25)


def approve(args: argparse.Namespace) -> int:
    client = remote(args)
    if client is not None:
        run = client.approve(args.run_id, args.comment)
        print(f"{_label(run)} approved")
    else:
        run = open_service().approve(args.run_id, by=user(), comment=args.comment)
        print(f"{_label(run)} approved: it runs on the next `conveyor run`")
    return 0


def reject(args: argparse.Namespace) -> int:
    client = remote(args)
    if client is not None:
        run = client.approve(args.run_id, args.comment, approve=False)
    else:
        run = open_service().approve(args.run_id, by=user(), comment=args.comment, approve=False)
    print(f"{_label(run)} rejected")
    return 0


def cancel(args: argparse.Namespace) -> int:
    client = remote(args)
    if client is not None:
        run = client.cancel(args.run_id, args.reason)
    else:
        run = open_service().cancel(args.run_id, args.reason, by=user())
    state = "is being cancelled" if run["status"] == "running" else run["status"]
    print(f"{_label(run)} {state}")
    return 0
