"""The worker loop: lease runs, drive their steps, stream logs, heartbeat, report results.

One thread does everything but start processes. Each running step is a pidfd registered in a
selector, so waiting for "any step finished, the next deadline, or new work" is a single ``select``
call: no thread per run, no busy polling. A spawner thread starts the steps' processes: the thread
that spawns waits while the child execs (a third of a millisecond, a third of a tiny job's cost
here), and the loop goes on meanwhile (committing the last report, reading the next lease). The
same loop serves ``conveyor run`` (in-process against the embedded store), the server's embedded
workers, and ``conveyor worker`` (against the HTTP API): only the ``Backend`` differs.
"""

from __future__ import annotations

import os
import queue
import selectors
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from conveyor.errors import Conflict, Interrupted
from conveyor.model.work import RunResult, RunSpec
from conveyor.worker.executor import Execution, PendingStep, kill_group

#: Called with ("started", spec, None) and ("finished", spec, run_row).
Listener = Callable[[str, RunSpec, dict[str, Any] | None], None]
#: (kind, id): a pipeline run and a workflow task may share an id.
Key = tuple[str, int]


class Backend(Protocol):
    """What a worker needs from the service; ``Service`` itself is one, ``client.WorkerClient`` another."""

    def lease(
        self,
        worker_id: int,
        limit: int,
        pipeline: str | None = None,
        labels: dict[str, str] | None = None,
        wait: float = 0.0,
        workflow: str | None = None,
    ) -> list[RunSpec]: ...

    def complete_many_and_lease(
        self,
        worker_id: int | None,
        done: list[tuple[str, int, RunResult]],
        lease: int = 0,
        pipeline: str | None = None,
        labels: dict[str, str] | None = None,
        workflow: str | None = None,
        on_leased: Callable[[list[RunSpec]], None] | None = None,
    ) -> tuple[list[dict[str, Any] | None], list[RunSpec]]:
        """Each (kind, id, result) completed (its row, or None when the run was taken from this
        worker), then up to ``lease`` runs leased. A backend may hand the leased runs to
        ``on_leased`` before it has committed the lease (the caller then stops them if it raises)."""
        ...

    def heartbeat(self, worker_id: int, held: list[Key] | None = None) -> list[tuple[Key, str]]:
        """Renew the worker's leases; the runs and tasks it must cancel. ``held``: what it runs now,
        so that what the backend leased it in an answer that never arrived is queued again."""
        ...

    def append_log(self, worker_id: int | None, run_id: int, data: bytes, kind: str = "run") -> None: ...


@dataclass
class PoolConfig:
    concurrency: int
    work_root: Path
    scratch_root: Path
    lease_seconds: float = 30.0
    hook_grace: float = 60.0
    keep_workdirs: bool = False
    #: labels this worker offers; None = take any run (one machine, ``conveyor run``)
    labels: dict[str, str] | None = None
    #: ship log chunks while runs run (someone may be following them)
    stream_logs: bool = False
    #: with free slots and no wake-up signal, look for new work this often (remote workers)
    poll_seconds: float | None = None
    #: with nothing in hand, let a lease wait this long for work (a long poll over HTTP)
    idle_wait: float = 0.0
    #: turn SIGTERM into a stop that cancels the runs in hand (``conveyor run``); a worker process
    #: sets its own handlers instead (first SIGTERM drains, the second hands runs back)
    handle_signals: bool = True
    #: the columns of each finished run's row that ``finished`` keeps (None: the whole row; a
    #: 10,000-job ``conveyor run`` held 25 MB of rows for a summary that reads eight columns)
    keep_finished: tuple[str, ...] | None = None
    #: once a run ended, wait up to this long for the others in hand to end too, so that they share
    #: its report's transaction: worth it where a transaction costs round trips (PostgreSQL)
    report_window: float = 0.0
    #: runs leased beyond ``concurrency`` (``conveyor run``): each starts the moment a slot frees,
    #: with no transaction, and while any remains to start the ends of runs are held, up to this many,
    #: to be reported in one transaction with the next lease. A wide fan-out of tiny jobs then pays a
    #: commit and a scheduling step per batch instead of per job; a chain has nothing to lease ahead,
    #: so each end is reported at once, as without. A kill -9 leaves the held ends (the steps ran,
    #: nothing was told of it) and the runs leased ahead (never started) to recovery, as it leaves a
    #: running step: errored as interrupted and retried per their job's ``retries``.
    prefetch: int = 0
    #: the longest a finished run's report is held (``prefetch``)
    hold_seconds: float = 0.05
    #: lease ahead only while runs end this soon after they start: for tiny jobs a transaction each
    #: is most of the cost, for longer ones it is noise, and a run leased ahead shows as running
    #: while it waits for a slot (at most ``prefetch`` such short runs here)
    prefetch_below: float = 0.1


