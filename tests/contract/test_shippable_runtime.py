"""Shippable's job runtime for real: a shippable.yml whose TASK scripts use shipctl to pass key-value
state, job state files and a Terraform-style statefile (through a ``state`` resource) across three jobs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conveyor.definitions.importers.shippable import load_shippable
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from conveyor.testing import run_until_idle

FIXTURE = Path(__file__).parent.parent / "fixtures" / "shippable" / "runtime.shippable.yml"


@pytest.fixture
def service(db_url: str, tmp_path: Path) -> Any:
    store = open_store(db_url)
    yield Service(store, Settings(home=tmp_path / "home"))
    store.close()


def _props(service: Service, resource: str) -> list[dict[str, str]]:
    return [json.loads(v["properties"]) for v in service.versions(resource, "line")]


def test_three_jobs_pass_state_with_shipctl(service: Service, tmp_path: Path) -> None:
    pipeline = load_shippable([FIXTURE], name="line").pipeline
    service.apply(pipeline, FIXTURE.read_text(), str(FIXTURE))
    finished = run_until_idle(service, "line", tmp_path / "w")
    failures = [service.logs(r["id"]).decode()[-800:] for r in finished if r["status"] != "succeeded"]
    assert not failures, failures
    # Shippable's default dependencyMode is chrono: one run per trigger, in order. provision was
    # triggered twice (when applied, waiting for build_app; then by build_app's success), smoke after each.
    assert [r["job_name"] for r in finished] == ["build_app", "provision", "provision", "smoke", "smoke"]

    info = _props(service, "build_info")[0]
    assert info["IMAGE"] == "registry.local/app:1.1.0" and info["QUERY"] == "a=1&b=2"  # '=' kept
    assert info["SEED"] == "x"  # the OUT version merged over the latest
    assert [t["resource"] for t in json.loads(info["trace"])] == ["app_config", "app_version"]
    build = finished[0]
    assert json.loads(build["properties"])["BUILT_BY"] == "pipeline"  # new jobs run when applied
    assert set(json.loads(build["state_files"])) >= {"built.txt", "build_info.env"}

    states = service.versions("infra_state", "line")
    assert "terraform.tfstate" in json.loads(states[0]["files"]) and len(states) == 2

    # once more from a new params version: the statefile's serial goes up, smoke keeps its state file
    service.put_version("app_config", {"REGION": "eu-west-1", "RUN": "2"}, "line")
    again = run_until_idle(service, "line", tmp_path / "w2")
    assert [(r["job_name"], r["status"]) for r in again] == [
        ("build_app", "succeeded"),
        ("provision", "succeeded"),
        ("smoke", "succeeded"),
    ]
    assert json.loads(again[0]["properties"])["BUILT_BY"] == "app_config"
    assert len(service.versions("infra_state", "line")) == 3  # each provision run wrote the statefile


def test_a_failed_run_carries_the_previous_state_forward(service: Service, tmp_path: Path) -> None:
    text = """
jobs:
  - name: counter
    type: runSh
    steps:
      - TASK:
          script:
            - shipctl copy_file_from_prev_state count.txt . || true
            - N=$(cat count.txt 2>/dev/null || echo 0)
            - echo $((N + 1)) > count.txt
            - shipctl copy_file_to_state count.txt
            - test -z "$FAIL"
"""
    path = tmp_path / "shippable.yml"
    path.write_text(text)
    pipeline = load_shippable([path], name="line").pipeline
    service.apply(pipeline, text, str(path))
    first = run_until_idle(service, "line", tmp_path / "w")[0]
    assert first["status"] == "succeeded"
    failing = load_shippable([path], name="line").pipeline
    job = failing.jobs[0]
    from dataclasses import replace

    failing = replace(failing, jobs=(replace(job, env=(("FAIL", "1"),)),))
    service.apply(failing, text, str(path))
    second = run_until_idle(service, "line", tmp_path / "w2")[0]
    assert second["status"] == "failed"
    assert service.run(second["id"])["state_files"] == first["state_files"]  # the good state, carried
