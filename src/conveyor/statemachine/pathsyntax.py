"""The syntax of JSONPath as the States Language uses it: paths, their filter expressions, and their AST.

One recursive-descent parser over a cursor, so that a path can also be read from the middle of a longer
text (an intrinsic call's argument ends at ``,`` or ``)``, a filter operand at an operator) and the caller
learns where it ended. Accepted syntax:

* ``$`` (the input), ``$$`` (the context object), ``@`` (a filter's current node);
* ``.name`` (with ``\\`` escaping any character, as in the spec's ``$.foo\\@bar``), ``.*``, ``..name``,
  ``..*``, ``..[...]`` and AWS's ``.['name']``;
* brackets holding a comma-separated union of ``'name'`` / ``"name"``, ``n`` (negative counts from the
  end), slices ``a:b:c``, ``*`` and filters ``?(...)`` (or RFC 9535's ``?...``);
* filters: ``@``/``$`` paths, numbers, strings, ``true``/``false``/``null``, ``==`` ``!=`` ``<`` ``<=`` ``>``
  ``>=``, ``=~ /regex/flags``, ``!``, ``&&``, ``||`` and parentheses; a path on its own tests existence.

The AST nodes are NamedTuples rather than dataclasses: they are created at import time, and a dataclass
costs several times more to create (start-up time matters to the CLI).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from conveyor.statemachine.errors import ExpressionError


class Name(NamedTuple):
    key: str


class Index(NamedTuple):
    number: int


class Slice(NamedTuple):
    start: int | None
    stop: int | None
    step: int | None


class Wildcard(NamedTuple):
    """``*``: every member or element."""


class Filter(NamedTuple):
    expr: Expr


Selector = Name | Index | Slice | Wildcard | Filter


class Segment(NamedTuple):
    selectors: tuple[Selector, ...]
    descendant: bool = False


class Path(NamedTuple):
    text: str
    segments: tuple[Segment, ...]
    #: ``$$``: applies to the context object instead of the input.
    context: bool = False
    #: ``@``: applies to a filter's current node.
    relative: bool = False

    @property
    def definite(self) -> bool:
        """Selects at most one node: only single names and indexes, no ``..``."""
        return all(
            not s.descendant and len(s.selectors) == 1 and isinstance(s.selectors[0], Name | Index)
            for s in self.segments
        )


class Literal(NamedTuple):
    value: Any


class Regex(NamedTuple):
    pattern: re.Pattern[str]


class Exists(NamedTuple):
    path: Path


class Compare(NamedTuple):
    op: str
    left: Path | Literal
    right: Path | Literal | Regex


class And(NamedTuple):
    parts: tuple[Expr, ...]


class Or(NamedTuple):
    parts: tuple[Expr, ...]


class Not(NamedTuple):
    expr: Expr


Expr = Exists | Literal | Compare | And | Or | Not

_WHITESPACE = frozenset(" \t\r\n")
#: Where a path inside an intrinsic call ends.
INTRINSIC_STOPS = frozenset(",)") | _WHITESPACE
#: Where a path inside a filter expression ends.
_FILTER_STOPS = frozenset(",)]=!<>&|") | _WHITESPACE
_OPERATORS = ("==", "!=", "<=", ">=", "=~", "<", ">")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_INT = re.compile(r"-?\d+")
_WORD = re.compile(r"[A-Za-z_]+")
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


@lru_cache(maxsize=4096)
def parse_path(text: str) -> Path:
    """The whole of ``text`` as a path (``$...`` or ``$$...``); raises ``ExpressionError``."""
    cursor = Cursor(text)
    path = cursor.path(frozenset())
    if not cursor.at_end():
        raise cursor.error(f"unexpected {cursor.peek()!r}")
    return path


class Cursor:
    """A position in a text, and the grammar's productions read from there."""

    def __init__(self, text: str, pos: int = 0) -> None:
        self.text = text
        self.pos = pos

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.text[i] if i < len(self.text) else ""

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(message, self.text, self.pos)

    def skip_space(self) -> None:
        while self.peek() in _WHITESPACE and not self.at_end():
            self.pos += 1

    def expect(self, token: str) -> None:
        if not self.text.startswith(token, self.pos):
            found = repr(self.peek()) if not self.at_end() else "the end"
            raise self.error(f"expected {token!r}, found {found}")
        self.pos += len(token)

    # -- paths --------------------------------------------------------------------------------------

    def path(self, stops: frozenset[str]) -> Path:
        """A path starting here and ending at the end of the text or at a character in ``stops``."""
        start = self.pos
        context = relative = False
        if self.peek() == "@":
            relative = True
            self.pos += 1
        elif self.text.startswith("$$", self.pos):
            context = True
            self.pos += 2
        elif self.peek() == "$":
            self.pos += 1
        else:
            raise self.error("a path must start with '$'")
        segments: list[Segment] = []
        while not self.at_end() and self.peek() not in stops:
            segments.append(self._segment(stops))
        return Path(self.text[start : self.pos], tuple(segments), context, relative)

    def _segment(self, stops: frozenset[str]) -> Segment:
        c = self.peek()
        if c == "[":
            return Segment(self._bracket())
        if c != ".":
            raise self.error(f"unexpected {c!r} (a step starts with '.' or '[')")
        if self.peek(1) == ".":
            self.pos += 2
            return Segment(self._member(stops, after_descent=True), descendant=True)
        self.pos += 1
        return Segment(self._member(stops, after_descent=False))

    def _member(self, stops: frozenset[str], after_descent: bool) -> tuple[Selector, ...]:
        if self.peek() == "*":
            self.pos += 1
            return (Wildcard(),)
        if self.peek() == "[":
            return self._bracket()
        return (Name(self._dot_name(stops, after_descent)),)

    def _dot_name(self, stops: frozenset[str], after_descent: bool) -> str:
        chars: list[str] = []
        while not self.at_end():
            c = self.peek()
            if c in ".[" or c in stops:
                break
            if c == "\\":
                if self.pos + 1 >= len(self.text):
                    raise self.error("a '\\' escapes nothing")
                c = self.text[self.pos + 1]
                self.pos += 1
            chars.append(c)
            self.pos += 1
        if not chars:
            raise self.error(
                "a member name is missing after '..'" if after_descent else "a member name is missing"
            )
        return "".join(chars)

    def _bracket(self) -> tuple[Selector, ...]:
        self.expect("[")
        selectors: list[Selector] = []
        while True:
            self.skip_space()
            selectors.append(self._selector())
            self.skip_space()
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect("]")
            return tuple(selectors)

    def _selector(self) -> Selector:
        c = self.peek()
        if c and c in "'\"":
            return Name(self.quoted())
        if c == "*":
            self.pos += 1
            return Wildcard()
        if c == "?":
            self.pos += 1
            return Filter(self._or())
        if c == ":" or c == "-" or c.isdigit():
            start = self._optional_int()
            if self.peek() != ":":
                if start is None:
                    raise self.error("an index is missing")
                return Index(start)
            self.pos += 1
            stop = self._optional_int()
            step = None
            if self.peek() == ":":
                self.pos += 1
                step = self._optional_int()
            return Slice(start, stop, step)
        found = repr(c) if c else "the end"
        raise self.error(f"expected a name, index, slice, '*' or filter, found {found}")

    def _optional_int(self) -> int | None:
        self.skip_space()
        m = _INT.match(self.text, self.pos)
        if m is None:
            return None
        self.pos = m.end()
        self.skip_space()
        return int(m.group())

    def quoted(self) -> str:
        """A JSON-style string in single or double quotes."""
        quote = self.peek()
        self.pos += 1
        chars: list[str] = []
        while True:
            if self.at_end():
                raise self.error(f"a {quote} string is not closed")
            c = self.text[self.pos]
            self.pos += 1
            if c == quote:
                return "".join(chars)
            if c == "\\":
                e = self.peek()
                if e == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", self.text[self.pos + 1 : self.pos + 5]):
                    chars.append(chr(int(self.text[self.pos + 1 : self.pos + 5], 16)))
                    self.pos += 5
                    continue
                if e not in _ESCAPES:
                    raise self.error(f"unknown escape '\\{e}'")
                chars.append(_ESCAPES[e])
                self.pos += 1
                continue
            chars.append(c)

    # -- filter expressions -------------------------------------------------------------------------

    def _or(self) -> Expr:
        parts = [self._and()]
        while self._take("||"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def _and(self) -> Expr:
        parts = [self._unary()]
        while self._take("&&"):
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def _take(self, token: str) -> bool:
        self.skip_space()
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def _unary(self) -> Expr:
        self.skip_space()
        if self.peek() == "!" and self.peek(1) != "=":
            self.pos += 1
            return Not(self._unary())
        if self.peek() == "(":
            self.pos += 1
            inner = self._or()
            self.skip_space()
            self.expect(")")
            return inner
        left = self._operand()
        self.skip_space()
        op = next((o for o in _OPERATORS if self.text.startswith(o, self.pos)), None)
        if op is None:
            return Exists(left) if isinstance(left, Path) else left
        self.pos += len(op)
        self.skip_space()
        right: Path | Literal | Regex = self._regex() if op == "=~" else self._operand()
        return Compare(op, left, right)

    def _operand(self) -> Path | Literal:
        c = self.peek()
        if c == "@" or c == "$":
            if self.text.startswith("$$", self.pos):
                raise self.error("the context object cannot be used in a filter")
            return self.path(_FILTER_STOPS)
        if c and c in "'\"":
            return Literal(self.quoted())
        m = _NUMBER.match(self.text, self.pos)
        if m is not None:
            self.pos = m.end()
            text = m.group()
            return Literal(float(text) if m.group(1) or m.group(2) else int(text))
        w = _WORD.match(self.text, self.pos)
        if w is not None and w.group() in ("true", "false", "null"):
            self.pos = w.end()
            return Literal({"true": True, "false": False, "null": None}[w.group()])
        found = repr(c) if c else "the end"
        raise self.error(f"expected a path, number, string, true, false or null, found {found}")

    def _regex(self) -> Regex:
        self.expect("/")
        chars: list[str] = []
        while True:
            if self.at_end():
                raise self.error("a /regex/ is not closed")
            c = self.text[self.pos]
            self.pos += 1
            if c == "/":
                break
            if c == "\\" and self.peek() == "/":
                c = "/"
                self.pos += 1
            elif c == "\\" and not self.at_end():
                chars.append(c)
                c = self.text[self.pos]
                self.pos += 1
            chars.append(c)
        flags = 0
        while self.peek() in _REGEX_FLAGS and not self.at_end():
            flags |= _REGEX_FLAGS[self.peek()]
            self.pos += 1
        try:
            return Regex(re.compile("".join(chars), flags))
        except re.error as exc:
            raise self.error(f"invalid regular expression: {exc}") from None
