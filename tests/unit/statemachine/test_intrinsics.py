"""Every intrinsic function, the call syntax (nesting, quoting, escapes), and argument errors."""

from __future__ import annotations

import hashlib
import random
import uuid
from typing import Any

import pytest

from conveyor.statemachine.errors import ExpressionError, StatesError
from conveyor.statemachine.intrinsics import evaluate, parse_call

DATA: dict[str, Any] = {
    "name": "Arnav",
    "template": "Hello, my name is {}.",
    "inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9],
    "dupes": [1, 2, 3, 3, 3, 3, 3, 3, 4],
    "objs": [{"a": 1}, {"a": 1.0}, {"a": 2}, True, 1],
    "index": 5,
    "lookingFor": 5,
    "escapedJsonString": '{"foo": "bar"}',
    "unescapedJson": {"foo": "bar"},
    "json1": {"a": {"a1": 1, "a2": 2}, "b": 2},
    "json2": {"a": {"a3": 1, "a4": 2}, "c": 3},
    "input": "Data to encode",
    "base64": "RGF0YSB0byBlbmNvZGU=",
    "Data": "input data",
    "Algorithm": "SHA-1",
    "value1": 111,
    "step": -1,
    "inputString": "1,2,3,4,5",
    "splitter": ",",
    "obj": {"x": 1},
}


def call(text: str, data: Any = None, context: Any = None) -> Any:
    return evaluate(text, DATA if data is None else data, context, random.Random(7))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "States.Format('Hello, my name is {}.', $.name)",
            "Hello, my name is Arnav.",
            id="Format-literal-template",
        ),
        pytest.param(
            "States.Format($.template, $.name)", "Hello, my name is Arnav.", id="Format-path-template"
        ),
        pytest.param(
            "States.Format('{} {} {} {}', 1, 2.5, true, null)", "1 2.5 true null", id="Format-scalars"
        ),
        pytest.param("States.Format('no holes')", "no holes", id="Format-no-arguments"),
        pytest.param(
            "States.Format('\\{\\} stays, {} fills', 'x')", "{} stays, x fills", id="Format-escaped-braces"
        ),
        pytest.param("States.Format('it\\'s {}', $.name)", "it's Arnav", id="Format-escaped-quote"),
        pytest.param("States.Format('back\\\\slash {}', 1)", "back\\slash 1", id="Format-escaped-backslash"),
        pytest.param("States.StringToJson($.escapedJsonString)", {"foo": "bar"}, id="StringToJson"),
        pytest.param("States.JsonToString($.unescapedJson)", '{"foo":"bar"}', id="JsonToString"),
        pytest.param(
            "States.Array('Foo', 2020, $.unescapedJson, null)",
            ["Foo", 2020, {"foo": "bar"}, None],
            id="Array",
        ),
        pytest.param("States.Array()", [], id="Array-empty"),
        pytest.param(
            "States.ArrayPartition($.inputArray, 4)", [[1, 2, 3, 4], [5, 6, 7, 8], [9]], id="ArrayPartition"
        ),
        pytest.param("States.ArrayContains($.inputArray, $.lookingFor)", True, id="ArrayContains-true"),
        pytest.param("States.ArrayContains($.inputArray, 'x')", False, id="ArrayContains-false"),
        pytest.param("States.ArrayContains($.objs, $.obj)", False, id="ArrayContains-object"),
        pytest.param("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9], id="ArrayRange"),
        pytest.param("States.ArrayRange(5, 1, -2)", [5, 3, 1], id="ArrayRange-down"),
        pytest.param("States.ArrayRange(1, 0, 1)", [], id="ArrayRange-empty"),
        pytest.param("States.ArrayGetItem($.inputArray, $.index)", 6, id="ArrayGetItem"),
        pytest.param("States.ArrayLength($.inputArray)", 9, id="ArrayLength"),
        pytest.param("States.ArrayUnique($.dupes)", [1, 2, 3, 4], id="ArrayUnique"),
        pytest.param(
            "States.ArrayUnique($.objs)", [{"a": 1}, {"a": 2}, True, 1], id="ArrayUnique-json-equality"
        ),
        pytest.param("States.Base64Encode($.input)", "RGF0YSB0byBlbmNvZGU=", id="Base64Encode"),
        pytest.param("States.Base64Decode($.base64)", "Data to encode", id="Base64Decode"),
        pytest.param(
            "States.Hash($.Data, $.Algorithm)", "aaff4a450a104cd177d28d18d74485e8cae074b7", id="Hash-SHA-1"
        ),
        pytest.param(
            "States.Hash('input data', 'MD5')", hashlib.md5(b"input data").hexdigest(), id="Hash-MD5"
        ),
        pytest.param(
            "States.Hash('input data', 'SHA-256')",
            hashlib.sha256(b"input data").hexdigest(),
            id="Hash-SHA-256",
        ),
        pytest.param(
            "States.Hash('input data', 'SHA-384')",
            hashlib.sha384(b"input data").hexdigest(),
            id="Hash-SHA-384",
        ),
        pytest.param(
            "States.Hash('input data', 'SHA-512')",
            hashlib.sha512(b"input data").hexdigest(),
            id="Hash-SHA-512",
        ),
        pytest.param(
            "States.JsonMerge($.json1, $.json2, false)",
            {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3},
            id="JsonMerge-shallow",
        ),
        pytest.param("States.MathAdd($.value1, $.step)", 110, id="MathAdd"),
        pytest.param("States.MathAdd(1.0, 2)", 3, id="MathAdd-integral-float"),
        pytest.param(
            "States.StringSplit($.inputString, $.splitter)", ["1", "2", "3", "4", "5"], id="StringSplit"
        ),
        pytest.param(
            "States.StringSplit('This.is+a,test=string', '.+,=')",
            ["This", "is", "a", "test", "string"],
            id="StringSplit-many-delimiters",
        ),
        pytest.param("States.StringSplit('a,,b', ',')", ["a", "b"], id="StringSplit-drops-empty"),
        pytest.param(
            "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.arn, '/'), 2), '.'), 1)",
            "b",
            id="nested-calls",
        ),
        pytest.param("  States.ArrayLength( States.Array( 1 ,2 ) )  ", 2, id="spaces-around-arguments"),
        pytest.param("States.Format('{}', $$.Execution.Id)", "exec-1", id="context-path-argument"),
        pytest.param("States.Array($['odd key'], $.arn)", [7, "x/y/a.b.c"], id="bracket-path-argument"),
        pytest.param("States.Array(-1, 2.5e1, 'x,y)')", [-1, 25.0, "x,y)"], id="literal-arguments"),
    ],
)
def test_intrinsic(text: str, expected: Any) -> None:
    data = {**DATA, "arn": "x/y/a.b.c", "odd key": 7}
    assert evaluate(text, data, {"Execution": {"Id": "exec-1"}}, random.Random(7)) == expected


