"""JSON value helpers: type tests, equality and timestamps with the States Language's meaning.

Python's ``True == 1`` and ``isinstance(True, int)`` would make a boolean pass for a number; JSON keeps them
apart, so every type test and comparison in the engine goes through here.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard

#: Any JSON value (dict / list / str / int / float / bool / None); ``Any`` because mypy cannot narrow
#: a recursive union without an isinstance cascade at every use.
Json = Any

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))\Z"
)


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_integer(value: object) -> TypeGuard[int | float]:
    """An integral JSON number (``3`` or ``3.0``), never a boolean."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def type_name(value: object) -> str:
    """The JSON type of ``value``, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def json_equal(a: Json, b: Json) -> bool:
    """Deep JSON equality: ``1 == 1.0`` but ``true != 1``, and object key order does not matter."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) and is_number(b):
        return bool(a == b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def canonical(value: Json) -> str:
    """A text equal for exactly the values ``json_equal`` calls equal (sorted keys, ``1.0`` as ``1``)."""
    return json.dumps(_normalised(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _normalised(value: Json) -> Json:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    return value


def q(value: Json) -> str:
    """``value`` as it appears in a definition problem: JSON (strings in double quotes), cut when long."""
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 80 else text[:77] + "..."


def compact(value: Json) -> str:
    """JSON text without spaces, as ``States.JsonToString`` and messages show values."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def copy_json(value: object, what: str = "value") -> Json:
    """A deep copy of ``value`` that is certainly JSON (raises ``ValueError`` naming ``what`` otherwise).

    Values from outside (inputs, task outputs) are copied on the way in, so that the caller mutating its
    object later cannot change a stored execution, and so that the state always serialises.
    """
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} is not JSON: {exc}") from None


def parse_timestamp(text: object) -> datetime | None:
    """The instant an RFC 3339 timestamp names (uppercase ``T`` and ``Z`` as the spec demands), or None."""
    if not isinstance(text, str):
        return None
    m = _TIMESTAMP.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
    micros = int((m.group(7) or "0")[:6].ljust(6, "0"))
    if second == 60:  # a leap second is a valid RFC 3339 time; Python has no room for it
        second = 59
        micros = 999_999
    try:
        instant = datetime(year, month, day, hour, minute, second, micros, tzinfo=UTC)
    except ValueError:
        return None
    if m.group(8) is None:
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        if offset >= timedelta(hours=24):
            return None
        try:
            instant -= offset if m.group(9) == "+" else -offset
        except OverflowError:
            return None
    return instant


def format_timestamp(instant: datetime) -> str:
    """``2024-01-02T03:04:05.123456Z``: how the engine writes times in its state and context object."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc(now: datetime) -> datetime:
    """``now`` in UTC; a naive datetime is refused, because the engine cannot guess its zone."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is needed, got {now!r}")
    return now.astimezone(UTC)
