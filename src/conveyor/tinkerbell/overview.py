"""What a workflow's page shows of each action: its state, how long it ran and its last message.

tink keeps only the current action's state (``WorkflowContext``); the others follow from the strict order
actions run in (FACTS 2.4): every action before the current one succeeded, every one after it has not
started. Durations and messages come from the events workers reported (the last event of each action
wins; its hook's events, ``on-timeout``/``on-failure``, are the hook's and not the action's). Pure: the
service hands in the records and shows what comes back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from conveyor.tinkerbell.runstate import ON_FAILURE, ON_TIMEOUT, Event, WorkflowState
from conveyor.tinkerbell.workflow import State, Workflow, WorkflowAction


@dataclass(frozen=True, slots=True)
class ActionView:
    action: WorkflowAction
    state: State
    #: what its worker reported it took (0 until it ends)
    seconds: int = 0
    message: str = ""
    #: the on-timeout/on-failure command its end scheduled, and how far that got
    hook: str = ""
    hook_state: State | None = None


def action_states(state: WorkflowState) -> list[State]:
    """Every action's state, in order, from the context alone."""
    out = []
    started = state.current_action != ""
    for index in range(state.total_number_of_actions):
        if not started or index > state.current_action_index:
            out.append(State.PENDING)
        elif index < state.current_action_index:
            out.append(State.SUCCESS)
        else:
            out.append(state.current_action_state)
    return out


def _is_hook(event: Event) -> bool:
    return event.message.startswith((ON_TIMEOUT, ON_FAILURE))


def actions(workflow: Workflow, state: WorkflowState, events: Iterable[Event]) -> list[ActionView]:
    """Each action with its state, its last reported duration and message, and its hook if one ran."""
    last: dict[tuple[str, str], Event] = {}
    for event in events:
        if not _is_hook(event):
            last[(event.task_name, event.action_name)] = event
    hook = state.hook
    out = []
    for action, action_state in zip(workflow.actions, action_states(state), strict=True):
        seen = last.get((action.task_name, action.name))
        hooked = hook is not None and hook.action_index == action.index
        out.append(
            ActionView(
                action,
                action_state,
                seen.seconds if seen is not None else 0,
                seen.message if seen is not None else "",
                hook.kind if hook is not None and hooked else "",
                hook.state if hook is not None and hooked else None,
            )
        )
    return out


def tasks(views: list[ActionView]) -> list[tuple[str, str, list[ActionView]]]:
    """(task name, its worker's hardware id, its actions) in template order: actions of one task are
    consecutive in the flattened list."""
    out: list[tuple[str, str, list[ActionView]]] = []
    for view in views:
        if out and out[-1][0] == view.action.task_name and out[-1][1] == view.action.worker_id:
            out[-1][2].append(view)
        else:
            out.append((view.action.task_name, view.action.worker_id, [view]))
    return out
