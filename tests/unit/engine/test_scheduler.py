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
