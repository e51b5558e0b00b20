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
    """``cond`` is the service's: commits in this process that queue work notify it, and so does a read
    of the summary that finds it changed. One waiter at a time (the poller) wakes every ``every``
    seconds to read it; the others wake only when notified, or every ``idle`` seconds to take the
    poller's place once it has gone (20 waiters woke 80 times a second; now about 23)."""

    def __init__(
        self, store: Store, cond: threading.Condition, every: float = 0.25, idle: float = 1.0
    ) -> None:
        self.store = store
        self.cond = cond
        self.every = every
        self.idle = idle
        self._lock = threading.Lock()
        self._mark: tuple[int, ...] = ()
        self._read_at = -1e18
        self._polling = False  # guarded by cond

    def mark(self) -> tuple[int, ...]:
        """The queue's summary, as read at most ``every`` seconds ago by any thread."""
        with self._lock:
            if time.monotonic() - self._read_at >= self.every:
                with self.store.read_statement() as tx:  # one statement: no BEGIN and COMMIT
                    fresh = tx.queue_mark()
                self._read_at = time.monotonic()
                changed, self._mark = fresh != self._mark, fresh
                if changed:
                    with self.cond:
                        self.cond.notify_all()
            return self._mark

    def wait(
        self,
        generation: Callable[[], int],
        seen: int,
        mark: tuple[int, ...],
        deadline: float,
        closing: threading.Event,
    ) -> None:
        """Return once ``generation()`` is no longer ``seen`` (commits in this process that queue work
        bump it and notify ``cond``), once the queue's summary differs from ``mark`` (read before the
        last lease attempt, so nothing queued since is missed), at ``deadline`` (``time.monotonic``),
        or when ``closing`` is set (and ``cond`` notified: ``ServiceBase.close_long_polls``)."""
        while not closing.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.mark() != mark:  # another thread may have seen a change already
                return
            with self.cond:
                if generation() != seen or closing.is_set():
                    return
                polling = not self._polling
                if polling:
                    self._polling = True
                try:
                    self.cond.wait(min(remaining, self.every if polling else self.idle))
                finally:
                    if polling:
                        self._polling = False
                if generation() != seen:
                    return
