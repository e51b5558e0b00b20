"""FACTS 1.4: Go-template substitution with tink's messages, and values rendered as data (no injection)."""

from __future__ import annotations

import pytest

from conveyor.errors import BadInput
from conveyor.tinkerbell import parse_devices, parse_template, render_template
from conveyor.tinkerbell.placeholders import Placeholder, TemplateSyntaxError, render, scan

from ._helpers import MAC_1, dedent, message, real

HELLO = real("tink__docs_examples_hello-world.tmpl")


def rendered(text: str, devices: str) -> str:
    """The first task's worker after rendering."""
    return render_template(text, devices, "tpl-1").template.tasks[0].worker


def worker_template(worker: str, env: str = "") -> str:
    return dedent(
        f"""
        version: "0.1"
        name: x
        tasks:
          - name: t
            worker: {worker}
            actions:
              - name: a
                image: bash
        """
    ) + (f"        environment:\n{env}" if env else "")


def refused(text: str, devices: str) -> str:
    return message(lambda: render_template(text, devices, "tpl-1"), BadInput)


def test_hello_world_renders_the_mac_from_the_docs() -> None:
    result = render_template(HELLO, f'{{"device_1":"{MAC_1}"}}', "75ab8483")
    assert result.template.tasks[0].worker == MAC_1
    assert f"worker: {MAC_1}" in result.data
    assert parse_template(result.data) == result.template


@pytest.mark.parametrize(
    "placeholder",
    [
        "{{.device_1}}",
        "{{ .device_1 }}",
        "{{  .device_1\t}}",
        "{{- .device_1 -}}",
        "{{- .device_1}}",
        "{{.device_1 -}}",
        '{{/* a comment */}}{{.device_1}}{{"" }}',
    ],
)
def test_whitespace_and_trim_variants(placeholder: str) -> None:
    assert rendered(worker_template(f"'{placeholder}'"), f'{{"device_1": "{MAC_1}"}}') == MAC_1


def test_trim_markers_eat_the_whitespace_beside_them() -> None:
    text = worker_template("'mac = {{- .m -}} !'")
    assert rendered(text, '{"m": "x"}') == "mac =x!"


def test_string_constants_write_literal_braces() -> None:
    text = worker_template("""'{{"{{"}}.device_1}} {{`raw`}} {{"tab\\tx"}}'""")
    assert rendered(text, "{}") == "{{.device_1}} raw tab\tx"


def test_nested_keys_and_dot() -> None:
    assert rendered(worker_template("'{{.d.mac}}'"), '{"d": {"mac": "aa"}}') == "aa"
    assert rendered(worker_template("'{{.}}'"), '{"b": 1, "a": [true, null]}') == "map[a:[true <nil>] b:1]"


def test_a_missing_key_is_an_error_naming_the_key_at_its_place() -> None:
    assert refused(HELLO, '{"device_2": "x"}') == (
        'failed to parse template with ID tpl-1: template: workflow-template:6:13: executing "workflow-template"'
        ' at <.device_1>: map has no entry for key "device_1"'
    )


def test_the_first_missing_key_in_text_order_wins_even_in_a_yaml_comment() -> None:
    text = "# uses {{.zero}}\n" + worker_template("'{{.one}}'")
    assert refused(text, "{}").endswith('at <.zero>: map has no entry for key "zero"')


def test_nested_key_errors() -> None:
    assert refused(worker_template("'{{.d.mac}}'"), '{"d": {}}').endswith('map has no entry for key "mac"')
    assert refused(worker_template("'{{.d.mac}}'"), '{"d": "s"}').endswith(
        "at <.d.mac>: can't evaluate field mac in type string"
    )
    assert refused(worker_template("'{{.d.mac}}'"), '{"d": null}').endswith(
        "at <.d.mac>: nil pointer evaluating interface {}.mac"
    )


