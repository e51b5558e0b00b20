"""Dependency modes, ``passed:`` and ``max_in_flight`` through ``Service`` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from conveyor import definitions
from conveyor.errors import InvalidDefinition
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from conveyor.testing import run_until_idle


@pytest.fixture
def service(db_url: str, tmp_path: Path) -> Any:
    store = open_store(db_url)
    yield Service(store, Settings(home=tmp_path / "home"))
    store.close()


def apply(service: Service, text: str) -> None:
    service.apply(definitions.load_text(textwrap.dedent(text), "line.yml", "line"), text, "line.yml")


def test_passed_reads_only_versions_every_listed_job_succeeded_with(service: Service, tmp_path: Path) -> None:
    apply(
        service,
        """
        resources:
          - {name: src, type: generic, properties: {rev: "1"}}
        jobs:
          - name: unit
            inputs: [{resource: src}]
            steps: ['test "$(grep -c 2 $CONVEYOR_INPUTS/src/properties.json)" = 0']
          - {name: lint, inputs: [{resource: src}], steps: ["true"]}
          - name: ship
            inputs: [{resource: src, passed: [unit, lint]}]
            steps: ['grep -o "\\"rev\\": \\"[0-9]*\\"" $CONVEYOR_INPUTS/src/properties.json']
        """,
    )
    first = run_until_idle(service, "line", tmp_path / "w1")
    assert sorted(r["job_name"] for r in first if r["status"] == "succeeded") == ["lint", "ship", "unit"]
    service.put_version("src", {"rev": "2"}, "line")  # unit fails on rev 2: ship keeps rev 1
    second = run_until_idle(service, "line", tmp_path / "w2")
    assert {r["job_name"]: r["status"] for r in second} == {
        "unit": "failed",
        "lint": "succeeded",
        "ship": "succeeded",
    }
    ship = next(r for r in second if r["job_name"] == "ship")
    assert service.logs(ship["id"]).decode().strip().endswith('"rev": "1"')


def test_passed_must_name_jobs_that_read_the_resource() -> None:
    with pytest.raises(InvalidDefinition) as caught:
        definitions.load_text(
            textwrap.dedent(
                """
                resources:
                  - {name: src, type: git}
                jobs:
                  - {name: other, steps: ["true"]}
                  - {name: ship, inputs: [{resource: src, passed: [other, nope]}], steps: ["true"]}
                """
            ),
            "line.yml",
            "line",
        )
    text = str(caught.value)
    assert (
        "passed: job 'other' does not read resource 'src'" in text and "passed: 'nope' names no job" in text
    )


def test_chrono_runs_once_per_trigger_and_strict_coalesces(service: Service, tmp_path: Path) -> None:
    apply(
        service,
        """
        resources:
          - {name: cfg, type: generic}
        jobs:
          - {name: strict, inputs: [{resource: cfg}], steps: ["true"]}
          - {name: chrono, inputs: [{resource: cfg}], dependency_mode: chrono, steps: ["true"]}
        """,
    )
    for n in range(3):
        service.put_version("cfg", {"n": str(n)}, "line")
    runs = run_until_idle(service, "line", tmp_path / "w")
    counts = {job: sum(r["job_name"] == job for r in runs) for job in ("strict", "chrono")}
    assert counts == {"strict": 1, "chrono": 4}  # chrono: the new job's run, then one per version
    chrono = [json.loads(r["causes"])[0].get("number") for r in runs if r["job_name"] == "chrono"]
    assert chrono == [None, 1, 2, 3]  # in the order of their triggers
