"""The store: the one place that talks to a database. ``open_store(url)`` picks the backend."""

from __future__ import annotations

from conveyor.store.base import Row, Store, Tx
from conveyor.store.sql.store import open_store

__all__ = ["Row", "Store", "Tx", "open_store"]
