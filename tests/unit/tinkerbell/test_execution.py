"""FACTS 2.3-2.5 and the issue's fixes: the workflow state machine, driven the way workers drive it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from conveyor.errors import Conflict
from conveyor.tinkerbell import (
    Report,
    State,
    Transition,
    Work,
    Workflow,
    WorkflowState,
    due,
    expire,
    finished_report,
    next_deadline,
    progress,
    report,
    started_report,
    work_for,
    workflow_state,
)

from ._helpers import ID_1, ID_2, MAC_1, MAC_2, at, dedent, make_workflow, message, real

DEVICES = json.dumps({"device_1": MAC_1, "device_2": MAC_2})


class Run:
    """A workflow and its state, moved by reports as a store would move them (keeping every event)."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self.state = WorkflowState.initial(workflow)
        self.events: list[tuple[str, str, State, str]] = []

    def apply(self, transition: Transition) -> Transition:
        self.state = transition.state
        self.events += [(e.worker_id, e.action_name, e.status, e.message) for e in transition.events]
        return transition

    def work(self, worker: str, t: float = 0) -> Work | None:
        return work_for(self.workflow, self.state, worker, at(t))

    def start(self, worker: str, t: float = 0) -> Work:
        work = self.work(worker, t)
        assert work is not None, f"no work for {worker}"
        self.apply(report(self.workflow, self.state, started_report(work, worker), at(t)))
        return work

    def finish(self, work: Work, worker: str, status: State, t: float) -> Transition:
        return self.apply(
            report(self.workflow, self.state, finished_report(work, worker, status, int(t)), at(t))
        )

    def run(self, worker: str, status: State = State.SUCCESS, t: float = 0, took: float = 1) -> Transition:
        work = self.start(worker, t)
        return self.finish(work, worker, status, t + took)


def sample_3() -> Run:
    return Run(make_workflow(real("tink__test_data_template_sample_3"), DEVICES))


def test_a_workflow_runs_to_success_with_two_events_per_action() -> None:
    run = Run(make_workflow(real("tink__docs_examples_hello-world.tmpl"), DEVICES))
    assert workflow_state(run.state) == State.PENDING and progress(run.state) == "0%"
    assert run.work(ID_2) is None
    work = run.work(ID_1)
    assert work == Work("wf-1", run.workflow.actions[0], resume=False)
    assert work.command == ()
    run.start(ID_1)
    assert workflow_state(run.state) == State.RUNNING
    assert run.work(ID_1) == Work("wf-1", run.workflow.actions[0], resume=True)
    done = run.finish(work, ID_1, State.SUCCESS, 3)
    assert done.next_action is None and done.next_worker is None
    assert workflow_state(run.state) == State.SUCCESS and progress(run.state) == "100%"
    assert run.events == [
        (ID_1, "hello_world", State.RUNNING, "Started execution"),
        (ID_1, "hello_world", State.SUCCESS, "finished execution successfully"),
    ]
    assert run.work(ID_1) is None


def test_hand_off_to_another_worker_after_any_action() -> None:
    """tink only handed over after action 0; here action 1 (index > 0) hands over to the second worker."""
    run = sample_3()
    first = run.run(ID_1, t=0)
    assert first.next_worker == ID_1  # action 1 is the first worker's too
    assert progress(run.state) == "33%"
    second = run.run(ID_1, t=10)
    assert second.next_action == run.workflow.actions[2]
    assert second.next_worker == ID_2
    assert run.work(ID_1) is None
    assert run.work(ID_2) == Work("wf-1", run.workflow.actions[2])
    run.run(ID_2, t=20)
    assert workflow_state(run.state) == State.SUCCESS
    assert [(w, a, s) for w, a, s, _ in run.events] == [
        (ID_1, "update-data", State.RUNNING),
        (ID_1, "update-data", State.SUCCESS),
        (ID_1, "overwrite-data", State.RUNNING),
        (ID_1, "overwrite-data", State.SUCCESS),
        (ID_2, "overwrite-again", State.RUNNING),
        (ID_2, "overwrite-again", State.SUCCESS),
    ]


