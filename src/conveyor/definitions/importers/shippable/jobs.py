"""Shippable ``jobs:`` entries -> ``JobExtras`` (everything the job says, located).

A job of a type conveyor cannot run is still read in full, with a warning naming the type where it is
written: it stays in the graph (its INs and OUTs are edges other jobs depend on), and the translation gives
it a step that fails saying why.
"""

from __future__ import annotations

from conveyor.definitions.importers.shippable.records import (
    HOOK_NAMES,
    TRIGGER_MODES,
    Hook,
    HookName,
    InStep,
    JobExtras,
    OutStep,
    Raw,
    Task,
    TriggerMode,
)
from conveyor.definitions.importers.shippable.steps import (
    dependency_mode,
    one_map,
    parse_hook,
    parse_in,
    parse_out,
    parse_task,
)
from conveyor.definitions.importers.shippable.tree import Reader, entry, is_null, plain
from conveyor.definitions.importers.shippable.types import (
    JOB_TYPES,
    RUNNABLE_JOB_TYPES,
    TYPE_OPTION_KEYS,
)
from conveyor.definitions.yamlsrc import Map, Node, describe

JOB_KEYS = (
    "name",
    "type",
    "steps",
    "dependencyMode",
    "triggerMode",
    "priority",
    "runtime",
    "timeoutMinutes",
    "integrations",
    "allowPublicAccess",
    "flags",
    *HOOK_NAMES,
    *TYPE_OPTION_KEYS,
)
JOB_RUNTIME_KEYS = ("nodePool", "container", "timeoutMinutes")
_STEP_KINDS = ("IN", "TASK", "OUT")
_TRIGGER_MODES: dict[str, TriggerMode] = {m: m for m in TRIGGER_MODES}


def parse_job(r: Reader, node: Node) -> JobExtras | None:
    """One entry; None (with an error) when it has no usable name."""
    if not isinstance(node, Map):
        r.error(node, f"expected a job (a mapping with 'name', 'type' and 'steps'), got {describe(node)}")
        return None
    name_node = entry(node, "name")
    if name_node is None:
        r.error(node, "missing required key 'name' in job")
        return None
    name = r.name(name_node, "a job")
    if name is None:
        return None
    r.unknown_keys(node, JOB_KEYS, f"job {name!r}")
    jtype = _type(r, node, name)
    runnable = jtype in RUNNABLE_JOB_TYPES

    inputs: list[InStep] = []
    outputs: list[OutStep] = []
    tasks: list[Task] = []
    steps_node = entry(node, "steps")
    for item in r.items(steps_node, "steps (IN, TASK, OUT)") if steps_node is not None else []:
        kind = _step_kind(r, item, name)
        if kind is None:
            continue
        assert isinstance(item, Map)
        if kind == "IN":
            found_in = parse_in(r, item, name)
            if found_in is not None:
                inputs.append(found_in)
        elif kind == "OUT":
            found_out = parse_out(r, item, name)
            if found_out is not None:
                outputs.append(found_out)
        else:
            task_node = entry(item, "TASK")
            assert task_node is not None
            task = parse_task(r, task_node, name)
            if task is not None:
                tasks.append(task)
                if task.shape == "managed" and runnable:
                    r.warn(
                        task_node,
                        f"'TASK: managed' is for Shippable-managed job types; {jtype} job "
                        f"{name!r} has nothing to run in it",
                    )
                elif runnable and not task.script:
                    r.warn(task_node, f"TASK of job {name!r} has no script")
    if jtype == "runSh" and not tasks:
        r.warn(steps_node or node, f"runSh job {name!r} has no TASK; it does nothing")
    if jtype == "runCI" and not any(t.script for t in tasks):
        r.warn(
            entry(node, "type") or node,
            f"runCI job {name!r} runs the CI build of its repository (the file's 'build:' section), which "
            "conveyor does not run; it runs as a runSh job with only its TASK scripts (none here)",
        )

    runtime = _runtime(r, node)
    timeout = entry(node, "timeoutMinutes")
    if timeout is not None:
        runtime["timeoutMinutes"] = r.integer(timeout, "timeoutMinutes", 1)
    hooks: dict[HookName, Hook] = {}
    for hook in HOOK_NAMES:
        value = entry(node, hook)
        if value is not None and not is_null(value):
            lines, notify, shape = parse_hook(r, value, hook, name)
            hooks[hook] = Hook(lines, notify, "list" if shape == "list" else "mapping", r.loc(value))
    trigger_mode = None
    value = entry(node, "triggerMode")
    if value is not None:
        trigger_mode = _TRIGGER_MODES.get(r.choice(value, "triggerMode", TRIGGER_MODES) or "")
    value = entry(node, "dependencyMode")
    priority = entry(node, "priority")
    public = entry(node, "allowPublicAccess")
    integrations = entry(node, "integrations")
    flags = entry(node, "flags")
    type_options: list[tuple[str, Raw]] = [
        (key, plain(value)) for key, (_, value) in node.entries.items() if key in TYPE_OPTION_KEYS
    ]
    node_pool = runtime.get("nodePool")
    container = runtime.get("container")
    minutes = runtime.get("timeoutMinutes")
    return JobExtras(
        name=name,
        shippable_type=jtype,
        runnable=runnable,
        dependency_mode=dependency_mode(r, value) if value is not None else None,
        trigger_mode=trigger_mode,
        priority=r.integer(priority, "priority", 0, 10000) if priority is not None else None,
        node_pool=node_pool if isinstance(node_pool, str) else None,
        container=container if isinstance(container, bool) else None,
        timeout_minutes=minutes if isinstance(minutes, int) and not isinstance(minutes, bool) else None,
        integrations=r.texts(integrations, "integrations") if integrations is not None else (),
        allow_public_access=r.flag(public, "allowPublicAccess") if public is not None else None,
        flags=r.texts(flags, "flags") if flags is not None else (),
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        tasks=tuple(tasks),
        on_start=hooks.get("on_start"),
        on_success=hooks.get("on_success"),
        on_failure=hooks.get("on_failure"),
        on_cancel=hooks.get("on_cancel"),
        always=hooks.get("always"),
        type_options=tuple(type_options),
        location=r.loc(node),
    )


