"""``conveyor apply FILE``: a new pipeline version (if the file changed), to a server or the store."""

from __future__ import annotations

import argparse
from pathlib import Path

from conveyor.cli.common import open_service, print_json, remote


def apply(args: argparse.Namespace) -> int:
    from conveyor.cli.loading import load_pipeline

    loaded = load_pipeline(args.file)  # bad files are refused here, before any request
    pipeline = loaded.pipeline
    client = remote(args)
    if client is not None:
        result = client.apply(loaded.native, Path(args.file).name, pipeline.name)
    else:
        applied = open_service().apply(pipeline, loaded.source, args.file)
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
