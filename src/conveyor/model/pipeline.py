"""Pipelines (assembly lines): resources and jobs, and the edges between them.

These records are what every definition format is translated into (``definitions/``) and what the
engine schedules from. They are frozen: a pipeline version never changes once applied.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

#: Resource types conveyor knows. Each holds key-value properties and optional files; ``state`` is
#: shared mutable state (never triggers by default, writes serialised, files merged version to version).
RESOURCE_TYPES = (
    "params",
    "image",
    "file",
    "version",
    "state",
    "git",
    "time",
    "webhook",
    "trigger",
    "generic",
)

InputKind = Literal["resource", "job"]
#: How a job waits for its upstream (Shippable's dependencyMode, FACTS.md 2.2): ``strict`` runs once
#: everything upstream has settled (coalescing triggers); ``chrono`` runs once per trigger, in order, never
#: beside a directly connected job; ``immediate`` runs as soon as an input changes.
DEPENDENCY_MODES = ("strict", "chrono", "immediate")

#: What a notifier can be told about a run (``notify: [{notifier: x, on: [...]}]``).
NOTIFY_EVENTS = ("started", "succeeded", "failed", "cancelled", "waiting_approval")
#: How a notifier delivers: a signed JSON webhook, a Slack-style incoming webhook, or email over SMTP.
NOTIFIER_TYPES = ("webhook", "slack", "email")
#: Roles that may be asked to approve a run (``approval: {role: ...}``); a role includes those above it.
APPROVER_ROLES = ("viewer", "operator", "admin")


@dataclass(frozen=True, slots=True)
class Location:
    """Where a definition element came from, for error messages."""

    file: str = "<memory>"
    line: int = 0
    col: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    """One shell command, run with ``/bin/sh -ec`` in the run's work dir."""

    run: str
    name: str = ""
    env: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        first = self.run.strip().splitlines()[0] if self.run.strip() else ""
        return first if len(first) <= 60 else first[:57] + "..."


@dataclass(frozen=True, slots=True)
class Input:
    """A resource or job a job reads. ``trigger`` False means "use the latest, don't start me"."""

    name: str
    kind: InputKind
    trigger: bool = True
    #: ``switch: off`` (Shippable's word) was given: the input never starts the job.
    switch_off: bool = False
    #: Concourse's ``passed:``: read the latest version of this resource that went through a successful
    #: run of each of these jobs; their success (not the resource's new versions) starts the job.
    passed: tuple[str, ...] = ()
    location: Location = field(default=Location(), compare=False)


@dataclass(frozen=True, slots=True)
class Approval:
    """``approval:`` on a job: each run waits in ``waiting_approval`` until someone allowed approves it.

    ``approvers`` (token or user names; empty = anyone with ``role``) narrows who may; after ``timeout``
    seconds the scheduler rejects the run, so a forgotten gate does not hold a line open for ever."""

    approvers: tuple[str, ...] = ()
    role: str = "operator"
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class Notifier:
    """A place notifications go, defined once per pipeline and named by ``notify`` rules.

    Secret parts (an HMAC key, a Slack URL, SMTP credentials) come from the named ``integration``'s keys
    (``url``, ``secret``, ``smtp``, ``username``, ``password``, ``from``) when sending, so the pipeline file
    and its stored definition never hold them."""

    name: str
    type: str
    url: str = ""
    integration: str = ""
    to: tuple[str, ...] = ()
    smtp: str = ""
    sender: str = ""
    location: Location = field(default=Location(), compare=False)


