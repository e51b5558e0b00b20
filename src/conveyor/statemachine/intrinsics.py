"""Intrinsic functions: evaluating parsed calls, with every function the spec lists.

Argument types are checked here and a mismatch raises ``StatesError(States.IntrinsicFailure)``. Randomness
(``States.MathRandom`` without a seed, ``States.UUID``) comes from an injectable ``random.Random`` so that an
execution can be replayed exactly. Modules only some functions need (base64, hashlib) are imported when first
used. The call syntax is in ``callsyntax.py``.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from typing import Any

from conveyor.statemachine import errors, jsonpath
from conveyor.statemachine.callsyntax import Argument, Call, Const, Text, parse_call
from conveyor.statemachine.errors import StatesError
from conveyor.statemachine.values import (
    Json,
    canonical,
    compact,
    is_integer,
    is_number,
    json_equal,
    type_name,
)

__all__ = ["Call", "evaluate", "parse_call"]

_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
#: Limits from the spec / AWS: 10,000 characters for encoding and hashing, 1,000 items from ArrayRange.
_MAX_TEXT = 10_000
_MAX_RANGE = 1_000


def evaluate(
    call: Call | str,
    data: Json,
    context: Json = None,
    rng: random.Random | None = None,
    uuid: Callable[[], str] | None = None,
) -> Json:
    """The value of ``call`` with ``$`` paths reading ``data`` and ``$$`` paths reading ``context``.

    ``rng`` serves ``States.MathRandom`` without a seed and, unless ``uuid`` is given, ``States.UUID``.
    """
    if isinstance(call, str):
        call = parse_call(call)
    rng = rng or random.Random()
    values = [_value(arg, call, i, data, context, rng, uuid) for i, arg in enumerate(call.args)]
    if call.name == "States.Format":
        return _format(call, values)
    if call.name == "States.MathRandom":
        return _math_random(call, values, rng)
    if call.name == "States.UUID":
        return uuid() if uuid is not None else _uuid4(rng)
    return _FUNCTIONS[call.name](_Args(call, values))


def _uuid4(rng: random.Random) -> str:
    """A version 4 UUID from ``rng`` (the ``uuid`` module is not imported: start-up time)."""
    bits = (rng.getrandbits(128) & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _value(
    arg: Argument,
    call: Call,
    i: int,
    data: Json,
    context: Json,
    rng: random.Random,
    uuid: Callable[[], str] | None,
) -> Json:
    if isinstance(arg, Text | Const):
        return arg.value
    if isinstance(arg, Call):
        return evaluate(arg, data, context, rng, uuid)
    try:
        return jsonpath.read(arg, data, context)
    except StatesError as exc:
        raise _failure(call, f"argument {i + 1}: {exc.cause}") from None


def _failure(call: Call, message: str) -> StatesError:
    return StatesError(errors.INTRINSIC_FAILURE, f"{call.name}: {message}")


class _Args:
    """Typed access to one call's evaluated arguments; every accessor fails with IntrinsicFailure."""

    def __init__(self, call: Call, values: list[Json]) -> None:
        self.call = call
        self.values = values

    def fail(self, message: str) -> StatesError:
        return _failure(self.call, message)

    def _wrong(self, i: int, wanted: str) -> StatesError:
        value = self.values[i]
        return self.fail(
            f"argument {i + 1} must be {wanted}, not the {type_name(value)} {jsonpath.shown(value)}"
        )

    def array(self, i: int) -> list[Json]:
        value = self.values[i]
        if not isinstance(value, list):
            raise self._wrong(i, "an array")
        return value

    def obj(self, i: int) -> dict[str, Json]:
        value = self.values[i]
        if not isinstance(value, dict):
            raise self._wrong(i, "an object")
        return value

    def text(self, i: int, limit: int | None = None) -> str:
        value = self.values[i]
        if not isinstance(value, str):
            raise self._wrong(i, "a string")
        if limit is not None and len(value) > limit:
            raise self.fail(f"argument {i + 1} is longer than {limit} characters")
        return value

    def integer(self, i: int) -> int:
        value = self.values[i]
        if not is_integer(value):
            raise self._wrong(i, "an integer")
        return int(value)


def _format(call: Call, values: list[Json]) -> str:
    template, rest = values[0], values[1:]
    first = call.args[0]
    if isinstance(first, Text):
        pieces = list(first.pieces)
    elif isinstance(template, str):
        pieces = template.split("{}")
    else:
        raise _failure(call, f"the template must be a string, not the {type_name(template)}")
    if len(pieces) - 1 != len(rest):
        raise _failure(call, f"the template has {len(pieces) - 1} {{}} but {len(rest)} value(s) were given")
    out = [pieces[0]]
    for i, (value, piece) in enumerate(zip(rest, pieces[1:], strict=True)):
        if isinstance(value, dict | list):
            raise _failure(
                call, f"argument {i + 2} must be a string, number, boolean or null, not an {type_name(value)}"
            )
        out.append(value if isinstance(value, str) else compact(value))
        out.append(piece)
    return "".join(out)


