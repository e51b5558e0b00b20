"""``conveyor validate`` and ``conveyor schema``."""

from __future__ import annotations

import argparse
import json
import sys


def validate(args: argparse.Namespace) -> int:
    from conveyor import definitions

    bad = False
    for file in args.files:
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
