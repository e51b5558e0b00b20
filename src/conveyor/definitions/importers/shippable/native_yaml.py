"""``conveyor import shippable``: the imported pipeline as native YAML, with comments saying what stayed
behind.

The body is the model's own normal form (``job_to_dict`` / ``resource_to_dict``), so loading the text back
with ``conveyor.definitions.load_text`` gives the same pipeline (same digest). Only comments carry what the
native format cannot hold yet (the extras), each above the resource or job it is about, so a user who moves
to the native format sees what to redo by hand.
"""

from __future__ import annotations

from typing import Any

import yaml

from conveyor.definitions.importers.shippable.records import (
    HOOK_NAMES,
    JobExtras,
    ResourceExtras,
    ShippableImport,
)
from conveyor.definitions.importers.shippable.tree import raw_text
from conveyor.model.pipeline import job_to_dict, notifier_to_dict, resource_to_dict

_Base: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter: 5x faster on big lines


class _Dumper(_Base):  # type: ignore[misc]
    """Block style, multi-line strings as ``|`` literals (scripts stay readable), keys in model order."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_native_yaml(result: ShippableImport) -> str:
    """The native pipeline equivalent to ``result``, as YAML text with explanatory comments."""
    p = result.pipeline
    extras = result.extras
    out = [
        f"# Imported from Shippable: {', '.join(extras.files) or '(no files)'}",
        "# by `conveyor import shippable`. Comments list what the native format cannot hold yet",
        "# (read from the Shippable files directly, conveyor keeps it aside; it does not act on it yet).",
    ]
    if extras.ignored:
        keys = ", ".join(dict.fromkeys(s.key for s in extras.ignored))
        out.append(f"# Ignored top-level sections: {keys}")
    out.append(_dump({"name": p.name}))
    out.append(_dump({"description": f"Imported from Shippable ({', '.join(extras.files)})"}))
    out.append("")
    out.append("resources:" if p.resources else "resources: []")
    for resource in p.resources:
        about = extras.resources.get(resource.name)
        out.extend(_comments(_resource_notes(about) if about else [], "  "))
        out.append(_item(resource_to_dict(resource)))
    if p.notifiers:
        out.append("")
        out.append("# from the notification resources; secret parts come from their integrations")
        out.append("notifiers:")
        out.extend(_item(notifier_to_dict(n)) for n in p.notifiers)
    out.append("")
    out.append("jobs:" if p.jobs else "jobs: []")
    for job in p.jobs:
        info = extras.jobs.get(job.name)
        out.extend(_comments(job_notes(info) if info else [], "  "))
        body = job_to_dict(job)
        for hook in ("steps", "on_success", "on_failure", "always"):
            if hook in body:  # a step's name first: it says what the script below it is
                body[hook] = [
                    {k: step[k] for k in ("name", "env", "run") if k in step} for step in body[hook]
                ]
        if job.timeout is not None:
            body["timeout"] = _duration(job.timeout)
        out.append(_item(body))
    return "\n".join(out) + "\n"


def _dump(value: Any) -> str:
    text: str = yaml.dump(
        value, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100000
    )
    return text.rstrip("\n")


def _item(body: dict[str, Any]) -> str:
    """One list item under a top-level key, indented two spaces."""
    lines = _dump([body]).splitlines()
    return "\n".join("  " + line if line else line for line in lines)


def _duration(seconds: float) -> str:
    whole = int(seconds)
    if whole == seconds and whole % 60 == 0:
        return f"{whole // 60}m"
    return f"{seconds:g}s"


def _comments(notes: list[str], indent: str) -> list[str]:
    return [f"{indent}# {' '.join(note.split())}" for note in notes]


def _resource_notes(r: ResourceExtras) -> list[str]:
    if r.origin == "external":
        return [
            f"{r.name}: not defined in the imported files (Shippable names are global); external resource"
        ]
    notes = [
        f"Shippable {r.shippable_type or '(no type)'} resource"
        + (" (from triggers:)" if r.origin == "triggers" else "")
    ]
    if r.gap:
        notes.append(f"not translated: {r.gap}")
    if r.integration and r.shippable_type != "notification":
        notes.append(f"integration {r.integration} (credentials) not translated")
    if not r.triggers_on_edit:
        notes.append("on Shippable, editing it does not start jobs; here a changed property makes a version")
    if r.flags:
        notes.append(f"flags: {', '.join(r.flags)}")
    return notes


def job_notes(j: JobExtras) -> list[str]:
    """What of job ``j`` the native form does not hold, one line each (also used by the graph display)."""
    notes = [
        f"Shippable {j.shippable_type or '(no type)'} job"
        + ("" if j.runnable else ": conveyor cannot run it")
    ]
    settings = []
    if j.dependency_mode:
        settings.append(f"dependencyMode {j.dependency_mode}")
    if j.trigger_mode:
        settings.append(f"triggerMode {j.trigger_mode}")
    if j.priority is not None:
        settings.append(f"priority {j.priority}")
    if j.node_pool:
        settings.append(f"nodePool {j.node_pool}")
    if j.container is not None:
        settings.append(f"container {str(j.container).lower()}")
    if j.allow_public_access is not None:
        settings.append(f"allowPublicAccess {str(j.allow_public_access).lower()}")
    settings.extend(f"{key} {raw_text(value)}" for key, value in j.type_options)
    if settings:
        notes.append("not translated: " + "; ".join(settings))
    for i in j.inputs:
        parts = []
        if i.version_name is not None:
            parts.append(f"pinned to versionName {i.version_name}")
        if i.version_number is not None:
            parts.append(f"pinned to versionNumber {i.version_number}")
        if i.dependency_mode:
            parts.append(f"dependencyMode {i.dependency_mode}")
        if i.scopes:
            parts.append(f"scopes {', '.join(i.scopes)}")
        if i.apply_to:
            parts.append(f"applyTo {', '.join(raw_text(a) for a in i.apply_to)}")
        if i.force is not None:
            parts.append(f"force {str(i.force).lower()}")
        if i.show_build_status:
            parts.append("showBuildStatus")
        parts.extend(f"{key} {raw_text(value)}" for key, value in i.options)
        if parts:
            notes.append(f"IN {i.name}: {'; '.join(parts)} (not translated)")
    for o in j.outputs:
        parts = []
        if o.kind == "job":
            parts.append("a job: translated as an input of that job")
        if o.replicate:
            parts.append(f"replicate {o.replicate}")
        if o.replicate_on_pull_request is not None:
            parts.append(f"replicateOnPullRequest {str(o.replicate_on_pull_request).lower()}")
        if o.overwrite:
            parts.append("overwrite")
        if o.on_failure:
            parts.append("on_failure (post even when the job fails)")
        if parts:
            notes.append(
                f"OUT {o.name}: {'; '.join(parts)}" + ("" if o.kind == "job" else " (not translated)")
            )
    for t in j.tasks:
        image = ":".join(x for x in (t.image_name, t.image_tag) if x)
        parts = [f"image {image}"] if image else []
        if t.container is not None:
            parts.append(f"container {str(t.container).lower()}")
        if t.docker_options:
            parts.append(f"docker options {t.docker_options}")
        if parts:
            notes.append(f"TASK {t.name or '(unnamed)'} runtime: {'; '.join(parts)} (not translated)")
    for name in HOOK_NAMES:
        hook = j.hook(name)
        if hook is None:
            continue
        if hook.scripts and name in ("on_start", "on_cancel"):
            lines = len(hook.scripts)
            notes.append(f"{name} script ({lines} line{'' if lines == 1 else 's'}) not translated")
        snippets = [n.resource for n in hook.notify if n.send_failing_snippet]
        if snippets:
            notes.append(f"{name} NOTIFY {', '.join(snippets)}: sendFailingSnippet not translated")
    if j.triggered_by:
        notes.append(f"runs after {', '.join(j.triggered_by)} (their OUT names this job)")
    if j.uses_shipctl:
        notes.append("its scripts call shipctl: runtime: shippable puts conveyor's shipctl on their PATH")
    if (
        j.runnable
        and any(t.script for t in j.tasks)
        and any(h and h.scripts for h in (j.on_success, j.on_failure, j.always))
    ):
        notes.append(
            "hook scripts run in a shell of their own: variables and the directory a TASK set are not seen "
            "there (Shippable shares them)"
        )
    return notes
