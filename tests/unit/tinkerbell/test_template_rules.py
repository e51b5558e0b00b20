"""FACTS 1.1-1.2: strict YAML decoding and tink's validation rules, in order, with tink's messages."""

from __future__ import annotations

import pytest

from conveyor.errors import InvalidDefinition
from conveyor.tinkerbell import parse_template

from ._helpers import dedent, error, message

HEAD = 'version: "0.1"\nname: tpl\n'


def action(name: str = "a", image: str = "hello-world") -> str:
    return f"      - name: {name!r}\n        image: {image!r}\n"


def task(name: str = "t", *actions: str) -> str:
    return f"  - name: {name!r}\n    worker: '{{{{.device_1}}}}'\n    actions:\n" + "".join(
        actions or (action(),)
    )


def template(*tasks: str, head: str = HEAD) -> str:
    return head + "tasks:\n" + "".join(tasks or (task(),))


def refused(text: str | bytes) -> str:
    return message(lambda: parse_template(text), InvalidDefinition)


def test_a_minimal_template() -> None:
    parsed = parse_template(template())
    assert (parsed.name, parsed.version, parsed.global_timeout, parsed.id) == ("tpl", "0.1", 0, "")
    assert parsed.tasks[0].actions[0].timeout == 0


# --- 1.2, rule by rule, in order ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('version: "0.1"\n', "name cannot be empty"),
        ('version: "0.1"\nname: ""\n', "name cannot be empty"),
        ('version: "0.1"\nname: ~\n', "name cannot be empty"),
        ("version: '0.2'\nname: x\n", "invalid template version: 0.2"),
        ("version: 0.10\nname: x\n", "invalid template version: 0.10"),
        ("name: x\n", "invalid template version: "),
    ],
)
def test_template_name_then_version(head: str, expected: str) -> None:
    assert refused(template(head=head)) == f"validating workflow template: {expected}"


def test_unquoted_version_0_1_is_the_string_0_1() -> None:
    assert parse_template(template(head="version: 0.1\nname: x\n")).version == "0.1"


def test_name_length_is_checked_in_bytes_and_200_is_already_too_long() -> None:
    assert parse_template(template(head=f'version: "0.1"\nname: {"n" * 199}\n')).name == "n" * 199
    long = "n" * 200
    assert refused(template(head=f'version: "0.1"\nname: {long}\n')) == (
        f"validating workflow template: name cannot have more than 200 characters: {long}"
    )
    wide = "é" * 100  # 100 characters, 200 bytes
    assert "more than 200 characters" in refused(template(head=f'version: "0.1"\nname: {wide}\n'))


def test_name_comes_before_version() -> None:
    assert refused(template(head="version: '9'\n")) == "validating workflow template: name cannot be empty"


@pytest.mark.parametrize("tasks", ["tasks: []\n", "tasks:\n", "tasks: ~\n", ""])
def test_at_least_one_task(tasks: str) -> None:
    assert (
        refused(HEAD + tasks) == "validating workflow template: template must have at least one task defined"
    )


def test_task_rules_in_order() -> None:
    assert refused(template(task(""))) == "validating workflow template: name cannot be empty"
    assert refused(template(task("x" * 200))) == (
        f"validating workflow template: name cannot have more than 200 characters: {'x' * 200}"
    )
    assert refused(template(task("t"), task("u"), task("t"))) == (
        "validating workflow template: two tasks in a template cannot have same name: t"
    )


def test_the_first_task_error_wins_even_over_a_later_actions_error() -> None:
    # task 1's bad image is met before task 2's duplicate name
    text = template(task("t", action("a", "BAD")), task("t"))
    assert refused(text) == "validating workflow template: invalid action image: BAD"


def test_action_rules_in_order_name_length_image_duplicate() -> None:
    assert refused(template(task("t", action("")))) == "validating workflow template: name cannot be empty"
    assert "more than 200 characters" in refused(template(task("t", action("a" * 200))))
    # the image is checked before the duplicate name
    assert refused(template(task("t", action("a"), action("a", "UPPER")))) == (
        "validating workflow template: invalid action image: UPPER"
    )
    assert refused(template(task("t", action("a"), action("a")))) == (
        "validating workflow template: two actions in a task cannot have same name: a"
    )


