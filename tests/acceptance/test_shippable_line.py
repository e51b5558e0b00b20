"""A whole Shippable assembly line on a real server and worker: a shippable.yml whose TASK scripts pass
key-value state, job state files and a Terraform-style statefile (a ``state`` resource) across three jobs
with shipctl, a ``switch: off`` gate a person opens, a NOTIFY hook received by a local HTTP server, a
masked secret, a time resource ticking every second and a git repository picking up a commit."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from tests.acceptance.processes import cluster, wait_for
from tests.gitrepo import git, new_repo
from tests.receiver import receiver

from conveyor.secretbox import generate_key

TOKEN = "tok-91c2-never-in-a-log"

LINE = """
resources:
  - name: tick
    type: time
    seed:
      interval: "* * * * * *"
  - name: app_repo
    type: gitRepo
    versionTemplate:
      sourceName: "REPO"
      branch: main
  - name: chat
    type: notification
    integration: chat-hook
    versionTemplate:
      recipients: ["#deploys"]
  - name: build_info
    type: params
    versionTemplate:
      params:
        SEED: "x"
  - name: infra_state
    type: state

jobs:
  - name: every_second
    type: runSh
    steps:
      - IN: tick
      - TASK:
          script:
            - echo tick

  - name: build
    type: runSh
    integrations: [deploy-creds]
    steps:
      - IN: app_repo
      - TASK:
          script:
            - echo "using $DEPLOY_TOKEN"
            - shipctl post_resource_state build_info SHA "$(shipctl get_resource_version_key app_repo sha)"
            - printf %s "$DEPLOY_TOKEN" | sha256sum | cut -c1-64 > token.sha
            - shipctl put_resource_state build_info TOKEN_SHA "$(cat token.sha)"
            - shipctl copy_file_to_state token.sha
      - OUT: build_info
    on_success:
      - NOTIFY: chat

  - name: provision
    type: runSh
    steps:
      - IN: build_info
      - IN: build
      - IN: infra_state
        switch: off
      - TASK:
          script:
            - test -s "$BUILD_STATE/token.sha"
            - shipctl copy_file_from_resource_state infra_state terraform.tfstate . || echo 0 > terraform.tfstate
            - echo $(( $(cat terraform.tfstate) + 1 )) > terraform.tfstate
      - OUT: infra_state
    always:
      script:
        - shipctl copy_file_to_resource_state terraform.tfstate infra_state

  - name: deploy
    type: runSh
    steps:
      - IN: provision
        switch: off
      - IN: build_info
        switch: off
      - IN: infra_state
        switch: off
      - TASK:
          script:
            - shipctl copy_file_from_resource_state infra_state terraform.tfstate .
            - echo "deploying $(shipctl get_resource_version_key build_info SHA) at serial $(cat terraform.tfstate)"
"""


def _runs(api: Any, job: str) -> list[dict[str, Any]]:
    rows = api.get("/api/v1/runs", params={"pipeline": "line", "job": job, "limit": 500}).json()
    return [r for r in rows if r["status"] == "succeeded"]


def _log(api: Any, run: dict[str, Any]) -> str:
    return str(api.get(f"/api/v1/runs/{run['id']}/logs").text)


@pytest.mark.slow
def test_a_shippable_line_end_to_end(tmp_path: Path, db_url: str) -> None:
    repo = new_repo(tmp_path / "app")
    first_sha = git(repo, "rev-parse", "HEAD").strip()
    with cluster(tmp_path, db_url) as c, receiver() as chat:
        c.env["CONVEYOR_SECRET_KEY"] = generate_key()
        c.env["CONVEYOR_NOTIFY_BACKOFF"] = "0.2"
        c.env["CONVEYOR_GIT_CHECK_EVERY"] = "1"  # gitRepo has no check_every: poll faster than the wait
        c.cli("secret", "set", "deploy-creds", f"DEPLOY_TOKEN={TOKEN}")
        c.cli("secret", "set", "chat-hook", f"url={chat.url}/chat")
        _, url = c.server(workers=0)
        c.worker(url, name="box")
        line = tmp_path / "line.shippable.yml"  # the pipeline's name: "line"
        line.write_text(LINE.replace("REPO", str(repo)))
        c.cli("apply", str(line), "--server", url, "--token", c.admin)
        api = c.api(url)

        wait_for(lambda: len(_runs(api, "every_second")) >= 2, 30, "the time resource to tick twice")
        wait_for(lambda: _runs(api, "provision"), 60, "build and provision")
        wait_for(lambda: any(b"build" in r.body for r in chat.received), 30, "the NOTIFY hook")

        git(repo, "commit", "-q", "--allow-empty", "-m", "second")
        second_sha = git(repo, "rev-parse", "HEAD").strip()

        def built(sha: str) -> bool:
            versions = api.get("/api/v1/pipelines/line/resources/build_info/versions").json()
            return any(v["properties"].get("SHA") == sha for v in versions)

        wait_for(lambda: built(first_sha), 30, "the first commit's build info")
        wait_for(lambda: built(second_sha), 60, "the new commit to be built")
        wait_for(
            lambda: len(_runs(api, "provision")) >= 2 and not _pending(api, "provision"), 60, "provision"
        )

        assert not _runs(api, "deploy")  # switch: off on every IN: only a person starts it
        c.cli("job", "trigger", "deploy", "--server", url, "--token", c.admin)
        deploy = wait_for(lambda: _runs(api, "deploy"), 60, "deploy")[0]
        log = _log(api, deploy)
        assert f"deploying {second_sha} at serial" in log
        serial = int(log.rsplit("serial", 1)[1].split()[0])
        assert serial == len(_runs(api, "provision"))  # each provision run carried the statefile forward

        for run in _runs(api, "build"):
            assert TOKEN not in _log(api, run) and "using ***" in _log(api, run)
            full = api.get(f"/api/v1/runs/{run['id']}").text
            assert TOKEN not in full
        state = api.get(f"/api/v1/runs/{_runs(api, 'build')[0]['id']}").json()
        assert "token.sha" in (state.get("state_files") or {})
        events = api.get("/api/v1/events", params={"limit": 500}).text
        assert TOKEN not in events
        info = api.get("/api/v1/pipelines/line/resources/build_info/versions").json()[0]["properties"]
        assert info["TOKEN_SHA"] == hashlib.sha256(TOKEN.encode()).hexdigest()  # the step did get it


def _pending(api: Any, job: str) -> list[dict[str, Any]]:
    rows = api.get("/api/v1/runs", params={"pipeline": "line", "job": job, "limit": 50}).json()
    return [r for r in rows if r["status"] in ("pending", "queued", "running")]
