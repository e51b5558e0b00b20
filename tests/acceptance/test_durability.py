"""kill -9 of ``conveyor run`` in the middle of a run, then run it again: nothing lost, nothing twice."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from tests.acceptance.conftest import Cli

from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigkill_mid_run_then_rerun_recovers(cli: Cli, tmp_path: Path, db_url: str) -> None:
    marker = tmp_path / "second-attempt"
    slow_pid = tmp_path / "slow.pid"
    count = tmp_path / "fast-count"
    line = tmp_path / "line.yml"
    line.write_text(
        f"""
jobs:
  - name: fast
    steps:
      - echo run >> {count}
      - echo "made=1" >> "$CONVEYOR_STATE/made"
  - name: slow
    retries: 1
    inputs: [{{job: fast}}]
    steps:
      - if [ -f {marker} ]; then exit 0; fi; touch {marker}; echo $$ > {slow_pid}; sleep 60
  - name: after
    inputs: [{{job: slow}}]
    steps: ["true"]
"""
    )
    proc = cli.popen("run", str(line), "--concurrency", "2")
    service = Service(open_store(db_url), Settings(home=cli.home))

    def slow_is_running() -> bool:
        try:
            return any(r["job_name"] == "slow" and r["status"] == "running" for r in service.runs("line"))
        except Exception:
            return False

    _wait_for(
        lambda: slow_pid.exists() and slow_pid.read_text().strip() != "" and slow_is_running(), 30, "slow"
    )
    step_pid = int(slow_pid.read_text())
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert _alive(step_pid)  # the orphaned step outlives its conveyor

    again = cli("run", str(line), "--json")
    assert again.code == 0, again.err
    summary = again.json()
    assert [(r["job"], r["attempt"], r["status"]) for r in summary["runs"]] == [
        ("slow", 2, "succeeded"),
        ("after", 1, "succeeded"),
    ]
    runs = {(r["job_name"], r["attempt"]): r for r in service.runs("line")}
    assert runs[("fast", 1)]["status"] == "succeeded"  # finished before the kill: intact
    lost = runs[("slow", 1)]
    assert lost["status"] == "errored" and "interrupted" in lost["message"]
    assert count.read_text().count("run") == 1  # fast never ran twice
    _wait_for(lambda: not _alive(step_pid), 10, "the orphaned step to be killed")
    assert set(json.loads(service.run(runs[("fast", 1)]["id"])["state_files"])) == {"made"}
    service.store.close()
