"""``Execution``: a resumable, event-driven States Language interpreter whose whole state is one JSON dict.

The protocol, in full::

    execution = Execution.start(definition, input, context)      # status "queued"; nothing runs yet
    effects = execution.advance(now)                             # runs what can run; returns effects
    # ... the outside performs the effects, then reports by token:
    execution.task_started(token, worker)                        # optional: the job becomes "running"
    execution.task_succeeded(token, output)   /   execution.task_failed(token, error, cause)
    execution.timer_fired(token)                                 # a Timer's time has come
    execution.cancel(reason)
    effects = execution.advance(now)                             # processes the reports, and so on
    stored = execution.to_dict()  ...  Execution.from_dict(stored)   # at any point, e.g. after each step

Reports only record (they return False for unknown, stale or repeated tokens); ``advance`` does the work, with
the time it is given, so the engine can persist the state after every call and resume after a crash. If it
crashed after persisting but before performing the effects, ``outstanding()`` lists every task and timer the
execution is still waiting for; re-issuing them is safe, as tokens identify them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from conveyor.errors import BadInput, Conflict
from conveyor.statemachine import effects as fx
from conveyor.statemachine import errors as names
from conveyor.statemachine import states
from conveyor.statemachine.definition import Definition, load
from conveyor.statemachine.engine import MAX_STEPS, Engine
from conveyor.statemachine.values import Json, copy_json, parse_timestamp, utc

#: The version of the state dict's layout; ``from_dict`` refuses others.
FORMAT = 1
#: The spec's default TimeoutSeconds for Task states.
SPEC_TASK_TIMEOUT = 60
_NO_INPUT: Any = object()


class Execution:
    """One execution of a state machine. Create it with ``start`` or ``from_dict``."""

    def __init__(self, state: dict[str, Any]) -> None:
        self._s = state

    @classmethod
    def start(
        cls,
        definition: Definition | Mapping[str, Any],
        input: Json = _NO_INPUT,
        context: Mapping[str, Any] | None = None,
        *,
        seed: str | None = None,
        default_task_timeout: int | None = SPEC_TASK_TIMEOUT,
    ) -> Execution:
        """A new, queued execution of ``definition`` (any shape ``load`` accepts; invalid ones raise).

        ``input`` defaults to ``{}`` as in the spec. ``context`` is the start of the context object (``$$``),
        typically ``{"Execution": {"Id": ..., "Name": ...}, "StateMachine": {...}}``; the engine adds
        ``Execution.Input``, ``Execution.StartTime``, ``State``, ``Task.Token`` and ``Map.Item``. ``seed``
        makes ``States.UUID``, ``States.MathRandom`` and retry jitter reproducible (random by default).
        ``default_task_timeout`` is what a Task without TimeoutSeconds gets: the spec says 60 seconds;
        None means no limit (what AWS does).
        """
        loaded = load(definition)
        if default_task_timeout is not None and (
            not isinstance(default_task_timeout, int)
            or isinstance(default_task_timeout, bool)
            or default_task_timeout <= 0
        ):
            raise BadInput(
                f"default_task_timeout must be a positive integer or None, not {default_task_timeout!r}"
            )
        try:
            value = {} if input is _NO_INPUT else copy_json(input, "the execution's input")
            ctx = copy_json(dict(context or {}), "the context object")
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        execution = ctx.setdefault("Execution", {})
        if not isinstance(execution, dict):
            raise BadInput("the context object's Execution must be an object")
        execution["Input"] = value
        return cls(
            {
                "format": FORMAT,
                "machine": copy_json(loaded.machine),
                "name": loaded.name,
                "context": ctx,
                "input": value,
                "seed": seed if seed is not None else os.urandom(16).hex(),
                "options": {"default_task_timeout": default_task_timeout},
                "status": fx.QUEUED,
                "started_at": None,
                "stopped_at": None,
                "deadline": None,
                "output": None,
                "error": None,
                "cause": None,
                "status_reason": None,
                "cancel": None,
                "inbox": [],
                "next_id": 1,
                "draws": 0,
                "runs": {},
                "waits": {},
                "jobs": [],
            }
        )

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> Execution:
        """The execution ``to_dict`` described (a copy of it: later changes to ``state`` do not matter)."""
        if not isinstance(state, Mapping) or state.get("format") != FORMAT:
            raise BadInput(f"not an execution state of format {FORMAT}")
        return cls(copy_json(dict(state), "the execution state"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Execution:
        """The execution ``to_json`` wrote: parsed once, without the defensive copy of ``from_dict``."""
        state = json.loads(text)
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise BadInput(f"not an execution state of format {FORMAT}")
        return cls(state)

    def to_json(self) -> str:
        """Everything about the execution as JSON text (what a store keeps between calls)."""
        return json.dumps(self._s, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    def to_dict(self) -> dict[str, Any]:
        """Everything about the execution, as a fresh JSON-ready dict."""
        copied: dict[str, Any] = copy_json(self._s)
        return copied

    # -- reports ------------------------------------------------------------------------------------

    def task_started(self, token: str, worker: str | None = None) -> bool:
        """The task ``token`` was picked up (by ``worker``): its job becomes ``running``."""
        return self._report(token, ("task",), {"kind": "started", "worker": worker}, final=False)

    def task_succeeded(self, token: str, output: Json) -> bool:
        """The task ``token`` succeeded with ``output`` (any JSON value)."""
        try:
            value = copy_json(output, "the task's output")
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        return self._report(token, ("task",), {"kind": "succeeded", "output": value})

    def task_failed(self, token: str, error: str | None = None, cause: str | None = None) -> bool:
        """The task ``token`` failed with ``error`` (default ``States.TaskFailed``) and ``cause``.

        Timeouts are task failures too: report ``States.Timeout`` or ``States.HeartbeatTimeout``.
        """
        event = {"kind": "failed", "error": error or names.TASK_FAILED, "cause": cause}
        return self._report(token, ("task",), event)

    def timer_fired(self, token: str) -> bool:
        """The time of the Timer ``token`` has come."""
        return self._report(token, ("wait", "retry", "deadline"), {"kind": "fired"})

    def cancel(self, reason: str | None = None) -> bool:
        """Ask to stop the execution; the next ``advance`` stops it. False when it has already finished."""
        if self._s["status"] in fx.FINISHED:
            return False
        if self._s["cancel"] is None:
            self._s["cancel"] = {"reason": reason}
        return True

    def _report(self, token: str, kinds: tuple[str, ...], event: dict[str, Any], final: bool = True) -> bool:
        wait = self._s["waits"].get(token)
        if self._s["status"] in fx.FINISHED or wait is None or wait["reported"] or wait["kind"] not in kinds:
            return False
        wait["reported"] = final
        self._s["inbox"].append({"token": token, **event})
        return True

    # -- running ------------------------------------------------------------------------------------

    def advance(self, now: datetime) -> list[fx.Effect]:
        """Process the reports so far and run every state that can run at ``now``; the effects to perform."""
        s = self._s
        if s["status"] in fx.FINISHED:
            return []
        engine = Engine(s, utc(now))
        if s["status"] == fx.QUEUED and s["cancel"] is None:
            self._begin(engine)
        if s["cancel"] is not None:
            reason = s["cancel"]["reason"]
            engine.end(fx.CANCELLED, fx.Cancelled(reason), status_reason=reason, cause=reason)
            return engine.effects
        deadline = parse_timestamp(s["deadline"])
        if deadline is not None and engine.now >= deadline:
            engine.time_out()
            return engine.effects
        self._drain_inbox(engine)
        self._run_ready(engine)
        return engine.effects

    def _begin(self, engine: Engine) -> None:
        s = self._s
        s.update(status=fx.RUNNING, started_at=engine.stamp)
        s["context"]["Execution"].setdefault("StartTime", engine.stamp)
        if "TimeoutSeconds" in s["machine"]:
            s["deadline"] = engine.after(s["machine"]["TimeoutSeconds"])
            engine.wait_for(None, "deadline", s["deadline"])
        engine.new_run([], None, "", s["input"])

    def _drain_inbox(self, engine: Engine) -> None:
        s = self._s
        inbox, s["inbox"] = s["inbox"], []
        for event in inbox:
            if not engine.running:
                return
            token = event["token"]
            wait = s["waits"].get(token)
            run = s["runs"].get(wait["run"]) if wait is not None and wait["run"] is not None else None
            if event["kind"] == "started":
                if run is not None and run["job"] is not None:
                    job = engine.job(run)
                    job["status"] = fx.JOB_RUNNING
                    job["worker"] = event["worker"]
                    job["started_at"] = engine.stamp
                continue
            if wait is None:
                continue
            del s["waits"][token]
            if wait["kind"] == "deadline":
                engine.time_out()
                return
            if run is None:
                continue
            run["token"] = None
            if wait["kind"] == "wait":
                engine.complete(run, run["wait_output"])
            elif wait["kind"] == "retry":
                run["phase"] = "again"
                engine.ready.append(run["id"])
            elif event["kind"] == "succeeded":
                engine.result(run, event["output"])
            else:
                engine.state_failed(run, event["error"], event["cause"])

    def _run_ready(self, engine: Engine) -> None:
        steps = 0
        while engine.ready and engine.running:
            run = self._s["runs"].get(engine.ready.popleft())
            if run is None:
                continue  # aborted while it was queued
            steps += 1
            if steps > MAX_STEPS:
                cause = f"more than {MAX_STEPS} state transitions without waiting for anything (a loop?)"
                engine.end(fx.FAILED, fx.Failed(names.RUNTIME, cause), error=names.RUNTIME, cause=cause)
                return
            if run["phase"] == "again":
                states.again(engine, run)
            else:
                states.enter(engine, run)

    def outstanding(self) -> list[fx.Effect]:
        """A RunTask or Timer for everything the execution waits for (to re-issue after a crash)."""
        found: list[fx.Effect] = []
        for token, wait in self._s["waits"].items():
            if wait["reported"]:
                continue
            if wait["kind"] == "task":
                found.append(states.task_effect(self._s["runs"][wait["run"]], token))
            else:
                instant = parse_timestamp(wait["at"])
                assert instant is not None
                found.append(fx.Timer(token, instant))
        return found

    # -- what happened ------------------------------------------------------------------------------

    @property
    def status(self) -> str:
        """``queued``, ``running``, ``succeeded``, ``failed`` or ``cancelled``."""
        return str(self._s["status"])

    @property
    def output(self) -> Json:
        """The output of a succeeded execution (None otherwise)."""
        return copy_json(self._s["output"])

    @property
    def error(self) -> str | None:
        return self._s["error"]  # type: ignore[no-any-return]

    @property
    def cause(self) -> str | None:
        return self._s["cause"]  # type: ignore[no-any-return]

    @property
    def status_reason(self) -> str | None:
        """Clever's statusReason: "Workflow timed out", or the reason given to ``cancel``."""
        return self._s["status_reason"]  # type: ignore[no-any-return]

    @property
    def name(self) -> str | None:
        """The definition's name, when its shape had one (Clever's request and Batch-era formats)."""
        return self._s["name"]  # type: ignore[no-any-return]

    @property
    def machine(self) -> dict[str, Any]:
        """The States Language machine being run."""
        machine: dict[str, Any] = copy_json(self._s["machine"])
        return machine

    @property
    def jobs(self) -> list[fx.Job]:
        """The history: one job per state entered, in the order entered."""
        jobs: list[fx.Job] = copy_json(self._s["jobs"])
        return jobs

    @property
    def last_job(self) -> fx.Job | None:
        """Clever's lastJob, set for failed executions only: the last job that failed (else the last job)."""
        jobs = self._s["jobs"]
        if self._s["status"] != fx.FAILED or not jobs:
            return None
        failed = [j for j in jobs if j["status"] == fx.JOB_FAILED]
        found: fx.Job = copy_json(failed[-1] if failed else jobs[-1])
        return found

    def resume_input(self, start_at: str) -> Json:
        """The input for a new execution that resumes this finished one at the top-level state ``start_at``.

        Clever's rule (``ResumeWorkflowByID``): the last job's input if it ran ``start_at``, else the input
        of the first job that did; that job must have started. Pair it with ``with_start_at``. Raises
        ``Conflict`` while the execution is not finished, ``BadInput`` when no such job started.
        """
        if self._s["status"] not in fx.FINISHED:
            raise Conflict(f"the execution is {self._s['status']}; only a finished execution can be resumed")
        top = [j for j in self._s["jobs"] if j["branch"] == ""]
        candidates = [top[-1]] if top and top[-1]["state"] == start_at else []
        candidates += [j for j in top if j["state"] == start_at]
        if not candidates:
            raise BadInput(f'no job ran the state "{start_at}", so there is no input to resume it with')
        job = candidates[0]
        if job["status"] in (fx.JOB_CREATED, fx.JOB_QUEUED, fx.JOB_ABORTED_DEPS_FAILED):
            raise BadInput(f'the job of state "{start_at}" never started, so it cannot be resumed from')
        return copy_json(job["input"])

    @property
    def started_at(self) -> datetime | None:
        return parse_timestamp(self._s["started_at"])

    @property
    def stopped_at(self) -> datetime | None:
        return parse_timestamp(self._s["stopped_at"])