@dataclass
class _Slot:
    execution: Execution
    pidfd: int | None = None
    #: the step handed to the spawner and not yet back: nothing may stop or report the run until
    #: it lands (``Pool._settle``), as the spawner is using its log's descriptor
    spawning: PendingStep | None = None


#: The selector's mark for the spawner's pipe (the wake-up pipe's is None, a step's its key)
_SPAWNED = ("spawned", 0)
#: What the spawner sends back: the run, its step, and the process and its pidfd (or why not)
_Landed = tuple[Key, Execution, PendingStep, "subprocess.Popen[bytes] | OSError", int | None]


class Pool:
    def __init__(
        self, backend: Backend, worker_id: int, config: PoolConfig, listener: Listener | None = None
    ) -> None:
        self.backend = backend
        self.worker_id = worker_id
        self.config = config
        self.concurrency = max(1, config.concurrency)
        self.work_root = config.work_root.absolute()
        self.scratch_root = config.scratch_root.absolute()
        self.listener = listener or (lambda kind, spec, row: None)
        self.slots: dict[Key, _Slot] = {}
        #: leased to this worker, to start as slots free (``PoolConfig.prefetch``)
        self._ahead: deque[RunSpec] = deque()
        #: whether the last run to end took under ``PoolConfig.prefetch_below``: what to lease ahead
        self._quick = False
        #: ended, their reports held until a batch is due (``PoolConfig.prefetch``)
        self._held: list[Execution] = []
        self._hold_until = 0.0
        #: what ran, in order (``run_until_idle``; ``run_forever`` keeps nothing: a worker serving for
        #: weeks would hold every run it ever finished)
        self.finished: list[dict[str, Any]] = []
        self._keep_finished = True
        #: lease only this pipeline's runs (``conveyor run``), or only this workflow's tasks
        self.pipeline: str | None = None
        self.workflow: str | None = None
        self._sel = selectors.DefaultSelector()
        self._heartbeat_every = max(0.2, config.lease_seconds / 3)
        self._next_heartbeat = time.monotonic() + self._heartbeat_every
        self._next_log = time.monotonic()
        self._trash = self.work_root / f"trash-{os.getpid()}-{id(self)}"
        self._to_sweep: queue.SimpleQueue[Path | None] = queue.SimpleQueue()
        self._sweeper: threading.Thread | None = None
        #: empty work dirs and run dirs (holding an empty ``state/``) ready for the next run: making
        #: and deleting directories costs more than a tiny job
        self._clean: list[Path] = []
        self._clean_runs: list[Path] = []
        self._made = 0
        #: False once a lease came back short: nothing is queued until something finishes or wakes us
        self._maybe_queued = True
        self._stopping = False
        self._draining = False
        self._aborting = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._spawns: queue.SimpleQueue[tuple[Key, Execution, PendingStep] | None] = queue.SimpleQueue()
        self._landed: queue.SimpleQueue[_Landed] = queue.SimpleQueue()
        self._spawner: threading.Thread | None = None
        self._spawned_r, self._spawned_w = os.pipe()
        os.set_blocking(self._spawned_r, False)
        os.set_blocking(self._spawned_w, False)
        self._sel.register(self._spawned_r, selectors.EVENT_READ, _SPAWNED)
        #: runs whose spawn failed and that have no step left: reported by the next wait
        self._ended: list[Key] = []

    # -- lifecycle ------------------------------------------------------------------------------
    def wake(self) -> None:
        """New work may be queued (thread-safe; called by the service after a commit)."""
        try:
            os.write(self._wake_w, b"x")
        except BlockingIOError:
            pass

    def drain(self) -> None:
        """Stop leasing; finish what runs (thread-safe)."""
        self._draining = True
        self.wake()

    def abort(self) -> None:
        """Stop leasing and hand back what runs: each is killed and reported errored, so it is
        retried per its job's ``retries`` (thread-safe)."""
        self._aborting = True
        self._draining = True
        self.wake()

    def _open(self) -> None:
        self.work_root.mkdir(parents=True, exist_ok=True)
        self._trash.mkdir(parents=True, exist_ok=True)
        self.scratch_root.mkdir(parents=True, exist_ok=True)
        self._sweeper = threading.Thread(target=self._sweep, name="conveyor-sweeper", daemon=True)
        self._sweeper.start()
        self._spawner = threading.Thread(target=self._spawn_loop, name="conveyor-spawner", daemon=True)
        self._spawner.start()

    def _close(self) -> None:
        self._to_sweep.put(None)
        if self._sweeper is not None:
            self._sweeper.join()
        self._spawns.put(None)
        if self._spawner is not None:
            self._spawner.join()
        while not self._landed.empty():  # spawned for a run nobody drives any more (an error)
            _key, _ex, _step, proc, pidfd = self._landed.get()
            _kill(proc, pidfd)
        self._sel.close()
        for fd in (self._wake_r, self._wake_w, self._spawned_r, self._spawned_w):
            os.close(fd)

    def run_until_idle(self, pipeline: str, is_idle: Callable[[], float | bool]) -> None:
        """Run the pipeline's runs until ``is_idle()`` says nothing is left (True), or returns a time
        to look again at (a retry waiting out its backoff)."""
        self.pipeline = pipeline
        self._run(lambda: self._idle_check(is_idle))

    def run_workflow_until_idle(self, workflow: str, is_idle: Callable[[], float | bool]) -> None:
        """Run one workflow's tasks until ``is_idle()`` says it is over (True), or returns a time to
        look again at (a Wait state's or a retry's timer)."""
        self.workflow = workflow
        self._run(lambda: self._idle_check(is_idle))

    def run_forever(self) -> None:
        """Serve until ``drain()`` (or SIGTERM in the main thread) and the runs in hand are done."""
        self._keep_finished = False
        self._run(self._idle_forever)

    def _run(self, when_idle: Callable[[], bool]) -> None:
        self._open()
        main = threading.current_thread() is threading.main_thread()
        handle = main and self.config.handle_signals
        previous = signal.signal(signal.SIGTERM, _raise_interrupted) if handle else None
        try:
            while True:
                if self._aborting:
                    self._cancel_all("handed back: its worker stopped", status="errored")
                    return
                at_once = self._start_ahead()
                if at_once:
                    self._report_many(at_once)
                free = self.concurrency - len(self.slots)
                if free > 0 and self._maybe_queued and not self._draining and not self._ahead:
                    wait = self.config.idle_wait if not self.slots else 0.0
                    want = free + self._prefetch()
                    specs = self.backend.lease(
                        self.worker_id, want, self.pipeline, self.config.labels, wait, self.workflow
                    )
                    self._maybe_queued = len(specs) == want
                    self._ahead.extend(specs[free:])
                    for spec in specs[:free]:
                        self._start(spec)
                if not self.slots:
                    if self._held:
                        self._report_many([])  # nothing runs: nothing to hold them for
                        continue
                    if self._ahead:
                        continue
                    if self._draining or when_idle():
                        return
                    if self._maybe_queued:
                        continue
                self._wait()
        except (Interrupted, KeyboardInterrupt):
            self._cancel_all("the worker was stopped")
            raise
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            self._close()

    def _idle_check(self, is_idle: Callable[[], float | bool]) -> bool:
        answer = is_idle()
        if answer is True:
            return True
        self._maybe_queued = True
        if isinstance(answer, float) and answer > time.time():
            time.sleep(answer - time.time())
        return False

    def _idle_forever(self) -> bool:
        return False

    def _wait(self) -> None:
        now = time.time()
        timeout = self._next_heartbeat - time.monotonic()
        deadlines = [s.execution.deadline for s in self.slots.values() if s.execution.deadline is not None]
        if deadlines:
            timeout = min(timeout, min(deadlines) - now)
        if self.config.stream_logs and self.slots:
            timeout = min(timeout, self._next_log - time.monotonic())
        if self.config.poll_seconds is not None and len(self.slots) < self.concurrency:
            timeout = min(timeout, self.config.poll_seconds)
        if self._held:
            timeout = min(timeout, self._hold_until - time.monotonic())
        done: list[Key] = []
        self._take_ready(self._sel.select(max(0.0, timeout)), done)
        if done and self.config.report_window > 0 and not self._ahead:  # (else held anyway)
            self._gather(done)
        if self._ended:
            done += [key for key in self._ended if key in self.slots and key not in done]
            self._ended = []
        if done or (self._held and time.monotonic() >= self._hold_until):
            self._report_many(done)  # runs that ended together are reported in one transaction
        if self.config.poll_seconds is not None:
            self._maybe_queued = True
        now = time.time()
        for work, slot in list(self.slots.items()):
            ex = slot.execution
            if ex.deadline is not None and now >= ex.deadline and work in self.slots:
                self._settle(slot)
                self._unregister(slot)
                ex.timed_out()
                self._advance(work)
        if self.config.stream_logs and time.monotonic() >= self._next_log:
            self._ship_logs()
            self._next_log = time.monotonic() + 0.5
        if time.monotonic() >= self._next_heartbeat:
            self._heartbeat()

    def _gather(self, done: list[Key]) -> None:
        """Add to ``done`` the runs in hand that end within ``report_window``."""
        deadline = time.monotonic() + self.config.report_window
        while len(done) < len(self.slots) and (left := deadline - time.monotonic()) > 0:
            ready = self._sel.select(left)
            if not ready:
                return
            self._take_ready(ready, done)

    def _take_ready(self, ready: list[tuple[selectors.SelectorKey, int]], done: list[Key]) -> None:
        """Act on what ``select`` returned: a wake-up (new work may be queued), or a step that exited
        (the next one starts; a run with none left joins ``done``)."""
        for key, _ in ready:
            if key.data is None:
                self._drain(self._wake_r)
                self._maybe_queued = True
            elif key.data is _SPAWNED:
                self._drain(self._spawned_r)
                while not self._landed.empty():
                    self._land(self._landed.get())
            elif self._exited(key.data):
                done.append(key.data)

    def _drain(self, fd: int) -> None:
        try:
            while os.read(fd, 4096):
                pass
        except BlockingIOError:
            pass

    def _heartbeat(self) -> None:
        self._next_heartbeat = time.monotonic() + self._heartbeat_every
        for key, reason in self.backend.heartbeat(self.worker_id, self._in_hand()):
            slot = self.slots.get(key)
            if slot is not None:
                self._settle(slot)
                self._unregister(slot)
                slot.execution.cancel(reason)
                self._report(key)
                continue
            ahead = next((spec for spec in self._ahead if spec.key == key), None)
            if ahead is not None:  # cancelled before it started: reported so, never spawned
                self._ahead.remove(ahead)
                self._start(ahead, cancel=reason)

    def _in_hand(self) -> list[Key]:
        """Every run leased to this worker that it knows of: running, ended but not yet reported
        (held), or leased ahead."""
        return [*self.slots, *(ex.spec.key for ex in self._held), *(spec.key for spec in self._ahead)]

    def _ship_logs(self) -> None:
        for (kind, run_id), slot in list(self.slots.items()):
            data = slot.execution.read_new_log()
            if data:
                try:
                    self.backend.append_log(self.worker_id, run_id, data, kind)
                except Conflict:
                    pass  # the run was taken from us; its result will be refused too

    # -- one run --------------------------------------------------------------------------------
    def _start(self, spec: RunSpec, report: bool = True, cancel: str | None = None) -> bool:
        """Set the run up and spawn its first step; True when it has none to run (and, with
        ``report``, was reported). With ``cancel`` (the reason), it spawns nothing and ends so."""
        work = self._take_workdir()
        ex = Execution(
            spec,
            self._take_rundir(),
            work,
            hook_grace=self.config.hook_grace,
            keep=self.config.keep_workdirs,
        )
        self.slots[spec.key] = _Slot(ex)
        self.listener("started", spec, None)
        if cancel is not None:
            ex.cancel(cancel)
            ex.done = True
            if report:
                self._report(spec.key)
            return True
        return self._advance(spec.key, report)

    def _advance(self, key: Key, report: bool = True) -> bool:
        """Hand the run's next step to the spawner; True when it has none left (and, with
        ``report``, was reported)."""
        slot = self.slots[key]
        pending = slot.execution.next_step()
        if pending is None:
            if report:
                self._report(key)
            return True
        slot.spawning = pending
        self._spawns.put((key, slot.execution, pending))
        return False

    def _spawn_loop(self) -> None:
        """The spawner thread: start each step handed to it, and send the process back."""
        while (item := self._spawns.get()) is not None:
            key, ex, pending = item
            landed: _Landed
            try:
                proc = ex.spawn(pending)
            except OSError as exc:
                landed = (key, ex, pending, exc, None)
            else:
                try:
                    landed = (key, ex, pending, proc, os.pidfd_open(proc.pid))
                except OSError as exc:  # out of descriptors: the step cannot be waited for
                    _kill(proc, None)
                    landed = (key, ex, pending, exc, None)
            self._landed.put(landed)
            try:
                os.write(self._spawned_w, b"x")
            except BlockingIOError:
                pass  # the pipe is full: the loop has a wake-up to read already

    def _land(self, landed: _Landed) -> None:
        """A spawned step is back: wait for its process, or (it could not start) go on to the
        run's failure path, whose end, if it has no step, the next wait reports."""
        key, ex, pending, proc, pidfd = landed
        slot = self.slots.get(key)
        if slot is None or slot.execution is not ex or slot.spawning is not pending:
            _kill(proc, pidfd)  # (a slot is settled before it is dropped: not expected)
            return
        slot.spawning = None
        ex.spawned(pending, proc)
        if isinstance(proc, OSError):
            if self._advance(key, report=False):
                self._ended.append(key)
            return
        assert pidfd is not None
        slot.pidfd = pidfd
        self._sel.register(pidfd, selectors.EVENT_READ, key)

    def _settle(self, slot: _Slot) -> None:
        """Wait until the slot's step in flight has landed (its process started, or failed to)."""
        while slot.spawning is not None:
            try:
                self._land(self._landed.get(timeout=1.0))
            except queue.Empty:
                continue

    def _exited(self, key: Key) -> bool:
        """A step exited: start the next; True when the run is over (the caller reports it)."""
        slot = self.slots[key]
        proc = slot.execution.proc
        assert proc is not None
        code = proc.wait()
        self._unregister(slot)
        slot.execution.step_exited(code)
        return self._advance(key, report=False)

    def _unregister(self, slot: _Slot) -> None:
        if slot.pidfd is not None:
            self._sel.unregister(slot.pidfd)
            os.close(slot.pidfd)
            slot.pidfd = None

    def _report(self, key: Key) -> None:
        self._report_many([key])

    def _report_many(self, keys: list[Key]) -> None:
        """Report finished runs (one transaction for all) and start what the backend leases back.

        The next runs start as soon as they are leased, before the backend commits and before the
        finished runs' dirs are cleaned: on a chain, writing and cleaning up one job overlaps the
        next one's process start instead of delaying it."""
        executions = [self.slots.pop(key).execution for key in keys]
        if executions:
            self._quick = time.time() - executions[-1].started_at < self.config.prefetch_below
        at_once = self._start_ahead()  # nothing to spawn: reported once the transaction is over
        if self._hold(executions):
            if at_once:
                self._report_many(at_once)
            return
        executions, self._held = self._held + executions, []
        if not executions:
            return
        results = [(ex.spec.kind, ex.spec.run_id, ex.result()) for ex in executions]
        lease = 0
        if not (self._stopping or self._draining):
            lease = max(0, self.concurrency + self._prefetch() - len(self.slots) - len(self._ahead))
        started: list[Key] = []
        ahead: list[RunSpec] = []

        def start(leased: list[RunSpec]) -> None:
            for spec in leased:
                if len(self.slots) >= self.concurrency:
                    ahead.append(spec)
                    continue
                started.append(spec.key)
                if self._start(spec, report=False):
                    at_once.append(spec.key)

        try:
            rows, specs = self.backend.complete_many_and_lease(
                self.worker_id, results, lease, self.pipeline, self.config.labels, self.workflow, start
            )
        except BaseException:
            for key in started:  # their lease was not committed: they are not ours to run
                slot = self.slots.get(key)  # (None: its setup is what failed)
                if slot is not None:
                    self._settle(slot)
                    del self.slots[key]
                    self._unregister(slot)
                    slot.execution.abandon()
            raise
        # a run taken from us (its lease expired) comes back None: its new owner reports it
        self._maybe_queued = len(specs) == lease or None in rows
        taken = {*started, *(spec.key for spec in ahead)}
        start([spec for spec in specs if spec.key not in taken])  # a remote backend calls no ``start``
        self._ahead.extend(ahead)
        for ex, row in zip(executions, rows, strict=True):
            if not ex.keep:
                self._give_back(ex.work)
                if ex.reclaim():
                    self._clean_runs.append(ex.dir)
                else:
                    self._to_sweep.put(ex.dir)
            if row is not None and self._keep_finished:
                keep = self.config.keep_finished
                self.finished.append(row if keep is None else {k: row[k] for k in keep})
            self.listener("finished", ex.spec, row)
        if at_once:
            self._report_many(at_once)

    def _start_ahead(self) -> list[Key]:
        """Start runs leased ahead in the free slots; the keys of those with nothing to spawn."""
        at_once = []
        while self._ahead and len(self.slots) < self.concurrency:
            spec = self._ahead.popleft()
            if self._start(spec, report=False):
                at_once.append(spec.key)
        return at_once

    def _prefetch(self) -> int:
        """How many runs to lease ahead now (``PoolConfig.prefetch``, while runs are quick)."""
        return self.config.prefetch if self._quick else 0

    def _hold(self, executions: list[Execution]) -> bool:
        """Hold these ends' reports (``PoolConfig.prefetch``)? Only while runs leased ahead remain to
        start, short of a batch, and within ``hold_seconds`` of the first one held."""
        if not executions or not self._ahead or self._stopping or self._draining:
            return False
        if len(self._held) + len(executions) >= self.config.prefetch:
            return False
        now = time.monotonic()
        if not self._held:
            self._hold_until = now + self.config.hold_seconds
        elif now >= self._hold_until:
            return False
        self._held += executions
        return True

    def _hand_back_ahead(self) -> None:
        """Queue again the runs leased ahead, never started: a heartbeat that does not name them
        (``Backend.heartbeat``). Should it fail, their leases expire and recovery takes them."""
        if not self._ahead:
            return
        self._ahead.clear()
        try:
            self.backend.heartbeat(self.worker_id, self._in_hand())
        except Exception:  # stopping anyway: see the docstring
            pass

    def _cancel_all(self, reason: str, status: str = "cancelled") -> None:
        self._stopping = True
        self._hand_back_ahead()
        if self._held:
            self._report_many([])
        for key, slot in list(self.slots.items()):
            self._settle(slot)
            self._unregister(slot)
            slot.execution.cancel(reason, status)
            slot.execution.done = True
            self._report(key)

    # -- work dirs ------------------------------------------------------------------------------
    def _sweep(self) -> None:
        """Delete finished runs' dirs in the background: rmtree is slower than a tiny job."""
        while (path := self._to_sweep.get()) is not None:
            shutil.rmtree(path, ignore_errors=True)
        for d in self._clean + self._clean_runs:
            shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(self._trash, ignore_errors=True)

    def _take_workdir(self) -> Path:
        if self._clean:
            return self._clean.pop()
        self._made += 1
        d = self.work_root / f"w-{os.getpid()}-{id(self)}-{self._made}"
        d.mkdir(parents=True)
        return d

    def _take_rundir(self) -> Path:
        if self._clean_runs:
            return self._clean_runs.pop()
        self._made += 1
        d = self.scratch_root / f"s-{os.getpid()}-{id(self)}-{self._made}"
        (d / "state").mkdir(parents=True)
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


def _kill(proc: subprocess.Popen[bytes] | OSError, pidfd: int | None) -> None:
    """Kill a step's process group that no run drives, and reap it."""
    if pidfd is not None:
        os.close(pidfd)
    if not isinstance(proc, OSError):
        kill_group(proc)


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted()
