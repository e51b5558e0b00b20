"""The store's connections per thread, and the SQLite writers' queue, on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import threading
from typing import Any

from conveyor.store import open_store
from conveyor.store.sql.connection import PostgresConnection, SqliteConnection


def _closed(conn: SqliteConnection | PostgresConnection) -> bool:
    if isinstance(conn, PostgresConnection):
        return bool(conn._db.closed)
    try:
        conn._db.execute("SELECT 1")
    except Exception:
        return True
    return False


def test_a_thread_s_connection_is_closed_when_the_thread_ends(db_url: str) -> None:
    """The server's thread pool retires idle threads: their connections must not stay open."""
    store = open_store(db_url)
    seen: list[Any] = []

    def work() -> None:
        with store.read() as tx:
            tx.pipelines()
        seen.append(store._conn)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gc.collect()
    assert len(seen) == 3 and len({id(c) for c in seen}) == 3
    assert all(_closed(c) for c in seen)
    assert not _closed(store._conn)  # this thread's own is still open
    store.close()
    assert _closed(store._conn) is False  # a store used after close opens a fresh connection
    store.close()


def test_writers_in_one_process_all_commit(db_url: str) -> None:
    """Many threads writing at once queue for the database (on SQLite, on one lock per file, even
    across stores) instead of failing with a busy error."""
    stores = [open_store(db_url), open_store(db_url)]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                with stores[n % 2].transaction() as tx:
                    tx.insert_token(f"t{n}-{i}", "viewer", f"hash-{n}-{i}", 0.0)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with stores[0].read() as tx:
        assert len(tx.tokens()) == 160
    for store in stores:
        store.close()
