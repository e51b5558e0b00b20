"""Calling the (synchronous) service from async routes.

A thread-pool hop costs more than a read of a local SQLite file in WAL mode (tens of microseconds,
never waiting for a writer), and under load it also waits for the GIL behind the event loop. So
short reads on SQLite run on the event loop; on PostgreSQL, where a read waits for the network,
and for every write (which may wait for a lock), the thread pool it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from fastapi.concurrency import run_in_threadpool

from conveyor.service import Service

P = ParamSpec("P")
T = TypeVar("T")


async def read(service: Service, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)``, a short read-only call into ``service``."""
    if service.store.dialect == "sqlite":
        return fn(*args, **kwargs)
    return await run_in_threadpool(fn, *args, **kwargs)
