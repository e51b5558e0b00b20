"""YAML text -> a small located tree (mappings, lists, scalars), or located problems.

Why not ``yaml.compose``: on libyaml, composing spends most of its time in PyYAML's pure-Python tag resolver
(measured: 1.25 s for a 10,000-job file whose events parse in 0.21 s), and its recursive C composer crashes
the interpreter (segfault) on a few tens of thousands of nested ``[``. So we read libyaml's event stream
(``yaml.CSafeLoader``) and build the tree ourselves with an explicit stack: linear, no recursion, and with
room to find what composing hides: duplicate keys (PyYAML silently keeps the last), recursive aliases and
alias "bombs". Scalars keep their raw text (``3.11``, ``0644`` and ``true`` stay as written) and resolve their
YAML 1.1 tag only when asked, with PyYAML's own resolver patterns, so tags mean what they mean to PyYAML.
"""

from __future__ import annotations

import re
from typing import Any, TypeAlias

import yaml
from yaml import events as ev

from conveyor.errors import Problem

TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, MERGE = (
    TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "merge")
)

#: PyYAML's implicit resolvers for plain scalars, by first character, minus its odd ``=`` "value" tag.
_KNOWN = {NULL, BOOL, INT, FLOAT, TIMESTAMP, MERGE}
_RESOLVERS: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    first: [(t, rx) for t, rx in pairs if t in _KNOWN]
    for first, pairs in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
    if first is not None  # (SafeLoader has no resolver for "any first character")
}
_TRUE = ("true", "yes", "on")
_FALSE = ("false", "no", "off")

#: Aliases may repeat a node, never blow the tree up beyond this many nodes more than the text holds.
ALIAS_ALLOWANCE = 100_000
#: Deeper nesting is refused as soon as it is seen: libyaml's time grows with the square of the depth
#: (40,000 nested ``[`` take 5 s), and a pipeline needs fewer than ten levels.
MAX_DEPTH = 200


class Scalar:
    """A scalar: its text exactly as written (after YAML quoting rules) and where it starts (1-based)."""

    __slots__ = ("_tag", "col", "line", "plain", "value")

    def __init__(self, value: str, tag: str | None, plain: bool, line: int, col: int) -> None:
        self.value = value
        self._tag = tag
        self.plain = plain
        self.line = line
        self.col = col

    @property
    def tag(self) -> str:
        """The resolved tag (``tag:yaml.org,2002:int`` ...), computed on first use."""
        if self._tag is None:
            self._tag = _resolve(self.value) if self.plain else STR
        return self._tag


class Seq:
    __slots__ = ("col", "items", "line")

    def __init__(self, line: int, col: int) -> None:
        self.items: list[Node] = []
        self.line = line
        self.col = col


class Map:
    """A mapping; ``entries`` maps each key's raw text to (key scalar, value), first occurrence wins."""

    __slots__ = ("col", "entries", "line")

    def __init__(self, line: int, col: int) -> None:
        self.entries: dict[str, tuple[Scalar, Node]] = {}
        self.line = line
        self.col = col


Node: TypeAlias = Scalar | Seq | Map


def _resolve(value: str) -> str:
    for tag, rx in _RESOLVERS.get(value[:1], ()):
        if rx.match(value):
            return tag
    return STR


def describe(node: Node) -> str:
    """What a node is, for "expected X, got Y" messages."""
    if isinstance(node, Seq):
        return "an empty list" if not node.items else "a list"
    if isinstance(node, Map):
        return "a mapping"
    return _TAG_WORDS.get(node.tag) or f"a value tagged {node.tag.removeprefix(TAG)!r}"


_TAG_WORDS = {
    STR: "a string",
    INT: "an integer",
    FLOAT: "a number",
    BOOL: "a boolean",
    NULL: "nothing",
    TIMESTAMP: "a date",
    MERGE: "a merge key",
}


def bool_value(node: Scalar) -> bool | None:
    """The value of a scalar tagged bool (YAML 1.1: true/false, yes/no, on/off); None if it is not one."""
    word = node.value.lower()
    return True if word in _TRUE else False if word in _FALSE else None


