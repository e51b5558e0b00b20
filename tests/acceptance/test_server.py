"""A real server, real workers and the real CLI as processes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import httpx
from tests.acceptance.processes import cluster, wait_for

LABELLED = """
jobs:
  - name: build
    runs_on: {os: linux}
    steps: ["echo built"]
  - name: gpu-test
    inputs: [{job: build}]
    runs_on: {gpu: "yes"}
    steps: ["echo on the gpu box"]
  - name: anywhere
    inputs: [{job: build}]
    steps: ["echo anywhere"]
"""


def _apply(api: httpx.Client, text: str, name: str = "line") -> dict[str, Any]:
    r = api.post("/api/v1/pipelines", json={"source": textwrap.dedent(text), "file": f"{name}.yml"})
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def _runs(api: httpx.Client, pipeline: str = "line") -> list[dict[str, Any]]:
    r = api.get("/api/v1/runs", params={"pipeline": pipeline, "limit": 500})
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()
    return rows


def _settled(api: httpx.Client, count: int, pipeline: str = "line") -> list[dict[str, Any]] | None:
    runs = _runs(api, pipeline)
    done = [r for r in runs if r["status"] in ("succeeded", "failed", "errored", "timed_out", "cancelled")]
    return runs if len(done) >= count and len(done) == len(runs) else None


def test_workers_take_the_runs_their_labels_satisfy(tmp_path: Path, db_url: str) -> None:
    with cluster(tmp_path, db_url) as c:
        _, url = c.server(workers=0)
        linux = c.worker(url, "os=linux", name="linux-box")
        gpu = c.worker(url, "os=linux", "gpu=yes", name="gpu-box")
        api = c.api(url)
        wait_for(lambda: len(api.get("/api/v1/workers").json()) == 2, 20, "both workers to register")
        _apply(api, LABELLED)
        runs = wait_for(lambda: _settled(api, 3), 30, "three runs to finish")
        assert {r["job_name"]: r["status"] for r in runs} == {
            "build": "succeeded",
            "gpu-test": "succeeded",
            "anywhere": "succeeded",
        }
        names = {w["id"]: w["name"] for w in api.get("/api/v1/workers").json()}
        by_job = {r["job_name"]: names[r["worker_id"]] for r in runs}
        assert by_job["gpu-test"] == "gpu-box"
        assert by_job["build"] in ("linux-box", "gpu-box")
        gpu_run = next(r for r in runs if r["job_name"] == "gpu-test")
        log = api.get(f"/api/v1/runs/{gpu_run['id']}/logs").text
        assert "on the gpu box" in log
        assert linux.stop() in (0, 143) and gpu.stop() in (0, 143)


def test_a_killed_worker_loses_its_lease_and_the_run_is_retried_elsewhere(
    tmp_path: Path, db_url: str
) -> None:
    marker = tmp_path / "first-attempt"
    with cluster(tmp_path, db_url, lease_seconds=2) as c:
        _, url = c.server(workers=0)
        doomed = c.worker(url, concurrency=1, name="doomed")
        api = c.api(url)
        _apply(
            api,
            f"""
            jobs:
              - name: slow
                retries: 1
                steps:
                  - if [ -f {marker} ]; then echo second; exit 0; fi; touch {marker}; sleep 60
            """,
        )
        wait_for(lambda: marker.exists(), 30, "the first attempt to start")
        doomed.kill()
        c.worker(url, concurrency=1, name="rescuer")
        runs = wait_for(lambda: _settled(api, 2), 30, "the retry to finish")
        by_attempt = {r["attempt"]: r for r in runs}
        assert by_attempt[1]["status"] == "errored" and "interrupted" in by_attempt[1]["message"]
        assert by_attempt[2]["status"] == "succeeded"
        assert not [r for r in _runs(api) if r["status"] == "running"]


def test_killing_the_server_mid_run_loses_nothing(tmp_path: Path, db_url: str) -> None:
    gate = tmp_path / "gate"
    with cluster(tmp_path, db_url, lease_seconds=30) as c:
        server, url = c.server(workers=0)
        port = int(url.rsplit(":", 1)[1])
        c.worker(url, concurrency=2, name="steady")
        api = c.api(url)
        _apply(
            api,
            f"""
            resources:
              - {{name: out, type: generic}}
            jobs:
              - name: first
                steps: ["echo one"]
              - name: second
                inputs: [{{job: first}}]
                outputs: [out]
                steps:
                  - while [ ! -f {gate} ]; do sleep 0.05; done; echo "made=yes" >> "$CONVEYOR_OUTPUTS/out"
              - name: third
                inputs: [{{resource: out}}]
                steps: ["echo three"]
            """,
        )
        wait_for(lambda: any(r["status"] == "running" for r in _runs(api)), 30, "second to run")
        server.kill()
        gate.touch()  # second finishes while the server is down; the worker keeps its result
        _, url2 = c.server(workers=0, port=port)
        api2 = c.api(url2)
        runs = wait_for(lambda: _settled(api2, 3), 40, "everything to finish after the restart")
        assert sorted((r["job_name"], r["status"]) for r in runs) == [
            ("first", "succeeded"),
            ("second", "succeeded"),
            ("third", "succeeded"),
        ]
        versions = api2.get("/api/v1/pipelines/line/resources/out/versions").json()
        assert [v["properties"] for v in versions] == [{"made": "yes"}]
        first = next(r for r in runs if r["job_name"] == "first")
        assert "one" in api2.get(f"/api/v1/runs/{first['id']}/logs").text


def test_a_run_leased_in_an_answer_that_never_arrived_is_queued_again(tmp_path: Path, db_url: str) -> None:
    """The server committed a lease but its answer was lost (it died before sending it): the
    worker's next heartbeat says what it holds, and the run it never got is queued again, to run
    once with its inputs read anew, instead of staying "running" for as long as the worker lives."""
    with cluster(tmp_path, db_url) as c:
        _, url = c.server(workers=0)
        api = c.api(url)
        _apply(
            api,
            "jobs:\n  - {name: a, steps: ['echo ran-once']}\n  - {name: b, inputs: [{job: a}], steps: ['true']}\n",
        )
        worker = c.api(url, token=c.worker_token)
        me = worker.post("/api/v1/workers", json={"name": "forgetful", "labels": {}}).json()["id"]
        (lost,) = worker.post(f"/api/v1/workers/{me}/lease", json={"limit": 1}).json()["runs"]
        assert [r["status"] for r in _runs(api)] == ["running"]
        r = worker.post(
            f"/api/v1/workers/{me}/heartbeat", json={"runs": [lost["run_id"] + 1000], "tasks": []}
        )
        assert r.status_code == 200 and r.json() == {"cancel": []}
        (run,) = _runs(api)
        assert (run["id"], run["status"], run["worker_id"]) == (lost["run_id"], "queued", None)
        c.worker(url, name="steady")
        runs = wait_for(lambda: _settled(api, 2), 30, "both jobs to finish")
        assert sorted((r["job_name"], r["status"]) for r in runs) == [("a", "succeeded"), ("b", "succeeded")]
        kinds = [e["kind"] for e in api.get(f"/api/v1/runs/{lost['run_id']}").json()["events"]]
        assert kinds == ["run.started", "run.handed_back", "run.started", "run.succeeded"]
        assert api.get(f"/api/v1/runs/{lost['run_id']}/logs").text.count("\nran-once\n") == 1


def test_tokens_roles_and_errors(tmp_path: Path, db_url: str) -> None:
    with cluster(tmp_path, db_url) as c:
        _, url = c.server(workers=0)
        anonymous = c.api(url, token="")
        assert anonymous.get("/health").status_code == 200
        r = anonymous.get("/api/v1/pipelines")
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        bad = c.api(url, token="cvy_not-a-real-token")
        assert bad.get("/api/v1/runs").status_code == 401
        viewer = c.api(url, token=c.token("viewer"))
        r = viewer.post("/api/v1/pipelines", json={"source": LABELLED, "file": "line.yml"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        worker = c.api(url, token=c.worker_token)
        assert worker.get("/api/v1/pipelines").status_code == 403
        admin = c.api(url)
        assert admin.get("/api/v1/pipelines").json() == []  # nothing was applied by the refused calls
        _apply(admin, LABELLED)
        operator = c.api(url, token=c.token("operator"))
        assert operator.post("/api/v1/pipelines/line/jobs/build/trigger").status_code == 201
        assert operator.post("/api/v1/pipelines/line/jobs/nope/trigger").status_code == 404
        r = admin.post("/api/v1/pipelines", json={"source": "jobs: [", "file": "broken.yml"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_definition"
        r = admin.post("/api/v1/runs/1/cancel", json={})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
        assert admin.get("/api/v1/runs/123456").status_code == 404
        r = admin.post("/api/v1/pipelines/line/resources/none/versions", json={"properties": {"a": "b"}})
        assert r.status_code == 404
        metrics = admin.get("/metrics").text
        assert "conveyor_runs{" in metrics and "conveyor_http_request_duration_seconds" in metrics
        assert admin.get("/openapi.json").json()["info"]["title"] == "conveyor"


def test_cli_against_the_server_follows_logs_cancels_and_approves(tmp_path: Path, db_url: str) -> None:
    with cluster(tmp_path, db_url) as c:
        _, url = c.server(workers=2)
        line = tmp_path / "line.yml"
        line.write_text(
            textwrap.dedent(
                """
                resources:
                  - {name: src, type: params, properties: {V: "1"}}
                jobs:
                  - name: talk
                    inputs: [{resource: src}]
                    steps: ["for i in 1 2 3; do echo tick $i; sleep 0.2; done"]
                  - name: hang
                    inputs: [{resource: src}]
                    steps: ["sleep 60"]
                  - name: ship
                    inputs: [{job: talk}]
                    approval: manual
                    steps: ["echo shipped"]
                """
            )
        )
        remote = ["--server", url, "--token", c.admin]
        c.cli("apply", str(line), *remote)
        api = c.api(url)
        talk = wait_for(
            lambda: next((r for r in _runs(api) if r["job_name"] == "talk"), None), 20, "talk to be triggered"
        )
        followed = c.cli("logs", "-f", str(talk["id"]), *remote)
        assert [ln for ln in followed.stdout.splitlines() if ln.startswith("tick")] == [
            "tick 1",
            "tick 2",
            "tick 3",
        ]
        hang = wait_for(
            lambda: next(
                (r for r in _runs(api) if r["job_name"] == "hang" and r["status"] == "running"), None
            ),
            20,
            "hang to run",
        )
        c.cli("cancel", str(hang["id"]), "--reason", "taking too long", *remote)
        cancelled = wait_for(
            lambda: (r := api.get(f"/api/v1/runs/{hang['id']}").json())["status"] == "cancelled" and r,
            20,
            "hang to be cancelled",
        )
        assert "taking too long" in cancelled["message"]
        gate = wait_for(
            lambda: next((r for r in _runs(api) if r["status"] == "waiting_approval"), None), 20, "the gate"
        )
        c.cli("approve", str(gate["id"]), "-m", "go", *remote)
        done = wait_for(
            lambda: (r := api.get(f"/api/v1/runs/{gate['id']}").json())["status"] == "succeeded" and r,
            20,
            "ship",
        )
        assert any(e["kind"] == "run.approved" for e in done["events"])
        listed = json.loads(c.cli("runs", "--json", *remote).stdout)
        assert {r["job_name"] for r in listed} == {"talk", "hang", "ship"}
        put = c.cli("resource", "put", "src", "V=2", *remote)
        assert "src v2" in put.stdout
        events = api.get("/api/v1/events", params={"kind": "version.created"}).json()
        assert [e["data"]["number"] for e in events] == [1, 2]


def test_two_replicas_on_postgres_run_each_of_200_runs_exactly_once(tmp_path: Path, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        import pytest

        pytest.skip("several server replicas share one database only on PostgreSQL")
    ledger = tmp_path / "ledger"
    leaves = "\n".join(
        f"  - {{name: leaf{i}, inputs: [{{job: root}}], steps: ['echo $CONVEYOR_RUN_ID >> {ledger}']}}"
        for i in range(199)
    )
    with cluster(tmp_path, db_url) as c:
        _, url_a = c.server(workers=0)
        _, url_b = c.server(workers=0)
        for url in (url_a, url_a, url_b):
            c.worker(url, concurrency=2)
        api_a, api_b = c.api(url_a), c.api(url_b)
        _apply(api_a, f"jobs:\n  - {{name: root, steps: ['echo $CONVEYOR_RUN_ID >> {ledger}']}}\n{leaves}\n")
        runs = wait_for(lambda: _settled(api_b, 200), 120, "200 runs to finish", every=0.5)
        assert len(runs) == 200 and {r["status"] for r in runs} == {"succeeded"}
        lines = ledger.read_text().split()
        assert len(lines) == 200 and len(set(lines)) == 200  # every run executed, none twice
        workers = {r["worker_id"] for r in runs}
        assert len(workers) == 3  # all three workers, on both replicas, took part
