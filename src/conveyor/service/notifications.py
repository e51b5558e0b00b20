"""Notifications, service side: the outbox. Run events become deliveries (one transaction per scan, under
the cursor's lock, so replicas never make one twice); the dispatcher claims due ones, sends them outside any
transaction, and reports each attempt back here, where retries are scheduled with backoff."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from conveyor.errors import ConveyorError
from conveyor.model.pipeline import notifier_to_dict
from conveyor.service.base import ServiceBase
from conveyor.store.base import Row

if TYPE_CHECKING:
    from conveyor.notify.base import Message, Target

#: Events younger than this are left for the next scan: on PostgreSQL an event's id is taken when it is
#: inserted, so a lower id may still commit after a higher one was seen.
SETTLE = {"postgres": 1.0, "sqlite": 0.0}
#: the run's status when the event happened, for events that are not its end
_STATUS_AT = {"started": "running", "waiting_approval": "waiting_approval"}
#: A claimed delivery whose dispatcher died is claimed again after this long.
CLAIM_SECONDS = 120.0


class NotifyOps(ServiceBase):
    def notify_scan(self, limit: int = 200) -> int:
        """Turn run events since the last scan into deliveries; returns how many were made."""
        from conveyor.notify.events import notify_event, rules_for

        now = self._now()
        settled = now - SETTLE.get(self.store.dialect, 0.0)
        made = 0
        # most scans find nothing: no write lock for them, and on PostgreSQL no BEGIN and COMMIT
        # (two statements, no snapshot needed: a scan that wrongly sees news only reads again)
        with self.store.read_statement() as tx:
            cursor = tx.notify_cursor_peek()
            if (tx.notify_last_settled_event(cursor, settled) or cursor) <= cursor:
                return 0
        with self._transaction() as tx:
            cursor = tx.notify_cursor()
            events = tx.notify_events_after(cursor, settled, limit)
            for event in events:
                run = tx.run(event["run_id"])
                if run is None:
                    continue
                what = notify_event(event["kind"], run)
                if what is None:
                    continue
                pipeline = self._graph(tx, run["pipeline_id"], run["pipeline_version"]).pipeline
                for rule in rules_for(pipeline, run["job_name"], what):
                    notifier = pipeline.notifier(rule.notifier)
                    assert notifier is not None
                    message = {
                        "event": what,
                        "pipeline": pipeline.name,
                        "job": run["job_name"],
                        "run_id": run["id"],
                        "number": run["number"],
                        "attempt": run["attempt"],
                        "status": _STATUS_AT.get(what, run["status"]),
                        "message": "" if what in _STATUS_AT else run["message"] or "",
                        "at": event["at"],
                    }
                    tx.notify_insert_delivery(
                        event["id"],
                        run["pipeline_id"],
                        run["id"],
                        notifier.name,
                        notifier_to_dict(notifier),
                        message,
                        now,
                    )
                    made += 1
            if len(events) == limit:
                last = events[-1]["id"]
            else:
                last = tx.notify_last_settled_event(cursor, settled) or cursor
            if last != cursor:
                tx.notify_set_cursor(last)
        return made

    def notify_claim(self, limit: int) -> list[tuple[int, Message, Target]]:
        """Due deliveries, claimed, with what to send and where (secrets read from their integration now,
        never stored with the delivery). One whose target cannot be resolved is recorded as failed."""
        from conveyor.notify.base import Message

        now = self._now()
        with self.store.read_statement() as tx:  # one statement: on PostgreSQL, no BEGIN and COMMIT
            due = tx.notify_next_due()
        if due is None or due > now:
            return []
        with self._transaction() as tx:
            rows = tx.notify_claim_due(now, now + CLAIM_SECONDS, limit)
            resolved: list[tuple[Row, Any]] = []
            for row in rows:
                try:
                    resolved.append((row, self._target(tx, json.loads(row["target"]))))
                except ConveyorError as exc:
                    resolved.append((row, exc.message))
        out = []
        for row, target in resolved:
            if isinstance(target, str):
                self.notify_record(row["id"], target)
            else:
                out.append((int(row["id"]), Message.from_json(json.loads(row["message"]), row["id"]), target))
        return out

    def _target(self, tx: Any, notifier: dict[str, Any]) -> Target:
        from conveyor.notify.base import Target
        from conveyor.secretbox import decrypt

        keys: dict[str, str] = {}
        if notifier.get("integration"):
            name = notifier["integration"]
            row = tx.integration(name)
            if row is None:
                raise ConveyorError(
                    f"notifier {notifier['name']!r} uses integration {name!r}, which does not exist"
                )
            keys = decrypt(row["payload"], self.settings.secret_key, name)
        to = notifier.get("to") or [a.strip() for a in keys.get("to", "").split(",") if a.strip()]
        return Target(
            name=notifier["name"],
            type=notifier["type"],
            url=notifier.get("url") or keys.get("url", ""),
            secret=keys.get("secret", ""),
            to=tuple(to),
            smtp=notifier.get("smtp") or keys.get("smtp", ""),
            username=keys.get("username", ""),
            password=keys.get("password", ""),
            sender=notifier.get("from") or keys.get("from", ""),
        )

    def notify_record(self, delivery_id: int, error: str | None) -> None:
        """One attempt's outcome: sent, or failed and retried after a backoff (doubled per attempt, at
        most 5 minutes) until the attempts run out. Each outcome is an event of the run."""
        now = self._now()
        s = self.settings
        with self._transaction() as tx:
            row = tx.notify_delivery(delivery_id)
            if row is None:
                return
            attempts = row["attempts"] + 1
            data = {"notifier": row["notifier"], "attempt": attempts}
            if error is None:
                tx.notify_update(delivery_id, "sent", attempts, now, "")
                tx.add_event("notify.sent", now, row["pipeline_id"], row["run_id"], **data)
                return
            retry = attempts < s.notify_attempts
            delay = min(s.notify_backoff * 2 ** (attempts - 1), 300.0)
            tx.notify_update(delivery_id, "pending" if retry else "failed", attempts, now + delay, error)
            tx.add_event(
                "notify.failed",
                now,
                row["pipeline_id"],
                row["run_id"],
                **data,
                error=error,
                retry_in=round(delay, 3) if retry else None,
            )

    def notify_latest_event(self) -> int:
        with self.store.read() as tx:
            return tx.notify_last_settled_event(0, float("inf")) or 0

    def notify_backlog(self, upto_event: int, pipeline: str | None = None) -> int:
        """What is left to send now of the events up to ``upto_event`` (of one pipeline): events not
        scanned yet, deliveries never tried, and retries already due. Scans first."""
        self.notify_scan()
        with self.store.read() as tx:
            if tx.notify_cursor_peek() < upto_event:
                return 1
            pid = None
            if pipeline is not None:
                prow = tx.pipeline_by_name(pipeline)
                pid = prow["id"] if prow else None
            return tx.notify_backlog(self._now(), pid)

    def notify_deliveries(self, run_id: int) -> list[Row]:
        with self.store.read() as tx:
            return tx.notify_deliveries_of_run(run_id)
