"""Rendering a template with a workflow's hardware mapping, the values going in as data, never as YAML.

tink substitutes into the template *text* and parses the result (FACTS 1.4), so a value such as
``"x\\n  - evil: 1"`` (or an object, printed by Go as ``map[...]``) can add YAML of its own. conveyor keeps
tink's rules and messages but substitutes into the parsed template's scalars instead: a rendered value is
only ever the text of the string it was written in. The order of checks is tink's: the mapping must be a
JSON object; every action in the text must parse and evaluate (a missing key is an error naming the key,
first in text order, YAML comments included, as in Go); the rendered template is validated again (so a
value that makes an image or a name invalid is refused); no task may be left without a ``worker``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from conveyor.definitions import yamlsrc
from conveyor.definitions.yamlsrc import STR, Map, Node, Scalar, Seq
from conveyor.errors import BadInput, InvalidDefinition, Problem
from conveyor.tinkerbell import gofmt, placeholders
from conveyor.tinkerbell.model import Template
from conveyor.tinkerbell.template import build, dump_yaml, template_data

RENDERED = "rendered template"
_GO_KINDS = {list: "array", str: "string", float: "number", bool: "bool"}


@dataclass(frozen=True, slots=True)
class Rendered:
    """A template rendered for one workflow: the definition and its YAML (tink's ``Workflow.data``)."""

    template: Template
    data: str


def render_template(text: str, hardware: str | bytes, template_id: str) -> Rendered:
    """Render stored template ``text`` with the ``hardware`` JSON object (``{"device_1": "08:00:..."}``).

    ``template_id`` is only used in messages, which are tink's. Raises ``BadInput``.
    """
    devices = parse_devices(hardware, template_id)
    wrap = f"failed to parse template with ID {template_id}: "
    data, source = template_data(text)
    _evaluate_all(data, devices, wrap)
    tree, problems = yamlsrc.parse(data, source)
    more: list[Problem] = []
    rendered = None if tree is None else _Substitution(devices, wrap, more).node(tree)
    try:
        template = build(rendered, problems + more, RENDERED)
    except InvalidDefinition as exc:
        raise BadInput(exc.message)
    if any(task.worker == "" for task in template.tasks):
        raise BadInput(f"failed to render template, invalid hardware address: {gofmt.value_text(devices)}")
    return Rendered(template, dump_yaml(template))


def parse_devices(hardware: str | bytes, template_id: str) -> dict[str, Any]:
    """The hardware mapping as Go's ``json.Unmarshal`` into ``map[string]interface{}`` sees it.

    Numbers become floats (Go prints ``1000000`` as ``1e+06``); ``null`` is an empty mapping; NaN, infinities
    and lone surrogate escapes are refused, since neither Go's decoder nor the stored YAML can hold them.
    """
    wrap = f"failed to parse template with ID {template_id}: "
    try:
        text = hardware.decode("utf-8") if isinstance(hardware, bytes) else hardware
        value = json.loads(text, parse_int=_number, parse_float=_number, parse_constant=_constant)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError) as exc:
        raise BadInput(f"{wrap}invalid UTF-8 or Unicode escape in the hardware JSON ({exc.reason})")
    except ValueError as exc:
        raise BadInput(f"{wrap}{exc}")
    if value is None:
        return {}
    if not isinstance(value, dict):
        kind = _GO_KINDS.get(type(value), "value")
        raise BadInput(f"{wrap}json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}")
    return value


def _number(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"json: cannot unmarshal number {text} into Go value of type float64")
    return value


def _constant(text: str) -> Any:
    raise ValueError(f"invalid character {text[0]!r} looking for beginning of value")


def _evaluate_all(text: str, devices: dict[str, Any], wrap: str) -> None:
    """Every action of the whole text, in order, as Go executes it: the first failure is the error."""
    try:
        for placeholder in placeholders.scan(text):
            placeholders.evaluate(placeholder, devices)
    except (placeholders.TemplateSyntaxError, placeholders.ExecError) as exc:
        raise BadInput(wrap + exc.text(text))


class _Substitution:
    """A copy of a parsed template with each scalar's actions replaced by their values (as plain strings)."""

    def __init__(self, devices: dict[str, Any], wrap: str, problems: list[Problem]) -> None:
        self.devices = devices
        self.wrap = wrap
        self.problems = problems
        self.done: dict[int, Node] = {}  # aliases share nodes; render each once

    def node(self, node: Node) -> Node:
        done = self.done.get(id(node))
        if done is not None:
            return done
        result: Node
        if isinstance(node, Scalar):
            result = self.scalar(node)
        elif isinstance(node, Seq):
            result = Seq(node.line, node.col)
            result.items = [self.node(item) for item in node.items]
        else:
            result = self.mapping(node)
        self.done[id(node)] = result
        return result

    def scalar(self, node: Scalar) -> Scalar:
        if "{{" not in node.value:
            return node
        try:
            text = placeholders.render(node.value, placeholders.scan(node.value), self.devices)
        except (placeholders.TemplateSyntaxError, placeholders.ExecError) as exc:
            raise BadInput(self.wrap + exc.text(node.value))
        return Scalar(text, STR, False, node.line, node.col)

    def mapping(self, node: Map) -> Map:
        """Keys are rendered too (an environment key may be a placeholder); two keys may then collide."""
        result = Map(node.line, node.col)
        for key, value in node.entries.values():
            new_key = self.scalar(key)
            first = result.entries.get(new_key.value)
            if first is not None:
                message = f"duplicate key {new_key.value!r} (first at line {first[0].line})"
                self.problems.append(Problem(RENDERED, key.line, key.col, message))
                continue
            result.entries[new_key.value] = (new_key, self.node(value))
        return result
