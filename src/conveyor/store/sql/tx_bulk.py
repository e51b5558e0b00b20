"""Bulk loading of history: versions, runs, their inputs and events, many rows per statement.

For filling a store the way years of use would (the scale benchmark loads a million runs), not for
the service: rows skip every rule the service applies, so only a loader that writes consistent
history should call these. SQLite takes the rows through ``executemany``, PostgreSQL through
``COPY`` (one round trip for the lot); the column order of each tuple is the one in
``queries_bulk.sql``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from conveyor.store.sql.txbase import TxBase

#: A row to load: values in the column order of its ``bulk_*`` query.
BulkRow = tuple[Any, ...]


class BulkTx(TxBase):
    def bulk_versions(self, rows: Iterable[BulkRow]) -> None:
        """(id, resource_id, number, digest, properties, files, created_by, creator, run_id, created_at)"""
        self._conn.load_rows(self._q["bulk_versions"], rows)

    def bulk_runs(self, rows: Iterable[BulkRow]) -> None:
        """(id, pipeline_id, pipeline_version, job_id, job_name, number, attempt, status, causes,
        created_at, queued_at, started_at, finished_at, worker_id, lease_expires_at, exit_code,
        message, properties, steps, runs_on, not_before)"""
        self._conn.load_rows(self._q["bulk_runs"], rows)

    def bulk_run_inputs(self, rows: Iterable[BulkRow]) -> None:
        """(run_id, name, kind, version_id, upstream_run_id)"""
        self._conn.load_rows(self._q["bulk_run_inputs"], rows)

    def bulk_events(self, rows: Iterable[BulkRow]) -> None:
        """(id, at, kind, pipeline_id, run_id, data)"""
        self._conn.load_rows(self._q["bulk_events"], rows)

    def bulk_max_ids(self) -> dict[str, int]:
        """The largest id of runs, events and versions (``runs``, ``events``, ``versions``; 0 if none),
        so a loader can number the rows it adds."""
        row = self._one("bulk_max_ids")
        assert row is not None
        return {k: int(v) for k, v in row.items()}

    def bulk_run_numbers(self, pipeline_id: int) -> dict[str, int]:
        """Each job's newest run number, so a loader can number the runs it adds."""
        rows = self._all("bulk_run_numbers", pipeline_id=pipeline_id)
        return {str(r["name"]): int(r["number"]) for r in rows}

    def bulk_finish(self, pipeline_id: int) -> None:
        """After loading: move id sequences and the version counters of the pipeline's resources past
        what was loaded, so the service's next inserts follow on (run numbers follow by themselves)."""
        self._all("bulk_sync_ids")
        self._all("bulk_sync_counters", pipeline_id=pipeline_id)

    def bulk_analyze(self) -> None:
        """PostgreSQL: gather planner statistics now rather than when autovacuum gets to it."""
        self._all("bulk_analyze")
