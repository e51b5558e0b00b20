"""Template storage rules (FACTS 1.3) as pure functions over the existing records.

tink's database added two rules to the validator's: a name is ``VARCHAR(200)`` matching
``^[a-zA-Z0-9_-]*$``, and at most one *live* template has a given name (a partial unique index), so a name can
be reused once its template is (soft) deleted. Templates are validated when created and, unlike tink, when
updated too, so a stored template can always make workflows. The store runs the equivalent queries; these
functions say what the answer must be, given the records as a plain sequence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from conveyor.errors import Conflict, InvalidDefinition, NotFound, Problem
from conveyor.tinkerbell.model import Template
from conveyor.tinkerbell.template import parse_template, template_data

NAME_PATTERN = re.compile(r"[a-zA-Z0-9_-]*")
NAME_MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class TemplateRecord:
    """A stored template: its id, name and text (the template YAML itself, unwrapped from a resource)."""

    id: str
    name: str
    data: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.deleted_at is None


def check_name(name: str, source: str = "template", line: int = 1) -> None:
    """The database's rule for a template name (``InvalidDefinition`` when broken)."""
    if len(name) > NAME_MAX_CHARS or not NAME_PATTERN.fullmatch(name):
        message = (
            f"invalid template name: {name} (a name has at most {NAME_MAX_CHARS} letters, digits, '_' or '-')"
        )
        raise InvalidDefinition([Problem(source, line, 1, message)], message)


def check_name_free(name: str, records: Sequence[TemplateRecord], template_id: str | None = None) -> None:
    """``Conflict`` if a live template other than ``template_id`` already has ``name``."""
    for record in records:
        if record.live and record.name == name and record.id != template_id:
            raise Conflict(
                f"a template named {name} already exists (id {record.id}); delete it first or pick another"
                ' name (unique constraint "uidx_template_name")'
            )


def create_template(
    text: str | bytes, records: Sequence[TemplateRecord], template_id: str, now: datetime
) -> tuple[TemplateRecord, Template]:
    """A new record for ``text`` (named by its YAML ``name``), and the parsed template.

    Raises ``InvalidDefinition`` (tink's messages) or ``Conflict`` (a live template has the name).
    """
    data, source = template_data(text)
    template = parse_template(data, source)
    written = re.search(r"^name\s*:", data, re.MULTILINE)
    check_name(template.name, source, data.count("\n", 0, written.start()) + 1 if written else 1)
    check_name_free(template.name, records)
    return TemplateRecord(template_id, template.name, data, now, now), template


def update_template(
    template_id: str,
    records: Sequence[TemplateRecord],
    now: datetime,
    *,
    data: str | bytes | None = None,
    name: str | None = None,
) -> TemplateRecord:
    """The record with a new text and/or name; what is not given is kept (tink's rule).

    The new text is validated (tink did not), and the name (new or kept) must be free.
    """
    record = get_template(records, template_id=template_id)
    if not data and not name:
        return record
    if data:
        text, source = template_data(data)
        parse_template(text, source)
        record = replace(record, data=text)
    if name:
        check_name(name)
        check_name_free(name, records, template_id)
        record = replace(record, name=name)
    return replace(record, updated_at=now)


def delete_template(template_id: str, records: Sequence[TemplateRecord], now: datetime) -> TemplateRecord:
    """The record, soft-deleted (its name is free again); ``NotFound`` (``not found, id:<id>``) otherwise."""
    return replace(get_template(records, template_id=template_id), deleted_at=now)


def get_template(
    records: Sequence[TemplateRecord], *, template_id: str | None = None, name: str | None = None
) -> TemplateRecord:
    """The live template with that id or name (tink's ``GetTemplate`` oneof)."""
    for record in records:
        if record.live and (record.id == template_id if template_id is not None else record.name == name):
            return record
    raise NotFound(f"not found, id:{template_id}" if template_id is not None else f"not found, name:{name}")


def template_for_workflow(records: Sequence[TemplateRecord], template_id: str) -> TemplateRecord:
    """The live template a workflow is created from; ``NotFound`` with tink's message otherwise."""
    for record in records:
        if record.live and record.id == template_id:
            return record
    raise NotFound(f"failed to get template with ID {template_id}")


def like_pattern(name_filter: str | None) -> str:
    """``template list``'s filter as the ``ILIKE`` pattern tink uses: ``*`` -> ``%``, default ``%``."""
    return name_filter.replace("*", "%") if name_filter else "%"


def list_templates(records: Sequence[TemplateRecord], name_filter: str | None = None) -> list[TemplateRecord]:
    """Live templates whose name matches the filter, case-insensitively (``_`` matches any one character)."""
    matcher = _ilike(like_pattern(name_filter))
    return [r for r in records if r.live and matcher.fullmatch(r.name)]


def _ilike(pattern: str) -> re.Pattern[str]:
    """A SQL ``ILIKE`` pattern (``%``, ``_``, ``\\`` escapes) as a regular expression."""
    out: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)
