"""``flushed_at_end``: commits that skip the per-commit disk flush (PostgreSQL), then one flush."""

from __future__ import annotations

import pytest

from conveyor.store import open_store
from conveyor.store.sql.connection import PostgresConnection


def _synchronous(store: object) -> str | None:
    conn = store._conn  # type: ignore[attr-defined]
    if not isinstance(conn, PostgresConnection):
        return None
    return str(conn.execute("SHOW synchronous_commit")[0]["synchronous_commit"])


def test_commits_inside_are_kept_and_the_setting_is_restored(db_url: str) -> None:
    store = open_store(db_url)
    try:
        with store.flushed_at_end():
            assert _synchronous(store) in (None, "off")
            with store.transaction() as tx:
                pid = tx.insert_pipeline("p", 1.0)
        assert _synchronous(store) in (None, "on")
        other = open_store(db_url)  # another connection sees the commit
        try:
            with other.read() as tx:
                row = tx.pipeline_by_id(pid)
            assert row is not None and row["name"] == "p"
        finally:
            other.close()
    finally:
        store.close()


def test_the_setting_is_restored_when_the_block_fails(db_url: str) -> None:
    store = open_store(db_url)
    try:
        with pytest.raises(RuntimeError), store.flushed_at_end():
            raise RuntimeError("boom")
        assert _synchronous(store) in (None, "on")
    finally:
        store.close()


def test_sqlite_commits_are_in_the_database_file_when_the_block_ends(tmp_path: object) -> None:
    """SQLite with ``synchronous=NORMAL`` syncs the WAL only at a checkpoint: the block ends with
    one, so the commits are in the database file itself (read here without its WAL)."""
    import shutil
    import sqlite3
    from pathlib import Path

    db = Path(str(tmp_path)) / "c.db"
    store = open_store(f"sqlite:///{db}")
    try:
        with store.flushed_at_end(), store.transaction() as tx:
            tx.insert_pipeline("p", 1.0)
        copy = db.with_name("copy.db")
        shutil.copyfile(db, copy)  # the main file alone: no -wal beside it
        names = [r[0] for r in sqlite3.connect(copy).execute("SELECT name FROM pipelines")]
        assert names == ["p"]
    finally:
        store.close()
