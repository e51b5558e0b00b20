"""Reading Shippable's located tree leniently: typed getters that report, never raise.

Shippable files are written by hand, for a platform that was lenient, so the reader takes every value it can
and reports the rest where it was written: an *error* when the value cannot mean anything (a name that is a
list), a *warning* when conveyor will not behave as Shippable did. The tree is ``yamlsrc``'s (raw scalar
text, YAML 1.1 tags resolved on demand), so ``switch: off`` and ``switch: "off"`` look alike when asked.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Literal

from conveyor.definitions.hints import Suggester
from conveyor.definitions.importers.shippable.records import Finding, Raw
from conveyor.definitions.spec import COMPILED, NAME_HINT, NAME_PATTERN
from conveyor.definitions.yamlsrc import (
    BOOL,
    FLOAT,
    INT,
    NULL,
    Map,
    Node,
    Scalar,
    Seq,
    bool_value,
    describe,
    int_value,
)
from conveyor.errors import Problem
from conveyor.model.pipeline import Location

_TRUE = ("true", "yes", "on")
_FALSE = ("false", "no", "off")


class Source:
    """One parsed file. A templates file's text may be put before it (so its anchors resolve): nodes on
    those first ``prefix_lines`` lines are located in ``prefix_file``, the rest are shifted back."""

    __slots__ = ("file", "prefix_file", "prefix_lines")

    def __init__(self, file: str, prefix_file: str = "", prefix_lines: int = 0) -> None:
        self.file = file
        self.prefix_file = prefix_file
        self.prefix_lines = prefix_lines

    def at(self, line: int, col: int) -> Location:
        if line <= self.prefix_lines:
            return Location(self.prefix_file, line, col)
        return Location(self.file, line - self.prefix_lines, col)

    def loc(self, node: Node) -> Location:
        return self.at(node.line, node.col)


class Reporter:
    """Collects errors (``Problem``) and warnings/notes (``Finding``) for a whole import."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.findings: list[Finding] = []
        self.suggest = Suggester()

    def error(self, loc: Location, message: str) -> None:
        self.problems.append(Problem(loc.file, loc.line, loc.col, message))

    def warn(self, loc: Location, message: str, severity: Literal["warning", "note"] = "warning") -> None:
        self.findings.append(Finding(loc.file, loc.line, loc.col, message, severity))


class Reader:
    """Typed getters over one file's nodes, reporting located problems to a shared ``Reporter``."""

    __slots__ = ("report", "source")

    def __init__(self, source: Source, report: Reporter) -> None:
        self.source = source
        self.report = report

    def loc(self, node: Node) -> Location:
        return self.source.loc(node)

    def error(self, node: Node, message: str) -> None:
        self.report.error(self.loc(node), message)

    def warn(self, node: Node, message: str) -> None:
        self.report.warn(self.loc(node), message)

    def note(self, node: Node, message: str) -> None:
        self.report.warn(self.loc(node), message, "note")

    def unknown_keys(self, node: Map, known: Collection[str], where: str) -> None:
        """A warning for each key Shippable does not define here: it is ignored, as Shippable did."""
        for key, (key_node, _) in node.entries.items():
            if key not in known:
                hint = self.report.suggest.did_you_mean(key, known)
                self.warn(key_node, f"unknown key {key!r} in {where}{hint}; ignored")

    # -- values ------------------------------------------------------------------------------------------

    def name(self, node: Node, what: str) -> str | None:
        """A resource or job name: any non-empty scalar's text, in the form conveyor's names take."""
        if not isinstance(node, Scalar) or node.tag == NULL or not node.value:
            self.error(node, f"expected the name of {what}, got {describe(node)}")
            return None
        if not COMPILED[NAME_PATTERN].match(node.value):
            self.error(node, f"invalid name {node.value!r} for {what}: {NAME_HINT}")
            return None
        return node.value

    def text(self, node: Node, what: str) -> str | None:
        """Any scalar as its raw text (``1.10`` stays ``1.10``); None and an error for collections."""
        if not isinstance(node, Scalar):
            self.error(node, f"expected a plain value for {what}, got {describe(node)}")
            return None
        return "" if node.tag == NULL else node.value

    def flag(self, node: Node, what: str) -> bool | None:
        """true/false in any YAML 1.1 spelling, quoted or not."""
        if isinstance(node, Scalar):
            word = node.value.lower()
            if node.tag == BOOL:
                return bool_value(node)
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
        got = repr(node.value) if isinstance(node, Scalar) and node.value else describe(node)
        self.error(node, f"expected true or false for {what}, got {got}")
        return None

    def integer(self, node: Node, what: str, low: int, high: int | None = None) -> int | None:
        number: int | None = None
        if isinstance(node, Scalar):
            try:
                number = int_value(node) if node.tag == INT else int(node.value.strip())
            except ValueError:
                number = None
        if number is None or number < low or (high is not None and number > high):
            got = repr(node.value) if isinstance(node, Scalar) and node.value else describe(node)
            limits = f"from {low} to {high}" if high is not None else f"of at least {low}"
            self.error(node, f"expected an integer {limits} for {what}, got {got}")
            return None
        return number

    def choice(self, node: Node, what: str, choices: tuple[str, ...]) -> str | None:
        """One of ``choices``, matched without regard to case."""
        if isinstance(node, Scalar):
            for choice in choices:
                if node.value.lower() == choice.lower():
                    return choice
        got = repr(node.value) if isinstance(node, Scalar) else describe(node)
        hint = self.report.suggest.did_you_mean(node.value, choices) if isinstance(node, Scalar) else ""
        self.error(node, f"invalid {what} {got}{hint}; expected one of: {', '.join(choices)}")
        return None

    def items(self, node: Node, what: str) -> list[Node]:
        """A list's items; nothing (null) is an empty list; a single value stands for a list of one."""
        if isinstance(node, Seq):
            return node.items
        if isinstance(node, Scalar) and node.tag == NULL:
            return []
        if isinstance(node, Scalar):
            return [node]
        self.error(node, f"expected a list of {what}, got {describe(node)}")
        return []

    def texts(self, node: Node, what: str) -> tuple[str, ...]:
        """A list of plain values (or one), as raw text."""
        out = []
        for item in self.items(node, what):
            value = self.text(item, what)
            if value:
                out.append(value)
        return tuple(out)


def entry(node: Map, key: str) -> Node | None:
    found = node.entries.get(key)
    return found[1] if found is not None else None


def key_node(node: Map, key: str) -> Scalar | None:
    found = node.entries.get(key)
    return found[0] if found is not None else None


def is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, Scalar) and node.tag == NULL)


def plain(node: Node) -> Raw:
    """The JSON-like value of a node, scalars resolved as PyYAML reads them (dates stay text)."""
    if isinstance(node, Map):
        return {key: plain(value) for key, (_, value) in node.entries.items()}
    if isinstance(node, Seq):
        return [plain(item) for item in node.items]
    tag = node.tag
    if tag == NULL:
        return None
    if tag == BOOL:
        return bool_value(node)
    if tag == INT:
        try:
            return int_value(node)
        except ValueError:
            return node.value
    if tag == FLOAT:
        try:
            return float(node.value.replace("_", ""))
        except ValueError:
            return node.value
    return node.value


def raw_text(value: Raw) -> str:
    """A raw value as property text: scalars as written, collections as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
