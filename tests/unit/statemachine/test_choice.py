"""Choice rules: every comparator (and its Path variant), type tests, Boolean expressions, Default."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor.statemachine.choice import choose, evaluate
from conveyor.statemachine.errors import StatesError

DATA: dict[str, Any] = {
    "s": "beta",
    "n": 5,
    "f": 2.5,
    "b": True,
    "t": "2016-03-14T01:59:00Z",
    "t_offset": "2016-03-14T02:59:00+01:00",
    "nul": None,
    "other": {"s": "beta", "low": "alpha", "high": "gamma", "n": 5, "b": True, "t": "2016-03-14T01:59:00Z"},
    "file": "foo23.log",
    "star": "a*b",
    "slash": "a\\b",
    "list": [1, 2],
}


def rule(variable: str, operator: str, value: Any) -> dict[str, Any]:
    return {"Variable": variable, operator: value}


@pytest.mark.parametrize(
    ("operator", "variable", "value", "expected"),
    [
        ("StringEquals", "$.s", "beta", True),
        ("StringEquals", "$.s", "Beta", False),
        ("StringEquals", "$.n", "5", False),
        ("StringLessThan", "$.s", "gamma", True),
        ("StringLessThan", "$.s", "beta", False),
        ("StringGreaterThan", "$.s", "alpha", True),
        ("StringGreaterThan", "$.s", "beta", False),
        ("StringLessThanEquals", "$.s", "beta", True),
        ("StringLessThanEquals", "$.s", "alpha", False),
        ("StringGreaterThanEquals", "$.s", "beta", True),
        ("StringGreaterThanEquals", "$.s", "gamma", False),
        ("StringMatches", "$.file", "foo*.log", True),
        ("StringMatches", "$.file", "*.log", True),
        ("StringMatches", "$.file", "foo*.*", True),
        ("StringMatches", "$.file", "bar*", False),
        ("StringMatches", "$.star", "a\\*b", True),
        ("StringMatches", "$.file", "foo\\*.log", False),
        ("StringMatches", "$.slash", "a\\\\b", True),
        ("StringMatches", "$.file", "foo2?.log", False),
        ("StringMatches", "$.n", "*", False),
        ("NumericEquals", "$.n", 5, True),
        ("NumericEquals", "$.n", 5.0, True),
        ("NumericEquals", "$.b", 1, False),
        ("NumericEquals", "$.s", 5, False),
        ("NumericLessThan", "$.f", 3, True),
        ("NumericLessThan", "$.n", 5, False),
        ("NumericGreaterThan", "$.n", 4.5, True),
        ("NumericGreaterThan", "$.n", 5, False),
        ("NumericLessThanEquals", "$.n", 5, True),
        ("NumericLessThanEquals", "$.n", 4, False),
        ("NumericGreaterThanEquals", "$.n", 5, True),
        ("NumericGreaterThanEquals", "$.n", 6, False),
        ("BooleanEquals", "$.b", True, True),
        ("BooleanEquals", "$.b", False, False),
        ("BooleanEquals", "$.n", True, False),
        ("TimestampEquals", "$.t", "2016-03-14T01:59:00Z", True),
        ("TimestampEquals", "$.t_offset", "2016-03-14T01:59:00Z", True),
        ("TimestampEquals", "$.s", "2016-03-14T01:59:00Z", False),
        ("TimestampLessThan", "$.t", "2016-03-14T02:00:00Z", True),
        ("TimestampLessThan", "$.t", "2016-03-14T01:59:00Z", False),
        ("TimestampGreaterThan", "$.t", "2016-03-14T01:58:59.5Z", True),
        ("TimestampGreaterThan", "$.t", "2016-03-14T01:59:00Z", False),
        ("TimestampLessThanEquals", "$.t", "2016-03-14T01:59:00Z", True),
        ("TimestampLessThanEquals", "$.t", "2016-03-14T01:58:00Z", False),
        ("TimestampGreaterThanEquals", "$.t", "2016-03-14T01:59:00Z", True),
        ("TimestampGreaterThanEquals", "$.t", "2016-03-15T00:00:00Z", False),
        ("IsNull", "$.nul", True, True),
        ("IsNull", "$.s", True, False),
        ("IsNull", "$.s", False, True),
        ("IsPresent", "$.s", True, True),
        ("IsPresent", "$.missing", True, False),
        ("IsPresent", "$.missing", False, True),
        ("IsPresent", "$.nul", True, True),
        ("IsNumeric", "$.f", True, True),
        ("IsNumeric", "$.b", True, False),
        ("IsNumeric", "$.s", False, True),
        ("IsString", "$.s", True, True),
        ("IsString", "$.n", True, False),
        ("IsBoolean", "$.b", True, True),
        ("IsBoolean", "$.n", True, False),
        ("IsTimestamp", "$.t", True, True),
        ("IsTimestamp", "$.t_offset", True, True),
        ("IsTimestamp", "$.s", True, False),
        ("IsNumeric", "$.list", True, False),
    ],
)
def test_comparator(operator: str, variable: str, value: Any, expected: bool) -> None:
    assert evaluate(rule(variable, operator, value), DATA) is expected


@pytest.mark.parametrize(
    ("operator", "variable", "path", "expected"),
    [
        ("StringEqualsPath", "$.s", "$.other.s", True),
        ("StringLessThanPath", "$.s", "$.other.high", True),
        ("StringGreaterThanPath", "$.s", "$.other.low", True),
        ("StringLessThanEqualsPath", "$.s", "$.other.low", False),
        ("StringGreaterThanEqualsPath", "$.s", "$.other.s", True),
        ("NumericEqualsPath", "$.n", "$.other.n", True),
        ("NumericLessThanPath", "$.f", "$.other.n", True),
        ("NumericGreaterThanPath", "$.f", "$.other.n", False),
        ("NumericLessThanEqualsPath", "$.n", "$.other.n", True),
        ("NumericGreaterThanEqualsPath", "$.n", "$.other.n", True),
        ("NumericEqualsPath", "$.n", "$.other.s", False),
        ("BooleanEqualsPath", "$.b", "$.other.b", True),
        ("TimestampEqualsPath", "$.t", "$.other.t", True),
        ("TimestampLessThanPath", "$.t", "$.other.t", False),
        ("TimestampGreaterThanPath", "$.t", "$.other.t", False),
        ("TimestampLessThanEqualsPath", "$.t", "$.other.t", True),
        ("TimestampGreaterThanEqualsPath", "$.t", "$.other.t", True),
        ("StringEqualsPath", "$.s", "$$.Expected", True),
    ],
)
def test_path_comparator(operator: str, variable: str, path: str, expected: bool) -> None:
    assert evaluate(rule(variable, operator, path), DATA, {"Expected": "beta"}) is expected


def test_boolean_expressions() -> None:
    true, false = rule("$.n", "NumericEquals", 5), rule("$.n", "NumericEquals", 6)
    assert evaluate({"And": [true, true]}, DATA)
    assert not evaluate({"And": [true, false]}, DATA)
    assert evaluate({"Or": [false, true]}, DATA)
    assert not evaluate({"Or": [false, false]}, DATA)
    assert evaluate({"Not": false}, DATA)
    assert evaluate({"Not": {"And": [true, {"Not": true}]}}, DATA)


def test_and_stops_at_the_first_false() -> None:
    """Evaluation stops once decided: the missing Variable after a false rule is never read."""
    missing = rule("$.missing", "NumericEquals", 1)
    assert not evaluate({"And": [rule("$.n", "NumericEquals", 6), missing]}, DATA)
    assert evaluate({"Or": [rule("$.n", "NumericEquals", 5), missing]}, DATA)


def test_variable_may_read_the_context_object() -> None:
    assert evaluate(rule("$$.Execution.Name", "StringEquals", "x"), {}, {"Execution": {"Name": "x"}})


def test_spec_example_dispatch_event() -> None:
    state = {
        "Choices": [
            {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
            {
                "And": [
                    {"Variable": "$.value", "IsPresent": True},
                    {"Variable": "$.value", "IsNumeric": True},
                    {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                    {"Variable": "$.value", "NumericLessThan": 30},
                ],
                "Next": "ValueInTwenties",
            },
            {"Variable": "$.rating", "NumericGreaterThanPath": "$.auditThreshold", "Next": "StartAudit"},
        ],
        "Default": "RecordEvent",
    }
    assert choose(state, {"type": "Private", "value": 22}) == "ValueInTwenties"
    assert choose(state, {"type": "Public"}) == "Public"
    assert choose(state, {"type": "Private", "value": 2, "rating": 9, "auditThreshold": 5}) == "StartAudit"
    assert choose(state, {"type": "Private", "value": 2, "rating": 1, "auditThreshold": 5}) == "RecordEvent"


def test_first_matching_rule_wins() -> None:
    state = {
        "Choices": [
            {**rule("$.n", "NumericGreaterThan", 1), "Next": "A"},
            {**rule("$.n", "NumericEquals", 5), "Next": "B"},
        ]
    }
    assert choose(state, DATA) == "A"


def test_no_match_without_default_is_no_choice_matched() -> None:
    with pytest.raises(StatesError) as caught:
        choose({"Choices": [{**rule("$.n", "NumericEquals", 6), "Next": "A"}]}, DATA)
    assert caught.value.error == "States.NoChoiceMatched"


def test_a_missing_variable_is_a_runtime_error() -> None:
    with pytest.raises(StatesError) as caught:
        evaluate(rule("$.missing", "StringEquals", "x"), DATA)
    assert caught.value.error == "States.Runtime"
    assert "'$.missing'" in str(caught.value.cause)


def test_a_missing_comparison_path_is_a_runtime_error() -> None:
    with pytest.raises(StatesError) as caught:
        evaluate(rule("$.s", "StringEqualsPath", "$.missing"), DATA)
    assert caught.value.error == "States.Runtime"
