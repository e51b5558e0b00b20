"""How Go prints values, for messages and renderings that must read exactly as Tinkerbell's.

tink is written in Go: a hardware value rendered into a template is printed with ``fmt``'s ``%v`` (JSON
numbers are ``float64`` there, so ``1000000`` prints as ``1e+06``), and error texts quote with ``%q``.
Users compare conveyor's output with tink's, so these few formatting rules are copied rather than
approximated with Python's ``str``/``repr``.
"""

from __future__ import annotations

import math
from typing import Any

#: What ``text/template`` prints for a nil value (a JSON ``null``) at the top of an action.
NO_VALUE = "<no value>"

_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t", "\v": r"\v"}


def quote(text: str) -> str:
    """Go's ``strconv.Quote`` (``%q``): double quotes, backslash escapes for what is not printable."""
    out = ['"']
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def float_text(value: float) -> str:
    """Go's ``%v`` of a ``float64``: the shortest digits, in ``%e`` form below 1e-4 or from 1e+06 on."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)  # value = 0.DIGITS x 10^point
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0") or "0"
    exp10 = point - 1
    if exp10 < -4 or exp10 >= 6:  # strconv 'g' with the shortest precision decides with precision 6
        head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{head}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def value_text(value: Any, *, top: bool = True) -> str:
    """Go's ``%v`` of a decoded JSON value (``map[string]interface{}`` and friends).

    ``top`` is True for the value an action prints: ``text/template`` prints a nil there as
    ``<no value>``, while ``fmt`` prints a nil inside a map or slice as ``<nil>``.
    """
    if value is None:
        return NO_VALUE if top else "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float_text(float(value))
    if isinstance(value, dict):
        inner = " ".join(f"{key}:{value_text(value[key], top=False)}" for key in sorted(value))
        return f"map[{inner}]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(value_text(item, top=False) for item in value) + "]"
    return str(value)


def type_name(value: Any) -> str:
    """The Go type a decoded JSON value has, for "can't evaluate field" messages."""
    if value is None:
        return "interface {}"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "float64"
    if isinstance(value, list):
        return "[]interface {}"
    return "map[string]interface {}"