def test_the_same_action_name_in_two_tasks_is_allowed_and_actions_may_be_empty() -> None:
    parsed = parse_template(template(task("t", action("a")), task("u", action("a"))))
    assert [a.name for t in parsed.tasks for a in t.actions] == ["a", "a"]
    empty = parse_template(HEAD + "tasks:\n  - name: t\n    worker: x\n    actions: []\n")
    assert empty.tasks[0].actions == ()


def test_no_rules_on_worker_timeouts_volumes_or_global_timeout() -> None:
    text = dedent(
        """
        version: "0.1"
        name: x
        global_timeout: -5
        tasks:
          - name: t
            worker: "not an address"
            volumes: ["no colon"]
            actions:
              - name: a
                image: bash
                timeout: -1
        """
    )
    parsed = parse_template(text)
    assert (parsed.global_timeout, parsed.tasks[0].actions[0].timeout) == (-5, -1)


def test_a_validation_problem_is_located() -> None:
    text = template(task("t", action("a"), action("b", "Bad")))
    problem = error(lambda: parse_template(text, "tpl.yaml"), InvalidDefinition).problems[0]  # type: ignore[attr-defined]
    assert str(problem) == "tpl.yaml:10:9: invalid action image: Bad"


# --- 1.1: strict YAML --------------------------------------------------------------------------


def test_unknown_keys_are_refused_at_every_level_all_at_once() -> None:
    text = dedent(
        """
        version: "0.1"
        name: x
        descripton: typo
        tasks:
          - name: t
            worker: w
            retries: 3
            actions:
              - name: a
                image: bash
                on_failure: [echo]
        """
    )
    assert refused(text) == (
        "parsing yaml data: yaml: unmarshal errors:\n"
        "  line 3: field descripton not found in type workflow.Workflow\n"
        "  line 7: field retries not found in type workflow.Task\n"
        "  line 11: field on_failure not found in type workflow.Action"
    )


def test_duplicate_keys_are_refused_with_yaml_v2_words() -> None:
    text = dedent(
        """
        version: "0.1"
        name: x
        name: y
        tasks:
          - name: t
            worker: w
            environment:
              A: "1"
              A: "2"
            actions: []
        """
    )
    assert refused(text) == (
        "parsing yaml data: yaml: unmarshal errors:\n"
        "  line 3: field name already set in type workflow.Workflow\n"
        '  line 9: key "A" already set in map'
    )


def test_type_mismatches_are_refused() -> None:
    text = dedent(
        """
        version: "0.1"
        name: [x]
        global_timeout: soon
        tasks:
          - name: t
            worker: w
            environment: [A]
            volumes: /dev:/dev
            actions:
              - name: a
                image: bash
                timeout: 1.5
              - name: b
                image: bash
                timeout: "60"
              - name: c
                image: bash
                timeout: true
                command: [ok, {a: 1}]
              - just a string
        """
    )
    assert refused(text) == (
        "parsing yaml data: yaml: unmarshal errors:\n"
        "  line 2: cannot unmarshal !!seq into string\n"
        "  line 3: cannot unmarshal !!str `soon` into int\n"
        "  line 7: cannot unmarshal !!seq into map[string]string\n"
        "  line 8: cannot unmarshal !!str `/dev:/dev` into []string\n"
        "  line 12: cannot unmarshal !!float `1.5` into int64\n"
        "  line 15: cannot unmarshal !!str `60` into int64\n"
        "  line 18: cannot unmarshal !!bool `true` into int64\n"
        "  line 19: cannot unmarshal !!map into string\n"
        "  line 20: cannot unmarshal !!str `just a ...` into workflow.Action"
    )


def test_integers_are_read_as_yaml_1_1_ints() -> None:
    parsed = parse_template(
        template(task("t", "      - name: a\n        image: bash\n        timeout: 0x10\n"))
    )
    assert parsed.tasks[0].actions[0].timeout == 16
    too_big = template(
        task("t", "      - name: a\n        image: bash\n        timeout: 9223372036854775808\n")
    )
    assert "cannot unmarshal !!int `9223372...` into int64" in refused(too_big)


