"""One focused test (or a few) per state type, run through the whole protocol with fake tasks."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor.statemachine import Execution, Failed, Finished, RunTask, Timer

from ._driver import T0, Fail, Ok, drive, later, machine, one

# -- Pass ------------------------------------------------------------------------------------------


def test_pass_copies_its_input_by_default() -> None:
    run = drive(one({"Type": "Pass"}), {"a": 1})
    assert run.final() == Finished({"a": 1})


def test_pass_result_is_placed_by_result_path() -> None:
    state = {
        "Type": "Pass",
        "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355},
        "ResultPath": "$.coords",
    }
    run = drive(one(state), {"georefOf": "Home"})
    assert run.final() == Finished(
        {"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}}
    )


def test_pass_parameters_make_the_result_and_output_path_selects() -> None:
    state = {
        "Type": "Pass",
        "InputPath": "$.in",
        "Parameters": {"v.$": "$.v", "k": 1},
        "ResultPath": "$.out",
        "OutputPath": "$.out",
    }
    assert drive(one(state), {"in": {"v": 2}}).final() == Finished({"v": 2, "k": 1})


# -- Task ------------------------------------------------------------------------------------------


def test_task_runs_its_resource_with_the_effective_input() -> None:
    state = {
        "Type": "Task",
        "Resource": "lambda:sum",
        "InputPath": "$.numbers",
        "Parameters": {"values.$": "States.Array($.val1, $.val2)", "token.$": "$$.Task.Token"},
        "ResultSelector": {"total.$": "$.sum"},
        "ResultPath": "$.result",
        "HeartbeatSeconds": 10,
    }
    run = drive(
        one(state), {"numbers": {"val1": 3, "val2": 4}}, lambda t: Ok({"sum": sum(t.input["values"])})
    )
    [task] = run.tasks
    assert task == RunTask(task.token, "lambda:sum", {"values": [3, 4], "token": task.token}, 60, 10, "S", 1)
    assert run.final() == Finished({"numbers": {"val1": 3, "val2": 4}, "result": {"total": 7}})


def test_task_timeouts_come_from_fields_paths_or_the_default() -> None:
    explicit = drive(one({"Type": "Task", "Resource": "r", "TimeoutSeconds": 300, "HeartbeatSeconds": 60}))
    assert (explicit.tasks[0].timeout_seconds, explicit.tasks[0].heartbeat_seconds) == (300, 60)
    paths = drive(
        one({"Type": "Task", "Resource": "r", "TimeoutSecondsPath": "$.t", "HeartbeatSecondsPath": "$.h"}),
        {"t": 9, "h": 3},
    )
    assert (paths.tasks[0].timeout_seconds, paths.tasks[0].heartbeat_seconds) == (9, 3)
    unlimited = drive(one({"Type": "Task", "Resource": "r"}), default_task_timeout=None)
    assert unlimited.tasks[0].timeout_seconds is None


def test_task_timeout_path_must_be_a_positive_integer() -> None:
    run = drive(one({"Type": "Task", "Resource": "r", "TimeoutSecondsPath": "$.t"}), {"t": 0})
    assert run.final() == Failed(
        "States.Runtime", "TimeoutSecondsPath must point to a positive integer, not 0"
    )


def test_task_failure_fails_the_execution_with_the_task_error() -> None:
    run = drive(one({"Type": "Task", "Resource": "r"}), {}, {"S": Fail("App.Boom", "it broke")})
    assert run.final() == Failed("App.Boom", "it broke")
    assert (run.execution.status, run.execution.error, run.execution.cause) == (
        "failed",
        "App.Boom",
        "it broke",
    )


def test_task_failure_without_a_name_is_task_failed() -> None:
    assert drive(one({"Type": "Task", "Resource": "r"}), {}, {"S": Fail()}).final() == Failed(
        "States.TaskFailed", None
    )


# -- Choice ----------------------------------------------------------------------------------------

CHOICE = machine(
    {
        "Check": {
            "Type": "Choice",
            "InputPath": "$.in",
            "OutputPath": "$.v",
            "Choices": [
                {"Variable": "$.v", "NumericGreaterThan": 10, "Next": "Big"},
                {"Variable": "$.v", "NumericLessThan": 0, "Next": "Negative"},
            ],
            "Default": "Small",
        },
        "Big": {"Type": "Pass", "Result": "big", "End": True},
        "Negative": {"Type": "Pass", "Result": "negative", "End": True},
        "Small": {"Type": "Pass", "ResultPath": "$", "End": True},
    }
)


@pytest.mark.parametrize(
    ("value", "states", "output"),
    [(11, ["Check", "Big"], "big"), (-1, ["Check", "Negative"], "negative"), (5, ["Check", "Small"], 5)],
)
def test_choice_goes_to_the_first_matching_rule_or_default(
    value: int, states: list[str], output: Any
) -> None:
    run = drive(CHOICE, {"in": {"v": value}})
    assert run.states == states
    assert run.final() == Finished(output)
    assert run.execution.jobs[0]["output"] == value, "the Choice state's output passes through OutputPath"


def test_choice_without_a_match_or_default_fails_with_no_choice_matched() -> None:
    definition = machine(
        {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "IsNull": True, "Next": "D"}]},
            "D": {"Type": "Succeed"},
        }
    )
    run = drive(definition, {"v": 1})
    assert run.final() == Failed("States.NoChoiceMatched", "No Choice Rule matched and there is no Default")


def test_choice_on_a_missing_variable_is_a_runtime_error() -> None:
    definition = machine(
        {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "IsNull": True, "Next": "D"}]},
            "D": {"Type": "Succeed"},
        }
    )
    failed = drive(definition, {}).final()
    assert isinstance(failed, Failed) and failed.error == "States.Runtime"


# -- Wait ------------------------------------------------------------------------------------------


def test_wait_seconds_asks_for_a_timer() -> None:
    ex = Execution.start(one({"Type": "Wait", "Seconds": 10}), {"a": 1})
    [timer] = ex.advance(T0)
    assert timer == Timer(timer.token, later(10))
    assert ex.jobs[0]["status"] == "running"
    assert ex.advance(later(5)) == []
    assert ex.timer_fired(timer.token)
    assert ex.advance(later(10)) == [Finished({"a": 1})]


@pytest.mark.parametrize(
    ("state", "input", "wakes"),
    [
        pytest.param({"Seconds": 3}, {}, later(3), id="Seconds"),
        pytest.param({"SecondsPath": "$.s"}, {"s": 4}, later(4), id="SecondsPath"),
        pytest.param({"Timestamp": "2024-01-01T00:01:00Z"}, {}, later(60), id="Timestamp"),
        pytest.param(
            {"TimestampPath": "$.t"}, {"t": "2024-01-01T02:00:00+02:00"}, None, id="TimestampPath-in-the-past"
        ),
        pytest.param({"Seconds": 0}, {}, None, id="zero-seconds"),
    ],
)
def test_wait_variants(state: dict[str, Any], input: Any, wakes: Any) -> None:
    run = drive(one({"Type": "Wait", **state}), input)
    assert run.final() == Finished(input)
    assert list(run.timers.values()) == [] and [e.at for e in run.effects if isinstance(e, Timer)] == (
        [wakes] if wakes else []
    )


@pytest.mark.parametrize(
    ("state", "input"),
    [
        pytest.param({"SecondsPath": "$.s"}, {"s": -1}, id="negative-seconds"),
        pytest.param({"SecondsPath": "$.s"}, {"s": "10"}, id="string-seconds"),
        pytest.param({"SecondsPath": "$.s"}, {}, id="missing-seconds"),
        pytest.param({"TimestampPath": "$.t"}, {"t": "tomorrow"}, id="bad-timestamp"),
    ],
)
def test_wait_with_bad_values_is_a_runtime_error(state: dict[str, Any], input: Any) -> None:
    failed = drive(one({"Type": "Wait", **state}), input).final()
    assert isinstance(failed, Failed) and failed.error == "States.Runtime"


# -- Succeed / Fail --------------------------------------------------------------------------------


def test_succeed_ends_with_its_filtered_input() -> None:
    assert drive(
        one({"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}), {"a": {"b": 2}}
    ).final() == Finished(2)


def test_fail_ends_the_execution_with_its_error_and_cause() -> None:
    run = drive(one({"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju attack"}))
    assert run.final() == Failed("ErrorA", "Kaiju attack")
    assert run.execution.jobs[0]["status"] == "failed"


def test_fail_error_and_cause_from_paths_and_intrinsics() -> None:
    state = {"Type": "Fail", "ErrorPath": "$.Error", "CausePath": "States.Format('code {}', $.code)"}
    assert drive(one(state), {"Error": "E1", "code": 7}).final() == Failed("E1", "code 7")
    assert drive(one({"Type": "Fail"})).final() == Failed(None, None)
    bad = drive(one({"Type": "Fail", "ErrorPath": "$.n"}), {"n": 1}).final()
    assert bad == Failed("States.Runtime", "ErrorPath must yield a string, not the number")