def int_value(node: Scalar) -> int:
    """The value of a scalar tagged int, read the way PyYAML reads YAML 1.1 integers.

    ValueError for the few texts YAML 1.1 tags int but are no number (``0x_``, or ``!!int abc``).
    """
    text = node.value.replace("_", "")
    sign = -1 if text[:1] == "-" else 1
    text = text.lstrip("+-")
    if text.startswith("0b"):
        return sign * int(text[2:], 2)
    if text.startswith("0x"):
        return sign * int(text[2:], 16)
    if ":" in text:
        total = 0
        for part in text.split(":"):
            total = total * 60 + int(part)
        return sign * total
    if len(text) > 1 and text[0] == "0":
        return sign * int(text, 8)
    return sign * int(text)


def text_value(node: Scalar) -> str:
    """A scalar as a property/env value: its raw text, with null as ""."""
    return "" if node.tag == NULL else node.value


def parse(text: str | bytes, file: str) -> tuple[Node | None, list[Problem]]:
    """Parse one YAML document. The tree is None when the text is not YAML (problems say why)."""
    if isinstance(text, bytes):
        data = text
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, [_not_utf8(data, exc.start, file)]
    if not text.strip():
        return None, [Problem(file, 1, 1, "file is empty")]
    builder = _Builder(file, len(text) + ALIAS_ALLOWANCE)
    loader: Any = None
    try:
        loader = yaml.CSafeLoader(text)
        root = builder.run(loader)
    except yaml.MarkedYAMLError as exc:
        return None, [*builder.problems, _syntax_problem(exc, text, file)]
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        what = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        return None, [Problem(file, line, col, f"character {what} is not allowed in YAML text")]
    except UnicodeError as exc:
        return None, [Problem(file, 1, 1, f"text is not valid Unicode ({exc})")]
    except _Fatal as exc:
        return None, [*builder.problems, exc.problem]
    finally:
        if loader is not None:
            loader.dispose()
    if root is None or (isinstance(root, Scalar) and root.tag == NULL and not root.value):
        return None, [*builder.problems, Problem(file, 1, 1, "file is empty")]
    return root, builder.problems


