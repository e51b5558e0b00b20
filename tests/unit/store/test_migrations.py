"""Migrations: each one not yet applied runs, even when a higher-numbered one already did (areas made on
separate branches number their migrations apart and land in any order)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.errors import SchemaTooNew
from conveyor.store.sql import store as store_module
from conveyor.store.sql.store import SqlStore


def _tables(store: SqlStore) -> set[str]:
    rows = store._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {r["name"] for r in rows}


def test_a_lower_numbered_migration_landing_later_still_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/m.db"
    monkeypatch.setattr(
        store_module,
        "migrations",
        lambda d: [(1, "CREATE TABLE a (x INTEGER)"), (6, "CREATE TABLE f (x INTEGER)")],
    )
    first = SqlStore(url)
    assert {"a", "f"} <= _tables(first)
    first.close()
    monkeypatch.setattr(
        store_module,
        "migrations",
        lambda d: [
            (1, "CREATE TABLE a (x INTEGER)"),
            (4, "CREATE TABLE d (x INTEGER)"),
            (6, "CREATE TABLE f (x INTEGER)"),
        ],
    )
    second = SqlStore(url)
    assert "d" in _tables(second) and second.schema_version == 6
    second.close()
    monkeypatch.setattr(store_module, "migrations", lambda d: [(1, "CREATE TABLE a (x INTEGER)")])
    with pytest.raises(SchemaTooNew, match="schema version 6, newer than this conveyor"):
        SqlStore(url)
