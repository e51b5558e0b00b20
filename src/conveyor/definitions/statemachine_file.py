"""Workflow-definition files (JSON or YAML, one definition or a list) -> request bodies with positions.

A YAML file is read through ``yamlsrc``, so every problem the States Language checks find can be reported
as FILE:LINE:COL (``locate`` maps a key path to the position of that key). JSON files are read with the
``json`` module, whose errors carry their own line and column.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conveyor.definitions import yamlsrc
from conveyor.errors import InvalidDefinition, Problem

Locate = Callable[[tuple[str | int, ...]], tuple[int, int] | None]


def _value(node: yamlsrc.Node) -> Any:
    if isinstance(node, yamlsrc.Map):
        return {key: _value(value) for key, (_, value) in node.entries.items()}
    if isinstance(node, yamlsrc.Seq):
        return [_value(item) for item in node.items]
    tag = node.tag
    if tag == yamlsrc.NULL:
        return None
    if tag == yamlsrc.BOOL:
        return yamlsrc.bool_value(node)
    if tag == yamlsrc.INT:
        try:
            return yamlsrc.int_value(node)
        except ValueError:
            return node.value
    if tag == yamlsrc.FLOAT:
        number = float(node.value.replace("_", "").replace(".inf", "inf").replace(".nan", "nan"))
        return node.value if math.isinf(number) or math.isnan(number) else number
    return node.value


def _locator(root: yamlsrc.Node) -> Locate:
    def locate(path: tuple[str | int, ...]) -> tuple[int, int] | None:
        node: yamlsrc.Node = root
        where = (node.line, node.col)
        for step in path:
            if isinstance(node, yamlsrc.Map) and isinstance(step, str) and step in node.entries:
                key, node = node.entries[step]
                where = (key.line, key.col)
            elif isinstance(node, yamlsrc.Seq) and isinstance(step, int) and 0 <= step < len(node.items):
                node = node.items[step]
                where = (node.line, node.col)
            else:
                break
        return where

    return locate


def load_file(path: str) -> list[tuple[Any, Locate | None]]:
    """The definitions in a file: each request body with a way to locate its keys (None for JSON)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidDefinition([Problem(path, 0, 0, f"cannot read the file: {exc.strerror}")]) from None
    if path.endswith(".json"):
        try:
            value = json.loads(data)
        except ValueError as exc:
            line, col = getattr(exc, "lineno", 0), getattr(exc, "colno", 0)
            message = getattr(exc, "msg", str(exc))
            raise InvalidDefinition([Problem(path, line, col, f"invalid JSON: {message}")]) from None
        items = value if isinstance(value, list) else [value]
        return [(item, None) for item in items]
    root, problems = yamlsrc.parse(data, path)
    if problems or root is None:
        raise InvalidDefinition(problems or [Problem(path, 1, 1, "the file is empty")])
    if isinstance(root, yamlsrc.Seq):
        return [(_value(item), _locator(item)) for item in root.items]
    return [(_value(root), _locator(root))]