@dataclass(frozen=True, slots=True)
class Notify:
    """Send these events of a job's runs to a notifier."""

    notifier: str
    on: tuple[str, ...] = NOTIFY_EVENTS
    location: Location = field(default=Location(), compare=False)


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    type: str
    #: Declared properties: applying a pipeline whose declared properties changed makes a new version.
    properties: tuple[tuple[str, str], ...] = ()
    #: How the resource finds new versions by itself (``time``: ``schedule``/``every``; ``git``:
    #: ``repo``/``branch``/``check_every``), as written.
    source: tuple[tuple[str, str], ...] = ()
    location: Location = field(default=Location(), compare=False)

    @property
    def declares_version(self) -> bool:
        return bool(self.properties)


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    steps: tuple[Step, ...]
    inputs: tuple[Input, ...] = ()
    outputs: tuple[str, ...] = ()
    timeout: float | None = None
    retries: int = 0
    #: First retry delay in seconds; None uses the settings default. Doubled per attempt.
    retry_backoff: float | None = None
    on_success: tuple[Step, ...] = ()
    on_failure: tuple[Step, ...] = ()
    always: tuple[Step, ...] = ()
    approval: Approval | None = None
    env: tuple[tuple[str, str], ...] = ()
    runs_on: tuple[tuple[str, str], ...] = ()
    #: "shippable": steps see Shippable's job runtime ($JOB_STATE, IN/OUT layout, shipctl); "" native
    runtime: str = ""
    #: outputs whose new version starts empty instead of from the latest's properties (Shippable's
    #: ``overwrite: true``; with the Shippable runtime, other outputs merge over the latest)
    overwrite: tuple[str, ...] = ()
    dependency_mode: str = "strict"
    #: runs of this job at once (1: serial, the default; 0: no limit)
    max_in_flight: int = 1
    #: where this job's run events are sent (the pipeline's ``notify`` rules apply too)
    notify: tuple[Notify, ...] = ()
    #: integrations whose keys become environment variables of this job's steps (values masked in logs)
    secrets: tuple[str, ...] = ()
    location: Location = field(default=Location(), compare=False)

    @property
    def job_inputs(self) -> tuple[Input, ...]:
        return tuple(i for i in self.inputs if i.kind == "job")

    @property
    def resource_inputs(self) -> tuple[Input, ...]:
        return tuple(i for i in self.inputs if i.kind == "resource")

    @property
    def manual_only(self) -> bool:
        """A job with inputs none of which triggers only runs when someone triggers it."""
        return bool(self.inputs) and not any(i.trigger for i in self.inputs)

    def digest(self) -> str:
        """Identifies the job's definition: a changed digest means the job changed."""
        return hashlib.sha256(canonical_json(job_to_dict(self)).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Pipeline:
    name: str
    resources: tuple[Resource, ...] = ()
    jobs: tuple[Job, ...] = ()
    source_file: str = "<memory>"
    notifiers: tuple[Notifier, ...] = ()
    #: notification rules for every job's runs
    notify: tuple[Notify, ...] = ()
    #: job name -> job (the first of a name), derived: ``job()`` is on the scheduler's hot path
    _by_name: dict[str, Job] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, Job] = {}
        for j in self.jobs:
            by_name.setdefault(j.name, j)
        object.__setattr__(self, "_by_name", by_name)

    def job(self, name: str) -> Job | None:
        return self._by_name.get(name)

    def resource(self, name: str) -> Resource | None:
        for r in self.resources:
            if r.name == name:
                return r
        return None

    def notifier(self, name: str) -> Notifier | None:
        return next((n for n in self.notifiers if n.name == name), None)

    def digest(self) -> str:
        return hashlib.sha256(canonical_json(pipeline_to_dict(self)).encode()).hexdigest()


