"""Counting the SQL statements an action issues, on either dialect: how the web tests check that a page
costs the same queries whatever its length (no query per row)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def count_statements(monkeypatch: pytest.MonkeyPatch, action: Callable[[], Any]) -> int:
    """How many statements ``action`` sends to the store (every patch is undone afterwards)."""
    from conveyor.store.sql import connection

    calls: list[str] = []
    for cls in (connection.SqliteConnection, connection.PostgresConnection):
        original = cls.execute

        def spy(self: Any, sql: str, params: Any = None, _o: Any = original) -> Any:
            calls.append(sql)
            return _o(self, sql, params)

        monkeypatch.setattr(cls, "execute", spy)
    try:
        action()
    finally:
        monkeypatch.undo()
    return len(calls)
