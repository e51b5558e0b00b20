"""Output for the Tinkerbell commands the way tink's CLI printed it: go-pretty ASCII tables with upper-cased
headers (``--format table``), ``{"data": [...]}`` (``json``) or CSV (``csv``); and the per-id loop of its
``get``/``delete`` commands."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from conveyor.errors import ConveyorError, NotFound

FORMATS = ("table", "json", "csv")


def backend(args: Any) -> Any:
    """The server's client with ``--server``, else the embedded store's service (same ``tink_*`` methods)."""
    from conveyor.cli.common import open_service, remote

    return remote(args) or open_service()


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], no_headers: bool = False) -> str:
    """A go-pretty default-style table: ``+---+`` borders, headers upper-cased."""
    cells = [[str(c) for c in row] for row in rows]
    heads = [h.upper() for h in headers]
    shown = cells if no_headers else [heads, *cells]
    widths = [max(len(r[i]) for r in shown) if shown else 0 for i in range(len(heads))]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    out = [rule]
    if not no_headers:
        out += [line(heads), rule]
    out += [line(r) for r in cells]
    out.append(rule)
    return "\n".join(out)


def emit(
    fmt: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    records: Sequence[Any],
    no_headers: bool = False,
) -> None:
    """Print ``rows`` as a table or CSV, or ``records`` (the full objects) as JSON."""
    if fmt == "json":
        json.dump({"data": list(records)}, sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        if not no_headers:
            writer.writerow(headers)
        writer.writerows(rows)
    else:
        print(table(headers, rows, no_headers))


def each(ids: Sequence[str], get: Callable[[str], Any]) -> list[Any]:
    """``get`` of each id; ids that fail to load are skipped silently (tink's ``get``)."""
    found = []
    for item in ids:
        try:
            found.append(get(item))
        except NotFound:
            continue
    return found


def delete_each(ids: Sequence[str], delete: Callable[[str], Any]) -> int:
    """tink's ``delete``: ``Deleted<TAB>id`` per id, ``Error<TAB>id<TAB>not found`` on stderr and go on;
    exit 1 if any was not found."""
    missing = 0
    for item in ids:
        try:
            delete(item)
        except NotFound:
            print(f"Error\t{item}\tnot found", file=sys.stderr)
            missing += 1
            continue
        print(f"Deleted\t{item}")
    return 1 if missing else 0


def _stdin_piped() -> bool:
    """Whether something was piped or redirected in (a terminal or /dev/null is not that)."""
    import os
    import stat

    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def read_input(path: str | None, default: str | None = None) -> bytes:
    """A file's bytes (``-``, or none given while stdin is a pipe or a file: stdin)."""
    if path == "-" or (path is None and _stdin_piped()):
        return sys.stdin.buffer.read()
    name = path or default
    if name is None:
        raise ConveyorError("give --file FILE or pipe the input on stdin")
    try:
        with open(name, "rb") as handle:
            return handle.read()
    except OSError as exc:
        from conveyor.errors import BadInput

        raise BadInput(f"cannot read {name}: {exc.strerror}")
