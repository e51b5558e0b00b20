"""A lease that waits for work (a remote worker's long poll) on SQLite and PostgreSQL: it notices work
another process queued, without trying a lease transaction over and over while nothing changes
(20 idle workers did 80 a second, the whole idle CPU of a server)."""

from __future__ import annotations

import textwrap
import threading
import time
from pathlib import Path
from typing import Any

from conveyor import definitions
from conveyor.model.work import RunResult
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store

PIPELINE = """
jobs:
  - {name: a, steps: ["true"]}
"""


def test_a_waiting_lease_sleeps_until_another_process_queues_work(db_url: str, tmp_path: Path) -> None:
    here = Service(open_store(db_url), Settings(home=tmp_path / "here"))
    there = Service(open_store(db_url), Settings(home=tmp_path / "there"))  # another replica
    try:
        text = textwrap.dedent(PIPELINE)
        there.apply(definitions.load_text(text, "line.yml", default_name="line"), text, "line.yml")
        worker = here.register_worker("w")
        first = here.lease(worker, 1)  # what applying queued
        assert [s.job for s in first] == ["a"]
        here.complete(worker, first[0].run_id, RunResult(status="succeeded", exit_code=0))

        attempts: list[float] = []
        lease_any = here._lease_any

        def counted(*args: Any, **kwargs: Any) -> Any:
            attempts.append(time.monotonic())
            return lease_any(*args, **kwargs)

        here._lease_any = counted  # type: ignore[method-assign]
        start = time.monotonic()
        assert here.lease(worker, 1, wait=1.0) == []
        assert time.monotonic() - start >= 0.9
        assert len(attempts) <= 2  # the first, and one at the deadline: none while nothing changed

        attempts.clear()
        timer = threading.Timer(0.5, lambda: there.trigger_job("a", "line"))
        timer.start()
        start = time.monotonic()
        got = here.lease(worker, 1, wait=10.0)
        took = time.monotonic() - start
        timer.join()
        assert [s.job for s in got] == ["a"]
        assert took < 3.0
        assert len(attempts) <= 3  # the first, then once the queue changed (maybe once more on a race)
    finally:
        here.store.close()
        there.store.close()


def test_many_waiters_one_gets_the_work_and_closing_ends_the_rest(db_url: str, tmp_path: Path) -> None:
    here = Service(open_store(db_url), Settings(home=tmp_path / "here"))
    there = Service(open_store(db_url), Settings(home=tmp_path / "there"))
    try:
        text = textwrap.dedent(PIPELINE)
        there.apply(definitions.load_text(text, "line.yml", default_name="line"), text, "line.yml")
        first = here.lease(here.register_worker("w0"), 1)
        here.complete(None, first[0].run_id, RunResult(status="succeeded", exit_code=0))
        got: dict[int, list[Any]] = {}
        ended: dict[int, float] = {}

        def wait(n: int, worker: int) -> None:
            got[n] = here.lease(worker, 1, wait=30.0)
            ended[n] = time.monotonic()

        threads = [
            threading.Thread(target=wait, args=(n, here.register_worker(f"w{n + 1}"))) for n in range(5)
        ]
        for t in threads:
            t.start()
        time.sleep(0.5)
        queued_at = time.monotonic()
        there.trigger_job("a", "line")
        deadline = time.monotonic() + 5
        while not any(got.values()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sum(len(v) for v in got.values()) == 1  # one waiter took it, within 5 s
        assert min(ended.values()) - queued_at < 3.0
        closed_at = time.monotonic()
        here.close_long_polls()
        for t in threads:
            t.join(5)
        assert not any(t.is_alive() for t in threads)
        assert max(ended.values()) - closed_at < 1.0
    finally:
        here.store.close()
        there.store.close()
