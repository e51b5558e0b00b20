"""Integrations on SQLite and PostgreSQL: encrypted at rest, injected into the steps that name them,
masked in everything stored, never listed."""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from conveyor import definitions
from conveyor.errors import BadInput, NotFound, SecretKeyMissing
from conveyor.secretbox import WrongSecretKey, generate_key
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from conveyor.testing import run_until_idle

VALUE = "pa55-w0rd-that-must-not-leak"

LINE = """
jobs:
  - name: deploy
    secrets: [creds]
    steps:
      - 'echo "logging in as $DEPLOY_USER with $DEPLOY_PASSWORD"'
      - 'printf %s "$DEPLOY_PASSWORD" | sha256sum | cut -c1-64 | sed s/^/hash=/ >> $CONVEYOR_RUN_PROPERTIES'
      - 'echo "leak=$DEPLOY_PASSWORD" >> $CONVEYOR_RUN_PROPERTIES'
  - name: other
    steps: ['echo "other sees [${DEPLOY_PASSWORD:-nothing}]"']
"""


class World:
    def __init__(self, url: str, tmp: Path, key: str) -> None:
        self.tmp = tmp
        self.store = open_store(url)
        self.service = Service(self.store, Settings(home=tmp / "home", secret_key=key))

    def apply(self, text: str) -> None:
        self.service.apply(definitions.load_text(textwrap.dedent(text), "line.yml", default_name="line"))

    def run(self) -> list[dict[str, Any]]:
        return run_until_idle(self.service, "line", self.tmp / "work")


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Any:
    w = World(db_url, tmp_path, generate_key())
    yield w
    w.store.close()


def test_stored_encrypted_and_read_back(world: World) -> None:
    info = world.service.set_secret("creds", {"DEPLOY_USER": "deployer", "DEPLOY_PASSWORD": VALUE})
    assert info["keys"] == ["DEPLOY_PASSWORD", "DEPLOY_USER"]
    with world.store.read() as tx:
        row = tx.integration("creds")
    assert row is not None and VALUE not in row["payload"] and "deployer" not in row["payload"]
    assert world.service.secret_values("creds") == {"DEPLOY_USER": "deployer", "DEPLOY_PASSWORD": VALUE}
    world.service.set_secret("creds", {"DEPLOY_USER": "ci"})  # merges
    assert world.service.secret_values("creds")["DEPLOY_PASSWORD"] == VALUE
    world.service.set_secret("creds", {"ONLY": "this"}, replace_all=True)
    assert world.service.secret_values("creds") == {"ONLY": "this"}
    listed = world.service.secrets()
    assert [(s["name"], s["keys"]) for s in listed] == [("creds", ["ONLY"])]
    assert "this" not in repr(listed)
    world.service.delete_secret("creds")
    assert world.service.secrets() == []
    with pytest.raises(NotFound):
        world.service.delete_secret("creds")


def test_a_passphrase_works_as_a_key_and_a_wrong_or_missing_key_is_a_clear_error(
    db_url: str, tmp_path: Path
) -> None:
    store = open_store(db_url)
    try:
        Service(store, Settings(home=tmp_path, secret_key="correct horse")).set_secret("x", {"K": "value"})
        assert Service(store, Settings(secret_key="correct horse")).secret_values("x") == {"K": "value"}
        with pytest.raises(WrongSecretKey, match="not the key it was stored with"):
            Service(store, Settings(secret_key="battery staple")).secret_values("x")
        with pytest.raises(SecretKeyMissing, match="CONVEYOR_SECRET_KEY is not set"):
            Service(store, Settings(secret_key="")).set_secret("y", {"K": "v"})
    finally:
        store.close()


def test_bad_names_and_keys(world: World) -> None:
    with pytest.raises(BadInput, match="bad key"):
        world.service.set_secret("creds", {"not-a-var": "x"})
    with pytest.raises(BadInput, match="bad integration name"):
        world.service.set_secret("../x", {"K": "x"})


def test_the_job_that_names_it_gets_it_masked_everywhere_and_others_do_not(world: World) -> None:
    world.service.set_secret("creds", {"DEPLOY_USER": "deployer", "DEPLOY_PASSWORD": VALUE})
    world.apply(LINE)
    finished = {r["job_name"]: r for r in world.run()}
    assert {j: r["status"] for j, r in finished.items()} == {"deploy": "succeeded", "other": "succeeded"}
    deploy = world.service.run(finished["deploy"]["id"])
    log = world.service.logs(deploy["id"])
    assert b"logging in as *** with ***" in log and VALUE.encode() not in log
    properties = json.loads(deploy["properties"])
    assert properties["hash"] == hashlib.sha256(VALUE.encode()).hexdigest()  # the step really got it
    assert properties["leak"] == "***"
    assert VALUE not in repr(deploy)
    assert b"other sees [nothing]" in world.service.logs(finished["other"]["id"])
    with world.store.read() as tx:
        events = tx.events_after(0, 1000)
    assert VALUE not in repr(events)


def test_a_missing_integration_fails_the_run_saying_so(world: World) -> None:
    world.apply(LINE)
    finished = {r["job_name"]: r for r in world.run()}
    assert finished["deploy"]["status"] == "failed"
    log = world.service.logs(finished["deploy"]["id"]).decode()
    assert "integration 'creds', which does not exist" in log
    assert finished["other"]["status"] == "succeeded"