def test_math_random_is_within_bounds_and_reproducible_with_a_seed() -> None:
    values = {call(f"States.MathRandom(1, 4, {seed})") for seed in range(50)}
    assert values == {1, 2, 3}, "the end is exclusive"
    assert call("States.MathRandom(1, 999, 42)") == call("States.MathRandom(1, 999, 42)")
    assert evaluate("States.MathRandom(0, 1000)", {}, None, random.Random(1)) == random.Random(1).randrange(
        0, 1000
    )


def test_uuid_is_a_v4_uuid_from_the_injected_source() -> None:
    value = call("States.UUID()")
    assert uuid.UUID(value).version == 4
    assert value == call("States.UUID()"), "same RNG state, same UUID"
    assert evaluate("States.UUID()", {}, None, uuid=lambda: "fixed") == "fixed"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "States.Format($.template, $.obj)",
            "argument 2 must be a string, number, boolean or null",
            id="Format-object-value",
        ),
        pytest.param(
            "States.Format($.template)", "the template has 1 {} but 0 value(s)", id="Format-count-from-path"
        ),
        pytest.param(
            "States.Format($.index, 1)", "the template must be a string", id="Format-template-not-string"
        ),
        pytest.param(
            "States.StringToJson('{nope')", "argument 1 is not JSON text", id="StringToJson-bad-json"
        ),
        pytest.param("States.StringToJson(1)", "argument 1 must be a string", id="StringToJson-not-string"),
        pytest.param(
            "States.ArrayPartition($.inputArray, 0)",
            "chunk size must be a positive integer",
            id="ArrayPartition-zero",
        ),
        pytest.param(
            "States.ArrayPartition($.name, 2)", "argument 1 must be an array", id="ArrayPartition-not-array"
        ),
        pytest.param("States.ArrayRange(1, 5, 0)", "the step must not be 0", id="ArrayRange-zero-step"),
        pytest.param("States.ArrayRange(0, 5000, 1)", "at most 1000", id="ArrayRange-too-long"),
        pytest.param(
            "States.ArrayRange(1.5, 5, 1)", "argument 1 must be an integer", id="ArrayRange-fraction"
        ),
        pytest.param(
            "States.ArrayGetItem($.inputArray, 9)",
            "index 9 is outside the array of 9",
            id="ArrayGetItem-out-of-range",
        ),
        pytest.param(
            "States.ArrayGetItem($.inputArray, -1)", "index -1 is outside", id="ArrayGetItem-negative"
        ),
        pytest.param(
            "States.ArrayLength($.obj)",
            "argument 1 must be an array, not the object",
            id="ArrayLength-object",
        ),
        pytest.param("States.Base64Decode('***')", "not Base64", id="Base64Decode-bad"),
        pytest.param("States.Base64Encode(1)", "argument 1 must be a string", id="Base64Encode-number"),
        pytest.param("States.Hash('x', 'SHA-3')", "unknown algorithm 'SHA-3'", id="Hash-unknown-algorithm"),
        pytest.param(
            "States.JsonMerge($.json1, $.json2, true)", "argument 3 must be false", id="JsonMerge-deep"
        ),
        pytest.param(
            "States.JsonMerge($.json1, 1, false)", "argument 2 must be an object", id="JsonMerge-not-object"
        ),
        pytest.param("States.MathAdd(1.5, 1)", "argument 1 must be an integer", id="MathAdd-fraction"),
        pytest.param(
            "States.MathAdd(true, 1)", "argument 1 must be an integer, not the boolean", id="MathAdd-boolean"
        ),
        pytest.param(
            "States.MathRandom(5, 5)",
            "the start (5) must be less than the end (5)",
            id="MathRandom-empty-range",
        ),
        pytest.param(
            "States.StringSplit($.inputArray, ',')",
            "argument 1 must be a string",
            id="StringSplit-not-string",
        ),
        pytest.param(
            "States.ArrayLength($.missing)",
            "argument 1: The JSONPath '$.missing' could not be found",
            id="missing-path-argument",
        ),
    ],
)
def test_argument_errors_are_intrinsic_failures(text: str, message: str) -> None:
    with pytest.raises(StatesError) as caught:
        call(text)
    assert caught.value.error == "States.IntrinsicFailure"
    assert message in str(caught.value.cause)


