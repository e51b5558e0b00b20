"""A worker bound to one machine: it runs the Tinkerbell workflow actions meant for that machine.

It asks the server for work (the workflows whose current action, or whose owed on-timeout/on-failure
command, belongs to its hardware id), and runs each workflow's consecutive actions in order, as
tink-worker did (FACTS 2.4, 3.3), with the issue's fixes:

- per action: report ``STATE_RUNNING`` ("Started execution"), pull the latest ephemeral data into
  ``<data dir>/data`` (mounted as ``/workflow/data``), run the container until it exits or its deadline
  (the action's ``timeout``, one hour when unset, and never past the workflow's ``global_timeout``);
- on success: push the data if it changed, *before* reporting ``STATE_SUCCESS`` (so the next machine's
  worker, which the success hands the workflow to, always pulls it), then report; a file that is too large
  or not a JSON object is not pushed and the refusal is recorded as an event, never dropped silently;
- on failure or timeout: report ``STATE_FAILED``/``STATE_TIMEOUT``; the server then owes this worker the
  action's ``on-failure``/``on-timeout`` command, which it runs in a new container of the same image;
- every call rides out a server outage: it is retried with backoff until it gets through.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from conveyor.errors import BadInput, Conflict, ConveyorError, NotFound
from conveyor.tinkerbell.ephemeral import INITIAL_DATA, MAX_DATA_BYTES, checksum, push_metadata
from conveyor.tinkerbell.execution import MESSAGE_STARTED, MESSAGE_SUCCESS
from conveyor.tinkerbell.runstate import Report
from conveyor.tinkerbell.workflow import DEFAULT_ACTION_TIMEOUT, State
from conveyor.worker.tink_runtime import ActionRun, Outcome, Runtime

T = TypeVar("T")
#: How long an on-timeout/on-failure command may run: at least this, whatever its action's (often short)
#: timeout, since it cleans up after that action ended (tink set it no deadline).
HOOK_TIMEOUT = 300
_STATUS = {"success": State.SUCCESS, "failed": State.FAILED, "timeout": State.TIMEOUT}


class Backend(Protocol):
    """What the worker needs from the server (``client.Client`` over HTTP; ``Service`` in tests)."""

    def tink_work(self, worker_id: str, wait: float = 0.0) -> list[dict[str, Any]]: ...

    def tink_report(self, report: Report) -> dict[str, Any]: ...

    def tink_pull_data(self, workflow_id: str) -> bytes: ...

    def tink_push_data(self, workflow_id: str, metadata: bytes, data: bytes) -> int: ...

    def tink_note(self, workflow_id: str, worker_id: str, message: str) -> None: ...


@dataclass(frozen=True)
class Config:
    hardware_id: str
    home: Path
    #: after an empty answer, how long to wait before asking again
    poll_seconds: float = 1.0
    max_data_bytes: int = MAX_DATA_BYTES
    #: how long the server may hold a request for work until there is some (a long poll; 0: none)
    wait_seconds: float = 0.0


def data_refusal(data: bytes, max_bytes: int) -> str | None:
    """Why ``/workflow/data`` cannot be pushed (too large, not a JSON object), or None if it can."""
    if len(data) > max_bytes:
        size = len(data)
        return f"workflow data not pushed: /workflow/data is {size} bytes, more than the {max_bytes} allowed"
    try:
        value = json.loads(data)
    except ValueError as exc:
        return f"workflow data not pushed: /workflow/data is not JSON ({exc})"
    if not isinstance(value, dict):
        return f"workflow data not pushed: /workflow/data must be a JSON object, not {type(value).__name__}"
    return None


class TinkWorker:
    def __init__(
        self,
        backend: Backend,
        runtime: Runtime,
        config: Config,
        stop: threading.Event | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.backend = backend
        self.runtime = runtime
        self.config = config
        self.stop = stop or threading.Event()
        self.log = log
        #: workflow id -> checksum of the data last pulled or pushed (tink's change marker)
        self._checksums: dict[str, str] = {}
        self.busy = False

    # -- the loop -------------------------------------------------------------------------------
    def run_forever(self) -> None:
        while not self.stop.is_set():
            if not self.run_once():
                self.stop.wait(self.config.poll_seconds)

    def run_once(self) -> int:
        """Ask for work once and run it all; how many workflows had something to run."""
        works = self._call(lambda: self.backend.tink_work(self.config.hardware_id, self.config.wait_seconds))
        for work in works or ():
            self.run_chain(work)
        return len(works or ())

    def run_chain(self, work: dict[str, Any] | None) -> None:
        """Run ``work``, then whatever the server hands back for this machine in the same workflow."""
        while work is not None and not self.stop.is_set():
            self.busy = True
            try:
                work = self._run_hook(work) if work["hook"] else self._run_action(work)
            finally:
                self.busy = False

    # -- one action -----------------------------------------------------------------------------
    def _run_action(self, work: dict[str, Any]) -> dict[str, Any] | None:
        action, workflow_id = work["action"], work["workflow_id"]
        label = f"{workflow_id[:8]} {action['task_name']}/{action['name']}"
        global_deadline = work["global_deadline"]
        if not work["resume"]:
            answer = self._report(work, State.RUNNING, 0, MESSAGE_STARTED)
            if answer is None:
                return None
            global_deadline = answer["global_deadline"]
        data_dir = self._data_dir(workflow_id)
        self._pull(workflow_id, data_dir)
        timeout = action["timeout"] if action["timeout"] > 0 else DEFAULT_ACTION_TIMEOUT
        deadline = time.time() + timeout
        if global_deadline is not None:
            deadline = min(deadline, global_deadline)
        self.log(f"{label}: started ({action['image']}, timeout {timeout}s)")
        outcome = self.runtime.run(self._spec(action, tuple(action["command"]), data_dir), deadline)
        self._show(label, outcome)
        status = _STATUS[outcome.status]
        if status == State.SUCCESS:
            self._push(work, data_dir)
        message = MESSAGE_SUCCESS if status == State.SUCCESS else ""
        answer = self._report(work, status, int(outcome.seconds), message)
        return None if answer is None else answer["work"]

    def _run_hook(self, work: dict[str, Any]) -> dict[str, Any] | None:
        """An action's on-timeout/on-failure command, in a new container of its image; its outcome is
        reported as an event and changes nothing else."""
        action, hook = work["action"], work["hook"]
        label = f"{work['workflow_id'][:8]} {action['task_name']}/{action['name']} {hook}"
        if not work["resume"] and self._report(work, State.RUNNING, 0, "started") is None:
            return None
        timeout = max(action["timeout"], HOOK_TIMEOUT)
        data_dir = self._data_dir(work["workflow_id"])
        spec = self._spec(action, tuple(work["command"]), data_dir, suffix=hook)
        self.log(f"{label}: started")
        outcome = self.runtime.run(spec, time.time() + timeout)
        self._show(label, outcome)
        answer = self._report(work, _STATUS[outcome.status], int(outcome.seconds), outcome.detail)
        return None if answer is None else answer["work"]

    def _spec(
        self, action: dict[str, Any], command: tuple[str, ...], data_dir: Path, suffix: str = ""
    ) -> ActionRun:
        return ActionRun(
            name=f"{action['name']}-{suffix}" if suffix else action["name"],
            image=action["image"],
            command=command,
            environment=tuple(action["environment"]),
            volumes=tuple(action["volumes"]),
            pid=action["pid"],
            data_dir=data_dir,
        )

    def _show(self, label: str, outcome: Outcome) -> None:
        for line in outcome.output.decode("utf-8", "replace").splitlines():
            self.log(f"{label}| {line}")
        self.log(f"{label}: {outcome.status} ({outcome.detail}, {outcome.seconds:.2f}s)")

    # -- ephemeral data -------------------------------------------------------------------------
    def _data_dir(self, workflow_id: str) -> Path:
        """``<home>/<workflow id>``, mounted as ``/workflow``; its ``data`` file starts as ``{}``."""
        path = self.config.home / workflow_id
        data = path / "data"
        if not data.exists():
            path.mkdir(parents=True, exist_ok=True)
            data.write_bytes(INITIAL_DATA)
        return path.absolute()

    def _pull(self, workflow_id: str, data_dir: Path) -> None:
        blob = self._call(lambda: self.backend.tink_pull_data(workflow_id))
        if blob:
            (data_dir / "data").write_bytes(blob)
            self._checksums[workflow_id] = checksum(blob)

    def _push(self, work: dict[str, Any], data_dir: Path) -> None:
        workflow_id, action = work["workflow_id"], work["action"]
        try:
            data = (data_dir / "data").read_bytes()
        except OSError as exc:
            data = f"unreadable: {exc.strerror}".encode()
        current = checksum(data)
        if current == self._checksums.get(workflow_id):
            return
        refusal = data_refusal(data, self.config.max_data_bytes)
        if refusal is not None:
            self.log(f"{workflow_id[:8]} {action['name']}: {refusal}")
            self._call(lambda: self.backend.tink_note(workflow_id, self.config.hardware_id, refusal))
            return
        metadata = push_metadata(
            self.config.hardware_id,
            action["name"],
            action["task_name"],
            _utcnow(),
            current,
        )
        version = self._call(lambda: self.backend.tink_push_data(workflow_id, metadata, data))
        if version is not None:
            self._checksums[workflow_id] = current
            self.log(f"{workflow_id[:8]} {action['name']}: pushed workflow data version {version}")

    # -- talking to the server ------------------------------------------------------------------
    def _report(
        self, work: dict[str, Any], status: State, seconds: int, message: str
    ) -> dict[str, Any] | None:
        action = work["action"]
        report = Report(
            work["workflow_id"],
            self.config.hardware_id,
            action["task_name"],
            action["name"],
            status,
            seconds,
            message,
            work["hook"],
        )
        return self._call(lambda: self.backend.tink_report(report))

    def _call(self, call: Callable[[], T]) -> T | None:
        """``call`` retried through outages; None when the server refused it (logged: the workflow moved
        on without this worker, e.g. it timed out or was deleted)."""
        from conveyor.client import Unreachable

        delay = 0.2
        while True:
            try:
                return call()
            except Unreachable as exc:
                if self.stop.is_set():
                    raise
                self.log(f"server unreachable, retrying: {exc.message}")
                self.stop.wait(delay * (0.5 + random.random()))
                delay = min(delay * 2, 5.0)
            except (Conflict, NotFound, BadInput) as exc:
                self.log(f"refused by the server: {exc.message}")
                return None
            except ConveyorError as exc:
                if exc.code != "store_error" or self.stop.is_set():
                    raise
                self.log(f"server error, retrying: {exc.message}")
                self.stop.wait(delay)
                delay = min(delay * 2, 5.0)


def _utcnow() -> datetime:
    return datetime.now(UTC)
