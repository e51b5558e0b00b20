"""Loading definitions: the accepted shapes (Clever's included), problem locations, and Clever's helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conveyor.errors import BadInput, InvalidDefinition
from conveyor.statemachine import convert_legacy, load, validate, with_start_at

from ._driver import machine, one

CLEVER = Path(__file__).resolve().parents[2] / "fixtures" / "statemachine" / "clever"


def problems(document: Any) -> list[str]:
    return [p.message for p in validate(document)]


def test_problems_are_located_by_key_path() -> None:
    seen: list[tuple[str | int, ...]] = []

    def locate(where: tuple[str | int, ...]) -> tuple[int, int]:
        seen.append(where)
        return (len(where), 7)

    [problem] = validate(machine({"A": {"Type": "Pass", "Next": "Nope"}}), source="flow.json", locate=locate)
    assert seen == [("States", "A", "Next")]
    assert str(problem) == 'flow.json:3:7: state "A": Next names "Nope", which does not exist'
    [unlocated] = validate(machine({"A": {"Type": "Pass", "Next": "Nope"}}))
    assert (unlocated.file, unlocated.line, unlocated.col) == ("<state machine>", 0, 0)


def test_load_raises_with_every_problem_and_copies_the_machine() -> None:
    with pytest.raises(InvalidDefinition) as caught:
        load({"StartAt": "A", "States": {"A": {"Type": "Task"}}})
    assert [p.message for p in caught.value.problems] == [
        'state "A": needs Next (the state that follows) or "End": true',
        'state "A": a Task state needs a Resource (a non-empty string)',
    ]
    original = one({"Type": "Pass", "Result": {"deep": [1]}})
    loaded = load(original)
    original["States"]["S"]["Result"]["deep"].append(2)
    assert loaded.machine["States"]["S"]["Result"] == {"deep": [1]}


def test_values_that_are_not_json_are_a_problem() -> None:
    assert problems(one({"Type": "Pass", "Result": {1, 2}})) == [
        "the definition is not JSON: Object of type set is not JSON serializable"
    ]


# -- Clever's shapes ------------------------------------------------------------------------------


def test_the_batch_era_format_is_converted() -> None:
    document = json.loads((CLEVER / "hello-workflow.post.json").read_text())
    assert problems(document) == []
    assert convert_legacy(document) == {
        "StartAt": "start-state",
        "States": {
            "start-state": {"Type": "Task", "Resource": "jobarn:0", "Next": "second-state"},
            "second-state": {"Type": "Task", "Resource": "jobarn:0", "Next": "end-state"},
            "end-state": {"Type": "Task", "Resource": "job-definition:0", "End": True},
        },
    }
    assert load(document).name == "hello-workflow"
    assert load(document).shape == "legacy"


def test_the_batch_era_format_starts_at_the_first_state_by_default() -> None:
    document = json.loads((CLEVER / "echo-workflow.post.json").read_text())
    assert "startAt" not in document
    assert convert_legacy(document)["StartAt"] == "start-state"


def test_batch_era_problems_point_at_the_array() -> None:
    document = {
        "name": "x",
        "states": [
            {"name": "a", "type": "Task", "next": "b", "resource": "r"},
            {"name": "a", "type": "task", "end": True, "color": 1},
        ],
    }
    seen: list[tuple[str | int, ...]] = []
    found = validate(document, locate=lambda where: seen.append(where) or (1, 1))  # type: ignore[func-returns-value]
    assert [p.message for p in found] == [
        'state 2: unknown field "color"',
        'state name "a" is used twice',
        'state "a": Next names "b", which does not exist',
    ]
    assert seen == [("states", 1, "color"), ("states", 1, "name"), ("states", 0, "next")]
    with pytest.raises(BadInput):
        convert_legacy({"StartAt": "A", "States": {}})


def test_a_workflow_definition_request_is_checked_around_its_machine() -> None:
    request = {
        "name": "kitchensink",
        "version": 3,
        "manager": "step-functions",
        "stateMachine": one({"Type": "Task", "Resource": "lambda:x"}),
        "defaultTags": {"tag1": "a"},
    }
    assert problems(request) == []
    loaded = load(request)
    assert (loaded.name, loaded.default_tags, loaded.shape) == ("kitchensink", {"tag1": "a"}, "request")
    bad = {
        **request,
        "name": "",
        "manager": "batch",
        "defaultTags": {"t": 1},
        "stateMachine": one({"Type": "Task"}),
    }
    assert problems(bad) == [
        "name is required (a non-empty string)",
        'manager must be "step-functions", not "batch"',
        'defaultTags value for "t" must be a string',
        'state "S": a Task state needs a Resource (a non-empty string)',
    ]


# -- with_start_at (Clever's RemoveInactiveStates) -----------------------------------------------

LINEAR = machine(
    {
        "start-state": {"Type": "Task", "Resource": "r", "Next": "second-state"},
        "second-state": {"Type": "Task", "Resource": "r", "Next": "end-state"},
        "end-state": {"Type": "Task", "Resource": "r", "End": True},
    }
)


def test_with_start_at_prunes_states_before_the_new_start() -> None:
    moved = with_start_at(LINEAR, "second-state")
    assert moved["StartAt"] == "second-state"
    assert list(moved["States"]) == ["second-state", "end-state"]
    assert list(LINEAR["States"]) == ["start-state", "second-state", "end-state"], "the original is untouched"
    assert list(with_start_at(LINEAR, "start-state")["States"]) == list(LINEAR["States"])


def test_with_start_at_refuses_unknown_or_empty_states() -> None:
    with pytest.raises(BadInput, match='"nope" is not a top-level state'):
        with_start_at(LINEAR, "nope")
    with pytest.raises(BadInput, match="StartAt must name a state"):
        with_start_at(LINEAR, "")
