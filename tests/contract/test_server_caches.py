"""What the server keeps in memory to answer fast, and the promises that keep it exact: verified
tokens (a revocation here counts at once, one elsewhere within ``token_cache_seconds``), and what
never changes of a finished run (its record, inputs and outputs; not its events)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conveyor import definitions
from conveyor.api.app import create_app
from conveyor.errors import NotFound, StoreError
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from conveyor.testing import run_until_idle


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def replicas(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[tuple[Service, Service]]:
    """Two services on one database, as two server replicas (or a server and the CLI) would be."""
    settings = Settings(home=tmp_path / "home", token_cache_seconds=5.0)
    stores = [open_store(db_url), open_store(db_url)]
    yield Service(stores[0], settings, clock), Service(stores[1], settings, clock)
    for store in stores:
        store.close()


def _last_used(service: Service, token_id: int) -> float | None:
    return next(t["last_used_at"] for t in service.tokens() if t["id"] == token_id)


def test_a_verified_token_is_trusted_briefly_and_revoking_it_here_counts_at_once(
    replicas: tuple[Service, Service], clock: Clock
) -> None:
    here, _ = replicas
    token_id, token = here.create_token("ci", "operator")
    assert here.cached_token(token) is None  # never verified yet
    assert here.verify_token(token) == {"id": token_id, "name": "ci", "role": "operator"}
    assert here.cached_token(token) == {"id": token_id, "name": "ci", "role": "operator"}
    here.revoke_token(token_id)
    assert here.cached_token(token) is None
    assert here.verify_token(token) is None


def test_a_revocation_on_another_replica_counts_within_the_cache_time(
    replicas: tuple[Service, Service], clock: Clock
) -> None:
    here, there = replicas
    token_id, token = here.create_token("ci", "viewer")
    assert here.verify_token(token) is not None
    there.revoke_token(token_id)
    clock.now += 4.9
    assert here.cached_token(token) is not None  # still trusted here, for at most 5 s
    clock.now += 0.1
    assert here.cached_token(token) is None
    assert here.verify_token(token) is None
    clock.now -= 3600  # a clock stepped back does not make an old entry young again
    assert here.cached_token(token) is None


def test_wrong_tokens_are_never_cached(replicas: tuple[Service, Service]) -> None:
    here, _ = replicas
    for token in ("cvy_nope", "nope", "cvy_" + "x" * 300):
        assert here.verify_token(token) is None
        assert here.cached_token(token) is None


def test_last_used_is_written_at_most_once_a_minute(replicas: tuple[Service, Service], clock: Clock) -> None:
    here, _ = replicas
    token_id, token = here.create_token("ci", "viewer")
    assert _last_used(here, token_id) is None
    here.verify_token(token)
    assert _last_used(here, token_id) == clock.now
    first = clock.now
    clock.now += 30
    here.verify_token(token)
    assert _last_used(here, token_id) == first
    clock.now += 31
    here.verify_token(token)
    assert _last_used(here, token_id) == clock.now


def test_the_api_refuses_a_token_revoked_through_it_on_the_next_request(
    replicas: tuple[Service, Service],
) -> None:
    here, _ = replicas
    _, admin = here.create_token("root", "admin")
    victim_id, victim = here.create_token("ci", "viewer")
    _, worker = here.create_token("w", "worker")

    async def calls() -> None:
        transport = httpx.ASGITransport(app=create_app(here, auth=True))
        async with httpx.AsyncClient(transport=transport, base_url="http://conveyor") as client:
            as_victim = {"Authorization": f"Bearer {victim}"}
            assert (await client.get("/api/v1/runs", headers=as_victim)).status_code == 200
            assert (await client.get("/api/v1/runs", headers=as_victim)).status_code == 200  # cached
            as_admin = {"Authorization": f"Bearer {admin}"}
            assert (await client.delete(f"/api/v1/tokens/{victim_id}", headers=as_admin)).status_code == 204
            r = await client.get("/api/v1/runs", headers=as_victim)
            assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
            for _ in range(2):  # a cached token keeps its role: still 403 where the role may not go
                r = await client.get("/api/v1/runs", headers={"Authorization": f"Bearer {worker}"})
                assert r.status_code == 403

    asyncio.run(calls())


LINE = """
resources:
  - {name: src, type: params, properties: {V: "1"}}
  - {name: out, type: generic}
