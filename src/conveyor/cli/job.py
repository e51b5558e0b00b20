"""``conveyor job trigger``."""

from __future__ import annotations

import argparse

from conveyor.cli.common import open_service, print_json


def trigger(args: argparse.Namespace) -> int:
    run = open_service().trigger_job(args.name, args.pipeline)
    if args.json:
        print_json(run)
    else:
        print(
            f"{args.name} #{run['number']} is {run['status']} (run {run['id']}); `conveyor run FILE` runs it"
        )
    return 0
