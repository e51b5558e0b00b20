"""The part of Go's ``text/template`` that Tinkerbell templates use: ``{{.device_1}}`` and friends.

tink runs the whole template text through Go ``text/template`` with ``missingkey=error`` and the hardware
mapping as data (FACTS 1.4). Real templates only ever write ``{{.key}}``, so that is what is implemented, with
what comes free with it: whitespace and trim markers (``{{- .key -}}``), nested keys (``{{.key.field}}``, when
the mapping's value is an object), ``{{.}}``, string constants (``{{"{{"}}`` is how Go writes literal
braces) and ``{{/* comments */}}``. Anything else (``if``, ``range``, functions, pipes) is refused with a
clear message rather than half-supported; the obsolete pre-v0.1 ``{{index .Targets "machine1" "mac_addr"}}``
syntax gets its own message. Positions and error texts follow Go's (``template: workflow-template:6:15:
executing "workflow-template" at <.device_1>: map has no entry for key "device_1"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from conveyor.tinkerbell import gofmt

NAME = "workflow-template"
_SPACE = " \t\r\n"
_FIELDS = re.compile(r"(?:\.[^\W\d]\w*)+")
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"', re.S)
_RAW = re.compile(r"`[^`]*`")
_ESCAPE = re.compile(
    r"\\(?:([abfnrtv\\\"])|x([0-9a-fA-F]{2})|([0-7]{3})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.S
)
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}
#: The pre-v0.1 "Targets" reference (tinkerbell/tink#114), however it is spelled inside an action.
OBSOLETE = re.compile(r"\{\{[^}]*?(?<![\w.])\.Targets\b")


@dataclass(frozen=True, slots=True)
class Placeholder:
    """One ``{{ ... }}`` action in a text."""

    start: int  #: offset of ``{{``
    end: int  #: offset just after ``}}``
    pos: int  #: offset of the pipeline (Go's node position, used in messages)
    kind: str  #: "field", "dot", "string" or "comment"
    fields: tuple[str, ...] = ()
    literal: str = ""
    trim_left: bool = False
    trim_right: bool = False


class TemplateSyntaxError(Exception):
    """The text does not parse as a (supported) Go template; ``pos`` is where."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos

    def text(self, source: str) -> str:
        """Go's wording: ``template: workflow-template:LINE: message``."""
        return f"template: {NAME}:{line_col(source, self.pos)[0]}: {self.message}"


class ExecError(Exception):
    """An action failed to evaluate (a missing key, a field of a non-object)."""

    def __init__(self, message: str, placeholder: Placeholder, context: str) -> None:
        super().__init__(message)
        self.message = message
        self.placeholder = placeholder
        self.context = context

    def text(self, source: str) -> str:
        line, col = line_col(source, self.placeholder.pos)
        return f'template: {NAME}:{line}:{col}: executing "{NAME}" at <{self.context}>: {self.message}'


def line_col(text: str, pos: int) -> tuple[int, int]:
    """Go's ``ErrorContext``: 1-based line, 0-based byte offset within the line."""
    start = text.rfind("\n", 0, pos) + 1
    return text.count("\n", 0, pos) + 1, len(text[start:pos].encode("utf-8", "surrogatepass"))


def obsolete_at(text: str) -> tuple[int, str] | None:
    """Where the first obsolete ``.Targets`` action is (line, the action's text), if there is one."""
    match = OBSOLETE.search(text)
    if match is None:
        return None
    end = text.find("}}", match.start())
    return line_col(text, match.start())[0], text[match.start() : end + 2 if end >= 0 else len(text)]


def scan(text: str) -> list[Placeholder]:
    """Every action in ``text``, in order; raises ``TemplateSyntaxError`` at the first that is not valid."""
    out: list[Placeholder] = []
    index = 0
    while (start := text.find("{{", index)) >= 0:
        placeholder = _action(text, start)
        out.append(placeholder)
        index = placeholder.end
    return out


