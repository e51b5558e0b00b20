"""A located YAML tree -> a ``Template``, decoded the way yaml.v2's ``UnmarshalStrict`` fills tink's structs.

tink parses templates with ``yaml.UnmarshalStrict`` into Go structs (FACTS 1.1), so that is the behaviour to
copy: unknown keys, duplicate keys and type mismatches are errors; a scalar decoded into a string field keeps
its raw text; a null gives the zero value; a list item that does not decode is dropped and reported.
yaml.v2 reports every such error at once, each as ``line N: ...``, under ``yaml: unmarshal errors:``; the
messages here use its words and Go type names so users see what tink would have said. One deliberate
difference: a float in an integer field (``timeout: 1.5``) is refused, as FACTS 1.1 asks, where yaml.v2
would truncate it.

The tree comes from ``conveyor.definitions.yamlsrc``, which keeps raw scalar text and finds duplicate keys
(it keeps the first and reports the rest as problems, which are translated here).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from conveyor.definitions.yamlsrc import INT, NULL, TAG, Map, Node, Scalar, Seq, int_value
from conveyor.errors import Problem
from conveyor.tinkerbell.gofmt import quote
from conveyor.tinkerbell.model import Action, Task, Template, frozen_env

#: A place in a template: ("tasks", 0, "actions", 1, "image"); the locations map it to (line, col).
Path = tuple[str | int, ...]
Located = dict[Path, tuple[int, int]]
#: One unmarshal error: where it is, and yaml.v2's text for it (which starts "line N: ").
Error = tuple[int, int, str]

WORKFLOW, TASK, ACTION = "workflow.Workflow", "workflow.Task", "workflow.Action"
_FIELDS = {
    WORKFLOW: ("version", "name", "id", "global_timeout", "tasks"),
    TASK: ("name", "worker", "actions", "volumes", "environment"),
    ACTION: (
        "name",
        "image",
        "timeout",
        "command",
        "on-timeout",
        "on-failure",
        "volumes",
        "environment",
        "pid",
    ),
}
_STRING_MAP = "map[string]string"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_DUPLICATE = re.compile(r"duplicate key (?P<key>'.*'|\".*\") \(first at line (?P<line>\d+)\)", re.S)


def decode(tree: Node | None, problems: Sequence[Problem]) -> tuple[Template, Located, list[Error]]:
    """The template in ``tree`` (None means an empty document), where each field was written, and every
    unmarshal error (sorted by place). ``problems`` are yamlsrc's non-fatal ones for the same tree."""
    decoder = _Decoder()
    template = decoder.workflow(tree)
    decoder.translate(problems)
    return template, decoder.located, sorted(decoder.errors)


def short_tag(node: Node) -> str:
    """yaml.v2's ``shortTag``: ``!!str``, ``!!int``, ``!!seq``, ``!!map`` ..."""
    if isinstance(node, Seq):
        return "!!seq"
    if isinstance(node, Map):
        return "!!map"
    return "!!" + node.tag.removeprefix(TAG) if node.tag.startswith(TAG) else node.tag


def _is_null(node: Node) -> bool:
    return isinstance(node, Scalar) and node.tag == NULL


