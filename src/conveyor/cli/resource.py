"""``conveyor resource put|versions``."""

from __future__ import annotations

import argparse

from conveyor.cli.common import ago, open_service, parse_pairs, print_json, remote
from conveyor.service.reads import public_version


def put(args: argparse.Namespace) -> int:
    properties = parse_pairs(args.properties)
    api = remote(args) or open_service()
    version = api.put_version(args.name, properties, args.pipeline, replace=args.replace)
    if args.json:
        print_json({"created": version is not None, "version": version})
    elif version is None:
        print(f"{args.name}: identical to the latest version; no new version")
    else:
        print(f"{args.name} v{version['number']} ({version['digest'][:12]})")
    return 0


def versions(args: argparse.Namespace) -> int:
    rows = [
        public_version(r)
        for r in (remote(args) or open_service()).versions(args.name, args.pipeline, args.limit)
    ]
    if args.json:
        print_json(rows)
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=args.name, title_justify="left")
    for col in ("version", "digest", "properties", "made by", "when"):
        table.add_column(col)
    for r in rows:
        props = r["properties"]
        files = r["files"]
        shown = " ".join(f"{k}={v}" for k, v in props.items())
        if files:
            shown += f" (+{len(files)} files)"
        table.add_row(
            f"v{r['number']}",
            r["digest"][:12],
            shown,
            f"{r['created_by']}: {r['creator']}",
            ago(r["created_at"]),
        )
    Console(highlight=False).print(table)
    return 0


def bump(args: argparse.Namespace) -> int:
    version = (remote(args) or open_service()).bump(args.name, args.part, args.pipeline)
    if args.json:
        print_json(version)
    else:
        shown = " ".join(f"{k}={v}" for k, v in version["properties"].items())
        print(f"{args.name} v{version['number']}: {shown}")
    return 0


def check(args: argparse.Namespace) -> int:
    made = (remote(args) or open_service()).check_resource(args.name, args.pipeline)
    print(f"{args.name}: {made} new version{'s' if made != 1 else ''}")
    return 0


def webhook_token(args: argparse.Namespace) -> int:
    print((remote(args) or open_service()).webhook_token(args.name, args.pipeline))
    return 0
