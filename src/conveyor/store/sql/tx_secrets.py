"""Store operations for integrations (named secrets, stored as one encrypted payload each) and for the
notification outbox (deliveries made from run events, claimed and updated by the dispatcher).

The store never sees a secret in the clear: ``payload`` is already encrypted when it arrives here."""

from __future__ import annotations

from typing import Any

from conveyor.store.base import Row
from conveyor.store.sql.txbase import TxBase, _dumps


class SecretsTx(TxBase):
    # -- integrations -----------------------------------------------------------------------------
    def integration_put(self, name: str, payload: str, keys: list[str], now: float) -> None:
        self._all("integration_put", name=name, payload=payload, keys=_dumps(sorted(keys)), now=now)

    def integration(self, name: str) -> Row | None:
        return self._one("integration_by_name", name=name)

    def integrations(self) -> list[Row]:
        return self._all("integrations_list")

    def integration_delete(self, name: str) -> bool:
        return self._one("integration_delete", name=name) is not None

    # -- notification outbox ----------------------------------------------------------------------
    def notify_cursor(self) -> int:
        """The last event turned into deliveries; locked until the transaction ends (PostgreSQL)."""
        return int(self._val("notify_cursor") or 0)

    def notify_cursor_peek(self) -> int:
        """The cursor without a lock (to see whether there is anything to scan)."""
        return int(self._val("notify_cursor_peek") or 0)

    def notify_next_due(self) -> float | None:
        value = self._val("notify_next_due")
        return None if value is None else float(value)

    def notify_set_cursor(self, event_id: int) -> None:
        self._all("notify_set_cursor", event_id=event_id)

    def notify_events_after(self, after: int, settled: float, limit: int) -> list[Row]:
        return self._all("notify_events_after", after=after, settled=settled, limit=limit)

    def notify_last_settled_event(self, after: int, settled: float) -> int | None:
        value = self._val("notify_last_settled_event", after=after, settled=settled)
        return None if value is None else int(value)

    def notify_insert_delivery(
        self,
        event_id: int,
        pipeline_id: int | None,
        run_id: int | None,
        notifier: str,
        target: dict[str, Any],
        message: dict[str, Any],
        now: float,
    ) -> None:
        self._all(
            "notify_insert_delivery",
            event_id=event_id,
            pipeline_id=pipeline_id,
            run_id=run_id,
            notifier=notifier,
            target=_dumps(target),
            message=_dumps(message),
            now=now,
        )

    def notify_claim_due(self, now: float, until: float, limit: int) -> list[Row]:
        """Up to ``limit`` deliveries due now, claimed until ``until`` (another dispatcher skips them)."""
        rows = self._all("notify_due", now=now, limit=limit)
        for row in rows:
            self._all("notify_claim", id=row["id"], until=until)
        return rows

    def notify_update(self, delivery_id: int, status: str, attempts: int, next_at: float, error: str) -> None:
        self._all(
            "notify_update", id=delivery_id, status=status, attempts=attempts, next_at=next_at, error=error
        )

    def notify_delivery(self, delivery_id: int) -> Row | None:
        return self._one("notify_delivery", id=delivery_id)

    def notify_backlog(self, now: float, pipeline_id: int | None = None) -> int:
        return int(self._val("notify_backlog", now=now, pipeline_id=pipeline_id) or 0)

    def notify_deliveries_of_run(self, run_id: int) -> list[Row]:
        return self._all("notify_deliveries_of_run", run_id=run_id)

    # -- approval gates ---------------------------------------------------------------------------
    def approvals_waiting(self) -> list[Row]:
        return self._all("approvals_waiting")
