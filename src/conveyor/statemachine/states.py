"""What each state type does when it is entered (or retried): the States Language's semantics per type.

Pass, Choice, Succeed and Fail finish at once; Task and Wait leave the run waiting for a token; Parallel
and Map start child runs. Any ``StatesError`` raised here is the state's error, handled by the engine
(Retry / Catch, or failure); ``States.Runtime`` fails the execution outright.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from conveyor.statemachine import choice, dataflow, history, intrinsics
from conveyor.statemachine import effects as fx
from conveyor.statemachine import errors as names
from conveyor.statemachine.engine import Engine, Run
from conveyor.statemachine.errors import StatesError
from conveyor.statemachine.values import Json, format_timestamp, is_integer, parse_timestamp, type_name


def enter(engine: Engine, run: Run) -> None:
    """``run`` arrives in its current state: a new job, then the state's work."""
    state = engine.definition(run)
    job_id = str(len(engine.s["jobs"]) + 1)
    job = history.new_job(
        job_id, run["state"], state["Type"], run["branch"], run["input"], engine.stamp, state.get("Resource")
    )
    engine.s["jobs"].append(job)
    run.update(job=len(engine.s["jobs"]) - 1, entered_at=engine.stamp, retries={}, retry_count=0)
    execute(engine, run)


def again(engine: Engine, run: Run) -> None:
    """A retry interval passed: the same job tries again."""
    history.retry(engine.job(run), engine.stamp)
    execute(engine, run)


def execute(engine: Engine, run: Run) -> None:
    state = engine.definition(run)
    try:
        _TYPES[state["Type"]](engine, run, state)
    except StatesError as exc:
        if run["token"] is not None:  # a task that failed before it was asked for: nobody knows its token
            engine.s["waits"].pop(run["token"], None)
            run["token"] = None
        engine.state_failed(run, exc.error, exc.cause)


def _pass(engine: Engine, run: Run, state: dict[str, Any]) -> None:
    effective = dataflow.effective_input(state, run["input"], engine.scope(run))
    result = state.get("Result", effective)
    engine.complete(run, dataflow.state_output(state, run["input"], result))


def _task(engine: Engine, run: Run, state: dict[str, Any]) -> None:
    token = engine.wait_for(run, "task")
    selected = dataflow.input_path(state, run["input"])
    effective = dataflow.effective_input(state, run["input"], engine.scope(run, Task={"Token": token}))
    default = engine.s["options"]["default_task_timeout"]
    timeout = _seconds(state, "TimeoutSeconds", selected, default)
    heartbeat = _seconds(state, "HeartbeatSeconds", selected, None)
    run["phase"] = "task"
    run["task"] = {
        "resource": state["Resource"],
        "input": effective,
        "timeout": timeout,
        "heartbeat": heartbeat,
    }
    job = engine.job(run)
    job["status"] = fx.JOB_QUEUED
    job["token"] = token
    engine.effects.append(task_effect(run, token))


def task_effect(run: Run, token: str) -> fx.RunTask:
    task = run["task"]
    return fx.RunTask(
        token,
        task["resource"],
        task["input"],
        task["timeout"],
        task["heartbeat"],
        run["state"],
        run["retry_count"] + 1,
    )


def _seconds(state: dict[str, Any], field: str, selected: Json, default: int | None) -> int | None:
    if field in state:
        return int(state[field])
    if f"{field}Path" not in state:
        return default
    value = dataflow.reference(selected, state[f"{field}Path"], f"{field}Path")
    if not is_integer(value) or value <= 0:
        raise StatesError(names.RUNTIME, f"{field}Path must point to a positive integer, not {value!r}")
    return int(value)


def _choice(engine: Engine, run: Run, state: dict[str, Any]) -> None:
    effective = dataflow.input_path(state, run["input"])
    target = choice.choose(state, effective, engine.context(run))
    engine.complete(run, dataflow.output_path(state, effective), target)


