"""The Store interface every front end reaches the database through (via ``service.py``).

A ``Store`` hands out transactions; a transaction (``Tx``) offers domain-level operations — insert a
run, bump a resource's version, lease queued runs — never raw SQL. ``SqlStore`` implements it for
both SQLite and PostgreSQL with the same code and per-dialect named queries.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

Row = dict[str, Any]

if TYPE_CHECKING:
    from conveyor.store.sql.store import SqlTx

    Tx: TypeAlias = SqlTx
else:
    Tx = Any


class Store(Protocol):
    dialect: str
    url: str

    def transaction(self, pipelined: bool = True) -> AbstractContextManager[Tx]: ...

    def read(self) -> AbstractContextManager[Tx]: ...

    def flushed_at_end(self) -> AbstractContextManager[None]: ...

    def read_statement(self) -> AbstractContextManager[Tx]: ...

    @property
    def reads_async(self) -> bool: ...

    async def run_lineage_async(self, run_id: int) -> Row | None: ...

    async def events_of_run_async(self, run_id: int) -> list[Row]: ...

    def close(self) -> None: ...
