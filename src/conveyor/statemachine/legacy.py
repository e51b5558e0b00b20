"""Clever's two other definition shapes, turned into a States Language state machine.

* The Batch-era format (``hello-workflow.post.json``): a top-level ``name``, an optional ``startAt``
  (default: the first state) and a ``states`` *array* of ``{name, type, next, resource, end}``.
* The workflow-definition request (``NewWorkflowDefinitionRequest``, and each item of the embedded mode's
  YAML list): ``{name, version, manager, stateMachine, defaultTags}``; ``version`` is ignored as Clever
  ignored it, ``defaultTags`` values must be strings.

Each converter returns the machine, its own problems, and a function that maps a key path in the machine
back to the key path in the original document (so problems point at what the user wrote).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conveyor.statemachine.choice import Problems, Where
from conveyor.statemachine.fieldchecks import unknown_fields
from conveyor.statemachine.values import Json, q

_LEGACY_TOP = frozenset({"name", "startAt", "states", "description", "version", "manager"})
_LEGACY_STATE = frozenset({"name", "type", "next", "resource", "end", "comment"})
_REQUEST = frozenset({"name", "version", "manager", "stateMachine", "defaultTags", "id", "createdAt"})
_TYPES = {t.lower(): t for t in ("Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")}

Converted = tuple[dict[str, Json], Problems, Callable[[Where], Where]]


def is_legacy(document: Json) -> bool:
    """The Batch-era shape: a ``states`` array."""
    return isinstance(document, dict) and isinstance(document.get("states"), list)


def is_request(document: Json) -> bool:
    """A workflow-definition request: a ``stateMachine`` object with a name around it."""
    return isinstance(document, dict) and "stateMachine" in document


def convert_legacy(document: dict[str, Any]) -> Converted:
    """The Batch-era definition as a States Language machine (problems of the old shape included)."""
    problems: Problems = unknown_fields(document, _LEGACY_TOP, (), "")
    states: dict[str, Json] = {}
    index: dict[str, int] = {}
    for i, item in enumerate(document["states"]):
        at: Where = ("states", i)
        if not isinstance(item, dict):
            problems.append((at, f"state {i + 1} must be an object with name and type"))
            continue
        problems += unknown_fields(item, _LEGACY_STATE, at, f"state {i + 1}: ")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            problems.append((at, f"state {i + 1} needs a name"))
            continue
        if name in states:
            problems.append(((*at, "name"), f'state name "{name}" is used twice'))
            continue
        index[name] = i
        state: dict[str, Json] = {}
        kind = item.get("type")
        if kind is not None:
            state["Type"] = _TYPES.get(kind.lower(), kind) if isinstance(kind, str) else kind
        for old, new in (("resource", "Resource"), ("next", "Next"), ("comment", "Comment")):
            if item.get(old) not in (None, ""):
                state[new] = item[old]
        if item.get("end") is True:
            state["End"] = True
        elif item.get("end") not in (None, False):
            state["End"] = item["end"]
        states[name] = state
    machine: dict[str, Json] = {"States": states}
    start = document.get("startAt")
    if start is None and document["states"] and isinstance(document["states"][0], dict):
        start = document["states"][0].get("name")
    if start is not None:
        machine["StartAt"] = start
    if isinstance(document.get("description"), str):
        machine["Comment"] = document["description"]
    problems += _name_problems(document)

    def where(path: Where) -> Where:
        if path[:1] == ("StartAt",):
            return ("startAt",)
        if len(path) >= 2 and path[0] == "States" and path[1] in index:
            rest = tuple(str(p).lower() for p in path[2:3])
            return ("states", index[str(path[1])], *rest)
        return ("states",)

    return machine, problems, where


def convert_request(document: dict[str, Any]) -> Converted:
    """The ``stateMachine`` of a workflow-definition request, after checking the request's own fields."""
    problems: Problems = unknown_fields(document, _REQUEST, (), "")
    problems += _name_problems(document)
    manager = document.get("manager", "step-functions")
    if manager != "step-functions":
        problems.append((("manager",), f'manager must be "step-functions", not {q(manager)}'))
    tags = document.get("defaultTags", {})
    if not isinstance(tags, dict):
        problems.append((("defaultTags",), "defaultTags must be an object of string values"))
    else:
        for key, value in tags.items():
            if not isinstance(value, str):
                problems.append((("defaultTags", key), f"defaultTags value for {q(key)} must be a string"))
    machine = document["stateMachine"]
    if not isinstance(machine, dict):
        problems.append((("stateMachine",), "stateMachine must be an object with StartAt and States"))
        machine = {}
    return machine, problems, lambda path: ("stateMachine", *path)


def _name_problems(document: dict[str, Any]) -> Problems:
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        return [(("name",), "name is required (a non-empty string)")]
    return []
