"""Shippable Assembly Lines (``shippable.yml`` and its split files) as conveyor pipelines.

Public API::

    detect(path_or_text) -> bool                      # is this Shippable? (cheap: name, else a text scan)
    shippable_files(paths) -> list[Path]               # the files a path or directory stands for
    load_shippable(paths, name=None) -> ShippableImport   # raises InvalidShippable (every problem)
    check_shippable(paths, name=None) -> ShippableImport  # problems in .problems instead
    import_texts([(filename, text), ...], name) -> ShippableImport
    to_native_yaml(result) -> str                      # the equivalent native pipeline, commented
    render_graph(result) -> str                        # resources -> jobs -> resources, as text

``ShippableImport.pipeline`` is the model the engine runs; ``.extras`` (``ShippableExtras``) keeps what the
model cannot hold yet; ``.findings`` are located warnings and notes, ``.problems`` located errors.

Only ``detect`` is imported eagerly (standard library only); the rest loads on first use, so asking
``detect`` about every file the CLI is given costs nothing more.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from conveyor.definitions.importers.shippable.detect import detect, looks_like_shippable, shippable_files

if TYPE_CHECKING:
    from conveyor.definitions.importers.shippable.graph import render_graph
    from conveyor.definitions.importers.shippable.loader import (
        InvalidShippable,
        check_shippable,
        import_texts,
        load_shippable,
    )
    from conveyor.definitions.importers.shippable.native_yaml import to_native_yaml
    from conveyor.definitions.importers.shippable.records import (
        Finding,
        Hook,
        IgnoredSection,
        InStep,
        JobExtras,
        Notify,
        OutStep,
        ResourceExtras,
        ShippableExtras,
        ShippableImport,
        Task,
    )

_LAZY = {
    "render_graph": "graph",
    "InvalidShippable": "loader",
    "check_shippable": "loader",
    "import_texts": "loader",
    "load_shippable": "loader",
    "to_native_yaml": "native_yaml",
    **{
        name: "records"
        for name in (
            "Finding",
            "Hook",
            "IgnoredSection",
            "InStep",
            "JobExtras",
            "Notify",
            "OutStep",
            "ResourceExtras",
            "ShippableExtras",
            "ShippableImport",
            "Task",
        )
    },
}

__all__ = [
    "Finding",
    "Hook",
    "IgnoredSection",
    "InStep",
    "InvalidShippable",
    "JobExtras",
    "Notify",
    "OutStep",
    "ResourceExtras",
    "ShippableExtras",
    "ShippableImport",
    "Task",
    "check_shippable",
    "detect",
    "import_texts",
    "load_shippable",
    "looks_like_shippable",
    "render_graph",
    "shippable_files",
    "to_native_yaml",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
