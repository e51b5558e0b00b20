"""Retry, Catch and timeouts: which errors match, how long retries wait, and what a catcher passes on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from conveyor.statemachine import Execution, Failed, Finished, RunTask, Timer
from conveyor.statemachine.errors import matches

from ._driver import T0, Fail, Ok, drive, later, machine


def task(**fields: Any) -> dict[str, Any]:
    """A machine: Task "T" (with ``fields``) then "Done"; catchers may go to "Caught"."""
    states: dict[str, Any] = {"T": {"Type": "Task", "Resource": "r", "Next": "Done", **fields}}
    states["Done"] = {"Type": "Pass", "End": True}
    if "Catch" in fields:
        states["Caught"] = {"Type": "Pass", "End": True}
    return machine(states)


def retry_waits(run: Any) -> list[float]:
    """The seconds between each task failure and the retry timer it set."""
    waits = []
    for effect in run.effects:
        if isinstance(effect, Timer):
            waits.append(effect.at)
    starts = [T0, *waits]
    return [(b - a).total_seconds() for a, b in zip(starts, waits, strict=False)]


@pytest.mark.parametrize(
    ("error_equals", "error", "expected"),
    [
        (["States.ALL"], "Anything", True),
        (["States.ALL"], "States.Timeout", True),
        (["A", "B"], "B", True),
        (["A"], "a", False),
        (["States.TaskFailed"], "Custom.Error", True),
        (["States.TaskFailed"], "States.Permissions", True),
        (["States.TaskFailed"], "States.Timeout", False),
        (["States.TaskFailed"], "States.HeartbeatTimeout", False),
        (["States.Timeout"], "States.HeartbeatTimeout", True),
        (["States.HeartbeatTimeout"], "States.Timeout", False),
    ],
)
def test_error_matching(error_equals: list[str], error: str, expected: bool) -> None:
    assert matches(error_equals, error) is expected


def test_retry_waits_interval_then_backs_off() -> None:
    retry = [{"ErrorEquals": ["E"], "IntervalSeconds": 3, "MaxAttempts": 3, "BackoffRate": 2.0}]
    run = drive(task(Retry=retry), {}, {"T": [Fail("E"), Fail("E"), Fail("E"), Ok("ok")]})
    assert run.final() == Finished("ok")
    assert [t.attempt for t in run.tasks] == [1, 2, 3, 4]
    assert len({t.token for t in run.tasks}) == 4, "each attempt has its own token"
    assert retry_waits(run) == [3.0, 6.0, 12.0]


def test_retry_defaults_are_one_second_three_attempts_rate_two() -> None:
    run = drive(task(Retry=[{"ErrorEquals": ["E"]}]), {}, {"T": Fail("E", "always")})
    assert run.final() == Failed("E", "always")
    assert retry_waits(run) == [1.0, 2.0, 4.0]
    assert len(run.tasks) == 4


def test_max_delay_caps_the_interval() -> None:
    retry = [
        {
            "ErrorEquals": ["E"],
            "IntervalSeconds": 3,
            "MaxAttempts": 2,
            "BackoffRate": 2.0,
            "MaxDelaySeconds": 4,
        }
    ]
    run = drive(task(Retry=retry), {}, {"T": [Fail("E"), Fail("E"), Ok(1)]})
    assert retry_waits(run) == [3.0, 4.0]


def test_full_jitter_waits_at_most_the_interval_and_replays_the_same() -> None:
    retry = [{"ErrorEquals": ["E"], "IntervalSeconds": 10, "MaxAttempts": 3, "JitterStrategy": "FULL"}]
    first = drive(task(Retry=retry), {}, {"T": [Fail("E"), Fail("E"), Ok(1)]})
    again = drive(task(Retry=retry), {}, {"T": [Fail("E"), Fail("E"), Ok(1)]}, resume=False)
    waits = retry_waits(first)
    assert 0 <= waits[0] <= 10 and 0 <= waits[1] <= 20
    assert waits != [10.0, 20.0]
    assert waits == retry_waits(again)


def test_max_attempts_zero_never_retries() -> None:
    retry = [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"]}]
    run = drive(task(Retry=retry), {}, {"T": Fail("States.Timeout")})
    assert len(run.tasks) == 1
    assert run.final() == Failed("States.Timeout", None)


def test_spec_complex_retry_scenario() -> None:
    """ErrorA, ErrorB, ErrorC, ErrorB: waits 1 and 2 (first retrier), 5 (second), then the first is spent."""
    retry = [
        {"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 2},
        {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5},
    ]
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    run = drive(
        task(Retry=retry, Catch=catch),
        {},
        {"T": [Fail("ErrorA"), Fail("ErrorB"), Fail("ErrorC"), Fail("ErrorB")]},
    )
    assert retry_waits(run) == [1.0, 2.0, 5.0]
    assert run.states == ["T", "Caught"]
    assert run.final() == Finished({"Error": "ErrorB"})


def test_only_the_first_matching_retrier_applies() -> None:
    retry = [{"ErrorEquals": ["E"], "MaxAttempts": 1}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}]
    run = drive(task(Retry=retry), {}, {"T": Fail("E")})
    assert len(run.tasks) == 2


def test_attempts_are_kept_on_the_job() -> None:
    retry = [{"ErrorEquals": ["E"], "IntervalSeconds": 2}]
    run = drive(task(Retry=retry), {}, {"T": [Fail("E", "first"), Ok("ok")]})
    job = run.execution.jobs[0]
    assert job["status"] == "succeeded"
    assert [(a["error"], a["cause"], a["reason"]) for a in job["attempts"]] == [("E", "first", "first\nE")]
    assert job["created_at"] == "2024-01-01T00:00:02.000000Z"


def test_catch_places_the_error_output_with_result_path() -> None:
    catch = [
        {"ErrorEquals": ["java.lang.Exception"], "ResultPath": "$.error-info", "Next": "Caught"},
        {"ErrorEquals": ["States.ALL"], "Next": "Done"},
    ]
    run = drive(task(Catch=catch), {"a": 1}, {"T": Fail("java.lang.Exception", "NPE")})
    assert run.states == ["T", "Caught"]
    assert run.final() == Finished({"a": 1, "error-info": {"Error": "java.lang.Exception", "Cause": "NPE"}})
    other = drive(task(Catch=catch), {"a": 1}, {"T": Fail("Other")})
    assert other.states == ["T", "Done"]
    assert other.final() == Finished({"Error": "Other"})


def test_retries_come_before_catchers() -> None:
    run = drive(
        task(
            Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 1}], Catch=[{"ErrorEquals": ["E"], "Next": "Caught"}]
        ),
        {},
        {"T": Fail("E")},
    )
    assert len(run.tasks) == 2
    assert run.states == ["T", "Caught"]


def test_retry_counts_reset_when_the_state_is_entered_again() -> None:
    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "r",
                "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 1}],
                "Catch": [{"ErrorEquals": ["E"], "Next": "Again"}],
                "End": True,
            },
            "Again": {"Type": "Pass", "Next": "T"},
        }
    )
    run = drive(definition, {}, {"T": [Fail("E"), Fail("E"), Fail("E"), Fail("E"), Ok("done")]})
    assert [t.attempt for t in run.tasks] == [1, 2, 1, 2, 1]
    assert run.states == ["T", "Again", "T", "Again", "T"]


def test_a_catcher_can_catch_result_path_and_parameter_path_failures() -> None:
    catch = [
        {"ErrorEquals": ["States.ResultPathMatchFailure", "States.ParameterPathFailure"], "Next": "Caught"}
    ]
    rp = drive(task(ResultPath="$.x", Catch=catch), "a string")
    assert rp.final() == Finished(
        {"Error": "States.ResultPathMatchFailure", "Cause": rp.execution.jobs[0]["cause"]}
    )
    pp = drive(task(Parameters={"x.$": "$.missing"}, Catch=catch), {})
    assert pp.states == ["T", "Caught"] and pp.tasks == []


def test_intrinsic_failures_can_be_retried_and_caught() -> None:
    catch = [{"ErrorEquals": ["States.IntrinsicFailure"], "Next": "Caught"}]
    run = drive(
        task(
            Parameters={"x.$": "States.ArrayLength($.n)"},
            Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}],
            Catch=catch,
        ),
        {"n": 1},
    )
    assert run.states == ["T", "Caught"]
    assert len(run.execution.jobs[0]["attempts"]) == 1


def test_runtime_errors_are_not_caught_by_states_all() -> None:
    run = drive(
        task(
            InputPath="$.missing",
            Retry=[{"ErrorEquals": ["States.ALL"]}],
            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
        ),
        {},
    )
    failed = run.final()
    assert isinstance(failed, Failed) and failed.error == "States.Runtime"
    assert run.states == ["T"] and run.tasks == []


def test_a_parallel_state_retries_all_its_branches() -> None:
    definition = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "a", "End": True}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "b", "End": True}}},
                ],
                "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 5}],
                "End": True,
            }
        }
    )
    run = drive(definition, {}, {"A": [Fail("Flaky"), Ok("a")], "B": Ok("b")})
    assert run.final() == Finished(["a", "b"])
    assert [t.state for t in run.tasks] == ["A", "B", "A", "B"]


def test_a_map_state_catches_an_item_error() -> None:
    definition = machine(
        {
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "W",
                    "States": {"W": {"Type": "Task", "Resource": "w", "End": True}},
                },
                "Catch": [{"ErrorEquals": ["Bad.Item"], "ResultPath": "$.failure", "Next": "Caught"}],
                "ItemsPath": "$.items",
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        }
    )
    run = drive(
        definition,
        {"items": [1, 2]},
        lambda t: Fail("Bad.Item", str(t.input)) if t.input == 2 else Ok(t.input),
    )
    assert run.final() == Finished({"items": [1, 2], "failure": {"Error": "Bad.Item", "Cause": "2"}})


# -- timeouts --------------------------------------------------------------------------------------


def test_task_timeouts_are_reported_failures_with_a_job_timed_out_reason() -> None:
    run = drive(task(TimeoutSeconds=5), {}, {"T": Fail("States.Timeout", "after 5s")})
    assert run.final() == Failed("States.Timeout", "after 5s")
    assert run.execution.jobs[0]["status_reason"] == "Job timed out\nStates.Timeout\nafter 5s"


def test_heartbeat_timeouts_match_timeout_retriers() -> None:
    run = drive(
        task(HeartbeatSeconds=5, Retry=[{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1}]),
        {},
        {"T": [Fail("States.HeartbeatTimeout"), Ok(1)]},
    )
    assert run.final() == Finished(1)
    assert run.tasks[0].heartbeat_seconds == 5


def test_machine_timeout_fails_the_execution_and_stops_the_running_task() -> None:
    definition = {**task(), "TimeoutSeconds": 30}
    ex = Execution.start(definition, {})
    timer, run_task = ex.advance(T0)
    assert timer == Timer(timer.token, later(30))  # type: ignore[union-attr]
    assert isinstance(run_task, RunTask)
    assert ex.timer_fired(timer.token)  # type: ignore[union-attr]
    effects = ex.advance(later(30))
    cause = "The execution ran longer than its TimeoutSeconds (30)"
    assert [type(e).__name__ for e in effects] == ["CancelTask", "Failed"]
    assert effects[-1] == Failed("States.Timeout", cause)
    assert (ex.status, ex.status_reason) == ("failed", "Workflow timed out")
    assert ex.jobs[0]["status"] == "failed" and ex.jobs[0]["status_reason"] == "Workflow timed out"


def test_machine_timeout_also_applies_when_time_passes_without_the_timer() -> None:
    ex = Execution.start({**task(), "TimeoutSeconds": 30}, {})
    ex.advance(T0)
    assert ex.advance(T0 + timedelta(seconds=29)) == []
    assert ex.advance(T0 + timedelta(seconds=31))[-1] == Failed(
        "States.Timeout", "The execution ran longer than its TimeoutSeconds (30)"
    )


def test_finishing_in_time_cancels_the_machine_timer() -> None:
    ex = Execution.start({**task(), "TimeoutSeconds": 30}, {})
    timer, run_task = ex.advance(T0)
    ex.task_succeeded(run_task.token, 1)  # type: ignore[union-attr]
    effects = ex.advance(later(1))
    assert effects[-1] == Finished(1)
    assert effects[0].token == timer.token  # type: ignore[union-attr]
    assert not ex.timer_fired(timer.token)  # type: ignore[union-attr]


def test_a_catcher_whose_result_path_cannot_apply_fails_the_run() -> None:
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Caught"}]
    failed = drive(task(Catch=catch), "not an object", {"T": Fail("E")}).final()
    assert isinstance(failed, Failed) and failed.error == "States.ResultPathMatchFailure"
