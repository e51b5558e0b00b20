"""A real server checks its resources by itself: a time resource ticking every second, a git resource
picking up a commit made during the test, and a webhook called over HTTP with its own token."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.acceptance.processes import cluster, wait_for
from tests.gitrepo import git, new_repo


def test_time_git_and_webhook_resources_start_their_jobs(tmp_path: Path, db_url: str) -> None:
    repo = new_repo(tmp_path / "app")
    line = textwrap.dedent(
        f"""
        resources:
          - {{name: tick, type: time, source: {{every: 1s}}}}
          - {{name: src, type: git, source: {{repo: "{repo}", check_every: 1s}}}}
          - {{name: hook, type: webhook}}
        jobs:
          - {{name: on-tick, inputs: [{{resource: tick}}], steps: ["true"]}}
          - name: build
            inputs: [{{resource: src}}]
            steps: ['echo "built $(cat $CONVEYOR_INPUTS/src/properties.json | grep -c second)"']
          - {{name: on-hook, inputs: [{{resource: hook}}], steps: ["cat $CONVEYOR_INPUTS/hook/files/payload.json"]}}
        """
    )
    with cluster(tmp_path, db_url) as c:
        _, url = c.server(workers=2)
        api = c.api(url)
        assert api.post("/api/v1/pipelines", json={"source": line, "file": "line.yml"}).status_code == 200

        def runs_of(job: str) -> list[dict[str, object]]:
            rows = api.get("/api/v1/runs", params={"pipeline": "line", "job": job}).json()
            return [r for r in rows if r["status"] == "succeeded"]

        wait_for(lambda: len(runs_of("on-tick")) >= 2, 20, "the time resource to tick twice")

        def built(what: str) -> bool:
            logs = [api.get(f"/api/v1/runs/{r['id']}/logs").text for r in runs_of("build")]
            return any(log.strip().endswith(what) for log in logs)

        wait_for(lambda: built("built 0"), 20, "the first commit to be built")
        git(repo, "commit", "-q", "--allow-empty", "-m", "second")
        wait_for(lambda: built("built 1"), 20, "the new commit to be built")

        path = "/api/v1/pipelines/line/resources/hook"
        token = api.post(f"{path}/webhook-token").json()["token"]
        anonymous = c.api(url, token="")
        assert anonymous.post(f"{path}/webhook", json={"tag": "1.2"}).status_code == 404
        r = anonymous.post(f"{path}/webhook", params={"token": token}, json={"tag": "1.2"})
        assert r.status_code == 201, r.text
        hooked = wait_for(lambda: runs_of("on-hook"), 20, "the webhook's job")
        assert '{"tag":"1.2"}' in api.get(f"/api/v1/runs/{hooked[0]['id']}/logs").text
