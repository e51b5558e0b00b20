"""Template text -> a validated ``Template``, with tink's checks, in tink's order, with tink's messages.

What is checked, in order (each failure is an ``InvalidDefinition`` whose message is tink's text and whose
problems say where, as ``FILE:LINE:COL``):

1. the obsolete pre-v0.1 ``{{index .Targets ...}}`` syntax (those templates are not even YAML);
2. YAML syntax, then yaml.v2 ``UnmarshalStrict`` (``parsing yaml data: ...``; see ``decode``);
3. tink's ``validate()`` (FACTS 1.2), first error wins (``validating workflow template: ...``);
4. that every ``{{ }}`` action is one conveyor can render (``placeholders``), so a template that could never
   make a workflow is refused when it is stored rather than when it is used.

A Kubernetes ``Template`` resource (tink's CRD era) is accepted too: its ``spec.data`` is the template.
"""

from __future__ import annotations

from typing import Any, NoReturn

from conveyor.definitions import yamlsrc
from conveyor.definitions.yamlsrc import Map, Node, Scalar
from conveyor.errors import InvalidDefinition, Problem
from conveyor.tinkerbell import placeholders
from conveyor.tinkerbell.decode import Located, Path, decode
from conveyor.tinkerbell.image import is_valid_image
from conveyor.tinkerbell.model import Template

VERSION = "0.1"
#: tink accepts a name of at most this many bytes (it tests ``len(name) < 200``; its message says "more
#: than 200").
NAME_MAX_BYTES = 199
PARSE_PREFIX = "parsing yaml data: "
VALIDATE_PREFIX = "validating workflow template: "
_RESOURCE_API = "tinkerbell.org/"


def parse_template(text: str | bytes, source: str = "template") -> Template:
    """The template in ``text``, checked as tink's ``CreateTemplate`` checks the raw (unrendered) text.

    ``source`` names the text in problem locations. Raises ``InvalidDefinition``.
    """
    data, source = template_data(text, source)
    template = build(*yamlsrc.parse(data, source), source)
    check_placeholders(data, source)
    return template


