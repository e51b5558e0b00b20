"""Command bodies for Shippable files, for the argparse CLI to call: ``conveyor import shippable FILE``
(prints the native pipeline), and the checks ``validate`` and the graph view need.

Output contract: the result on standard output, located messages on standard error as
``FILE:LINE:COL: warning: ...`` / ``note: ...`` (warnings and notes) and ``FILE:LINE:COL: message``
(errors, as ``conveyor validate`` prints them). Exit codes: 0 done, 1 the files have errors, 2 they cannot
be read (``BadInput``'s code).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from conveyor.errors import BadInput


def import_command(path: str) -> int:
    """``conveyor import shippable PATH``: the equivalent native pipeline on standard output."""
    from conveyor.definitions.importers.shippable import to_native_yaml

    return _with_import(path, to_native_yaml)


def graph_command(path: str) -> int:
    """The pipeline's graph (resources -> jobs -> resources) as text on standard output."""
    from conveyor.definitions.importers.shippable import render_graph

    return _with_import(path, render_graph)


def validate_command(path: str, out: TextIO | None = None) -> int:
    """``conveyor validate`` for Shippable files: every problem and warning, then ``PATH: valid``."""
    from conveyor.definitions.importers.shippable import check_shippable

    out = out or sys.stdout
    try:
        result = check_shippable([path])
    except BadInput as exc:
        print(exc.message, file=sys.stderr)
        return BadInput.exit_code
    for message in sorted([*map(str, result.problems), *map(str, result.findings)], key=_place):
        print(message, file=out)
    if result.problems:
        return 1
    count = len(result.warnings)
    print(f"{path}: valid" + (f" ({count} warning{'' if count == 1 else 's'})" if count else ""), file=out)
    return 0


def _with_import(path: str, render: Callable[..., str]) -> int:
    from conveyor.definitions.importers.shippable import check_shippable

    try:
        result = check_shippable([path])
    except BadInput as exc:
        print(exc.message, file=sys.stderr)
        return BadInput.exit_code
    for finding in result.findings:
        print(finding, file=sys.stderr)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if result.problems:
        return 1
    sys.stdout.write(render(result))
    return 0


def _place(message: str) -> tuple[str, int, int]:
    """Sort key ``(file, line, col)`` of a ``FILE:LINE:COL: ...`` message."""
    file, line, col, *_ = [*message.split(":", 3), "", "", ""]
    try:
        return file, int(line), int(col)
    except ValueError:
        return file, 0, 0
