"""bench/scale.py's filler, measurements and table run (with small numbers): the benchmark stays
runnable as the store and service change. No timings are checked here."""

from __future__ import annotations

from pathlib import Path

from bench import scale

from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store


def test_fill_measure_and_print_a_small_store(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/conveyor.db")
    try:
        service = Service(store, Settings(home=tmp_path / "home"))
        filled = scale.fill(service, runs=400, versions=50, jobs=20)
        assert filled.runs == 400 and filled.versions == 50
        assert service.versions(scale.RESOURCE, scale.PIPELINE, limit=1)[0]["number"] == 50
        counts = service.status_counts()
        assert counts.get("running") and counts.get("queued") and counts.get("pending")
        results = scale.operations(service, filled, jobs=20, reps=2, queues=(5, 12))
    finally:
        store.close()
    names = [r.name for r in results]
    assert "lease, queue of 12, labelled worker" in names
    assert all(r.samples for r in results)
    text = scale.table({"sqlite": results, "again": results})
    lines = text.splitlines()
    assert len(lines) == len(results) + 2
    assert lines[0].startswith("| operation | sqlite median ms | sqlite p99 ms | again median ms")
