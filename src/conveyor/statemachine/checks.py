"""Validation of a whole state machine: structure, transitions, reachability, and every state's fields.

Every problem is collected (nothing stops at the first), each with the key path where it is. The rules are
the States Language spec's, which include everything Clever's workflow-manager checked (FACTS.md section 4):
StartAt exists, every Next / Default / catcher Next names a state of the same machine (a branch cannot
jump out of itself), End/Next rules per type, every state reachable from StartAt, at least one state ending
the machine, state names unique across the whole machine (branches included) and at most 80 characters.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping

from conveyor.statemachine import fieldchecks as fc
from conveyor.statemachine.choice import Problems, Where, check_rule
from conveyor.statemachine.hints import did_you_mean
from conveyor.statemachine.values import Json, q

STATE_TYPES = tuple(fc.FIELDS)
MAX_NAME = 80
_TOP = frozenset({"States", "StartAt", "Comment", "Version", "TimeoutSeconds"})
_BRANCH = frozenset({"States", "StartAt", "Comment"})
_PROCESSOR = _BRANCH | {"ProcessorConfig"}
_NO_FLOW = ("Choice", "Succeed", "Fail")


def check_machine(machine: Json) -> Problems:
    """Every problem of ``machine`` (a States Language state machine), in definition order."""
    if not isinstance(machine, dict):
        return [((), "a state machine must be an object with StartAt and States")]
    checker = _Checker()
    checker.collect_names(machine)
    checker.machine(machine, (), "", _TOP)
    return checker.problems


def sub_machines(state: Mapping[str, Json]) -> Iterator[tuple[str | int, Json, str]]:
    """The machines inside a Parallel or Map state: (key path step(s), machine, label)."""
    if state.get("Type") == "Parallel" and isinstance(state.get("Branches"), list):
        for i, branch in enumerate(state["Branches"]):
            yield i, branch, f"branch {i + 1}"
    elif state.get("Type") == "Map":
        for field in ("ItemProcessor", "Iterator"):
            if field in state:
                yield field, state[field], f"the {field}"


def transitions(state: Mapping[str, Json]) -> Iterator[tuple[Where, str, Json]]:
    """Every state name ``state`` may go to: (key path inside the state, description, name)."""
    if "Next" in state:
        yield ("Next",), "Next", state["Next"]
    if "Default" in state:
        yield ("Default",), "Default", state["Default"]
    for field, what in (("Choices", "choice"), ("Catch", "catcher")):
        items = state.get(field)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict) and "Next" in item:
                    yield (field, i, "Next"), f"{what} {i + 1}: Next", item["Next"]


class _Checker:
    def __init__(self) -> None:
        self.problems: Problems = []
        #: state name -> where it is defined (the first time)
        self.defined: dict[str, Where] = {}

    def collect_names(self, machine: Json) -> None:
        """Every state name in every nested machine, reporting names used twice."""
        pending: list[tuple[Json, Where]] = [(machine, ())]
        while pending:
            current, where = pending.pop(0)
            if not isinstance(current, dict) or not isinstance(current.get("States"), dict):
                continue
            for name, state in current["States"].items():
                at = (*where, "States", name)
                if name in self.defined:
                    self.problems.append(
                        (
                            at,
                            f'state name "{name}" is used twice (names must be unique in the whole machine, '
                            "branches included)",
                        )
                    )
                else:
                    self.defined[name] = at
                if isinstance(state, dict):
                    for step, inner, _ in sub_machines(state):
                        extra = ("Branches", step) if isinstance(step, int) else (step,)
                        pending.append((inner, (*at, *extra)))

    def machine(self, machine: Json, where: Where, label: str, allowed: frozenset[str]) -> None:
        prefix = f"{label}: " if label else ""
        if not isinstance(machine, dict):
            self.problems.append((where, f"{prefix}must be an object with StartAt and States"))
            return
        self.problems += fc.unknown_fields(machine, allowed, where, prefix)
        if "Comment" in machine and not isinstance(machine["Comment"], str):
            self.problems.append(((*where, "Comment"), f"{prefix}Comment must be a string"))
        if "Version" in machine and machine["Version"] != "1.0":
            self.problems.append(((*where, "Version"), f'{prefix}Version must be "1.0"'))
        self.problems += fc.check_integer(machine, "TimeoutSeconds", where, prefix, minimum=1)
        if "ProcessorConfig" in machine:
            self.problems += fc.check_processor_config(
                machine["ProcessorConfig"], (*where, "ProcessorConfig"), prefix
            )
        states = machine.get("States")
        if not isinstance(states, dict) or not states:
            self.problems.append(
                ((*where, "States"), f"{prefix}States must be an object with at least one state")
            )
            states = {}
        start = machine.get("StartAt")
        if not isinstance(start, str) or not start:
            self.problems.append(
                ((*where, "StartAt"), f"{prefix}StartAt is required (the name of the first state)")
            )
        elif states and start not in states:
            self.problems.append(
                (
                    (*where, "StartAt"),
                    f'{prefix}StartAt names "{start}", which does not exist{did_you_mean(start, states)}',
                )
            )
        for name, state in states.items():
            self.state(name, state, (*where, "States", name), states)
        if states:
            self.reachability(states, start, where)
            if not any(_terminal(s) or _dangling(s) or _broken(s, states) for s in states.values()):
                self.problems.append(
                    (
                        (*where, "States"),
                        f'{prefix}no state ends the machine (a state with "End": true, or a '
                        "Succeed or Fail state)",
                    )
                )

    def state(self, name: str, state: Json, where: Where, siblings: Mapping[str, Json]) -> None:
        p = f'state "{name}": '
        if len(name) > MAX_NAME:
            self.problems.append(
                (where, f"{p}a state name has at most {MAX_NAME} characters, not {len(name)}")
            )
        if not isinstance(state, dict):
            self.problems.append((where, f"{p}a state must be an object"))
            return
        kind = state.get("Type")
        if kind not in fc.FIELDS:
            if "Type" not in state:
                self.problems.append((where, f"{p}Type is required (one of {', '.join(STATE_TYPES)})"))
            else:
                hint = did_you_mean(str(kind), STATE_TYPES)
                self.problems.append(((*where, "Type"), f"{p}unknown Type {q(kind)}{hint}"))
            return
        self.fields(kind, state, where, p)
        self.flow(kind, state, where, p, siblings)
        self.problems += _io(kind, state, where, p)
        if kind == "Task":
            self.problems += fc.check_task(state, where, p)
        elif kind == "Wait":
            self.problems += fc.check_wait(state, where, p)
        elif kind == "Fail":
            self.problems += fc.check_fail(state, where, p)
        elif kind == "Choice":
            self.choices(state, where, p)
        elif kind == "Map":
            self.problems += fc.check_map(state, where, p)
        elif kind == "Parallel" and (not isinstance(state.get("Branches"), list) or not state["Branches"]):
            self.problems.append(
                ((*where, "Branches"), f"{p}a Parallel state needs Branches: a non-empty array")
            )
        for step, inner, label in sub_machines(state):
            at = (*where, "Branches", step) if isinstance(step, int) else (*where, step)
            self.machine(inner, at, f'{label} of state "{name}"', _PROCESSOR if kind == "Map" else _BRANCH)

    def fields(self, kind: str, state: Mapping[str, Json], where: Where, p: str) -> None:
        allowed = fc.FIELDS[kind]
        for key in state:
            if key in allowed or key in ("Next", "End"):  # misplaced Next / End: see flow()
                continue
            if key in fc.UNSUPPORTED:
                self.problems.append(((*where, key), f"{p}{key} {fc.UNSUPPORTED[key]}"))
            elif any(key in fields for fields in fc.FIELDS.values()):
                self.problems.append(((*where, key), f"{p}a {kind} state has no field {q(key)}"))
            else:
                self.problems.append(
                    ((*where, key), f"{p}unknown field {q(key)}{did_you_mean(key, allowed)}")
                )
        if "Comment" in state and not isinstance(state["Comment"], str):
            self.problems.append(((*where, "Comment"), f"{p}Comment must be a string"))

    def flow(
        self, kind: str, state: Mapping[str, Json], where: Where, p: str, siblings: Mapping[str, Json]
    ) -> None:
        if kind in _NO_FLOW:
            for field in ("Next", "End"):
                if field in state:
                    self.problems.append(((*where, field), f"{p}a {kind} state must not have {field}"))
        else:
            end = state.get("End", False)
            if not isinstance(end, bool):
                self.problems.append(((*where, "End"), f"{p}End must be true or false"))
            elif end and "Next" in state:
                self.problems.append(
                    (where, f'{p}has both Next and "End": true; a state either ends or goes on')
                )
            elif not end and "Next" not in state:
                self.problems.append((where, f'{p}needs Next (the state that follows) or "End": true'))
        for steps, what, target in transitions(state):
            if kind in _NO_FLOW and steps == ("Next",):
                continue
            at = (*where, *steps)
            if not isinstance(target, str):
                self.problems.append((at, f"{p}{what} must be a state name"))
            elif target not in siblings:
                if target in self.defined:
                    reason = "which is not in the same machine (a branch cannot go to states outside it)"
                else:
                    reason = f"which does not exist{did_you_mean(target, siblings)}"
                self.problems.append((at, f'{p}{what} names "{target}", {reason}'))

    def choices(self, state: Mapping[str, Json], where: Where, p: str) -> None:
        choices = state.get("Choices")
        if not isinstance(choices, list) or not choices:
            self.problems.append(
                ((*where, "Choices"), f"{p}a Choice state needs Choices: a non-empty array of rules")
            )
            return
        for i, rule in enumerate(choices):
            for at, message in check_rule(rule, (*where, "Choices", i), True, fc.check_path):
                self.problems.append((at, f"{p}choice {i + 1}: {message}"))

    def reachability(self, states: Mapping[str, Json], start: Json, where: Where) -> None:
        if not isinstance(start, str) or start not in states:
            return
        seen = {start}
        queue = deque([start])
        while queue:
            state = states[queue.popleft()]
            if not isinstance(state, dict):
                continue
            for _, _, target in transitions(state):
                if isinstance(target, str) and target in states and target not in seen:
                    seen.add(target)
                    queue.append(target)
        for name in states:
            if name not in seen:
                self.problems.append(
                    ((*where, "States", name), f'state "{name}": cannot be reached from StartAt "{start}"')
                )


def _terminal(state: Json) -> bool:
    return isinstance(state, dict) and (state.get("End") is True or state.get("Type") in ("Succeed", "Fail"))


def _dangling(state: Json) -> bool:
    """A state already reported as broken: not a state, or no Next nor End (so "nothing ends" is noise)."""
    if not isinstance(state, dict) or state.get("Type") not in fc.FIELDS:
        return True
    return state["Type"] not in _NO_FLOW and "Next" not in state and state.get("End") is not True


def _broken(state: Json, states: Mapping[str, Json]) -> bool:
    """A state already reported for a transition to a state that is not there."""
    return isinstance(state, dict) and any(
        not isinstance(target, str) or target not in states for _, _, target in transitions(state)
    )


def _io(kind: str, state: Mapping[str, Json], where: Where, p: str) -> Problems:
    problems: Problems = []
    for field in ("InputPath", "OutputPath"):
        if field in state:
            problems += fc.check_path(state[field], (*where, field), field, prefix=p, nullable=True)
    if "ResultPath" in state:
        problems += fc.check_path(
            state["ResultPath"], (*where, "ResultPath"), "ResultPath", prefix=p, reference=True, nullable=True
        )
    if "Parameters" in state and kind != "Map":
        problems += fc.check_template(state["Parameters"], (*where, "Parameters"), "Parameters", p)
    if "ResultSelector" in state:
        problems += fc.check_template(
            state["ResultSelector"], (*where, "ResultSelector"), "ResultSelector", p
        )
    if "Retry" in state:
        problems += fc.check_retry(state, where, p)
    if "Catch" in state:
        problems += fc.check_catch(state, where, p)
    return problems
