"""``conveyor validate`` and ``conveyor schema``."""

from __future__ import annotations

import argparse
import json
import sys


def validate(args: argparse.Namespace) -> int:
    from conveyor import definitions
    from conveyor.definitions.importers.shippable import detect

    bad = False
    for file in args.files:
        if detect(file):
            from conveyor.definitions.importers.cli_shippable import validate_command

            bad = validate_command(file) != 0 or bad
            continue
        problems = definitions.validate_file(file)
        for problem in problems:
            print(problem)
        if problems:
            bad = True
        else:
            print(f"{file}: valid")
    return 1 if bad else 0


def schema(args: argparse.Namespace) -> int:
    from conveyor import definitions

    json.dump(definitions.json_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def import_shippable(args: argparse.Namespace) -> int:
    from conveyor.definitions.importers.cli_shippable import graph_command, import_command

    return graph_command(args.file) if args.graph else import_command(args.file)