@pytest.mark.parametrize(
    ("devices", "expected"),
    [
        ("[1]", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
        ('"x"', "json: cannot unmarshal string into Go value of type map[string]interface {}"),
        ("3", "json: cannot unmarshal number into Go value of type map[string]interface {}"),
        ("true", "json: cannot unmarshal bool into Go value of type map[string]interface {}"),
        ('{"a": NaN}', "invalid character 'N' looking for beginning of value"),
        ('{"a": 1e400}', "json: cannot unmarshal number 1e400 into Go value of type float64"),
    ],
)
def test_the_hardware_mapping_must_be_a_json_object(devices: str, expected: str) -> None:
    assert refused(HELLO, devices) == f"failed to parse template with ID tpl-1: {expected}"


def test_not_json_at_all() -> None:
    assert refused(HELLO, "device_1=x").startswith("failed to parse template with ID tpl-1: Expecting value")
    assert refused(HELLO, '{"a": "\\ud800"}').startswith(
        "failed to parse template with ID tpl-1: invalid UTF-8"
    )


def test_null_mapping_is_an_empty_one() -> None:
    assert parse_devices("null", "t") == {}
    assert refused(HELLO, "null").endswith('map has no entry for key "device_1"')


def test_values_print_as_go_prints_them() -> None:
    env = "          N: '{{.n}}'\n          B: '{{.b}}'\n          Z: '{{.z}}'\n"
    template = render_template(
        worker_template("w", env), '{"n": 1000000, "b": false, "z": null}', "t"
    ).template
    assert dict(template.tasks[0].actions[0].environment) == {"N": "1e+06", "B": "false", "Z": "<no value>"}


def test_an_empty_worker_is_an_invalid_hardware_address() -> None:
    assert refused(HELLO, '{"device_1": ""}') == (
        "failed to render template, invalid hardware address: map[device_1:]"
    )


def test_the_rendered_template_is_validated_again() -> None:
    text = worker_template("w").replace("image: bash", "image: '{{.img}}'")
    assert (
        refused(text, '{"img": "Not/Valid"}')
        == "validating workflow template: invalid action image: Not/Valid"
    )
    assert render_template(text, '{"img": "quay.io/x/y:1"}', "t").template.tasks[0].actions[0].image == (
        "quay.io/x/y:1"
    )


def test_rendered_keys_that_collide_are_duplicates() -> None:
    env = "          '{{.a}}': '1'\n          '{{.b}}': '2'\n"
    assert refused(worker_template("w", env), '{"a": "K", "b": "K"}') == (
        'parsing yaml data: yaml: unmarshal errors:\n  line 11: key "K" already set in map'
    )


# --- injection: a value is data, whatever it contains ---------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "x\n  - evil: 1",
        'x"\n    image: evil',
        "x\n        image: evil\n      - name: injected\n        image: evil",
        "a: b",
        "- item",
        "{{.device_1}}",
        "# comment",
        "&anchor *alias",
        "'single' \"double\" \\ back",
        "\u2028line separator\x85next line",
    ],
)
def test_a_string_value_cannot_inject_yaml(value: str) -> None:
    import json

    text = worker_template("w", "          V: '{{.v}}'\n").replace("worker: w", "worker: '{{.v}}'")
    template = render_template(text, json.dumps({"v": value}), "t").template
    assert len(template.tasks) == 1 and len(template.tasks[0].actions) == 1
    assert template.tasks[0].worker == value
    assert template.tasks[0].actions[0].environment["V"] == value
    assert template.tasks[0].actions[0].image == "bash"
    again = render_template(text, json.dumps({"v": value}), "t")
    assert parse_template(again.data) == template  # the stored YAML reads back to the same values


def test_a_mapping_value_cannot_inject_yaml() -> None:
    text = worker_template("'{{.v}}'")
    devices = '{"v": {"tasks": [{"name": "evil"}], "image": "evil\\n- x"}}'
    template = render_template(text, devices, "t").template
    assert template.tasks[0].worker == "map[image:evil\n- x tasks:[map[name:evil]]]"
    assert [t.name for t in template.tasks] == ["t"]


def test_the_text_level_substitution_tink_does_would_have_been_injected() -> None:
    """What tink's approach produces for the same value: the rendered text gains an action."""
    text = worker_template("w").replace("name: a", "name: '{{.v}}'")
    value = "a'\n        image: bash\n      - name: 'injected"
    injected = text.replace("{{.v}}", value)
    assert [a.name for a in parse_template(injected).tasks[0].actions] == ["a", "injected"]
    import json

    actions = render_template(text, json.dumps({"v": value}), "t").template.tasks[0].actions
    assert [a.name for a in actions] == [value]


# --- the placeholder scanner itself -------------------------------------------------------------


def test_scan_positions_and_kinds() -> None:
    found = scan('a {{.x}} b {{- "s" -}} {{/* c */}} {{ . }}')
    assert [(p.kind, p.fields, p.literal, p.trim_left, p.trim_right) for p in found] == [
        ("field", ("x",), "", False, False),
        ("string", (), "s", True, True),
        ("comment", (), "", False, False),
        ("dot", (), "", False, False),
    ]
    assert found[0] == Placeholder(2, 8, 4, "field", ("x",))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{}}", "missing value for command"),
        ("{{ .x | printf }}", "unsupported action {{ .x | printf }}"),
        ("{{if .x}}y{{end}}", "unsupported action {{if .x}}"),
        ("{{/* no end", "unclosed comment"),
        ("{{/* c */ x}}", "comment ends before closing delimiter"),
        ('{{"\\q"}}', "invalid syntax: unknown escape \\q"),
        ("{{ `raw }}", "unterminated raw quoted string"),
        ("{{.1x}}", "unsupported action {{.1x}}"),
    ],
)
def test_scan_refuses(text: str, expected: str) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        scan(text)
    assert caught.value.message.startswith(expected)


def test_render_without_actions_is_the_text() -> None:
    assert render("plain } { text", [], {}) == "plain } { text"
