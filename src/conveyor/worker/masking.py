"""Masks secret values as ``***`` in a stream of log bytes, even when a value is split across chunks.

The worker knows the values it injected (the run's ``secret_env``), so it masks them before a chunk is
streamed or stored: nothing downstream (store, API, UI) ever holds them. A chunk's tail that could be the
start of a value is held back until the next chunk (or the end) shows whether it is one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MASK = b"***"
#: Values shorter than this are not masked: masking "1" or "on" would garble every log while hiding nothing.
MIN_LENGTH = 3


class Masker:
    def __init__(self, values: Iterable[str]) -> None:
        found = {v.encode() for v in values if len(v) >= MIN_LENGTH}
        # each line of a multi-line value too: tools often print one line of a key or certificate
        for v in list(found):
            found.update(line.strip() for line in v.splitlines() if len(line.strip()) >= MIN_LENGTH)
        self.values = sorted(found, key=len, reverse=True)
        self._re = re.compile(b"|".join(re.escape(v) for v in self.values)) if self.values else None
        self._longest = len(self.values[0]) if self.values else 0
        self._pending = b""

    @classmethod
    def for_env(cls, env: Mapping[str, str], names: Iterable[str]) -> Masker:
        return cls(env[n] for n in names if n in env)

    def __bool__(self) -> bool:
        return self._re is not None

    def feed(self, data: bytes, final: bool = False) -> bytes:
        """``data`` with every value masked; with ``final``, also what was held back."""
        if self._re is None:
            return data
        buf = self._pending + data
        parts = []
        pos = 0
        for m in self._re.finditer(buf):
            parts.append(buf[pos : m.start()])
            parts.append(MASK)
            pos = m.end()
        rest = buf[pos:]
        hold = 0 if final else self._partial(rest)
        parts.append(rest[: len(rest) - hold])
        self._pending = rest[len(rest) - hold :]
        return b"".join(parts)

    def _partial(self, rest: bytes) -> int:
        """The length of the longest tail of ``rest`` that begins some value (without being all of it)."""
        for k in range(min(len(rest), self._longest - 1), 0, -1):
            tail = rest[-k:]
            if any(v.startswith(tail) for v in self.values):
                return k
        return 0

    def text(self, value: str) -> str:
        """A whole string masked (messages, properties): no state carried over."""
        if self._re is None or not value:
            return value
        return self._re.sub(MASK, value.encode()).decode("utf-8", errors="replace")
