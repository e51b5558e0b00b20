"""``conveyor server``: the API on uvicorn, the scheduler loop, and embedded workers, in one process.

The scheduler loop (``Service.tick`` every half second, or sooner when a workflow's timer is due)
recovers runs whose worker stopped renewing its lease, moves on retries whose backoff passed and fires
state-machine timers; triggers, queueing and leasing happen
inside the requests and reports themselves. Several replicas may run against one PostgreSQL
database: every decision is a transaction that locks what it changes.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from conveyor.api.app import create_app
from conveyor.notify.dispatcher import Dispatcher  # notifications: sent beside, never inside, a run
from conveyor.service import Service
from conveyor.worker.local import report_window
from conveyor.worker.pool import Pool, PoolConfig

log = logging.getLogger("conveyor.server")


class Runtime:
    """The background parts of a server: the scheduler loop and the embedded worker pool."""

    def __init__(self, service: Service, workers: int, labels: dict[str, str] | None = None) -> None:
        self.service = service
        self.workers = workers
        self.labels = labels or {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.pool: Pool | None = None
        self.worker_id: int | None = None
        self.notifications: Dispatcher | None = None

    def start(self) -> None:
        ticker = threading.Thread(target=self._tick_loop, name="conveyor-scheduler", daemon=True)
        ticker.start()
        self._threads.append(ticker)
        self.notifications = Dispatcher(self.service).start()
        if self.workers > 0:
            s = self.service.settings
            self.worker_id = self.service.register_worker(
                f"embedded:{os.uname().nodename}:{os.getpid()}", self.labels
            )
            config = PoolConfig(
                concurrency=self.workers,
                work_root=s.work_dir,
                scratch_root=s.scratch_dir,
                lease_seconds=s.lease_seconds,
                hook_grace=s.hook_grace_seconds,
                keep_workdirs=s.keep_workdirs,
                labels=self.labels,
                stream_logs=True,
                handle_signals=False,
                report_window=report_window(self.service),
            )
            self.pool = Pool(self.service, self.worker_id, config)
            self.service.on_queued.append(self.pool.wake)
            thread = threading.Thread(target=self.pool.run_forever, name="conveyor-workers", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _tick_loop(self) -> None:
        wait = 0.5
        while not self._stop.wait(wait):
            wait = 0.5
            try:
                self.service.tick()
                self.service.tink_expire()  # Tinkerbell workflows past global_timeout or an action's timeout
                # a workflow's Wait or retry, or a resource's check, may be due sooner
                for due in (self.service.next_timer(), self.service.next_check()):
                    if due is not None:
                        wait = min(wait, max(0.01, due - time.time()))
            except Exception:  # keep scheduling through a passing database error
                log.exception("scheduler tick failed")

    def stop(self, grace: float = 10.0) -> None:
        """Stop leasing; give embedded runs ``grace`` seconds to finish, then hand them back."""
        self._stop.set()
        if self.notifications is not None:
            self.notifications.stop()
        if self.pool is not None:
            self.pool.drain()
            for t in self._threads[1:]:
                t.join(grace)
            if any(t.is_alive() for t in self._threads[1:]):
                self.pool.abort()
                for t in self._threads[1:]:
                    t.join(30)
            if self.worker_id is not None:
                self.service.stop_worker(self.worker_id)


def serve(
    service: Service,
    host: str,
    port: int,
    workers: int,
    auth: bool,
    labels: dict[str, str] | None = None,
) -> None:
    import uvicorn

    app = create_app(service, auth=auth)
    runtime = Runtime(service, workers, labels)
    runtime.start()
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=5
    )

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: object) -> None:
            service.close_long_polls()  # so shutdown does not wait for them
            super().handle_exit(sig, frame)  # type: ignore[arg-type]

    server = Server(config)
    try:
        server.run()
    finally:
        runtime.stop()
