"""What a Shippable import returns: the native pipeline plus everything Shippable says that it cannot hold.

``Pipeline`` (``conveyor.model.pipeline``) is what the engine runs; it has no room yet for Shippable's
dependency modes, trigger modes, pinned inputs, OUT options, notifications or integrations. Rather than drop
them, the importer keeps the whole parsed Shippable definition in ``ShippableExtras``, one typed record per
resource and job, so that later work (shipctl, notifications, dependency modes) can implement them from
data instead of re-parsing YAML. Every record carries the ``Location`` it was written at.

Records are frozen dataclasses, like the model's; ``Raw`` values are the JSON-like Python form of YAML that
is kept only for display or later use (scalars resolved the YAML 1.1 way, as PyYAML reads them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from conveyor.errors import Problem
from conveyor.model.pipeline import Location, Pipeline

#: JSON-like value (str, int, float, bool, None, list, dict) as read from YAML.
Raw = Any
DependencyMode = Literal["chrono", "strict", "immediate"]
TriggerMode = Literal["serial", "parallel"]
HookName = Literal["on_start", "on_success", "on_failure", "on_cancel", "always"]
#: What a name in an IN or OUT turned out to be: defined in the loaded files as a resource or a job, or
#: defined nowhere in them ("external": Shippable names are global across a subscription).
RefKind = Literal["resource", "job", "external"]

DEPENDENCY_MODES: tuple[DependencyMode, ...] = ("chrono", "strict", "immediate")
TRIGGER_MODES: tuple[TriggerMode, ...] = ("serial", "parallel")
HOOK_NAMES: tuple[HookName, ...] = ("on_start", "on_success", "on_failure", "on_cancel", "always")

_SHIPCTL = re.compile(r"\bshipctl\b")


@dataclass(frozen=True, slots=True)
class Finding:
    """A located message that does not stop the import: ``warning`` (something will not behave as on
    Shippable, e.g. a job type conveyor cannot run) or ``note`` (something ignored on purpose, e.g. CI)."""

    file: str
    line: int
    col: int
    message: str
    severity: Literal["warning", "note"] = "warning"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class Notify:
    """One ``NOTIFY:`` entry of a hook: a notification resource to send to."""

    #: name of the ``notification`` resource
    resource: str
    #: ``sendFailingSnippet: true``: add the failing log lines (email only)
    send_failing_snippet: bool = False
    location: Location = field(default=Location(), compare=False)


@dataclass(frozen=True, slots=True)
class Hook:
    """One of a job's ``on_start`` / ``on_success`` / ``on_failure`` / ``on_cancel`` / ``always``."""

    #: script lines in order (each item of every ``script:``), run by Shippable in one bash shell
    scripts: tuple[str, ...] = ()
    #: notifications to send
    notify: tuple[Notify, ...] = ()
    #: how it was written: ``{script: [...], NOTIFY: [...]}`` ("mapping") or ``- script: ...`` items ("list")
    shape: Literal["mapping", "list"] = "mapping"
    location: Location = field(default=Location(), compare=False)


@dataclass(frozen=True, slots=True)
class Task:
    """One ``TASK`` step of a job."""

    #: ``name:`` of the task ("" if none); becomes the native step's name
    name: str = ""
    #: script lines in order, run by Shippable in one bash shell; empty for ``TASK: managed``
    script: tuple[str, ...] = ()
    #: "list" = ``TASK: [{script: ...}, ...]`` (old), "mapping" = ``TASK: {name, script, runtime}``,
    #: "managed" = ``TASK: managed`` (the platform runs the job, e.g. deploy)
    shape: Literal["list", "mapping", "managed"] = "mapping"
    #: ``runtime.options.env`` (a list of one-key mappings in Shippable), as (name, raw text), sorted;
    #: translated into the native step's env
    env: tuple[tuple[str, str], ...] = ()
    #: ``runtime.container``: run in a container (Shippable's default) or on the host; not translated
    container: bool | None = None
    #: ``runtime.options.imageName`` / ``imageTag`` / ``pull`` / ``options``: the container to run in;
    #: not translated (conveyor runs steps on the worker's host)
    image_name: str | None = None
    image_tag: str | None = None
    pull: bool | None = None
    docker_options: str | None = None
    location: Location = field(default=Location(), compare=False)


