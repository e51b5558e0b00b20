"""Store operations for resources that make versions by themselves: checks and webhook tokens."""

from __future__ import annotations

from conveyor.store.base import Row
from conveyor.store.sql.txbase import TxBase


class ChecksTx(TxBase):
    def check_of(self, resource_id: int) -> Row | None:
        return self._one("check_of", resource_id=resource_id)

    def checks_of_pipeline(self, pipeline_id: int) -> list[Row]:
        return self._all("checks_of_pipeline", pipeline_id=pipeline_id)

    def put_check(self, resource_id: int, pipeline_id: int, source_digest: str, next_at: float) -> None:
        """A check to run from ``next_at`` on; a changed source starts over (no cursor)."""
        self._all(
            "insert_check",
            resource_id=resource_id,
            pipeline_id=pipeline_id,
            source_digest=source_digest,
            next_at=next_at,
        )

    def delete_check(self, resource_id: int) -> None:
        self._all("delete_check", resource_id=resource_id)

    def due_checks(self, now: float, limit: int) -> list[Row]:
        return self._all("due_checks", now=now, limit=limit)

    def claim_check(self, resource_id: int, seen: float, until: float) -> None:
        """Push a due check's time out while it runs, so another replica does not run it too."""
        self._all("claim_check", resource_id=resource_id, seen=seen, until=until)

    def record_check(
        self, resource_id: int, next_at: float, cursor: str, now: float, error: str | None
    ) -> None:
        self._all(
            "record_check", resource_id=resource_id, next_at=next_at, cursor=cursor, now=now, error=error
        )

    def next_check(self) -> float | None:
        value = self._val("next_check")
        return None if value is None else float(value)

    def set_webhook_token(self, resource_id: int, token_hash: str) -> None:
        self._all("set_webhook_token", id=resource_id, token_hash=token_hash)