def test_raw_scalar_text_is_kept_for_every_string() -> None:
    text = dedent(
        """
        version: 0.1
        name: x
        id: 0x1F
        tasks:
          - name: 1.0
            worker: 08:00:27:00:00:01
            environment: {T: true, Y: yes, O: 0644, F: 1e3, N: ~, E: , Q: "null", D: 2001-12-14}
            actions:
              - name: on
                image: bash
                command: [true, 0755, null]
                pid: host
        """
    )
    parsed = parse_template(text)
    task_ = parsed.tasks[0]
    assert (parsed.id, task_.name, task_.worker) == ("0x1F", "1.0", "08:00:27:00:00:01")
    assert dict(task_.environment) == {
        "T": "true",
        "Y": "yes",
        "O": "0644",
        "F": "1e3",
        "N": "",
        "E": "",
        "Q": "null",
        "D": "2001-12-14",
    }
    assert task_.actions[0].name == "on"
    assert task_.actions[0].command == ("true", "0755", "")


def test_not_yaml_at_all() -> None:
    bad = 'version: "0.1"\nname: x\ntasks:\n  - name: t\n    worker: "a" b\n'
    assert refused(bad).startswith("parsing yaml data: yaml: line 5:")
    assert refused(b"version: \xff\n").startswith("parsing yaml data: yaml: line 1: file is not UTF-8")
    assert refused("version: '0.1'\n---\nname: x\n") == (
        "parsing yaml data: yaml: line 2: a template is exactly one YAML document"
    )


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n", "~\n"])
def test_an_empty_document_fails_validation_like_tink(text: str) -> None:
    assert refused(text) == "validating workflow template: name cannot be empty"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("just text\n", "line 1: cannot unmarshal !!str `just text` into workflow.Workflow"),
        ("- a\n", "line 1: cannot unmarshal !!seq into workflow.Workflow"),
    ],
)
def test_a_document_that_is_not_a_mapping(text: str, expected: str) -> None:
    assert refused(text) == f"parsing yaml data: yaml: unmarshal errors:\n  {expected}"


def test_anchors_aliases_and_merge_keys_work() -> None:
    text = dedent(
        """
        version: "0.1"
        name: x
        tasks:
          - name: t
            worker: w
            environment: &env {A: "1"}
            actions:
              - &act
                name: a
                image: bash
                environment: *env
              - <<: *act
                name: b
        """
    )
    actions = parse_template(text).tasks[0].actions
    assert [(a.name, a.image, dict(a.environment)) for a in actions] == [
        ("a", "bash", {"A": "1"}),
        ("b", "bash", {"A": "1"}),
    ]


# --- placeholders that conveyor cannot render --------------------------------------------------


def test_a_template_with_an_unsupported_action_is_refused_when_stored() -> None:
    text = template(task("t", action("a", "bash"))).replace("{{.device_1}}", '{{ index . "device_1" }}')
    found = error(lambda: parse_template(text, "t.yaml"), InvalidDefinition)
    assert found.message.startswith(
        'parsing template: template: workflow-template:5: unsupported action {{ index . "device_1" }}'
    )
    assert str(found.problems[0]).startswith("t.yaml:5:17: unsupported action")  # type: ignore[attr-defined]


def test_an_unclosed_action_is_refused_as_go_lexes_it() -> None:
    # inside an action a quote starts a Go string or character constant, as it does for Go's lexer
    text = template().replace("{{.device_1}}", "{{.device_1")
    assert refused(text) == "parsing template: template: workflow-template:5: unterminated character constant"
    text = template() + "# {{ .device_1\n"
    assert refused(text) == "parsing template: template: workflow-template:9: unclosed action"


def test_obsolete_targets_syntax_is_refused_even_when_it_is_valid_yaml() -> None:
    text = template().replace("'{{.device_1}}'", "'{{.Targets.machine1.mac_addr}}'")
    assert refused(text).startswith(
        "obsolete template syntax at line 5: {{.Targets.machine1.mac_addr}} uses the pre-v0.1 Targets reference"
    )