def _type(r: Reader, node: Map, name: str) -> str:
    type_node = entry(node, "type")
    if type_node is None:
        r.error(node, f"missing required key 'type' in job {name!r}")
        return ""
    jtype = r.text(type_node, f"the type of job {name!r}") or ""
    if not jtype:
        return ""
    if jtype in RUNNABLE_JOB_TYPES:
        return jtype
    if jtype in JOB_TYPES:
        r.warn(
            type_node,
            f"conveyor cannot run {jtype} jobs ({JOB_TYPES[jtype]}): job {name!r} is kept in the graph "
            "with a step that fails saying so",
        )
    else:
        hint = r.report.suggest.did_you_mean(jtype, JOB_TYPES)
        r.warn(
            type_node,
            f"unknown job type {jtype!r}{hint}: job {name!r} is kept in the graph with a step that fails "
            "saying so",
        )
    return jtype


def _step_kind(r: Reader, item: Node, job: str) -> str | None:
    """Which of IN, TASK, OUT a step item is (exactly one of them must be its key)."""
    if not isinstance(item, Map):
        r.error(item, f"expected a step of job {job!r} ('IN:', 'TASK:' or 'OUT:'), got {describe(item)}")
        return None
    kinds = [k for k in _STEP_KINDS if k in item.entries]
    if len(kinds) == 1:
        return kinds[0]
    if not kinds:
        keys = ", ".join(repr(k) for k in item.entries) or "nothing"
        r.error(item, f"a step of job {job!r} needs one of 'IN:', 'TASK:' or 'OUT:' (it has {keys})")
    else:
        second = item.entries[kinds[1]][0]
        r.error(second, f"a step of job {job!r} has both {kinds[0]!r} and {kinds[1]!r}; write two steps")
    return None


def _runtime(r: Reader, node: Map) -> dict[str, object]:
    """Job-level ``runtime`` (a mapping, or the list of one-key mappings the docs show)."""
    value = entry(node, "runtime")
    if value is None or is_null(value):
        return {}
    runtime = one_map(r, value, "runtime")
    r.unknown_keys(runtime, JOB_RUNTIME_KEYS, "job runtime")
    out: dict[str, object] = {}
    pool = entry(runtime, "nodePool")
    if pool is not None:
        out["nodePool"] = r.text(pool, "nodePool") or None
    container = entry(runtime, "container")
    if container is not None:
        out["container"] = r.flag(container, "container")
    minutes = entry(runtime, "timeoutMinutes")
    if minutes is not None:
        out["timeoutMinutes"] = r.integer(minutes, "timeoutMinutes", 1)
    return out
