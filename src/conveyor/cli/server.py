"""``conveyor server``."""

from __future__ import annotations

import argparse
import sys

from conveyor.cli.common import open_service, parse_pairs
from conveyor.errors import BadInput


def server(args: argparse.Namespace) -> int:
    from conveyor.api.server import serve

    if args.workers < 0:
        raise BadInput("--workers must be 0 or more")
    labels = parse_pairs(args.label)
    service = open_service()
    auth = "off (--no-auth)" if args.no_auth else "on: `conveyor token create --role admin` makes a token"
    print(
        f"conveyor server on http://{args.host}:{args.port} ({service.store.dialect}; "
        f"{args.workers} embedded worker slots; auth {auth})",
        file=sys.stderr,
        flush=True,
    )
    serve(service, args.host, args.port, args.workers, auth=not args.no_auth, labels=labels)
    return 0
