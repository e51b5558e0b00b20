"""Store operations for Tinkerbell: templates, hardware, workflows, events and ephemeral data.

Rows come back as plain dicts; JSON columns stay text (the service decodes them into ``conveyor.tinkerbell``
records). Lookups that a worker or a ``workflow create`` makes often go through indexes: a live template's
name, a hardware address, a workflow's turn (whose worker must act next) and its next deadline.
"""

from __future__ import annotations

from typing import Any

from conveyor.store.base import Row
from conveyor.store.sql.txbase import TxBase

#: Past any stored time: the keyset a first page starts after.
_FAR = 2.0**62


class TinkerbellTx(TxBase):
    # -- templates ------------------------------------------------------------------------------
    def tink_template(self, template_id: str | None = None, name: str | None = None) -> Row | None:
        """The live template with that id (or, without an id, that name)."""
        if template_id is not None:
            return self._one("tink_template_by_id", id=template_id)
        return self._one("tink_template_by_name", name=name)

    def tink_templates(self, pattern: str) -> list[Row]:
        """Live templates whose name matches the ``ILIKE`` pattern, oldest first."""
        return self._all("tink_templates_like", pattern=pattern)

    def tink_insert_template(self, row: dict[str, Any]) -> None:
        self._all("tink_insert_template", **row)

    def tink_update_template(self, row: dict[str, Any]) -> None:
        self._all("tink_update_template", **row)

    # -- hardware -------------------------------------------------------------------------------
    def tink_hardware(self, hardware_id: str) -> Row | None:
        """The record with that id, deleted or not (a push revives a deleted id)."""
        return self._one("tink_hardware_by_id", id=hardware_id)

    def tink_hardware_all(self) -> list[Row]:
        return self._all("tink_hardware_live")

    def tink_hardware_by_ids(self, hardware_ids: list[str]) -> list[Row]:
        """These records, deleted or not (a workflow keeps the machines it was made for)."""
        return self._all("tink_hardware_by_ids", ids=self._ids(hardware_ids)) if hardware_ids else []

    def tink_hardware_by_address(self, kind: str, address: str) -> list[Row]:
        """Live records answering to a MAC (``kind="mac"``, lower case) or an IP (``kind="ip"``)."""
        return self._all("tink_hardware_by_address", kind=kind, address=address)

    def tink_put_hardware(
        self, hardware_id: str, data: str, macs: tuple[str, ...], ips: tuple[str, ...], now: float
    ) -> None:
        """Insert or replace a record (reviving it) and re-index its addresses."""
        self._all("tink_upsert_hardware", id=hardware_id, data=data, inserted_at=now)
        self._all("tink_clear_addresses", hardware_id=hardware_id)
        rows = [
            {"hardware_id": hardware_id, "kind": kind, "address": address, "position": position}
            for kind, addresses in (("mac", macs), ("ip", ips))
            for position, address in enumerate(addresses)
        ]
        if rows:
            self._conn.execute_many(self._q["tink_insert_address"], rows)

    def tink_delete_hardware(self, hardware_id: str, now: float) -> None:
        self._all("tink_delete_hardware", id=hardware_id, deleted_at=now)
        self._all("tink_clear_addresses", hardware_id=hardware_id)

    # -- workflows ------------------------------------------------------------------------------
    def tink_insert_workflow(self, row: dict[str, Any], workers: tuple[str, ...]) -> None:
        self._all("tink_insert_workflow", **row)
        for worker_id in workers:
            self._all("tink_insert_worker_map", worker_id=worker_id, workflow_id=row["id"])

    def tink_workflow(self, workflow_id: str, lock: bool = False) -> Row | None:
        """A live workflow; with ``lock``, held until the transaction ends (PostgreSQL)."""
        return self._one("tink_workflow_for_update" if lock else "tink_workflow", id=workflow_id)

    def tink_workflows(self) -> list[Row]:
        return self._all("tink_workflows")

    def tink_workflows_page(
        self, template_id: str | None, status: int | None, after: tuple[float, str] | None, limit: int
    ) -> list[Row]:
        """One page of live workflows, newest first, after the keyset ``after`` (created_at, id)."""
        at, last = after if after is not None else (_FAR, "")
        return self._all(
            "tink_workflows_page", template_id=template_id, status=status, at=at, id=last, limit=limit
        )

    def tink_workflows_of_worker(self, worker_id: str) -> list[Row]:
        """Every live workflow with an action on this worker (tink's worker map)."""
        return self._all("tink_workflows_of_worker", worker_id=worker_id)

    def tink_workflows_turn(self, worker_id: str) -> list[Row]:
        """Live workflows in which this worker must act next."""
        return self._all("tink_workflows_turn", worker_id=worker_id)

    def tink_workflows_due(self, now: float, limit: int = 100) -> list[Row]:
        """Live workflows whose next deadline has passed (locked, skipping ones another replica holds)."""
        return self._all("tink_workflows_due", now=now, limit=limit)

    def tink_set_workflow_state(
        self, workflow_id: str, state: str, status: int, turn: str | None, deadline: float | None, now: float
    ) -> None:
        self._all(
            "tink_set_workflow_state",
            id=workflow_id,
            state=state,
            status=status,
            turn=turn,
            deadline=deadline,
            now=now,
        )

    def tink_delete_workflow(self, workflow_id: str, now: float) -> None:
        self._all("tink_delete_workflow", id=workflow_id, now=now)
        self._all("tink_delete_worker_map", workflow_id=workflow_id)

    # -- events ---------------------------------------------------------------------------------
    def tink_insert_events(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._conn.execute_many(self._q["tink_insert_event"], rows)

    def tink_events(self, workflow_id: str) -> list[Row]:
        return self._all("tink_events", workflow_id=workflow_id)

    # -- ephemeral data -------------------------------------------------------------------------
    def tink_data_versions(self, workflow_id: str) -> list[Row]:
        """Every version's number and metadata (never the data), oldest first."""
        return self._all("tink_data_versions", workflow_id=workflow_id)

    def tink_data_summary(self, workflow_id: str) -> list[Row]:
        """Every version's number, metadata, time and size in bytes (None once its data was dropped)."""
        return self._all("tink_data_summary", workflow_id=workflow_id)

    def tink_data(self, workflow_id: str, version: int = 0) -> Row | None:
        """One version (0: the latest), with its data (None once dropped)."""
        if version:
            return self._one("tink_data_version", workflow_id=workflow_id, version=version)
        return self._one("tink_data_latest", workflow_id=workflow_id)

    def tink_insert_data(
        self, workflow_id: str, version: int, metadata: str, data: bytes, drop_upto: int | None, now: float
    ) -> None:
        """A new version; the data of versions up to ``drop_upto`` is dropped (their metadata stays)."""
        self._all(
            "tink_insert_data",
            workflow_id=workflow_id,
            version=version,
            metadata=metadata,
            data=data,
            now=now,
        )
        if drop_upto is not None:
            self._all("tink_drop_data", workflow_id=workflow_id, version=drop_upto)
