"""What every group of store operations shares: the connection, named queries, row helpers.

``SqlTx`` (the pipeline core) and each area's operations (``tx_<area>.py``) derive from ``TxBase``, so a new
area adds a module and a ``queries_<area>.sql`` file instead of growing one class.
"""

from __future__ import annotations

import json
from typing import Any

from conveyor.store.base import Row
from conveyor.store.sql.connection import PostgresConnection, SqliteConnection

#: compact JSON, built once (``json.dumps`` with options makes an encoder per call: 2 µs of ~7)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


class TxBase:
    def __init__(self, conn: SqliteConnection | PostgresConnection, q: dict[str, str]) -> None:
        self._conn = conn
        self._q = q

    @property
    def dialect(self) -> str:
        return self._conn.dialect

    def _ids(self, ids: list[Any]) -> Any:
        """A list of ids as one parameter: an array for PostgreSQL (``= ANY(:ids)``), a JSON array for
        SQLite (``IN (SELECT value FROM json_each(:ids))``), so a page's rows cost one query, not one each."""
        return ids if self.dialect == "postgres" else _dumps(ids)

    def _all(self, name: str, /, **params: Any) -> list[Row]:
        return self._conn.execute(self._q[name], params)

    def _run(self, name: str, /, **params: Any) -> None:
        """A write whose result is not read: on PostgreSQL it rides with the next round trip."""
        self._conn.execute_nowait(self._q[name], params)

    def _one(self, name: str, /, **params: Any) -> Row | None:
        rows = self._conn.execute(self._q[name], params)
        return rows[0] if rows else None

    def _val(self, name: str, /, **params: Any) -> Any:
        rows = self._conn.execute(self._q[name], params)
        return next(iter(rows[0].values())) if rows else None