def canonical_json(value: Any) -> str:
    """The one canonical serialisation used for every content digest."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _step_to_dict(s: Step) -> dict[str, Any]:
    d: dict[str, Any] = {"run": s.run}
    if s.name:
        d["name"] = s.name
    if s.env:
        d["env"] = dict(s.env)
    return d


def job_to_dict(j: Job) -> dict[str, Any]:
    d: dict[str, Any] = {"name": j.name}
    if j.inputs:
        ins = []
        for i in j.inputs:
            item: dict[str, Any] = {i.kind: i.name}
            if not i.trigger:
                item["trigger"] = False
            if i.switch_off:
                item["switch"] = "off"
            if i.passed:
                item["passed"] = list(i.passed)
            ins.append(item)
        d["inputs"] = ins
    d["steps"] = [_step_to_dict(s) for s in j.steps]
    if j.outputs:
        d["outputs"] = [
            {"resource": o, **({"overwrite": True} if o in j.overwrite else {})} for o in j.outputs
        ]
    if j.timeout is not None:
        d["timeout"] = j.timeout
    if j.retries:
        d["retries"] = j.retries
    if j.retry_backoff is not None:
        d["retry_backoff"] = j.retry_backoff
    for hook in ("on_success", "on_failure", "always"):
        steps = getattr(j, hook)
        if steps:
            d[hook] = [_step_to_dict(s) for s in steps]
    if j.approval is not None:
        d["approval"] = approval_to_dict(j.approval)
    if j.env:
        d["env"] = dict(j.env)
    if j.runs_on:
        d["runs_on"] = dict(j.runs_on)
    if j.runtime:
        d["runtime"] = j.runtime
    if j.dependency_mode != "strict":
        d["dependency_mode"] = j.dependency_mode
    if j.max_in_flight != 1:
        d["max_in_flight"] = j.max_in_flight
    if j.notify:
        d["notify"] = [notify_to_dict(n) for n in j.notify]
    if j.secrets:
        d["secrets"] = list(j.secrets)
    return d


def approval_to_dict(a: Approval) -> str | dict[str, Any]:
    """``"manual"`` for the plain gate (so digests of older definitions do not change), else a mapping."""
    if a == Approval():
        return "manual"
    d: dict[str, Any] = {}
    if a.approvers:
        d["approvers"] = list(a.approvers)
    if a.role != "operator":
        d["role"] = a.role
    if a.timeout is not None:
        d["timeout"] = a.timeout
    return d


def approval_from(raw: Any) -> Approval | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        return Approval()
    return Approval(
        approvers=tuple(raw.get("approvers", ())),
        role=raw.get("role", "operator"),
        timeout=raw.get("timeout"),
    )


def notify_to_dict(n: Notify) -> dict[str, Any]:
    d: dict[str, Any] = {"notifier": n.notifier}
    if n.on != NOTIFY_EVENTS:
        d["on"] = list(n.on)
    return d


def _notify_from(raw: list[dict[str, Any]] | None) -> tuple[Notify, ...]:
    return tuple(Notify(notifier=n["notifier"], on=tuple(n.get("on", NOTIFY_EVENTS))) for n in raw or ())


def notifier_to_dict(n: Notifier) -> dict[str, Any]:
    d: dict[str, Any] = {"name": n.name, "type": n.type}
    for key, value in (("url", n.url), ("integration", n.integration), ("smtp", n.smtp), ("from", n.sender)):
        if value:
            d[key] = value
    if n.to:
        d["to"] = list(n.to)
    return d


def notifier_from_dict(d: dict[str, Any]) -> Notifier:
    return Notifier(
        name=d["name"],
        type=d["type"],
        url=d.get("url", ""),
        integration=d.get("integration", ""),
        to=tuple(d.get("to", ())),
        smtp=d.get("smtp", ""),
        sender=d.get("from", ""),
    )


def resource_to_dict(r: Resource) -> dict[str, Any]:
    d: dict[str, Any] = {"name": r.name, "type": r.type}
    if r.properties:
        d["properties"] = dict(r.properties)
    if r.source:
        d["source"] = dict(r.source)
    return d


def pipeline_to_dict(p: Pipeline) -> dict[str, Any]:
    """The normalised JSON form stored with each pipeline version and read back by ``pipeline_from_dict``."""
    d: dict[str, Any] = {
        "name": p.name,
        "resources": [resource_to_dict(r) for r in p.resources],
        "jobs": [job_to_dict(j) for j in p.jobs],
    }
    if p.notifiers:
        d["notifiers"] = [notifier_to_dict(n) for n in p.notifiers]
    if p.notify:
        d["notify"] = [notify_to_dict(n) for n in p.notify]
    return d


def _steps_from(raw: list[dict[str, Any]] | None) -> tuple[Step, ...]:
    return tuple(
        Step(run=s["run"], name=s.get("name", ""), env=tuple(sorted(s.get("env", {}).items())))
        for s in raw or ()
    )


def pipeline_from_dict(d: dict[str, Any]) -> Pipeline:
    resources = tuple(
        Resource(
            name=r["name"],
            type=r["type"],
            properties=tuple(sorted(r.get("properties", {}).items())),
            source=tuple(sorted(r.get("source", {}).items())),
        )
        for r in d.get("resources", ())
    )
    jobs = []
    for j in d.get("jobs", ()):
        inputs = []
        for i in j.get("inputs", ()):
            kind: InputKind = "job" if "job" in i else "resource"
            inputs.append(
                Input(
                    name=i[kind],
                    kind=kind,
                    trigger=i.get("trigger", True),
                    switch_off=i.get("switch") == "off",
                    passed=tuple(i.get("passed", ())),
                )
            )
        jobs.append(
            Job(
                name=j["name"],
                steps=_steps_from(j.get("steps")),
                inputs=tuple(inputs),
                outputs=tuple(o["resource"] for o in j.get("outputs", ())),
                timeout=j.get("timeout"),
                retries=j.get("retries", 0),
                retry_backoff=j.get("retry_backoff"),
                on_success=_steps_from(j.get("on_success")),
                on_failure=_steps_from(j.get("on_failure")),
                always=_steps_from(j.get("always")),
                approval=approval_from(j.get("approval")),
                env=tuple(sorted(j.get("env", {}).items())),
                runs_on=tuple(sorted(j.get("runs_on", {}).items())),
                runtime=j.get("runtime", ""),
                dependency_mode=j.get("dependency_mode", "strict"),
                max_in_flight=j.get("max_in_flight", 1),
                overwrite=tuple(o["resource"] for o in j.get("outputs", ()) if o.get("overwrite")),
                notify=_notify_from(j.get("notify")),
                secrets=tuple(j.get("secrets", ())),
            )
        )
    return Pipeline(
        name=d["name"],
        resources=resources,
        jobs=tuple(jobs),
        notifiers=tuple(notifier_from_dict(n) for n in d.get("notifiers", ())),
        notify=_notify_from(d.get("notify")),
    )