def _action(text: str, start: int) -> Placeholder:
    j = start + 2
    trim_left = text.startswith("-", j) and j + 1 < len(text) and text[j + 1] in _SPACE
    if trim_left:
        j += 2
    if text.startswith("/*", j):
        close = text.find("*/", j + 2)
        if close < 0:
            raise TemplateSyntaxError("unclosed comment", start)
        after = close + 2
        trim_right = after < len(text) and text[after] in _SPACE and text.startswith("-}}", after + 1)
        end = after + 4 if trim_right else after + 2
        if not trim_right and not text.startswith("}}", after):
            raise TemplateSyntaxError("comment ends before closing delimiter", start)
        return Placeholder(start, end, j, "comment", trim_left=trim_left, trim_right=trim_right)
    k = j
    while not text.startswith("}}", k):
        if k >= len(text):
            raise TemplateSyntaxError("unclosed action", start)
        k = _skip_quoted(text, k, start) if text[k] in "\"`'" else k + 1
    body_end, end = k, k + 2
    trim_right = body_end - 2 >= j and text[body_end - 1] == "-" and text[body_end - 2] in _SPACE
    if trim_right:
        body_end -= 1
    body = text[j:body_end]
    pipeline = body.strip(_SPACE)
    pos = j + len(body) - len(body.lstrip(_SPACE))
    kind, fields, literal = _pipeline(pipeline, text[start:end], pos)
    return Placeholder(start, end, pos, kind, fields, literal, trim_left, trim_right)


def _skip_quoted(text: str, k: int, start: int) -> int:
    quote = text[k]
    k += 1
    while k < len(text) and text[k] != quote:
        if quote != "`" and text[k] == "\n":
            break
        k += 2 if quote != "`" and text[k] == "\\" else 1
    if k >= len(text) or text[k] != quote:
        what = {'"': "quoted string", "`": "raw quoted string", "'": "character constant"}[quote]
        raise TemplateSyntaxError(f"unterminated {what}", start)
    return k + 1


def _pipeline(pipeline: str, action: str, pos: int) -> tuple[str, tuple[str, ...], str]:
    if OBSOLETE.search("{{" + pipeline):
        raise TemplateSyntaxError(f"obsolete pre-v0.1 Targets reference in {action}", pos)
    if pipeline == "":
        raise TemplateSyntaxError("missing value for command", pos)
    if pipeline == ".":
        return "dot", (), ""
    if _FIELDS.fullmatch(pipeline):
        return "field", tuple(pipeline[1:].split(".")), ""
    if _QUOTED.fullmatch(pipeline):
        return "string", (), _unquote(pipeline[1:-1], pos)
    if _RAW.fullmatch(pipeline):
        return "string", (), pipeline[1:-1]
    raise TemplateSyntaxError(
        f"unsupported action {action}: conveyor renders {{{{.key}}}} and {{{{.key.field}}}}"
        ' (and {{.}}, "string" constants and {{/* comments */}}), not the rest of Go templates',
        pos,
    )


def _unquote(body: str, pos: int) -> str:
    def one(match: re.Match[str]) -> str:
        simple, hex2, octal, hex4, hex8, bad = match.groups()
        if simple is not None:
            return _SIMPLE[simple]
        if bad is not None:
            raise TemplateSyntaxError(f"invalid syntax: unknown escape \\{bad}", pos)
        code = int(hex2, 16) if hex2 else int(octal, 8) if octal else int(hex4 or hex8, 16)
        if code > 0x10FFFF:
            raise TemplateSyntaxError("invalid syntax: escape out of range", pos)
        return chr(code)

    return _ESCAPE.sub(one, body)


def evaluate(placeholder: Placeholder, data: dict[str, Any]) -> str:
    """What the action prints, given the hardware mapping (``missingkey=error``)."""
    if placeholder.kind == "comment":
        return ""
    if placeholder.kind == "string":
        return placeholder.literal
    value: Any = data
    context = "." + ".".join(placeholder.fields)
    for name in placeholder.fields:
        if isinstance(value, dict):
            if name not in value:
                raise ExecError(f"map has no entry for key {gofmt.quote(name)}", placeholder, context)
            value = value[name]
        elif value is None:
            raise ExecError(f"nil pointer evaluating interface {{}}.{name}", placeholder, context)
        else:
            message = f"can't evaluate field {name} in type {gofmt.type_name(value)}"
            raise ExecError(message, placeholder, context)
    return gofmt.value_text(value)


def render(text: str, placeholders: list[Placeholder], data: dict[str, Any]) -> str:
    """``text`` with each action replaced by what it prints; trim markers eat the whitespace beside them."""
    pieces: list[str] = []
    previous = 0
    trim_next = False
    for placeholder in placeholders:
        before = text[previous : placeholder.start]
        if trim_next:
            before = before.lstrip(_SPACE)
        if placeholder.trim_left:
            before = before.rstrip(_SPACE)
        pieces.append(before)
        pieces.append(evaluate(placeholder, data))
        previous, trim_next = placeholder.end, placeholder.trim_right
    rest = text[previous:]
    pieces.append(rest.lstrip(_SPACE) if trim_next else rest)
    return "".join(pieces)
