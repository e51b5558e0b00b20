"""Conformance with Clever's workflow-manager: FACTS.md section 5, where it still applies when conveyor runs
the states itself (the store, HTTP, SFN naming and resource expansion items belong to other layers).

Each case's id names its FACTS item. The real definition files next to FACTS.md must validate (or convert)
and run with fake task results.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conveyor.errors import BadInput, Conflict, InvalidDefinition
from conveyor.statemachine import Execution, Failed, Finished, RunTask, load, validate, with_start_at

from ._driver import T0, Fail, Ok, drive, later, machine, one

CLEVER = Path(__file__).resolve().parents[2] / "fixtures" / "statemachine" / "clever"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "statemachine"
KITCHEN_SINK: dict[str, Any] = json.loads((FIXTURES / "kitchensink.json").read_text())
AWS_CHOICE: dict[str, Any] = json.loads((FIXTURES / "aws-choice-example.json").read_text())
LINEAR = machine(
    {
        "start-state": {"Type": "Task", "Resource": "r", "Next": "second-state"},
        "second-state": {"Type": "Task", "Resource": "r", "Next": "end-state"},
        "end-state": {"Type": "Task", "Resource": "r", "End": True},
    }
)

CASES: list[Any] = []


def case(item: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(check: Callable[[], None]) -> Callable[[], None]:
        CASES.append(pytest.param(check, id=item))
        return check

    return register


def messages(document: Any) -> list[str]:
    return [p.message for p in validate(document)]


def has_problem(document: Any, text: str) -> None:
    found = messages(document)
    assert any(text in m for m in found), found


def branch(states: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states}


# -- definition validation ------------------------------------------------------------------------


@case("FACTS-5.1-task-parallel-map-request-is-valid")
def _() -> None:
    assert messages(KITCHEN_SINK) == []
    run = drive(KITCHEN_SINK, {"_EXECUTION_NAME": "wf-1", "items": [1, 2]})
    assert run.status == "succeeded"
    assert [t.state for t in run.tasks] == [
        "start-state",
        "second-state",
        "parallel-1",
        "parallel-2",
        "map-inner",
        "map-inner",
        "end-state",
    ]
    assert run.tasks[4].input == {"_EXECUTION_NAME": "wf-1", "item": 1}


@case("FACTS-5.2-map-without-iterator-is-invalid")
def _() -> None:
    has_problem(one({"Type": "Map"}), 'state "S": a Map state needs an ItemProcessor (or the older Iterator)')


@case("FACTS-5.2-map-with-iterator-and-execution-name-is-valid")
def _() -> None:
    state = {
        "Type": "Map",
        "Parameters": {"_EXECUTION_NAME.$": "$._EXECUTION_NAME"},
        "Iterator": branch({"I": {"Type": "Task", "Resource": "r", "End": True}}),
    }
    assert messages(one(state)) == []


@case("FACTS-5.3-task-without-resource-is-invalid")
def _() -> None:
    has_problem(one({"Type": "Task"}), 'state "S": a Task state needs a Resource')


@case("FACTS-5.4-parallel-without-branches-is-invalid")
def _() -> None:
    has_problem(one({"Type": "Parallel", "Branches": []}), 'state "S": a Parallel state needs Branches')


@case("FACTS-5.4-parallel-branch-task-without-resource-is-invalid")
def _() -> None:
    has_problem(
        one({"Type": "Parallel", "Branches": [branch({"B": {"Type": "Task", "End": True}})]}),
        'state "B": a Task state needs a Resource',
    )


@case("FACTS-5.5-choice-without-choices-is-invalid")
def _() -> None:
    has_problem(one({"Type": "Choice", "Choices": []}), 'state "S": a Choice state needs Choices')


@case("FACTS-5.5-choice-rule-without-next-is-invalid")
def _() -> None:
    has_problem(
        one({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True}], "Default": "S"}),
        "choice 1: a Choice Rule must have Next",
    )


@case("FACTS-5.6-wait-without-time-is-invalid")
def _() -> None:
    has_problem(
        one({"Type": "Wait"}),
        "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp or TimestampPath, not none",
    )


@case("FACTS-5.6-wait-with-two-times-is-invalid")
def _() -> None:
    has_problem(one({"Type": "Wait", "Seconds": 5, "TimestampPath": "$.t"}), "not Seconds and TimestampPath")


@case("FACTS-5.6-wait-with-only-timestamp-is-valid")
def _() -> None:
    assert messages(one({"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z"})) == []


@case("FACTS-5.7-fail-with-next-is-invalid")
def _() -> None:
    has_problem(
        machine({"F": {"Type": "Fail", "Next": "S"}, "S": {"Type": "Succeed"}}),
        'state "F": a Fail state must not have Next',
    )


@case("FACTS-5.7-plain-succeed-is-valid")
def _() -> None:
    assert messages(one({"Type": "Succeed"})) == []


@case("FACTS-5.8-non-string-tag-is-invalid")
def _() -> None:
    has_problem({**KITCHEN_SINK, "defaultTags": {"tag1": 1}}, 'defaultTags value for "tag1" must be a string')


@case("FACTS-5.9-start-at-second-state-drops-start-state")
def _() -> None:
    assert list(with_start_at(LINEAR, "second-state")["States"]) == ["second-state", "end-state"]


@case("FACTS-5.9-start-at-end-state-leaves-only-end-state")
def _() -> None:
    assert list(with_start_at(LINEAR, "end-state")["States"]) == ["end-state"]


@case("FACTS-5.9-missing-linked-state-is-an-error")
def _() -> None:
    broken = machine({"start-state": {"Type": "Task", "Resource": "r", "Next": "gone"}})
    with pytest.raises(InvalidDefinition, match='Next names "gone", which does not exist'):
        with_start_at(broken, "start-state")


@case("FACTS-5.9-empty-start-at-is-an-error")
def _() -> None:
    with pytest.raises(BadInput):
        with_start_at(LINEAR, "")
    has_problem({"StartAt": "", "States": LINEAR["States"]}, "StartAt is required")


@case("FACTS-5.9-unchanged-start-at-keeps-every-state")
def _() -> None:
    assert with_start_at(LINEAR, "start-state") == LINEAR


@case("FACTS-5.9-aws-choice-example-is-valid")
def _() -> None:
    assert messages(AWS_CHOICE) == []
    for foo, path in ((1, "FirstMatchState"), (2, "SecondMatchState")):
        run = drive(AWS_CHOICE, {}, {"FirstState": Ok({"foo": foo})})
        assert run.states == ["FirstState", "ChoiceState", path, "NextState"]
    assert drive(AWS_CHOICE, {}, {"FirstState": Ok({"foo": 3})}).final() == Failed(
        "DefaultStateError", "No Matches!"
    )


@case("FACTS-5.9-choice-default-to-missing-state-is-an-error")
def _() -> None:
    broken = json.loads(json.dumps(AWS_CHOICE))
    broken["States"]["ChoiceState"]["Default"] = "NoSuchState"
    has_problem(broken, 'state "ChoiceState": Default names "NoSuchState", which does not exist')


@case("FACTS-5.9-parallel-branch-task-with-end-false-and-no-next-is-an-error")
def _() -> None:
    has_problem(
        one(
            {"Type": "Parallel", "Branches": [branch({"B": {"Type": "Task", "Resource": "r", "End": False}})]}
        ),
        'state "B": needs Next',
    )


@case("FACTS-5.9-map-iterator-next-to-missing-state-is-an-error")
def _() -> None:
    has_problem(
        one({"Type": "Map", "Iterator": branch({"I": {"Type": "Pass", "Next": "nope"}})}),
        'state "I": Next names "nope", which does not exist',
    )


@case("FACTS-5.10-loaded-definition-shares-no-memory")
def _() -> None:
    original = json.loads(json.dumps(KITCHEN_SINK))
    loaded = load(original)
    original["stateMachine"]["States"]["start-state"]["Resource"] = "changed"
    original["defaultTags"]["tag1"] = "changed"
    assert loaded.machine["States"]["start-state"]["Resource"] == "resource-name"
    assert loaded.default_tags["tag1"] == "val1"


# -- start / resume -------------------------------------------------------------------------------


@case("FACTS-5.11-no-input-means-an-empty-object")
def _() -> None:
    assert Execution.start(one({"Type": "Pass"})).advance(T0) == [Finished({})]


def failed_at_second_state() -> Execution:
    return drive(
        LINEAR, {"n": 0}, lambda t: Fail("Boom") if t.state == "second-state" else Ok({"n": t.input["n"] + 1})
    ).execution


@case("FACTS-5.12-resume-uses-last-job-input-when-it-ran-start-at")
def _() -> None:
    failed = failed_at_second_state()
    assert failed.last_job is not None and failed.last_job["state"] == "second-state"
    assert failed.resume_input("second-state") == {"n": 1}
    resumed = drive(with_start_at(failed.machine, "second-state"), failed.resume_input("second-state"))
    assert resumed.states == ["second-state", "end-state"]
    assert resumed.final() == Finished({"n": 1})


@case("FACTS-5.13-resume-searches-the-jobs-for-start-at")
def _() -> None:
    assert failed_at_second_state().resume_input("start-state") == {"n": 0}


@case("FACTS-5.14-resume-fails-without-a-job-or-state")
def _() -> None:
    failed = failed_at_second_state()
    with pytest.raises(BadInput, match='no job ran the state "end-state"'):
        failed.resume_input("end-state")
    with pytest.raises(BadInput, match='"nope" is not a top-level state'):
        with_start_at(failed.machine, "nope")


@case("FACTS-5.16-resume-fails-while-running")
def _() -> None:
    running = Execution.start(LINEAR, {})
    running.advance(T0)
    with pytest.raises(Conflict):
        running.resume_input("start-state")


# -- cancel and job mapping -----------------------------------------------------------------------


@case("FACTS-5.33-cancel-running-keeps-status-until-processed-and-sets-reason")
def _() -> None:
    ex = Execution.start(LINEAR, {})
    ex.advance(T0)
    assert ex.cancel("no longer needed")
    assert ex.status == "running"
    ex.advance(later(1))
    assert (ex.status, ex.status_reason) == ("cancelled", "no longer needed")


@case("FACTS-5.33-cancel-finished-is-refused")
def _() -> None:
    assert not failed_at_second_state().cancel("too late")
    assert not drive(LINEAR, {}).execution.cancel("too late")


@case("FACTS-5.35-entered-state-is-created")
def _() -> None:
    ex = Execution.start(LINEAR, {})
    [task] = ex.advance(T0)
    job = ex.jobs[0]
    assert (job["status"], job["created_at"]) == ("queued", "2024-01-01T00:00:00.000000Z"), (
        "created, then queued at once"
    )
    assert isinstance(task, RunTask)


@case("FACTS-5.35-activity-failure-is-failed-with-last-3-lines-and-last-job")
def _() -> None:
    run = drive(LINEAR, {}, {"start-state": Fail("sfncli.CommandFailed", "a\nb\nc\nd")})
    job = run.execution.jobs[0]
    assert (job["status"], job["status_reason"]) == ("failed", "b\nc\nd\nsfncli.CommandFailed")
    assert run.execution.last_job == job


@case("FACTS-5.35-runtime-internal-error-is-state-resource-does-not-exist")
def _() -> None:
    run = drive(LINEAR, {}, {"start-state": Fail("States.Runtime", "Internal Error")})
    assert run.execution.jobs[0]["status_reason"] == "State resource does not exist"
    assert run.final() == Failed("States.Runtime", "Internal Error")


@case("FACTS-5.35-success-sets-output-stopped-at-and-workflow-output")
def _() -> None:
    run = drive(LINEAR, {"x": 1})
    assert all(j["status"] == "succeeded" and j["stopped_at"] for j in run.execution.jobs)
    assert run.execution.jobs[-1]["output"] == run.execution.output == {"x": 1}
    assert run.execution.last_job is None


@case("FACTS-5.35-abort-is-aborted-by-user-and-workflow-cancelled")
def _() -> None:
    ex = Execution.start(LINEAR, {})
    ex.advance(T0)
    ex.cancel("user said stop")
    ex.advance(later(1))
    assert (ex.jobs[0]["status"], ex.jobs[0]["status_reason"]) == ("aborted_by_user", "user said stop")
    assert (ex.status, ex.status_reason) == ("cancelled", "user said stop")


@case("FACTS-5.35-activity-timeout-is-job-timed-out")
def _() -> None:
    run = drive(LINEAR, {}, {"start-state": Fail("States.Timeout", "no answer")})
    assert run.execution.jobs[0]["status_reason"] == "Job timed out\nStates.Timeout\nno answer"


@case("FACTS-5.35-execution-timeout-is-workflow-timed-out")
def _() -> None:
    ex = Execution.start({**LINEAR, "TimeoutSeconds": 60}, {})
    ex.advance(T0)
    ex.advance(later(61))
    assert (ex.status, ex.status_reason, ex.error) == ("failed", "Workflow timed out", "States.Timeout")
    assert ex.jobs[0]["status_reason"] == "Workflow timed out"


# -- embedded mode validation cases ---------------------------------------------------------------


@case("FACTS-5.38-empty-resource-is-invalid")
def _() -> None:
    has_problem(one({"Type": "Task", "Resource": ""}), "a Task state needs a Resource")


@case("FACTS-5.38-no-choices-is-invalid")
def _() -> None:
    has_problem(one({"Type": "Choice"}), "a Choice state needs Choices")


@case("FACTS-5.38-invalid-wait-is-invalid")
def _() -> None:
    has_problem(one({"Type": "Wait", "Seconds": -5}), "Seconds must be a non-negative integer")


@case("FACTS-5.38-bad-inner-map-is-invalid")
def _() -> None:
    has_problem(
        one({"Type": "Map", "Iterator": branch({"I": {"Type": "Task", "End": True}})}),
        'state "I": a Task state needs a Resource',
    )


@case("FACTS-5.38-invalid-type-is-invalid")
def _() -> None:
    has_problem(one({"Type": "Lambda"}), 'state "S": unknown Type "Lambda"')


@case("FACTS-5.38-missing-next-is-invalid")
def _() -> None:
    has_problem(
        machine({"A": {"Type": "Task", "Resource": "r", "Next": "B"}}),
        'state "A": Next names "B", which does not exist',
    )


@case("FACTS-5.38-no-end-state-is-invalid")
def _() -> None:
    has_problem(
        machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}),
        "no state ends the machine",
    )


@pytest.mark.parametrize("check", CASES)
def test_facts_section_5(check: Callable[[], None]) -> None:
    check()
