"""Resources that make versions by themselves, through ``Service`` on SQLite and PostgreSQL: time ticks,
git polls of a real local repository, webhooks, trigger counters and semver bumps."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.gitrepo import git, new_repo

from conveyor import definitions
from conveyor.errors import BadInput, NotFound
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from conveyor.testing import run_until_idle


class World:
    def __init__(self, url: str, tmp: Path) -> None:
        self.tmp = tmp
        self.clock = [1_800_000_000.0]
        self.store = open_store(url)
        self.service = Service(self.store, Settings(home=tmp / "home"), clock=lambda: self.clock[0])

    def apply(self, text: str) -> Any:
        pipeline = definitions.load_text(textwrap.dedent(text), "line.yml", default_name="line")
        return self.service.apply(pipeline, text, "line.yml")

    def versions(self, resource: str) -> list[dict[str, Any]]:
        return [json.loads(v["properties"]) for v in self.service.versions(resource, "line")]

    def run(self) -> list[str]:
        return [r["job_name"] for r in run_until_idle(self.service, "line", self.tmp / "w")]


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> World:
    w = World(db_url, tmp_path)
    yield w
    w.store.close()


def test_a_time_resource_ticks_and_starts_its_job(world: World) -> None:
    world.apply(
        """
        resources:
          - {name: every-minute, type: time, source: {every: 1m}}
        jobs:
          - {name: nightly, inputs: [{resource: every-minute}], steps: ["true"]}
        """
    )
    assert world.service.check_resources() == 0  # not due yet
    world.clock[0] += 61
    assert world.service.check_resources() == 1
    assert world.run() == ["nightly"]
    world.clock[0] += 3600  # an hour of downtime makes one tick, not sixty
    assert world.service.check_resources() == 1
    assert len(world.versions("every-minute")) == 2


def test_a_git_resource_makes_a_version_per_new_commit(world: World, tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "app")
    world.apply(
        f"""
        resources:
          - {{name: src, type: git, source: {{repo: "{repo}", branch: main, check_every: 10s}}}}
        jobs:
          - {{name: build, inputs: [{{resource: src}}], steps: ["true"]}}
        """
    )
    assert world.service.check_resources() == 1  # the tip, at once
    first = world.versions("src")[0]
    assert first["message"] == "first" and first["author"] == "Ada <ada@example.com>"
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    git(repo, "commit", "-q", "--allow-empty", "-m", "third")
    assert world.service.check_resources() == 0  # not due for 10 s
    world.clock[0] += 11
    assert world.service.check_resources() == 2
    assert [v["message"] for v in world.versions("src")] == ["third", "second", "first"]
    assert world.versions("src")[0]["sha"] == git(repo, "rev-parse", "HEAD").strip()
    world.clock[0] += 11
    assert world.service.check_resources() == 0  # nothing new
    assert world.run() == ["build"]  # the triggers coalesced into one run with the latest commit


def test_a_broken_git_source_is_an_event_not_a_crash(world: World, tmp_path: Path) -> None:
    world.apply(
        f"""
        resources:
          - {{name: src, type: git, source: {{repo: "{tmp_path / "nowhere"}"}}}}
        """
    )
    assert world.service.check_resources() == 0
    kinds = [e["kind"] for e in world.service.events(pipeline="line")]
    assert "resource.check_failed" in kinds


def test_webhooks_need_their_own_token(world: World) -> None:
    world.apply(
        """
        resources:
          - {name: registry, type: webhook}
        jobs:
          - {name: deploy, inputs: [{resource: registry}], steps: ["true"]}
        """
    )
    with pytest.raises(NotFound):
        world.service.webhook("line", "registry", "", b"{}")
    token = world.service.webhook_token("registry", "line")
    with pytest.raises(NotFound):
        world.service.webhook("line", "registry", token + "x", b"{}")
    body = b'{"image": "app", "tag": "1.4", "layers": [1, 2]}'
    version = world.service.webhook("line", "registry", token, body)
    assert version is not None and version["properties"] == {"image": "app", "tag": "1.4", "layers": "[1,2]"}
    with pytest.raises(BadInput, match="JSON object"):
        world.service.webhook("line", "registry", token, b"[1]")
    assert world.run() == ["deploy"]
    assert all("webhook_token" not in r for r in world.service.resources("line"))


def test_trigger_counters_and_semver(world: World) -> None:
    world.apply(
        """
        resources:
          - {name: go, type: trigger}
          - {name: release, type: version, properties: {versionName: 1.0.0}}
          - {name: settings, type: params}
        jobs:
          - name: cut
            inputs: [{resource: go}]
            outputs: [release]
            steps: ["echo bump=minor >> $CONVEYOR_OUTPUTS/release"]
        """
    )
    assert world.service.bump("go", pipeline="line")["properties"]["count"] == "1"
    assert world.service.bump("go", pipeline="line")["properties"]["count"] == "2"
    assert world.run() == ["cut"]
    assert world.versions("release")[0]["versionName"] == "1.1.0"
    assert world.service.bump("release", "rc", "line")["properties"]["versionName"] == "1.1.0-rc"
    assert world.service.bump("release", "rc", "line")["properties"]["versionName"] == "1.1.0-rc.1"
    with pytest.raises(BadInput, match="only trigger and version"):
        world.service.bump("settings", pipeline="line")
    with pytest.raises(BadInput, match="unknown bump"):
        world.service.bump("release", "huge", "line")
