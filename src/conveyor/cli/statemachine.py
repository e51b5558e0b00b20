"""``conveyor definition apply``, ``conveyor workflow start|get|list|cancel|resume`` and
``conveyor state-resource put|get|delete``: state-machine workflows, embedded or on a server."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from conveyor.cli.common import open_service, parse_pairs, print_json, remote
from conveyor.errors import BadInput, InvalidDefinition

_DONE = ("succeeded", "failed", "cancelled")


def apply(args: argparse.Namespace) -> int:
    from conveyor import statemachine as sm
    from conveyor.definitions.statemachine_file import load_file

    items = load_file(args.file)
    problems = []
    for body, locate in items:
        problems += sm.validate(body, source=args.file, locate=locate)
        if isinstance(body, dict) and not isinstance(body.get("name"), str):
            problems.append(_nameless(args.file, locate))
    if problems:
        raise InvalidDefinition(problems)
    client = remote(args)
    service = None if client else open_service()
    for body, _ in items:
        if client is not None:
            row, changed = _apply_remote(client, body)
        else:
            assert service is not None
            from conveyor.service.sm_views import definition_json

            stored, changed = service.apply_definition(body, args.file)
            row = definition_json(stored)
        what = "applied" if changed else "unchanged"
        print(f"{row['name']}: version {row['version']} {what}")
    return 0


def _nameless(file: str, locate: Any) -> Any:
    from conveyor.errors import Problem

    line, col = (locate(()) if locate else None) or (0, 0)
    return Problem(file, line, col, "a workflow definition needs a name")


def _apply_remote(client: Any, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    from conveyor.errors import NotFound

    name = body["name"]
    try:
        latest = client.json("GET", f"/workflow-definitions/{name}")[0]
    except NotFound:
        return client.json("POST", "/workflow-definitions", json=body), True
    from conveyor import statemachine as sm
    from conveyor.service.statemachines import unchanged

    if unchanged(latest["stateMachine"], latest.get("defaultTags"), sm.load(body)):
        return latest, False
    return client.json("PUT", f"/workflow-definitions/{name}", json=body), True


def _input(text: str | None) -> Any:
    if text is None:
        return {}
    if text.startswith("@"):
        try:
            with open(text[1:], encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            raise BadInput(f"cannot read {text[1:]}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadInput(f"--input is not valid JSON: {exc}") from None


def start(args: argparse.Namespace) -> int:
    value = _input(args.input)
    version = -1 if args.version is None else args.version
    client = remote(args)
    if client is not None:
        body = {
            "workflowDefinition": {"name": args.name, "version": version},
            "input": json.dumps(value),
            "namespace": args.namespace,
        }
        wf = client.json("POST", "/workflows", json=body)
        if args.wait:
            wf = _wait_remote(client, wf["id"])
        return _show_started(args, wf)
    from conveyor.service.sm_views import workflow_json

    service = open_service()
    row = service.start_workflow(args.name, version, value, args.namespace, object_only=False)
    if not args.detach:
        _run_locally(service, row["uid"], args.concurrency)
    return _show_started(args, workflow_json(service.workflow(row["uid"])))


def _run_locally(service: Any, uid: str, concurrency: int) -> None:
    from conveyor.worker.local import local_pool, run_workflow

    worker_id = service.register_worker("cli")
    pool = local_pool(service, worker_id, concurrency)
    try:
        run_workflow(service, pool, uid)
    finally:
        service.stop_worker(worker_id)


def _wait_remote(client: Any, uid: str) -> dict[str, Any]:
    import time

    while True:
        wf: dict[str, Any] = client.json("GET", f"/workflows/{uid}")
        if wf["status"] in _DONE:
            return wf
        time.sleep(0.2)


def _show_started(args: argparse.Namespace, wf: dict[str, Any]) -> int:
    if args.json:
        print_json(wf)
    else:
        print(f"workflow {wf['id']}: {wf['status']}")
        if wf["status"] == "succeeded" and wf.get("output") is not None:
            print(wf["output"])
        elif wf["status"] == "failed":
            print(f"{wf.get('error') or 'failed'}: {wf.get('cause') or ''}".rstrip(": "), file=sys.stderr)
    return 1 if wf["status"] in ("failed", "cancelled") else 0


def get(args: argparse.Namespace) -> int:
    client = remote(args)
    if client is not None:
        wf = client.json("GET", f"/workflows/{args.id}", params={"fetchHistory": "true"})
    else:
        from conveyor.service.sm_views import workflow_json

        wf = workflow_json(open_service().workflow(args.id), history=True)
    if args.json:
        print_json(wf)
        return 0
    _print_workflow(wf)
    return 0


def _print_workflow(wf: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    definition = wf["workflowDefinition"]
    console.print(f"[bold]workflow {wf['id']}[/] — {definition['name']} v{definition.get('version')}")
    console.print(f"status: {wf['status']}" + (f" ({wf['statusReason']})" if wf.get("statusReason") else ""))
    if wf.get("error"):
        console.print(f"error: {wf['error']}: {wf.get('cause') or ''}", markup=False)
    console.print(f"input: {wf['input']}", markup=False)
    if wf.get("output") is not None:
        console.print(f"output: {wf['output']}", markup=False)
    table = Table("state", "type", "status", "worker", "attempts", "started", "stopped")
    for job in wf.get("states") or wf["jobs"]:
        table.add_row(
            job["state"] if not job.get("branch") else f"{job['branch']}/{job['state']}",
            job.get("type") or "",
            job["status"],
            job.get("container") or "",
            str(len(job["attempts"]) + 1),
            job.get("startedAt") or "",
            job.get("stoppedAt") or "",
        )
    console.print(table)


def list_workflows(args: argparse.Namespace) -> int:
    client = remote(args)
    if client is not None:
        params: dict[str, Any] = {"workflowDefinitionName": args.definition, "limit": args.limit}
        if args.status:
            params["status"] = args.status
        rows = client.json("GET", "/workflows", params={**params, "summaryOnly": "true"})
    else:
        from conveyor.service.sm_views import workflow_json

        page, _ = open_service().workflows(args.definition, args.status, limit=args.limit)
        rows = [workflow_json(r, summary_only=True) for r in page]
    if args.json:
        print_json(rows)
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "version", "status", "created", "stopped", "retry for")
    for wf in rows:
        table.add_row(
            wf["id"],
            str(wf["workflowDefinition"].get("version")),
            wf["status"],
            wf.get("createdAt") or "",
            wf.get("stoppedAt") or "",
            wf.get("retryFor") or "",
        )
    Console().print(table)
    return 0


def cancel(args: argparse.Namespace) -> int:
    client = remote(args)
    if client is not None:
        client.request("DELETE", f"/workflows/{args.id}", json={"reason": args.reason})
    else:
        open_service().cancel_workflow(args.id, args.reason)
    print(f"workflow {args.id}: cancelled")
    return 0


def resume(args: argparse.Namespace) -> int:
    client = remote(args)
    if client is not None:
        wf = client.json("POST", f"/workflows/{args.id}", json={"StartAt": args.start_at})
        if args.wait:
            wf = _wait_remote(client, wf["id"])
        return _show_started(args, wf)
    from conveyor.service.sm_views import workflow_json

    service = open_service()
    row = service.resume_workflow(args.id, args.start_at)
    if not args.detach:
        _run_locally(service, row["uid"], args.concurrency)
    return _show_started(args, workflow_json(service.workflow(row["uid"])))


def put_resource(args: argparse.Namespace) -> int:
    from conveyor.service.sm_views import state_resource_json

    labels = parse_pairs(args.label) if args.label else None
    client = remote(args)
    if client is not None:
        body: dict[str, Any] = {"name": args.name, "namespace": args.namespace, "uri": args.uri}
        if labels:
            body["runsOn"] = labels
        row = client.json("POST", "/state-resources", json=body)
    else:
        row = state_resource_json(
            open_service().put_state_resource(args.namespace, args.name, args.uri, labels)
        )
    if args.json:
        print_json(row)
    else:
        print(f"state resource {args.name}: {row['uri']}")
    return 0


def get_resource(args: argparse.Namespace) -> int:
    from conveyor.service.sm_views import state_resource_json

    client = remote(args)
    if client is not None:
        row = client.json("GET", _resource_path(args.namespace, args.name))
    else:
        row = state_resource_json(open_service().state_resource(args.namespace, args.name))
    print_json(row)
    return 0


def delete_resource(args: argparse.Namespace) -> int:
    client = remote(args)
    if client is not None:
        client.request("DELETE", _resource_path(args.namespace, args.name))
    else:
        open_service().delete_state_resource(args.namespace, args.name)
    print(f"state resource {args.name}: deleted")
    return 0


def _resource_path(namespace: str, name: str) -> str:
    from urllib.parse import quote

    name = quote(name, safe="")
    return f"/state-resources/{quote(namespace, safe='')}/{name}" if namespace else f"/state-resources/{name}"
