"""What every part of the service shares: caches, the per-transaction context, notifications."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from conveyor.engine.dag import Graph, build
from conveyor.errors import BadInput, NotFound
from conveyor.model.pipeline import Step, pipeline_from_dict
from conveyor.model.work import StepSpec
from conveyor.service.queue_watch import QueueWatch
from conveyor.settings import Settings
from conveyor.settings import load as load_settings
from conveyor.store.base import Row, Store, Tx

#: Properties a user may put: printable keys without '=' or whitespace.
_MAX_KEY = 256
_MAX_VALUE = 64 * 1024


@dataclass
class ApplyResult:
    pipeline_id: int
    name: str
    version: int
    changed: bool
    new_versions: list[str] = field(default_factory=list)
    triggered: list[str] = field(default_factory=list)


#: a completion's trigger of its consumers held back (``Ctx.deferred``): (consumers, cause, their
#: open runs as read with the run, or None)
HeldTrigger = tuple[tuple[str, ...], dict[str, Any], tuple[list[int], dict[int, Row]] | None]


@dataclass
class Ctx:
    """What one transaction on one pipeline carries around."""

    tx: Tx
    pipeline_id: int
    version: int
    graph: Graph
    now: float
    job_ids: dict[str, int]
    resource_rows: dict[str, Row]
    triggered: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    #: what leasing from this pipeline would read now, when the scheduling step read it already
    #: (``_promote`` with ``lease``); used once
    leasable: list[Row] | None = None
    #: job id -> its last succeeded run (None: none yet), read with the scheduling step's reads
    upstream_runs: dict[int, Row | None] | None = None
    #: ids of the jobs whose runs succeeded in this transaction
    succeeded: list[int] = field(default_factory=list)
    #: ids of the jobs whose open runs a trigger in this transaction may have changed: what was
    #: read of theirs before is stale
    touched: set[int] = field(default_factory=set)
    #: (consumers, cause, their open runs read with the run) of the runs a worker reported together
    #: that succeeded, triggered once they are all recorded (``WorkerOps._flush_triggers``): a
    #: fan-out's runs that ended together trigger its join once; None: each triggers at once
    deferred: list[HeldTrigger] | None = None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the known name nearest a mistyped one, or "" (difflib is
    imported only when an error needs it: it costs every command's start-up otherwise)."""
    from difflib import get_close_matches

    hint = get_close_matches(name, list(known), n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


def new_uuid() -> str:
    """A new random id, as text (uuid is imported on first use: it imports platform, which costs
    every command's start-up otherwise)."""
    import uuid

    return str(uuid.uuid4())


def _steps(steps: tuple[Step, ...]) -> list[StepSpec]:
    return [StepSpec(label=s.label, run=s.run, env=dict(s.env)) for s in steps]


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (on this host)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_lost(row: Row, now: float, host: str) -> str | None:
    """Why the worker holding a running run or task is gone (its lease lapsed, or its process on this
    host died), or None while it is there. ``row`` has ``lease_expires_at``, ``hostname`` and ``pid``."""
    pid = row["pid"]
    if row["hostname"] == host and pid is not None and pid != os.getpid() and not pid_alive(pid):
        return f"its worker (process {pid} on {row['hostname']}) died"
    if row["lease_expires_at"] is not None and row["lease_expires_at"] < now:
        return "its worker stopped renewing the lease"
    return None


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_properties(properties: dict[str, str], env_names: bool = False) -> None:
    """Keys and values a version may hold; params keys must also be environment variable names."""
    for key, value in properties.items():
        if not key or len(key) > _MAX_KEY or "=" in key or any(c.isspace() for c in key):
            raise BadInput(f"bad property key {key!r}: keys are non-empty, without '=' or spaces")
        if env_names and not _ENV_NAME.match(key):
            raise BadInput(f"bad property key {key!r}: params keys must be environment variable names")
        if len(value) > _MAX_VALUE:
            raise BadInput(f"property {key!r} is {len(value)} bytes, over the {_MAX_VALUE}-byte limit")


class ServiceBase:
    def __init__(
        self, store: Store, settings: Settings | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.settings = settings or load_settings()
        self._now = clock
        self._graphs: dict[tuple[int, int], Graph] = {}
        #: pipeline name -> id: both fixed once the pipeline exists
        self._pipeline_ids: dict[str, int] = {}
        #: (pipeline id, version) -> (job name -> id, resource name -> {id, type, active})
        self._meta: dict[tuple[int, int], tuple[dict[str, int], dict[str, Row]]] = {}
        #: jobs known to have succeeded at least once: that only ever becomes true.
        self._succeeded_jobs: set[int] = set()
        #: run id -> the ids of the jobs its success triggers, noted when this process leased it, so
        #: that the completion reads their open runs with the run itself (a hint: checked on use)
        self._consumers_of_leased: dict[int, list[int]] = {}
        #: the upstream jobs the last few leases read (most recent last): the next lease likely reads
        #: them too, so a scheduling step reads them ahead, in its round trip (``_promote``)
        self._recent_upstreams: dict[int, None] = {}
        #: workflow id -> (row revision, execution) as this process last saved it; taken out on use, so
        #: a rolled-back transaction leaves nothing stale behind
        self._executions: dict[int, tuple[int, Any]] = {}

        #: called (no arguments) after a commit that queued runs: local pools and lease long-polls wake up
        self.on_queued: list[Callable[[], None]] = []
        #: called with each leased run's wait between queued and started (seconds), for metrics
        self.on_leased: list[Callable[[float], None]] = []
        #: called with each finished run's status, for metrics
        self.on_finished: list[Callable[[str], None]] = []
        self._queued = threading.local()
        #: bumped after each commit that queued runs; lease long-polls wait on the condition
        self._queued_cond = threading.Condition()
        self._queued_generation = 0
        #: what lets a lease long-poll notice work queued by other processes without leasing in a loop
        self._queue_watch = QueueWatch(store, self._queued_cond)
        #: set when the server shuts down: long-polls return at once
        self.closing = threading.Event()

    @contextmanager
    def _transaction(self) -> Iterator[Tx]:
        """A write transaction that, once committed, wakes whoever waits for queued runs."""
        self._queued.flag = False
        with self.store.transaction() as tx:
            yield tx
        if getattr(self._queued, "flag", False):
            self._queued.flag = False
            with self._queued_cond:
                self._queued_generation += 1
                self._queued_cond.notify_all()
            for callback in list(self.on_queued):
                callback()

    def close_long_polls(self) -> None:
        """The server is shutting down: lease long-polls return now, so shutdown does not wait for them."""
        self.closing.set()
        with self._queued_cond:
            self._queued_cond.notify_all()

    def _mark_queued(self) -> None:
        self._queued.flag = True

    # -- context --------------------------------------------------------------------------------
    def _graph(self, tx: Tx, pipeline_id: int, version: int) -> Graph:
        key = (pipeline_id, version)
        graph = self._graphs.get(key)
        if graph is None:
            row = tx.pipeline_version(pipeline_id, version)
            if row is None:
                raise NotFound(f"pipeline version {version} not found")
            graph = build(pipeline_from_dict(json.loads(row["definition"])))
            self._graphs[key] = graph
        return graph

    def _ctx(self, tx: Tx, pipeline: Row, now: float) -> Ctx:
        pid, version = pipeline["id"], pipeline["current_version"]
        meta = self._meta.get((pid, version))
        if meta is None:
            # job and resource ids never change once made, so one read per pipeline version suffices
            meta = (
                {j["name"]: j["id"] for j in tx.jobs(pid)},
                {
                    r["name"]: {"id": r["id"], "type": r["type"], "active": r["active"]}
                    for r in tx.resources(pid)
                },
            )
            self._meta[(pid, version)] = meta
        return Ctx(
            tx=tx,
            pipeline_id=pid,
            version=version,
            graph=self._graph(tx, pid, version),
            now=now,
            job_ids=meta[0],
            resource_rows=meta[1],
        )

    def _pipeline(self, tx: Tx, name: str | None, lock: bool = False) -> Row:
        if name is None:
            rows = tx.pipelines()
            if len(rows) == 1:
                name = rows[0]["name"]
            elif not rows:
                raise NotFound("no pipeline has been applied yet: run `conveyor run FILE` first")
            else:
                names = ", ".join(r["name"] for r in rows)
                raise BadInput(f"several pipelines exist ({names}): name one with --pipeline")
        row = tx.pipeline_by_name(name, lock=lock)
        if row is None:
            known = [r["name"] for r in tx.pipelines()]
            raise NotFound(f"no pipeline named {name!r}" + did_you_mean(name, known))
        return row
