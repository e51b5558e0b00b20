"""Checks of single fields: paths, payload templates, numbers, Retry / Catch, and each state type's fields.

Each check returns ``(where, message)`` pairs; ``where`` is the key path from the state machine's root,
which a front end can turn into a line and column. Messages start with the state's name, so they stand alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from conveyor.statemachine import errors
from conveyor.statemachine.callsyntax import parse_call
from conveyor.statemachine.choice import Problems, Where
from conveyor.statemachine.errors import ExpressionError
from conveyor.statemachine.hints import did_you_mean
from conveyor.statemachine.jsonpath import is_reference, parse_path
from conveyor.statemachine.values import Json, is_integer, is_number, parse_timestamp, q

#: The spec's and AWS's upper bound for second counts.
MAX_SECONDS = 99_999_999
#: AWS's bound on MaxDelaySeconds (one year and a day).
MAX_DELAY_SECONDS = 31_622_400

_COMMON = frozenset({"Type", "Comment"})
_FLOW = frozenset({"Next", "End"})
_IO = frozenset({"InputPath", "OutputPath"})
_RESULTS = frozenset({"ResultSelector", "ResultPath", "Retry", "Catch"})
FIELDS: dict[str, frozenset[str]] = {
    "Pass": _COMMON | _FLOW | _IO | {"Parameters", "ResultPath", "Result"},
    "Task": _COMMON
    | _FLOW
    | _IO
    | _RESULTS
    | {"Parameters", "Resource", "Credentials"}
    | {"TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath"},
    "Choice": _COMMON | _IO | {"Choices", "Default"},
    "Wait": _COMMON | _FLOW | _IO | {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
    "Succeed": _COMMON | _IO,
    "Fail": _COMMON | {"Error", "ErrorPath", "Cause", "CausePath"},
    "Parallel": _COMMON | _FLOW | _IO | _RESULTS | {"Parameters", "Branches"},
    "Map": _COMMON
    | _FLOW
    | _IO
    | _RESULTS
    | {"Parameters", "ItemsPath", "ItemSelector", "ItemProcessor"}
    | {"Iterator", "MaxConcurrency", "MaxConcurrencyPath", "Label"},
}
#: Parts of the language this engine does not run, with the reason given to the user.
UNSUPPORTED: dict[str, str] = {
    **dict.fromkeys(
        (
            *(
                "ItemReader",
                "ItemBatcher",
                "ResultWriter",
                "ToleratedFailureCount",
                "ToleratedFailureCountPath",
            ),
            *("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
        ),
        "belongs to distributed Map states, which conveyor does not run (its Map states are inline)",
    ),
    **dict.fromkeys(
        ("QueryLanguage", "Arguments", "Output", "Assign", "Items", "Condition"),
        "belongs to JSONata and workflow variables, which conveyor does not support (use JSONPath fields)",
    ),
}
_RETRIER = frozenset({"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds"}) | {
    "JitterStrategy",
    "Comment",
}
_CATCHER = frozenset({"ErrorEquals", "Next", "ResultPath", "Comment"})
_WAIT_FIELDS = ("Seconds", "SecondsPath", "Timestamp", "TimestampPath")


def check_path(
    value: Json,
    where: Where,
    field: str,
    *,
    prefix: str = "",
    reference: bool = False,
    context: bool = False,
    nullable: bool = False,
) -> Problems:
    """A Path (or, with ``reference``, a Reference Path) field; ``$$`` only with ``context``."""
    if value is None and nullable:
        return []
    if not isinstance(value, str):
        return [
            (where, f'{prefix}{field} must be a path string such as "$.x"{" or null" if nullable else ""}')
        ]
    try:
        path = parse_path(value)
    except ExpressionError as exc:
        return [
            (
                where,
                f"{prefix}{field} {q(value)} is not a valid path: {exc.reason} at position {exc.position}",
            )
        ]
    if path.context and not context:
        return [(where, f"{prefix}{field} {q(value)} must not use the context object ($$)")]
    if reference and not is_reference(path):
        return [
            (
                where,
                f"{prefix}{field} {q(value)} must be a Reference Path "
                "(names and indexes only, no * .. , : ?)",
            )
        ]
    return []


def check_template(value: Json, where: Where, field: str, prefix: str) -> Problems:
    """A Payload Template: an object whose ``key.$`` fields hold paths or intrinsic calls."""
    if not isinstance(value, dict):
        return [(where, f"{prefix}{field} must be an object (a Payload Template)")]
    return _template(value, where, f"{prefix}{field} field")


def _template(value: Json, where: Where, prefix: str) -> Problems:
    problems: Problems = []
    if isinstance(value, list):
        for i, item in enumerate(value):
            problems += _template(item, (*where, i), prefix)
        return problems
    if not isinstance(value, dict):
        return problems
    for key, item in value.items():
        at = (*where, key)
        if not key.endswith(".$"):
            problems += _template(item, at, prefix)
            continue
        if key[:-2] in value:
            problems.append((at, f"{prefix}s {q(key)} and {q(key[:-2])} would both be named {q(key[:-2])}"))
        if not isinstance(item, str):
            problems.append((at, f"{prefix} {q(key)} must be a path or intrinsic call string"))
        elif item.startswith("$"):
            problems += check_path(item, at, f"{prefix} {q(key)}:", context=True)
        else:
            try:
                parse_call(item)
            except ExpressionError as exc:
                problems.append(
                    (at, f"{prefix} {q(key)}: {q(item)} is not a valid intrinsic call: {exc.reason}")
                )
    return problems


def check_integer(
    state: Mapping[str, Json],
    field: str,
    where: Where,
    prefix: str,
    *,
    minimum: int,
    maximum: int = MAX_SECONDS,
) -> Problems:
    """An optional integer field within ``minimum..maximum``."""
    if field not in state:
        return []
    value = state[field]
    if not is_integer(value) or not minimum <= value <= maximum:
        kind = (
            "a positive integer"
            if minimum == 1
            else "a non-negative integer"
            if minimum == 0
            else "an integer"
        )
        return [((*where, field), f"{prefix}{field} must be {kind} (at most {maximum}), not {q(value)}")]
    return []


def check_error_equals(value: Json, where: Where, prefix: str, last: bool) -> Problems:
    """``ErrorEquals``: a non-empty array of names; ``States.ALL`` alone and only in the last entry."""
    at = (*where, "ErrorEquals")
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return [(at, f"{prefix}ErrorEquals must be a non-empty array of error names")]
    problems: Problems = []
    for name in value:
        if name.startswith("States.") and name not in errors.KNOWN:
            hint = did_you_mean(name, errors.KNOWN)
            problems.append(
                (at, f"{prefix}unknown error name {q(name)}{hint} (the States. prefix is reserved)")
            )
    if errors.ALL in value and (len(value) > 1 or not last):
        problems.append((at, f"{prefix}States.ALL must appear alone, in the last retrier or catcher"))
    return problems


def check_retry(state: Mapping[str, Json], where: Where, prefix: str) -> Problems:
    retry = state["Retry"]
    if not isinstance(retry, list):
        return [((*where, "Retry"), f"{prefix}Retry must be an array of retriers")]
    problems: Problems = []
    for i, retrier in enumerate(retry):
        at = (*where, "Retry", i)
        p = f"{prefix}retrier {i + 1}: "
        if not isinstance(retrier, dict):
            problems.append((at, f"{p}a retrier must be an object"))
            continue
        problems += unknown_fields(retrier, _RETRIER, at, p)
        if "ErrorEquals" not in retrier:
            problems.append((at, f"{p}ErrorEquals is required"))
        else:
            problems += check_error_equals(retrier["ErrorEquals"], at, p, last=i == len(retry) - 1)
        problems += check_integer(retrier, "IntervalSeconds", at, p, minimum=1)
        problems += check_integer(retrier, "MaxAttempts", at, p, minimum=0)
        problems += check_integer(retrier, "MaxDelaySeconds", at, p, minimum=1, maximum=MAX_DELAY_SECONDS)
        rate = retrier.get("BackoffRate", 2.0)
        if not is_number(rate) or rate < 1.0:
            problems.append(
                ((*at, "BackoffRate"), f"{p}BackoffRate must be a number of at least 1.0, not {q(rate)}")
            )
        if retrier.get("JitterStrategy", "NONE") not in ("FULL", "NONE"):
            problems.append(((*at, "JitterStrategy"), f'{p}JitterStrategy must be "FULL" or "NONE"'))
    return problems


def check_catch(state: Mapping[str, Json], where: Where, prefix: str) -> Problems:
    catch = state["Catch"]
    if not isinstance(catch, list):
        return [((*where, "Catch"), f"{prefix}Catch must be an array of catchers")]
    problems: Problems = []
    for i, catcher in enumerate(catch):
        at = (*where, "Catch", i)
        p = f"{prefix}catcher {i + 1}: "
        if not isinstance(catcher, dict):
            problems.append((at, f"{p}a catcher must be an object"))
            continue
        problems += unknown_fields(catcher, _CATCHER, at, p)
        if "ErrorEquals" not in catcher:
            problems.append((at, f"{p}ErrorEquals is required"))
        else:
            problems += check_error_equals(catcher["ErrorEquals"], at, p, last=i == len(catch) - 1)
        if not isinstance(catcher.get("Next"), str):
            problems.append((at, f"{p}Next is required and must be a state name"))
        if "ResultPath" in catcher:
            problems += check_path(
                catcher["ResultPath"],
                (*at, "ResultPath"),
                "ResultPath",
                prefix=p,
                reference=True,
                nullable=True,
            )
    return problems


def unknown_fields(obj: Mapping[str, Json], allowed: frozenset[str], where: Where, prefix: str) -> Problems:
    return [
        ((*where, key), f"{prefix}unknown field {q(key)}{did_you_mean(key, allowed)}")
        for key in obj
        if key not in allowed
    ]


def check_task(state: Mapping[str, Json], where: Where, prefix: str) -> Problems:
    problems: Problems = []
    resource = state.get("Resource")
    if not isinstance(resource, str) or not resource.strip():
        problems.append(((*where, "Resource"), f"{prefix}a Task state needs a Resource (a non-empty string)"))
    for field in ("TimeoutSeconds", "HeartbeatSeconds"):
        problems += check_integer(state, field, where, prefix, minimum=1)
        if field in state and f"{field}Path" in state:
            problems.append((where, f"{prefix}a Task state must not have both {field} and {field}Path"))
        if f"{field}Path" in state:
            problems += check_path(
                state[f"{field}Path"], (*where, f"{field}Path"), f"{field}Path", prefix=prefix, reference=True
            )
    timeout, heartbeat = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
    if is_integer(timeout) and is_integer(heartbeat) and heartbeat >= timeout:
        problems.append(
            ((*where, "HeartbeatSeconds"), f"{prefix}HeartbeatSeconds must be smaller than TimeoutSeconds")
        )
    if "Credentials" in state and not isinstance(state["Credentials"], dict):
        problems.append(((*where, "Credentials"), f"{prefix}Credentials must be an object"))
    return problems


def check_wait(state: Mapping[str, Json], where: Where, prefix: str) -> Problems:
    given = [f for f in _WAIT_FIELDS if f in state]
    if len(given) != 1:
        found = "none" if not given else " and ".join(given)
        return [
            (
                where,
                f"{prefix}a Wait state needs exactly one of Seconds, SecondsPath, Timestamp or "
                f"TimestampPath, not {found}",
            )
        ]
    field = given[0]
    value = state[field]
    if field == "Seconds":
        return check_integer(state, field, where, prefix, minimum=0)
    if field == "Timestamp":
        if parse_timestamp(value) is None:
            return [
                (
                    (*where, field),
                    f"{prefix}Timestamp must be an RFC 3339 time such as 2016-03-14T01:59:00Z, "
                    f"not {q(value)}",
                )
            ]
        return []
    return check_path(value, (*where, field), field, prefix=prefix, reference=True, context=True)


def check_fail(state: Mapping[str, Json], where: Where, prefix: str) -> Problems:
    problems: Problems = []
    for field in ("Error", "Cause"):
        if field in state and not isinstance(state[field], str):
            problems.append(((*where, field), f"{prefix}{field} must be a string"))
        if field in state and f"{field}Path" in state:
            problems.append((where, f"{prefix}a Fail state must not have both {field} and {field}Path"))
        path = state.get(f"{field}Path")
        at = (*where, f"{field}Path")
        if path is None and f"{field}Path" not in state:
            continue
        if isinstance(path, str) and not path.startswith("$"):
            try:
                parse_call(path)
            except ExpressionError as exc:
                problems.append(
                    (at, f"{prefix}{field}Path {q(path)} is not a valid intrinsic call: {exc.reason}")
                )
        else:
            problems += check_path(path, at, f"{field}Path", prefix=prefix, reference=True, context=True)
    return problems


def check_map(state: Mapping[str, Json], where: Where, prefix: str) -> Problems:
    problems: Problems = []
    if "ItemProcessor" in state and "Iterator" in state:
        problems.append((where, f"{prefix}a Map state has either ItemProcessor or Iterator, not both"))
    elif "ItemProcessor" not in state and "Iterator" not in state:
        problems.append((where, f"{prefix}a Map state needs an ItemProcessor (or the older Iterator)"))
    if "ItemSelector" in state and "Parameters" in state:
        problems.append((where, f"{prefix}a Map state has either ItemSelector or Parameters, not both"))
    for field in ("ItemSelector", "Parameters"):
        if field in state:
            problems += check_template(state[field], (*where, field), field, prefix)
    if "ItemsPath" in state:
        problems += check_path(
            state["ItemsPath"], (*where, "ItemsPath"), "ItemsPath", prefix=prefix, reference=True
        )
    problems += check_integer(state, "MaxConcurrency", where, prefix, minimum=0)
    if "MaxConcurrency" in state and "MaxConcurrencyPath" in state:
        problems.append(
            (where, f"{prefix}a Map state must not have both MaxConcurrency and MaxConcurrencyPath")
        )
    if "MaxConcurrencyPath" in state:
        problems += check_path(
            state["MaxConcurrencyPath"],
            (*where, "MaxConcurrencyPath"),
            "MaxConcurrencyPath",
            prefix=prefix,
            reference=True,
        )
    if "Label" in state and not isinstance(state["Label"], str):
        problems.append(((*where, "Label"), f"{prefix}Label must be a string"))
    return problems


def check_processor_config(config: Json, where: Where, prefix: str) -> Problems:
    if not isinstance(config, dict):
        return [(where, f"{prefix}ProcessorConfig must be an object")]
    problems = unknown_fields(config, frozenset({"Mode", "ExecutionType"}), where, prefix)
    mode = config.get("Mode", "INLINE")
    if mode == "DISTRIBUTED":
        problems.append(
            ((*where, "Mode"), f"{prefix}distributed Map states are not supported (use Mode INLINE)")
        )
    elif mode != "INLINE":
        problems.append(((*where, "Mode"), f'{prefix}Mode must be "INLINE", not {q(mode)}'))
    return problems
