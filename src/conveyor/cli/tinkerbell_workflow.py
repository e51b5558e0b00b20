"""``conveyor workflow create|get|list|delete|state|events|data`` for Tinkerbell workflows."""

from __future__ import annotations

import argparse
import sys

from conveyor.cli.tink_output import backend as _api
from conveyor.cli.tink_output import delete_each, each, emit


def create(args: argparse.Namespace) -> int:
    record = _api(args).tink_create_workflow(args.template, args.hardware)
    print(f"Created Workflow:  {record['id']}")
    return 0


def get(args: argparse.Namespace) -> int:
    api = _api(args)
    records = each(args.ids, api.tink_workflow) if args.ids else api.tink_workflows()
    if args.rendered:
        for w in records:
            sys.stdout.write(w["data"])
        return 0
    rows = [(w["id"], w["template_id"], w["state"], w["created_at"], w["updated_at"]) for w in records]
    headers = ("ID", "Template ID", "State", "Created At", "Updated At")
    emit(args.format, headers, rows, records, args.no_headers)
    return 0


def list_workflows(args: argparse.Namespace) -> int:
    records = _api(args).tink_workflows()
    if args.quiet:
        for w in records:
            print(w["id"])
        return 0
    rows = [(w["id"], w["template_id"], w["hardware"], w["created_at"], w["updated_at"]) for w in records]
    headers = ("Workflow ID", "Template ID", "Hardware device", "Created At", "Updated At")
    emit(args.format, headers, rows, records, args.no_headers)
    return 0


def delete(args: argparse.Namespace) -> int:
    return delete_each(args.ids, _api(args).tink_delete_workflow)


def state(args: argparse.Namespace) -> int:
    context = _api(args).tink_workflow_state(args.id)
    rows = [
        ("Workflow ID", context["workflow_id"]),
        ("Workflow Progress", context["progress"]),
        ("Current Task", context["current_task"]),
        ("Current Action", context["current_action"]),
        ("Current Worker", context["current_worker"]),
        ("Current Action State", context["current_action_state"]),
    ]
    emit(args.format, ("Field Name", "Values"), rows, [context])
    return 0


def events(args: argparse.Namespace) -> int:
    records = _api(args).tink_workflow_events(args.id)
    rows = [
        (e["worker_id"], e["task_name"], e["action_name"], e["seconds"], e["message"], e["status"])
        for e in records
    ]
    headers = ("Worker ID", "Task Name", "Action Name", "Execution Time", "Message", "Action Status")
    emit(args.format, headers, rows, records, args.no_headers)
    return 0


def data(args: argparse.Namespace) -> int:
    """The data (or metadata) of a version (default: the latest), or with ``--latest`` its number."""
    api = _api(args)
    if args.latest:
        print(f"Latest workflow data version: {api.tink_data_version(args.id)}")
        return 0
    blob = api.tink_data(args.id, args.version, args.metadata)
    sys.stdout.write(blob.decode("utf-8", "replace"))
    if blob and not blob.endswith(b"\n"):
        sys.stdout.write("\n")
    return 0