jobs:
  - name: make
    inputs: [{resource: src}]
    outputs: [out]
    steps: ['echo "k=v" >> "$CONVEYOR_OUTPUTS/out"', 'echo "p=q" >> "$CONVEYOR_RUN_PROPERTIES"']
  - name: use
    inputs: [{job: make}, {resource: out}]
    steps: ["true"]
"""


def test_a_run_view_is_kept_once_the_run_has_finished_but_its_events_are_read_each_time(
    replicas: tuple[Service, Service], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = replicas
    here.apply(definitions.load_text(LINE, "line.yml", default_name="line"), LINE, "line.yml")
    queued = here.run_view(1)
    assert queued["status"] == "queued" and queued["events"] == [] and queued["outputs"] == []
    run_until_idle(there, "line", tmp_path / "work")  # the run finishes on the other replica
    done = here.run_view(1)
    assert done["status"] == "succeeded" and done["pipeline"] == "line"
    assert done["inputs"] == [
        {"name": "src", "kind": "resource", "version_id": 1, "version": 1, "upstream_run_id": None}
    ]
    assert done["outputs"] == [{"resource": "out", "version_id": 2, "version": 1}]
    assert [e["kind"] for e in done["events"]] == ["run.started", "version.created", "run.succeeded"]
    assert done == there.run_view(1)
    with there.store.transaction() as tx:  # an event of a finished run (a notification's outcome)
        tx.add_event("notify.sent", 2_000_000.0, 1, 1, notifier="chat")

    def no_lineage(*_: object) -> None:
        raise AssertionError("a finished run's record, inputs and outputs are read once")

    monkeypatch.setattr(type(here.store._tx), "run_lineage", no_lineage)
    again = here.run_view(1)
    assert again["events"][-1]["kind"] == "notify.sent" and again["events"][-1]["data"] == {
        "notifier": "chat"
    }
    assert {**again, "events": done["events"]} == done
    with pytest.raises(AssertionError, match="read once"):
        here.run_view(2)  # not finished-and-seen: read whole
    monkeypatch.undo()
    with pytest.raises(NotFound):
        here.run_view(99)


def test_a_run_lineage_in_one_statement_is_the_rows_of_each_part(
    replicas: tuple[Service, Service], tmp_path: Path
) -> None:
    here, _ = replicas
    here.apply(definitions.load_text(LINE, "line.yml", default_name="line"), LINE, "line.yml")
    run_until_idle(here, "line", tmp_path / "work")
    for run_id in (1, 2):
        with here.store.read() as tx:
            lineage = tx.run_lineage(run_id)
            run = tx.run(run_id)
            assert run is not None and lineage is not None
            assert lineage == {
                **run,
                "pipeline": "line",
                "inputs": tx.run_inputs(run_id),
                "outputs": tx.versions_made_by_run(run_id),
                "events": tx.events_of_run(run_id),
            }
    assert [i["name"] for i in lineage["inputs"]] == ["make", "out"]
    with here.store.read() as tx:
        assert tx.run_lineage(3) is None


def test_the_event_loop_s_reads_give_what_the_thread_s_give(
    replicas: tuple[Service, Service], tmp_path: Path
) -> None:
    here, there = replicas
    here.apply(definitions.load_text(LINE, "line.yml", default_name="line"), LINE, "line.yml")
    if not here.store.reads_async:  # SQLite: reads take microseconds, the API calls them directly
        return
    queued = here.run_view(1)

    async def reads() -> None:
        assert await there.run_view_async(1) == queued
        run_until_idle(here, "line", tmp_path / "work")
        assert await there.run_view_async(1) == here.run_view(1)  # read whole, then kept
        assert await there.run_view_async(1) == here.run_view(1)  # events only
        assert await there.run_view_async(2) == here.run_view(2)
        with pytest.raises(NotFound):
            await there.run_view_async(99)
        with pytest.raises(StoreError, match="database error"):
            await there.store._async_reads.execute("SELECT nope", {})  # type: ignore[attr-defined]
        views = await asyncio.gather(*(there.run_view_async(1 + i % 2) for i in range(20)))
        assert views == [here.run_view(1 + i % 2) for i in range(20)]

    asyncio.run(reads())
    there.store.close()
