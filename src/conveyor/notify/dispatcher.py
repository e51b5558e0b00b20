"""The background sender: turns new run events into deliveries and sends the due ones, in its own thread.

A run never waits for it. Each attempt's outcome is recorded by the service (``notify.sent``, or
``notify.failed`` with the reason and whether it will be retried); a delivery left unsent when the process
stops stays in the outbox and is sent by the next server or ``conveyor run``.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from conveyor.notify.base import DeliveryError, Message, Target, notifier_for

if TYPE_CHECKING:
    from conveyor.service import Service

log = logging.getLogger("conveyor.notify")

#: How often an idle dispatcher looks for new events: every look is a few statements (on PostgreSQL a
#: round trip each), which at 0.2 s were a third of an idle server's work. Stopping with a drain wakes
#: it at once, so ``conveyor run`` does not wait out the interval at its end.
POLL = 1.0
BATCH = 20
#: deliveries sent at the same time, so one endpoint that hangs until its timeout holds up no other
SENDERS = 4


class Dispatcher:
    def __init__(self, service: Service, poll: float = POLL) -> None:
        self.service = service
        self.poll = poll
        self._stop = threading.Event()
        #: set to look again now instead of at the next poll
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Dispatcher:
        self._thread = threading.Thread(target=self._loop, name="conveyor-notify", daemon=True)
        self._thread.start()
        return self

    def stop(self, drain: float = 0.0, pipeline: str | None = None) -> None:
        """Stop; with ``drain``, first wait up to that long until every event so far was notified or
        is waiting out a retry's backoff (retried later, by whichever conveyor runs next)."""
        deadline = time.monotonic() + drain
        self._wake.set()
        try:
            upto = self.service.notify_latest_event() if drain > 0 else 0
            while drain > 0 and time.monotonic() < deadline:
                if not self.service.notify_backlog(upto, pipeline):
                    break
                time.sleep(0.05)
        except Exception:  # the run is over either way: say so and stop
            log.exception("notifications: cannot read the outbox")
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.step()
            except Exception:  # a passing database error must not end notifications
                log.exception("notifications: dispatch failed")
                busy = False
            if not busy:
                self._wake.wait(self.poll)
                self._wake.clear()

    def step(self) -> bool:
        """One pass: scan new events, send what is due. True when there was work."""
        made = self.service.notify_scan()
        due = self.service.notify_claim(BATCH)
        if len(due) == 1:
            self._send(*due[0])
        elif due:
            with ThreadPoolExecutor(min(SENDERS, len(due)), thread_name_prefix="conveyor-notify") as pool:
                for _ in pool.map(lambda d: self._send(*d), due):
                    pass
        return bool(made or due)

    def _send(self, delivery_id: int, message: Message, target: Target) -> None:
        try:
            notifier_for(target.type).send(message, target)
        except DeliveryError as exc:
            self.service.notify_record(delivery_id, str(exc))
        except Exception as exc:  # a notifier's bug is a failed delivery, never a dead thread
            log.exception("notifications: %s failed", target.type)
            self.service.notify_record(delivery_id, f"{type(exc).__name__}: {exc}")
        else:
            self.service.notify_record(delivery_id, None)