def template_data(text: str | bytes, source: str = "template") -> tuple[str, str]:
    """The template text to store and render, and its name for locations.

    That is ``text`` itself, or the ``spec.data`` of a ``tinkerbell.org`` ``Template`` resource. Refuses the
    obsolete Targets syntax and any other ``tinkerbell.org`` resource (a ``Workflow`` is not a template).
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            _refuse_parse(*yamlsrc.parse(text, source), source)
    _refuse_obsolete(text, source)
    tree, _ = yamlsrc.parse(text, source)
    if not isinstance(tree, Map) or "kind" not in tree.entries or "apiVersion" not in tree.entries:
        return text, source
    api, kind = tree.entries["apiVersion"][1], tree.entries["kind"][1]
    if not (isinstance(api, Scalar) and api.value.startswith(_RESOURCE_API) and isinstance(kind, Scalar)):
        return text, source
    if kind.value != "Template":
        raise _parse_error(
            source,
            kind,
            f"a {api.value} {kind.value} resource is not a template"
            " (a Template resource wraps one in spec.data)",
        )
    spec = tree.entries.get("spec")
    data = spec[1].entries.get("data") if spec is not None and isinstance(spec[1], Map) else None
    if data is None or not isinstance(data[1], Scalar) or data[1].tag != yamlsrc.STR:
        raise _parse_error(source, kind, "the Template resource has no template text in spec.data")
    inner = data[1].value
    _refuse_obsolete(inner, source)
    return inner, f"{source}#spec.data"


def build(tree: Node | None, problems: list[Problem], source: str) -> Template:
    """A parsed tree (``yamlsrc.parse``'s result) -> the validated template; raises ``InvalidDefinition``."""
    if tree is None and not _empty(problems):
        _refuse_parse(tree, problems, source)
    template, located, errors = decode(tree, [] if tree is None else problems)
    if errors:
        text = "yaml: unmarshal errors:\n  " + "\n  ".join(message for _, _, message in errors)
        found = [Problem(source, line, col, message.split(": ", 1)[1]) for line, col, message in errors]
        raise InvalidDefinition(found, PARSE_PREFIX + text)
    failure = validation_error(template)
    if failure is not None:
        path, message = failure
        line, col = _locate(located, path)
        raise InvalidDefinition([Problem(source, line, col, message)], VALIDATE_PREFIX + message)
    return template


def validation_error(template: Template) -> tuple[Path, str] | None:
    """tink's ``validate()`` (FACTS 1.2): the first rule broken, with where, or None."""
    name_error = _name_error(template.name)
    if name_error:
        return ("name",), name_error
    if template.version != VERSION:
        return ("version",), f"invalid template version: {template.version}"
    if not template.tasks:
        return ("tasks",), "template must have at least one task defined"
    tasks: set[str] = set()
    for i, task in enumerate(template.tasks):
        name_error = _name_error(task.name)
        if name_error:
            return ("tasks", i, "name"), name_error
        if task.name in tasks:
            return ("tasks", i, "name"), f"two tasks in a template cannot have same name: {task.name}"
        tasks.add(task.name)
        actions: set[str] = set()
        for j, action in enumerate(task.actions):
            where: Path = ("tasks", i, "actions", j)
            name_error = _name_error(action.name)
            if name_error:
                return (*where, "name"), name_error
            if not is_valid_image(action.image):
                return (*where, "image"), f"invalid action image: {action.image}"
            if action.name in actions:
                return (*where, "name"), f"two actions in a task cannot have same name: {action.name}"
            actions.add(action.name)
    return None


def check_placeholders(text: str, source: str) -> None:
    """Refuse a template whose ``{{ }}`` actions conveyor cannot render (raises ``InvalidDefinition``)."""
    try:
        placeholders.scan(text)
    except placeholders.TemplateSyntaxError as exc:
        line, col = placeholders.line_col(text, exc.pos)
        problem = Problem(source, line, col + 1, exc.message)
        raise InvalidDefinition([problem], "parsing template: " + exc.text(text))


def dump_yaml(template: Template) -> str:
    """The template as YAML that ``parse_template``/``build`` read back to an equal ``Template``.

    It is what a workflow stores as its rendered definition (tink's ``Workflow.data``). libyaml's emitter
    quotes every string that would otherwise read back as another type or text.
    """
    import yaml

    document: dict[str, Any] = template.to_dict()
    return str(
        yaml.dump(document, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=1_000_000_000)
    )


def _name_error(name: str) -> str | None:
    if name == "":
        return "name cannot be empty"
    if len(name.encode("utf-8", "surrogatepass")) > NAME_MAX_BYTES:
        return f"name cannot have more than 200 characters: {name}"
    return None


def _locate(located: Located, path: Path) -> tuple[int, int]:
    """Where ``path`` was written, else its nearest written parent, else the top of the text."""
    while path:
        if path in located:
            return located[path]
        path = path[:-1]
    return located.get((), (1, 1))


def _empty(problems: list[Problem]) -> bool:
    return len(problems) == 1 and problems[0].message == "file is empty"


def _refuse_obsolete(text: str, source: str) -> None:
    found = placeholders.obsolete_at(text)
    if found is None:
        return
    line, action = found
    message = (
        f"obsolete template syntax at line {line}: {action} uses the pre-v0.1 Targets reference, removed from"
        ' Tinkerbell in 2020 (tinkerbell/tink#114); write worker: "{{.device_1}}" and give'
        ' {"device_1": "<MAC or IP>"} to workflow create'
    )
    raise InvalidDefinition([Problem(source, line, 1, message)], message)


def _refuse_parse(tree: Node | None, problems: list[Problem], source: str) -> NoReturn:
    """A text that is not YAML at all: yaml.v2's ``yaml: line N: ...`` wording, with yamlsrc's hints."""
    first = problems[0] if problems else Problem(source, 1, 1, "invalid YAML")
    detail = first.message.removeprefix("invalid YAML: ")
    if "second YAML document" in detail:
        detail = "a template is exactly one YAML document"
    raise InvalidDefinition(problems or [first], f"{PARSE_PREFIX}yaml: line {first.line}: {detail}")


def _parse_error(source: str, node: Node, message: str) -> InvalidDefinition:
    return InvalidDefinition([Problem(source, node.line, node.col, message)], PARSE_PREFIX + message)