def test_hand_off_back_to_the_first_worker_later() -> None:
    template = real("tink__test_data_template_sample_3") + dedent(
        """
        - name: "back-to-first"
          worker: "{{.device_1}}"
          actions:
          - name: "last"
            image: bash
        """
    )
    run = Run(make_workflow(template, DEVICES))
    for worker in (ID_1, ID_1, ID_2):
        run.run(worker)
    assert run.work(ID_2) is None
    assert run.work(ID_1) == Work("wf-1", run.workflow.actions[3])
    run.run(ID_1)
    assert workflow_state(run.state) == State.SUCCESS


def test_a_failure_ends_the_workflow_and_runs_on_failure_on_the_same_worker() -> None:
    run = sample_3()
    failed = run.run(ID_1, State.FAILED, took=4)
    assert failed.next_action is None
    assert workflow_state(run.state) == State.FAILED
    assert run.events[-1] == (ID_1, "update-data", State.FAILED, "")
    hook = run.work(ID_1)
    assert hook == Work("wf-1", run.workflow.actions[0], resume=False, hook="on-failure")
    assert hook.command == ("echo", "Failure")
    assert run.work(ID_2) is None
    run.apply(report(run.workflow, run.state, started_report(hook, ID_1), at(5)))
    assert run.work(ID_1) == replace(hook, resume=True)
    run.apply(report(run.workflow, run.state, finished_report(hook, ID_1, State.SUCCESS, 1), at(6)))
    assert run.events[-2:] == [
        (ID_1, "update-data", State.RUNNING, "on-failure: Started execution"),
        (ID_1, "update-data", State.SUCCESS, "on-failure: finished execution successfully"),
    ]
    assert run.work(ID_1) is None
    assert workflow_state(run.state) == State.FAILED  # the hook's outcome changes nothing else
    late = started_report(Work("wf-1", run.workflow.actions[1]), ID_1)
    assert message(lambda: report(run.workflow, run.state, late, at(7)), Conflict) == (
        "workflow wf-1 has ended (STATE_FAILED)"
    )


def test_a_timeout_reported_by_the_worker_runs_on_timeout() -> None:
    run = Run(make_workflow(real("tink__test__vagrant_timeout.tmpl"), DEVICES))
    run.run(ID_1)
    run.run(ID_1, State.TIMEOUT, t=10, took=6)
    assert workflow_state(run.state) == State.TIMEOUT
    hook = run.work(ID_1)
    assert hook is not None and (hook.hook, hook.command) == ("on-timeout", ("echo", "Timeout"))
    run.apply(report(run.workflow, run.state, finished_report(hook, ID_1, State.FAILED, 0), at(17)))
    assert run.events[-1] == (ID_1, "sleep-till-timeout", State.FAILED, "on-timeout")


def test_an_action_without_hooks_schedules_nothing() -> None:
    run = Run(make_workflow(real("tink__docs_examples_hello-world.tmpl"), DEVICES))
    run.run(ID_1, State.FAILED)
    assert run.state.hook is None and run.work(ID_1) is None


def test_global_timeout_is_enforced_from_the_first_start() -> None:
    long_actions = real("tink__test_data_template_sample_3").replace("timeout: 10", "timeout: 5000")
    run = Run(make_workflow(long_actions, DEVICES))  # global_timeout: 600
    assert next_deadline(run.workflow, run.state) is None  # a pending workflow waits for its machine
    assert expire(run.workflow, run.state, at(10_000)) is None
    work = run.start(ID_1, t=100)
    run.finish(work, ID_1, State.SUCCESS, 105)
    run.start(ID_1, t=110)
    assert next_deadline(run.workflow, run.state) == at(700)
    assert expire(run.workflow, run.state, at(699)) is None
    timed_out = expire(run.workflow, run.state, at(700))
    assert timed_out is not None
    run.apply(timed_out)
    assert workflow_state(run.state) == State.TIMEOUT
    assert run.events[-1] == (
        ID_1,
        "overwrite-data",
        State.TIMEOUT,
        "Workflow timed out: global_timeout of 600 seconds exceeded",
    )
    hook = run.work(ID_1, t=701)
    assert hook is not None and hook.hook == "on-timeout"  # the running action's on-timeout still runs
    assert run.work(ID_2, t=701) is None


