"""The local worker loop: lease runs from the service, drive their steps, report results.

One thread does everything. Each running step is a pidfd registered in a selector, so waiting for
"any step finished or the next deadline" is a single ``select`` call: no thread per run, no polling.
``conveyor run`` uses it in-process against the embedded store; a remote worker will drive the same
``Execution`` objects against the HTTP API.
"""

from __future__ import annotations

import os
import queue
import selectors
import shutil
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conveyor.errors import Conflict, Interrupted
from conveyor.model.work import RunSpec
from conveyor.service import Service
from conveyor.worker.executor import Execution

#: Called with ("started", spec, None) and ("finished", spec, run_row).
Listener = Callable[[str, RunSpec, dict[str, Any] | None], None]


@dataclass
class _Slot:
    execution: Execution
    pidfd: int | None = None


class LocalPool:
    def __init__(
        self,
        service: Service,
        worker_id: int,
        concurrency: int,
        work_root: Path | None = None,
        listener: Listener | None = None,
        scratch_root: Path | None = None,
    ) -> None:
        self.service = service
        self.worker_id = worker_id
        self.concurrency = max(1, concurrency)
        self.work_root = (work_root or service.settings.work_dir).absolute()
        self.scratch_root = (scratch_root or service.settings.scratch_dir).absolute()
        self.listener = listener or (lambda kind, spec, row: None)
        self.slots: dict[int, _Slot] = {}
        self._sel = selectors.DefaultSelector()
        self._heartbeat_every = max(0.5, service.settings.lease_seconds / 3)
        self._next_heartbeat = time.monotonic() + self._heartbeat_every
        self.finished: list[dict[str, Any]] = []
        self._trash = self.work_root / f"trash-{os.getpid()}"
        self._sweeper: threading.Thread | None = None
        self._to_sweep: queue.SimpleQueue[Path | None] = queue.SimpleQueue()
        #: empty work dirs ready for the next run: making a directory costs more than a tiny job
        self._clean: list[Path] = []
        self._made = 0
        self._pipeline: str | None = None
        #: False once a lease came back short: nothing is queued until something finishes
        self._maybe_queued = True
        self._stopping = False

    # -- the loop -------------------------------------------------------------------------------
    def run_until_idle(self, pipeline: str) -> None:
        """Run the pipeline's runs until none is queued, running or about to retry."""
        self._trash.mkdir(parents=True, exist_ok=True)
        self.scratch_root.mkdir(parents=True, exist_ok=True)
        self._sweeper = threading.Thread(target=self._sweep, name="conveyor-sweeper", daemon=True)
        self._sweeper.start()
        previous = signal.signal(signal.SIGTERM, _raise_interrupted)
        self._pipeline = pipeline
        try:
            while True:
                free = self.concurrency - len(self.slots)
                if free > 0 and self._maybe_queued:
                    specs = self.service.lease(self.worker_id, free, pipeline)
                    self._maybe_queued = len(specs) == free
                    for spec in specs:
                        self._start(spec)
                if not self.slots:
                    counts = self.service.activity(pipeline)
                    if counts.get("queued"):
                        self._maybe_queued = True
                        continue
                    if counts.get("running"):  # another worker's runs: wait for their outcome
                        time.sleep(0.2)
                        self.service.recover()
                        continue
                    if counts.get("pending"):
                        decision = self.service.promote(pipeline)
                        if decision.queue:
                            self._maybe_queued = True
                            continue
                        if decision.wake_at is not None:  # a retry waiting out its backoff
                            time.sleep(max(0.0, decision.wake_at - time.time()))
                            continue
                    return
                self._wait()
        except (Interrupted, KeyboardInterrupt):
            self._cancel_all("conveyor was interrupted")
            raise
        finally:
            signal.signal(signal.SIGTERM, previous)
            self._to_sweep.put(None)
            self._sweeper.join()

    def _sweep(self) -> None:
        """Delete finished runs' work dirs in the background: rmtree is slower than a tiny job."""
        while (path := self._to_sweep.get()) is not None:
            shutil.rmtree(path, ignore_errors=True)
        for d in self._clean:
            shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(self._trash, ignore_errors=True)

    def _take_workdir(self) -> Path:
        if self._clean:
            return self._clean.pop()
        self._made += 1
        d = self.work_root / f"w-{os.getpid()}-{self._made}"
        d.mkdir(parents=True)
        return d

    def _give_back(self, work: Path) -> None:
        """An empty work dir is as good as new; anything else is moved aside and deleted later."""
        try:
            with os.scandir(work) as it:
                empty = next(it, None) is None
        except OSError:
            return
        if empty:
            self._clean.append(work)
            return
        target = self._trash / work.name
        try:
            work.rename(target)
        except OSError:
            target = work
        self._to_sweep.put(target)

    def _wait(self) -> None:
        now = time.time()
        deadlines = [s.execution.deadline for s in self.slots.values() if s.execution.deadline is not None]
        timeout = self._next_heartbeat - time.monotonic()
        if deadlines:
            timeout = min(timeout, min(deadlines) - now)
        for key, _ in self._sel.select(max(0.0, timeout)):
            self._exited(key.data)
        now = time.time()
        for run_id, slot in list(self.slots.items()):
            ex = slot.execution
            if ex.deadline is not None and now >= ex.deadline and run_id in self.slots:
                self._unregister(slot)
                ex.timed_out()
                self._advance(run_id)
        if time.monotonic() >= self._next_heartbeat:
            self.service.heartbeat(self.worker_id)
            self._next_heartbeat = time.monotonic() + self._heartbeat_every

    # -- one run --------------------------------------------------------------------------------
    def _start(self, spec: RunSpec) -> None:
        keep = self.service.settings.keep_workdirs
        work = self._take_workdir()
        ex = Execution(
            spec, self.scratch_root, work, hook_grace=self.service.settings.hook_grace_seconds, keep=keep
        )
        self.slots[spec.run_id] = _Slot(ex)
        self.listener("started", spec, None)
        self._advance(spec.run_id)

    def _advance(self, run_id: int) -> None:
        slot = self.slots[run_id]
        proc = slot.execution.start_next()
        if proc is None:
            self._report(run_id)
            return
        slot.pidfd = os.pidfd_open(proc.pid)
        self._sel.register(slot.pidfd, selectors.EVENT_READ, run_id)

    def _exited(self, run_id: int) -> None:
        slot = self.slots[run_id]
        proc = slot.execution.proc
        assert proc is not None
        code = proc.wait()
        self._unregister(slot)
        slot.execution.step_exited(code)
        self._advance(run_id)

    def _unregister(self, slot: _Slot) -> None:
        if slot.pidfd is not None:
            self._sel.unregister(slot.pidfd)
            os.close(slot.pidfd)
            slot.pidfd = None

    def _report(self, run_id: int) -> None:
        slot = self.slots.pop(run_id)
        ex = slot.execution
        result = ex.result()
        free = 0 if self._stopping else self.concurrency - len(self.slots)
        specs: list[RunSpec] = []
        try:
            row, specs = self.service.complete_and_lease(
                self.worker_id, run_id, result, lease=free, pipeline=self._pipeline
            )
            self._maybe_queued = len(specs) == free
        except Conflict:
            row = None  # the run was taken from us (lease expired, cancelled): its new owner reports it
            self._maybe_queued = True
        if not ex.keep:
            self._give_back(ex.work)
            self._to_sweep.put(ex.dir)
        if row is not None:
            self.finished.append(row)
        self.listener("finished", ex.spec, row)
        for spec in specs:
            self._start(spec)

    def _cancel_all(self, reason: str) -> None:
        self._stopping = True
        for run_id, slot in list(self.slots.items()):
            self._unregister(slot)
            slot.execution.cancel(reason)
            slot.execution.done = True
            self._report(run_id)


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted()
