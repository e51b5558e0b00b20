"""The store's bulk-loading path and the filtered listings (one query per filter), on SQLite and PostgreSQL.

Bulk-loaded history must leave the store as the service would: the next version, run and event the
service writes follow on (ids and counters moved past what was loaded). Every filter combination of
``runs_filtered`` and ``events_after`` must return what filtering by hand returns.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conveyor import definitions
from conveyor.errors import NotFound
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store

PIPELINE = """
resources:
  - {name: src, type: params}
jobs:
  - {name: a, inputs: [{resource: src}], steps: ["true"]}
  - {name: b, inputs: [{job: a}], steps: ["true"]}
"""
STATUSES = ["succeeded", "failed", "succeeded", "errored", "cancelled", "succeeded"]


@pytest.fixture
def service(db_url: str, tmp_path: Path) -> Iterator[Service]:
    store = open_store(db_url)
    service = Service(store, Settings(home=tmp_path / "home"))
    text = textwrap.dedent(PIPELINE)
    service.apply(definitions.load_text(text, "line.yml", default_name="line"), text, "line.yml")
    for run in service.runs("line"):  # what applying started: not part of the loaded history
        service.cancel(run["id"], "clearing the way")
    yield service
    store.close()


def _load(service: Service, runs: int = 30, versions: int = 5) -> dict[str, Any]:
    """Bulk-load ``versions`` versions of src and ``runs`` finished runs alternating over a and b,
    each with one input and one event."""
    with service.store.transaction(pipelined=False) as tx:
        prow = tx.pipeline_by_name("line")
        assert prow is not None
        pid = prow["id"]
        jobs = {j["name"]: j["id"] for j in tx.jobs(pid)}
        numbers = tx.bulk_run_numbers(pid)
        rid = tx.resource_by_name(pid, "src")["id"]  # type: ignore[index]
        ids = tx.bulk_max_ids()
        tx.bulk_versions(
            (ids["versions"] + n, rid, n, f"{n:064x}", json.dumps({"n": str(n)}), "{}", "user", "u", None, n)
            for n in range(1, versions + 1)
        )
        rows, inputs, events = [], [], []
        for k in range(runs):
            run_id = ids["runs"] + k + 1
            name = "ab"[k % 2]
            numbers[name] += 1
            status = STATUSES[k % len(STATUSES)]
            run = (run_id, pid, 1, jobs[name], name, numbers[name], 1, status, "[]")
            rows.append(
                (*run, 10.0 + k, 10.0 + k, 10.0 + k, 11.0 + k, None, None, 0, "", "{}", "[]", "", 0.0)
            )
            inputs.append((run_id, "src", "resource", ids["versions"] + 1, None))
            events.append((ids["events"] + k + 1, 11.0 + k, f"run.{status}", pid, run_id, "{}"))
        tx.bulk_runs(rows)
        tx.bulk_run_inputs(inputs)
        tx.bulk_events(events)
        tx.bulk_finish(pid)
        tx.bulk_analyze()
    return {"pipeline_id": pid, "jobs": jobs, "first_run": ids["runs"] + 1, "runs": runs}


def test_bulk_loaded_history_is_followed_by_the_services_next_writes(service: Service) -> None:
    loaded = _load(service, runs=30, versions=5)
    assert [v["number"] for v in service.versions("src", "line", limit=2)] == [5, 4]
    made = service.put_version("src", {"n": "new"}, "line")
    assert made is not None and made["number"] == 6
    run = service.trigger_job("a", "line")
    assert run["number"] == 17  # a had run 1 (started by applying, cancelled), then 2..16 loaded
    assert run["id"] > loaded["first_run"] + loaded["runs"] - 1
    assert service.run(loaded["first_run"])["inputs"][0]["version_number"] == 1
    newest = service.events(0, 1000)[-1]
    assert newest["id"] > loaded["first_run"]


@pytest.mark.parametrize("job", [None, "a"])
@pytest.mark.parametrize("status", [None, "succeeded", "errored", "running"])
@pytest.mark.parametrize("by_pipeline", [False, True])
def test_runs_page_filters_and_keyset_pages(
    service: Service, job: str | None, status: str | None, by_pipeline: bool
) -> None:
    _load(service)
    everything = service.runs_page(limit=500)
    expected = [
        r["id"]
        for r in everything
        if (job is None or r["job_name"] == job) and (status is None or r["status"] == status)
    ]
    pipeline = "line" if by_pipeline or job else None
    got = [r["id"] for r in service.runs_page(pipeline, job, status, limit=500)]
    assert got == expected
    # keyset pages of 4 walk the same list
    paged: list[int] = []
    before = None
    while page := service.runs_page(pipeline, job, status, before=before, limit=4):
        paged += [r["id"] for r in page]
        before = page[-1]["id"]
    assert paged == expected


@pytest.mark.parametrize("kind", [None, "run.failed"])
@pytest.mark.parametrize("by_pipeline", [False, True])
@pytest.mark.parametrize("by_run", [False, True])
def test_events_filters(service: Service, kind: str | None, by_pipeline: bool, by_run: bool) -> None:
    loaded = _load(service)
    everything = service.events(0, 1000)
    run_id = loaded["first_run"] + 1  # a failed run
    expected = [
        e["id"]
        for e in everything
        if (kind is None or e["kind"] == kind)
        and (not by_pipeline or e["pipeline_id"] == loaded["pipeline_id"])
        and (not by_run or e["run_id"] == run_id)
    ]
    assert expected
    got = service.events(0, 1000, "line" if by_pipeline else None, run_id if by_run else None, kind)
    assert [e["id"] for e in got] == expected
    after = expected[0]
    rest = service.events(after, 1000, "line" if by_pipeline else None, run_id if by_run else None, kind)
    assert [e["id"] for e in rest] == expected[1:]


def test_workers_list_the_runs_each_holds(service: Service) -> None:
    busy = service.register_worker("busy")
    idle = service.register_worker("idle")
    service.trigger_job("a", "line")
    held = service.lease(busy, 1)
    assert len(held) == 1
    listed = {w["id"]: w for w in service.workers()}
    assert [r["id"] for r in listed[busy]["running"]] == [held[0].run_id]
    assert listed[busy]["running"][0]["job_name"] == "a"
    assert listed[idle]["running"] == []


def test_job_detail_is_the_pipeline_details_entry(service: Service) -> None:
    _load(service)
    for entry in service.pipeline_detail("line")["jobs"]:
        assert service.job_detail("line", entry["name"]) == entry
    with pytest.raises(NotFound, match="no job named 'c'"):
        service.job_detail("line", "c")


def test_scheduler_work_says_whether_a_tick_has_anything_to_recover_or_promote(service: Service) -> None:
    def work() -> tuple[bool, bool]:
        with service.store.read() as tx:
            return tx.scheduler_work()

    assert work() == (False, False)
    service.set_paused("a", True, "line")
    service.trigger_job("a", "line")  # stays pending: its job is paused
    assert work() == (False, True)
    service.set_paused("a", False, "line")
    worker = service.register_worker("w")
    assert len(service.lease(worker, 1)) == 1
    assert work() == (True, False)
