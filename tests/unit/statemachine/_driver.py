"""A fake outside world for executions: runs tasks with scripted results, fires timers, keeps a log.

``drive`` plays the engine's part of the protocol: advance, perform effects, report, advance again, moving
the clock only to the next timer (no sleeping). With ``resume=True`` (the default) the execution is
serialised to JSON text and rebuilt between every single call, which is how the engine will run it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from conveyor.statemachine import (
    Cancelled,
    CancelTask,
    CancelTimer,
    Effect,
    Execution,
    Failed,
    Finished,
    RunTask,
    Timer,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Ok:
    output: Any


@dataclass(frozen=True)
class Fail:
    error: str | None = None
    cause: str | None = None


#: What a fake task does: succeed, fail, or stay running (None).
Outcome = Ok | Fail | None
Handler = Callable[[RunTask], Outcome]


def echo(task: RunTask) -> Outcome:
    """The default task: succeeds with its input."""
    return Ok(task.input)


@dataclass
class Run:
    execution: Execution
    now: datetime
    effects: list[Effect] = field(default_factory=list)
    tasks: list[RunTask] = field(default_factory=list)
    timers: dict[str, datetime] = field(default_factory=dict)
    cancelled: list[str] = field(default_factory=list)
    serialised: int = 0

    @property
    def status(self) -> str:
        return self.execution.status

    @property
    def states(self) -> list[str]:
        return [job["state"] for job in self.execution.jobs]

    def final(self) -> Effect:
        return self.effects[-1]


def roundtrip(execution: Execution) -> Execution:
    return Execution.from_dict(json.loads(json.dumps(execution.to_dict())))


def drive(
    definition: Any,
    input: Any = None,
    handler: Handler | dict[str, Any] = echo,
    *,
    resume: bool = True,
    context: dict[str, Any] | None = None,
    start: datetime = T0,
    max_rounds: int = 10_000,
    until: Callable[[Run], bool] | None = None,
    **options: Any,
) -> Run:
    """Run ``definition`` until it finishes (or ``until`` holds, or nothing more can happen).

    ``handler`` may be a dict from state name to an Outcome, or to a list of Outcomes used in turn.
    """
    ex = Execution.start(definition, {} if input is None else input, context, seed="test-seed", **options)
    run = Run(ex, start)
    handle = _handler(handler)
    pending: list[tuple[str, Outcome]] = []
    for _ in range(max_rounds):
        if resume:
            run.execution = roundtrip(run.execution)
            run.serialised += 1
        for token, outcome in pending:
            if isinstance(outcome, Ok):
                run.execution.task_succeeded(token, outcome.output)
            elif isinstance(outcome, Fail):
                run.execution.task_failed(token, outcome.error, outcome.cause)
            else:
                run.execution.timer_fired(token)
            if resume:
                run.execution = roundtrip(run.execution)
                run.serialised += 1
        pending = []
        effects = run.execution.advance(run.now)
        run.effects += effects
        for effect in effects:
            if isinstance(effect, RunTask):
                run.tasks.append(effect)
                outcome = handle(effect)
                if outcome is not None:
                    pending.append((effect.token, outcome))
            elif isinstance(effect, Timer):
                run.timers[effect.token] = effect.at
            elif isinstance(effect, CancelTask | CancelTimer):
                run.cancelled.append(effect.token)
                run.timers.pop(effect.token, None)
        if run.effects and isinstance(run.effects[-1], Finished | Failed | Cancelled):
            return run
        if until is not None and until(run):
            return run
        if not pending and run.timers:
            token = min(run.timers, key=lambda t: run.timers[t])
            run.now = max(run.now, run.timers.pop(token))
            pending.append((token, None))
        if not pending:
            return run
    raise AssertionError("the execution did not finish")


def _handler(handler: Handler | dict[str, Any]) -> Handler:
    if callable(handler):
        return handler
    script = {name: list(v) if isinstance(v, list) else v for name, v in handler.items()}

    def handle(task: RunTask) -> Outcome:
        if task.state not in script:
            return Ok(task.input)
        outcome = script[task.state]
        if isinstance(outcome, list):
            return outcome.pop(0) if outcome else Ok(task.input)
        return outcome  # type: ignore[no-any-return]

    return handle


def machine(states: dict[str, Any], start: str | None = None, **extra: Any) -> dict[str, Any]:
    """A state machine from its states (StartAt: the first one unless given)."""
    return {"StartAt": start or next(iter(states)), "States": states, **extra}


def one(state: dict[str, Any]) -> dict[str, Any]:
    """A machine of the single state ``S`` (which ends it unless it says otherwise)."""
    if state["Type"] not in ("Choice", "Succeed", "Fail") and "Next" not in state:
        state = {**state, "End": True}
    return machine({"S": state})


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)
