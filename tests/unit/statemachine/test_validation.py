"""Definition validation: every rule of the spec (and Clever's), each with the message a user sees."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor.statemachine import validate

from ._driver import machine, one


def problems(document: Any) -> list[str]:
    return [p.message for p in validate(document)]


def test_a_valid_machine_has_no_problems() -> None:
    assert problems(one({"Type": "Pass"})) == []
    assert (
        problems(machine({"A": {"Type": "Task", "Resource": "r", "Next": "B"}, "B": {"Type": "Succeed"}}))
        == []
    )


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(
            {"States": {"A": {"Type": "Succeed"}}},
            "StartAt is required (the name of the first state)",
            id="no-StartAt",
        ),
        pytest.param(
            {"StartAt": "Nope", "States": {"Start": {"Type": "Succeed"}}},
            'StartAt names "Nope", which does not exist',
            id="StartAt-missing-state",
        ),
        pytest.param({"StartAt": "A"}, "States must be an object with at least one state", id="no-States"),
        pytest.param(
            {"StartAt": "A", "States": {}},
            "States must be an object with at least one state",
            id="empty-States",
        ),
        pytest.param([], "a state machine must be an object with StartAt and States", id="not-an-object"),
        pytest.param(
            {**one({"Type": "Pass"}), "TimeoutSeconds": 0},
            "TimeoutSeconds must be a positive integer (at most 99999999), not 0",
            id="machine-TimeoutSeconds",
        ),
        pytest.param(
            {**one({"Type": "Pass"}), "Version": "2.0"}, 'Version must be "1.0"', id="machine-Version"
        ),
        pytest.param(
            {**one({"Type": "Pass"}), "Startat": "S"},
            'unknown field "Startat" (did you mean "StartAt"?)',
            id="machine-unknown-field",
        ),
    ],
)
def test_machine_problems(document: Any, expected: str) -> None:
    assert expected in problems(document)


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        pytest.param(
            {"Check": {"Type": "Pass", "Next": "Nope"}},
            'state "Check": Next names "Nope", which does not exist',
            id="Next-missing",
        ),
        pytest.param(
            {"Check": {"Type": "Pass", "Next": "Chek"}, "Chek2": {"Type": "Succeed"}},
            'state "Check": Next names "Chek", which does not exist (did you mean "Chek2"?)',
            id="Next-did-you-mean",
        ),
        pytest.param(
            {"A": {"Type": "Pass", "Next": "B", "End": True}, "B": {"Type": "Succeed"}},
            'state "A": has both Next and "End": true; a state either ends or goes on',
            id="Next-and-End",
        ),
        pytest.param(
            {"A": {"Type": "Pass"}},
            'state "A": needs Next (the state that follows) or "End": true',
            id="neither-Next-nor-End",
        ),
        pytest.param(
            {"A": {"Type": "Pass", "End": False}},
            'state "A": needs Next (the state that follows) or "End": true',
            id="End-false",
        ),
        pytest.param(
            {"A": {"Type": "Pass", "End": "yes"}},
            'state "A": End must be true or false',
            id="End-not-boolean",
        ),
        pytest.param(
            {"A": {"Type": "Succeed", "Next": "A"}},
            'state "A": a Succeed state must not have Next',
            id="Succeed-Next",
        ),
        pytest.param(
            {"A": {"Type": "Fail", "End": True}}, 'state "A": a Fail state must not have End', id="Fail-End"
        ),
        pytest.param(
            {
                "A": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "B"}],
                    "End": True,
                },
                "B": {"Type": "Succeed"},
            },
            'state "A": a Choice state must not have End',
            id="Choice-End",
        ),
        pytest.param(
            {"A": {"Type": "Pass", "Next": "C"}, "B": {"Type": "Succeed"}, "C": {"Type": "Succeed"}},
            'state "B": cannot be reached from StartAt "A"',
            id="unreachable",
        ),
        pytest.param(
            {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}},
            'no state ends the machine (a state with "End": true, or a Succeed or Fail state)',
            id="no-terminal-state",
        ),
        pytest.param(
            {"A": {"Type": "Pass", "End": True}, "x" * 81: {"Type": "Succeed"}},
            f'state "{"x" * 81}": a state name has at most 80 characters, not 81',
            id="long-name",
        ),
        pytest.param(
            {"A": {"Type": "Pas", "End": True}},
            'state "A": unknown Type "Pas" (did you mean "Pass"?)',
            id="unknown-Type",
        ),
        pytest.param(
            {"A": {"End": True}},
            'state "A": Type is required (one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map)',
            id="no-Type",
        ),
        pytest.param({"A": "Pass"}, 'state "A": a state must be an object', id="state-not-object"),
        pytest.param(
            {"A": {"Type": "Pass", "End": True, "Nxt": "A"}},
            'state "A": unknown field "Nxt" (did you mean "Next"?)',
            id="unknown-field",
        ),
        pytest.param(
            {"A": {"Type": "Pass", "End": True, "Resource": "r"}},
            'state "A": a Pass state has no field "Resource"',
            id="field-of-another-type",
        ),
        pytest.param(
            {"A": {"Type": "Succeed", "Comment": 1}}, 'state "A": Comment must be a string', id="Comment-type"
        ),
        pytest.param(
            {"A": {"Type": "Pass", "End": True, "Assign": {}}},
            'state "A": Assign belongs to JSONata and workflow variables, which conveyor does not support (use JSONPath fields)',
            id="JSONata-unsupported",
        ),
    ],
)
def test_transition_and_state_problems(states: dict[str, Any], expected: str) -> None:
    assert expected in problems(machine(states))


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        pytest.param(
            {"Type": "Task"}, "a Task state needs a Resource (a non-empty string)", id="Task-no-Resource"
        ),
        pytest.param(
            {"Type": "Task", "Resource": " "},
            "a Task state needs a Resource (a non-empty string)",
            id="Task-blank-Resource",
        ),
        pytest.param(
            {"Type": "Task", "Resource": "r", "TimeoutSeconds": 0},
            "TimeoutSeconds must be a positive integer (at most 99999999), not 0",
            id="Task-TimeoutSeconds",
        ),
        pytest.param(
            {"Type": "Task", "Resource": "r", "HeartbeatSeconds": 1.5},
            "HeartbeatSeconds must be a positive integer (at most 99999999), not 1.5",
            id="Task-HeartbeatSeconds",
        ),
        pytest.param(
            {"Type": "Task", "Resource": "r", "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t"},
            "a Task state must not have both TimeoutSeconds and TimeoutSecondsPath",
            id="Task-both-timeouts",
        ),
        pytest.param(
            {"Type": "Task", "Resource": "r", "TimeoutSeconds": 5, "HeartbeatSeconds": 5},
            "HeartbeatSeconds must be smaller than TimeoutSeconds",
            id="Task-heartbeat-not-smaller",
        ),
        pytest.param(
            {"Type": "Task", "Resource": "r", "HeartbeatSecondsPath": "$.h[*]"},
            'HeartbeatSecondsPath "$.h[*]" must be a Reference Path (names and indexes only, no * .. , : ?)',
            id="Task-heartbeat-path",
        ),
        pytest.param(
            {"Type": "Task", "Resource": "r", "Credentials": "x"},
            "Credentials must be an object",
            id="Task-Credentials",
        ),
        pytest.param(
            {"Type": "Wait"},
            "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp or TimestampPath, not none",
            id="Wait-none",
        ),
        pytest.param(
            {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s"},
            "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp or TimestampPath, not Seconds and SecondsPath",
            id="Wait-two",
        ),
        pytest.param(
            {"Type": "Wait", "Seconds": -1},
            "Seconds must be a non-negative integer (at most 99999999), not -1",
            id="Wait-negative",
        ),
        pytest.param(
            {"Type": "Wait", "Timestamp": "2016-03-14 01:59:00Z"},
            'Timestamp must be an RFC 3339 time such as 2016-03-14T01:59:00Z, not "2016-03-14 01:59:00Z"',
            id="Wait-bad-Timestamp",
        ),
        pytest.param(
            {"Type": "Wait", "TimestampPath": "$..t"},
            'TimestampPath "$..t" must be a Reference Path (names and indexes only, no * .. , : ?)',
            id="Wait-TimestampPath",
        ),
        pytest.param({"Type": "Fail", "Error": 1}, "Error must be a string", id="Fail-Error-type"),
        pytest.param(
            {"Type": "Fail", "Cause": "c", "CausePath": "$.c"},
            "a Fail state must not have both Cause and CausePath",
            id="Fail-both-causes",
        ),
        pytest.param(
            {"Type": "Fail", "ErrorPath": "States.Nope()"},
            "ErrorPath \"States.Nope()\" is not a valid intrinsic call: unknown intrinsic function 'States.Nope'",
            id="Fail-ErrorPath-call",
        ),
        pytest.param(
            {"Type": "Fail", "CausePath": "$.a[*]"},
            'CausePath "$.a[*]" must be a Reference Path (names and indexes only, no * .. , : ?)',
            id="Fail-CausePath",
        ),
        pytest.param(
            {"Type": "Choice"},
            "a Choice state needs Choices: a non-empty array of rules",
            id="Choice-no-Choices",
        ),
        pytest.param(
            {"Type": "Choice", "Choices": []},
            "a Choice state needs Choices: a non-empty array of rules",
            id="Choice-empty-Choices",
        ),
        pytest.param(
            {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True}]},
            "choice 1: a Choice Rule must have Next",
            id="Choice-rule-without-Next",
        ),
        pytest.param(
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "S"}],
                "Default": "Nope",
            },
            'Default names "Nope", which does not exist',
            id="Choice-Default-missing",
        ),
        pytest.param(
            {
                "Type": "Choice",
                "Choices": [{"Not": {"Variable": "$.a", "IsNull": True, "Next": "S"}, "Next": "S"}],
            },
            "choice 1: a Choice Rule inside And, Or or Not must not have Next",
            id="Choice-nested-Next",
        ),
        pytest.param(
            {"Type": "Choice", "Choices": [{"And": [], "Next": "S"}]},
            "choice 1: And must be a non-empty array of Choice Rules",
            id="Choice-empty-And",
        ),
        pytest.param(
            {"Type": "Choice", "Choices": [{"Variable": "$.a", "Next": "S"}]},
            "choice 1: a data-test Choice Rule needs one comparison operator, such as StringEquals",
            id="Choice-no-operator",
        ),
        pytest.param(
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "IsNull": True, "IsString": True, "Next": "S"}],
            },
            "choice 1: a Choice Rule has exactly one comparison operator, not IsNull, IsString",
            id="Choice-two-operators",
        ),
        pytest.param(
            {"Type": "Choice", "Choices": [{"StringEquals": "x", "Next": "S"}]},
            "choice 1: a data-test Choice Rule must have Variable (or be And, Or or Not)",
            id="Choice-no-Variable",
        ),
        pytest.param(
            {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": "1", "Next": "S"}]},
            'choice 1: NumericEquals must be a number, not "1"',
            id="Choice-value-type",
        ),
        pytest.param(
            {"Type": "Choice", "Choices": [{"Variable": "$.a", "TimestampEquals": "yesterday", "Next": "S"}]},
            'choice 1: TimestampEquals must be an RFC 3339 timestamp such as 2016-03-14T01:59:00Z, not "yesterday"',
            id="Choice-timestamp-value",
        ),
        pytest.param(
            {"Type": "Choice", "Choices": [{"Variable": "$.a", "StringMatches": "a\\b", "Next": "S"}]},
            'choice 1: StringMatches "a\\\\b": an open escape: only \\* and \\\\ may follow a backslash',
            id="Choice-StringMatches-escape",
        ),
        pytest.param(
            {"Type": "Choice", "Choices": [{"Variable": "$.a", "StringEqualsPath": "a", "Next": "S"}]},
            "choice 1: StringEqualsPath \"a\" is not a valid path: a path must start with '$' at position 0",
            id="Choice-Path-operator",
        ),
        pytest.param(
            {"Type": "Choice", "Choices": [{"Variable": "$.a", "Stringequals": "a", "Next": "S"}]},
            'choice 1: unknown field "Stringequals" in a Choice Rule (did you mean "StringEquals"?)',
            id="Choice-misspelt-operator",
        ),
        pytest.param(
            {"Type": "Parallel"},
            "a Parallel state needs Branches: a non-empty array",
            id="Parallel-no-Branches",
        ),
        pytest.param(
            {"Type": "Parallel", "Branches": []},
            "a Parallel state needs Branches: a non-empty array",
            id="Parallel-empty-Branches",
        ),
        pytest.param(
            {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
                "Iterator": {"StartAt": "Y", "States": {"Y": {"Type": "Succeed"}}},
            },
            "a Map state has either ItemProcessor or Iterator, not both",
            id="Map-both-processors",
        ),
        pytest.param(
            {"Type": "Map"},
            "a Map state needs an ItemProcessor (or the older Iterator)",
            id="Map-no-processor",
        ),
        pytest.param(
            {
                "Type": "Map",
                "Iterator": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
                "ItemSelector": {},
                "Parameters": {},
            },
            "a Map state has either ItemSelector or Parameters, not both",
            id="Map-ItemSelector-and-Parameters",
        ),
        pytest.param(
            {
                "Type": "Map",
                "Iterator": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
                "MaxConcurrency": -1,
            },
            "MaxConcurrency must be a non-negative integer (at most 99999999), not -1",
            id="Map-MaxConcurrency",
        ),
        pytest.param(
            {
                "Type": "Map",
                "Iterator": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
                "MaxConcurrency": 1,
                "MaxConcurrencyPath": "$.m",
            },
            "a Map state must not have both MaxConcurrency and MaxConcurrencyPath",
            id="Map-both-concurrency",
        ),
        pytest.param(
            {
                "Type": "Map",
                "Iterator": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
                "ItemsPath": "$.a[0:2]",
            },
            'ItemsPath "$.a[0:2]" must be a Reference Path (names and indexes only, no * .. , : ?)',
            id="Map-ItemsPath",
        ),
        pytest.param(
            {
                "Type": "Map",
                "Iterator": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
                "ItemReader": {},
            },
            "ItemReader belongs to distributed Map states, which conveyor does not run (its Map states are inline)",
            id="Map-ItemReader",
        ),
        pytest.param(
            {
                "Type": "Map",
                "Iterator": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
                "ItemSelector": {"a.$": 1},
            },
            'ItemSelector field "a.$" must be a path or intrinsic call string',
            id="Map-ItemSelector",
        ),
    ],
)
def test_state_type_rules(state: dict[str, Any], expected: str) -> None:
    assert f'state "S": {expected}' in problems(one(state))