def test_global_timeout_between_actions_times_out_the_next_one() -> None:
    run = sample_3()
    run.run(ID_1, t=0)
    run.run(ID_1, t=10)
    assert run.work(ID_2, t=599) is not None
    assert run.work(ID_2, t=600) is None  # due: nothing is handed out any more
    transition = expire(run.workflow, run.state, at(600))
    assert transition is not None
    run.apply(transition)
    assert (run.state.current_action, run.state.current_worker, run.state.current_action_state) == (
        "overwrite-again",
        ID_2,
        State.TIMEOUT,
    )
    assert run.state.hook is None  # it never started, so it has no on-timeout to run


def test_a_report_after_the_global_timeout_is_rejected_but_the_timeout_is_recorded() -> None:
    run = sample_3()
    work = run.start(ID_1, t=0)
    late = finished_report(work, ID_1, State.SUCCESS, 601)
    transition = report(run.workflow, run.state, late, at(601))
    assert transition.rejected == (
        "workflow wf-1 has timed out: Workflow timed out: global_timeout of 600 seconds exceeded"
    )
    assert transition.state.current_action_state == State.TIMEOUT
    assert [e.status for e in transition.events] == [State.TIMEOUT]


def test_a_running_action_outliving_its_timeout_is_timed_out_by_the_server() -> None:
    run = Run(make_workflow(real("tink__test__vagrant_timeout.tmpl"), DEVICES))  # timeouts 10 and 6
    run.start(ID_1, t=0)
    assert next_deadline(run.workflow, run.state) == at(40)  # 10 s + the 30 s grace
    assert due(run.workflow, run.state, at(39)) is None
    assert due(run.workflow, run.state, at(40)) == "Action timed out"
    assert due(run.workflow, run.state, at(12), grace=0) == "Action timed out"
    transition = expire(run.workflow, run.state, at(40))
    assert transition is not None and transition.events[0].seconds == 40
    run.apply(transition)
    assert workflow_state(run.state) == State.TIMEOUT
    assert run.state.hook is not None and run.state.hook.kind == "on-timeout"


def test_an_action_without_timeout_gets_an_hour() -> None:
    text = real("tink__cmd_tink-cli_sample.tmpl").replace("    timeout: 60\n", "", 1)
    run = Run(make_workflow(text.replace("global_timeout: 600", "global_timeout: 0"), DEVICES))
    run.start(ID_1, t=0)
    assert run.workflow.actions[0].deadline_seconds == 3600
    assert due(run.workflow, run.state, at(3629)) is None
    assert due(run.workflow, run.state, at(3630)) == "Action timed out"


# --- what a report may say ------------------------------------------------------------------------


def reported(run: Run, **fields: object) -> str:
    base = Report("wf-1", ID_1, "run-first-worker", "update-data", State.RUNNING)
    return message(lambda: report(run.workflow, run.state, replace(base, **fields), at(0)))  # type: ignore[arg-type]


def test_report_field_checks_use_tinks_messages() -> None:
    run = sample_3()
    assert reported(run, workflow_id="") == "invalid workflow id"
    assert reported(run, workflow_id="other") == "invalid workflow id"
    assert reported(run, task_name="") == "invalid task name"
    assert reported(run, action_name="") == "invalid action name"
    assert reported(run, task_name="run-second-worker") == (
        "reported task name does not match the current action details"
    )
    assert reported(run, action_name="overwrite-data") == (
        "reported action name does not match the current action details"
    )
    assert reported(run, status=State.PENDING) == "invalid action status: STATE_PENDING"


