"""Reading: pipelines, runs with their lineage, logs, versions."""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any

from conveyor.engine.dag import Graph
from conveyor.errors import NotFound
from conveyor.service.base import ServiceBase
from conveyor.store.base import Row


class ReadOps(ServiceBase):
    # -- reading --------------------------------------------------------------------------------
    def activity(self, pipeline: str) -> dict[str, int]:
        """How many of the pipeline's runs are in each active status."""
        with self.store.read() as tx:
            row = self._pipeline(tx, pipeline)
            return {r["status"]: int(r["n"]) for r in tx.active_counts(row["id"])}

    def pipelines(self) -> list[Row]:
        with self.store.read() as tx:
            return tx.pipelines()

    def pipeline_graph(self, pipeline: str | None) -> Graph:
        with self.store.read() as tx:
            row = self._pipeline(tx, pipeline)
            return self._graph(tx, row["id"], row["current_version"])

    def runs(
        self, pipeline: str | None = None, job: str | None = None, before: int | None = None, limit: int = 50
    ) -> list[Row]:
        with self.store.read() as tx:
            prow = self._pipeline(tx, pipeline)
            if job is None:
                return tx.runs_of_pipeline(prow["id"], before, limit)
            jobs = {j["name"]: j["id"] for j in tx.jobs(prow["id"])}
            if job not in jobs:
                raise NotFound(f"no job named {job!r} in pipeline {prow['name']!r}")
            return tx.runs_of_job(jobs[job], before, limit)

    def open_runs(self, pipeline: str) -> list[Row]:
        """Runs still waiting: for approval, or pending on an input that has nothing to read yet."""
        with self.store.read() as tx:
            return tx.open_runs(self._pipeline(tx, pipeline)["id"])

    def runs_since(self, pipeline: str, after: int) -> list[Row]:
        with self.store.read() as tx:
            prow = self._pipeline(tx, pipeline)
            return tx.runs_since(prow["id"], after)

    def run(self, run_id: int) -> dict[str, Any]:
        """A run with its inputs (versions seen), outputs (versions made) and events: its lineage."""
        with self.store.read() as tx:
            run = tx.run(run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            prow = tx.pipeline_by_id(run["pipeline_id"])
            assert prow is not None
            return {
                **run,
                "pipeline": prow["name"],
                "inputs": tx.run_inputs(run_id),
                "outputs": tx.versions_made_by_run(run_id),
                "events": tx.events_of_run(run_id),
            }

    def logs(self, run_id: int, after: int = 0) -> bytes:
        with self.store.read() as tx:
            if tx.run(run_id) is None:
                raise NotFound(f"no run {run_id}")
            return b"".join(bytes(r["data"]) for r in tx.logs(run_id, after))

    def versions(self, resource: str, pipeline: str | None = None, limit: int = 50) -> list[Row]:
        with self.store.read() as tx:
            prow = self._pipeline(tx, pipeline)
            rrow = tx.resource_by_name(prow["id"], resource)
            if rrow is None:
                names = [r["name"] for r in tx.resources(prow["id"])]
                hint = get_close_matches(resource, names, n=1)
                raise NotFound(
                    f"no resource named {resource!r} in pipeline {prow['name']!r}"
                    + (f" (did you mean {hint[0]!r}?)" if hint else "")
                )
            return tx.versions(rrow["id"], None, limit)
