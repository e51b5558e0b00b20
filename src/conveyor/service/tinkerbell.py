"""Tinkerbell's templates, hardware and machine-bound workflows, as service operations.

Each public method is one transaction. The rules are ``conveyor.tinkerbell``'s (pure); this module fetches
the few rows they need through indexed lookups, hands them over as records, and stores what comes back.
Workers call the ``tink_work`` / ``tink_report`` / ``tink_push_data`` trio; the server's scheduler loop
calls ``tink_expire`` so a workflow whose worker went away still times out (``global_timeout``, or an
action outliving its timeout).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from conveyor.errors import BadInput, Conflict, NotFound
from conveyor.service.base import ServiceBase
from conveyor.store.base import Row, Tx

if TYPE_CHECKING:  # imported where used: ``conveyor run`` must not pay for them at start-up
    from conveyor.tinkerbell.catalog import TemplateRecord
    from conveyor.tinkerbell.hardware import Hardware
    from conveyor.tinkerbell.runstate import Report, Transition, WorkflowState
    from conveyor.tinkerbell.workflow import Workflow

_UUID_CHARS = set("0123456789abcdefABCDEF-{}")


def _looks_like_uuid(text: str) -> bool:
    return len(text.strip("{}").replace("-", "")) == 32 and set(text) <= _UUID_CHARS


class TinkerbellOps(ServiceBase):
    # -- templates ------------------------------------------------------------------------------
    def tink_create_template(self, text: str | bytes) -> dict[str, Any]:
        """Validate and store a template, named by its YAML ``name`` (a live name must be free)."""
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import catalog

        now = rec.moment(self._now())
        with self._transaction() as tx:
            record, _ = catalog.create_template(text, [], str(uuid.uuid4()), now)
            catalog.check_name_free(record.name, self._templates_named(tx, record.name))
            tx.tink_insert_template(rec.template_row(record))
        return rec.public_template(record)

    def tink_template(self, ref: str) -> dict[str, Any]:
        """A live template by id or, failing that, by name."""
        from conveyor.service import tinkerbell_records as rec

        with self.store.read() as tx:
            return rec.public_template(self._template(tx, ref))

    def tink_templates(self, name_filter: str | None = None) -> list[dict[str, Any]]:
        """Live templates whose name matches ``name_filter`` (``*`` wildcards, any case), oldest first."""
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import catalog

        with self.store.read() as tx:
            rows = tx.tink_templates(catalog.like_pattern(name_filter))
        return [rec.public_template(rec.template_record(r)) for r in rows]

    def tink_update_template(
        self, ref: str, data: str | bytes | None = None, name: str | None = None
    ) -> dict[str, Any]:
        """A new text and/or name for a live template; the text is validated, the name must be free."""
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import catalog

        now = rec.moment(self._now())
        with self._transaction() as tx:
            current = self._template(tx, ref)
            others = self._templates_named(tx, name) if name else []
            record = catalog.update_template(current.id, [current, *others], now, data=data, name=name)
            row = rec.template_row(record) | {"deleted_at": None}
            row.pop("created_at")
            tx.tink_update_template(row)
        return rec.public_template(record)

    def tink_delete_template(self, ref: str) -> dict[str, Any]:
        """Soft delete: the template is gone for new workflows, and its name is free again."""
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import catalog

        now = rec.moment(self._now())
        with self._transaction() as tx:
            current = self._template(tx, ref)
            record = catalog.delete_template(current.id, [current], now)
            row = rec.template_row(record) | {"deleted_at": rec.epoch(record.deleted_at)}
            row.pop("created_at")
            tx.tink_update_template(row)
        return rec.public_template(record)

    def _template(self, tx: Tx, ref: str) -> TemplateRecord:
        from conveyor.service import tinkerbell_records as rec

        row = tx.tink_template(template_id=ref) or tx.tink_template(name=ref)
        if row is None:
            raise NotFound(f"not found, id:{ref}")
        return rec.template_record(row)

    def _templates_named(self, tx: Tx, name: str) -> list[TemplateRecord]:
        from conveyor.service import tinkerbell_records as rec

        row = tx.tink_template(name=name)
        return [] if row is None else [rec.template_record(row)]

    # -- hardware -------------------------------------------------------------------------------
    def tink_push_hardware(self, text: str | bytes) -> dict[str, Any]:
        """Store a hardware document (MACs lower-cased); refuses a MAC another live record has."""
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import hardware as hw

        now = self._now()
        parsed = hw.parse_hardware(text)
        with self._transaction() as tx:
            rivals = self._hardware_with(tx, (("mac", m) for m in parsed.macs))
            pushed = hw.push(parsed, rivals, rec.moment(now))
            tx.tink_put_hardware(pushed.id, pushed.data, pushed.macs, pushed.ips, now)
        return rec.public_hardware(pushed)

    def tink_hardware(self, hardware_id: str) -> dict[str, Any]:
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import hardware as hw

        with self.store.read() as tx:
            rows = [r for r in (tx.tink_hardware(hw.canonical_uuid(hardware_id)),) if r is not None]
            return rec.public_hardware(hw.by_id([rec.hardware_record(r) for r in rows], hardware_id))

    def tink_hardware_by_mac(self, mac: str) -> dict[str, Any]:
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import hardware as hw

        with self.store.read() as tx:
            records = self._hardware_with(tx, [("mac", mac.lower())])
        return rec.public_hardware(hw.by_mac(records, mac))

    def tink_hardware_by_ip(self, ip: str) -> dict[str, Any]:
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import hardware as hw

        with self.store.read() as tx:
            records = self._hardware_with(tx, [("ip", ip)])
        return rec.public_hardware(hw.by_ip(records, ip))

    def tink_hardware_list(self) -> list[dict[str, Any]]:
        from conveyor.service import tinkerbell_records as rec

        with self.store.read() as tx:
            rows = tx.tink_hardware_all()
        return [rec.public_hardware(rec.hardware_record(r)) for r in rows]

    def tink_delete_hardware(self, hardware_id: str) -> dict[str, Any]:
        """Soft delete: existing workflows keep their machine; new ones can no longer name it."""
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import hardware as hw

        now = self._now()
        with self._transaction() as tx:
            rows = [r for r in (tx.tink_hardware(hw.canonical_uuid(hardware_id)),) if r is not None]
            deleted = hw.delete(hardware_id, [rec.hardware_record(r) for r in rows], rec.moment(now))
            tx.tink_delete_hardware(deleted.id, now)
        return rec.public_hardware(deleted)

    def _hardware_with(self, tx: Tx, addresses: Iterable[tuple[str, str]]) -> list[Hardware]:
        """The live records answering to any of these (kind, address) pairs, each once."""
        from conveyor.service import tinkerbell_records as rec

        found: dict[str, Row] = {}
        for kind, address in addresses:
            for row in tx.tink_hardware_by_address(kind, address):
                found.setdefault(row["id"], row)
        return [rec.hardware_record(r) for r in found.values()]

    # -- workflows ------------------------------------------------------------------------------
    def tink_create_workflow(self, template: str, hardware: str | bytes) -> dict[str, Any]:
        """Render a live template (by id or name) for the machines in ``hardware`` (a JSON object such as
        ``{"device_1": "08:00:27:00:00:01"}``) and store the immutable workflow."""
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import catalog
        from conveyor.tinkerbell.render import render_template
        from conveyor.tinkerbell.runstate import WorkflowState
        from conveyor.tinkerbell.workflow import create_workflow

        now = self._now()
        with self._transaction() as tx:
            row = tx.tink_template(template_id=template)
            if row is None and not _looks_like_uuid(template):
                row = tx.tink_template(name=template)
            template_id = row["id"] if row is not None else template
            records = [] if row is None else [rec.template_record(row)]
            record = catalog.template_for_workflow(records, template_id)
            # render once to learn the machines' addresses, so only their records are fetched
            rendered = render_template(record.data, hardware, template_id)
            addresses = [_address(task.worker) for task in rendered.template.tasks]
            candidates = self._hardware_with(tx, (a for a in addresses if a is not None))
            workflow = create_workflow(
                workflow_id=str(uuid.uuid4()),
                template_id=template_id,
                template_text=record.data,
                hardware=hardware,
                records=candidates,
                now=rec.moment(now),
            )
            state = WorkflowState.initial(workflow)
            tx.tink_insert_workflow(
                {
                    "id": workflow.id,
                    "template_id": template_id,
                    "hardware": workflow.hardware,
                    "definition": json.dumps(workflow.to_dict()),
                    "now": now,
                    **rec.state_columns(workflow, state),
                },
                workflow.workers,
            )
        self._tink_cache()[workflow.id] = workflow
        self._tink_changes().bump()
        return rec.public_workflow(workflow, state, {"created_at": now, "updated_at": now})

    def tink_workflow(self, workflow_id: str) -> dict[str, Any]:
        from conveyor.service import tinkerbell_records as rec

        with self.store.read() as tx:
            workflow, state, row = self._workflow(tx, workflow_id)
        return rec.public_workflow(workflow, state, row)

    def tink_workflows(self) -> list[dict[str, Any]]:
        from conveyor.service import tinkerbell_records as rec

        with self.store.read() as tx:
            rows = tx.tink_workflows()
        return [rec.public_workflow(*self._decode(r), r) for r in rows]

    def tink_delete_workflow(self, workflow_id: str) -> dict[str, Any]:
        """Soft delete (whatever its state, as tink did): no worker is handed it again."""
        from conveyor.service import tinkerbell_records as rec

        now = self._now()
        with self._transaction() as tx:
            row = tx.tink_workflow(workflow_id, lock=True)
            if row is None:
                raise NotFound(f"not found, id:{workflow_id}")
            tx.tink_delete_workflow(workflow_id, now)
        return rec.public_workflow(*self._decode(row), row)

    def tink_workflow_state(self, workflow_id: str) -> dict[str, Any]:
        """tink's ``WorkflowContext`` with the state and progress ``workflow state`` prints."""
        from conveyor.service import tinkerbell_records as rec

        with self.store.read() as tx:
            _, state, _ = self._workflow(tx, workflow_id)
        return rec.public_context(state)

    def tink_workflow_actions(self, workflow_id: str) -> list[dict[str, Any]]:
        with self.store.read() as tx:
            workflow, _, _ = self._workflow(tx, workflow_id)
        return [a.to_dict() for a in workflow.actions]

    def tink_workflow_events(self, workflow_id: str) -> list[dict[str, Any]]:
        """Every event, oldest first: worker, task, action, seconds, message, status."""
        from conveyor.service import tinkerbell_records as rec

        with self.store.read() as tx:
            self._workflow(tx, workflow_id)
            return [rec.public_event(r) for r in tx.tink_events(workflow_id)]

    def _workflow(self, tx: Tx, workflow_id: str, lock: bool = False) -> tuple[Workflow, WorkflowState, Row]:
        row = tx.tink_workflow(workflow_id, lock=lock)
        if row is None:
            raise NotFound(f"Workflow with id {workflow_id} does not exist")
        workflow, state = self._decode(row)
        return workflow, state, row

    def _decode(self, row: Row) -> tuple[Workflow, WorkflowState]:
        from conveyor.tinkerbell.runstate import WorkflowState
        from conveyor.tinkerbell.workflow import Workflow

        cache = self._tink_cache()
        workflow = cache.get(row["id"])
        if workflow is None:  # immutable once made, so one decode per process suffices
            workflow = Workflow.from_dict(json.loads(row["definition"]))
            cache[row["id"]] = workflow
        return workflow, WorkflowState.from_dict(json.loads(row["state"]))

    def _tink_cache(self) -> dict[str, Workflow]:
        cache: dict[str, Workflow] = self.__dict__.setdefault("_tink_workflow_cache", {})
        if len(cache) > 10_000:
            cache.clear()
        return cache

    # -- workers --------------------------------------------------------------------------------
    def tink_work(self, worker_id: str, wait: float = 0.0) -> list[dict[str, Any]]:
        """What this worker (a hardware id) must run now: for each workflow whose turn is its own, the next
        action, or an on-timeout/on-failure command owed. Workflows past a deadline are timed out first.

        With ``wait``, an idle worker's call waits up to that many seconds for work (a long poll): it
        wakes as soon as a workflow is made or a report hands one over in this process, and looks again
        every second for what other replicas did."""
        deadline = time.monotonic() + wait
        while True:
            generation = self._tink_changes().generation
            found = self._tink_work_now(worker_id)
            remaining = deadline - time.monotonic()
            if found or remaining <= 0 or self.closing.is_set():
                return found
            self._tink_changes().wait_after(generation, min(remaining, 1.0))

    def _tink_work_now(self, worker_id: str) -> list[dict[str, Any]]:
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import execution

        now = self._now()
        if self._tink_due(now):
            self.tink_expire()
        out = []
        with self.store.read() as tx:
            for row in tx.tink_workflows_turn(worker_id):
                workflow, state = self._decode(row)
                work = execution.work_for(workflow, state, worker_id, rec.moment(now))
                if work is not None:
                    out.append(rec.public_work(work, workflow, state))
        return out

    def _tink_changes(self) -> _Changes:
        changes: _Changes = self.__dict__.setdefault("_tink_changes_signal", _Changes())
        return changes

    def tink_contexts(self, worker_id: str) -> list[dict[str, Any]]:
        """Every live workflow with an action on this worker, unfiltered (``GetWorkflowContextList``)."""
        from conveyor.service import tinkerbell_records as rec

        with self.store.read() as tx:
            rows = tx.tink_workflows_of_worker(worker_id)
        return [rec.public_context(self._decode(r)[1]) for r in rows]

    def tink_report(self, report: Report) -> dict[str, Any]:
        """Apply a worker's report; answers with the new context and the reporter's next work, if any.

        A report that arrives after the workflow timed out is refused (``Conflict``), but the timeout it
        revealed is stored first.
        """
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import execution

        now = self._now()
        with self._transaction() as tx:
            workflow, state, _ = self._workflow(tx, report.workflow_id, lock=True)
            transition = execution.report(workflow, state, report, rec.moment(now))
            self._store_transition(tx, workflow, transition, now)
        self._tink_changes().bump()
        if transition.rejected:
            raise Conflict(transition.rejected)
        work = execution.work_for(workflow, transition.state, report.worker_id, rec.moment(now))
        return {
            "context": rec.public_context(transition.state),
            "global_deadline": rec.epoch(execution.global_deadline(workflow, transition.state)),
            "work": None if work is None else rec.public_work(work, workflow, transition.state),
        }

    def tink_expire(self, limit: int = 100) -> int:
        """Time out the workflows whose deadline has passed; how many were."""
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import execution

        now = self._now()
        if not self._tink_due(now):
            return 0
        count = 0
        with self._transaction() as tx:
            for row in tx.tink_workflows_due(now, limit):
                workflow, state = self._decode(row)
                transition = execution.expire(workflow, state, rec.moment(now))
                if transition is not None:
                    self._store_transition(tx, workflow, transition, now)
                    count += 1
        if count:
            self._tink_changes().bump()
        return count

    def _tink_due(self, now: float) -> bool:
        with self.store.read() as tx:
            return bool(tx.tink_workflows_due(now, 1))

    def _store_transition(self, tx: Tx, workflow: Workflow, transition: Transition, now: float) -> None:
        from conveyor.service import tinkerbell_records as rec

        columns = rec.state_columns(workflow, transition.state)
        tx.tink_set_workflow_state(
            workflow.id, columns["state"], columns["status"], columns["turn"], columns["deadline"], now
        )
        tx.tink_insert_events([rec.event_row(e) for e in transition.events])

    # -- ephemeral data -------------------------------------------------------------------------
    def tink_data(self, workflow_id: str, version: int = 0, metadata: bool = False) -> bytes:
        """A version's data or metadata (0: the latest); empty when there is none (tink's rule)."""
        if version < 0:
            raise BadInput(f"a data version is 1 or more (0: the latest), not {version}")
        with self.store.read() as tx:
            self._workflow(tx, workflow_id)
            row = tx.tink_data(workflow_id, version)
        if row is None:
            return b""
        if metadata:
            return str(row["metadata"]).encode("utf-8")
        return b"" if row["data"] is None else bytes(row["data"])

    def tink_data_version(self, workflow_id: str) -> int:
        """How many versions the workflow's data has (0 for none)."""
        with self.store.read() as tx:
            self._workflow(tx, workflow_id)
            return len(tx.tink_data_versions(workflow_id))

    def tink_pull_data(self, workflow_id: str) -> bytes:
        """The latest data, as a worker pulls it before an action (empty when there is none yet)."""
        return self.tink_data(workflow_id)

    def tink_push_data(self, workflow_id: str, metadata: bytes, data: bytes) -> int:
        """Store a new version of the workflow's data; the oldest beyond the kept ones lose their data."""
        from conveyor.tinkerbell import ephemeral

        now = self._now()
        with self._transaction() as tx:
            self._workflow(tx, workflow_id, lock=True)
            versions = [
                ephemeral.DataVersion(workflow_id, r["version"], str(r["metadata"]).encode(), None)
                for r in tx.tink_data_versions(workflow_id)
            ]
            new, drop = ephemeral.append_version(
                versions,
                workflow_id,
                metadata,
                data,
                keep=self.settings.tink_data_versions,
                max_bytes=self.settings.tink_data_limit,
            )
            tx.tink_insert_data(workflow_id, new.version, metadata.decode("utf-8"), data, drop, now)
        return new.version

    def tink_note(self, workflow_id: str, worker_id: str, message: str) -> None:
        """An event about the current action that changes nothing else: a worker saying why it did not
        push the data an action wrote (too large, or not a JSON object)."""
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import execution
        from conveyor.tinkerbell.runstate import Event

        now = self._now()
        with self._transaction() as tx:
            workflow, state, _ = self._workflow(tx, workflow_id, lock=True)
            index = min(state.current_action_index, max(len(workflow.actions) - 1, 0))
            if not workflow.actions:
                raise Conflict(f"workflow {workflow_id} has no action")
            action = workflow.actions[index]
            if worker_id and worker_id != action.worker_id:
                raise Conflict(f"{action.name} belongs to worker {action.worker_id}, not {worker_id}")
            event = Event(
                workflow_id,
                worker_id or action.worker_id,
                action.task_name,
                action.name,
                0,
                message[: execution.MESSAGE_MAX],
                state.current_action_state,
                rec.moment(now),
            )
            tx.tink_insert_events([rec.event_row(event)])


class _Changes:
    """A generation counter bumped after each commit that may hand work to a worker; long polls wait on it."""

    def __init__(self) -> None:
        self.generation = 0
        self._cond = threading.Condition()

    def bump(self) -> None:
        with self._cond:
            self.generation += 1
            self._cond.notify_all()

    def wait_after(self, generation: int, timeout: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self.generation != generation, timeout)


def _address(worker: str) -> tuple[str, str] | None:
    """A task's rendered ``worker`` as the (kind, address) its hardware is indexed under."""
    from conveyor.tinkerbell import hardware as hw

    mac = hw.parse_mac(worker)
    if mac is not None:
        return ("mac", mac)
    return ("ip", worker) if hw.is_ipv4(worker) else None