def test_report_order_and_ownership_are_checked() -> None:
    run = sample_3()
    assert reported(run, status=State.SUCCESS) == "action update-data has not started"
    assert reported(run, worker_id=ID_2) == f"update-data belongs to worker {ID_1}, not {ID_2}"
    run.start(ID_1)
    assert (
        reported(run, action_name="overwrite-data") == "action update-data has not finished (STATE_RUNNING)"
    )


def test_a_retried_report_changes_nothing() -> None:
    run = sample_3()
    work = run.start(ID_1)
    again = report(run.workflow, run.state, started_report(work, ID_1), at(1))
    assert again.state == run.state and again.events == ()
    run.finish(work, ID_1, State.SUCCESS, 2)
    again = report(run.workflow, run.state, finished_report(work, ID_1, State.SUCCESS, 2), at(3))
    assert again.events == () and again.next_worker == ID_1
    stranger = finished_report(work, ID_2, State.SUCCESS, 2)
    assert message(lambda: report(run.workflow, run.state, stranger, at(3)), Conflict) == (
        f"update-data belongs to worker {ID_1}, not {ID_2}"
    )


def test_a_hook_report_needs_a_scheduled_hook() -> None:
    run = sample_3()
    hook_report = Report("wf-1", ID_1, "run-first-worker", "update-data", State.SUCCESS, hook="on-failure")
    assert message(lambda: report(run.workflow, run.state, hook_report, at(0)), Conflict) == (
        "no on-failure command is scheduled for workflow wf-1"
    )
    run.run(ID_1, State.FAILED)
    assert message(lambda: report(run.workflow, run.state, replace(hook_report, worker_id=ID_2), at(2))) == (
        f"update-data on-failure belongs to worker {ID_1}, not {ID_2}"
    )
    run.apply(report(run.workflow, run.state, hook_report, at(2)))
    with pytest.raises(Conflict):
        report(run.workflow, run.state, replace(hook_report, status=State.RUNNING), at(3))


def test_long_messages_are_cut_to_200_characters() -> None:
    run = sample_3()
    long = Report("wf-1", ID_1, "run-first-worker", "update-data", State.RUNNING, 0, "m" * 300)
    assert run.apply(report(run.workflow, run.state, long, at(0))).events[0].message == "m" * 200


# --- workflow state and progress as clients see them (FACTS 2.3, 2.4) ---------------------------------


@pytest.mark.parametrize(
    ("action_state", "index", "total", "expected", "percent"),
    [
        (State.SUCCESS, 0, 2, State.RUNNING, "50%"),  # tink's GetWorkflowState test
        (State.SUCCESS, 0, 1, State.SUCCESS, "100%"),  # tink's SuccessGettingWorkflow test
        (State.PENDING, 0, 3, State.PENDING, "0%"),
        (State.RUNNING, 0, 3, State.RUNNING, "0%"),
        (State.RUNNING, 2, 3, State.RUNNING, "66%"),
        (State.FAILED, 1, 4, State.FAILED, "25%"),
        (State.TIMEOUT, 1, 2, State.TIMEOUT, "50%"),
        (State.PENDING, 0, 0, State.SUCCESS, "0%"),
    ],
)
def test_workflow_state_and_progress(
    action_state: State, index: int, total: int, expected: State, percent: str
) -> None:
    state = WorkflowState(
        "wf", total, current_action="a", current_action_index=index, current_action_state=action_state
    )
    assert workflow_state(state) == expected
    assert progress(state) == percent


def test_a_workflow_without_actions_has_nothing_to_hand_out() -> None:
    template = 'version: "0.1"\nname: x\ntasks:\n  - name: t\n    worker: "{{.device_1}}"\n    actions: []\n'
    workflow = make_workflow(template, DEVICES)
    state = WorkflowState.initial(workflow)
    assert workflow.actions == () and workflow_state(state) == State.SUCCESS
    assert work_for(workflow, state, ID_1) is None
