"""Tinkerbell's templates, hardware and machine-bound workflows, as service operations.

Each public method is one transaction. The rules are ``conveyor.tinkerbell``'s (pure); this module fetches
the few rows they need through indexed lookups, hands them over as records, and stores what comes back.
What workers call (work, reports, timeouts, data) is in ``tinkerbell_work``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from conveyor.errors import NotFound
from conveyor.service.base import new_uuid
from conveyor.service.tinkerbell_views import TinkerbellViewOps
from conveyor.store.base import Row, Tx

if TYPE_CHECKING:  # imported where used: ``conveyor run`` must not pay for them at start-up
    from conveyor.tinkerbell.catalog import TemplateRecord
    from conveyor.tinkerbell.hardware import Hardware

_UUID_CHARS = set("0123456789abcdefABCDEF-{}")


def _looks_like_uuid(text: str) -> bool:
    return len(text.strip("{}").replace("-", "")) == 32 and set(text) <= _UUID_CHARS


class TinkerbellOps(TinkerbellViewOps):
    """Templates, hardware and workflows; the worker protocol comes from ``TinkerbellWorkOps``, the web
    UI's reads from ``TinkerbellViewOps``."""

    # -- templates ------------------------------------------------------------------------------
    def tink_create_template(self, text: str | bytes) -> dict[str, Any]:
        """Validate and store a template, named by its YAML ``name`` (a live name must be free)."""
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import catalog

        now = rec.moment(self._now())
        with self._transaction() as tx:
            record, _ = catalog.create_template(text, [], new_uuid(), now)
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
            tx.tink_update_template(rec.template_row(record))
        return rec.public_template(record)

    def tink_delete_template(self, ref: str) -> dict[str, Any]:
        """Soft delete: the template is gone for new workflows, and its name is free again."""
        from conveyor.service import tinkerbell_records as rec
        from conveyor.tinkerbell import catalog

        now = rec.moment(self._now())
        with self._transaction() as tx:
            current = self._template(tx, ref)
            record = catalog.delete_template(current.id, [current], now)
            tx.tink_update_template(rec.template_row(record))
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
                workflow_id=new_uuid(),
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


def _address(worker: str) -> tuple[str, str] | None:
    """A task's rendered ``worker`` as the (kind, address) its hardware is indexed under."""
    from conveyor.tinkerbell import hardware as hw

    mac = hw.parse_mac(worker)
    if mac is not None:
        return ("mac", mac)
    return ("ip", worker) if hw.is_ipv4(worker) else None
