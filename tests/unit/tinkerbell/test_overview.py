"""What a workflow's page shows of each action, from the context and the events alone."""

from __future__ import annotations

import json

from conveyor.tinkerbell import State, WorkflowState, finished_report, report, started_report, work_for
from conveyor.tinkerbell.overview import action_states, actions, tasks
from conveyor.tinkerbell.runstate import Event

from ._helpers import ID_1, ID_2, MAC_1, MAC_2, at, make_workflow, real

DEVICES = json.dumps({"device_1": MAC_1, "device_2": MAC_2})


def test_each_actions_state_duration_message_and_hook() -> None:
    workflow = make_workflow(real("tink__test_data_template_sample_3"), DEVICES)
    state = WorkflowState.initial(workflow)
    assert action_states(state) == [State.PENDING] * 3
    events: list[Event] = []
    for t, status in ((0, State.SUCCESS), (10, State.FAILED)):
        work = work_for(workflow, state, ID_1, at(t))
        assert work is not None
        for rep in (started_report(work, ID_1), finished_report(work, ID_1, status, 4)):
            moved = report(workflow, state, rep, at(t + 4))
            state, events = moved.state, events + list(moved.events)
    assert action_states(state) == [State.SUCCESS, State.FAILED, State.PENDING]
    # the on-failure command's own events are its hook's, not the action's
    hook = work_for(workflow, state, ID_1, at(20))
    assert hook is not None and hook.hook == "on-failure"
    moved = report(workflow, state, started_report(hook, ID_1), at(20))
    state, events = moved.state, events + list(moved.events)

    views = actions(workflow, state, events)
    assert [(v.state, v.seconds, v.message) for v in views] == [
        (State.SUCCESS, 4, "finished execution successfully"),
        (State.FAILED, 4, ""),
        (State.PENDING, 0, ""),
    ]
    assert (views[1].hook, views[1].hook_state) == ("on-failure", State.RUNNING) and views[0].hook == ""
    grouped = tasks(views)
    assert [(name, worker, len(a)) for name, worker, a in grouped] == [
        (views[0].action.task_name, ID_1, 2),
        (views[2].action.task_name, ID_2, 1),
    ]
