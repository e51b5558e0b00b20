"""A Shippable job's step items (``IN``, ``TASK``, ``OUT``) and hooks, in every shape real files use.

Shapes (FACTS.md 1.5): a TASK is a list of ``{script: ...}`` items (old), a mapping ``{name, script,
runtime}``, or the scalar ``managed``; a hook is a mapping ``{script: [...], NOTIFY: [...]}`` or a list of
``- script: ...`` / ``- NOTIFY: ...`` items; ``script`` and ``NOTIFY`` take one value or a list; ``env`` is a
list of one-key mappings. Each is normalised into one record, so the shapes translate alike.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal, TypeVar

from conveyor.definitions.importers.shippable.records import (
    DEPENDENCY_MODES,
    DependencyMode,
    HookName,
    InStep,
    Notify,
    OutStep,
    Raw,
    Task,
)
from conveyor.definitions.importers.shippable.tree import Reader, entry, is_null, key_node, plain
from conveyor.definitions.spec import COMPILED, ENV_HINT, ENV_PATTERN
from conveyor.definitions.yamlsrc import Map, Node, Scalar, Seq, describe, text_value

IN_KEYS = (
    "IN",
    "switch",
    "versionName",
    "versionNumber",
    "dependencyMode",
    "applyTo",
    "force",
    "showBuildStatus",
    "vote",
    "scopes",
)
OUT_KEYS = ("OUT", "replicate", "replicateOnPullRequest", "overwrite", "on_failure")
TASK_KEYS = ("name", "script", "runtime")
TASK_RUNTIME_KEYS = ("container", "options")
TASK_OPTION_KEYS = ("imageName", "imageTag", "pull", "options", "env")
HOOK_KEYS = ("script", "NOTIFY")

_OFF = ("off", "false", "no")
_ON = ("on", "true", "yes")


def parse_in(r: Reader, node: Map, job: str) -> InStep | None:
    target = entry(node, "IN")
    assert target is not None
    name = r.name(target, f"an IN of job {job!r}")
    if name is None:
        return None
    r.unknown_keys(node, IN_KEYS, f"IN {name!r}")
    switch_off = False
    switch = entry(node, "switch")
    if switch is not None:
        switch_off = _switch(r, switch)
    version_name = version_number = None
    value = entry(node, "versionName")
    if value is not None:
        version_name = r.text(value, "versionName") or None
    value = entry(node, "versionNumber")
    if value is not None:
        version_number = r.integer(value, "versionNumber", 0)
    if entry(node, "versionName") is not None and entry(node, "versionNumber") is not None:
        later = max((key_node(node, k) for k in ("versionName", "versionNumber")), key=_position)
        assert later is not None
        r.error(later, f"IN {name!r} pins both 'versionName' and 'versionNumber'; give one of them")
    mode = None
    value = entry(node, "dependencyMode")
    if value is not None:
        mode = dependency_mode(r, value)
    options: list[tuple[str, Raw]] = [
        (key, plain(value)) for key, (_, value) in node.entries.items() if key == "vote"
    ]
    return InStep(
        name=name,
        switch_off=switch_off,
        version_name=version_name,
        version_number=version_number,
        dependency_mode=mode,
        apply_to=tuple(plain(i) for i in r.items(entry(node, "applyTo") or Seq(0, 0), "applyTo entries")),
        force=_opt_flag(r, node, "force"),
        show_build_status=_opt_flag(r, node, "showBuildStatus"),
        scopes=r.texts(entry(node, "scopes") or Seq(0, 0), "scopes"),
        options=tuple(options),
        location=r.loc(node),
    )


def dependency_mode(r: Reader, node: Node) -> DependencyMode | None:
    return _MODES.get(r.choice(node, "dependencyMode", DEPENDENCY_MODES) or "")


_MODES: dict[str, DependencyMode] = {m: m for m in DEPENDENCY_MODES}


def _switch(r: Reader, node: Node) -> bool:
    """True when the input is switched off: ``off`` however YAML reads it (the boolean False of YAML 1.1's
    plain ``off``/``no``/``false``, or the same words quoted, in any case)."""
    if isinstance(node, Scalar):
        word = node.value.strip().lower()
        if word in _OFF:
            return True
        if word in _ON:
            return False
    got = repr(node.value) if isinstance(node, Scalar) else describe(node)
    r.error(node, f"invalid switch {got}: expected 'off' (never start the job) or 'on'")
    return False


def parse_out(r: Reader, node: Map, job: str) -> OutStep | None:
    target = entry(node, "OUT")
    assert target is not None
    name = r.name(target, f"an OUT of job {job!r}")
    if name is None:
        return None
    r.unknown_keys(node, OUT_KEYS, f"OUT {name!r}")
    replicate = None
    value = entry(node, "replicate")
    if value is not None:
        replicate = r.name(value, f"the IN that OUT {name!r} replicates")
    return OutStep(
        name=name,
        replicate=replicate,
        replicate_on_pull_request=_opt_flag(r, node, "replicateOnPullRequest"),
        overwrite=bool(_opt_flag(r, node, "overwrite")),
        on_failure=bool(_opt_flag(r, node, "on_failure")),
        location=r.loc(node),
    )


def parse_task(r: Reader, node: Node, job: str) -> Task | None:
    """One TASK value, in any of its three shapes."""
    if isinstance(node, Scalar):
        if node.value.strip().lower() == "managed":
            return Task(shape="managed", location=r.loc(node))
        r.error(
            node,
            f"expected a TASK of job {job!r}: a mapping with 'script', a list of '- script:' items, "
            f"or 'managed', got {describe(node)}",
        )
        return None
    if isinstance(node, Map):
        r.unknown_keys(node, TASK_KEYS, f"TASK of job {job!r}")
        return _task(r, node, job, "mapping")
    assert isinstance(node, Seq)
    merged = Task(shape="list", location=r.loc(node))
    for item in node.items:
        if isinstance(item, Scalar) and not is_null(item):
            merged = replace(merged, script=(*merged.script, text_value(item)))
            continue
        if not isinstance(item, Map):
            r.error(item, f"expected a '- script: ...' item in a TASK of job {job!r}, got {describe(item)}")
            continue
        r.unknown_keys(item, TASK_KEYS, f"TASK of job {job!r}")
        part = _task(r, item, job, "list")
        merged = Task(
            name=merged.name or part.name,
            script=(*merged.script, *part.script),
            shape="list",
            env=tuple(sorted({**dict(merged.env), **dict(part.env)}.items())),
            container=_first(merged.container, part.container),
            image_name=_first(merged.image_name, part.image_name),
            image_tag=_first(merged.image_tag, part.image_tag),
            pull=_first(merged.pull, part.pull),
            docker_options=_first(merged.docker_options, part.docker_options),
            location=merged.location,
        )
    return merged


_T = TypeVar("_T")


def _first(a: _T | None, b: _T | None) -> _T | None:
    return a if a is not None else b


def _task(r: Reader, node: Map, job: str, shape: Literal["list", "mapping"]) -> Task:
    name = entry(node, "name")
    script = entry(node, "script")
    task = Task(
        name=(r.text(name, "the name of a TASK") or "") if name is not None else "",
        script=scripts(r, script, f"a TASK of job {job!r}") if script is not None else (),
        shape=shape,
        location=r.loc(node),
    )
    runtime = entry(node, "runtime")
    if runtime is None or is_null(runtime):
        return task
    runtime_map = one_map(r, runtime, "runtime")
    r.unknown_keys(runtime_map, TASK_RUNTIME_KEYS, "TASK runtime")
    task = replace(task, container=_opt_flag(r, runtime_map, "container"))
    options = entry(runtime_map, "options")
    if options is None or is_null(options):
        return task
    option_map = one_map(r, options, "runtime options")
    r.unknown_keys(option_map, TASK_OPTION_KEYS, "TASK runtime options")
    text: dict[str, str | None] = {}
    for key in ("imageName", "imageTag", "options"):
        value = entry(option_map, key)
        text[key] = (r.text(value, key) or None) if value is not None else None
    env = entry(option_map, "env")
    return replace(
        task,
        image_name=text["imageName"],
        image_tag=text["imageTag"],
        docker_options=text["options"],
        pull=_opt_flag(r, option_map, "pull"),
        env=_env(r, env) if env is not None else (),
    )


def scripts(r: Reader, node: Node, where: str) -> tuple[str, ...]:
    """``script:`` as lines: one value or a list of values (each may hold several lines)."""
    out = []
    for item in r.items(node, "script lines"):
        if not isinstance(item, Scalar):
            r.error(item, f"expected a script line in {where}, got {describe(item)}")
        elif not is_null(item):
            out.append(text_value(item))
    return tuple(out)


def _env(r: Reader, node: Node) -> tuple[tuple[str, str], ...]:
    """``env``: a list of one-key mappings (as Shippable writes it), a mapping, or ``NAME=value`` items."""
    pairs: dict[str, str] = {}
    items: list[tuple[Node, str, Node | None]] = []
    if isinstance(node, Map):
        items = [(k, key, v) for key, (k, v) in node.entries.items()]
    else:
        for item in r.items(node, "environment variables"):
            if isinstance(item, Map):
                items.extend((k, key, v) for key, (k, v) in item.entries.items())
            elif isinstance(item, Scalar) and "=" in item.value:
                name, _, text = item.value.partition("=")
                items.append((item, name.strip(), Scalar(text, None, False, item.line, item.col)))
            else:
                r.error(item, f"expected 'NAME: value' in env, got {describe(item)}")
    for where, key, found in items:
        if not COMPILED[ENV_PATTERN].match(key):
            r.error(where, f"invalid environment variable name {key!r}: {ENV_HINT}")
        elif found is not None and not isinstance(found, Scalar):
            r.error(found, f"expected a plain value for environment variable {key!r}, got {describe(found)}")
        else:
            pairs[key] = text_value(found) if found is not None else ""
    return tuple(sorted(pairs.items()))


def one_map(r: Reader, node: Node, what: str) -> Map:
    """A mapping, or a list of one-key mappings merged into one (``runtime: [{nodePool: x}, ...]``)."""
    if isinstance(node, Map):
        return node
    merged = Map(node.line, node.col)
    if isinstance(node, Seq):
        for item in node.items:
            if isinstance(item, Map):
                for key, pair in item.entries.items():
                    merged.entries.setdefault(key, pair)
            else:
                r.error(item, f"expected 'key: value' items in {what}, got {describe(item)}")
        return merged
    r.error(node, f"expected a mapping for {what}, got {describe(node)}")
    return merged


def parse_hook(
    r: Reader, node: Node, hook: HookName, job: str
) -> tuple[tuple[str, ...], tuple[Notify, ...], str]:
    """(script lines, notifications, shape) of one hook, whichever way it is written."""
    where = f"{hook} of job {job!r}"
    lines: list[str] = []
    notify: list[Notify] = []
    shape: Literal["mapping", "list"] = "mapping"
    parts: list[Map] = []
    if isinstance(node, Map):
        parts = [node]
    elif isinstance(node, Seq):
        shape = "list"
        for item in node.items:
            if isinstance(item, Map):
                parts.append(item)
            else:
                r.error(item, f"expected '- script: ...' or '- NOTIFY: ...' in {where}, got {describe(item)}")
    else:
        r.error(node, f"expected 'script:' and/or 'NOTIFY:' in {where}, got {describe(node)}")
    for part in parts:
        r.unknown_keys(part, HOOK_KEYS, where)
        script = entry(part, "script")
        if script is not None:
            lines.extend(scripts(r, script, where))
        targets = entry(part, "NOTIFY")
        if targets is not None:
            notify.extend(_notify(r, targets, where))
    return tuple(lines), tuple(notify), shape


def _notify(r: Reader, node: Node, where: str) -> list[Notify]:
    out = []
    for item in [node] if isinstance(node, Map) else r.items(node, "notifications"):
        if isinstance(item, Map):
            r.unknown_keys(item, ("name", "sendFailingSnippet"), f"NOTIFY in {where}")
            name_node = entry(item, "name")
            if name_node is None:
                r.error(item, f"missing required key 'name' in NOTIFY of {where}")
                continue
            name = r.name(name_node, f"a NOTIFY of {where}")
            snippet = bool(_opt_flag(r, item, "sendFailingSnippet"))
        else:
            name, snippet = r.name(item, f"a NOTIFY of {where}"), False
        if name is not None:
            out.append(Notify(name, snippet, r.loc(item)))
    return out


def _opt_flag(r: Reader, node: Map, key: str) -> bool | None:
    value = entry(node, key)
    return None if value is None else r.flag(value, key)


def _position(node: Scalar | None) -> tuple[int, int]:
    return (node.line, node.col) if node is not None else (0, 0)
