"""The pure state machine of a running workflow: whose turn it is, what a report changes, when time is up.

Actions run strictly one after another, in the flattened order, each on its own worker (FACTS 2.4). A worker
asks for work (``work_for``), reports ``STATE_RUNNING`` then ``SUCCESS``/``FAILED``/``TIMEOUT`` (``report``);
each accepted report updates the state and makes one event. tink's rules and messages are kept, with the
fixes the issue asks for:

- **hand-off after any action**: after a success, the next action goes to its worker whatever its index
  (tink only handed over after action 0, so a workflow whose second worker takes over later stalled);
- **global_timeout is enforced**: it counts from the first action's start; when it passes (``expire``) the
  action due is marked ``STATE_TIMEOUT`` and the workflow ends. A running action that outlives its own
  timeout (plus a grace for its worker to say so) times out the same way, so a dead worker cannot hold a
  workflow forever;
- **on-timeout / on-failure really run**: an action ending in TIMEOUT or FAILED schedules its command as
  work for the same worker (``Hook``), whoever noticed the end;
- reports are checked: an ended workflow, an action that has not started or not finished, or a worker that
  does not own the action is refused (``Conflict``); an exact repeat of the last report (a retried call) is
  accepted and changes nothing.

``now`` is always passed in; nothing here reads the clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from conveyor.errors import BadInput, Conflict
from conveyor.tinkerbell.runstate import (
    ON_FAILURE,
    ON_TIMEOUT,
    Event,
    Hook,
    Report,
    Transition,
    Work,
    WorkflowState,
)
from conveyor.tinkerbell.workflow import State, Workflow, WorkflowAction

MESSAGE_STARTED = "Started execution"
MESSAGE_SUCCESS = "finished execution successfully"
MESSAGE_ACTION_TIMEOUT = "Action timed out"
#: tink's ``workflow_event.message`` is ``VARCHAR(200)``.
MESSAGE_MAX = 200
#: How long after a running action's own timeout the server times it out itself (its worker should have).
ACTION_GRACE_SECONDS = 30
ENDED = (State.SUCCESS, State.FAILED, State.TIMEOUT)


def workflow_state(state: WorkflowState) -> State:
    """The workflow's state as clients see it (FACTS 2.3); a workflow with no action at all has succeeded."""
    if state.total_number_of_actions == 0:
        return State.SUCCESS
    if state.current_action_state != State.SUCCESS:
        return state.current_action_state
    last = state.current_action_index == state.total_number_of_actions - 1
    return State.SUCCESS if last else State.RUNNING


def has_ended(state: WorkflowState) -> bool:
    return workflow_state(state) in ENDED


def progress(state: WorkflowState) -> str:
    """``workflow state``'s "Workflow Progress": an integer percentage of the actions done."""
    total, index = state.total_number_of_actions, state.current_action_index
    succeeded = state.current_action_state == State.SUCCESS
    if total == 0 or (index == 0 and not succeeded):
        return "0%"
    done = index + 1 if succeeded else index
    return f"{done * 100 // total}%"


def next_index(state: WorkflowState) -> int | None:
    """The action to run next (or running now), None when the workflow has ended."""
    if has_ended(state):
        return None
    if state.current_action == "":
        return 0
    if state.current_action_state == State.SUCCESS:
        return state.current_action_index + 1
    return state.current_action_index


def next_action(workflow: Workflow, state: WorkflowState) -> WorkflowAction | None:
    index = next_index(state)
    return None if index is None else workflow.actions[index]


def work_for(
    workflow: Workflow, state: WorkflowState, worker_id: str, now: datetime | None = None
) -> Work | None:
    """What ``worker_id`` should run now for this workflow, if anything.

    A scheduled hook of its own comes first. Otherwise the next action, if it is the worker's: the first one,
    the one after a success (at any index: the hand-off fix), or the running one again (``resume``). With
    ``now``, nothing is handed out once a timeout is due (call ``expire``).
    """
    hook = state.hook
    if hook is not None and hook.worker_id == worker_id and hook.state in (State.PENDING, State.RUNNING):
        hooked = workflow.actions[hook.action_index]
        return Work(workflow.id, hooked, resume=hook.state == State.RUNNING, hook=hook.kind)
    if now is not None and due(workflow, state, now) is not None:
        return None
    action = next_action(workflow, state)
    if action is None or action.worker_id != worker_id:
        return None
    running = state.current_action_state == State.RUNNING and state.current_action_index == action.index
    return Work(workflow.id, action, resume=running and state.current_action != "")


