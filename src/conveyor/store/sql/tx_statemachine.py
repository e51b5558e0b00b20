"""Store operations for state-machine workflows (definitions, workflows, timers, state resources) and for
tasks: units of work that are not a pipeline's runs but run on the same workers (a Task state's command)."""

from __future__ import annotations

from typing import Any

from conveyor.store.base import Row
from conveyor.store.sql.txbase import TxBase, _dumps

_FAR = 2.0**62


class StateMachineTx(TxBase):
    # -- definitions ------------------------------------------------------------------------------
    def sm_insert_definition(
        self,
        uid: str,
        name: str,
        version: int,
        manager: str,
        state_machine: dict[str, Any],
        default_tags: dict[str, str],
        now: float,
    ) -> int:
        return int(
            self._val(
                "sm_insert_definition",
                uid=uid,
                name=name,
                version=version,
                manager=manager,
                state_machine=_dumps(state_machine),
                default_tags=_dumps(default_tags),
                now=now,
            )
        )

    def sm_definition(self, name: str, version: int) -> Row | None:
        return self._one("sm_definition", name=name, version=version)

    def sm_definition_by_id(self, definition_id: int) -> Row | None:
        return self._one("sm_definition_by_id", id=definition_id)

    def sm_latest_definition(self, name: str) -> Row | None:
        return self._one("sm_latest_definition", name=name)

    def sm_definition_versions(self, name: str) -> list[Row]:
        return self._all("sm_definition_versions", name=name)

    def sm_latest_definitions(self) -> list[Row]:
        return self._all("sm_latest_definitions")

    # -- workflows --------------------------------------------------------------------------------
    def sm_insert_workflow(
        self,
        uid: str,
        definition: Row,
        status: str,
        namespace: str,
        queue: str,
        input_text: str,
        tags: dict[str, str],
        retry_for: str,
        start_at: str | None,
        execution: str,
        now: float,
    ) -> int:
        return int(
            self._val(
                "sm_insert_workflow",
                uid=uid,
                definition_id=definition["id"],
                definition_name=definition["name"],
                status=status,
                namespace=namespace,
                queue=queue,
                input=input_text,
                tags=_dumps(tags),
                retry_for=retry_for,
                start_at=start_at,
                execution=execution,
                now=now,
            )
        )

    def sm_workflow(self, uid: str) -> Row | None:
        return self._one("sm_workflow", uid=uid)

    def sm_lock_workflow(self, workflow_id: int) -> Row | None:
        """The workflow, locked until the transaction ends (PostgreSQL; SQLite's write lock is global)."""
        return self._one("sm_workflow_for_update", id=workflow_id)

    def sm_save_workflow(self, workflow_id: int, now: float, **fields: Any) -> int:
        """Save the execution and what it says; returns the row's new revision."""
        return int(
            self._val(
                "sm_save_workflow",
                id=workflow_id,
                now=now,
                status=fields["status"],
                status_reason=fields["status_reason"],
                output=fields["output"],
                error=fields["error"],
                cause=fields["cause"],
                execution=fields["execution"],
                stopped_at=fields["stopped_at"],
                resolved_by_user=int(fields["resolved_by_user"]),
            )
        )

    def sm_set_dirty(self, workflow_id: int) -> None:
        self._all("sm_set_dirty", id=workflow_id)

    def sm_dirty_workflows(self, limit: int = 100) -> list[int]:
        return [r["id"] for r in self._all("sm_dirty_workflows", limit=limit)]

    def sm_has_queued_tasks(self, workflow_id: int) -> bool:
        return self._one("sm_has_queued_tasks", workflow_id=workflow_id) is not None

    def sm_set_cancel(self, workflow_id: int, reason: str, now: float) -> None:
        self._all("sm_set_cancel", id=workflow_id, reason=reason, now=now)

    def sm_set_resolved(self, workflow_id: int, now: float) -> None:
        self._all("sm_set_resolved", id=workflow_id, now=now)

    def sm_set_retries(self, workflow_id: int, retries: list[str], now: float) -> None:
        self._all("sm_set_retries", id=workflow_id, retries=_dumps(retries), now=now)

    def sm_workflows_page(
        self,
        name: str,
        status: str | None,
        resolved: bool | None,
        oldest_first: bool,
        after: tuple[float, int] | None,
        limit: int,
    ) -> list[Row]:
        """One page of a definition's workflows, newest (or oldest) first, after the keyset ``after``."""
        if after is None:
            after = (-_FAR, 0) if oldest_first else (_FAR, 2**62)
        return self._all(
            "sm_workflows_page_oldest" if oldest_first else "sm_workflows_page",
            name=name,
            status=status,
            resolved=None if resolved is None else int(resolved),
            at=after[0],
            id=after[1],
            limit=limit,
        )

    def sm_workflows_page_all(
        self, status: str | None, after: tuple[float, int] | None, limit: int
    ) -> list[Row]:
        """One page of every definition's workflows, newest first, after the keyset ``after``."""
        at, last = after if after is not None else (_FAR, 2**62)
        return self._all("sm_workflows_page_all", status=status, at=at, id=last, limit=limit)

    def sm_definitions_by_ids(self, ids: list[int]) -> list[Row]:
        """The definitions a page of workflows belongs to, in one query."""
        return self._all("sm_definitions_by_ids", ids=self._ids(ids)) if ids else []

    def sm_active_workflows(self) -> list[int]:
        return [r["id"] for r in self._all("sm_active_workflows")]

    # -- timers -----------------------------------------------------------------------------------
    def sm_insert_timer(self, workflow_id: int, token: str, at: float) -> None:
        self._all("sm_insert_timer", workflow_id=workflow_id, token=token, at=at)

    def sm_delete_timer(self, workflow_id: int, token: str) -> None:
        self._all("sm_delete_timer", workflow_id=workflow_id, token=token)

    def sm_delete_timers(self, workflow_id: int) -> None:
        self._all("sm_delete_timers", workflow_id=workflow_id)

    def sm_due_timers(self, now: float, limit: int = 100) -> list[Row]:
        return self._all("sm_due_timers", now=now, limit=limit)

    def sm_next_timer(self, workflow_id: int | None = None) -> float | None:
        if workflow_id is None:
            value = self._val("sm_next_timer")
        else:
            value = self._val("sm_next_timer_of", workflow_id=workflow_id)
        return None if value is None else float(value)

    # -- state resources --------------------------------------------------------------------------
    def sm_put_state_resource(
        self, namespace: str, name: str, uri: str, type_: str, runs_on: str, now: float
    ) -> None:
        self._all(
            "sm_put_state_resource",
            namespace=namespace,
            name=name,
            uri=uri,
            type=type_,
            runs_on=runs_on,
            now=now,
        )

    def sm_state_resource(self, namespace: str, name: str) -> Row | None:
        return self._one("sm_state_resource", namespace=namespace, name=name)

    def sm_delete_state_resource(self, namespace: str, name: str) -> bool:
        found = self.sm_state_resource(namespace, name) is not None
        self._all("sm_delete_state_resource", namespace=namespace, name=name)
        return found

    # -- tasks ------------------------------------------------------------------------------------
    def insert_task(
        self,
        kind: str,
        workflow_id: int,
        token: str,
        label: str,
        runs_on: str,
        spec: dict[str, Any],
        now: float,
        status: str = "queued",
    ) -> int | None:
        """A task (queued for workers, or ``waiting`` for something else, such as a job's run); None
        when the workflow already has one for ``token`` (a re-issued effect)."""
        value = self._val(
            "task_insert",
            status=status,
            kind=kind,
            workflow_id=workflow_id,
            token=token,
            label=label,
            runs_on=runs_on,
            spec=_dumps(spec),
            now=now,
        )
        return None if value is None else int(value)

    def task(self, task_id: int) -> Row | None:
        return self._one("task", id=task_id)

    def task_by_token(self, workflow_id: int, token: str) -> Row | None:
        return self._one("task_by_token", workflow_id=workflow_id, token=token)

    def queued_tasks(
        self, limit: int, accepted: list[str] | None, workflow_id: int | None = None
    ) -> list[Row]:
        if workflow_id is not None:
            return self._all("tasks_queued_of_workflow", limit=limit, workflow_id=workflow_id)
        if accepted is None:
            return self._all("tasks_queued", limit=limit)
        param: Any = accepted if self._conn.dialect == "postgres" else _dumps(accepted)
        return self._all("tasks_queued_on", limit=limit, accepted=param)

    def start_task(self, task_id: int, worker_id: int, now: float, lease: float) -> None:
        self._all("task_start", id=task_id, worker_id=worker_id, now=now, lease=lease)

    def finish_task(self, task_id: int, status: str, result: dict[str, Any], now: float) -> None:
        self._all("task_finish", id=task_id, status=status, result=_dumps(result), now=now)

    def append_task_log(self, task_id: int, data: bytes, now: float) -> None:
        self._all("task_log_append", task_id=task_id, data=data, now=now)

    def task_log(self, task_id: int) -> bytes:
        return b"".join(bytes(r["data"]) for r in self._all("task_log", task_id=task_id))

    def requeue_task(self, task_id: int) -> None:
        self._all("task_requeue", id=task_id)

    def cancel_task(self, task_id: int, reason: str) -> None:
        self._all("task_cancel", id=task_id, reason=reason)

    def running_tasks(self) -> list[Row]:
        return self._all("tasks_running")

    def running_tasks_of_worker(self, worker_id: int) -> list[Row]:
        return self._all("tasks_running_of_worker", worker_id=worker_id)

    def task_cancels_for_worker(self, worker_id: int) -> list[Row]:
        return self._all("task_cancels_for_worker", worker_id=worker_id)

    def extend_task_leases(self, worker_id: int, lease: float) -> None:
        self._all("task_extend_leases", worker_id=worker_id, lease=lease)

    def untold_tasks(self, workflow_id: int) -> list[Row]:
        """Tasks whose start or end the workflow's execution has not been told yet."""
        return self._all("tasks_untold", workflow_id=workflow_id)

    def set_task_told(self, task_id: int, told: str) -> None:
        self._all("task_told", id=task_id, told=told)

    def set_task_outcome(self, task_id: int, outcome: list[Any]) -> None:
        self._all("task_set_outcome", id=task_id, outcome=_dumps(outcome))

    def tasks_of_workflow(self, workflow_id: int) -> list[Row]:
        return self._all("tasks_of_workflow", workflow_id=workflow_id)
