"""Reads for the web UI's Tinkerbell pages: a page of workflows (filtered by template and state), and one
workflow whole (its tasks and actions with their states, the machines, the events, the ephemeral data).

Each is one read transaction of a fixed number of statements, whatever the page's length: the list decodes
rows it already has, and a workflow's machines come in one query. What each action's state is follows from
``conveyor.tinkerbell.overview`` (pure); this module only fetches and shapes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from conveyor.errors import BadInput
from conveyor.service.tinkerbell_work import TinkerbellWorkOps
from conveyor.store.base import Row

if TYPE_CHECKING:  # imported where used: ``conveyor run`` must not pay for them at start-up
    from conveyor.tinkerbell.overview import ActionView

#: What the page shows of the latest data at most; the API serves the whole of it (up to 10 MB).
DATA_SHOWN = 64 * 1024
MAX_PAGE = 500


class TinkerbellViewOps(TinkerbellWorkOps):
    def tink_workflows_page(
        self,
        template_id: str | None = None,
        state: str | None = None,
        page_token: str | None = None,
        limit: int = 25,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of live workflows, newest first, each with its state and progress; the next page's
        token (the id of this page's last workflow) when more follow. ``state`` is a wire name
        (``STATE_RUNNING``) or a short one (``running``)."""
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell.workflow import State

        if limit < 1 or limit > MAX_PAGE:
            raise BadInput(f"limit must be between 1 and {MAX_PAGE}")
        status = None
        if state:
            try:
                status = int(State.parse(state))
            except KeyError:
                raise BadInput(f"unknown workflow state {state!r}") from None
        with self.store.read() as tx:
            after = None
            if page_token:
                anchor = tx.tink_workflow(page_token)
                if anchor is None:
                    raise BadInput(f"invalid page token {page_token!r}")
                after = (float(anchor["created_at"]), str(anchor["id"]))
            rows = tx.tink_workflows_page(template_id or None, status, after, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        out = []
        for row in rows:
            workflow, wf_state = self._decode(row)
            out.append(
                {
                    **rec.public_workflow(workflow, wf_state, row),
                    "context": rec.public_context(wf_state),
                    "actions": len(workflow.actions),
                }
            )
        return out, (str(rows[-1]["id"]) if more and rows else None)

    def tink_workflow_view(self, workflow_id: str) -> dict[str, Any]:
        """Everything a workflow's page shows, read at one moment: the workflow and its context, its tasks
        (each with its machine and its actions' states, durations and messages), every event, and the
        ephemeral data's versions with the latest data (its first ``DATA_SHOWN`` bytes)."""
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import overview

        with self.store.read() as tx:
            workflow, state, row = self._workflow(tx, workflow_id)
            events = tx.tink_events(workflow_id)
            machines = {r["id"]: r for r in tx.tink_hardware_by_ids(list(workflow.workers))}
            versions = tx.tink_data_summary(workflow_id)
            latest = tx.tink_data(workflow_id) if versions else None
        views = overview.actions(workflow, state, [rec.event_record(workflow_id, e) for e in events])
        tasks = [
            {
                "name": name,
                "worker_id": worker_id,
                "machine": _machine(machines.get(worker_id)),
                "actions": [_action(v) for v in actions],
            }
            for name, worker_id, actions in overview.tasks(views)
        ]
        data = None if latest is None or latest["data"] is None else bytes(latest["data"])
        return {
            **rec.public_workflow(workflow, state, row),
            "context": rec.public_context(state),
            "started_at": None if state.started_at is None else rec.shown(state.started_at.timestamp()),
            "tasks": tasks,
            "events": [rec.public_event(e) for e in events],
            "data_versions": [
                {
                    "version": int(v["version"]),
                    "metadata": str(v["metadata"]),
                    "created_at": rec.shown(v["created_at"]),
                    "size": None if v["size"] is None else int(v["size"]),
                }
                for v in versions
            ],
            # ``data`` is tink's: the rendered template; the ephemeral data is ``ephemeral``
            "ephemeral": None if data is None else _shown_data(data),
            "ephemeral_truncated": data is not None and len(data) > DATA_SHOWN,
        }


def _machine(row: Row | None) -> dict[str, Any] | None:
    """A task's machine as the page names it: hostnames, MACs and IPs (None: the record is gone)."""
    if row is None:
        return None
    from conveyor.service import tinkerbell_records as rec

    hardware = rec.public_hardware(rec.hardware_record(row))
    interfaces = hardware["interfaces"]
    return {
        "id": hardware["id"],
        "hostnames": [i["hostname"] for i in interfaces if i["hostname"]],
        "macs": [i["mac"] for i in interfaces if i["mac"]],
        "ips": hardware["ips"],
        "deleted": row.get("deleted_at") is not None,
    }


def _action(view: ActionView) -> dict[str, Any]:
    action = view.action
    return {
        "index": action.index,
        "name": action.name,
        "image": action.image,
        "timeout": action.timeout,
        "command": list(action.command),
        "status": view.state.wire,
        "seconds": view.seconds,
        "message": view.message,
        "hook": view.hook,
        "hook_status": None if view.hook_state is None else view.hook_state.wire,
    }


def _shown_data(data: bytes) -> str:
    """The data as text, pretty when it is JSON (as actions write it) and short enough to show whole."""
    text = data[:DATA_SHOWN].decode("utf-8", errors="replace")
    if len(data) <= DATA_SHOWN:
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False, sort_keys=True)
        except ValueError:
            pass
    return text
