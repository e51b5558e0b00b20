"""The execution protocol: serialising between every step, resuming after a crash, reports, cancel, history."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from conveyor.errors import BadInput
from conveyor.statemachine import (
    Cancelled,
    CancelTask,
    CancelTimer,
    Execution,
    Failed,
    Finished,
    RunTask,
    Timer,
)
from conveyor.statemachine import engine as engine_module

from ._driver import T0, Fail, Ok, drive, later, machine, one, roundtrip
from ._driver import RunTask as _RunTask

#: Every state type, nesting, Retry, Catch, Wait and intrinsics: the machine for the resume tests.
EVERYTHING = machine(
    {
        "Prepare": {
            "Type": "Pass",
            "Parameters": {
                "items.$": "States.ArrayRange(1, 4, 1)",
                "id.$": "States.UUID()",
                "name.$": "$$.Execution.Name",
            },
            "Next": "Fan",
        },
        "Fan": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Each",
                    "States": {
                        "Each": {
                            "Type": "Map",
                            "ItemsPath": "$.items",
                            "MaxConcurrency": 2,
                            "ItemSelector": {"n.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
                            "ItemProcessor": {
                                "StartAt": "Square",
                                "States": {
                                    "Square": {
                                        "Type": "Task",
                                        "Resource": "square",
                                        "Retry": [
                                            {
                                                "ErrorEquals": ["Flaky"],
                                                "IntervalSeconds": 2,
                                                "JitterStrategy": "FULL",
                                            }
                                        ],
                                        "End": True,
                                    }
                                },
                            },
                            "End": True,
                        }
                    },
                },
                {
                    "StartAt": "Nap",
                    "States": {
                        "Nap": {"Type": "Wait", "Seconds": 7, "Next": "Risky"},
                        "Risky": {
                            "Type": "Task",
                            "Resource": "risky",
                            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Fine"}],
                            "End": True,
                        },
                        "Fine": {"Type": "Succeed", "OutputPath": "$.err.Error"},
                    },
                },
            ],
            "ResultSelector": {"squares.$": "$[0]", "risk.$": "$[1]"},
            "ResultPath": "$.out",
            "Next": "Decide",
        },
        "Decide": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.out.risk", "StringEquals": "Risk.Failed", "Next": "Report"}],
            "Default": "Broken",
        },
        "Report": {"Type": "Pass", "Parameters": {"squares.$": "$.out.squares", "id.$": "$.id"}, "End": True},
        "Broken": {"Type": "Fail", "Error": "Unexpected"},
    }
)


def flaky_squares(task: _RunTask) -> Ok | Fail:
    if task.resource == "risky":
        return Fail("Risk.Failed", "as planned")
    if task.input["n"] == 3 and task.attempt == 1:
        return Fail("Flaky")
    return Ok(task.input["n"] ** 2)


def test_serialising_between_every_step_changes_nothing() -> None:
    context = {"Execution": {"Id": "arn:e", "Name": "e-1"}}
    resumed = drive(EVERYTHING, {}, flaky_squares, context=context)
    straight = drive(EVERYTHING, {}, flaky_squares, context=context, resume=False)
    assert resumed.serialised > 10
    assert resumed.effects == straight.effects
    assert resumed.execution.jobs == straight.execution.jobs
    assert resumed.execution.to_dict() == straight.execution.to_dict()
    final = resumed.final()
    assert isinstance(final, Finished)
    assert final.output["squares"] == [1, 4, 9, 16]
    assert len(final.output["id"]) == 36


def test_the_state_is_plain_json() -> None:
    ex = Execution.start(EVERYTHING, {}, {"Execution": {"Name": "e"}})
    ex.advance(T0)
    state = ex.to_dict()
    assert json.loads(json.dumps(state)) == state
    state["status"] = "tampered"
    assert ex.status == "running", "to_dict returns a copy"


def test_resume_after_a_crash_reissues_what_is_outstanding() -> None:
    ex = Execution.start(
        machine(
            {
                "W": {"Type": "Wait", "Seconds": 5, "Next": "T"},
                "T": {"Type": "Task", "Resource": "r", "End": True},
            }
        ),
        {"a": 1},
    )
    [timer] = ex.advance(T0)
    stored = json.dumps(ex.to_dict())
    # ... the engine crashes before it sets the timer; a new process loads the state:
    again = Execution.from_dict(json.loads(stored))
    assert again.outstanding() == [timer]
    assert again.timer_fired(timer.token)  # type: ignore[union-attr]
    [task] = again.advance(later(5))
    assert isinstance(task, RunTask)
    assert Execution.from_dict(again.to_dict()).outstanding() == [task]
    assert again.task_succeeded(task.token, "done")
    assert again.outstanding() == [], "a reported task is no longer outstanding"
    assert again.advance(later(6)) == [Finished("done")]


def test_reports_for_unknown_stale_or_repeated_tokens_are_refused() -> None:
    ex = Execution.start(one({"Type": "Task", "Resource": "r"}), {})
    [task] = ex.advance(T0)
    assert not ex.task_succeeded("t999", 1)
    assert not ex.timer_fired(task.token), "a task token is not a timer token"  # type: ignore[union-attr]
    assert ex.task_succeeded(task.token, 1)  # type: ignore[union-attr]
    assert not ex.task_failed(task.token, "E"), "a second report for the same task"  # type: ignore[union-attr]
    assert ex.advance(later(1)) == [Finished(1)]
    assert not ex.task_succeeded(task.token, 1)  # type: ignore[union-attr]
    assert ex.advance(later(2)) == []


def test_reports_only_record_until_advance() -> None:
    ex = Execution.start(one({"Type": "Task", "Resource": "r"}), {})
    [task] = ex.advance(T0)
    ex.task_succeeded(task.token, 1)  # type: ignore[union-attr]
    assert ex.status == "running" and ex.jobs[0]["status"] == "queued"
    assert roundtrip(ex).advance(later(1)) == [Finished(1)]


def test_task_started_marks_the_job_running() -> None:
    ex = Execution.start(one({"Type": "Task", "Resource": "r"}), {})
    [task] = ex.advance(T0)
    assert ex.jobs[0]["status"] == "queued" and ex.jobs[0]["started_at"] is None
    assert ex.task_started(task.token, "worker-7")  # type: ignore[union-attr]
    ex.advance(later(1))
    job = ex.jobs[0]
    assert (job["status"], job["worker"], job["started_at"]) == (
        "running",
        "worker-7",
        "2024-01-01T00:00:01.000000Z",
    )


def test_cancel_stops_running_tasks_and_timers() -> None:
    definition = one(
        {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": True}}},
                {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}},
            ],
        }
    )
    ex = Execution.start(definition, {})
    task, timer = ex.advance(T0)
    assert ex.cancel("try out cancelling a workflow")
    assert ex.status == "running", "like Clever, the status changes once the cancellation is processed"
    effects = ex.advance(later(1))
    assert effects == [
        CancelTask(task.token),
        CancelTimer(timer.token),
        Cancelled("try out cancelling a workflow"),
    ]  # type: ignore[union-attr]
    assert (ex.status, ex.status_reason) == ("cancelled", "try out cancelling a workflow")
    assert [(j["state"], j["status"], j["status_reason"]) for j in ex.jobs] == [
        ("S", "aborted_by_user", "try out cancelling a workflow"),
        ("T", "aborted_by_user", "try out cancelling a workflow"),
        ("W", "aborted_by_user", "try out cancelling a workflow"),
    ]
    assert not ex.cancel("again"), "a finished execution cannot be cancelled"
    assert not ex.task_succeeded(task.token, 1)  # type: ignore[union-attr]


def test_cancel_before_the_first_step() -> None:
    ex = Execution.start(one({"Type": "Pass"}), {})
    assert ex.status == "queued"
    ex.cancel()
    assert ex.advance(T0) == [Cancelled(None)]
    assert ex.status == "cancelled" and ex.jobs == []


def test_cancel_during_a_retry_interval() -> None:
    ex = Execution.start(
        one({"Type": "Task", "Resource": "r", "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 30}]}), {}
    )
    [task] = ex.advance(T0)
    ex.task_failed(task.token, "E")  # type: ignore[union-attr]
    [timer] = ex.advance(later(1))
    assert timer == Timer(timer.token, later(31))  # type: ignore[union-attr]
    ex.cancel("stop")
    assert ex.advance(later(2)) == [CancelTimer(timer.token), Cancelled("stop")]  # type: ignore[union-attr]
    assert ex.jobs[0]["status"] == "aborted_by_user"


def test_the_context_object() -> None:
    context = {
        "Execution": {"Id": "arn:exec", "Name": "exec"},
        "StateMachine": {"Id": "arn:sm", "Name": "sm"},
    }
    params = {
        "exec.$": "$$.Execution.Id",
        "name.$": "$$.Execution.Name",
        "input.$": "$$.Execution.Input",
        "start.$": "$$.Execution.StartTime",
        "machine.$": "$$.StateMachine.Name",
        "state.$": "$$.State.Name",
        "entered.$": "$$.State.EnteredTime",
        "retries.$": "$$.State.RetryCount",
        "token.$": "$$.Task.Token",
    }
    definition = one(
        {"Type": "Task", "Resource": "r", "Parameters": params, "Retry": [{"ErrorEquals": ["E"]}]}
    )
    run = drive(definition, {"a": 1}, {"S": [Fail("E"), Ok(1)]}, context=context)
    first, second = (t.input for t in run.tasks)
    assert first == {
        "exec": "arn:exec",
        "name": "exec",
        "input": {"a": 1},
        "start": "2024-01-01T00:00:00.000000Z",
        "machine": "sm",
        "state": "S",
        "entered": "2024-01-01T00:00:00.000000Z",
        "retries": 0,
        "token": run.tasks[0].token,
    }
    assert (second["retries"], second["token"]) == (1, run.tasks[1].token)


def test_the_seed_makes_randomness_reproducible() -> None:
    definition = one(
        {"Type": "Pass", "Parameters": {"u.$": "States.UUID()", "r.$": "States.MathRandom(0, 1000000)"}}
    )
    outputs = [Execution.start(definition, {}, seed="s").advance(T0) for _ in range(2)]
    assert outputs[0] == outputs[1]
    assert Execution.start(definition, {}).advance(T0) != Execution.start(definition, {}).advance(T0)


def test_the_history_records_each_state_like_clevers_jobs() -> None:
    definition = machine(
        {
            "T": {"Type": "Task", "Resource": "lambda:x", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$", "IsNumeric": True, "Next": "Done"}]},
            "Done": {"Type": "Succeed"},
        }
    )
    run = drive(definition, {"in": 1}, {"T": Ok(5)})
    jobs = run.execution.jobs
    assert [(j["id"], j["state"], j["type"], j["status"], j["input"], j["output"]) for j in jobs] == [
        ("1", "T", "Task", "succeeded", {"in": 1}, 5),
        ("2", "C", "Choice", "succeeded", 5, 5),
        ("3", "Done", "Succeed", "succeeded", 5, 5),
    ]
    assert jobs[0]["resource"] == "lambda:x" and jobs[0]["token"] == run.tasks[0].token
    assert run.execution.last_job is None, "Clever sets lastJob for failed workflows only"
    assert run.execution.started_at == T0 and run.execution.stopped_at == T0


def test_failed_executions_point_at_the_failed_job() -> None:
    run = drive(
        machine({"T": {"Type": "Task", "Resource": "r", "Next": "U"}, "U": {"Type": "Pass", "End": True}}),
        {},
        {"T": Fail("App.Error", "line1\nline2\nline3\nline4")},
    )
    last = run.execution.last_job
    assert last is not None and last["state"] == "T"
    assert last["status_reason"] == "line2\nline3\nline4\nApp.Error"


def test_a_loop_that_never_waits_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "MAX_STEPS", 50)
    from conveyor.statemachine import interpreter

    monkeypatch.setattr(interpreter, "MAX_STEPS", 50)
    definition = machine(
        {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "Z"}],
                "Default": "A",
            },
            "Z": {"Type": "Succeed"},
        }
    )
    failed = Execution.start(definition, {}).advance(T0)[-1]
    assert failed == Failed(
        "States.Runtime", "more than 50 state transitions without waiting for anything (a loop?)"
    )


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(BadInput, match="the execution's input is not JSON"):
        Execution.start(one({"Type": "Pass"}), {"a": object()})
    ex = Execution.start(one({"Type": "Task", "Resource": "r"}))
    with pytest.raises(ValueError, match="timezone-aware"):
        ex.advance(datetime(2024, 1, 1))
    [task] = ex.advance(T0)
    with pytest.raises(BadInput, match="the task's output is not JSON"):
        ex.task_succeeded(task.token, float("nan"))  # type: ignore[union-attr]
    with pytest.raises(BadInput, match="not an execution state of format 1"):
        Execution.from_dict({"format": 99})


def test_input_defaults_to_an_empty_object() -> None:
    assert Execution.start(one({"Type": "Pass"})).advance(T0) == [Finished({})]


def test_the_definition_may_be_any_accepted_shape() -> None:
    legacy = {"name": "old", "states": [{"name": "a", "type": "Pass", "end": True}]}
    ex = Execution.start(legacy, {"x": 1})
    assert ex.name == "old" and ex.machine["StartAt"] == "a"
    assert ex.advance(T0) == [Finished({"x": 1})]


def test_output_is_a_copy() -> None:
    ex = Execution.start(one({"Type": "Pass"}), {"a": [1]})
    ex.advance(T0)
    out: Any = ex.output
    out["a"].append(2)
    assert ex.output == {"a": [1]}


def test_cancelling_a_queued_execution_sets_no_timer() -> None:
    ex = Execution.start({**one({"Type": "Pass"}), "TimeoutSeconds": 5})
    ex.cancel("never mind")
    assert ex.advance(T0) == [Cancelled("never mind")]
    assert ex.started_at is None and ex.stopped_at == T0


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_default_task_timeout_must_be_positive(bad: Any) -> None:
    with pytest.raises(BadInput, match="default_task_timeout"):
        Execution.start(one({"Type": "Pass"}), default_task_timeout=bad)
