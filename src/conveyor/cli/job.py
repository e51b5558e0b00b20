"""``conveyor job trigger``."""

from __future__ import annotations

import argparse

from conveyor.cli.common import open_service, print_json, remote


def trigger(args: argparse.Namespace) -> int:
    client = remote(args)
    run = (client or open_service()).trigger_job(args.name, args.pipeline)
    if args.json:
        print_json(run)
        return 0
    where = "" if client is not None else "; `conveyor run FILE` runs it"
    print(f"{args.name} #{run['number']} is {run['status']} (run {run['id']}){where}")
    return 0