def _wait(engine: Engine, run: Run, state: dict[str, Any]) -> None:
    effective = dataflow.input_path(state, run["input"])
    context = engine.context(run)
    if "Seconds" in state or "SecondsPath" in state:
        seconds = state.get("Seconds")
        if "SecondsPath" in state:
            seconds = dataflow.reference(effective, state["SecondsPath"], "SecondsPath", context)
        if not is_integer(seconds) or seconds < 0:
            raise StatesError(
                names.RUNTIME, f"a Wait state's seconds must be a non-negative integer, not {seconds!r}"
            )
        at = engine.now + timedelta(seconds=int(seconds))
    else:
        stamp = state.get("Timestamp")
        if "TimestampPath" in state:
            stamp = dataflow.reference(effective, state["TimestampPath"], "TimestampPath", context)
        instant = parse_timestamp(stamp)
        if instant is None:
            raise StatesError(
                names.RUNTIME, f"a Wait state's timestamp must be an RFC 3339 time, not {stamp!r}"
            )
        at = instant
    output = dataflow.output_path(state, effective)
    if at <= engine.now:
        engine.complete(run, output)
        return
    run.update(phase="wait", wait_output=output)
    engine.job(run)["status"] = fx.JOB_RUNNING
    engine.wait_for(run, "wait", format_timestamp(at))


def _succeed(engine: Engine, run: Run, state: dict[str, Any]) -> None:
    engine.complete(run, dataflow.output_path(state, dataflow.input_path(state, run["input"])))


def _fail(engine: Engine, run: Run, state: dict[str, Any]) -> None:
    error = _fail_field(engine, run, state, "Error")
    cause = _fail_field(engine, run, state, "Cause")
    history.fail(engine.job(run), error, cause, engine.stamp)
    engine.run_failed(run, error, cause)


def _fail_field(engine: Engine, run: Run, state: dict[str, Any], field: str) -> str | None:
    if field in state:
        return str(state[field])
    expression = state.get(f"{field}Path")
    if expression is None:
        return None
    context = engine.context(run)
    if expression.startswith("$"):
        value = dataflow.reference(run["input"], expression, f"{field}Path", context)
    else:
        value = intrinsics.evaluate(expression, run["input"], context, engine.rng())
    if not isinstance(value, str):
        raise StatesError(names.RUNTIME, f"{field}Path must yield a string, not the {type_name(value)}")
    return value


def _parallel(engine: Engine, run: Run, state: dict[str, Any]) -> None:
    effective = dataflow.effective_input(state, run["input"], engine.scope(run))
    branches = state["Branches"]
    run.update(
        phase="children", children={"results": [None] * len(branches), "left": len(branches), "running": {}}
    )
    engine.job(run)["status"] = fx.JOB_RUNNING
    for i in range(len(branches)):
        engine.child(run, "Branches", i, effective)


def _map(engine: Engine, run: Run, state: dict[str, Any]) -> None:
    effective = dataflow.input_path(state, run["input"])
    items = dataflow.reference(effective, state.get("ItemsPath", "$"), "ItemsPath")
    if not isinstance(items, list):
        raise StatesError(names.RUNTIME, f"ItemsPath must point to an array, not the {type_name(items)}")
    limit = state.get("MaxConcurrency", 0)
    if "MaxConcurrencyPath" in state:
        limit = dataflow.reference(effective, state["MaxConcurrencyPath"], "MaxConcurrencyPath")
        if not is_integer(limit) or limit < 0:
            raise StatesError(
                names.RUNTIME, f"MaxConcurrencyPath must point to a non-negative integer, not {limit!r}"
            )
    if not items:
        engine.result(run, [])
        return
    run.update(
        phase="children",
        children={
            "input": effective,
            "items": items,
            "next": 0,
            "limit": int(limit),
            "results": [None] * len(items),
            "left": len(items),
            "running": {},
        },
    )
    engine.job(run)["status"] = fx.JOB_RUNNING
    engine.launch_items(run)


_TYPES = {
    "Pass": _pass,
    "Task": _task,
    "Choice": _choice,
    "Wait": _wait,
    "Succeed": _succeed,
    "Fail": _fail,
    "Parallel": _parallel,
    "Map": _map,
}
