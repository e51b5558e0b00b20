"""The live pages' stream loop: it sends a rendering only when the mark moved and the rendering changed,
and nothing while the mark is still the one the page was drawn at."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from conveyor.web import live


class Request:
    cookies: dict[str, str] = {}

    async def is_disconnected(self) -> bool:
        return False


class Service:
    def __init__(self) -> None:
        self.closing = threading.Event()


def events(marks: list[str], renders: dict[str, str], shown: str | None) -> list[str]:
    """The events sent while ``marks`` are read one after another (the stream ends after the last)."""
    service = Service()
    read: list[str] = []

    def mark() -> str:
        read.append(marks[len(read)])
        if len(read) == len(marks):
            service.closing.set()
        return read[-1]

    async def collect() -> list[str]:
        body = live.changes(
            Request(),
            service,
            mark,
            lambda: renders[read[-1]],
            "state",
            "a test",
            shown,
        )
        return [chunk async for chunk in body if chunk.startswith("event:")]

    return asyncio.run(collect())


@pytest.fixture(autouse=True)
def fast(monkeypatch: Any) -> None:
    monkeypatch.setattr(live, "POLL_SECONDS", 0)


def test_a_stream_opened_at_the_pages_mark_waits_for_a_change() -> None:
    renders = {"a": "A", "b": "B", "c": "B"}
    assert events(["a", "a", "b", "c"], renders, live.token("a")) == ["event: state\ndata: B\n\n"]
    # without the page's mark (or with an old one) the first reading is sent at once
    assert events(["a", "b"], renders, None) == ["event: state\ndata: A\n\n", "event: state\ndata: B\n\n"]
    assert events(["a", "b"], renders, live.token("z"))[0] == "event: state\ndata: A\n\n"
