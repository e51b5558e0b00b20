"""Definition validation of fields (paths, payload templates, Retry, Catch) and of nested machines."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor.statemachine import validate

from ._driver import machine, one


def problems(document: Any) -> list[str]:
    return [p.message for p in validate(document)]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"InputPath": "nope"},
            "InputPath \"nope\" is not a valid path: a path must start with '$' at position 0",
            id="InputPath",
        ),
        pytest.param(
            {"OutputPath": 3}, 'OutputPath must be a path string such as "$.x" or null', id="OutputPath-type"
        ),
        pytest.param(
            {"InputPath": "$$.Execution"},
            'InputPath "$$.Execution" must not use the context object ($$)',
            id="InputPath-context",
        ),
        pytest.param(
            {"ResultPath": "$.a[*]"},
            'ResultPath "$.a[*]" must be a Reference Path (names and indexes only, no * .. , : ?)',
            id="ResultPath-reference",
        ),
        pytest.param(
            {"ResultPath": "$$.x"},
            'ResultPath "$$.x" must not use the context object ($$)',
            id="ResultPath-context",
        ),
        pytest.param(
            {"Parameters": []}, "Parameters must be an object (a Payload Template)", id="Parameters-object"
        ),
        pytest.param(
            {"Parameters": {"a.$": "$.x[", "b": 1}},
            'Parameters field "a.$": "$.x[" is not a valid path: expected a name, index, slice, \'*\' or filter, found the end at position 4',
            id="Parameters-bad-path",
        ),
        pytest.param(
            {"Parameters": {"deep": [{"a.$": "States.Nope()"}]}},
            'Parameters field "a.$": "States.Nope()" is not a valid intrinsic call: unknown intrinsic function \'States.Nope\'',
            id="Parameters-bad-call-deep",
        ),
        pytest.param(
            {"Parameters": {"a.$": "$.x", "a": 1}},
            'Parameters fields "a.$" and "a" would both be named "a"',
            id="Parameters-collision",
        ),
        pytest.param(
            {"Parameters": {"a.$": 1}},
            'Parameters field "a.$" must be a path or intrinsic call string',
            id="Parameters-non-string",
        ),
        pytest.param(
            {"ResultSelector": {"a.$": "$$."}},
            'ResultSelector field "a.$": "$$." is not a valid path: a member name is missing at position 3',
            id="ResultSelector",
        ),
        pytest.param({"Retry": {}}, "Retry must be an array of retriers", id="Retry-not-array"),
        pytest.param({"Retry": [{}]}, "retrier 1: ErrorEquals is required", id="Retry-no-ErrorEquals"),
        pytest.param(
            {"Retry": [{"ErrorEquals": []}]},
            "retrier 1: ErrorEquals must be a non-empty array of error names",
            id="Retry-empty-ErrorEquals",
        ),
        pytest.param(
            {"Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}]},
            "retrier 1: States.ALL must appear alone, in the last retrier or catcher",
            id="Retry-ALL-not-last",
        ),
        pytest.param(
            {"Retry": [{"ErrorEquals": ["E", "States.ALL"]}]},
            "retrier 1: States.ALL must appear alone, in the last retrier or catcher",
            id="Retry-ALL-not-alone",
        ),
        pytest.param(
            {"Retry": [{"ErrorEquals": ["States.Timeot"]}]},
            'retrier 1: unknown error name "States.Timeot" (did you mean "States.Timeout"?) (the States. prefix is reserved)',
            id="Retry-unknown-States-name",
        ),
        pytest.param(
            {"Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 0}]},
            "retrier 1: IntervalSeconds must be a positive integer (at most 99999999), not 0",
            id="Retry-IntervalSeconds",
        ),
        pytest.param(
            {"Retry": [{"ErrorEquals": ["E"], "MaxAttempts": -1}]},
            "retrier 1: MaxAttempts must be a non-negative integer (at most 99999999), not -1",
            id="Retry-MaxAttempts",
        ),
        pytest.param(
            {"Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}]},
            "retrier 1: BackoffRate must be a number of at least 1.0, not 0.5",
            id="Retry-BackoffRate",
        ),
        pytest.param(
            {"Retry": [{"ErrorEquals": ["E"], "MaxDelaySeconds": 0}]},
            "retrier 1: MaxDelaySeconds must be a positive integer (at most 31622400), not 0",
            id="Retry-MaxDelaySeconds",
        ),
        pytest.param(
            {"Retry": [{"ErrorEquals": ["E"], "JitterStrategy": "HALF"}]},
            'retrier 1: JitterStrategy must be "FULL" or "NONE"',
            id="Retry-JitterStrategy",
        ),
        pytest.param(
            {"Retry": [{"ErrorEquals": ["E"], "Interval": 1}]},
            'retrier 1: unknown field "Interval" (did you mean "IntervalSeconds"?)',
            id="Retry-unknown-field",
        ),
        pytest.param(
            {"Catch": [{"ErrorEquals": ["E"]}]},
            "catcher 1: Next is required and must be a state name",
            id="Catch-no-Next",
        ),
        pytest.param(
            {"Catch": [{"ErrorEquals": ["E"], "Next": "Nope"}]},
            'catcher 1: Next names "Nope", which does not exist',
            id="Catch-Next-missing",
        ),
        pytest.param(
            {"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "S"}, {"ErrorEquals": ["E"], "Next": "S"}]},
            "catcher 1: States.ALL must appear alone, in the last retrier or catcher",
            id="Catch-ALL-not-last",
        ),
        pytest.param(
            {"Catch": [{"ErrorEquals": ["E"], "Next": "S", "ResultPath": "$.a[0:1]"}]},
            'catcher 1: ResultPath "$.a[0:1]" must be a Reference Path (names and indexes only, no * .. , : ?)',
            id="Catch-ResultPath",
        ),
    ],
)
def test_field_rules(fields: dict[str, Any], expected: str) -> None:
    found = problems(one({"Type": "Task", "Resource": "r", **fields}))
    assert f'state "S": {expected}' in found, found


def test_fields_that_are_fine() -> None:
    ok = {
        "InputPath": None,
        "OutputPath": None,
        "ResultPath": None,
        "Parameters": {
            "a.$": "$.x[?(@.y > 1)]",
            "b.$": "$$.Task.Token",
            "c.$": "States.Format('{}', $.x)",
            "d": {"e.$": "$"},
        },
        "ResultSelector": {"r.$": "$.Payload"},
        "Retry": [
            {"ErrorEquals": ["States.Timeout"], "MaxAttempts": 0},
            {"ErrorEquals": ["States.ALL"], "JitterStrategy": "FULL", "MaxDelaySeconds": 5},
        ],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "S", "ResultPath": "$.error"}],
        "TimeoutSecondsPath": "$.timeout",
        "HeartbeatSeconds": 10,
    }
    assert problems(one({"Type": "Task", "Resource": "r", **ok})) == []


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        machine(
            {
                "A": {"Type": "Task", "Next": "Nope"},
                "B": {"Type": "Wait", "End": True},
                "C": {"Type": "Fail", "Next": "A"},
            }
        )
    )
    assert found == [
        'state "A": Next names "Nope", which does not exist',
        'state "A": a Task state needs a Resource (a non-empty string)',
        'state "B": a Wait state needs exactly one of Seconds, SecondsPath, Timestamp or TimestampPath, not none',
        'state "C": a Fail state must not have Next',
        'state "B": cannot be reached from StartAt "A"',
        'state "C": cannot be reached from StartAt "A"',
    ]


def branch(states: dict[str, Any], start: str | None = None) -> dict[str, Any]:
    return {"StartAt": start or next(iter(states)), "States": states}


def test_branches_are_full_machines_and_problems_name_them() -> None:
    found = problems(
        one(
            {
                "Type": "Parallel",
                "Branches": [
                    branch({"X": {"Type": "Succeed"}}),
                    branch({"Y": {"Type": "Task", "Resource": "r", "End": False}}),
                    branch({"Z": {"Type": "Pass", "Next": "S"}}),
                    {"States": {"W": {"Type": "Succeed"}}, "TimeoutSeconds": 3},
                ],
            }
        )
    )
    assert found == [
        'state "Y": needs Next (the state that follows) or "End": true',
        'state "Z": Next names "S", which is not in the same machine (a branch cannot go to states outside it)',
        'branch 4 of state "S": unknown field "TimeoutSeconds"',
        'branch 4 of state "S": StartAt is required (the name of the first state)',
    ]


def test_map_processors_are_full_machines() -> None:
    found = problems(
        one(
            {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED"},
                    "StartAt": "X",
                    "States": {"X": {"Type": "Pass", "Next": "Gone"}},
                },
            }
        )
    )
    assert found == [
        'the ItemProcessor of state "S": distributed Map states are not supported (use Mode INLINE)',
        'state "X": Next names "Gone", which does not exist',
    ]
    assert (
        problems(
            one(
                {
                    "Type": "Map",
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "INLINE"},
                        **branch({"X": {"Type": "Succeed"}}),
                    },
                }
            )
        )
        == []
    )


def test_state_names_are_unique_across_branches() -> None:
    found = problems(
        machine(
            {
                "P": {
                    "Type": "Parallel",
                    "Branches": [branch({"P": {"Type": "Succeed"}}), branch({"X": {"Type": "Succeed"}})],
                    "Next": "X",
                },
                "X": {"Type": "Succeed"},
            }
        )
    )
    assert (
        'state name "P" is used twice (names must be unique in the whole machine, branches included)' in found
    )
    assert (
        'state name "X" is used twice (names must be unique in the whole machine, branches included)' in found
    )


@pytest.mark.parametrize(
    "document",
    [
        None,
        "x",
        {"StartAt": 1, "States": []},
        {"StartAt": "A", "States": {"A": None}},
        {"StartAt": "A", "States": {"A": {"Type": 1}}},
        {
            "StartAt": "A",
            "States": {"A": {"Type": "Parallel", "Branches": [1, None, {"States": 1}], "End": True}},
        },
        {"StartAt": "A", "States": {"A": {"Type": "Map", "Iterator": 1, "End": True}}},
        {
            "StartAt": "A",
            "States": {
                "A": {
                    "Type": "Choice",
                    "Choices": [
                        1,
                        {"Next": 1},
                        {"And": 1, "Next": "A"},
                        {"Not": 1, "Next": "A"},
                        {"Or": [1], "Next": "A"},
                    ],
                    "Default": 1,
                }
            },
        },
        {
            "StartAt": "A",
            "States": {
                "A": {
                    "Type": "Task",
                    "Resource": 1,
                    "Retry": [1, {"ErrorEquals": "x"}],
                    "Catch": [1, {"ErrorEquals": ["E"], "Next": ["x"]}],
                    "Next": ["A"],
                }
            },
        },
        {"StartAt": "A", "States": {"A": {"Type": "Fail", "ErrorPath": 1, "CausePath": None}}},
        {
            "StartAt": "A",
            "States": {
                "A": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "StartAt": "X",
                        "States": {"X": {"Type": "Succeed"}},
                        "ProcessorConfig": 1,
                    },
                    "End": True,
                    "MaxConcurrencyPath": 2,
                }
            },
        },
        {"name": 1, "stateMachine": 1, "defaultTags": 1},
        {"name": "x", "states": [1, {"name": 1}, {"name": "a", "type": 1, "end": "yes"}]},
    ],
)
def test_malformed_documents_are_problems_not_crashes(document: Any) -> None:
    assert validate(document)


def test_a_broken_state_does_not_also_report_that_nothing_ends() -> None:
    assert problems({"StartAt": "A", "States": {"A": None}}) == ['state "A": a state must be an object']
