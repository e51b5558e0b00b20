"""Clever workflow-manager's API against a real ``conveyor server`` process, with real workers.

The first test replays the seed README's curl walk-through step by step (post a Batch-era definition,
get it, start a workflow with an input on the old ``/jobs/`` route, watch it, list by definition name,
cancel with a reason); the others run Task states on remote workers chosen by labels.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from tests.acceptance.processes import cluster, wait_for

FIXTURES = Path(__file__).parent.parent / "fixtures" / "clever"


def _workflow(api: httpx.Client, uid: str) -> dict[str, Any]:
    r = api.get(f"/workflows/{uid}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


#: the cancelled task's command: a duration no other test sleeps, so its process can be looked for
SLEEP = "59.4321"


def _sleeping() -> bool:
    found = subprocess.run(["pgrep", "-f", f"sleep {SLEEP}"], capture_output=True)
    return found.returncode == 0


def _states(api: httpx.Client, uid: str) -> list[dict[str, Any]]:
    r = api.get(f"/workflows/{uid}", params={"fetchHistory": "true"})
    assert r.status_code == 200, r.text
    states: list[dict[str, Any]] = r.json()["states"]
    return states


def test_the_seed_readme_walk_through(tmp_path: Path, db_url: str) -> None:
    with cluster(tmp_path, db_url) as c:
        _, url = c.server(workers=2)
        api = c.api(url)
        api.headers["Content-Type"] = "application/x-www-form-urlencoded"  # what curl -d sends
        assert api.get("/_health").status_code == 200
        # "jobarn:0" names a state resource; one task sleeps so that the cancel step finds it running
        for name, uri in (("jobarn:0", "exec:cat"), ("job-definition:0", f"exec:sleep {SLEEP}")):
            r = api.post("/state-resources", json={"name": name, "namespace": "", "uri": uri})
            assert r.status_code == 201, r.text

        # 1. curl -XPOST http://localhost:8080/workflow-definitions -d @data/hello-workflow.post.json
        r = api.post("/workflow-definitions", content=(FIXTURES / "hello-workflow.post.json").read_bytes())
        assert r.status_code == 201, r.text
        definition = r.json()
        assert definition["name"] == "hello-workflow" and definition["version"] == 0
        assert definition["stateMachine"]["StartAt"] == "start-state"
        assert set(definition["stateMachine"]["States"]) == {"start-state", "second-state", "end-state"}

        # 2. curl -XGET http://localhost:8080/workflow-definitions/hello-workflow
        r = api.get("/workflow-definitions/hello-workflow")
        assert r.status_code == 200 and [d["id"] for d in r.json()] == [definition["id"]]

        # 3. curl -XPOST http://localhost:8080/jobs/ -d '{"workflowDefinition": {...}, "input": [...]}'
        r = api.post(
            "/jobs/",
            content='{\n  "workflowDefinition": {\n    "name": "hello-workflow",\n    "version": 0\n    },\n'
            '    "input": [\n      "arg1",\n      "arg2",\n      "arg3"\n    ]\n  }',
        )
        assert r.status_code == 200, r.text
        started = r.json()
        uid = started["id"]
        assert started["status"] in ("queued", "running")
        assert started["workflowDefinition"]["name"] == "hello-workflow"

        # 4. watch "curl -XGET http://localhost:8080/workflows/<workflow-id>"
        def at_end_state() -> dict[str, Any] | None:
            wf = _workflow(api, uid)
            states = {j["state"]: j["status"] for j in wf["jobs"]}
            return wf if states.get("end-state") == "running" else None

        wf = wait_for(at_end_state, 30, "the workflow to reach its end state")
        wait_for(_sleeping, 10, "the end state's process to run")
        assert wf["status"] == "running"
        assert [j["state"] for j in wf["jobs"]] == ["start-state", "second-state", "end-state"]
        first = wf["jobs"][0]
        assert first["status"] == "succeeded" and json.loads(first["output"]) == ["arg1", "arg2", "arg3"]

        #    watch "curl -XGET http://localhost:8080/workflows?workflowDefinitionName=hello-workflow"
        r = api.get("/workflows", params={"workflowDefinitionName": "hello-workflow"})
        assert r.status_code == 200 and [w["id"] for w in r.json()] == [uid]
        assert "X-Next-Page-Path" not in r.headers

        # 5. curl -XDELETE http://localhost:8080/workflows/<workflow-id> -d '{"reason": "..."}'
        r = api.request("DELETE", f"/workflows/{uid}", content='{"reason": "try out cancelling a workflow"}')
        assert r.status_code == 200, r.text
        wf = _workflow(api, uid)
        assert wf["status"] == "cancelled" and wf["statusReason"] == "try out cancelling a workflow"
        assert wf["resolvedByUser"] is True
        assert wf["jobs"][-1]["status"] == "aborted_by_user"
        wait_for(lambda: not _sleeping(), 10, "the cancelled task's process to be killed")

        # and what that system answered with a 500, conveyor answers with a 4xx and a message
        r = api.request("DELETE", f"/workflows/{uid}", json={"reason": "again"})
        assert r.status_code == 400 and "Cancellation not allowed" in r.json()["message"]
        r = api.post("/workflow-definitions", content=(FIXTURES / "hello-workflow.post.json").read_bytes())
        assert r.status_code == 409 and r.json() == {"message": "Already Exists: hello-workflow"}
        assert api.get("/workflows/nope").status_code == 404
        assert api.get("/workflows").status_code == 400
        assert (
            api.post("/workflows", json={"workflowDefinition": {"name": "x"}, "input": "[1"}).status_code
            == 400
        )


def test_tasks_spread_over_labelled_workers_and_the_api_shapes(tmp_path: Path, db_url: str) -> None:
    with cluster(tmp_path, db_url) as c:
        _, url = c.server(workers=0)
        c.worker(url, "os=linux", name="linux-box")
        c.worker(url, "gpu=yes", name="gpu-box")
        api = c.api(url)
        for name, uri, labels in (
            (
                "build",
                "exec:python3 -c \"import json,sys; d=json.load(sys.stdin); print(json.dumps(d['n'] + 1))\"",
                {"os": "linux"},
            ),
            (
                "train",
                'exec:echo \'{"error": "Model.Diverged", "cause": "loss is nan"}\'; exit 2',
                {"gpu": "yes"},
            ),
        ):
            r = api.post(
                "/state-resources", json={"name": name, "namespace": "ml", "uri": uri, "runsOn": labels}
            )
            assert r.status_code == 201, r.text
        machine = {
            "StartAt": "Build",
            "States": {
                "Build": {"Type": "Task", "Resource": "build", "ResultPath": "$.built", "Next": "Train"},
                "Train": {
                    "Type": "Task",
                    "Resource": "train",
                    "Catch": [{"ErrorEquals": ["Model.Diverged"], "ResultPath": "$.why", "Next": "Give up"}],
                    "End": True,
                },
                "Give up": {"Type": "Fail", "Error": "Training.Failed", "CausePath": "$.why.Cause"},
            },
        }
        r = api.post(
            "/workflow-definitions",
            json={"name": "ml", "stateMachine": machine, "defaultTags": {"team": "ml"}},
        )
        assert r.status_code == 201, r.text
        r = api.post(
            "/workflows",
            json={
                "workflowDefinition": {"name": "ml", "version": -1},
                "input": '{"n": 41}',
                "namespace": "ml",
                "tags": {"run": "1"},
            },
        )
        assert r.status_code == 200, r.text
        uid = r.json()["id"]
        wf = wait_for(
            lambda: (w := _workflow(api, uid))["status"] == "failed" and w, 30, "the workflow to fail"
        )
        assert wf["error"] == "Training.Failed" and wf["cause"] == "loss is nan"
        assert wf["tags"] == {"team": "ml", "run": "1"}
        assert [(j["state"], j["status"], j["container"]) for j in wf["jobs"] if j["type"] == "Task"] == [
            ("Build", "succeeded", "linux-box"),
            ("Train", "failed", "gpu-box"),
        ]
        assert json.loads(wf["jobs"][0]["output"]) == {"n": 41, "built": 42}
        assert wf["lastJob"]["state"] == "Train"
        # resume from Train as a new, linked workflow; then resolve the first by hand
        r = api.post(f"/workflows/{uid}", json={"StartAt": "Train"})
        assert r.status_code == 200, r.text
        retry = r.json()
        assert retry["retryFor"] == uid and json.loads(retry["input"]) == {"n": 41, "built": 42}
        assert _workflow(api, uid)["retries"] == [retry["id"]]
        assert api.post(f"/workflows/{uid}/resolved").status_code == 201
        assert api.post(f"/workflows/{uid}/resolved").status_code == 409
        summary = api.get(
            "/workflows", params={"workflowDefinitionName": "ml", "summaryOnly": "true", "limit": 1}
        )
        assert summary.status_code == 200 and "jobs" not in summary.json()[0]
        assert summary.headers["X-Next-Page-Path"].startswith("/workflows?")
        nxt = api.get(summary.headers["X-Next-Page-Path"])
        assert [w["id"] for w in nxt.json()] == [uid]


def test_killing_the_server_and_a_worker_mid_workflow_loses_nothing(tmp_path: Path, db_url: str) -> None:
    """kill -9 the server during a Wait (its deadline holds across the restart), then kill -9 the worker
    in the middle of a task (it is leased again by another worker): the workflow still succeeds once."""
    marker = tmp_path / "started"
    with cluster(tmp_path, db_url, lease_seconds=2.0) as c:
        server, url = c.server(workers=0)
        doomed = c.worker(url, name="doomed")
        api = c.api(url)
        machine = {
            "StartAt": "First",
            "States": {
                "First": {"Type": "Task", "Resource": "exec:echo 1", "ResultPath": "$.first", "Next": "Nap"},
                "Nap": {"Type": "Wait", "Seconds": 3, "Next": "Slow"},
                "Slow": {
                    "Type": "Task",
                    "Resource": f"exec:echo $CONVEYOR_STATE_ATTEMPT >> {marker}; sleep 2; echo 2",
                    "ResultPath": "$.slow",
                    "End": True,
                },
            },
        }
        assert (
            api.post("/workflow-definitions", json={"name": "k", "stateMachine": machine}).status_code == 201
        )
        uid = api.post("/workflows", json={"workflowDefinition": {"name": "k"}, "input": "{}"}).json()["id"]
        wait_for(lambda: "Nap" in [s["state"] for s in _states(api, uid)], 30, "the workflow to nap")
        server.kill()
        _, url2 = c.server(workers=0)
        api2 = c.api(url2)
        doomed.stop()
        doomed = c.worker(url2, name="doomed-2")
        wait_for(lambda: marker.exists(), 30, "the slow task to start")
        doomed.kill()
        c.worker(url2, name="survivor")
        wf = wait_for(
            lambda: (w := _workflow(api2, uid))["status"] in ("succeeded", "failed") and w, 60, "the end"
        )
        assert wf["status"] == "succeeded", wf
        assert json.loads(wf["output"]) == {"first": 1, "slow": 2}
        nap = next(s for s in _states(api2, uid) if s["state"] == "Nap")
        napped = datetime.fromisoformat(nap["stoppedAt"]) - datetime.fromisoformat(nap["startedAt"])
        assert 3 <= napped.total_seconds() < 10  # the deadline held across the restart, and was kept
        slow = next(j for j in wf["jobs"] if j["state"] == "Slow")
        assert slow["container"] == "survivor"
        assert marker.read_text().split() == ["1", "1"]  # the same attempt, leased again after the kill
