"""Durations as people write them in pipeline files (``30s``, ``5m``, ``1h30m``), read as seconds.

Strict on purpose: units are the five below, each at most once and largest first, so ``5M`` or ``30m1h`` are
errors instead of silent surprises, and a timeout of zero (never) or less is refused.
"""

from __future__ import annotations

import re

#: Seconds per unit, largest first (the order parts must appear in).
UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}

_NUMBER = r"\d+(?:\.\d+)?"
_PART = re.compile(rf"({_NUMBER})(ms|d|h|m|s)")
_BARE = re.compile(rf"{_NUMBER}")
#: The accepted shapes, shared with the JSON Schema so editors agree with the loader.
PATTERN = rf"^(?:{_NUMBER}|(?:{_NUMBER}d)?(?:{_NUMBER}h)?(?:{_NUMBER}m)?(?:{_NUMBER}s)?(?:{_NUMBER}ms)?)$"
_WHOLE = re.compile(PATTERN)

EXAMPLES = "30s, 5m, 1h30m, 500ms, 2h, 1d or a number of seconds"


def parse_duration(text: str) -> float:
    """Seconds in ``text``; ValueError with a message showing the accepted forms otherwise."""
    raw = text.strip()
    if not raw or not _WHOLE.match(raw):
        raise ValueError(f"invalid duration {text!r}: write it like {EXAMPLES}")
    if _BARE.fullmatch(raw):
        seconds = float(raw)
    else:
        seconds = sum(float(number) * UNITS[unit] for number, unit in _PART.findall(raw))
    if seconds <= 0:
        raise ValueError(f"invalid duration {text!r}: it must be more than zero, like {EXAMPLES}")
    return seconds
