"""The parsed Shippable definition -> conveyor's model (``Pipeline``), plus the extras it cannot hold.

The translation, rule by rule:

- resource -> resource of the mapped native type (``types.RESOURCE_TYPES``), data -> declared properties;
  a name an IN or OUT uses but no loaded file defines -> a ``generic`` resource with a warning (Shippable
  names are global across a subscription, so real files name what other repositories define);
- ``IN: x`` -> input (``job:`` when x is a job); ``switch: off`` -> ``switch_off`` (never triggers); a
  ``state`` resource never triggers (as on Shippable);
- ``TASK`` -> one step per TASK, its script lines run by bash in one shell (as Shippable does: a line's
  ``pushd`` or variable is seen by the next), its ``env`` -> the step's env;
- ``OUT: resource`` -> output; ``OUT: job`` -> an input of that job (it runs when this one succeeds);
- ``on_success`` / ``on_failure`` / ``always`` scripts -> the job's hooks (one step each);
  ``runtime.timeoutMinutes`` -> ``timeout``;
- a job conveyor cannot run -> one step that fails naming the type (its graph edges stay);
- ``notification`` resources -> notifiers, ``NOTIFY:`` hooks -> notify rules (``notify_map.py``);
  ``integrations`` of a job -> its ``secrets`` (the integrations' keys as environment variables).

Everything else stays in the extras only, and the graph rules every format shares (``check_graph``) run on
the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from conveyor.definitions.importers.shippable.notify_map import notifiers, notify_rules
from conveyor.definitions.importers.shippable.records import (
    Hook,
    IgnoredSection,
    InStep,
    JobExtras,
    OutStep,
    RefKind,
    ResourceExtras,
    ShippableExtras,
    ShippableImport,
)
from conveyor.definitions.importers.shippable.resources import Parsed
from conveyor.definitions.importers.shippable.tree import Reporter
from conveyor.definitions.importers.shippable.types import JOB_TYPES
from conveyor.definitions.validate import Where, check_graph
from conveyor.model.pipeline import Input, Job, Location, Pipeline, Resource, Step

_LABEL = 60


def translate(
    name: str,
    files: Sequence[str],
    resources: Sequence[Parsed],
    jobs: Sequence[JobExtras],
    report: Reporter,
    ignored: Sequence[IgnoredSection] = (),
    external_references: Sequence[str] = (),
) -> ShippableImport:
    """The import of everything parsed from ``files`` (errors and warnings go to ``report`` first)."""
    by_resource = _unique_resources(resources, report)
    by_job = _unique_jobs(jobs, by_resource, report)
    externals: dict[str, ResourceExtras] = {}

    def kind(ref: str, loc: Location) -> RefKind:
        if ref in by_job:
            return "job"
        if ref in by_resource:
            return "resource"
        if ref not in externals:
            externals[ref] = ResourceExtras(
                name=ref,
                shippable_type="",
                native_type="generic",
                origin="external",
                gap="it is not defined in these files",
                location=loc,
            )
            report.warn(
                loc,
                f"{ref!r} is not defined in these files (Shippable names are global across a subscription); "
                f"it is kept as an external 'generic' resource: give it versions with "
                f"'conveyor resource put {ref}'",
            )
        return "external"

    resolved: dict[str, JobExtras] = {}
    for job in by_job.values():
        inputs = tuple(replace(i, kind=kind(i.name, i.location)) for i in job.inputs)
        outputs = tuple(replace(o, kind=kind(o.name, o.location)) for o in job.outputs)
        resolved[job.name] = replace(job, inputs=inputs, outputs=outputs)
    triggered_by: dict[str, list[OutStep]] = {}
    for job in resolved.values():
        for out in job.outputs:
            if out.kind == "job":
                triggered_by.setdefault(out.name, []).append(replace(out, name=job.name))
    for target, outs in triggered_by.items():
        resolved[target] = replace(resolved[target], triggered_by=tuple(o.name for o in outs))

    all_resources = {**{n: p[0] for n, p in by_resource.items()}, **externals}
    for job in resolved.values():
        _check_job(job, all_resources, report)

    where = Where()
    model_resources: list[Resource] = []
    for index, (info, properties, locations) in enumerate(by_resource.values()):
        model_resources.append(
            Resource(
                info.name,
                info.native_type,
                properties,
                source=_source(info.native_type, dict(properties)),
                location=info.location,
            )
        )
        for key, loc in locations.items():
            where.properties[(index, key)] = loc
    model_resources.extend(Resource(e.name, "generic", (), location=e.location) for e in externals.values())
    model_notifiers = notifiers(all_resources)
    known = {n.name for n in model_notifiers}
    model_jobs = [
        replace(
            _job(index, job, all_resources, triggered_by.get(job.name, []), where),
            notify=notify_rules(job, known),
            secrets=_secrets(job, all_resources),
        )
        for index, job in enumerate(resolved.values())
    ]
    pipeline = Pipeline(
        name=name,
        resources=tuple(model_resources),
        jobs=tuple(model_jobs),
        source_file=files[0] if files else "<memory>",
        notifiers=model_notifiers,
    )
    problems = [*report.problems, *check_graph(pipeline, where)]
    extras = ShippableExtras(
        resources=all_resources,
        jobs=resolved,
        ignored=tuple(ignored),
        external_references=tuple(external_references),
        files=tuple(files),
    )
    order = {f: n for n, f in enumerate(files)}
    return ShippableImport(
        pipeline=pipeline,
        extras=extras,
        findings=tuple(
            sorted(dict.fromkeys(report.findings), key=lambda f: (order.get(f.file, -1), f.line, f.col))
        ),
        problems=tuple(
            sorted(dict.fromkeys(problems), key=lambda p: (order.get(p.file, -1), p.line, p.col, p.message))
        ),
    )


def _source(native_type: str, properties: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """What lets a Shippable time or gitRepo resource make versions by itself in conveyor: a time
    resource's cron ``interval``; a gitRepo whose ``sourceName`` is a path or URL (conveyor polls it;
    an ``org/repo`` name needs Shippable's webhook, so it stays a resource versioned by hand)."""
    if native_type == "time" and properties.get("interval"):
        return (("schedule", properties["interval"]),)
    repo = properties.get("sourceName", "")
    if native_type == "git" and (repo.startswith(("/", "./", "../")) or "://" in repo):
        branch = properties.get("branch")
        return tuple(sorted({"repo": repo, **({"branch": branch} if branch else {})}.items()))
    return ()


