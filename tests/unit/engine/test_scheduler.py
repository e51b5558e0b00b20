"""The scheduler's gates, decided from data alone (no store, no processes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conveyor import definitions
from conveyor.engine.dag import build
from conveyor.engine.scheduler import decide

DIAMOND = """
resources:
  - {name: infra, type: state}
jobs:
  - {name: top, steps: ["true"]}
  - {name: left, inputs: [{job: top}], steps: ["true"]}
  - {name: right, inputs: [{job: top}], steps: ["true"], outputs: [infra]}
  - {name: join, inputs: [{job: left}, {job: right}], steps: ["true"]}
  - {name: other, steps: ["true"], outputs: [infra]}
  - {name: gate, inputs: [{job: join}], approval: manual, steps: ["true"]}
"""


def graph(text: str = DIAMOND) -> Any:
    return build(definitions.load_text(text, "p.yml", "p"))


def pending(run_id: int, job: str, not_before: float = 0.0, approved: int = 0) -> dict[str, Any]:
    return {"id": run_id, "job_name": job, "not_before": not_before, "approved": approved}


def active(*rows: tuple[str, str]) -> Iterator[dict[str, Any]]:
    return iter({"job_name": j, "status": s} for j, s in rows)


def test_ancestors_follow_triggering_edges_only() -> None:
    g = graph(
        """
        jobs:
          - {name: a, steps: ["true"]}
          - {name: b, inputs: [{job: a}], steps: ["true"]}
          - {name: c, inputs: [{job: b, trigger: false}], steps: ["true"]}
        """.replace("\n        ", "\n")
    )
    assert g.is_blocked_by("b", g.bit("a"))
    assert not g.is_blocked_by("c", g.bit("a") | g.bit("b"))
    assert g.order == ["a", "b", "c"]


def test_join_waits_while_anything_upstream_is_active() -> None:
    g = graph()
    for status in ("pending", "waiting_approval", "queued", "running"):
        d = decide(g, [pending(9, "join")], active(("left", status)), now=0)
        assert d.queue == [], status
    d = decide(g, [pending(9, "join")], active(("other", "running")), now=0)
    assert d.queue == [9]  # not upstream of join


def test_a_job_runs_one_run_at_a_time() -> None:
    g = graph()
    assert decide(g, [pending(2, "top")], active(("top", "running")), now=0).queue == []
    assert decide(g, [pending(2, "top"), pending(3, "top")], active(), now=0).queue == [2]


def test_state_resource_writers_exclude_each_other() -> None:
    g = graph()
    assert decide(g, [pending(5, "other")], active(("right", "running")), now=0).queue == []
    d = decide(g, [pending(4, "right"), pending(5, "other")], active(("top", "succeeded")), now=0)
    assert d.queue == [5]  # right waits for top, other holds infra from then on


def test_backoff_defers_and_keeps_its_place() -> None:
    g = graph()
    d = decide(g, [pending(1, "top", not_before=10.0), pending(2, "top")], active(), now=5.0)
    assert d.queue == [] and d.wake_at == 10.0
    assert decide(g, [pending(1, "top", not_before=10.0)], active(), now=10.5).queue == [1]


def test_approval_then_queue() -> None:
    g = graph()
    assert decide(g, [pending(7, "gate")], active(), now=0).await_approval == [7]
    assert decide(g, [pending(7, "gate", approved=1)], active(), now=0).queue == [7]


def test_inputs_not_ready_stay_pending_and_removed_jobs_are_orphaned() -> None:
    g = graph()
    d = decide(g, [pending(1, "left"), pending(2, "gone")], active(), 0, inputs_ready=lambda j: j != "left")
    assert d.queue == [] and d.orphaned == [2]


def test_active_rows_are_read_only_as_far_as_needed() -> None:
    g = graph()
    seen: list[str] = []

    def rows() -> Iterator[dict[str, Any]]:
        for i in range(1000):
            seen.append(f"r{i}")
            yield {"job_name": "left", "status": "queued"}

    assert decide(g, [pending(9, "join")], rows(), now=0).queue == []
    assert len(seen) == 1


MODES = """
jobs:
  - {name: a, steps: ["true"]}
  - {name: b, inputs: [{job: a}], steps: ["true"]}
  - {name: strict, inputs: [{job: b}], steps: ["true"]}
  - {name: chrono, inputs: [{job: b}], dependency_mode: chrono, steps: ["true"]}
  - {name: now, inputs: [{job: b}], dependency_mode: immediate, steps: ["true"]}
  - {name: wide, inputs: [{job: b}], max_in_flight: 3, steps: ["true"]}
  - {name: free, inputs: [{job: b}], serial: false, steps: ["true"]}
"""


def test_dependency_modes_decide_what_blocks() -> None:
    g = graph(MODES)
    runs = [pending(1, "strict"), pending(2, "chrono"), pending(3, "now")]
    # `a` (two hops up) is still pending: strict waits for it; chrono only minds its direct neighbour b
    d = decide(g, runs, active(("a", "pending")), 0.0)
    assert d.queue == [2, 3]
    # b (a direct neighbour) is running: chrono waits too; immediate never waits
    d = decide(g, runs, active(("b", "running")), 0.0)
    assert d.queue == [3]
    # immediate does not even wait for its inputs to have succeeded once
    d = decide(g, runs, active(), 0.0, inputs_ready=lambda job: False)
    assert d.queue == [3]


def test_max_in_flight_and_serial_false() -> None:
    g = graph(MODES)
    runs = [pending(i, "wide") for i in range(1, 5)] + [pending(i, "free") for i in range(5, 15)]
    d = decide(g, runs, active(("wide", "running")), 0.0)
    assert d.queue == [1, 2, *range(5, 15)]  # wide: 3 at once, one already running; free: no limit


def test_passed_inputs_trigger_on_the_upstream_job() -> None:
    g = graph(
        """
        resources:
          - {name: src, type: git}
        jobs:
          - {name: unit, inputs: [{resource: src}], steps: ["true"]}
          - {name: lint, inputs: [{resource: src}], steps: ["true"]}
          - name: ship
            inputs: [{resource: src, passed: [unit, lint]}]
            steps: ["true"]
        """
    )
    assert g.resource_consumers["src"] == ["unit", "lint"]
    assert g.job_consumers == {"unit": ["ship"], "lint": ["ship"]}
    assert g.is_blocked_by("ship", g.bit("unit"))


def test_only_chrono_jobs_keep_their_neighbours_and_those_include_children() -> None:
    # a neighbour bitset for every job would be quadratic: each leaf of a wide fan-out reaching its
    # join's bit; only a chrono job reads one
    g = graph(MODES + '  - {name: after, inputs: [{job: chrono}], steps: ["true"]}\n')
    assert g.neighbours == {g.index["chrono"]: g.bit("b") | g.bit("after")}
    runs = [pending(2, "chrono"), pending(3, "now")]
    assert decide(g, runs, active(("after", "running")), 0.0).queue == [3]
    assert decide(g, runs, active(("a", "running")), 0.0).queue == [2, 3]
