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


def test_a_new_sqlite_store_has_small_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    import sqlite3

    from conveyor.store.sql.connection import PAGE_SIZE

    new = SqlStore(f"sqlite:///{tmp_path}/new.db")
    assert new._conn.execute("PRAGMA page_size")[0]["page_size"] == PAGE_SIZE
    assert new._conn.execute("PRAGMA journal_mode")[0]["journal_mode"] == "wal"
    new.close()

    old = sqlite3.connect(tmp_path / "old.db")  # made by an earlier conveyor: 4 KB pages, WAL
    old.execute("PRAGMA page_size=4096")
    old.execute("PRAGMA journal_mode=WAL")
    old.execute("CREATE TABLE kept (x INTEGER)")
    old.execute("INSERT INTO kept VALUES (1)")
    old.commit()
    old.close()
    reopened = SqlStore(f"sqlite:///{tmp_path}/old.db")
    assert reopened._conn.execute("PRAGMA page_size")[0]["page_size"] == 4096
    assert reopened._conn.execute("SELECT x FROM kept")[0]["x"] == 1
    assert "runs" in _tables(reopened)  # migrated as any store
    reopened.close()
