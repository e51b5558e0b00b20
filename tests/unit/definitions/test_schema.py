"""The generated JSON Schema: valid JSON, documented, closed, and in agreement with the loader.

No jsonschema dependency: ``_validate`` below understands exactly the keywords the generator emits, so a
keyword the generator starts using without this file knowing it fails loudly.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from conveyor.definitions import json_schema
from conveyor.definitions.spec import RECORDS
from conveyor.model.pipeline import RESOURCE_TYPES

from ._helpers import RELEASE_LINE

_KNOWN = {
    "$schema", "title", "description", "type", "properties", "additionalProperties", "required", "oneOf", "anyOf",
    "$ref", "$defs", "items", "minItems", "enum", "pattern", "minimum", "maximum", "exclusiveMinimum",
    "propertyNames", "default",
}  # fmt: skip


def _is(value: Any, kind: str) -> bool:
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "null": value is None,
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
    }[kind]


def _validate(value: Any, schema: dict[str, Any], root: dict[str, Any], path: str = "$") -> list[str]:
    unknown = set(schema) - _KNOWN
    assert not unknown, f"the test validator does not know {unknown}"
    if "$ref" in schema:
        return _validate(value, root["$defs"][schema["$ref"].removeprefix("#/$defs/")], root, path)
    errors: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, k) for k in kinds):
            return [f"{path}: not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in enum")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errors.append(f"{path}: {value!r} does not match")
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{path}: below minimum")
    if "maximum" in schema and value > schema["maximum"]:
        errors.append(f"{path}: above maximum")
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        errors.append(f"{path}: not above minimum")
    for key in ("anyOf", "oneOf"):
        if key in schema:
            passing = sum(not _validate(value, s, root, path) for s in schema[key])
            if passing == 0 or (key == "oneOf" and passing > 1):
                errors.append(f"{path}: {key} matched {passing}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: too few items")
        for n, item in enumerate(value):
            errors += _validate(item, schema.get("items", {}), root, f"{path}[{n}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name not in value:
                errors.append(f"{path}: missing {name}")
        for name, item in value.items():
            if "propertyNames" in schema:
                errors += _validate(name, schema["propertyNames"], root, f"{path}.{name}(name)")
            if name in props:
                errors += _validate(item, props[name], root, f"{path}.{name}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: unknown key {name}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += _validate(item, schema["additionalProperties"], root, f"{path}.{name}")
    return errors


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json_schema()


def test_is_json_and_draft_2020_12(schema: dict[str, Any]) -> None:
    assert json.loads(json.dumps(schema)) == schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["$defs"]) == {
        "resource",
        "job",
        "input",
        "output",
        "step",
        "approval",
        "notifier",
        "notify",
    }


def _objects(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [schema, *schema["$defs"].values()]


def test_every_record_is_closed_and_documented(schema: dict[str, Any]) -> None:
    for obj in _objects(schema):
        assert obj["type"] == "object"
        assert obj["additionalProperties"] is False
        assert obj["description"]
        for name, prop in obj["properties"].items():
            assert prop.get("description"), name


def test_schema_and_spec_name_the_same_keys(schema: dict[str, Any]) -> None:
    assert set(schema["properties"]) == set(RECORDS["pipeline"].by_name)
    for name, definition in schema["$defs"].items():
        assert set(definition["properties"]) == set(RECORDS[name].by_name)
    assert schema["$defs"]["job"]["required"] == ["name", "steps"]
    assert schema["$defs"]["input"]["oneOf"] == [{"required": ["resource"]}, {"required": ["job"]}]


def test_resource_type_is_an_enum_of_the_model_types(schema: dict[str, Any]) -> None:
    assert schema["$defs"]["resource"]["properties"]["type"]["enum"] == list(RESOURCE_TYPES)


def test_the_reference_pipeline_validates(schema: dict[str, Any]) -> None:
    document = yaml.safe_load(RELEASE_LINE.read_text())
    assert _validate(document, schema, schema) == []


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda d: d["jobs"][0].update(stpes=[]), "$.jobs[0]: unknown key stpes"),
        (lambda d: d.update(colour="red"), "$: unknown key colour"),
        (lambda d: d["jobs"][0].pop("steps"), "$.jobs[0]: missing steps"),
        (lambda d: d["jobs"][0].update(steps=[]), "$.jobs[0].steps: too few items"),
        (lambda d: d["resources"][0].update(type="gti"), "$.resources[0].type: 'gti' not in enum"),
        (lambda d: d["jobs"][0]["inputs"][0].update(job="x"), "$.jobs[0].inputs[0]: oneOf matched 2"),
        (lambda d: d["jobs"][0].update(timeout="5 minutes"), "$.jobs[0].timeout: anyOf matched 0"),
        (lambda d: d["jobs"][0].update(retries=101), "$.jobs[0].retries: above maximum"),
        (
            lambda d: d["jobs"][0].update(env={"my-var": "x"}),
            "$.jobs[0].env.my-var(name): 'my-var' does not match",
        ),
        (lambda d: d["jobs"][0].update(name="my job"), "$.jobs[0].name: 'my job' does not match"),
    ],
)
def test_the_schema_rejects_what_the_loader_rejects(schema: dict[str, Any], change: Any, error: str) -> None:
    document = yaml.safe_load(RELEASE_LINE.read_text())
    change(document)
    assert error in _validate(document, schema, schema)


@pytest.mark.parametrize("switch", ["on", "off", True, False])
def test_switch_accepts_what_yaml_1_1_and_1_2_make_of_on_off(schema: dict[str, Any], switch: object) -> None:
    document = {"jobs": [{"name": "a", "steps": ["x"], "inputs": [{"job": "b", "switch": switch}]}]}
    assert _validate(document, schema, schema) == []
