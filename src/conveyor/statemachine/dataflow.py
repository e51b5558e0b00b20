"""Input and output processing: InputPath, Parameters, ResultSelector, ResultPath, OutputPath, ItemSelector.

Exactly the spec's pipeline: raw input -> InputPath -> Parameters = effective input; result -> ResultSelector
= effective result; ResultPath merges it into the *raw* input; OutputPath selects the effective output. A
``null`` InputPath / OutputPath means ``{}``, a ``null`` ResultPath keeps the raw input. Failures carry the
spec's error names: a path in a payload template that matches nothing is ``States.ParameterPathFailure``, a
failing intrinsic ``States.IntrinsicFailure``, an unwritable ResultPath ``States.ResultPathMatchFailure``,
and a missing InputPath / OutputPath ``States.Runtime``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from conveyor.statemachine import errors, intrinsics, jsonpath
from conveyor.statemachine.errors import StatesError
from conveyor.statemachine.values import Json

_ABSENT: Any = object()


class Scope:
    """What a payload template sees besides its input: the context object, and the source of randomness."""

    __slots__ = ("context", "rng", "uuid")

    def __init__(
        self, context: Json = None, rng: random.Random | None = None, uuid: Callable[[], str] | None = None
    ) -> None:
        self.context = context
        self.rng = rng
        self.uuid = uuid


def input_path(state: Mapping[str, Json], raw: Json) -> Json:
    """The state's input after InputPath."""
    return _select(state, "InputPath", raw)


def output_path(state: Mapping[str, Json], output: Json) -> Json:
    """The state's output after OutputPath."""
    return _select(state, "OutputPath", output)


def _select(state: Mapping[str, Json], field: str, value: Json) -> Json:
    path = state.get(field, _ABSENT)
    if path is _ABSENT:
        return value
    if path is None:
        return {}
    try:
        return jsonpath.read(path, value)
    except StatesError as exc:
        raise StatesError(errors.RUNTIME, f"{field}: {exc.cause}") from None


def payload(template: Json, data: Json, scope: Scope, field: str = "Parameters") -> Json:
    """The payload of a Payload Template: ``key.$`` fields replaced by what their path or call yields."""
    if isinstance(template, dict):
        out: dict[str, Json] = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                out[key[:-2]] = _dynamic(key, value, data, scope, field)
            else:
                out[key] = payload(value, data, scope, field)
        return out
    if isinstance(template, list):
        return [payload(item, data, scope, field) for item in template]
    return template


def _dynamic(key: str, expression: str, data: Json, scope: Scope, field: str) -> Json:
    if not expression.startswith("$"):
        return intrinsics.evaluate(expression, data, scope.context, scope.rng, scope.uuid)
    try:
        return jsonpath.read(expression, data, scope.context)
    except StatesError as exc:
        raise StatesError(errors.PARAMETER_PATH_FAILURE, f"{field} field {key!r}: {exc.cause}") from None


def effective_input(state: Mapping[str, Json], raw: Json, scope: Scope) -> Json:
    """InputPath, then Parameters (for every state type but Map, where Parameters means ItemSelector)."""
    selected = input_path(state, raw)
    if "Parameters" in state and state.get("Type") != "Map":
        return payload(state["Parameters"], selected, scope)
    return selected


def effective_result(state: Mapping[str, Json], result: Json, scope: Scope) -> Json:
    """The result after ResultSelector."""
    if "ResultSelector" in state:
        return payload(state["ResultSelector"], result, scope, "ResultSelector")
    return result


def result_path(path: Json, raw: Json, result: Json) -> Json:
    """``result`` placed into ``raw`` where the Reference Path ``path`` says (``_ABSENT`` means ``$``)."""
    if path is _ABSENT or path == "$":
        return result
    if path is None:
        return raw
    return jsonpath.write(path, raw, result)


def state_output(state: Mapping[str, Json], raw: Json, result: Json) -> Json:
    """ResultPath then OutputPath: what a Pass / Task / Parallel / Map state hands to the next state."""
    return output_path(state, result_path(state.get("ResultPath", _ABSENT), raw, result))


def catcher_output(catcher: Mapping[str, Json], raw: Json, error: str | None, cause: str | None) -> Json:
    """The input of a catcher's Next state: the Error Output placed by the catcher's ResultPath."""
    error_output: dict[str, Json] = {"Error": error}
    if cause is not None:
        error_output["Cause"] = cause
    return result_path(catcher.get("ResultPath", _ABSENT), raw, error_output)


def reference(value: Json, path: str, field: str, context: Json = None) -> Json:
    """The value a Reference Path field (SecondsPath, TimeoutSecondsPath ...) names; else States.Runtime."""
    try:
        return jsonpath.read(path, value, context)
    except StatesError as exc:
        raise StatesError(errors.RUNTIME, f"{field}: {exc.cause}") from None