def report(workflow: Workflow, state: WorkflowState, rep: Report, now: datetime) -> Transition:
    """Apply a worker's report; raises ``BadInput`` (tink's messages) or ``Conflict`` when it cannot apply."""
    if not rep.workflow_id or rep.workflow_id != workflow.id:
        raise BadInput("invalid workflow id")
    if not rep.task_name:
        raise BadInput("invalid task name")
    if not rep.action_name:
        raise BadInput("invalid action name")
    if rep.status == State.PENDING:
        raise BadInput(f"invalid action status: {rep.status.wire}")
    if rep.hook:
        return _hook_report(workflow, state, rep, now)
    expired = expire(workflow, state, now)
    if expired is not None:
        return replace(expired, rejected=f"workflow {workflow.id} has timed out: {expired.events[0].message}")
    started = state.current_action != ""
    if (
        started
        and rep.status == state.current_action_state
        and (rep.task_name, rep.action_name) == (state.current_task, state.current_action)
    ):
        _check_worker(state.current_worker, rep, state.current_action)
        return Transition(state, (), next_action(workflow, state))  # a retried report: already applied
    if has_ended(state):
        raise Conflict(f"workflow {workflow.id} has ended ({workflow_state(state).wire})")
    index = state.current_action_index + (1 if rep.status == State.RUNNING and started else 0)
    if index >= len(workflow.actions):
        raise Conflict(f"workflow {workflow.id} has no action after {state.current_action}")
    action = workflow.actions[index]
    _check_names(action, rep)
    if rep.status == State.RUNNING and started and state.current_action_state != State.SUCCESS:
        raise Conflict(f"action {state.current_action} has not finished ({state.current_action_state.wire})")
    if rep.status != State.RUNNING and state.current_action_state != State.RUNNING:
        raise Conflict(f"action {action.name} has not started")
    _check_worker(action.worker_id, rep, action.name)
    running = rep.status == State.RUNNING
    new = replace(
        state,
        current_worker=action.worker_id,
        current_task=action.task_name,
        current_action=action.name,
        current_action_index=index,
        current_action_state=rep.status,
        started_at=state.started_at or (now if running else None),
        action_started_at=now if running else state.action_started_at,
        hook=_hook(action, rep.status) or state.hook,
    )
    event = _event(
        workflow, rep.worker_id or action.worker_id, action, rep.seconds, rep.message, rep.status, now
    )
    return Transition(new, (event,), next_action(workflow, new))


def global_deadline(workflow: Workflow, state: WorkflowState) -> datetime | None:
    """When the workflow times out: ``global_timeout`` seconds after its first action started (none if not
    started, or if ``global_timeout`` is not positive)."""
    if workflow.global_timeout <= 0 or state.started_at is None:
        return None
    return state.started_at + timedelta(seconds=workflow.global_timeout)


def action_deadline(
    workflow: Workflow, state: WorkflowState, grace: int = ACTION_GRACE_SECONDS
) -> datetime | None:
    """When the server times out the running action itself (its timeout, or an hour, plus ``grace``)."""
    if state.current_action_state != State.RUNNING or state.action_started_at is None:
        return None
    seconds = workflow.actions[state.current_action_index].deadline_seconds + grace
    return state.action_started_at + timedelta(seconds=seconds)


def next_deadline(
    workflow: Workflow, state: WorkflowState, grace: int = ACTION_GRACE_SECONDS
) -> datetime | None:
    """The next moment ``expire`` may have something to do (for a scheduler to wake up at)."""
    if has_ended(state):
        return None
    found = [d for d in (global_deadline(workflow, state), action_deadline(workflow, state, grace)) if d]
    return min(found) if found else None


def due(
    workflow: Workflow, state: WorkflowState, now: datetime, grace: int = ACTION_GRACE_SECONDS
) -> str | None:
    """Why the workflow must time out at ``now`` (the event's message), or None."""
    if has_ended(state):
        return None
    deadline = global_deadline(workflow, state)
    if deadline is not None and now >= deadline:
        return f"Workflow timed out: global_timeout of {workflow.global_timeout} seconds exceeded"
    deadline = action_deadline(workflow, state, grace)
    if deadline is not None and now >= deadline:
        return MESSAGE_ACTION_TIMEOUT
    return None


