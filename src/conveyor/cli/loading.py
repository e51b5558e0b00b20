"""Reading a pipeline file for ``run`` and ``apply``: conveyor's own format, or a shippable.yml."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from conveyor.errors import BadInput
from conveyor.model.pipeline import Pipeline


@dataclass
class Loaded:
    pipeline: Pipeline
    #: the text stored with the pipeline version (the file as written)
    source: str
    #: the native YAML a server is sent (the same text for a native file)
    native: str


def load_pipeline(file: str) -> Loaded:
    """The pipeline in ``file``; a Shippable file is translated, its warnings printed to stderr."""
    path = Path(file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read {file}: {exc.strerror or exc}")
    from conveyor.definitions.importers.shippable import detect

    if detect(path):
        from conveyor.definitions.importers.shippable import load_shippable, to_native_yaml

        result = load_shippable([path])
        for finding in result.findings:
            print(finding, file=sys.stderr)
        text = raw.decode("utf-8", errors="replace")
        return Loaded(result.pipeline, text, to_native_yaml(result))
    from conveyor import definitions

    pipeline = definitions.load_text(raw, str(path), default_name=path.stem)
    text = raw.decode("utf-8")
    return Loaded(pipeline, text, text)
