"""Which stored run events are notified, as what, and to whom (pure: rows and the model in, names out)."""

from __future__ import annotations

from typing import Any

from conveyor.model.pipeline import Notify, Pipeline

_BY_KIND = {
    "run.started": "started",
    "run.succeeded": "succeeded",
    "run.failed": "failed",
    "run.errored": "failed",
    "run.timed_out": "failed",
    "run.cancelled": "cancelled",
    "run.rejected": "cancelled",
    "run.waiting_approval": "waiting_approval",
}


def notify_event(kind: str, run: dict[str, Any]) -> str | None:
    """The notification an event makes, if any. A cancel request is one only for a run that never
    started (a running run is cancelled by its worker, which reports ``run.cancelled`` itself)."""
    if kind == "run.cancel_requested":
        return "cancelled" if run.get("started_at") is None and run.get("status") == "cancelled" else None
    return _BY_KIND.get(kind)


def rules_for(pipeline: Pipeline, job: str, event: str) -> list[Notify]:
    """The job's rules and the pipeline's that ask for ``event``, one per notifier."""
    spec = pipeline.job(job)
    rules = [*(spec.notify if spec is not None else ()), *pipeline.notify]
    seen: set[str] = set()
    out = []
    for rule in rules:
        if event in rule.on and rule.notifier not in seen and pipeline.notifier(rule.notifier) is not None:
            seen.add(rule.notifier)
            out.append(rule)
    return out