class _Decoder:
    """One decoding; collects errors instead of stopping, as yaml.v2 does."""

    def __init__(self) -> None:
        self.errors: list[Error] = []
        self.located: Located = {}
        #: every mapping decoded, with the Go type it was decoded into (to word duplicate-key errors)
        self.maps: list[tuple[Map, str]] = []

    def terror(self, node: Node, go_type: str) -> None:
        """yaml.v2's ``terror``: the value is shown (cut to 7 bytes when over 10) unless a collection."""
        shown = ""
        if isinstance(node, Scalar):
            raw = node.value.encode("utf-8", "surrogatepass")
            text = raw[:7].decode("utf-8", "replace") + "..." if len(raw) > 10 else node.value
            shown = f" `{text}`"
        message = f"line {node.line}: cannot unmarshal {short_tag(node)}{shown} into {go_type}"
        self.errors.append((node.line, node.col, message))

    def fields(self, node: Node | None, go_type: str, path: Path) -> dict[str, Node] | None:
        """The known fields of a struct-typed mapping; None when the node is not a mapping (or null)."""
        if node is None:
            return {}
        self.located[path] = (node.line, node.col)
        if _is_null(node):
            return {}
        if not isinstance(node, Map):
            self.terror(node, go_type)
            return None
        self.maps.append((node, go_type))
        known = _FIELDS[go_type]
        found: dict[str, Node] = {}
        for key, value in node.entries.values():
            name = "" if key.tag == NULL else key.value
            if name in known:
                found[name] = value
                self.located[(*path, name)] = (key.line, key.col)
            else:
                self.errors.append(
                    (key.line, key.col, f"line {key.line}: field {name} not found in type {go_type}")
                )
        return found

    def string(self, node: Node | None) -> str | None:
        """A string field: the raw text; "" for null; None (and an error) for a list or mapping."""
        if node is None:
            return ""
        if isinstance(node, Scalar):
            return "" if node.tag == NULL else node.value
        self.terror(node, "string")
        return None

    def integer(self, node: Node | None, go_type: str) -> int:
        if node is None or _is_null(node):
            return 0
        if isinstance(node, Scalar) and node.tag == INT and ":" not in node.value:
            try:
                value = int_value(node)
            except ValueError:
                value = None
            if value is not None and _INT64_MIN <= value <= _INT64_MAX:
                return value
        self.terror(node, go_type)
        return 0

    def strings(self, node: Node | None) -> tuple[str, ...]:
        if node is None or _is_null(node):
            return ()
        if not isinstance(node, Seq):
            self.terror(node, "[]string")
            return ()
        return tuple(s for s in map(self.string, node.items) if s is not None)

    def env(self, node: Node | None) -> dict[str, str]:
        if node is None or _is_null(node):
            return {}
        if not isinstance(node, Map):
            self.terror(node, _STRING_MAP)
            return {}
        self.maps.append((node, _STRING_MAP))
        out: dict[str, str] = {}
        for key, value in node.entries.values():
            name = "" if key.tag == NULL else key.value
            text = self.string(value)
            if text is None:
                continue
            if name in out:  # two spellings of one key, e.g. "~" and "null"
                self.errors.append(
                    (key.line, key.col, f"line {key.line}: key {quote(name)} already set in map")
                )
            else:
                out[name] = text
        return out

    def workflow(self, tree: Node | None) -> Template:
        found = self.fields(tree, WORKFLOW, ()) or {}
        tasks: list[Task] = []
        node = found.get("tasks")
        if node is not None and not _is_null(node):
            if isinstance(node, Seq):
                for item in node.items:
                    task = self.task(item, ("tasks", len(tasks)))
                    if task is not None:
                        tasks.append(task)
            else:
                self.terror(node, f"[]{TASK}")
        return Template(
            version=self.string(found.get("version")) or "",
            name=self.string(found.get("name")) or "",
            id=self.string(found.get("id")) or "",
            global_timeout=self.integer(found.get("global_timeout"), "int"),
            tasks=tuple(tasks),
        )

    def task(self, node: Node, path: Path) -> Task | None:
        found = self.fields(node, TASK, path)
        if found is None:
            return None
        actions: list[Action] = []
        listed = found.get("actions")
        if listed is not None and not _is_null(listed):
            if isinstance(listed, Seq):
                for item in listed.items:
                    action = self.action(item, (*path, "actions", len(actions)))
                    if action is not None:
                        actions.append(action)
            else:
                self.terror(listed, f"[]{ACTION}")
        return Task(
            name=self.string(found.get("name")) or "",
            worker=self.string(found.get("worker")) or "",
            actions=tuple(actions),
            volumes=self.strings(found.get("volumes")),
            environment=frozen_env(self.env(found.get("environment"))),
        )

    def action(self, node: Node, path: Path) -> Action | None:
        found = self.fields(node, ACTION, path)
        if found is None:
            return None
        return Action(
            name=self.string(found.get("name")) or "",
            image=self.string(found.get("image")) or "",
            timeout=self.integer(found.get("timeout"), "int64"),
            command=self.strings(found.get("command")),
            on_timeout=self.strings(found.get("on-timeout")),
            on_failure=self.strings(found.get("on-failure")),
            volumes=self.strings(found.get("volumes")),
            environment=frozen_env(self.env(found.get("environment"))),
            pid=self.string(found.get("pid")) or "",
        )

    def translate(self, problems: Sequence[Problem]) -> None:
        """yamlsrc's non-fatal problems, worded as yaml.v2 words them where it has an equivalent.

        A duplicate key inside a mapping that was never decoded (say, under a key already reported as
        unknown) is not reported: yaml.v2 never looks there either.
        """
        for problem in problems:
            match = _DUPLICATE.fullmatch(problem.message)
            if match is None:
                self.errors.append((problem.line, problem.col, f"line {problem.line}: {problem.message}"))
                continue
            raw = ast.literal_eval(match["key"])
            first = int(match["line"])
            for mapping, go_type in self.maps:
                entry = mapping.entries.get(raw)
                if entry is None or entry[0].line != first:
                    continue
                name = "" if entry[0].tag == NULL else raw
                if go_type == _STRING_MAP:
                    message = f"key {quote(name)} already set in map"
                elif name in _FIELDS[go_type]:
                    message = f"field {name} already set in type {go_type}"
                else:
                    message = f"field {name} not found in type {go_type}"
                self.errors.append((problem.line, problem.col, f"line {problem.line}: {message}"))
                break
