"""``conveyor workflow get|list``: one noun for both kinds of workflow, dispatched by what the id names.

A state-machine workflow (started from a definition) and a Tinkerbell workflow (rendered from a template)
both have UUIDs; ``get`` shows a state-machine one in full when the id names one, and Tinkerbell ones
otherwise; ``list --definition NAME`` lists a definition's workflows, plain ``list`` Tinkerbell's.
"""

from __future__ import annotations

import argparse

from conveyor.cli import statemachine, tinkerbell_workflow
from conveyor.cli.common import open_service, remote
from conveyor.errors import NotFound


def _is_state_machine(args: argparse.Namespace, uid: str) -> bool:
    client = remote(args)
    try:
        if client is not None:
            client.json("GET", f"/workflows/{uid}")
        else:
            open_service().workflow(uid)
    except NotFound:
        return False
    return True


def get(args: argparse.Namespace) -> int:
    if len(args.ids) == 1 and not args.rendered and _is_state_machine(args, args.ids[0]):
        args.id = args.ids[0]
        args.json = args.json or args.format == "json"
        return statemachine.get(args)
    if args.json:
        args.format = "json"
    return tinkerbell_workflow.get(args)


def list_workflows(args: argparse.Namespace) -> int:
    if args.definition:
        args.json = args.json or args.format == "json"
        return statemachine.list_workflows(args)
    if args.json:
        args.format = "json"
    return tinkerbell_workflow.list_workflows(args)