def test_long_text_is_refused() -> None:
    with pytest.raises(StatesError, match="longer than 10000"):
        call("States.Base64Encode($.big)", {"big": "x" * 10_001})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("States.Nope(1)", "unknown intrinsic function 'States.Nope'", id="unknown-function"),
        pytest.param("States.ArrayLength()", "States.ArrayLength takes 1 argument(s), not 0", id="too-few"),
        pytest.param("States.UUID(1)", "States.UUID takes 0 argument(s), not 1", id="too-many"),
        pytest.param("States.MathRandom(1)", "takes 2 to 3 argument(s)", id="range-arity"),
        pytest.param(
            "States.Format('{} {}', 1)", "template has 2 {} but 1 value(s) follow", id="Format-count"
        ),
        pytest.param("States.Format('a\\b')", "an open escape", id="open-escape"),
        pytest.param("States.Format('abc", "a quoted string is not closed", id="unclosed-string"),
        pytest.param("States.Array(1", "expected ')'", id="unclosed-call"),
        pytest.param("States.Array(1) x", "unexpected 'x' after the call", id="trailing-text"),
        pytest.param("States.Array(#)", "expected an argument", id="bad-argument"),
        pytest.param("States.Array($.)", "a member name is missing", id="bad-path-argument"),
    ],
)
def test_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_call(text)
    assert message in str(caught.value)


def test_parsed_calls_keep_their_structure() -> None:
    parsed = parse_call("States.Format('{} x', States.Array($.a))")
    assert parsed.name == "States.Format"
    assert parsed.args[1].name == "States.Array"  # type: ignore[union-attr]
