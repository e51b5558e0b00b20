"""The native format as a JSON Schema (draft 2020-12), generated from ``spec.py`` so it cannot drift.

Editors (e.g. the YAML language server) use it to complete keys, show descriptions and underline unknown keys
before conveyor ever sees the file. It describes shapes only; graph rules (names resolve, no cycles) are
``validate.py``'s.
"""

from __future__ import annotations

from typing import Any

from conveyor.definitions import durations
from conveyor.definitions.spec import PIPELINE, RECORDS, Field, Kind, Record


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for the format, generated from ``spec.RECORDS``."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "conveyor pipeline",
    }
    schema.update(_record_schema(PIPELINE))
    schema["$defs"] = {r.name: _record_schema(r) for r in RECORDS.values() if r is not PIPELINE}
    return schema


def _record_schema(record: Record) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "object",
        "description": record.description,
        "properties": {f.name: _field_schema(f) for f in record.fields},
        "additionalProperties": False,
    }
    required = [f.name for f in record.fields if f.required]
    if required:
        body["required"] = required
    if record.exactly_one:
        body["oneOf"] = [{"required": [name]} for name in record.exactly_one]
    return body


def _field_schema(f: Field) -> dict[str, Any]:
    out = _kind_schema(f.kind)
    out["description"] = f.description
    if f.enum:
        if f.kind.type == "text":  # YAML 1.1 reads on/off/true/false unquoted as booleans
            out = {"description": f.description, "enum": [_json_word(v) for v in f.enum]}
        else:
            out["enum"] = list(f.enum)
    if f.pattern:
        out["pattern"] = f.pattern
    if f.default is not None:
        out["default"] = f.default
    return out


def _json_word(value: str) -> str | bool:
    return {"true": True, "false": False}.get(value, value)


_SCALAR_TYPES = ["string", "number", "integer", "boolean", "null"]


def _kind_schema(kind: Kind) -> dict[str, Any]:
    if kind.type == "str":
        return {"type": "string", "enum": list(kind.enum)} if kind.enum else {"type": "string"}
    if kind.type == "text":
        return {"type": ["string", "number", "boolean"]}
    if kind.type == "bool":
        return {"type": "boolean"}
    if kind.type == "int":
        out: dict[str, Any] = {"type": "integer"}
        if kind.minimum is not None:
            out["minimum"] = kind.minimum
        if kind.maximum is not None:
            out["maximum"] = kind.maximum
        return out
    if kind.type == "duration":
        return {
            "anyOf": [
                {"type": "string", "pattern": durations.PATTERN},
                {"type": "number", "exclusiveMinimum": 0},
            ]
        }
    if kind.type == "map":
        out = {"type": "object", "additionalProperties": {"type": _SCALAR_TYPES}}
        if kind.key_pattern:
            out["propertyNames"] = {"pattern": kind.key_pattern}
        return out
    if kind.type == "list":
        assert kind.item is not None
        out = {"type": "array", "items": _kind_schema(kind.item)}
        if kind.min_items:
            out["minItems"] = kind.min_items
        return out
    record = RECORDS[kind.record]
    ref = {"$ref": f"#/$defs/{record.name}"}
    if record.shorthand:
        return {"anyOf": [{"type": "string"}, ref]}
    return ref
