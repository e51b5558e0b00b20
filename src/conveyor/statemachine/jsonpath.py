"""Applying paths to JSON: ``read`` (any JSONPath), ``write`` (Reference Paths, for ResultPath).

The States Language meaning: a *definite* path (only names and indexes) names one value and it is an error
(``States.Runtime``) when it is not there; any other path (wildcards, slices, unions, ``..``, filters) yields
the array of everything it matched, possibly empty. ``$$`` paths read the context object. Writing follows the
spec's ResultPath rules: the input is not changed, missing objects on the way are created, and a step into
something that is not an object (or an index outside an array) fails with ``States.ResultPathMatchFailure``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conveyor.statemachine import errors
from conveyor.statemachine.errors import StatesError
from conveyor.statemachine.pathsyntax import (
    And,
    Compare,
    Exists,
    Expr,
    Filter,
    Index,
    Literal,
    Name,
    Not,
    Or,
    Path,
    Regex,
    Selector,
    Slice,
    Wildcard,
    parse_path,
)
from conveyor.statemachine.values import Json, compact, is_number, json_equal

__all__ = ["Path", "is_reference", "parse_path", "read", "select", "write"]

#: What a filter operand is when its path matched nothing (distinct from JSON ``null``).
_NOTHING: Any = object()
#: Values shown in messages are cut to this many characters.
_SHOWN = 200


def is_reference(path: Path) -> bool:
    """A Reference Path: one node, named by member names and indexes only (no ``* .. , : ?``)."""
    return not path.relative and path.definite


def select(path: Path, data: Json, root: Json = _NOTHING) -> list[Json]:
    """Every node ``path`` matches in ``data``, in document order (``root``: what ``$`` is in filters)."""
    if root is _NOTHING:
        root = data
    nodes = [data]
    for segment in path.segments:
        found: list[Json] = []
        for node in nodes:
            for target in _descendants(node) if segment.descendant else (node,):
                for selector in segment.selectors:
                    _apply(selector, target, root, found)
        nodes = found
        if not nodes:
            break
    return nodes


def read(path: Path | str, data: Json, context: Json = None) -> Json:
    """The value ``path`` names (definite paths) or the array of matches (others).

    Raises ``StatesError(States.Runtime)`` when a definite path names nothing, or when a ``$$`` path is
    used where there is no context object.
    """
    if isinstance(path, str):
        path = parse_path(path)
    if path.context and context is None:
        raise StatesError(errors.RUNTIME, f"the path {path.text!r} needs a context object, and there is none")
    target = context if path.context else data
    nodes = select(path, target)
    if not path.definite:
        return nodes
    if not nodes:
        where = "context object" if path.context else "input"
        raise StatesError(
            errors.RUNTIME, f"The JSONPath {path.text!r} could not be found in the {where} {shown(target)}"
        )
    return nodes[0]


def write(path: Path | str, data: Json, value: Json) -> Json:
    """``data`` with ``value`` placed where the Reference Path ``path`` points (``data`` is not changed)."""
    if isinstance(path, str):
        path = parse_path(path)
    if path.context or not is_reference(path):
        raise StatesError(errors.RESULT_PATH_MATCH_FAILURE, f"{path.text!r} is not a Reference Path")
    steps = [segment.selectors[0] for segment in path.segments]
    return _put(path, data, steps, 0, value)


def shown(value: Json) -> str:
    """``value`` as compact JSON for a message, cut short when long."""
    text = compact(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _put(path: Path, node: Json, steps: list[Selector], i: int, value: Json) -> Json:
    if i == len(steps):
        return value
    step = steps[i]
    if isinstance(step, Name):
        if not isinstance(node, dict):
            raise _no_room(path, node, f"field {step.key!r}")
        copy = dict(node)
        copy[step.key] = _put(path, node.get(step.key, {}) if step.key in node else {}, steps, i + 1, value)
        return copy
    assert isinstance(step, Index)  # is_reference() allows nothing else
    if not isinstance(node, list) or not -len(node) <= step.number < len(node):
        raise _no_room(path, node, f"index {step.number}")
    items = list(node)
    items[step.number] = _put(path, node[step.number], steps, i + 1, value)
    return items


def _no_room(path: Path, node: Json, what: str) -> StatesError:
    return StatesError(
        errors.RESULT_PATH_MATCH_FAILURE,
        f"Unable to apply ResultPath {path.text!r}: there is no {what} in {shown(node)} to write to",
    )


def _descendants(node: Json) -> Iterator[Json]:
    """``node`` and everything below it, in document order, without recursion (inputs may be deep)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, dict):
            stack.extend(reversed(current.values()))
        elif isinstance(current, list):
            stack.extend(reversed(current))


def _apply(selector: Selector, node: Json, root: Json, found: list[Json]) -> None:
    if isinstance(selector, Name):
        if isinstance(node, dict) and selector.key in node:
            found.append(node[selector.key])
    elif isinstance(selector, Index):
        if isinstance(node, list) and -len(node) <= selector.number < len(node):
            found.append(node[selector.number])
    elif isinstance(selector, Wildcard):
        if isinstance(node, dict):
            found.extend(node.values())
        elif isinstance(node, list):
            found.extend(node)
    elif isinstance(selector, Slice):
        if isinstance(node, list) and selector.step != 0:
            found.extend(node[selector.start : selector.stop : selector.step])
    elif isinstance(selector, Filter):
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        found.extend(child for child in children if _test(selector.expr, child, root))


def _test(expr: Expr, current: Json, root: Json) -> bool:
    if isinstance(expr, Exists):
        return bool(select(expr.path, current if expr.path.relative else root, root))
    if isinstance(expr, Compare):
        return _compare(expr.op, _operand(expr.left, current, root), _operand(expr.right, current, root))
    if isinstance(expr, And):
        return all(_test(part, current, root) for part in expr.parts)
    if isinstance(expr, Or):
        return any(_test(part, current, root) for part in expr.parts)
    if isinstance(expr, Not):
        return not _test(expr.expr, current, root)
    return expr.value is True


def _operand(operand: Path | Literal | Regex, current: Json, root: Json) -> Json:
    if isinstance(operand, Literal):
        return operand.value
    if isinstance(operand, Regex):
        return operand.pattern
    nodes = select(operand, current if operand.relative else root, root)
    if operand.definite:
        return nodes[0] if nodes else _NOTHING
    return nodes


def _compare(op: str, left: Json, right: Json) -> bool:
    if op in ("==", "!="):
        nothing = left is _NOTHING or right is _NOTHING
        equal = left is right if nothing else json_equal(left, right)
        return equal if op == "==" else not equal
    if op == "=~":
        return isinstance(left, str) and right.fullmatch(left) is not None
    if not ((is_number(left) and is_number(right)) or (isinstance(left, str) and isinstance(right, str))):
        return False
    return _ordered(op, left, right)


def _ordered(op: str, left: Any, right: Any) -> bool:
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)
