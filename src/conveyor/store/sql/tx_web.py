"""Store reads for the web UI: one statement per page part, so a page of 50 runs costs one query for
their inputs, not 50. Every one reads through an existing index (runs_pipeline, run_inputs' primary key,
run_inputs_version, run_logs' primary key, events_pipeline, runs_status)."""

from __future__ import annotations

from conveyor.store.base import Row
from conveyor.store.sql.txbase import TxBase


class WebTx(TxBase):
    def web_pipeline_mark(self, pipeline_id: int) -> tuple[int, int]:
        """The pipeline's newest run id and newest event id: a change in either means a page is stale."""
        row = self._one("web_pipeline_mark", pipeline_id=pipeline_id)
        assert row is not None
        return int(row["last_run"]), int(row["last_event"])

    def web_latest_run_states(self, pipeline_id: int) -> list[Row]:
        """Each job's latest run: id, job_id, job_name, number, status, started_at (one probe per job)."""
        return self._all("web_latest_run_states", pipeline_id=pipeline_id)

    def web_latest_started_runs(self, job_ids: list[int]) -> dict[int, int]:
        """Job id -> its latest run that started (runs resolve their inputs when they start), for
        the jobs that have one: one backward probe per job (runs_job)."""
        if not job_ids:
            return {}
        rows = self._all("web_latest_started_runs", ids=self._ids(job_ids))
        return {int(r["job_id"]): int(r["id"]) for r in rows if r["id"] is not None}

    def web_inputs_of_runs(self, run_ids: list[int]) -> list[Row]:
        if not run_ids:
            return []
        return self._all("web_inputs_of_runs", ids=self._ids(run_ids))

    def web_run_lineage(self, run_id: int) -> list[Row]:
        """A run's inputs with what made each: the run that wrote the version, or the upstream run."""
        return self._all("web_run_lineage", run_id=run_id)

    def web_consumers(self, version_ids: list[int], per_version: int) -> list[Row]:
        """The newest ``per_version`` runs that read each version, each row with the version's total."""
        if not version_ids:
            return []
        return self._all("web_consumers", ids=self._ids(version_ids), skip=max(per_version - 1, 0))

    def web_timed_logs(self, run_id: int, after: int, limit: int) -> list[Row]:
        return self._all("web_timed_logs", run_id=run_id, after=after, limit=limit)