def expire(
    workflow: Workflow, state: WorkflowState, now: datetime, grace: int = ACTION_GRACE_SECONDS
) -> Transition | None:
    """Time the workflow out if a deadline has passed, else None.

    The action due is marked ``STATE_TIMEOUT``: the running one (whose ``on-timeout`` is then scheduled on
    its worker), or, between actions, the next one (which never started, so it has no hook to run).
    """
    message = due(workflow, state, now, grace)
    if message is None:
        return None
    index = next_index(state)
    assert index is not None  # not ended, so there is an action due
    action = workflow.actions[index]
    running = state.current_action_state == State.RUNNING and state.current_action_index == index
    seconds = (
        int((now - state.action_started_at).total_seconds()) if running and state.action_started_at else 0
    )
    new = replace(
        state,
        current_worker=action.worker_id,
        current_task=action.task_name,
        current_action=action.name,
        current_action_index=index,
        current_action_state=State.TIMEOUT,
        hook=(_hook(action, State.TIMEOUT) if running else None) or state.hook,
    )
    event = _event(workflow, action.worker_id, action, seconds, message, State.TIMEOUT, now)
    return Transition(new, (event,), None)


def started_report(work: Work, worker_id: str) -> Report:
    """The report a worker sends before running ``work`` (unless ``work.resume``)."""
    return Report(
        work.workflow_id,
        worker_id,
        work.action.task_name,
        work.action.name,
        State.RUNNING,
        0,
        MESSAGE_STARTED,
        work.hook,
    )


def finished_report(work: Work, worker_id: str, status: State, seconds: int) -> Report:
    """The report after ``work`` ended: tink's message on success, an empty one on failure or timeout."""
    message = MESSAGE_SUCCESS if status == State.SUCCESS else ""
    return Report(
        work.workflow_id,
        worker_id,
        work.action.task_name,
        work.action.name,
        status,
        seconds,
        message,
        work.hook,
    )


def _hook_report(workflow: Workflow, state: WorkflowState, rep: Report, now: datetime) -> Transition:
    hook = state.hook
    if hook is None or hook.kind != rep.hook:
        raise Conflict(f"no {rep.hook} command is scheduled for workflow {workflow.id}")
    action = workflow.actions[hook.action_index]
    _check_names(action, rep)
    _check_worker(hook.worker_id, rep, f"{action.name} {hook.kind}")
    if rep.status == hook.state:
        return Transition(state, (), None)
    if hook.state in ENDED or (rep.status == State.RUNNING and hook.state != State.PENDING):
        raise Conflict(f"the {hook.kind} command of action {action.name} has ended ({hook.state.wire})")
    new = replace(state, hook=replace(hook, state=rep.status))
    message = f"{hook.kind}: {rep.message}" if rep.message else hook.kind
    event = _event(workflow, rep.worker_id or hook.worker_id, action, rep.seconds, message, rep.status, now)
    return Transition(new, (event,), None)


def _check_names(action: WorkflowAction, rep: Report) -> None:
    if action.task_name != rep.task_name:
        raise BadInput("reported task name does not match the current action details")
    if action.name != rep.action_name:
        raise BadInput("reported action name does not match the current action details")


def _check_worker(owner: str, rep: Report, what: str) -> None:
    if rep.worker_id and rep.worker_id != owner:
        raise Conflict(f"{what} belongs to worker {owner}, not {rep.worker_id}")


def _hook(action: WorkflowAction, status: State) -> Hook | None:
    """The command an action's end schedules, if it has one for that end."""
    if status == State.TIMEOUT and action.on_timeout:
        return Hook(ON_TIMEOUT, action.index, action.worker_id, action.on_timeout)
    if status == State.FAILED and action.on_failure:
        return Hook(ON_FAILURE, action.index, action.worker_id, action.on_failure)
    return None


def _event(
    workflow: Workflow,
    worker_id: str,
    action: WorkflowAction,
    seconds: int,
    message: str,
    status: State,
    now: datetime,
) -> Event:
    return Event(
        workflow.id, worker_id, action.task_name, action.name, seconds, message[:MESSAGE_MAX], status, now
    )
