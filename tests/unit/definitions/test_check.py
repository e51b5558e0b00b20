"""Shape checks against the declared format: each kind of problem, located, and all of them at once."""

from __future__ import annotations

import pytest

from conveyor.definitions import load_file
from conveyor.errors import InvalidDefinition

from ._helpers import FIXTURES, one_problem

JOB = "jobs:\n  - name: build\n    steps: [make]\n"


def test_every_problem_in_a_file_is_reported_at_once_sorted_by_place() -> None:
    path = FIXTURES / "many-problems.yml"
    with pytest.raises(InvalidDefinition) as caught:
        load_file(path)
    found = [f"{p.line}:{p.col}: {p.message}" for p in caught.value.problems]
    assert {p.file for p in caught.value.problems} == {str(path)}
    assert found == [
        "2:7: invalid name 'my pipeline': use letters, digits, '_', '.' and '-', starting with a letter or digit",
        "3:1: unknown key 'descripton' in pipeline (did you mean 'description'?)",
        "6:11: invalid type 'gti' (did you mean 'git'?); expected one of: params, image, file, version, state, "
        "git, time, webhook, trigger, generic",
        "8:10: expected a plain value for 'A', got a list",
        "9:5: missing required key 'name' in resource",
        "11:5: missing required key 'steps' in job 'build'",
        "12:5: unknown key 'stpes' in job (did you mean 'steps'?)",
        "17:9: input has both 'resource' and 'job'; give exactly one",
        "18:9: input needs 'resource: NAME' or 'job: NAME'",
        "20:18: expected true or false, got 'maybe'",
        "21:17: invalid switch 'sometimes'; expected one of: on, off, true, false",
        "22:12: expected a list of steps, got a string",
        "23:14: invalid duration '5 minutes': write it like 30s, 5m, 1h30m, 500ms, 2h, 1d or a number of seconds",
        "24:14: expected an integer from 0 to 100, got 500",
        "25:15: invalid approval 'auto'; expected one of: manual",
        "27:7: invalid environment variable name 'my-var': use letters, digits and '_', not starting with a digit",
        '29:11: expected a string, got an integer; write "42" in quotes if you mean the text',
        "30:12: expected at least one step, got an empty list",
        "31:14: expected an integer, got 'many'",
        "32:20: expected a duration like 5m, got a list",
        '34:14: expected a string, got a boolean; write "true" in quotes if you mean the text',
        "35:9: expected a step (a mapping or a string), got a list",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # unknown keys, with and without a suggestion
        (
            "jobs:\n  - name: build\n    stpes: [make]\n    steps: [make]\n",
            "p.yml:3:5: unknown key 'stpes' in job (did you mean 'steps'?)",
        ),
        (
            JOB + "    colour: red\n",
            "p.yml:4:5: unknown key 'colour' in job; known keys: name, description, inputs, steps, outputs, "
            "timeout, retries, retry_backoff, on_success, on_failure, always, approval, env, runs_on, dependency_mode, max_in_flight, serial, runtime, notify, secrets",
        ),
        (JOB + "job: []\n", "p.yml:4:1: unknown key 'job' in pipeline (did you mean 'jobs'?)"),
        # wrong types
        ("jobs:\n  - name: build\n    steps: make\n", "p.yml:3:12: expected a list of steps, got a string"),
        ("jobs:\n  - name: build\n    steps:\n", "p.yml:3:11: expected a list of steps, got nothing"),
        ("jobs: build\n", "p.yml:1:7: expected a list of jobs, got a string"),
        ("jobs:\n  - build\n", "p.yml:2:5: expected a job (a mapping), got a string"),
        ("- name: x\n", "p.yml:1:1: expected a pipeline (a mapping), got a list"),
        ("just text\n", "p.yml:1:1: expected a pipeline (a mapping), got a string"),
        (JOB + "    env: [A]\n", "p.yml:4:10: expected a mapping of names to values, got a list"),
        (
            JOB + "    description: 1.5\n",
            'p.yml:4:18: expected a string, got a number; write "1.5" in quotes if you mean the text',
        ),
        (JOB + "    description:\n", "p.yml:4:17: expected a string, got nothing"),
        # booleans, integers, durations
        (JOB + "    inputs: [{job: x, trigger: maybe}]\n", "p.yml:4:32: expected true or false, got 'maybe'"),
        (JOB + "    inputs: [{job: x, trigger: 1}]\n", "p.yml:4:32: expected true or false, got '1'"),
        (JOB + "    retries: 1.5\n", "p.yml:4:14: expected an integer, got '1.5'"),
        (JOB + "    retries: '2'\n", "p.yml:4:14: expected an integer, got '2'"),
        (JOB + "    retries: -1\n", "p.yml:4:14: expected an integer from 0 to 100, got -1"),
        (JOB + "    retries: 0x_\n", "p.yml:4:14: expected an integer, got '0x_'"),
        (JOB + "    retries: !!int abc\n", "p.yml:4:14: expected an integer, got 'abc'"),
        (JOB + "    retries: !!str 1\n", "p.yml:4:14: expected an integer, got '1'"),
        (
            JOB + "    inputs: [{job: x, trigger: !!bool maybe}]\n",
            "p.yml:4:32: expected true or false, got 'maybe'",
        ),
        (
            JOB + "    timeout: 0s\n",
            "p.yml:4:14: invalid duration '0s': it must be more than zero, like 30s, 5m, 1h30m, 500ms, 2h, 1d or "
            "a number of seconds",
        ),
        (JOB + "    timeout: true\n", "p.yml:4:14: expected a duration like 5m, got a boolean"),
        # enums and patterns
        (
            "resources:\n  - {name: r, type: Git}\n",
            "p.yml:2:21: invalid type 'Git' (did you mean 'git'?); expected one of: params, image, file, version, "
            "state, git, time, webhook, trigger, generic",
        ),
        (
            JOB + "    approval: manaul\n",
            "p.yml:4:15: invalid approval 'manaul' (did you mean 'manual'?); expected one of: manual",
        ),
        (
            "jobs:\n  - name: -build\n    steps: [make]\n",
            "p.yml:2:11: invalid name '-build': use letters, digits, '_', '.' and '-', starting with a letter or "
            "digit",
        ),
        # required keys and exactly-one
        ("jobs:\n  - steps: [make]\n", "p.yml:2:5: missing required key 'name' in job"),
        ("resources:\n  - name: src\n", "p.yml:2:5: missing required key 'type' in resource 'src'"),
        (JOB + "    inputs: [{trigger: true}]\n", "p.yml:4:14: input needs 'resource: NAME' or 'job: NAME'"),
        (
            JOB + "    inputs: [{resource: a, job: b}]\n",
            "p.yml:4:28: input has both 'resource' and 'job'; give exactly one",
        ),
        (JOB + "    outputs: [{}]\n", "p.yml:4:15: missing required key 'resource' in output"),
        (
            "jobs:\n  - name: build\n    steps: [{name: compile}]\n",
            "p.yml:3:13: missing required key 'run' in step 'compile'",
        ),
        # maps of raw values
        (
            "resources:\n  - name: r\n    type: file\n    properties: {a: {b: c}}\n",
            "p.yml:4:21: expected a plain value for 'a', got a mapping",
        ),
        (
            "jobs:\n  - name: build\n    steps:\n      - run: make\n        env: {1X: y}\n",
            "p.yml:5:15: invalid environment variable name '1X': use letters, digits and '_', not starting with a "
            "digit",
        ),
        (
            JOB + "    inputs: [{job: x, switch: maybe}]\n",
            "p.yml:4:31: invalid switch 'maybe'; expected one of: on, off, true, false",
        ),
    ],
)
def test_each_kind_of_problem(text: str, expected: str) -> None:
    problems = [p for p in _problems(text) if "names no" not in p]
    assert problems == [expected]


def _problems(text: str) -> list[str]:
    from conveyor.definitions import load_text

    with pytest.raises(InvalidDefinition) as caught:
        load_text(text, "p.yml")
    return [str(p) for p in caught.value.problems]


def test_keys_may_be_written_in_any_yaml_style() -> None:
    assert one_problem('"jobs": [{"name": "b", "steps": ["make"], "bogus": 1}]\n') == (
        "p.yml:1:43: unknown key 'bogus' in job; known keys: name, description, inputs, steps, outputs, timeout, "
        "retries, retry_backoff, on_success, on_failure, always, approval, env, runs_on, dependency_mode, max_in_flight, serial, runtime, notify, secrets"
    )
