"""How a lease long-poll learns that work was queued, without polling the queue with leases.

A worker with nothing to do asks for work and waits up to ``wait`` seconds (a remote worker's long
poll). Commits in this process that queue work wake it at once (``ServiceBase._queued_cond``); work
queued by another process (another server replica, a CLI writing the SQLite file) shows only in the
store. Each waiter used to try a whole lease transaction every 0.25 s: with 20 idle workers that is
80 write transactions a second, the server's whole idle CPU (4% of a core on SQLite, 10% on
PostgreSQL). Instead, waiters share one cheap read of the queue's summary (``Tx.queue_mark``), made at
most every ``every`` seconds in this process whoever asks, and try to lease again only when it
changed since their last try.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from conveyor.store.base import Store


class QueueWatch:
    def __init__(self, store: Store, every: float = 0.25) -> None:
        self.store = store
        self.every = every
        self._lock = threading.Lock()
        self._mark: tuple[int, ...] = ()
        self._read_at = -1e18

    def mark(self) -> tuple[int, ...]:
        """The queue's summary, as read at most ``every`` seconds ago by any thread."""
        with self._lock:
            if time.monotonic() - self._read_at >= self.every:
                with self.store.read() as tx:
                    self._mark = tx.queue_mark()
                self._read_at = time.monotonic()
            return self._mark

    def wait(
        self,
        cond: threading.Condition,
        generation: Callable[[], int],
        seen: int,
        mark: tuple[int, ...],
        deadline: float,
        closing: threading.Event,
    ) -> None:
        """Return once ``generation()`` is no longer ``seen`` (commits in this process that queue work
        bump it and notify ``cond``), once the queue's summary differs from ``mark`` (read before the
        last lease attempt, so nothing queued since is missed), at ``deadline`` (``time.monotonic``),
        or when ``closing`` is set."""
        while not closing.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            with cond:
                if generation() != seen:
                    return
                cond.wait(min(remaining, self.every))
                if generation() != seen:
                    return
            if self.mark() != mark:
                return