def _at(loc: Location) -> str:
    return f"{loc.file}:{loc.line}"


def _unique_resources(resources: Sequence[Parsed], report: Reporter) -> dict[str, Parsed]:
    out: dict[str, Parsed] = {}
    for parsed in resources:
        extras = parsed[0]
        first = out.get(extras.name)
        if first is None:
            out[extras.name] = parsed
        else:
            report.error(
                extras.location,
                f"resource {extras.name!r} is defined twice (first at {_at(first[0].location)})",
            )
    return out


def _unique_jobs(
    jobs: Sequence[JobExtras], resources: dict[str, Parsed], report: Reporter
) -> dict[str, JobExtras]:
    out: dict[str, JobExtras] = {}
    for job in jobs:
        first = out.get(job.name)
        if first is not None:
            report.error(job.location, f"job {job.name!r} is defined twice (first at {_at(first.location)})")
        elif job.name in resources:
            other = resources[job.name][0].location
            report.error(
                job.location,
                f"name {job.name!r} is used by both a job and a resource (the resource at {_at(other)}); "
                "names must be unique",
            )
        else:
            out[job.name] = job
    return out


def _check_job(job: JobExtras, resources: dict[str, ResourceExtras], report: Reporter) -> None:
    """What Shippable would refuse or ignore, said as warnings: conveyor can still load and run it."""
    read = {i.name for i in job.inputs}
    for out in job.outputs:
        res = resources.get(out.name)
        if out.name in read and res is not None and res.native_type != "state" and res.origin != "external":
            report.warn(
                out.location,
                f"job {job.name!r} reads and writes {out.name!r}; Shippable allows that only for state "
                "resources",
            )
        if out.replicate is not None and out.replicate not in read:
            report.warn(
                out.location,
                f"OUT {out.name!r} replicates {out.replicate!r}, which is not an IN of job {job.name!r}",
            )
    for name in ("on_start", "on_success", "on_failure", "on_cancel", "always"):
        hook: Hook | None = getattr(job, name)
        for target in hook.notify if hook is not None else ():
            res = resources.get(target.resource)
            if res is None:
                report.warn(
                    target.location,
                    f"NOTIFY names {target.resource!r}, which is not defined in these files",
                )
            elif res.shippable_type != "notification":
                report.warn(
                    target.location,
                    f"NOTIFY names {target.resource!r}, a {res.shippable_type or 'external'} resource, "
                    "not a notification",
                )


