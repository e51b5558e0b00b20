"""``conveyor apply FILE``: a new pipeline version (if the file changed), to a server or the store."""

from __future__ import annotations

import argparse
from pathlib import Path

from conveyor.cli.common import open_service, print_json, remote
from conveyor.errors import BadInput


def apply(args: argparse.Namespace) -> int:
    from conveyor import definitions

    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read {args.file}: {exc.strerror or exc}")
    pipeline = definitions.load_text(raw, str(path), default_name=path.stem)  # errors stay local
    source = raw.decode("utf-8")
    client = remote(args)
    if client is not None:
        result = client.apply(source, path.name, pipeline.name)
    else:
        applied = open_service().apply(pipeline, source, str(path))
        result = {
            "pipeline": applied.name,
            "version": applied.version,
            "changed": applied.changed,
            "new_versions": applied.new_versions,
            "triggered": applied.triggered,
        }
    if args.json:
        print_json(result)
    elif result["changed"]:
        extra = f"; started {', '.join(result['triggered'])}" if result["triggered"] else ""
        print(f"{result['pipeline']} version {result['version']}{extra}")
    else:
        print(f"{result['pipeline']} is unchanged (version {result['version']})")
    return 0
