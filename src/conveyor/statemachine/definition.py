"""Loading a definition: any accepted shape -> a validated States Language machine, or every problem.

Three shapes are accepted, told apart by their keys: a States Language machine (``StartAt`` / ``States``),
Clever's workflow-definition request (``stateMachine``), and Clever's Batch-era format (a ``states`` array).
The result is a ``Definition`` holding a deep copy, so a caller changing its dict later changes nothing here.

Problems are ``conveyor.errors.Problem`` values. A dict has no lines, so each problem's file is ``source``
and its line/column come from ``locate(key_path)`` when the caller can map key paths to positions (a YAML
front end can), else 0/0; the message always names the state, e.g.
``state "Check": Next names "Nope", which does not exist``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conveyor.errors import BadInput, InvalidDefinition, Problem
from conveyor.statemachine import legacy
from conveyor.statemachine.checks import check_machine, transitions
from conveyor.statemachine.choice import Where
from conveyor.statemachine.values import Json, copy_json

#: Maps a key path in the document to (line, column), or None when unknown.
Locate = Callable[[tuple[str | int, ...]], tuple[int, int] | None]


@dataclass(frozen=True)
class Definition:
    """A valid state machine, with what Clever's shapes carried around it."""

    machine: dict[str, Json]
    name: str | None = None
    default_tags: dict[str, str] = field(default_factory=dict)
    #: "asl", "request" (a workflow-definition request) or "legacy" (the Batch-era format)
    shape: str = "asl"


def validate(
    document: Json, *, source: str = "<state machine>", locate: Locate | None = None
) -> list[Problem]:
    """Every problem in ``document`` (any accepted shape); an empty list when it is valid."""
    return _load(document, source, locate)[1]


def load(document: Json, *, source: str = "<state machine>", locate: Locate | None = None) -> Definition:
    """The definition in ``document``; raises ``InvalidDefinition`` with every problem."""
    if isinstance(document, Definition):
        return document
    definition, problems = _load(document, source, locate)
    if problems:
        raise InvalidDefinition(problems)
    return definition


def convert_legacy(document: Json) -> dict[str, Json]:
    """Clever's Batch-era definition (a ``states`` array) as a States Language machine, validated."""
    if not legacy.is_legacy(document):
        raise BadInput("not a Batch-era definition: it has no 'states' array")
    return load(document).machine


def with_start_at(machine: Json, start_at: str) -> dict[str, Json]:
    """A copy of ``machine`` that starts at ``start_at``, without the states that became unreachable.

    This is Clever's ``RemoveInactiveStates``, used to resume a workflow from a state. ``start_at`` must
    be a top-level state; every other problem of the machine is still an error.
    """
    if not isinstance(machine, dict) or not isinstance(machine.get("States"), dict):
        raise BadInput("not a state machine: it has no States")
    if not start_at:
        raise BadInput("StartAt must name a state")
    if start_at not in machine["States"]:
        raise BadInput(f'"{start_at}" is not a top-level state of the state machine')
    moved = copy_json(machine, "the state machine")
    moved["StartAt"] = start_at
    reachable = _reachable(moved["States"], start_at)
    moved["States"] = {name: state for name, state in moved["States"].items() if name in reachable}
    return load(moved).machine


def _reachable(states: dict[str, Json], start: str) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        state = states.get(queue.popleft())
        if isinstance(state, dict):
            for _, _, target in transitions(state):
                if isinstance(target, str) and target in states and target not in seen:
                    seen.add(target)
                    queue.append(target)
    return seen


def _load(document: Any, source: str, locate: Locate | None) -> tuple[Definition, list[Problem]]:
    try:
        document = copy_json(document, "the definition")
    except ValueError as exc:
        return Definition({}), [Problem(source, 0, 0, str(exc))]
    name: str | None = None
    tags: dict[str, str] = {}
    if legacy.is_request(document):
        shape = "request"
        machine, problems, back = legacy.convert_request(document)
        name = document.get("name") if isinstance(document.get("name"), str) else None
        tags = document.get("defaultTags") if isinstance(document.get("defaultTags"), dict) else {}
    elif legacy.is_legacy(document):
        shape = "legacy"
        machine, problems, back = legacy.convert_legacy(document)
        name = document.get("name") if isinstance(document.get("name"), str) else None
    else:
        shape = "asl"
        machine, problems, back = document, [], _same
    found = [(where, message) for where, message in problems]
    found += [(back(where), message) for where, message in check_machine(machine)]
    located = [_problem(source, locate, where, message) for where, message in found]
    definition = Definition(machine if isinstance(machine, dict) else {}, name, tags, shape)
    return definition, located


def _same(where: Where) -> Where:
    return where


def _problem(source: str, locate: Locate | None, where: Where, message: str) -> Problem:
    position = locate(where) if locate is not None else None
    line, col = position if position is not None else (0, 0)
    return Problem(source, line, col, message)
