"""``conveyor secret set|list|delete|keygen``: integrations (named key-value secrets) in the store this
command opens, or on a server with ``--server`` (admin token). Values are read from the arguments
(``KEY=VALUE``, or ``KEY=@FILE`` / ``KEY=-`` for a file or standard input, so they need not sit in the
shell's history) and never printed."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from conveyor.cli.common import ago, open_service, parse_pairs, print_json, remote
from conveyor.errors import BadInput


def _values(pairs: list[str]) -> dict[str, str]:
    values = parse_pairs(pairs)
    for key, value in values.items():
        if value == "-":
            values[key] = sys.stdin.read().rstrip("\n")
        elif value.startswith("@") and len(value) > 1:
            try:
                with open(value[1:], encoding="utf-8") as f:
                    values[key] = f.read().rstrip("\n")
            except OSError as exc:
                raise BadInput(f"cannot read {value[1:]!r} for {key}: {exc.strerror}") from None
    return values


def _api(args: argparse.Namespace) -> Any:
    return remote(args) or open_service()


def set_secret(args: argparse.Namespace) -> int:
    info = _api(args).set_secret(args.name, _values(args.values), replace_all=args.replace)
    print(f"integration {info['name']}: {', '.join(info['keys'])}")
    return 0


def list_secrets(args: argparse.Namespace) -> int:
    rows = _api(args).secrets()
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no integrations: `conveyor secret set NAME KEY=VALUE...` makes one")
    for r in rows:
        print(f"{r['name']:<24} {', '.join(r['keys'])}  (changed {ago(r['updated_at'])})")
    return 0


def delete_secret(args: argparse.Namespace) -> int:
    _api(args).delete_secret(args.name)
    print(f"integration {args.name} deleted")
    return 0


def keygen(args: argparse.Namespace) -> int:
    from conveyor.secretbox import generate_key

    print(generate_key())
    return 0