def _math_random(call: Call, values: list[Json], rng: random.Random) -> int:
    args = _Args(call, values)
    start, end = args.integer(0), args.integer(1)
    if start >= end:
        raise args.fail(f"the start ({start}) must be less than the end ({end})")
    if len(values) == 3:
        seed = values[2]
        if not is_number(seed) and not isinstance(seed, str):
            raise args.fail(f"argument 3 (the seed) must be a number or string, not the {type_name(seed)}")
        rng = random.Random(seed if isinstance(seed, str) else int(seed) if is_integer(seed) else repr(seed))
    return rng.randrange(start, end)


def _string_to_json(a: _Args) -> Json:
    text = a.text(0)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise a.fail(f"argument 1 is not JSON text: {exc}") from None


def _array_partition(a: _Args) -> Json:
    items, size = a.array(0), a.integer(1)
    if size <= 0:
        raise a.fail(f"the chunk size must be a positive integer, not {size}")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _array_range(a: _Args) -> Json:
    first, last, step = a.integer(0), a.integer(1), a.integer(2)
    if step == 0:
        raise a.fail("the step must not be 0")
    count = max(0, (last - first) // step + 1)
    if count > _MAX_RANGE:
        raise a.fail(f"the range would have {count} items; at most {_MAX_RANGE} are allowed")
    return [first + i * step for i in range(count)]


def _array_get_item(a: _Args) -> Json:
    items, index = a.array(0), a.integer(1)
    if not 0 <= index < len(items):
        raise a.fail(f"index {index} is outside the array of {len(items)} item(s)")
    return items[index]


def _array_unique(a: _Args) -> Json:
    seen: set[str] = set()
    out: list[Json] = []
    for item in a.array(0):
        key = canonical(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _base64_encode(a: _Args) -> Json:
    import base64

    return base64.b64encode(a.text(0, _MAX_TEXT).encode("utf-8")).decode("ascii")


def _base64_decode(a: _Args) -> Json:
    import base64
    import binascii

    try:
        return base64.b64decode(a.text(0, _MAX_TEXT), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise a.fail(f"argument 1 is not Base64 of UTF-8 text: {exc}") from None


def _hash(a: _Args) -> Json:
    import hashlib

    algorithm = a.text(1)
    if algorithm not in _HASHES:
        raise a.fail(f"unknown algorithm {algorithm!r}; use one of {', '.join(_HASHES)}")
    data = a.values[0]
    text = data if isinstance(data, str) else compact(data)
    if len(text) > _MAX_TEXT:
        raise a.fail(f"argument 1 is longer than {_MAX_TEXT} characters")
    return hashlib.new(_HASHES[algorithm], text.encode("utf-8")).hexdigest()


def _json_merge(a: _Args) -> Json:
    left, right, deep = a.obj(0), a.obj(1), a.values[2]
    if deep is not False:
        raise a.fail(f"argument 3 must be false (only the shallow merge exists), not {jsonpath.shown(deep)}")
    return {**left, **right}


def _math_add(a: _Args) -> Json:
    return a.integer(0) + a.integer(1)


def _string_split(a: _Args) -> Json:
    """Splits at each of the delimiter's characters, dropping empty pieces (like Java's StringTokenizer)."""
    text, delimiters = a.text(0), a.text(1)
    if not delimiters:
        return [text] if text else []
    pattern = "[" + re.escape(delimiters) + "]"
    return [piece for piece in re.split(pattern, text) if piece]


_FUNCTIONS: dict[str, Callable[[_Args], Any]] = {
    "States.StringToJson": _string_to_json,
    "States.JsonToString": lambda a: compact(a.values[0]),
    "States.Array": lambda a: list(a.values),
    "States.ArrayPartition": _array_partition,
    "States.ArrayContains": lambda a: any(json_equal(item, a.values[1]) for item in a.array(0)),
    "States.ArrayRange": _array_range,
    "States.ArrayGetItem": _array_get_item,
    "States.ArrayLength": lambda a: len(a.array(0)),
    "States.ArrayUnique": _array_unique,
    "States.Base64Encode": _base64_encode,
    "States.Base64Decode": _base64_decode,
    "States.Hash": _hash,
    "States.JsonMerge": _json_merge,
    "States.MathAdd": _math_add,
    "States.StringSplit": _string_split,
}