@dataclass(frozen=True, slots=True)
class InStep:
    """One ``IN`` step: a resource or job the job reads."""

    name: str
    #: what the name is, once every file is loaded (an external name becomes a ``generic`` resource)
    kind: RefKind = "resource"
    #: ``switch: off`` in any spelling (off, false, no, "off", ...): never starts the job (translated)
    switch_off: bool = False
    #: ``versionName: X``: use the most recent version with that name (a SHA, a tag) instead of the latest
    version_name: str | None = None
    #: ``versionNumber: N``: use exactly version N (exclusive with ``version_name``)
    version_number: int | None = None
    #: per-input ``dependencyMode``, overriding the job's when this input triggers
    dependency_mode: DependencyMode | None = None
    #: deploy/manifest ``applyTo`` entries (names, or ``{manifest, image, port}`` for a load balancer)
    apply_to: tuple[Raw, ...] = ()
    #: deploy ``force: true``: deploy even if the manifest did not change
    force: bool | None = None
    #: ``showBuildStatus: true``: post the run's status to the commit / pull request of this gitRepo
    show_build_status: bool | None = None
    #: cliConfig ``scopes`` (ecr, gke, gcr, aks)
    scopes: tuple[str, ...] = ()
    #: any other key written on the IN (e.g. Gerrit ``vote``), as (key, raw value)
    options: tuple[tuple[str, Raw], ...] = ()
    location: Location = field(default=Location(), compare=False)

    @property
    def pinned(self) -> bool:
        return self.version_name is not None or self.version_number is not None


@dataclass(frozen=True, slots=True)
class OutStep:
    """One ``OUT`` step: a resource the job writes, or a job it triggers when it completes."""

    name: str
    #: a job here is translated as an input (``job: <this job>``) of that job
    kind: RefKind = "resource"
    #: ``replicate: IN``: start the new version as a copy of that input's version
    replicate: str | None = None
    #: ``replicateOnPullRequest: true``: replicate for pull-request runs too
    replicate_on_pull_request: bool | None = None
    #: ``overwrite: true``: the new version starts from an empty property bag instead of the latest's
    overwrite: bool = False
    #: ``on_failure: true``: post the new version even when the job fails
    on_failure: bool = False
    location: Location = field(default=Location(), compare=False)


@dataclass(frozen=True, slots=True)
class JobExtras:
    """Everything a Shippable job says; the native ``Job`` is derived from it."""

    name: str
    #: the type as written (runSh, runCI, deploy, manifest, release, provision, externalCI, ...)
    shippable_type: str
    #: whether conveyor runs it (runSh, and runCI as runSh); others get a step that fails saying so
    runnable: bool
    #: ``dependencyMode`` as written (None: not given, Shippable's default ``chrono``)
    dependency_mode: DependencyMode | None = None
    #: ``triggerMode`` as written (None: not given, Shippable's default ``serial``)
    trigger_mode: TriggerMode | None = None
    #: ``priority`` 0..10000 (0 = highest; Shippable's default 9999): orders queued runs
    priority: int | None = None
    #: ``runtime.nodePool``: which pool of build nodes runs the job
    node_pool: str | None = None
    #: ``runtime.container``: in a container (default) or on the host
    container: bool | None = None
    #: ``runtime.timeoutMinutes`` (or ``timeoutMinutes``); translated into the job's ``timeout``
    timeout_minutes: int | None = None
    #: ``integrations``: subscription integrations (credentials) exposed to the scripts
    integrations: tuple[str, ...] = ()
    #: ``allowPublicAccess``: console visible to everyone
    allow_public_access: bool | None = None
    #: ``flags``: labels for filtering in the UI
    flags: tuple[str, ...] = ()
    #: IN steps in order (translated into inputs)
    inputs: tuple[InStep, ...] = ()
    #: OUT steps in order (resources translated into outputs; jobs into inputs of those jobs)
    outputs: tuple[OutStep, ...] = ()
    #: TASK steps in order (each translated into one native step of a runnable job)
    tasks: tuple[Task, ...] = ()
    #: hooks; on_success / on_failure / always scripts are translated, the rest is kept here only
    on_start: Hook | None = None
    on_success: Hook | None = None
    on_failure: Hook | None = None
    on_cancel: Hook | None = None
    always: Hook | None = None
    #: fields of one job type: deploy ``method``/``maxWaitTime``/``stabilityDuration``/``workflow``,
    #: release ``bump``, externalCI ``versionData``, as (key, raw value)
    type_options: tuple[tuple[str, Raw], ...] = ()
    #: jobs whose ``OUT`` names this job (each is translated into an input of this job)
    triggered_by: tuple[str, ...] = ()
    location: Location = field(default=Location(), compare=False)

    @property
    def effective_dependency_mode(self) -> DependencyMode:
        return self.dependency_mode or "chrono"

    @property
    def effective_trigger_mode(self) -> TriggerMode:
        return self.trigger_mode or "serial"

    def hook(self, name: HookName) -> Hook | None:
        hook: Hook | None = getattr(self, name)
        return hook

    @property
    def uses_shipctl(self) -> bool:
        """Whether a script calls ``shipctl`` (provided by the shippable runtime: ``conveyor.shipctl``)."""
        lines = [line for t in self.tasks for line in t.script]
        for name in HOOK_NAMES:
            hook = self.hook(name)
            if hook is not None:
                lines.extend(hook.scripts)
        return any(_SHIPCTL.search(line) for line in lines)


