"""Input and output processing, field by field, with the spec's examples."""

from __future__ import annotations

import random
from typing import Any

import pytest

from conveyor.statemachine import dataflow
from conveyor.statemachine.dataflow import Scope
from conveyor.statemachine.errors import StatesError

SCOPE = Scope({"DayOfWeek": "TUESDAY", "Execution": {"Id": "e-1"}}, random.Random(1))


def test_input_path_selects_absent_keeps_null_empties() -> None:
    raw = {"numbers": {"val1": 3}, "title": "t"}
    assert dataflow.input_path({"InputPath": "$.numbers"}, raw) == {"val1": 3}
    assert dataflow.input_path({}, raw) == raw
    assert dataflow.input_path({"InputPath": None}, raw) == {}


def test_input_path_with_many_matches_gathers_an_array() -> None:
    assert dataflow.input_path({"InputPath": "$.a[0,1]"}, {"a": [1, 2, 3, 4]}) == [1, 2]


def test_a_missing_input_path_is_a_runtime_error() -> None:
    with pytest.raises(StatesError) as caught:
        dataflow.input_path({"InputPath": "$.nope"}, {})
    assert caught.value.error == "States.Runtime"
    assert str(caught.value.cause).startswith("InputPath: The JSONPath '$.nope' could not be found")


def test_output_path_selects_absent_keeps_null_empties() -> None:
    assert dataflow.output_path({"OutputPath": "$.a"}, {"a": 1}) == 1
    assert dataflow.output_path({}, {"a": 1}) == {"a": 1}
    assert dataflow.output_path({"OutputPath": None}, {"a": 1}) == {}
    with pytest.raises(StatesError, match="OutputPath"):
        dataflow.output_path({"OutputPath": "$.b"}, {"a": 1})


def test_parameters_payload_template_spec_example() -> None:
    template = {
        "flagged": True,
        "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[-3:]"},
        "weekday.$": "$$.DayOfWeek",
        "formattedOutput.$": "States.Format('Today is {}', $$.DayOfWeek)",
        "list": [{"x.$": "$.flagged"}, 1],
    }
    raw = {"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]}
    assert dataflow.effective_input({"Parameters": template}, raw, SCOPE) == {
        "flagged": True,
        "parts": {"first": 0, "last3": [30, 40, 50]},
        "weekday": "TUESDAY",
        "formattedOutput": "Today is TUESDAY",
        "list": [{"x": 7}, 1],
    }


def test_parameters_apply_after_input_path() -> None:
    state = {"InputPath": "$.inner", "Parameters": {"v.$": "$.v"}}
    assert dataflow.effective_input(state, {"inner": {"v": 1}}, SCOPE) == {"v": 1}


def test_map_parameters_are_not_applied_to_the_map_input() -> None:
    state = {"Type": "Map", "Parameters": {"v.$": "$$.Map.Item.Value"}}
    assert dataflow.effective_input(state, [1, 2], SCOPE) == [1, 2]


def test_a_payload_path_that_matches_nothing_is_a_parameter_path_failure() -> None:
    with pytest.raises(StatesError) as caught:
        dataflow.effective_input({"Parameters": {"x.$": "$.missing"}}, {}, SCOPE)
    assert caught.value.error == "States.ParameterPathFailure"
    assert "Parameters field 'x.$'" in str(caught.value.cause)


def test_a_failing_intrinsic_in_a_payload_is_an_intrinsic_failure() -> None:
    with pytest.raises(StatesError) as caught:
        dataflow.effective_input({"Parameters": {"x.$": "States.ArrayLength($.a)"}}, {"a": 1}, SCOPE)
    assert caught.value.error == "States.IntrinsicFailure"


def test_result_selector_reshapes_the_result() -> None:
    state = {"ResultSelector": {"id.$": "$.Payload.id", "fixed": 1}}
    result = {"Payload": {"id": 7, "noise": True}, "StatusCode": 200}
    assert dataflow.effective_result(state, result, SCOPE) == {"id": 7, "fixed": 1}
    assert dataflow.effective_result({}, result, SCOPE) == result


@pytest.mark.parametrize(
    ("result_path", "raw", "expected"),
    [
        pytest.param("$", {"a": 1}, 7, id="dollar-replaces"),
        pytest.param(None, {"a": 1}, {"a": 1}, id="null-keeps-input"),
        pytest.param("$.sum", {"a": 1}, {"a": 1, "sum": 7}, id="adds-field"),
        pytest.param(
            "$.master.detail",
            {"master": {"detail": [1, 2, 3]}},
            {"master": {"detail": 7}},
            id="overwrites-field",
        ),
        pytest.param(
            "$.master.result.sum",
            {"master": {"detail": [1]}},
            {"master": {"detail": [1], "result": {"sum": 7}}},
            id="creates-intervening",
        ),
    ],
)
def test_result_path(result_path: Any, raw: Any, expected: Any) -> None:
    assert dataflow.state_output({"ResultPath": result_path}, raw, 7) == expected


def test_result_path_absent_means_dollar() -> None:
    assert dataflow.state_output({}, {"a": 1}, 7) == 7


def test_result_path_on_a_string_input_is_a_match_failure() -> None:
    with pytest.raises(StatesError) as caught:
        dataflow.state_output({"ResultPath": "$.x"}, "foo", 7)
    assert caught.value.error == "States.ResultPathMatchFailure"


def test_the_spec_input_output_example() -> None:
    state = {"InputPath": "$.numbers", "ResultPath": "$.sum"}
    raw = {"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}}
    effective = dataflow.effective_input(state, raw, SCOPE)
    assert effective == {"val1": 3, "val2": 4}
    total = effective["val1"] + effective["val2"]
    assert dataflow.state_output(state, raw, total) == {**raw, "sum": 7}


def test_output_path_applies_after_result_path() -> None:
    state = {"ResultPath": "$.r", "OutputPath": "$.r"}
    assert dataflow.state_output(state, {"a": 1}, {"b": 2}) == {"b": 2}


def test_catcher_output_places_the_error_output() -> None:
    raw = {"a": 1}
    assert dataflow.catcher_output({}, raw, "E", "why") == {"Error": "E", "Cause": "why"}
    assert dataflow.catcher_output({"ResultPath": "$.error-info"}, raw, "E", None) == {
        "a": 1,
        "error-info": {"Error": "E"},
    }
    assert dataflow.catcher_output({"ResultPath": None}, raw, "E", "c") == raw
