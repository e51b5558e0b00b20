"""Approval gates on SQLite and PostgreSQL: approver lists, roles, timeouts, the record of who decided."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from conveyor import definitions
from conveyor.errors import Forbidden
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from conveyor.testing import run_until_idle

LINE = """
jobs:
  - name: build
    steps: ["echo built"]
  - name: ship
    inputs: [{job: build}]
    approval: {approvers: [alice, bob], role: operator, timeout: 1h}
    steps: ["echo shipped"]
  - name: admin-only
    inputs: [{job: build}]
    approval: {role: admin}
    steps: ["echo admin"]
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Any:
    store = open_store(db_url)
    clock = Clock()
    service = Service(store, Settings(home=tmp_path / "home"), clock=clock)
    service.apply(definitions.load_text(textwrap.dedent(LINE), "line.yml", default_name="line"))
    run_until_idle(service, "line", tmp_path / "work")
    yield service, clock, tmp_path
    store.close()


def _waiting(service: Service, job: str) -> dict[str, Any]:
    run = next(r for r in service.runs("line", job) if r["status"] == "waiting_approval")
    return run


def test_only_listed_approvers_with_the_role_may_decide(world: Any) -> None:
    service, _, tmp = world
    ship = _waiting(service, "ship")
    with pytest.raises(Forbidden, match=r"'mallory' may not approve run .* allows only alice, bob"):
        service.approve(ship["id"], by="mallory", role="admin")
    with pytest.raises(Forbidden, match=r"a viewer may not approve .* needs the operator role"):
        service.approve(ship["id"], by="alice", role="viewer")
    with pytest.raises(Forbidden, match="a worker may not reject"):
        service.approve(ship["id"], by="alice", role="worker", approve=False)
    service.approve(ship["id"], by="bob", comment="looks good", role="operator")
    finished = run_until_idle(service, "line", tmp / "work")
    assert [(r["job_name"], r["status"]) for r in finished] == [("ship", "succeeded")]
    events = service.run(ship["id"])["events"]
    approved = next(e for e in events if e["kind"] == "run.approved")
    assert '"by":"bob"' in approved["data"] and '"comment":"looks good"' in approved["data"]


def test_role_without_an_approver_list(world: Any) -> None:
    service, _, _ = world
    gate = _waiting(service, "admin-only")
    with pytest.raises(Forbidden, match="needs the admin role"):
        service.approve(gate["id"], by="carol", role="operator")
    assert service.approve(gate["id"], by="carol", role="admin")["status"] == "queued"


def test_the_store_owner_is_not_asked_a_role_but_must_be_listed(world: Any) -> None:
    service, _, _ = world
    with pytest.raises(Forbidden):
        service.approve(_waiting(service, "ship")["id"], by="root")
    assert service.approve(_waiting(service, "admin-only")["id"], by="root")["status"] == "queued"


def test_a_gate_times_out_into_a_rejection_on_the_scheduler_tick(world: Any) -> None:
    service, clock, _ = world
    ship = _waiting(service, "ship")
    clock.now += 3599
    service.tick()
    assert service.run(ship["id"])["status"] == "waiting_approval"
    clock.now += 2
    service.tick()
    run = service.run(ship["id"])
    assert run["status"] == "cancelled" and "nobody decided within 3600s" in run["message"]
    rejected = next(e for e in run["events"] if e["kind"] == "run.rejected")
    assert '"by":"conveyor"' in rejected["data"]
    assert _waiting(service, "admin-only")  # no timeout: still waiting
