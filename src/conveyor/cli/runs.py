"""``conveyor runs [RUN]``, ``conveyor logs RUN``, ``conveyor approve|reject RUN``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from conveyor.cli.common import STATUS_STYLE, ago, duration, open_service, print_json


def _label(r: dict[str, Any]) -> str:
    return f"{r['job_name']} #{r['number']}" + (f".{r['attempt']}" if r["attempt"] > 1 else "")


def runs(args: argparse.Namespace) -> int:
    service = open_service()
    if args.run_id is not None:
        return _show(service.run(args.run_id), args.json)
    rows = service.runs(args.pipeline, args.job, limit=args.limit)
    if args.json:
        print_json([_decoded(r) for r in rows])
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
        causes = json.loads(r["causes"])
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


def _decoded(r: dict[str, Any]) -> dict[str, Any]:
    out = dict(r)
    for key in ("causes", "properties", "steps", "state_files"):
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key])
    return out


def _show(run: dict[str, Any], as_json: bool) -> int:
    data = _decoded(run)
    data["inputs"] = [
        {
            "name": i["name"],
            "kind": i["kind"],
            "version": i["version_number"],
            "upstream_run": i["upstream_run_id"],
        }
        for i in run["inputs"]
    ]
    data["outputs"] = [{"resource": o["resource_name"], "version": o["number"]} for o in run["outputs"]]
    data["events"] = [{"at": e["at"], "kind": e["kind"], **json.loads(e["data"])} for e in run["events"]]
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
    data = open_service().logs(args.run_id)
    sys.stdout.write(data.decode("utf-8", errors="replace"))
    sys.stdout.flush()
    return 0


def approve(args: argparse.Namespace) -> int:
    run = open_service().approve(args.run_id, by=_user(), comment=args.comment)
    print(f"{_label(run)} approved: it runs on the next `conveyor run`")
    return 0


def reject(args: argparse.Namespace) -> int:
    run = open_service().approve(args.run_id, by=_user(), comment=args.comment, approve=False)
    print(f"{_label(run)} rejected")
    return 0


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "user"
