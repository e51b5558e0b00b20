"""Opening a database from a URL, per dialect, with the settings durability needs.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a commit survives a crash of the process (the
kill -9 case) and costs no fsync; ``BEGIN IMMEDIATE`` takes the write lock up front so two writers
queue on ``busy_timeout`` instead of failing half-way. psycopg is imported only for PostgreSQL URLs
(it costs 0.15 s to import).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from conveyor.errors import BadInput, StoreError

#: compact JSON for ``execute_combined``'s rows
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


class LazyRows(Protocol):
    """Rows read as they are iterated; ``close`` releases them even if none were read."""

    def __iter__(self) -> Iterator[dict[str, Any]]: ...

    def __next__(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class Connection(Protocol):
    dialect: str

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def execute_many(self, sql: str, params: list[dict[str, Any]]) -> None: ...

    def execute_nowait(self, sql: str, params: dict[str, Any]) -> None: ...

    def execute_combined(self, sql: str, params: dict[str, Any]) -> None: ...

    def load_rows(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None: ...

    def iterate(self, sql: str, params: dict[str, Any]) -> Generator[dict[str, Any], None, None]: ...

    def execute_together(self, *statements: tuple[str, dict[str, Any]]) -> list[list[dict[str, Any]]]: ...

    def script(self, sql: str) -> None: ...

    def transaction(self, write: bool = True, pipelined: bool = True) -> Any: ...

    def close(self) -> None: ...

    def set_synchronous(self, on: bool) -> None: ...


#: The column names of the last statement read: a statement's rows share one ``description`` tuple
_last_columns: tuple[Any, tuple[str, ...]] = ((), ())


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    """A row as a dict, naming the columns once per statement rather than once per row (a third of
    the time for a ``runs`` row). The cache is read into a local: threads may share the module."""
    global _last_columns
    description = cursor.description
    last = _last_columns
    if description is not last[0]:
        last = _last_columns = (description, tuple(d[0] for d in description))
    return dict(zip(last[1], row, strict=True))


#: Pages of a new SQLite database. A finished job's commit writes about 20 pages (the run's row,
#: its indexes, the events and the log), whole, to the WAL, and every checkpoint flushes what the WAL
#: holds: 1 KB pages write a quarter of SQLite's default 4 KB for the same rows (a 1,000-job run
#: 5-7% faster, measured alternately on this project's 2-core VM), at the price of B-trees a level
#: deeper for the large reads (the scale figures in README.md stay within their 5 ms).
PAGE_SIZE = 1024
#: WAL pages between automatic checkpoints: 4 MB, what SQLite's default of 1,000 is with 4 KB pages
CHECKPOINT_PAGES = 4000


class _CombinedWrites:
    """``execute_combined``, shared by both connections; each says how it writes a batch."""

    #: the statement of the calls not written yet, and each call's parameters
    _combined: tuple[str, list[dict[str, Any]]] | None = None

    def execute_combined(self, sql: str, params: dict[str, Any]) -> None:
        """A write whose result is not read, written with the like writes next to it: consecutive
        calls of the same ``sql`` in a write transaction are written together (``_write_combined``)
        when another statement goes out, or the commit. Outside a transaction, at once."""
        if not self._in_write_transaction():
            self._write_combined(sql, [params])
            return
        if self._combined is not None and self._combined[0] is not sql:
            self._send_combined()
        if self._combined is None:
            self._combined = (sql, [])
        self._combined[1].append(params)

    def _flush_combined(self) -> None:
        """Write the calls held, if any: before any other statement, and before the commit."""
        if self._combined is not None:
            self._send_combined()

    def _send_combined(self) -> None:
        assert self._combined is not None
        sql, calls = self._combined
        self._combined = None
        self._write_combined(sql, calls)

    def _in_write_transaction(self) -> bool:
        raise NotImplementedError

    def _write_combined(self, sql: str, params: list[dict[str, Any]]) -> None:
        raise NotImplementedError


class SqliteConnection(_CombinedWrites):
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.row_factory = _dict_row
            # before the file exists (an existing database keeps its page size): see PAGE_SIZE
            self._db.execute(f"PRAGMA page_size={PAGE_SIZE}")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {path}: {exc}") from exc
        self.path = path
        self._depth = 0
        #: a combined write's statements, split once
        self._statements: dict[str, list[str]] = {}

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            self._flush_combined()
            return self._db.execute(sql, params or {}).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    def execute_nowait(self, sql: str, params: dict[str, Any]) -> None:
        """A statement whose result is not read (PostgreSQL batches them; here it simply runs)."""
        try:
            self._flush_combined()
            self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    def iterate(self, sql: str, params: dict[str, Any]) -> Generator[dict[str, Any], None, None]:
        """Rows one at a time, so a caller that has seen enough stops reading."""
        try:
            self._flush_combined()
            cursor = self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"database error: {exc}") from exc
        try:
            yield from cursor
        finally:
            cursor.close()

    def execute_together(self, *statements: tuple[str, dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """Several reads' rows, in order (one round trip on PostgreSQL)."""
        return [self.execute(sql, params) for sql, params in statements]

    def execute_many(self, sql: str, params: list[dict[str, Any]]) -> None:
        try:
            self._flush_combined()
            self._db.executemany(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    def _in_write_transaction(self) -> bool:
        return self._depth > 0

    def _write_combined(self, sql: str, params: list[dict[str, Any]]) -> None:
        """SQLite: ``sql`` is statements, each run with ``executemany`` over the calls' ``params``
        in turn (every call's first, then every call's second...): one C loop each instead of a
        statement per call."""
        statements = self._statements.get(sql)
        if statements is None:
            statements = self._statements[sql] = [s for s in sql.split(";\n") if s.strip()]
        try:
            for statement in statements:
                self._db.executemany(statement, params)
        except sqlite3.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    def load_rows(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """Bulk loading: ``sql`` is an INSERT with positional parameters, run once per row."""
        try:
            self._flush_combined()
            self._db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    def script(self, sql: str) -> None:
        # executescript() would COMMIT the surrounding transaction; run statement by statement instead.
        for statement in sql.split(";\n"):
            if statement.strip() and not all(
                ln.strip().startswith("--") or not ln.strip() for ln in statement.splitlines()
            ):
                self.execute(statement)

    @contextmanager
    def transaction(self, write: bool = True, pipelined: bool = True) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        try:
            self._db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.Error as exc:
            raise StoreError(f"database error: {exc}") from exc
        self._depth = 1
        try:
            yield
            self._flush_combined()
        except BaseException:
            self._depth = 0
            self._combined = None
            self._db.execute("ROLLBACK")
            raise
        self._depth = 0
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def set_synchronous(self, on: bool) -> None:
        """Commits survive a crash of this process either way (WAL, ``NORMAL``); turning it back
        on checkpoints the WAL, which syncs it first and then the database file, so what was
        committed also survives a crash of the machine (``NORMAL`` syncs only at checkpoints)."""
        if on:
            try:
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:
                raise StoreError(f"database error: {exc}") from exc


class PostgresConnection(_CombinedWrites):
    dialect = "postgres"

    def __init__(self, url: str) -> None:
        import psycopg
        from psycopg.rows import dict_row

        self._psycopg = psycopg
        self._tuples_ok = psycopg.pq.ExecStatus.TUPLES_OK
        #: the pipeline of the write transaction in progress: statements whose results nobody reads
        #: (events, log chunks, status updates) are sent with the next one that is read, not each in
        #: its own round trip
        self._pipe: Any = None
        #: the cursor those statements go through: one per transaction, not one each
        self._nowait: Any = None
        try:
            self._db = psycopg.connect(url, autocommit=True, row_factory=dict_row)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {str(exc).strip().splitlines()[0]}") from exc
        #: the cursor every read goes through (a connection serves one thread, and a read's rows are
        #: fetched before the next statement): making one per statement cost 40 µs of Python
        self._cur = self._db.cursor()

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            self._flush_combined()
            cur = self._cur.execute(sql, params or {})
            if self._pipe is not None:
                self._pipe.sync()
            return self._rows(cur)
        except self._psycopg.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    def _rows(self, cur: Any) -> list[dict[str, Any]]:
        """The rows of the cursor's last statement, or none for one that returns none (a write).
        Not ``cur.description``: it builds a Column per column each call (0.1 ms for ``runs.*``)."""
        res = cur.pgresult
        return cur.fetchall() if res is not None and res.status == self._tuples_ok else []

    def execute_nowait(self, sql: str, params: dict[str, Any]) -> None:
        """A statement whose result is not read: in a write transaction it goes out with the next
        statement that is read (or the commit); its error, if any, is raised there."""
        try:
            self._flush_combined()
            (self._nowait or self._db).execute(sql, params)
        except self._psycopg.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    def iterate(self, sql: str, params: dict[str, Any]) -> Generator[dict[str, Any], None, None]:
        try:
            self._flush_combined()
            with self._db.cursor() as cur:
                cur.execute(sql, params)
                if self._pipe is not None:
                    self._pipe.sync()
                yield from cur
        except self._psycopg.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    def execute_together(self, *statements: tuple[str, dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """Several reads in one round trip in a write transaction (all sent, then one sync), each
        seeing the writes sent before it; their rows, in order."""
        if self._pipe is None:
            return [self.execute(sql, params) for sql, params in statements]
        cursors = [self._cur] + [self._db.cursor() for _ in statements[1:]]
        try:
            self._flush_combined()
            for cur, (sql, params) in zip(cursors, statements, strict=True):
                cur.execute(sql, params)
            self._pipe.sync()
            return [self._rows(cur) for cur in cursors]
        except self._psycopg.Error as exc:
            raise StoreError(f"database error: {exc}") from exc
        finally:
            for cur in cursors[1:]:
                cur.close()

    def _in_write_transaction(self) -> bool:
        return self._pipe is not None

    def _write_combined(self, sql: str, params: list[dict[str, Any]]) -> None:
        """PostgreSQL: one statement, reading ``:rows``, a JSON array of the calls' ``params`` (so
        they must be JSON values): one parameter, encoded in C, where arrays of each would be dumped
        element by element in Python. Its error, if any, is raised with the next statement read."""
        rows = {"rows": _JSON.encode(params)}
        if self._nowait is None:
            self.execute_nowait(sql, rows)
        else:
            self._nowait.execute(sql, rows)

    def execute_many(self, sql: str, params: list[dict[str, Any]]) -> None:
        try:
            self._flush_combined()
            with self._db.cursor() as cur:
                cur.executemany(sql, params)
        except self._psycopg.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    def load_rows(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """Bulk loading: ``sql`` is a ``COPY ... FROM STDIN``; the rows stream in one round trip."""
        try:
            self._flush_combined()
            with self._db.cursor() as cur, cur.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except self._psycopg.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    def script(self, sql: str) -> None:
        self._flush_combined()
        self._db.execute(sql)

    @contextmanager
    def transaction(self, write: bool = True, pipelined: bool = True) -> Iterator[None]:
        """``pipelined`` (writes): see ``_pipe``; a migration's multi-statement DDL cannot be.

        The pipelined kind sends its own BEGIN and COMMIT: psycopg's ``transaction()`` inside a
        pipeline nests two more pipelines, each synced on exit, so a transaction that needs one
        round trip took three (measured: 0.65 ms against 0.26 ms for a one-statement write)."""
        owner = False  # a nested transaction (a savepoint) leaves the pipeline to its owner
        try:
            if not write or not pipelined or self._pipe is not None:
                self._flush_combined()  # written before the savepoint: not undone with it
                with self._db.transaction():
                    try:
                        yield
                    except BaseException:
                        self._combined = None  # written after the savepoint: undone with it
                        raise
                    self._flush_combined()
                return
            with self._db.pipeline() as pipe:
                owner = True
                self._pipe = pipe
                self._nowait = self._db.cursor()
                try:
                    self._nowait.execute("BEGIN")  # goes out with the first read, or the commit
                    yield
                    self._flush_combined()
                except BaseException:
                    self._pipe = None
                    self._combined = None
                    self._rollback()
                    raise
                self._nowait.execute("COMMIT")  # sent, and waited for, as the pipeline ends
        except self._psycopg.Error as exc:
            self._rollback()  # a failed COMMIT (or statement before it) leaves the transaction open
            raise StoreError(f"database error: {exc}") from exc
        finally:
            if owner:
                self._pipe = None
                self._nowait = None
                self._combined = None

    def _rollback(self) -> None:
        """Undo the pipelined transaction after an error (the database's own, or the caller's).
        ``rollback()`` syncs what is still queued first, so an aborted pipeline recovers, and
        forgets statements prepared meanwhile."""
        for _ in range(2):  # the first may only collect the error still queued in the pipeline
            try:
                self._db.rollback()
                return
            except self._psycopg.Error:
                continue  # the error being raised says what went wrong

    def close(self) -> None:
        self._db.close()

    def set_synchronous(self, on: bool) -> None:
        """``synchronous_commit`` for this session; turning it back on flushes the WAL (a commit with
        a transaction id waits for its commit record, and so for everything before it)."""
        try:
            self._db.execute("SET synchronous_commit TO " + ("on" if on else "off"))
            if on:
                with self._db.transaction():
                    self._db.execute("SELECT pg_current_xact_id()")
        except self._psycopg.Error as exc:
            raise StoreError(f"database error: {exc}") from exc


class AsyncPostgresReads:
    """A few asynchronous connections for short reads made on the server's event loop: no thread
    hop, and no thread waiting for the GIL behind the loop when the answer comes. Opened on first
    use, on the loop that uses them; one that fails (or whose caller is cancelled) is dropped."""

    def __init__(self, url: str, size: int = 4) -> None:
        self.url = url
        self.size = size
        self._slots: Any = None  # an asyncio.Queue of open connections or None (a slot to open one)

    async def execute(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        import asyncio

        import psycopg
        from psycopg.rows import dict_row

        if self._slots is None:
            self._slots = asyncio.Queue()
            for _ in range(self.size):
                self._slots.put_nowait(None)
        conn = await self._slots.get()
        done = False
        try:
            if conn is None:
                conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True, row_factory=dict_row)
            cur = await conn.execute(sql, params)
            rows: list[dict[str, Any]] = await cur.fetchall()
            done = True
            return rows
        except psycopg.Error as exc:
            raise StoreError(f"database error: {str(exc).strip().splitlines()[0]}") from exc
        finally:
            if not done and conn is not None:
                conn.pgconn.finish()  # its state is unknown: close it now, without waiting
                conn = None
            self._slots.put_nowait(conn)

    def close(self) -> None:
        while self._slots is not None and not self._slots.empty():
            conn = self._slots.get_nowait()
            if conn is not None:
                conn.pgconn.finish()
        self._slots = None


def connect(url: str) -> SqliteConnection | PostgresConnection:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if path.startswith("/") and not path.startswith("//"):
            path = path[1:]  # sqlite:///rel/path -> rel/path; sqlite:////abs -> /abs
        elif path.startswith("//"):
            path = path[1:]
        if not path:
            raise BadInput(f"database URL {url!r} names no file")
        return SqliteConnection(path)
    if parts.scheme in ("postgresql", "postgres"):
        return PostgresConnection(url)
    raise BadInput(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://...")
