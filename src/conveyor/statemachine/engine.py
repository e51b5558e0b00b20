"""The interpreter's mechanics: runs, the ready queue, reports, Retry / Catch, failure and cancellation.

An execution is a tree of *runs*: the top-level machine is one run, each Parallel branch and each Map item
is a run of its own, with a parent run waiting for it. A run is always in one phase: ``ready`` (its current
state is to be entered), ``again`` (to be retried now), ``task`` / ``wait`` / ``retry`` (waiting for the
token of a task or timer), or ``children`` (a Parallel / Map state waiting for its runs). Everything lives in
one JSON dict (see ``interpreter.py``); ``Engine`` is a short-lived view of it for one ``advance`` call.
What each state type does when entered is in ``states.py``.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from conveyor.statemachine import dataflow, history
from conveyor.statemachine import effects as fx
from conveyor.statemachine import errors as names
from conveyor.statemachine.errors import StatesError, matches
from conveyor.statemachine.values import Json, format_timestamp, parse_timestamp

#: State transitions one ``advance`` may make without waiting for anything: a loop of Pass / Choice states
#: with no Wait or Task would otherwise never return (AWS stops such an execution at 25,000 events).
MAX_STEPS = 250_000
#: Retry defaults from the spec.
DEFAULT_INTERVAL, DEFAULT_ATTEMPTS, DEFAULT_BACKOFF = 1, 3, 2.0

Run = dict[str, Any]


class Engine:
    """The execution state ``s`` seen at the time ``now``; effects collect in ``effects``."""

    def __init__(self, state: dict[str, Any], now: datetime) -> None:
        self.s = state
        self.now = now
        self.stamp = format_timestamp(now)
        self.effects: list[fx.Effect] = []
        #: Runs whose state is to be entered (or retried) now; empty again when ``advance`` returns.
        self.ready: deque[str] = deque()
        self._machines: dict[tuple[Any, ...], dict[str, Any]] = {}

    # -- lookups ------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return bool(self.s["status"] == fx.RUNNING)

    def machine(self, run: Run) -> dict[str, Any]:
        key = tuple(run["machine"])
        found = self._machines.get(key)
        if found is None:
            found = self.s["machine"]
            for step in key:
                found = found[step]
            self._machines[key] = found
        return found

    def definition(self, run: Run) -> dict[str, Any]:
        return dict(self.machine(run)["States"][run["state"]])

    def job(self, run: Run) -> fx.Job:
        job: fx.Job = self.s["jobs"][run["job"]]
        return job

    def next_id(self, prefix: str) -> str:
        n = self.s["next_id"]
        self.s["next_id"] = n + 1
        return f"{prefix}{n}"

    def context(self, run: Run, **extra: Json) -> dict[str, Json]:
        """The context object a state sees (``$$``)."""
        ctx = dict(self.s["context"])
        ctx["State"] = {
            "Name": run["state"],
            "EnteredTime": run["entered_at"],
            "RetryCount": run["retry_count"],
        }
        ctx.update(extra)
        return ctx

    def rng(self) -> random.Random:
        """Randomness that replays identically: seeded by the execution's seed and a counter in its state."""
        n = self.s["draws"]
        self.s["draws"] = n + 1
        return random.Random(f"{self.s['seed']}/{n}")

    def scope(self, run: Run, **extra: Json) -> dataflow.Scope:
        return dataflow.Scope(self.context(run, **extra), self.rng())

    def after(self, seconds: float) -> str:
        return format_timestamp(self.now + timedelta(seconds=seconds))

    # -- runs ---------------------------------------------------------------------------------------

    def new_run(self, machine: list[str | int], parent: Json, branch: str, raw: Json) -> Run:
        run: Run = {
            "id": self.next_id("r"),
            "machine": machine,
            "parent": parent,
            "branch": branch,
            "state": None,
            "input": raw,
            "phase": "ready",
            "job": None,
            "entered_at": None,
            "retries": {},
            "retry_count": 0,
            "token": None,
            "task": None,
            "wait_output": None,
            "children": None,
        }
        run["state"] = self.machine(run)["StartAt"]
        self.s["runs"][run["id"]] = run
        self.ready.append(run["id"])
        return run

    def wait_for(self, run: Run | None, kind: str, at: str | None = None) -> str:
        """A new token that ``run`` waits on; for timers, the Timer effect too."""
        token = self.next_id("t")
        self.s["waits"][token] = {
            "run": run["id"] if run else None,
            "kind": kind,
            "at": at,
            "reported": False,
        }
        if run is not None:
            run["token"] = token
        if at is not None:
            self.effects.append(fx.Timer(token, _instant(at)))
        return token

    def drop_wait(self, token: str | None) -> None:
        """Forget a token nobody needs any more, telling the outside so."""
        wait = self.s["waits"].pop(token, None) if token else None
        if wait is None or wait["reported"]:
            return
        assert token is not None
        self.effects.append(fx.CancelTask(token) if wait["kind"] == "task" else fx.CancelTimer(token))

    def goto(self, run: Run, target: str, output: Json) -> None:
        """``run`` moves on to the state ``target`` with ``output`` as its input."""
        run.update(state=target, input=output, phase="ready", token=None, task=None, children=None)
        self.ready.append(run["id"])

    def complete(self, run: Run, output: Json, target: str | None = None) -> None:
        """The current state finished with ``output``: on to ``target`` / Next, or the run ends."""
        history.succeed(self.job(run), output, self.stamp)
        state = self.definition(run)
        if target is not None:
            self.goto(run, target, output)
        elif state.get("End") is True or state["Type"] == "Succeed":
            self.finish_run(run, output)
        else:
            self.goto(run, state["Next"], output)

    def finish_run(self, run: Run, output: Json) -> None:
        del self.s["runs"][run["id"]]
        parent = run["parent"]
        if parent is None:
            self.end(fx.SUCCEEDED, fx.Finished(output), output=output)
            return
        owner = self.s["runs"][parent["run"]]
        children = owner["children"]
        children["results"][parent["slot"]] = output
        del children["running"][run["id"]]
        children["left"] -= 1
        if children["left"] == 0:
            owner["children"] = None
            self.result(owner, children["results"])
        elif "items" in children:
            self.launch_items(owner)

    def launch_items(self, run: Run) -> None:
        """Start Map items until MaxConcurrency of them run (0: all), each with its ItemSelector applied."""
        children = run["children"]
        state = self.definition(run)
        selector = state.get("ItemSelector", state.get("Parameters"))
        processor = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
        items = children["items"]
        while children["next"] < len(items) and (
            children["limit"] == 0 or len(children["running"]) < children["limit"]
        ):
            i = children["next"]
            children["next"] += 1
            item = items[i]
            if selector is not None:
                scope = self.scope(run, Map={"Item": {"Index": i, "Value": item}})
                try:
                    item = dataflow.payload(selector, children["input"], scope, "ItemSelector")
                except StatesError as exc:
                    self.state_failed(run, exc.error, exc.cause)
                    return
            self.child(run, processor, i, item)

    def child(self, run: Run, field: str, slot: int, raw: Json) -> None:
        """A run of the machine in ``field`` of ``run``'s state (``Branches[slot]``, or the Map processor)."""
        steps: list[str | int] = ["Branches", slot] if field == "Branches" else [field]
        machine = [*run["machine"], "States", run["state"], *steps]
        own = f"{run['state']}[{slot}]"
        label = f"{run['branch']}/{own}" if run["branch"] else own
        child = self.new_run(machine, {"run": run["id"], "slot": slot}, label, raw)
        run["children"]["running"][child["id"]] = slot

    def result(self, run: Run, result: Json) -> None:
        """A Task / Parallel / Map state's result: ResultSelector, ResultPath, OutputPath, then on."""
        state = self.definition(run)
        try:
            output = dataflow.state_output(
                state, run["input"], dataflow.effective_result(state, result, self.scope(run))
            )
        except StatesError as exc:
            self.state_failed(run, exc.error, exc.cause)
            return
        self.complete(run, output)

    # -- failure ------------------------------------------------------------------------------------

    def state_failed(self, run: Run, error: str | None, cause: str | None) -> None:
        """The current state reported ``error``: Retry, else Catch, else the run fails."""
        if error in names.FATAL:
            history.fail(self.job(run), error, cause, self.stamp)
            self.end(fx.FAILED, fx.Failed(error, cause), error=error, cause=cause)
            return
        self.abort_children(run, fx.JOB_ABORTED_DEPS_FAILED, "another branch or item failed")
        history.fail(self.job(run), error, cause, self.stamp)
        state = self.definition(run)
        if self._retry(run, state, error):
            return
        for catcher in state.get("Catch", ()):
            if matches(catcher["ErrorEquals"], error):
                try:
                    output = dataflow.catcher_output(catcher, run["input"], error, cause)
                except StatesError as exc:
                    self.run_failed(run, exc.error, exc.cause)
                    return
                self.goto(run, catcher["Next"], output)
                return
        self.run_failed(run, error, cause)

    def _retry(self, run: Run, state: Mapping[str, Any], error: str | None) -> bool:
        for i, retrier in enumerate(state.get("Retry", ())):
            if not matches(retrier["ErrorEquals"], error):
                continue
            used = run["retries"].get(str(i), 0)
            if used >= retrier.get("MaxAttempts", DEFAULT_ATTEMPTS):
                return False  # only the first matching retrier applies, exhausted or not
            run["retries"][str(i)] = used + 1
            delay = (
                retrier.get("IntervalSeconds", DEFAULT_INTERVAL)
                * retrier.get("BackoffRate", DEFAULT_BACKOFF) ** used
            )
            if "MaxDelaySeconds" in retrier:
                delay = min(delay, retrier["MaxDelaySeconds"])
            if retrier.get("JitterStrategy") == "FULL":
                delay = self.rng().uniform(0, delay)
            run["retry_count"] += 1
            run["phase"] = "retry"
            self.wait_for(run, "retry", self.after(delay))
            return True
        return False

    def run_failed(self, run: Run, error: str | None, cause: str | None) -> None:
        """A run ended in an error nobody caught: its parent state fails, or the execution does."""
        self.s["runs"].pop(run["id"], None)
        parent = run["parent"]
        if parent is None:
            self.end(fx.FAILED, fx.Failed(error, cause), error=error, cause=cause)
            return
        owner = self.s["runs"][parent["run"]]
        del owner["children"]["running"][run["id"]]
        self.state_failed(owner, error, cause)

    def abort_children(self, run: Run, status: str, why: str) -> None:
        children = run.get("children")
        if children:
            for child in list(children["running"]):
                self.abort_run(child, status, why)
            run["children"] = None

    def abort_run(self, run_id: str, status: str, why: str | None) -> None:
        """Stop ``run_id`` and everything below it: tasks and timers cancelled, jobs marked ``status``."""
        run = self.s["runs"].pop(run_id, None)
        if run is None:
            return
        self.drop_wait(run["token"])
        if run["job"] is not None and (self.job(run)["status"] not in fx.JOB_DONE or run["phase"] == "retry"):
            history.abort(self.job(run), status, why, self.stamp)
        self.abort_children(run, status, why or "")

    def end(self, status: str, effect: fx.Effect, **fields: Json) -> None:
        """The execution is over: whatever still runs is stopped, and ``effect`` tells the outside."""
        job_status = fx.JOB_ABORTED_BY_USER if status == fx.CANCELLED else fx.JOB_ABORTED_DEPS_FAILED
        why = fields.get("status_reason") if status == fx.CANCELLED else "the execution failed"
        for run_id in list(self.s["runs"]):
            self.abort_run(run_id, job_status, why)
        for token in list(self.s["waits"]):
            self.drop_wait(token)
        self.ready.clear()
        self.s["inbox"].clear()
        self.s.update(status=status, stopped_at=self.stamp, **fields)
        self.effects.append(effect)

    def time_out(self) -> None:
        """The machine's own TimeoutSeconds passed: what runs fails with States.Timeout."""
        for run in self.s["runs"].values():
            if run["job"] is not None and self.job(run)["status"] not in fx.JOB_DONE:
                job = self.job(run)
                history.fail(job, names.TIMEOUT, None, self.stamp)
                job["status_reason"] = history.WORKFLOW_TIMED_OUT
        seconds = self.s["machine"]["TimeoutSeconds"]
        cause = f"The execution ran longer than its TimeoutSeconds ({seconds})"
        self.end(
            fx.FAILED,
            fx.Failed(names.TIMEOUT, cause),
            error=names.TIMEOUT,
            cause=cause,
            status_reason=history.WORKFLOW_TIMED_OUT,
        )


def _instant(stamp: str) -> datetime:
    instant = parse_timestamp(stamp)
    assert instant is not None
    return instant