class _Fatal(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Builder:
    """Builds the tree from libyaml's events; one instance per parse."""

    def __init__(self, file: str, budget: int) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.anchors: dict[str, Node] = {}
        #: anchor -> number of nodes it expands to (aliases cost that much again)
        self.sizes: dict[str, int] = {}
        self.open_anchors: set[str] = set()
        self.budget = budget

    def run(self, loader: Any) -> Node | None:
        """Consume the event stream (hot loop: the enclosing collection lives in locals)."""
        get = loader.get_event
        scalar_event, alias_event = ev.ScalarEvent, ev.AliasEvent
        map_start, seq_start, map_end, seq_end = (
            ev.MappingStartEvent,
            ev.SequenceStartEvent,
            ev.MappingEndEvent,
            ev.SequenceEndEvent,
        )
        anchors, sizes, open_anchors = self.anchors, self.sizes, self.open_anchors
        # The enclosing collections, each saved as (collection, pending key, merges, anchor, count at start).
        stack: list[
            tuple[Map | Seq | None, Scalar | None, list[tuple[Scalar, Node]] | None, str | None, int]
        ] = []
        top: Map | Seq | None = None
        key: Scalar | None = None
        merges: list[tuple[Scalar, Node]] | None = None
        anchor: str | None = None
        started = 0
        count = 0  # nodes so far, counting each alias as the nodes it repeats
        root: Node | None = None
        documents = 0
        node: Node
        while True:
            event = get()
            kind = type(event)
            if kind is scalar_event:
                mark = event.start_mark
                tag = event.tag
                node = Scalar(
                    event.value, STR if tag == "!" else tag, event.implicit[0], mark.line + 1, mark.column + 1
                )
                count += 1
                if event.anchor is not None:
                    anchors[event.anchor] = node
                    sizes[event.anchor] = 1
            elif kind is map_start or kind is seq_start:
                mark = event.start_mark
                collection = (Map if kind is map_start else Seq)(mark.line + 1, mark.column + 1)
                if len(stack) >= MAX_DEPTH:
                    raise _Fatal(self._problem(collection, f"nesting is deeper than {MAX_DEPTH} levels"))
                count += 1
                if event.anchor is not None:
                    anchors[event.anchor] = collection
                    open_anchors.add(event.anchor)
                stack.append((top, key, merges, anchor, started))
                top, key, merges, anchor, started = collection, None, None, event.anchor, count
                continue
            elif kind is map_end or kind is seq_end:
                assert top is not None
                node = top
                if merges:
                    self._merge(node, merges)
                if anchor is not None:
                    open_anchors.discard(anchor)
                    sizes[anchor] = count - started + 1
                top, key, merges, anchor, started = stack.pop()
            elif kind is alias_event:
                node = self._alias(event)
                count += sizes[event.anchor]
                if count > self.budget:
                    raise _Fatal(self._problem(node, "aliases expand the document too much (an alias bomb?)"))
            elif kind is ev.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    mark = event.start_mark
                    raise _Fatal(
                        Problem(
                            self.file,
                            mark.line + 1,
                            mark.column + 1,
                            "a second YAML document starts here; a pipeline file holds exactly one",
                        )
                    )
                continue
            elif kind is ev.StreamEndEvent:
                return root
            else:  # stream start, document end
                continue

            if top is None:
                root = node
            elif isinstance(top, Seq):
                top.items.append(node)
            elif key is None:
                if isinstance(node, Scalar):
                    key = node
                else:
                    self.problems.append(
                        self._problem(node, f"a mapping key must be a plain value, not {describe(node)}")
                    )
                    key = _BAD_KEY
            else:
                value = key.value
                if key is _BAD_KEY:
                    pass
                elif value == "<<" and key.plain and key.tag == MERGE:
                    merges = [*(merges or ()), (key, node)]
                elif value in top.entries:
                    first = top.entries[value][0]
                    self.problems.append(
                        self._problem(key, f"duplicate key {value!r} (first at line {first.line})")
                    )
                else:
                    top.entries[value] = (key, node)
                key = None

    def _problem(self, node: Node, message: str) -> Problem:
        return Problem(self.file, node.line, node.col, message)

    def _alias(self, event: Any) -> Node:
        mark = event.start_mark
        name = event.anchor
        if name in self.open_anchors:
            raise _Fatal(
                Problem(
                    self.file,
                    mark.line + 1,
                    mark.column + 1,
                    f"alias '*{name}' is inside the node it names (a recursive structure)",
                )
            )
        target = self.anchors.get(name)
        if target is None:
            raise _Fatal(
                Problem(self.file, mark.line + 1, mark.column + 1, f"alias '*{name}' is not defined")
            )
        return target

    def _merge(self, target: Node, merges: list[tuple[Scalar, Node]]) -> None:
        """``<<: *defaults`` (or a list of them): keys written in the mapping win, then earlier merges."""
        assert isinstance(target, Map)
        for key, value in merges:
            sources = value.items if isinstance(value, Seq) else [value]
            for source in sources:
                if not isinstance(source, Map):
                    self.problems.append(
                        Problem(
                            self.file,
                            key.line,
                            key.col,
                            f"'<<' merges a mapping or a list of mappings, not {describe(source)}",
                        )
                    )
                    continue
                for name, entry in source.entries.items():
                    target.entries.setdefault(name, entry)


_BAD_KEY = Scalar("", STR, False, 0, 0)


def _line_col(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _not_utf8(data: bytes, offset: int, file: str) -> Problem:
    line_start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    line = data.count(b"\n", 0, offset) + 1
    return Problem(file, line, col, f"file is not UTF-8 text (byte 0x{data[offset]:02x} at offset {offset})")


#: Hints for libyaml's terser complaints.
_HINTS = {
    "mapping values are not allowed in this context": "a value containing ': ' must be quoted",
    "could not find expected ':'": "a key needs a ':' after it; is a line indented too far or too little?",
    "did not find expected key": "check the indentation of this line",
    "did not find expected '-' indicator": "a list item and a key are mixed at the same indentation",
}


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = exc.problem or "invalid YAML"
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    indent = source[: len(source) - len(source.lstrip(" \t"))]
    at_tab = source[col - 1 : col] == "\t"
    if "\t" in indent or at_tab or "tab" in problem:
        tab_col = indent.index("\t") + 1 if "\t" in indent else col
        return Problem(file, line, tab_col, "tab character in indentation; YAML indents with spaces")
    if "maximum nesting depth" in problem:
        # libyaml (PyYAML >= 6.0.4) scans ahead and stops at its own limit before our event count does
        return Problem(file, line, col, f"nesting is deeper than {MAX_DEPTH} levels")
    message = f"invalid YAML: {problem}"
    hint = _HINTS.get(problem)
    if hint:
        message += f" ({hint})"
    elif exc.context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
        message += f" ({exc.context} that starts at line {exc.context_mark.line + 1})"
    return Problem(file, line, col, message)
