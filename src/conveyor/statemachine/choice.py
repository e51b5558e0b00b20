"""Choice rules: checking their shape (for validation) and evaluating them (for the interpreter).

A rule is a Boolean expression (``And`` / ``Or`` / ``Not``) or a data test (``Variable`` plus exactly one
comparator). Comparing values of the wrong type yields false, as the spec says; a ``Variable`` (or a
``...Path`` operand) that matches nothing is a ``States.Runtime`` error, except for ``IsPresent``, which
exists to ask exactly that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from conveyor.statemachine import errors, jsonpath
from conveyor.statemachine.errors import ExpressionError, StatesError
from conveyor.statemachine.pathsyntax import parse_path
from conveyor.statemachine.values import Json, is_number, json_equal, parse_timestamp, q

#: kind -> its test for "is a value of this kind"
_KINDS: dict[str, Callable[[Json], bool]] = {
    "String": lambda v: isinstance(v, str),
    "Numeric": is_number,
    "Boolean": lambda v: isinstance(v, bool),
    "Timestamp": lambda v: parse_timestamp(v) is not None,
}
_ORDER = ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
#: comparator -> (kind, relation); every one also exists with a ``Path`` suffix (StringMatches excepted).
COMPARATORS: dict[str, tuple[str, str]] = {
    f"{kind}{relation}": (kind, relation)
    for kind in ("String", "Numeric", "Timestamp")
    for relation in _ORDER
}
COMPARATORS["BooleanEquals"] = ("Boolean", "Equals")
PATH_COMPARATORS = {f"{name}Path": spec for name, spec in COMPARATORS.items()}
TYPE_TESTS: dict[str, Callable[[Json], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": _KINDS["Numeric"],
    "IsString": _KINDS["String"],
    "IsBoolean": _KINDS["Boolean"],
    "IsTimestamp": _KINDS["Timestamp"],
}
ALL_OPERATORS = frozenset({*COMPARATORS, *PATH_COMPARATORS, *TYPE_TESTS, "IsPresent", "StringMatches"})
_BOOLEAN = ("And", "Or", "Not")

#: Where a problem is: the keys leading to it from the state machine's root.
Where = tuple[str | int, ...]
Problems = list[tuple[Where, str]]
PathCheck = Callable[..., Problems]


def choose(state: Mapping[str, Json], data: Json, context: Json = None) -> str:
    """The name of the state a Choice state goes to; ``States.NoChoiceMatched`` when none and no Default."""
    for rule in state["Choices"]:
        if evaluate(rule, data, context):
            return str(rule["Next"])
    if "Default" in state:
        return str(state["Default"])
    raise StatesError(errors.NO_CHOICE_MATCHED, "No Choice Rule matched and there is no Default")


def evaluate(rule: Mapping[str, Json], data: Json, context: Json = None) -> bool:
    """Whether one Choice Rule holds for ``data`` (the Choice state's effective input)."""
    if "And" in rule:
        return all(evaluate(r, data, context) for r in rule["And"])
    if "Or" in rule:
        return any(evaluate(r, data, context) for r in rule["Or"])
    if "Not" in rule:
        return not evaluate(rule["Not"], data, context)
    operator = next(key for key in rule if key in ALL_OPERATORS)
    expected = rule[operator]
    variable = parse_path(rule["Variable"])
    found = jsonpath.select(variable, context if variable.context else data)
    if operator == "IsPresent":
        return bool(found) is expected
    if not found:
        raise StatesError(
            errors.RUNTIME, f"Invalid path {variable.text!r}: the Choice rule's Variable matches nothing"
        )
    value = found[0] if variable.definite else found
    if operator in TYPE_TESTS:
        return TYPE_TESTS[operator](value) is expected
    if operator == "StringMatches":
        return isinstance(value, str) and _wildcard(expected).fullmatch(value) is not None
    if operator in PATH_COMPARATORS:
        kind, relation = PATH_COMPARATORS[operator]
        try:
            expected = jsonpath.read(expected, data, context)
        except StatesError as exc:
            raise StatesError(errors.RUNTIME, f"{operator}: {exc.cause}") from None
    else:
        kind, relation = COMPARATORS[operator]
    return _compare(kind, relation, value, expected)


def _compare(kind: str, relation: str, value: Json, expected: Json) -> bool:
    test = _KINDS[kind]
    if not (test(value) and test(expected)):
        return False
    left: Any = value
    right: Any = expected
    if kind == "Timestamp":
        left, right = parse_timestamp(value), parse_timestamp(expected)
    if relation == "Equals":
        return json_equal(left, right) if kind != "Timestamp" else bool(left == right)
    if relation == "LessThan":
        return bool(left < right)
    if relation == "GreaterThan":
        return bool(left > right)
    if relation == "LessThanEquals":
        return bool(left <= right)
    return bool(left >= right)


@lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """StringMatches' pattern: ``*`` is any run of characters, ``\\*`` a star, ``\\\\`` a backslash."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1] if i + 1 < len(pattern) else ""
            if nxt not in ("*", "\\"):
                raise ExpressionError("an open escape: only \\* and \\\\ may follow a backslash", pattern, i)
            out.append(re.escape(nxt))
            i += 2
            continue
        out.append(".*" if c == "*" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def check_rule(rule: Json, where: Where, top: bool, check_path: PathCheck) -> Problems:
    """Every shape problem of one Choice Rule (and the rules inside it), each with where it is.

    ``check_path(value, where, field, context=...)`` is the definition checker's path validation, passed in
    so that the messages about paths read the same everywhere.
    """
    problems: Problems = []
    if not isinstance(rule, dict):
        return [(where, "a Choice Rule must be an object")]
    if top and "Next" not in rule:
        problems.append((where, "a Choice Rule must have Next"))
    if top and "Next" in rule and not isinstance(rule["Next"], str):
        problems.append(((*where, "Next"), "Next must be a string"))
    if not top and "Next" in rule:
        problems.append(((*where, "Next"), "a Choice Rule inside And, Or or Not must not have Next"))
    booleans = [key for key in _BOOLEAN if key in rule]
    operators = sorted(key for key in rule if key in ALL_OPERATORS)
    allowed = {"Next", "Comment", *booleans} if booleans else {"Next", "Comment", "Variable", *operators}
    for key in rule:
        if key not in allowed:
            problems.append(((*where, key), _unknown_field(key, booleans, operators)))
    if len(booleans) > 1 or (booleans and operators):
        problems.append((where, "a Choice Rule must be one Boolean expression or one data test, not both"))
    elif booleans:
        problems += _check_boolean(rule, booleans[0], where, check_path)
    else:
        problems += _check_test(rule, operators, where, check_path)
    return problems


def _unknown_field(key: str, booleans: list[str], operators: list[str]) -> str:
    if key == "Variable" and booleans:
        return f"a Boolean expression ({booleans[0]}) has no Variable"
    if (key.endswith("Path") and key[:-4] in COMPARATORS) or key in ALL_OPERATORS:
        return f"unexpected comparator {key}"
    from conveyor.statemachine.hints import did_you_mean

    return (
        f"unknown field {q(key)} in a Choice Rule{did_you_mean(key, [*ALL_OPERATORS, *_BOOLEAN, 'Variable'])}"
    )


def _check_boolean(rule: Mapping[str, Json], key: str, where: Where, check_path: PathCheck) -> Problems:
    value = rule[key]
    if key == "Not":
        return check_rule(value, (*where, "Not"), False, check_path)
    if not isinstance(value, list) or not value:
        return [((*where, key), f"{key} must be a non-empty array of Choice Rules")]
    problems: Problems = []
    for i, inner in enumerate(value):
        problems += check_rule(inner, (*where, key, i), False, check_path)
    return problems


def _check_test(
    rule: Mapping[str, Json], operators: list[str], where: Where, check_path: PathCheck
) -> Problems:
    problems: Problems = []
    if "Variable" not in rule:
        problems.append((where, "a data-test Choice Rule must have Variable (or be And, Or or Not)"))
    else:
        problems += check_path(rule["Variable"], (*where, "Variable"), "Variable", context=True)
    if len(operators) != 1:
        if not operators:
            problems.append(
                (where, "a data-test Choice Rule needs one comparison operator, such as StringEquals")
            )
        else:
            problems.append(
                (where, f"a Choice Rule has exactly one comparison operator, not {', '.join(operators)}")
            )
        return problems
    operator = operators[0]
    value = rule[operator]
    at = (*where, operator)
    if operator in PATH_COMPARATORS:
        problems += check_path(value, at, operator, context=True)
    elif operator in TYPE_TESTS or operator == "IsPresent":
        if not isinstance(value, bool):
            problems.append((at, f"{operator} must be true or false"))
    elif operator == "StringMatches":
        if not isinstance(value, str):
            problems.append((at, "StringMatches must be a string"))
        else:
            try:
                _wildcard(value)
            except ExpressionError as exc:
                problems.append((at, f"StringMatches {q(value)}: {exc.reason}"))
    else:
        kind = COMPARATORS[operator][0]
        if not _KINDS[kind](value):
            wanted = {"String": "a string", "Numeric": "a number", "Boolean": "true or false"}.get(
                kind, "an RFC 3339 timestamp such as 2016-03-14T01:59:00Z"
            )
            problems.append((at, f"{operator} must be {wanted}, not {jsonpath.shown(value)}"))
    return problems
