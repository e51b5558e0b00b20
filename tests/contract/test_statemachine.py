"""State-machine workflows end to end through ``Service`` and a local pool, on SQLite and PostgreSQL.

Task states really run as subprocesses: their input on stdin, their stdout as their result.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from conveyor import definitions
from conveyor.errors import BadInput, Conflict, NotFound
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from conveyor.worker.local import local_pool, run_workflow


class World:
    def __init__(self, url: str, tmp: Path) -> None:
        self.tmp = tmp
        self.store = open_store(url)
        self.service = Service(self.store, Settings(home=tmp / "home", retry_backoff=0.01))

    def define(self, name: str, states: dict[str, Any], start: str | None = None, **extra: Any) -> Any:
        machine = {"StartAt": start or next(iter(states)), "States": states, **extra}
        return self.service.new_definition({"name": name, "stateMachine": machine})

    def run(self, uid: str, concurrency: int = 2) -> dict[str, Any]:
        worker_id = self.service.register_worker("test")
        pool = local_pool(
            self.service, worker_id, concurrency, work_root=self.tmp / "work", scratch_root=self.tmp / "s"
        )
        try:
            run_workflow(self.service, pool, uid)
        finally:
            self.service.stop_worker(worker_id)
        return self.service.workflow(uid)

    def start_and_run(self, name: str, input: Any = None, **kw: Any) -> dict[str, Any]:
        row = self.service.start_workflow(name, -1, json.dumps(input if input is not None else {}), **kw)
        return self.run(row["uid"])


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> World:
    w = World(db_url, tmp_path)
    yield w
    w.store.close()


def jobs(row: dict[str, Any]) -> list[dict[str, Any]]:
    return list(json.loads(row["execution"])["jobs"])


def test_definition_versions_post_put_and_conflict(world: World) -> None:
    first = world.define("d", {"A": {"Type": "Pass", "End": True}})
    assert first["version"] == 0
    with pytest.raises(Conflict, match="Already Exists: d"):
        world.define("d", {"A": {"Type": "Pass", "End": True}})
    body = {"name": "d", "stateMachine": {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}}
    second = world.service.update_definition("d", body)
    assert second["version"] == 1 and second["uid"] != first["uid"]
    assert [r["version"] for r in world.service.definition_versions("d", latest=False)] == [0, 1]
    assert world.service.definition_versions("d")[0]["version"] == 1
    assert world.service.definition("d", 0)["uid"] == first["uid"]
    with pytest.raises(NotFound):
        world.service.update_definition("nope", {**body, "name": "nope"})
    with pytest.raises(BadInput, match="does not match"):
        world.service.update_definition("d", {**body, "name": "other"})
    with pytest.raises(BadInput, match="cannot be reached from StartAt"):
        world.service.new_definition(
            {
                "name": "x",
                "stateMachine": {
                    "StartAt": "A",
                    "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}},
                },
            }
        )


def test_tasks_read_input_on_stdin_and_print_their_result(world: World) -> None:
    world.service.put_state_resource(
        "",
        "double",
        "exec:python3 -c \"import json,sys; d=json.load(sys.stdin); print(json.dumps({'n': d['n'] * 2}))\"",
    )
    world.define(
        "calc",
        {
            "Double": {"Type": "Task", "Resource": "double", "ResultPath": "$.r", "Next": "Again"},
            "Again": {"Type": "Task", "Resource": "exec:cat $CONVEYOR_TASK_INPUT", "End": True},
        },
    )
    row = world.start_and_run("calc", {"n": 21})
    assert row["status"] == "succeeded"
    assert json.loads(row["output"]) == {"n": 21, "r": {"n": 42}}
    assert [j["state"] for j in jobs(row)] == ["Double", "Again"]
    assert all(t["status"] == "succeeded" for t in row["tasks"])


def test_failing_task_with_named_error_is_caught_and_missing_resource_is_runtime(world: World) -> None:
    world.define(
        "f",
        {
            "T": {
                "Type": "Task",
                "Resource": """exec:echo '{"error": "App.Oops", "cause": "bad"}'; exit 3""",
                "Catch": [{"ErrorEquals": ["App.Oops"], "ResultPath": "$.err", "Next": "Missing"}],
                "Next": "Missing",
            },
            "Missing": {"Type": "Task", "Resource": "nothing-here", "End": True},
        },
    )
    row = world.start_and_run("f")
    assert row["status"] == "failed"
    assert row["error"] == "States.Runtime" and row["cause"] == "State resource does not exist"
    assert jobs(row)[1]["input"] == {"err": {"Error": "App.Oops", "Cause": "bad"}}


def test_retry_then_succeed_and_timeout(world: World, tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    world.define(
        "r",
        {
            "Flaky": {
                "Type": "Task",
                "Resource": f"exec:test -e {flag} || {{ touch {flag}; exit 1; }}; echo 7",
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                "Next": "Slow",
            },
            "Slow": {"Type": "Task", "Resource": "exec:sleep 30", "TimeoutSeconds": 1, "End": True},
        },
    )
    row = world.start_and_run("r")
    flaky = jobs(row)[0]
    assert flaky["status"] == "succeeded" and len(flaky["attempts"]) == 1 and flaky["output"] == 7
    assert row["status"] == "failed" and row["error"] == "States.Timeout"


def test_wait_map_parallel(world: World) -> None:
    world.define(
        "m",
        {
            "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Each"},
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ResultPath": "$.squares",
                "ItemProcessor": {
                    "StartAt": "Sq",
                    "States": {
                        "Sq": {
                            "Type": "Task",
                            "Resource": "exec:python3 -c 'import sys; n=int(sys.stdin.read()); print(n*n)'",
                            "End": True,
                        }
                    },
                },
                "Next": "Both",
            },
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "L", "States": {"L": {"Type": "Pass", "Result": "l", "End": True}}},
                    {
                        "StartAt": "R",
                        "States": {"R": {"Type": "Task", "Resource": "exec:echo '\"r\"'", "End": True}},
                    },
                ],
                "ResultPath": "$.both",
                "End": True,
            },
        },
    )
    row = world.start_and_run("m", {"items": [1, 2, 3, 4]})
    assert row["status"] == "succeeded"
    assert json.loads(row["output"]) == {"items": [1, 2, 3, 4], "squares": [1, 4, 9, 16], "both": ["l", "r"]}
    assert sorted(t["label"] for t in row["tasks"]) == ["R", "Sq", "Sq", "Sq", "Sq"]


def test_a_task_its_worker_does_not_hold_is_queued_again_on_its_heartbeat(world: World) -> None:
    world.define("h", {"T": {"Type": "Task", "Resource": "exec:echo '\"done\"'", "End": True}})
    world.service.start_workflow("h", 0, "{}")
    worker_id = world.service.register_worker("w")
    (lost,) = world.service.lease(worker_id, 1)
    assert world.service.heartbeat(worker_id, [("task", lost.run_id)]) == []
    assert world.service.lease(worker_id, 1) == []  # held: still this worker's
    assert world.service.heartbeat(worker_id, []) == []  # its lease's answer never arrived
    (again,) = world.service.lease(worker_id, 1)
    assert again.run_id == lost.run_id


def test_cancel_kills_the_running_task(world: World, tmp_path: Path) -> None:
    world.define("c", {"Long": {"Type": "Task", "Resource": "exec:sleep 60", "End": True}})
    row = world.service.start_workflow("c", 0, "{}")
    worker_id = world.service.register_worker("w")
    specs = world.service.lease(worker_id, 1)
    assert [s.kind for s in specs] == ["task"]
    done = world.service.cancel_workflow(row["uid"], "changed my mind")
    assert done["status"] == "cancelled" and done["status_reason"] == "changed my mind"
    assert world.service.heartbeat(worker_id) == [(("task", specs[0].run_id), "changed my mind")]
    with pytest.raises(BadInput, match="Cancellation not allowed"):
        world.service.cancel_workflow(row["uid"], "again")


def test_resume_from_a_state_links_both_workflows(world: World) -> None:
    world.define(
        "res",
        {
            "A": {"Type": "Pass", "Result": {"x": 1}, "Next": "B"},
            "B": {"Type": "Task", "Resource": "exec:exit 1", "End": True},
        },
    )
    first = world.start_and_run("res")
    assert first["status"] == "failed"
    world.service.put_state_resource("", "ok", "exec:cat")
    with pytest.raises(BadInput):
        world.service.resume_workflow(first["uid"], "Nope")
    new = world.service.resume_workflow(first["uid"], "B")
    assert new["retry_for"] == first["uid"] and new["start_at"] == "B"
    assert json.loads(world.service.workflow(first["uid"])["retries"]) == [new["uid"]]
    assert json.loads(new["input"]) == {"x": 1}
    with pytest.raises(Conflict):
        world.service.resume_workflow(first["uid"], "B")  # its retry is still running


def test_listing_pages_and_filters(world: World) -> None:
    world.define("l", {"A": {"Type": "Pass", "End": True}})
    uids = [world.service.start_workflow("l", 0, "{}")["uid"] for _ in range(5)]
    page, token = world.service.workflows("l", limit=2)
    assert [r["uid"] for r in page] == uids[::-1][:2] and token == uids[3]
    page2, token2 = world.service.workflows("l", limit=2, page_token=token)
    assert [r["uid"] for r in page2] == [uids[2], uids[1]]
    last, none = world.service.workflows("l", limit=2, page_token=token2)
    assert [r["uid"] for r in last] == [uids[0]] and none is None
    oldest, _ = world.service.workflows("l", oldest_first=True, limit=3)
    assert [r["uid"] for r in oldest] == uids[:3]
    assert len(world.service.workflows("l", status="succeeded")[0]) == 5
    assert world.service.workflows("l", resolved=False)[0] == []
    with pytest.raises(BadInput, match="page token"):
        world.service.workflows("l", page_token="not-a-uuid")
    with pytest.raises(BadInput, match="workflowDefinitionName"):
        world.service.workflows("")


def test_job_resource_runs_a_pipeline_job_with_the_input(world: World) -> None:
    text = textwrap.dedent(
        """
        jobs:
          - name: deploy
            inputs: []
            steps: ['echo "seen=$(cat $CONVEYOR_TASK_INPUT)" >> $CONVEYOR_RUN_PROPERTIES']
        """
    )
    pipeline = definitions.load_text(text, "line.yml", default_name="line")
    world.service.apply(pipeline, text, "line.yml")
    world.define("j", {"Deploy": {"Type": "Task", "Resource": "job:line/deploy", "End": True}})
    row = world.start_and_run("j", {"env": "prod"})
    assert row["status"] == "succeeded", row
    assert json.loads(row["output"]) == {"seen": '{"env":"prod"}'}


def test_empty_input_latest_version_tags_and_a_big_history(world: World) -> None:
    world.define("t", {"A": {"Type": "Pass", "End": True}})
    world.service.update_definition(
        "t", {"name": "t", "stateMachine": {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}}
    )
    for text in ("", "{}"):
        row = world.service.start_workflow("t", -1, text, tags={"k": "v"})
        assert json.loads(row["input"]) == {} and row["status"] == "succeeded"
        assert world.service.workflow(row["uid"])["definition"]["version"] == 1
    assert world.service.start_workflow("t", None, "{}")["definition_id"] != row["definition_id"]  # v0
    with pytest.raises(BadInput, match="must be a string"):
        world.service.start_workflow("t", 0, "{}", tags={"k": 1})
    with pytest.raises(BadInput, match="not a valid JSON object"):
        world.service.start_workflow("t", 0, "[1, 2]")
    with pytest.raises(BadInput, match="must be a string"):
        world.service.new_definition(
            {
                "name": "u",
                "defaultTags": {"x": 2},
                "stateMachine": {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}},
            }
        )
    # Clever's store had to hold a workflow of 4,000 jobs; this one has 4,002 states entered
    world.define(
        "big",
        {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.xs",
                "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    )
    big = world.service.start_workflow("big", 0, json.dumps({"xs": list(range(4000))}))
    assert big["status"] == "succeeded" and len(json.loads(big["output"])) == 4000
    assert len(jobs(world.service.workflow(big["uid"]))) == 4001


def test_a_lost_task_is_leased_again_or_times_out_its_heartbeat(db_url: str, tmp_path: Path) -> None:
    clock = [1_000_000.0]
    store = open_store(db_url)
    service = Service(store, Settings(home=tmp_path / "h", lease_seconds=5), clock=lambda: clock[0])
    try:
        task = {"Type": "Task", "Resource": "exec:sleep 1", "End": True}
        for name, state in (("plain", task), ("beating", {**task, "HeartbeatSeconds": 3})):
            service.new_definition({"name": name, "stateMachine": {"StartAt": "T", "States": {"T": state}}})
        plain = service.start_workflow("plain", 0, "{}")
        beating = service.start_workflow("beating", 0, "{}")
        gone = service.register_worker("gone", pid=2**22 + 12345, hostname="elsewhere")
        assert len(service.lease(gone, 2)) == 2
        clock[0] += 10  # the lease lapses: the worker is gone
        service.tick()
        assert service.workflow(beating["uid"])["status"] == "failed"
        assert service.workflow(beating["uid"])["error"] == "States.HeartbeatTimeout"
        again = service.lease(service.register_worker("new"), 2)
        assert [(s.kind, s.attempt) for s in again] == [("task", 2)]
        assert service.workflow(plain["uid"])["status"] == "running"
    finally:
        store.close()
