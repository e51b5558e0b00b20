"""Checks a located tree against the records in ``spec.py`` and reports every problem, not just the first.

Shapes only: unknown or missing keys, wrong types, bad enums and patterns. Rules about the graph (names that
resolve, cycles) need the whole pipeline and live in ``validate.py``.
"""

from __future__ import annotations

from conveyor.definitions import durations
from conveyor.definitions.hints import Suggester
from conveyor.definitions.spec import COMPILED, PIPELINE, RECORDS, Field, Kind, Record
from conveyor.definitions.yamlsrc import (
    BOOL,
    FLOAT,
    INT,
    NULL,
    STR,
    Map,
    Node,
    Scalar,
    Seq,
    bool_value,
    describe,
    int_value,
)
from conveyor.errors import Problem

_DURATION_TAGS = (STR, INT, FLOAT)


def check(root: Node, file: str, record: Record = PIPELINE) -> list[Problem]:
    """Every shape problem in ``root`` (unsorted)."""
    checker = _Checker(file)
    checker.record(root, record)
    return checker.problems


class _Checker:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.suggest = Suggester()

    def add(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.file, node.line, node.col, message))

    def record(self, node: Node, record: Record) -> None:
        if not isinstance(node, Map):
            if record.shorthand and isinstance(node, Scalar) and node.tag == STR:
                self.value(node, record.by_name[record.shorthand], record.title)
                return
            shape = "a mapping or a string" if record.shorthand else "a mapping"
            self.add(node, f"expected {_a(record.title)} ({shape}), got {describe(node)}")
            return
        fields = record.by_name
        entries = node.entries
        for key, (key_node, value) in entries.items():
            f = fields.get(key)
            if f is None:
                self._unknown_key(key_node, record)
            else:
                self.value(value, f)
        for f in record.fields:
            if f.required and f.name not in entries:
                self.add(node, f"missing required key {f.name!r} in {_label(record, node)}")
        if record.exactly_one:
            present = [k for k in record.exactly_one if k in entries]
            if not present:
                options = " or ".join(f"'{k}: NAME'" for k in record.exactly_one)
                self.add(node, f"{record.title} needs {options}")
            elif len(present) > 1:
                later = max((entries[k][0] for k in present), key=lambda s: (s.line, s.col))
                names = " and ".join(repr(k) for k in present)
                self.add(later, f"{record.title} has both {names}; give exactly one")

    def _unknown_key(self, key: Scalar, record: Record) -> None:
        hint = self.suggest.did_you_mean(key.value, record.by_name)
        if hint:
            self.add(key, f"unknown key {key.value!r} in {record.title}{hint}")
        else:
            known = ", ".join(record.by_name)
            self.add(key, f"unknown key {key.value!r} in {record.title}; known keys: {known}")

    def value(self, node: Node, f: Field, name: str = "") -> None:
        """``name``: what messages call the value (default: the field's name)."""
        kind = f.kind
        t = kind.type
        if t == "str":
            if not isinstance(node, Scalar) or node.tag != STR:
                self.add(node, _expected_string(node))
            else:
                self._text_rules(node, f, name)
        elif t == "list":
            self.list(node, kind)
        elif t == "record":
            self.record(node, RECORDS[kind.record])
        elif t == "text":
            if not isinstance(node, Scalar):
                self.add(node, f"expected a plain value, got {describe(node)}")
            else:
                self._text_rules(node, f)
        elif t == "bool":
            if not isinstance(node, Scalar) or node.tag != BOOL or bool_value(node) is None:
                got = repr(node.value) if isinstance(node, Scalar) and node.value else describe(node)
                self.add(node, f"expected true or false, got {got}")
        elif t == "int":
            self.int(node, kind)
        elif t == "duration":
            if not isinstance(node, Scalar) or node.tag not in _DURATION_TAGS:
                self.add(node, f"expected a duration like 5m, got {describe(node)}")
            else:
                try:
                    durations.parse_duration(node.value)
                except ValueError as exc:
                    self.add(node, str(exc))
        elif t == "map":
            self.map(node, kind)
        else:  # pragma: no cover - a spec mistake, caught by the spec tests
            raise AssertionError(f"unknown kind {t!r}")

    def _text_rules(self, node: Scalar, f: Field, name: str = "") -> None:
        value = node.value
        name = name or f.name
        if f.enum and value not in f.enum:
            hint = self.suggest.did_you_mean(value, f.enum)
            self.add(node, f"invalid {name} {value!r}{hint}; expected one of: {', '.join(f.enum)}")
        elif f.pattern and not COMPILED[f.pattern].match(value):
            self.add(node, f"invalid {name} {value!r}: {f.pattern_hint}")

    def int(self, node: Node, kind: Kind) -> None:
        if not isinstance(node, Scalar) or node.tag != INT:
            got = repr(node.value) if isinstance(node, Scalar) and node.value else describe(node)
            self.add(node, f"expected an integer, got {got}")
            return
        try:
            number = int_value(node)
        except ValueError:
            self.add(node, f"expected an integer, got {node.value!r}")
            return
        low, high = kind.minimum, kind.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            self.add(node, f"expected an integer from {low} to {high}, got {number}")

    def list(self, node: Node, kind: Kind) -> None:
        item = kind.item
        assert item is not None
        if not isinstance(node, Seq):
            self.add(node, f"expected a list of {kind.noun}, got {describe(node)}")
            return
        if len(node.items) < kind.min_items:
            singular = RECORDS[item.record].title if item.type == "record" else "item"
            self.add(node, f"expected at least one {singular}, got an empty list")
        if item.type == "record":
            record = RECORDS[item.record]
            for child in node.items:
                self.record(child, record)
        elif item.type == "str":
            for child in node.items:
                if not isinstance(child, Scalar) or child.tag != STR:
                    self.add(child, _expected_string(child))
                elif item.enum and child.value not in item.enum:
                    hint = self.suggest.did_you_mean(child.value, item.enum)
                    self.add(
                        child,
                        f"invalid {kind.noun[:-1]} {child.value!r}{hint}; expected one of: "
                        + ", ".join(item.enum),
                    )

    def map(self, node: Node, kind: Kind) -> None:
        if not isinstance(node, Map):
            self.add(node, f"expected a mapping of names to values, got {describe(node)}")
            return
        pattern = COMPILED[kind.key_pattern] if kind.key_pattern else None
        for key, (key_node, value) in node.entries.items():
            if pattern is not None and not pattern.match(key):
                self.add(key_node, f"invalid {kind.key_noun} {key!r}: {kind.key_hint}")
            if not isinstance(value, Scalar):
                self.add(value, f"expected a plain value for {key!r}, got {describe(value)}")


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _label(record: Record, node: Map) -> str:
    """``job 'build'`` when the mapping has a usable name, else ``job``."""
    entry = node.entries.get("name")
    if entry is not None and isinstance(entry[1], Scalar) and entry[1].tag == STR and entry[1].value:
        return f"{record.title} {entry[1].value!r}"
    return record.title


def _expected_string(node: Node) -> str:
    message = f"expected a string, got {describe(node)}"
    if isinstance(node, Scalar) and node.tag != NULL and node.value:
        message += f'; write "{node.value}" in quotes if you mean the text'
    return message