def _job(
    index: int, job: JobExtras, resources: dict[str, ResourceExtras], upstream: list[OutStep], where: Where
) -> Job:
    inputs = [_input(i, resources) for i in job.inputs]
    taken = {(i.kind, i.name) for i in inputs}
    for out in upstream:  # OUT: <this job> in another job: runs when that one succeeds
        if ("job", out.name) not in taken:
            taken.add(("job", out.name))
            inputs.append(Input(name=out.name, kind="job", location=out.location))
    outputs: list[str] = []
    for out in job.outputs:
        if out.kind != "job":
            where.outputs[(index, len(outputs))] = out.location
            outputs.append(out.name)
    minutes = job.timeout_minutes
    return Job(
        name=job.name,
        steps=_steps(job),
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        timeout=minutes * 60.0 if minutes else None,
        on_success=_hook(job.on_success, "on_success"),
        on_failure=_hook(job.on_failure, "on_failure"),
        always=_hook(job.always, "always"),
        runtime="shippable",
        # Shippable's default dependencyMode is chrono; an IN's own mode applies to the whole job here
        dependency_mode=job.dependency_mode
        or next((i.dependency_mode for i in job.inputs if i.dependency_mode), None)
        or "chrono",
        max_in_flight=0 if job.trigger_mode == "parallel" else 1,
        overwrite=tuple(out.name for out in job.outputs if out.kind != "job" and out.overwrite),
        location=job.location,
    )


def _secrets(job: JobExtras, resources: dict[str, ResourceExtras]) -> tuple[str, ...]:
    """The job's ``integrations``, and those of the ``integration`` resources it reads (IN)."""
    names = list(job.integrations)
    for step in job.inputs:
        res = resources.get(step.name)
        if res is not None and res.shippable_type == "integration" and res.integration:
            names.append(res.integration)
    return tuple(dict.fromkeys(names))


def _input(step: InStep, resources: dict[str, ResourceExtras]) -> Input:
    res = resources.get(step.name)
    state = res is not None and res.native_type == "state"
    return Input(
        name=step.name,
        kind="job" if step.kind == "job" else "resource",
        trigger=not step.switch_off and not state,
        switch_off=step.switch_off,
        location=step.location,
    )


def _steps(job: JobExtras) -> tuple[Step, ...]:
    where = f"job {job.name}"  # (no file or line: the step is part of the job's digest)
    if not job.runnable:
        what = JOB_TYPES.get(job.shippable_type, "a type Shippable does not define either")
        message = f"conveyor cannot run Shippable {job.shippable_type or 'untyped'} jobs ({what}): {where}"
        return (Step(run=f"echo {quote(message)} >&2\nexit 1", name=f"cannot run {job.shippable_type} job"),)
    steps = tuple(
        Step(run=bash(t.script), name=t.name or _label(t.script[0]), env=t.env) for t in job.tasks if t.script
    )
    if steps:
        return steps
    if job.shippable_type == "runCI":
        message = f"runCI {where}: the CI build it wraps is not run by conveyor; nothing else to run"
    else:
        message = f"{job.shippable_type} {where} has no TASK script; nothing to run"
    return (Step(run=f"echo {quote(message)}", name="nothing to run"),)


def _hook(hook: Hook | None, name: str) -> tuple[Step, ...]:
    if hook is None or not hook.scripts:
        return ()
    return (Step(run=bash(hook.scripts), name=_label(f"{name}: {hook.scripts[0]}")),)


def bash(lines: Sequence[str]) -> str:
    """A ``/bin/sh`` command running ``lines`` as one bash script with ``-e``, as Shippable runs a TASK.

    The script is passed as an argument (not on standard input, which its commands may read), through a
    quoted here-document so that nothing in it is expanded on the way.
    """
    script = "\n".join(line.rstrip("\n") for line in lines)
    tag = "SHIPPABLE_SCRIPT"
    while tag in script:
        tag += "_"
    return f"bash -e -c \"$(cat <<'{tag}'\n{script}\n{tag}\n)\""


def quote(text: str) -> str:
    """``text`` as one single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


def _label(line: str) -> str:
    first = line.strip().splitlines()[0] if line.strip() else "script"
    return first if len(first) <= _LABEL else first[: _LABEL - 3] + "..."
