"""A write transaction keeps all or nothing, and the connection it ran on works afterwards: on
PostgreSQL its statements are pipelined, so a refused one is only known at a later read or at
the commit, and the transaction must still end rolled back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conveyor.errors import StoreError
from conveyor.store import open_store
from conveyor.store.base import Store

NO_SUCH_RUN = 2**40


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    yield s
    s.close()


def _token_names(store: Store) -> list[str]:
    with store.read() as tx:
        return sorted(t["name"] for t in tx.tokens())


def _still_works(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_token("after", "viewer", "hash-after", 0.0)
    assert _token_names(store) == ["after"]


def test_a_write_refused_before_a_read_keeps_nothing(store: Store) -> None:
    with pytest.raises(StoreError), store.transaction() as tx:
        tx.insert_token("before", "viewer", "hash-before", 0.0)
        tx.append_log(NO_SUCH_RUN, b"x", 0.0)  # its run does not exist: the foreign key refuses it
        tx.tokens()
    assert _token_names(store) == []
    _still_works(store)


def test_a_write_refused_at_the_commit_keeps_nothing(store: Store) -> None:
    with pytest.raises(StoreError), store.transaction() as tx:
        tx.insert_token("before", "viewer", "hash-before", 0.0)
        tx.append_log(NO_SUCH_RUN, b"x", 0.0)  # the last statement: nothing reads after it
    assert _token_names(store) == []
    _still_works(store)


def test_an_error_of_the_caller_rolls_the_writes_back(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.insert_token("before", "viewer", "hash-before", 0.0)
        tx.add_event("test.event", 0.0)
        raise RuntimeError("changed my mind")
    assert _token_names(store) == []
    _still_works(store)


def test_a_refused_read_keeps_nothing(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_token("first", "viewer", "hash-1", 0.0)
    with pytest.raises(StoreError), store.transaction() as tx:
        tx.add_event("test.event", 0.0)
        tx.insert_token("again", "viewer", "hash-1", 0.0)  # the same hash: a unique index refuses it
    assert _token_names(store) == ["first"]
    with store.transaction() as tx:
        tx.insert_token("after", "viewer", "hash-after", 0.0)
    assert _token_names(store) == ["after", "first"]


def test_an_error_of_the_caller_after_a_refused_write_rolls_back(store: Store) -> None:
    """On PostgreSQL the refused write is still queued when the caller's error ends the
    transaction (SQLite refuses it at once)."""
    with pytest.raises((RuntimeError, StoreError)), store.transaction() as tx:
        tx.insert_token("before", "viewer", "hash-before", 0.0)
        tx.append_log(NO_SUCH_RUN, b"x", 0.0)
        raise RuntimeError("changed my mind")
    assert _token_names(store) == []
    _still_works(store)


def test_two_reads_sent_together_see_the_transaction_s_writes(store: Store) -> None:
    """``execute_together`` (one round trip on PostgreSQL): the reads run after the writes queued
    before them, in order, and a refused first read rolls the whole transaction back."""
    with store.transaction() as tx:
        tx.insert_token("queued-write", "viewer", "hash-q", 0.0)  # rides with the reads
        rows, rest, last = tx._conn.execute_together(
            ("SELECT count(*) AS n FROM tokens", {}),
            ("SELECT name FROM tokens ORDER BY name", {}),
            ("SELECT 2 AS two", {}),
        )
        assert rows == [{"n": 1}]
        assert [r["name"] for r in rest] == ["queued-write"]
        assert last == [{"two": 2}]
        assert [r["name"] for r in tx.tokens()] == ["queued-write"]
    assert _token_names(store) == ["queued-write"]
    with pytest.raises(StoreError), store.transaction() as tx:
        tx.insert_token("lost", "viewer", "hash-l", 0.0)
        tx._conn.execute_together(("SELECT no_such_column FROM tokens", {}), ("SELECT 1 AS one", {}))
    assert _token_names(store) == ["queued-write"]
    with store.transaction() as tx:
        tx.insert_token("after", "viewer", "hash-after", 0.0)
    assert _token_names(store) == ["after", "queued-write"]
