"""Store rows <-> ``conveyor.tinkerbell`` records, and the plain dicts the API and CLI show.

Times are stored as epoch seconds (like the rest of the store) and shown as RFC 3339 UTC, as tink's API and
CLI show them. Workflow and action states are shown by their wire names (``STATE_SUCCESS``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from conveyor.store.base import Row
from conveyor.tinkerbell.catalog import TemplateRecord
from conveyor.tinkerbell.ephemeral import rfc3339
from conveyor.tinkerbell.execution import has_ended, next_action, next_deadline, progress, workflow_state
from conveyor.tinkerbell.hardware import Hardware, parse_hardware
from conveyor.tinkerbell.runstate import Event, Work, WorkflowState
from conveyor.tinkerbell.workflow import State, Workflow


def moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def shown(epoch_seconds: float | None) -> str | None:
    return None if epoch_seconds is None else rfc3339(moment(epoch_seconds))


# -- templates ----------------------------------------------------------------------------------
def template_record(row: Row) -> TemplateRecord:
    deleted = row.get("deleted_at")
    return TemplateRecord(
        row["id"],
        row["name"],
        row["data"],
        moment(row["created_at"]),
        moment(row["updated_at"]),
        None if deleted is None else moment(deleted),
    )


def template_row(record: TemplateRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "data": record.data,
        "created_at": epoch(record.created_at),
        "updated_at": epoch(record.updated_at),
        "deleted_at": epoch(record.deleted_at),
    }


def public_template(record: TemplateRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "data": record.data,
        "created_at": rfc3339(record.created_at),
        "updated_at": rfc3339(record.updated_at),
    }


# -- hardware -----------------------------------------------------------------------------------
def hardware_record(row: Row) -> Hardware:
    from dataclasses import replace

    deleted = row.get("deleted_at")
    return replace(
        parse_hardware(row["data"]),
        inserted_at=moment(row["inserted_at"]),
        deleted_at=None if deleted is None else moment(deleted),
    )


def public_hardware(hardware: Hardware) -> dict[str, Any]:
    return {
        "id": hardware.id,
        "interfaces": [{"mac": i.mac, "ip": i.ip, "hostname": i.hostname} for i in hardware.interfaces],
        "ips": list(hardware.ips),
        "data": hardware.document(),
        "inserted_at": None if hardware.inserted_at is None else rfc3339(hardware.inserted_at),
    }


# -- workflows ----------------------------------------------------------------------------------
def state_columns(workflow: Workflow, state: WorkflowState) -> dict[str, Any]:
    """What a workflow row derives from its state: status, whose turn it is, when it next times out."""
    return {
        "state": json.dumps(state.to_dict()),
        "status": int(workflow_state(state)),
        "turn": turn(workflow, state),
        "deadline": epoch(next_deadline(workflow, state)),
    }


def turn(workflow: Workflow, state: WorkflowState) -> str | None:
    """The worker that must act next: the one owing an on-timeout/on-failure command, else the next
    action's; None when nobody has anything left to do."""
    hook = state.hook
    if hook is not None and hook.state in (State.PENDING, State.RUNNING):
        return hook.worker_id
    if has_ended(state):
        return None
    action = next_action(workflow, state)
    return None if action is None else action.worker_id


def public_workflow(workflow: Workflow, state: WorkflowState, row: Row) -> dict[str, Any]:
    return {
        "id": workflow.id,
        "template_id": workflow.template_id,
        "name": workflow.name,
        "hardware": workflow.hardware,
        "state": workflow_state(state).wire,
        "global_timeout": workflow.global_timeout,
        "data": workflow.data,
        "created_at": shown(row["created_at"]),
        "updated_at": shown(row["updated_at"]),
    }


def public_context(state: WorkflowState) -> dict[str, Any]:
    """tink's ``WorkflowContext``, plus the workflow's state and progress as ``workflow state`` shows them."""
    return {
        "workflow_id": state.workflow_id,
        "current_worker": state.current_worker,
        "current_task": state.current_task,
        "current_action": state.current_action,
        "current_action_index": state.current_action_index,
        "current_action_state": state.current_action_state.wire,
        "total_number_of_actions": state.total_number_of_actions,
        "state": workflow_state(state).wire,
        "progress": progress(state),
        # the on-timeout/on-failure command an ended action owes, and how far it got
        "hook": None if state.hook is None else {"kind": state.hook.kind, "state": state.hook.state.wire},
    }


def event_row(event: Event) -> dict[str, Any]:
    return {
        "workflow_id": event.workflow_id,
        "worker_id": event.worker_id,
        "task_name": event.task_name,
        "action_name": event.action_name,
        "seconds": event.seconds,
        "message": event.message,
        "status": int(event.status),
        "created_at": event.created_at.timestamp(),
    }


def event_record(workflow_id: str, row: Row) -> Event:
    return Event(
        workflow_id,
        row["worker_id"],
        row["task_name"],
        row["action_name"],
        int(row["seconds"]),
        row["message"],
        State(row["status"]),
        moment(row["created_at"]),
    )


def public_event(row: Row) -> dict[str, Any]:
    return {
        "worker_id": row["worker_id"],
        "task_name": row["task_name"],
        "action_name": row["action_name"],
        "seconds": int(row["seconds"]),
        "message": row["message"],
        "status": State(row["status"]).wire,
        "created_at": shown(row["created_at"]),
    }


def public_work(work: Work, workflow: Workflow, state: WorkflowState) -> dict[str, Any]:
    """What a worker is handed: the action (or its hook's command), and the workflow's deadline."""
    from conveyor.tinkerbell.execution import global_deadline

    return {
        "workflow_id": work.workflow_id,
        "action": work.action.to_dict(),
        "resume": work.resume,
        "hook": work.hook,
        "command": list(work.command),
        "global_deadline": epoch(global_deadline(workflow, state)),
        "total_number_of_actions": state.total_number_of_actions,
    }
