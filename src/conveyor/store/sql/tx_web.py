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

    def web_latest_started_inputs(self, pipeline_id: int) -> list[Row]:
        """The inputs of each job's latest run that resolved them (runs resolve inputs when they start)."""
        return self._all("web_latest_started_inputs", pipeline_id=pipeline_id)

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