@dataclass(frozen=True, slots=True)
class ResourceExtras:
    """Everything a Shippable resource says; the native ``Resource`` is derived from it."""

    name: str
    #: the type as written (gitRepo, image, params, cliConfig, ...); "" for an external name
    shippable_type: str
    #: the native type it became (one of ``RESOURCE_TYPES``)
    native_type: str
    #: ``integration``: the subscription integration (credentials) it uses
    integration: str | None = None
    #: which syntax held its data: ``versionTemplate`` (new), ``pointer/seed/version`` (old) or none
    syntax: Literal["versionTemplate", "pointer/seed/version", "none"] = "none"
    #: the data as written, by section (``versionTemplate``, ``pointer``, ``seed``, ``version``)
    template: Mapping[str, Raw] = field(default_factory=dict)
    #: ``flags``: labels for filtering in the UI
    flags: tuple[str, ...] = ()
    #: where it came from: ``resources:``, the old top-level ``triggers:``, or an IN/OUT naming it
    #: without defining it ("external")
    origin: Literal["resources", "triggers", "external"] = "resources"
    #: what Shippable does with this type that conveyor does not ("" when conveyor does it all)
    gap: str = ""
    #: whether editing it in YAML starts the jobs that read it on Shippable (not for cluster, replicas,
    #: dockerOptions, ...); conveyor's apply makes a new version either way
    triggers_on_edit: bool = True
    location: Location = field(default=Location(), compare=False)


@dataclass(frozen=True, slots=True)
class IgnoredSection:
    """A top-level key that is not part of an Assembly Line (CI sections, templates), noted and skipped."""

    key: str
    reason: str
    location: Location = field(default=Location(), compare=False)


@dataclass(frozen=True, slots=True)
class ShippableExtras:
    """The parsed Shippable definition, by name, in file order."""

    resources: Mapping[str, ResourceExtras] = field(default_factory=dict)
    jobs: Mapping[str, JobExtras] = field(default_factory=dict)
    ignored: tuple[IgnoredSection, ...] = ()
    #: ``externalReferences`` of a templates file: URLs of template files conveyor does not fetch
    external_references: tuple[str, ...] = ()
    #: the files read, in load order
    files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ShippableImport:
    """The result of importing Shippable files: a pipeline only when ``problems`` is empty is valid."""

    pipeline: Pipeline
    extras: ShippableExtras
    #: warnings and notes, sorted by file, line and column
    findings: tuple[Finding, ...] = ()
    #: errors, sorted by file, line and column
    problems: tuple[Problem, ...] = ()

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def notes(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "note")
