"""Tinkerbell's worker protocol as service operations: work for a machine (a long poll), action reports,
timeouts, and the ephemeral data actions share; plus the workflow decoding both halves use.

Each public method is one transaction; the rules are ``conveyor.tinkerbell.execution`` and ``ephemeral``.
The server's scheduler loop calls ``tink_expire`` so a workflow whose worker went away still times out.
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any

from conveyor.errors import BadInput, Conflict, NotFound
from conveyor.service.base import ServiceBase
from conveyor.store.base import Row, Tx

if TYPE_CHECKING:  # imported where used: ``conveyor run`` must not pay for them at start-up
    from conveyor.tinkerbell.runstate import Report, Transition, WorkflowState
    from conveyor.tinkerbell.workflow import Workflow


class TinkerbellWorkOps(ServiceBase):
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
        with self.store.read_statement() as tx:  # one statement: on PostgreSQL, no BEGIN and COMMIT
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
