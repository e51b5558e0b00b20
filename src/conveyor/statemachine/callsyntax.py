"""The syntax of intrinsic function calls (``States.Format('{}', $.x)``), parsed into a small AST.

Calls are parsed once (and cached) when a definition is validated, so a typo is a definition problem
rather than a runtime failure; the parser checks function names and argument counts. Grammar (the spec's):
a name of ``A-Za-z0-9._``, then ``(`` arguments ``)`` separated by commas, each a ``'quoted string'`` (with
the escapes ``\\'`` ``\\{`` ``\\}`` ``\\\\``; any other backslash is an error), a number, ``true``,
``false``, ``null``, a path (``$...`` or ``$$...``) or a nested call.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from conveyor.statemachine.errors import ExpressionError
from conveyor.statemachine.pathsyntax import INTRINSIC_STOPS, Cursor, Path
from conveyor.statemachine.values import Json

__all__ = ["ARITY", "Argument", "Call", "Const", "Text", "parse_call"]


class Text(NamedTuple):
    """A quoted string argument: its value, and its pieces around unescaped ``{}`` (for States.Format)."""

    value: str
    pieces: tuple[str, ...]


class Const(NamedTuple):
    """A number, ``true``, ``false`` or ``null`` argument."""

    value: Json


class Call(NamedTuple):
    name: str
    args: tuple[Argument, ...]
    text: str


Argument = Text | Const | Path | Call

#: name -> (fewest, most) arguments (None: no limit).
ARITY: dict[str, tuple[int, int | None]] = {
    "States.Format": (1, None),
    "States.StringToJson": (1, 1),
    "States.JsonToString": (1, 1),
    "States.Array": (0, None),
    "States.ArrayPartition": (2, 2),
    "States.ArrayContains": (2, 2),
    "States.ArrayRange": (3, 3),
    "States.ArrayGetItem": (2, 2),
    "States.ArrayLength": (1, 1),
    "States.ArrayUnique": (1, 1),
    "States.Base64Encode": (1, 1),
    "States.Base64Decode": (1, 1),
    "States.Hash": (2, 2),
    "States.JsonMerge": (3, 3),
    "States.MathRandom": (2, 3),
    "States.MathAdd": (2, 2),
    "States.StringSplit": (2, 2),
    "States.UUID": (0, 0),
}
_NAME = re.compile(r"[A-Za-z0-9._]+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_KEYWORDS = {"true": True, "false": False, "null": None}


@lru_cache(maxsize=2048)
def parse_call(text: str) -> Call:
    """The intrinsic call that is the whole of ``text``; raises ``ExpressionError``."""
    cursor = Cursor(text)
    cursor.skip_space()
    call = _call(cursor)
    cursor.skip_space()
    if not cursor.at_end():
        raise cursor.error(f"unexpected {cursor.peek()!r} after the call")
    return call


def _call(cursor: Cursor) -> Call:
    start = cursor.pos
    m = _NAME.match(cursor.text, cursor.pos)
    if m is None:
        raise cursor.error("expected an intrinsic function name such as States.Format")
    name = m.group()
    if name not in ARITY:
        raise cursor.error(f"unknown intrinsic function {name!r}")
    cursor.pos = m.end()
    cursor.expect("(")
    args: list[Argument] = []
    cursor.skip_space()
    if cursor.peek() == ")":
        cursor.pos += 1
    else:
        while True:
            cursor.skip_space()
            args.append(_argument(cursor))
            cursor.skip_space()
            if cursor.peek() == ",":
                cursor.pos += 1
                continue
            cursor.expect(")")
            break
    fewest, most = ARITY[name]
    if len(args) < fewest or (most is not None and len(args) > most):
        wanted = (
            str(fewest) if fewest == most else f"at least {fewest}" if most is None else f"{fewest} to {most}"
        )
        raise ExpressionError(f"{name} takes {wanted} argument(s), not {len(args)}", cursor.text, start)
    if name == "States.Format" and isinstance(args[0], Text) and len(args[0].pieces) - 1 != len(args) - 1:
        holes = len(args[0].pieces) - 1
        raise ExpressionError(
            f"States.Format's template has {holes} {{}} but {len(args) - 1} value(s) follow",
            cursor.text,
            start,
        )
    return Call(name, tuple(args), cursor.text[start : cursor.pos])


def _argument(cursor: Cursor) -> Argument:
    c = cursor.peek()
    if c == "'":
        return _text(cursor)
    if c == "$":
        return cursor.path(INTRINSIC_STOPS)
    m = _NUMBER.match(cursor.text, cursor.pos)
    if m is not None:
        cursor.pos = m.end()
        return Const(float(m.group()) if m.group(1) or m.group(2) else int(m.group()))
    w = _NAME.match(cursor.text, cursor.pos)
    if w is not None and w.group() in _KEYWORDS:
        cursor.pos = w.end()
        return Const(_KEYWORDS[w.group()])
    if w is not None:
        return _call(cursor)
    found = repr(c) if c else "the end"
    raise cursor.error(
        f"expected an argument ('string', number, true, false, null, path or call), found {found}"
    )


def _text(cursor: Cursor) -> Text:
    """``'...'`` with the spec's escapes ``\\'`` ``\\{`` ``\\}`` ``\\\\``; any other backslash is an error."""
    cursor.pos += 1
    pieces: list[str] = []
    current: list[str] = []
    while True:
        if cursor.at_end():
            raise cursor.error("a quoted string is not closed")
        c = cursor.peek()
        if c == "'":
            cursor.pos += 1
            pieces.append("".join(current))
            return Text("{}".join(pieces), tuple(pieces))
        if c == "\\":
            escaped = cursor.peek(1)
            if escaped not in ("'", "{", "}", "\\") or escaped == "":
                raise cursor.error("an open escape: only \\' \\{ \\} and \\\\ may follow a backslash")
            current.append(escaped)
            cursor.pos += 2
            continue
        if c == "{" and cursor.peek(1) == "}":
            pieces.append("".join(current))
            current = []
            cursor.pos += 2
            continue
        current.append(c)
        cursor.pos += 1
