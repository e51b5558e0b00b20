"""The engine end to end through ``Service`` and the local pool, on SQLite and on PostgreSQL.

Steps really run as subprocesses; each test applies a small pipeline written in the native format.
"""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from conveyor import definitions
from conveyor.errors import BadInput, Conflict, NotFound, StoreError
from conveyor.model.work import RunResult
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from conveyor.testing import run_until_idle


class World:
    """A service on a fresh store, plus shortcuts to apply YAML and run until idle."""

    def __init__(self, url: str, tmp: Path, **settings: Any) -> None:
        self.tmp = tmp
        self.settings = Settings(home=tmp / "home", retry_backoff=0.01, **settings)
        self.store = open_store(url)
        self.service = Service(self.store, self.settings)
        self.name = "line"

    def apply(self, text: str) -> Any:
        pipeline = definitions.load_text(textwrap.dedent(text), "line.yml", default_name=self.name)
        return self.service.apply(pipeline, text, "line.yml")

    def run(self, concurrency: int = 2) -> list[dict[str, Any]]:
        return run_until_idle(self.service, self.name, self.tmp / "work", concurrency)

    def jobs_run(self, finished: list[dict[str, Any]]) -> list[str]:
        return [r["job_name"] for r in finished]

    def inputs(self, run_id: int) -> dict[str, Any]:
        return {i["name"]: i for i in self.service.run(run_id)["inputs"]}


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> World:
    w = World(db_url, tmp_path)
    yield w
    w.store.close()


def test_chain_runs_in_order_once_and_second_apply_is_up_to_date(world: World) -> None:
    text = """
    jobs:
      - name: a
        steps: ["echo a"]
      - name: b
        inputs: [{job: a}]
        steps: ["echo b"]
      - name: c
        inputs: [{job: b}]
        steps: ["echo c"]
    """
    first = world.apply(text)
    assert first.changed and first.version == 1
    finished = world.run()
    assert world.jobs_run(finished) == ["a", "b", "c"]
    assert all(r["status"] == "succeeded" for r in finished)
    again = world.apply(text)
    assert not again.changed
    assert world.run() == []
    # c saw exactly the b run that triggered it
    b_run = finished[1]
    assert world.inputs(finished[2]["id"])["b"]["upstream_run_id"] == b_run["id"]
    assert world.service.logs(finished[0]["id"]).endswith(b"a\n")


def test_diamond_join_runs_once_with_latest_versions(world: World) -> None:
    world.apply(
        """
        resources:
          - {name: src, type: params, properties: {SHA: "1"}}
        jobs:
          - name: top
            inputs: [{resource: src}]
            steps: ["true"]
          - name: left
            inputs: [{job: top}]
            steps: ["sleep 0.3"]
          - name: left2
            inputs: [{job: left}]
            steps: ["true"]
          - name: right
            inputs: [{job: top}]
            steps: ["true"]
          - name: join
            inputs: [{job: left2}, {job: right}, {resource: src}]
            steps: ['test "$SHA" = 2']
        """
    )
    world.run()
    world.service.put_version("src", {"SHA": "2"})
    finished = world.run()
    names = world.jobs_run(finished)
    assert sorted(names) == ["join", "left", "left2", "right", "top"]
    assert names[-1] == "join"
    join = finished[-1]
    assert join["status"] == "succeeded"
    seen = world.inputs(join["id"])
    assert seen["src"]["version_number"] == 2
    by_job = {r["job_name"]: r["id"] for r in finished}
    assert seen["left2"]["upstream_run_id"] == by_job["left2"]
    assert seen["right"]["upstream_run_id"] == by_job["right"]


def test_fan_out_runs_in_parallel(world: World) -> None:
    jobs = "\n".join(
        f"  - name: leaf{i}\n    inputs: [{{job: root}}]\n    steps: ['sleep 0.4']" for i in range(4)
    )
    world.apply(f"jobs:\n  - name: root\n    steps: ['true']\n{jobs}\n")
    started = time.monotonic()
    finished = world.run(concurrency=4)
    assert len(finished) == 5
    assert time.monotonic() - started < 1.4  # four 0.4 s leaves at once, not one after another


def test_versions_are_immutable_numbered_and_deduplicated(world: World) -> None:
    world.apply(
        """
        resources:
          - {name: cfg, type: params, properties: {A: "1"}}
        jobs:
          - name: use
            inputs: [{resource: cfg}]
            steps: ["true"]
          - name: passive
            inputs: [{resource: cfg, trigger: false}]
            steps: ["true"]
          - name: switched
            inputs: [{resource: cfg, switch: off}]
            steps: ["true"]
        """
    )
    # new jobs with only non-triggering inputs never start by themselves
    assert world.jobs_run(world.run()) == ["use"]
    assert world.service.put_version("cfg", {"A": "1"}) is None  # identical: no new version
    v2 = world.service.put_version("cfg", {"B": "2"})
    assert v2 is not None and v2["number"] == 2 and v2["properties"] == {"A": "1", "B": "2"}
    v3 = world.service.put_version("cfg", {"C": "3"}, replace=True)
    assert v3 is not None and v3["properties"] == {"C": "3"}
    assert world.jobs_run(world.run()) == ["use"]  # coalesced: one run for two new versions
    versions = world.service.versions("cfg")
    assert [v["number"] for v in versions] == [3, 2, 1]
    assert len({v["digest"] for v in versions}) == 3
    with pytest.raises(BadInput):
        world.service.put_version("cfg", {"bad key": "x"})
    with pytest.raises(BadInput):
        world.service.put_version("cfg", {"1X": "x"})  # params keys are env names
    with pytest.raises(NotFound, match="did you mean 'cfg'"):
        world.service.put_version("cgf", {"A": "2"})


def test_outputs_make_versions_with_lineage_and_trigger_consumers(world: World) -> None:
    world.apply(
        """
        resources:
          - {name: image, type: image}
        jobs:
          - name: build
            outputs: [image]
            inputs: [{resource: image}]
            steps:
              - echo "tag=v1" >> "$CONVEYOR_OUTPUTS/image"
              - echo "url=a=b" >> "$CONVEYOR_OUTPUTS/image"
              - mkdir -p "$CONVEYOR_OUTPUTS/image.files"
              - echo hi > "$CONVEYOR_OUTPUTS/image.files/notes.txt"
          - name: test
            inputs: [{resource: image}]
            steps:
              - grep -q '"v1"' "$CONVEYOR_INPUTS/image/properties.json"
              - test "$(cat $CONVEYOR_INPUTS/image/files/notes.txt)" = hi
        """
    )
    finished = world.run()
    # build takes its own output as input: its new version does not start build again
    assert world.jobs_run(finished) == ["build", "test"]
    assert [r["status"] for r in finished] == ["succeeded", "succeeded"]
    build = world.service.run(finished[0]["id"])
    assert [(o["resource_name"], o["number"]) for o in build["outputs"]] == [("image", 1)]
    version = world.service.versions("image")[0]
    assert json.loads(version["properties"]) == {"tag": "v1", "url": "a=b"}
    assert version["run_id"] == finished[0]["id"]
    assert world.inputs(finished[1]["id"])["image"]["version_id"] == version["id"]


def test_job_state_files_are_restored_and_readable_downstream(world: World) -> None:
    world.apply(
        """
        jobs:
          - name: count
            steps:
              - n=$(cat "$CONVEYOR_STATE/n" 2>/dev/null || echo 0); echo $((n + 1)) > "$CONVEYOR_STATE/n"
          - name: read
            inputs: [{job: count}]
            steps:
              - cat "$CONVEYOR_INPUTS/count/state/n"
        """
    )
    world.run()
    world.service.trigger_job("count")
    finished = world.run()
    assert world.jobs_run(finished) == ["count", "read"]
    assert world.service.logs(finished[1]["id"]).rstrip().endswith(b"2")


def test_state_over_the_limit_fails_the_run_and_keeps_the_previous_state(db_url: str, tmp_path: Path) -> None:
    w = World(db_url, tmp_path, state_limit=1000)
    w.apply(
        """
        jobs:
          - name: grow
            steps:
              - if [ -f "$CONVEYOR_STATE/small" ]; then head -c 5000 /dev/zero > "$CONVEYOR_STATE/big"; fi
              - echo ok > "$CONVEYOR_STATE/small"
        """
    )
    assert w.run()[0]["status"] == "succeeded"
    w.service.trigger_job("grow")
    failed = w.run()[0]
    assert failed["status"] == "failed"
    assert "over the 1000 bytes limit" in failed["message"]
    assert failed["state_files"] is None
    assert b"previous state is kept" in w.service.logs(failed["id"])
    w.service.trigger_job("grow")
    third = w.run()[0]  # it sees the state of the first run, not the lost one
    assert third["status"] == "failed"
    w.store.close()


def test_shared_state_resource_writes_are_serialised_and_merged(world: World) -> None:
    world.apply(
        """
        resources:
          - {name: infra, type: state}
          - {name: go, type: params, properties: {GO: "1"}}
        jobs:
          - name: w1
            inputs: [{resource: go}, {resource: infra}]
            outputs: [infra]
            steps:
              - sleep 0.2; mkdir -p "$CONVEYOR_OUTPUTS/infra.files"
              - echo 1 > "$CONVEYOR_OUTPUTS/infra.files/one"
          - name: w2
            inputs: [{resource: go}, {resource: infra}]
            outputs: [infra]
            steps:
              - mkdir -p "$CONVEYOR_OUTPUTS/infra.files"; echo 2 > "$CONVEYOR_OUTPUTS/infra.files/two"
          - name: reader
            inputs: [{job: w1}, {job: w2}, {resource: infra}]
            steps:
              - test -f "$CONVEYOR_INPUTS/infra/files/one" && test -f "$CONVEYOR_INPUTS/infra/files/two"
        """
    )
    finished = world.run(concurrency=4)
    assert [r["status"] for r in finished] == ["succeeded"] * 3
    w1, w2 = (r for r in finished if r["job_name"] in ("w1", "w2"))
    # never both running at once
    first, second = sorted((w1, w2), key=lambda r: r["started_at"])
    assert second["started_at"] >= first["finished_at"]
    latest = world.service.versions("infra")[0]
    assert latest["number"] == 2 and set(json.loads(latest["files"])) == {"one", "two"}


def test_retries_with_backoff_then_success(world: World, tmp_path: Path) -> None:
    marker = tmp_path / "attempts"
    world.apply(
        f"""
        jobs:
          - name: flaky
            retries: 3
            retry_backoff: 0.1s
            steps:
              - echo x >> {marker}; test $(wc -l < {marker}) -ge 3
        """
    )
    finished = world.run()
    assert [(r["attempt"], r["status"]) for r in finished] == [(1, "failed"), (2, "failed"), (3, "succeeded")]
    assert finished[1]["started_at"] - finished[0]["finished_at"] >= 0.09
    assert finished[2]["started_at"] - finished[1]["finished_at"] >= 0.19  # doubled
    assert len({r["number"] for r in finished}) == 1


def test_retries_run_out(world: World) -> None:
    world.apply("jobs:\n  - name: bad\n    retries: 1\n    steps: ['exit 3']\n")
    finished = world.run()
    outcome = [(r["attempt"], r["status"], r["exit_code"]) for r in finished]
    assert outcome == [(1, "failed", 3), (2, "failed", 3)]
    assert finished[-1]["message"] == "step 'exit 3' exited with 3"


def test_timeout_kills_the_whole_process_group(world: World, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    world.apply(
        f"""
        jobs:
          - name: slow
            timeout: 1s
            steps:
              - sleep 60 & echo $! > {pidfile}; wait
            always:
              - echo cleanup
        """
    )
    started = time.monotonic()
    (run,) = world.run()
    assert time.monotonic() - started < 10
    assert run["status"] == "timed_out" and run["message"] == "timed out after 1s"
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.02)
    else:
        pytest.fail("the step's background child survived the timeout")
    assert b"cleanup" in world.service.logs(run["id"])


def test_hooks_run_on_the_right_path(world: World) -> None:
    world.apply(
        """
        jobs:
          - name: good
            steps: ["echo main"]
            on_success: ["echo yay"]
            on_failure: ["echo boo"]
            always: ["echo end"]
          - name: bad
            steps: ["false", "echo never"]
            on_success: ["echo yay"]
            on_failure: ["echo boo"]
            always: ["echo end"]
        """
    )
    finished = {r["job_name"]: r for r in world.run()}
    good = world.service.logs(finished["good"]["id"]).decode()
    bad = world.service.logs(finished["bad"]["id"]).decode()
    assert "yay" in good and "end" in good and "boo" not in good
    assert "boo" in bad and "end" in bad and "yay" not in bad and "never" not in bad
    assert finished["bad"]["status"] == "failed"


def test_approval_gate_waits_until_approved(world: World) -> None:
    world.apply(
        """
        jobs:
          - name: build
            steps: ["true"]
          - name: deploy
            inputs: [{job: build}]
            approval: manual
            steps: ["echo deployed"]
        """
    )
    (build,) = world.run()
    assert build["job_name"] == "build"
    (waiting,) = world.service.open_runs("line")
    assert waiting["status"] == "waiting_approval"
    with pytest.raises(Conflict):
        world.service.approve(build["id"])
    world.service.approve(waiting["id"], by="alice", comment="ship it")
    finished = world.run()
    assert world.jobs_run(finished) == ["deploy"] and finished[0]["status"] == "succeeded"
    kinds = [e["kind"] for e in world.service.run(waiting["id"])["events"]]
    assert "run.waiting_approval" in kinds and "run.approved" in kinds


def test_a_run_s_consumers_are_triggered_together_and_coalesce_into_open_runs(world: World) -> None:
    """One success starts all its consumers (read and inserted in one statement each): a consumer
    with a run not yet started gets the cause added to it instead of a second run."""
    world.apply(
        """
        jobs:
          - {name: root, steps: ["true"]}
          - {name: a, inputs: [{job: root}], steps: ["true"]}
          - {name: b, inputs: [{job: root}], steps: ["true"]}
          - {name: c, inputs: [{job: root}], steps: ["true"]}
        """
    )
    world.service.trigger_job("b")  # waits: its input has nothing to read yet
    first = world.run()
    assert sorted((r["job_name"], r["number"]) for r in first) == [("a", 1), ("b", 1), ("c", 1), ("root", 1)]
    (b,) = [r for r in first if r["job_name"] == "b"]
    assert [c["kind"] for c in json.loads(b["causes"])] == ["manual", "job"]
    world.service.trigger_job("root")
    second = world.run()
    assert sorted((r["job_name"], r["number"]) for r in second) == [("a", 2), ("b", 2), ("c", 2), ("root", 2)]
    assert all(
        json.loads(r["causes"]) == [{"kind": "job", "job": "root", "number": 2}]
        for r in second
        if r["job_name"] != "root"
    )


def test_downstream_of_a_failed_job_waits_instead_of_running(world: World) -> None:
    world.apply(
        """
        jobs:
          - name: build
            steps: ["exit 1"]
          - name: test
            inputs: [{job: build}]
            steps: ["true"]
        """
    )
    finished = world.run()
    assert world.jobs_run(finished) == ["build"]
    assert world.service.open_runs("line") == []  # test is started by build's success, which never came
    world.service.trigger_job("test")
    assert world.run() == []  # its input has nothing to read yet
    (pending,) = world.service.open_runs("line")
    assert pending["job_name"] == "test" and pending["status"] == "pending"


def test_lost_worker_is_recovered_and_retried(world: World) -> None:
    world.apply("jobs:\n  - name: j\n    retries: 1\n    steps: ['true']\n")
    svc = world.service
    dead = svc.register_worker("doomed")
    (spec,) = svc.lease(dead, 1, "line")
    # pretend the worker is a process on this host that has died
    with world.store.transaction() as tx:
        tx._conn.execute(  # reach under the Store to fake a dead pid
            "UPDATE workers SET pid = :pid WHERE id = :id"
            if world.store.dialect == "sqlite"
            else "UPDATE workers SET pid = %(pid)s WHERE id = %(id)s",
            {"pid": 2**22 + 12345, "id": dead},
        )
    assert svc.recover() == [spec.run_id]
    lost = svc.run(spec.run_id)
    assert lost["status"] == "errored" and "died" in lost["message"]
    finished = world.run()
    assert [(r["attempt"], r["status"]) for r in finished] == [(2, "succeeded")]
    with pytest.raises(Conflict):
        svc.complete(dead, spec.run_id, RunResult(status="succeeded"))


def test_a_run_finished_while_its_report_waits_is_not_finished_twice(world: World) -> None:
    """A report that waits for the run's locks (its lease was just recovered, say) sees the run as
    it is once they are free, not as it was when the report began: it is refused, not applied."""
    import threading

    world.apply("jobs:\n  - name: j\n    steps: ['true']\n")
    svc = world.service
    worker = svc.register_worker("w")
    (spec,) = svc.lease(worker, 1, "line")
    other = Service(open_store(world.store.url), world.settings)
    outcome: list[BaseException | None] = []
    with world.store.transaction() as tx:
        found = tx.run_to_finish(spec.run_id)
        assert found is not None
        reporter = threading.Thread(
            target=lambda: outcome.append(
                _raised(other.complete, worker, spec.run_id, RunResult("succeeded"))
            )
        )
        reporter.start()
        reporter.join(0.5)  # it waits for the locks this transaction holds
        assert reporter.is_alive()
        tx.finish_run(found[0], "errored", time.time(), None, "interrupted: lost", [], {}, None)
    reporter.join(30)
    other.store.close()
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    run = svc.run(spec.run_id)
    assert run["status"] == "errored" and run["message"] == "interrupted: lost"
    assert [e["kind"] for e in run["events"]].count("run.succeeded") == 0


class _CommitFails(Service):
    """A service whose completion fails after it has handed the leased runs on, as a commit that
    fails would: the transaction rolls back for real."""

    def _complete_all_and_lease(
        self,
        worker_id: Any,
        done: Any,
        lease: Any,
        pipeline: Any,
        labels: Any,
        workflow: Any,
        on_leased: Any = None,
    ) -> Any:
        def then_fail(leased: list[Any]) -> None:
            if on_leased is not None:
                on_leased(leased)
            raise StoreError("database error: disk I/O error")

        return super()._complete_all_and_lease(worker_id, done, lease, pipeline, labels, workflow, then_fail)


def _processes_running(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids


def test_runs_started_before_a_failed_commit_are_stopped(db_url: str, tmp_path: Path) -> None:
    """The next run starts while its lease is being committed; if that commit fails, its process
    is killed and the run stays queued for the next worker."""
    w = World(db_url, tmp_path)
    w.service = _CommitFails(w.store, w.settings)
    marker = "sleep 31.4159"
    w.apply(
        f"jobs:\n  - name: a\n    steps: ['true']\n  - name: b\n    inputs: [{{job: a}}]\n    steps: ['{marker}']\n"
    )
    with pytest.raises(StoreError):
        w.run(concurrency=1)
    assert _processes_running(marker) == []
    with w.store.read() as tx:
        line = tx.pipeline_by_name("line")
        assert line is not None
        statuses = {r["job_name"]: r["status"] for r in tx.runs_of_pipeline(line["id"])}
    assert statuses == {"a": "running"}  # a's completion was rolled back, b's run with it
    w.store.close()


def _raised(fn: Any, *args: Any) -> BaseException | None:
    try:
        fn(*args)
    except BaseException as exc:
        return exc
    return None


def test_a_run_s_start_and_end_record_its_inputs_log_and_events(world: World) -> None:
    """Starting a run writes its inputs and run.started event with it, and finishing it writes its
    status, the rest of its log (after what was streamed) and its end event, on either dialect
    (one statement each on PostgreSQL): and a run that logged nothing more adds no empty chunk."""
    world.apply(
        """
    jobs:
      - {name: a, steps: ["echo made-by-a"]}
      - {name: b, inputs: [{job: a}], steps: ["echo made-by-b"]}
    """
    )
    svc = world.service
    worker = svc.register_worker("w")
    world.run(concurrency=1)
    b_run = next(r for r in svc.runs("line") if r["job_name"] == "b")
    (a_run,) = [r for r in svc.runs("line") if r["job_name"] == "a"]
    assert world.inputs(b_run["id"])["a"]["upstream_run_id"] == a_run["id"]
    assert b"made-by-b" in svc.logs(b_run["id"])
    kinds = [e["kind"] for e in svc.run(b_run["id"])["events"]]
    assert kinds == ["run.started", "run.succeeded"]

    svc.trigger_job("b", "line")
    (spec,) = svc.lease(worker, 1, "line")
    svc.append_log(worker, spec.run_id, b"streamed\n")
    svc.complete(worker, spec.run_id, RunResult("failed", exit_code=3, message="it broke", log=b""))
    run = svc.run(spec.run_id)
    assert (run["status"], run["exit_code"], run["message"]) == ("failed", 3, "it broke")
    assert svc.logs(spec.run_id) == b"streamed\n"
    with world.store.read() as tx:
        assert [c["seq"] for c in tx.logs(spec.run_id)] == [1]
    events = run["events"]
    assert [e["kind"] for e in events] == ["run.started", "run.failed"]
    assert json.loads(events[0]["data"]) == {"worker": worker}
    assert json.loads(events[1]["data"]) == {"message": "it broke"}
    svc.trigger_job("b", "line")
    (spec,) = svc.lease(worker, 1, "line")
    svc.append_log(worker, spec.run_id, b"one\n")
    svc.complete(worker, spec.run_id, RunResult("succeeded", log=b"two\n"))
    assert svc.logs(spec.run_id) == b"one\ntwo\n"


def test_non_utf8_output_and_huge_logs_are_kept_bounded(db_url: str, tmp_path: Path) -> None:
    w = World(db_url, tmp_path, log_limit=10_000)
    w.apply(
        """
        jobs:
          - name: noisy
            steps:
              - printf 'caf\\351\\n'
              - head -c 50000 /dev/zero | tr '\\0' x
        """
    )
    (run,) = w.run()
    assert run["status"] == "succeeded"
    log = w.service.logs(run["id"])
    assert b"caf\xe9" in log
    assert len(log) < 10_200 and b"log truncated: " in log
    w.store.close()


def test_bad_output_lines_fail_the_run_clearly(world: World) -> None:
    world.apply(
        """
        resources:
          - {name: out, type: generic}
        jobs:
          - name: j
            outputs: [out]
            steps: ['echo "no equals sign" > "$CONVEYOR_OUTPUTS/out"']
        """
    )
    (run,) = world.run()
    assert run["status"] == "failed"
    assert "$CONVEYOR_OUTPUTS/out line 1: expected key=value" in run["message"]
    assert world.service.versions("out") == []


def test_changed_job_reruns_with_its_downstream(world: World) -> None:
    base = """
    jobs:
      - name: a
        steps: ["echo {msg}"]
      - name: b
        inputs: [{{job: a}}]
        steps: ["true"]
    """
    world.apply(base.format(msg="one"))
    world.run()
    result = world.apply(base.format(msg="two"))
    assert result.changed and result.version == 2
    assert world.jobs_run(world.run()) == ["a", "b"]
    assert world.service.run(world.service.runs(job="a")[0]["id"])["pipeline_version"] == 2


def test_a_failed_upstream_blocks_its_consumers_until_it_succeeds_again(world: World, tmp_path: Path) -> None:
    flag = tmp_path / "tests-fail"
    world.apply(
        f"""
        jobs:
          - name: build
            steps: ["true"]
          - name: test
            inputs: [{{job: build}}]
            steps: ["test ! -f {flag}"]
          - name: package
            inputs: [{{job: build}}, {{job: test}}]
            steps: ["true"]
          - name: report
            inputs: [{{job: test, trigger: false}}, {{job: build}}]
            steps: ["true"]
        """
    )
    assert sorted(world.jobs_run(world.run())) == ["build", "package", "report", "test"]
    flag.touch()
    world.service.trigger_job("build")
    finished = world.run()
    # package must not run on a build its test rejected; report reads the last good test
    assert sorted((r["job_name"], r["status"]) for r in finished) == [
        ("build", "succeeded"),
        ("report", "succeeded"),
        ("test", "failed"),
    ]
    (waiting,) = world.service.open_runs("line")
    assert waiting["job_name"] == "package"
    flag.unlink()
    world.service.trigger_job("test")
    assert sorted(world.jobs_run(world.run())) == ["package", "test"]


def test_the_pool_keeps_the_columns_asked_for_and_a_serving_pool_keeps_none(world: World) -> None:
    """``conveyor run`` keeps what its summary shows of each finished run; a worker serving for weeks
    (``run_forever``) keeps nothing, or it would hold every run it ever finished."""
    import threading

    from conveyor.worker.local import local_pool, run_pipeline

    world.apply("jobs:\n  - {name: a, steps: ['true']}\n  - {name: b, inputs: [{job: a}], steps: ['true']}\n")
    svc, work = world.service, world.tmp / "work"
    pool = local_pool(
        svc,
        svc.register_worker("w"),
        2,
        work_root=work,
        scratch_root=work / "scratch",
        keep_finished=("id", "status"),
    )
    run_pipeline(svc, pool, "line")
    assert [sorted(r) for r in pool.finished] == [["id", "status"]] * 2
    assert [r["status"] for r in pool.finished] == ["succeeded"] * 2

    serving = local_pool(svc, svc.register_worker("s"), 2, work_root=work, scratch_root=work / "scratch")
    svc.on_queued.append(serving.wake)
    thread = threading.Thread(target=serving.run_forever, daemon=True)
    thread.start()
    world.apply(
        "jobs:\n  - {name: a, steps: ['true', 'true']}\n  - {name: b, inputs: [{job: a}], steps: ['true']}\n"
    )
    deadline = time.monotonic() + 30
    while len(svc.runs_page("line", status="succeeded", limit=10)) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    serving.drain()
    thread.join(30)
    assert len(svc.runs_page("line", status="succeeded", limit=10)) == 4
    assert serving.finished == []


def test_runs_that_ended_together_complete_in_one_call(world: World) -> None:
    world.apply(
        """
        jobs:
          - name: a
            steps: ["true"]
          - name: b
            steps: ["true"]
          - name: c
            inputs: [{job: a}, {job: b}]
            steps: ["true"]
        """
    )
    svc = world.service
    me = svc.register_worker("batch")
    a, b = svc.lease(me, 2, "line")
    done = [("run", spec.run_id, RunResult(status="succeeded", log=b"ok\n")) for spec in (a, b)]
    rows, more = svc.complete_many_and_lease(me, done, lease=1, pipeline="line")
    assert [r["status"] for r in rows if r] == ["succeeded", "succeeded"]
    assert [s.job for s in more] == ["c"]  # both upstreams settled in the same transaction
    assert svc.run(a.run_id)["status"] == "succeeded"


_FAN_OUT = """
    resources:
      - {name: image, type: image}
    jobs:
      - {name: root, steps: ['true']}
      - {name: l0, inputs: [{job: root}], steps: ['true']}
      - {name: l1, inputs: [{job: root}], outputs: [image], steps: ['true']}
      - {name: l2, inputs: [{job: root}], steps: ['true']}
      - name: join
        inputs: [{job: l0}, {job: l1}, {job: l2}, {resource: image, trigger: false}]
        steps: ['true']
      - {name: deploy, inputs: [{resource: image}], steps: ['true']}
"""


def _open_runs_of(world: World, job: str) -> list[dict[str, Any]]:
    return [r for r in world.service.open_runs("line") if r["job_name"] == job]


def test_a_fan_out_s_runs_reported_together_trigger_the_join_once_with_every_cause(world: World) -> None:
    """Runs that succeed in one batch trigger their shared consumer once, with each one's cause in
    order, as if each had been recorded alone; a run that made a version between them (whose
    triggers read afresh) does not make a second run of the join."""
    world.apply(_FAN_OUT)
    svc = world.service
    me = svc.register_worker("batch")
    (root,) = svc.lease(me, 1, "line")
    svc.complete(me, root.run_id, RunResult(status="succeeded"))
    leaves = {spec.job: spec for spec in svc.lease(me, 3, "line")}
    assert sorted(leaves) == ["l0", "l1", "l2"]
    ok = RunResult(status="succeeded")
    made = RunResult(status="succeeded", outputs={"image": ({"tag": "v1"}, {})})
    done = [
        ("run", leaves["l0"].run_id, ok),
        ("run", leaves["l1"].run_id, made),
        ("run", leaves["l2"].run_id, ok),
    ]
    rows, more = svc.complete_many_and_lease(me, done, lease=2, pipeline="line")
    assert [r["status"] for r in rows if r] == ["succeeded"] * 3
    assert sorted(s.job for s in more) == ["deploy", "join"]
    (join,) = [r for r in svc.runs("line") if r["job_name"] == "join"]
    causes = json.loads(join["causes"])
    assert [(c["kind"], c.get("job") or c.get("resource")) for c in causes] == [
        ("job", "l0"),
        ("job", "l1"),
        ("job", "l2"),
    ]
    assert len([r for r in svc.runs("line") if r["job_name"] == "deploy"]) == 1


def test_runs_reported_together_add_their_causes_to_an_open_run_of_their_consumer(world: World) -> None:
    world.apply(_FAN_OUT)
    svc = world.service
    me = svc.register_worker("batch")
    (root,) = svc.lease(me, 1, "line")
    svc.complete(me, root.run_id, RunResult(status="succeeded"))
    leaves = {spec.job: spec for spec in svc.lease(me, 3, "line")}
    ok = RunResult(status="succeeded")
    svc.complete(me, leaves["l1"].run_id, ok)  # the join's run is made, and waits for l0 and l2
    (join,) = _open_runs_of(world, "join")
    done = [("run", leaves[job].run_id, ok) for job in ("l2", "l0")]
    _, more = svc.complete_many_and_lease(me, done, lease=1, pipeline="line")
    assert [s.job for s in more] == ["join"] and more[0].run_id == join["id"]
    after = svc.run(join["id"])
    assert [c["job"] for c in json.loads(after["causes"])] == ["l1", "l2", "l0"]
    assert len([r for r in svc.runs("line") if r["job_name"] == "join"]) == 1


def test_a_run_its_worker_does_not_hold_is_queued_again_on_its_heartbeat(world: World) -> None:
    """What a worker holds comes with its heartbeat: a run leased to it that it does not hold (the
    lease's answer was lost) is queued again, its inputs to be read anew; one it holds is kept, and
    a heartbeat that says nothing of what it holds changes nothing."""
    world.apply("jobs:\n  - {name: a, steps: ['true']}\n  - {name: b, inputs: [{job: a}], steps: ['true']}\n")
    svc = world.service
    me = svc.register_worker("w")
    (a,) = svc.lease(me, 1, "line")
    svc.complete(me, a.run_id, RunResult(status="succeeded"))
    (b,) = svc.lease(me, 1, "line")
    assert svc.heartbeat(me) == [] and svc.heartbeat(me, [("run", b.run_id)]) == []
    assert svc.run(b.run_id)["status"] == "running"
    assert svc.heartbeat(me, [("run", a.run_id)]) == []
    run = svc.run(b.run_id)
    assert (run["status"], run["worker_id"], run["started_at"], run["inputs"]) == ("queued", None, None, [])
    (again,) = svc.lease(me, 1, "line")
    assert again.run_id == b.run_id
    assert [i["upstream_run_id"] for i in svc.run(b.run_id)["inputs"]] == [a.run_id]
    svc.complete(me, b.run_id, RunResult(status="succeeded"))
    kinds = [e["kind"] for e in svc.run(b.run_id)["events"]]
    assert kinds == ["run.started", "run.handed_back", "run.started", "run.succeeded"]


def _count_batches(world: World) -> list[int]:
    svc = world.service
    batches: list[int] = []
    real = svc.complete_many_and_lease

    def counted(worker_id: Any, done: Any, *args: Any, **kwargs: Any) -> Any:
        batches.append(len(done))
        return real(worker_id, done, *args, **kwargs)

    svc.complete_many_and_lease = counted  # type: ignore[method-assign]
    return batches


@pytest.mark.parametrize("window", [0.0, 5.0])
def test_a_report_window_lets_runs_that_end_close_together_share_a_transaction(
    world: World, window: float
) -> None:
    """With a report window, a pool that saw one run end waits (up to the window) for the others in
    hand, and reports them in one call; without, each is reported as it ends."""
    from dataclasses import replace

    from conveyor.worker.local import local_pool, run_pipeline

    world.apply("jobs:\n  - {name: quick, steps: ['sleep 0.05']}\n  - {name: slow, steps: ['sleep 0.4']}\n")
    svc = world.service
    batches = _count_batches(world)
    worker = svc.register_worker("w")
    pool = local_pool(svc, worker, 2, work_root=world.tmp / "work", scratch_root=world.tmp / "scratch")
    pool.config = replace(pool.config, report_window=window)
    run_pipeline(svc, pool, "line")
    assert sorted(r["job_name"] for r in pool.finished) == ["quick", "slow"]
    assert batches == ([2] if window else [1, 1])


def test_only_postgresql_pools_wait_for_a_batch(world: World) -> None:
    from conveyor.worker.local import POSTGRES_REPORT_WINDOW, report_window

    postgres = world.store.dialect == "postgres"
    assert report_window(world.service) == (POSTGRES_REPORT_WINDOW if postgres else 0.0)
    assert 0 < POSTGRES_REPORT_WINDOW < 0.01  # a step's worth of waiting, not a poll interval


def test_a_report_sent_again_is_answered_with_the_run_as_recorded(world: World) -> None:
    """A worker whose report's answer was lost sends it again: it gets the run back (not "taken
    over"), and nothing is recorded twice; a different report of an ended run is still refused."""
    world.apply("jobs:\n  - {name: a, steps: ['true']}\n  - {name: b, inputs: [{job: a}], steps: ['true']}\n")
    svc = world.service
    me = svc.register_worker("w")
    (a,) = svc.lease(me, 1, "line")
    result = RunResult(status="succeeded", exit_code=0, log=b"ok\n")
    first = svc.complete(me, a.run_id, result)
    again = svc.complete(me, a.run_id, result)
    assert again["status"] == first["status"] == "succeeded" and again["id"] == a.run_id
    assert [e["kind"] for e in svc.run(a.run_id)["events"]] == ["run.started", "run.succeeded"]
    assert svc.logs(a.run_id) == b"ok\n"
    assert len([r for r in svc.runs("line") if r["job_name"] == "b"]) == 1
    with pytest.raises(Conflict):
        svc.complete(me, a.run_id, RunResult(status="failed", exit_code=1))
    other = svc.register_worker("other")
    with pytest.raises(Conflict):
        svc.complete(other, a.run_id, result)


def test_a_run_taken_from_the_worker_does_not_void_the_others_of_its_batch(world: World) -> None:
    world.apply("jobs:\n  - {name: a, steps: ['true']}\n  - {name: b, steps: ['true']}\n")
    svc = world.service
    me = svc.register_worker("batch")
    a, b = svc.lease(me, 2, "line")
    svc.complete(me, a.run_id, RunResult(status="failed", message="reported before"))
    done = [("run", spec.run_id, RunResult(status="succeeded")) for spec in (a, b)]
    rows, _ = svc.complete_many_and_lease(me, done)
    assert rows[0] is None and rows[1] is not None and rows[1]["status"] == "succeeded"
    assert svc.run(a.run_id)["message"] == "reported before"


def test_a_join_reads_each_upstream_s_latest_success_and_waits_for_a_failed_one(world: World) -> None:
    """A join's upstream runs and statuses are read in one statement each (not one per upstream
    job): it must still see every job's own latest successful run, and wait while one's latest
    finished run failed. New jobs are inserted in one statement: each keeps its own id."""
    flag = world.tmp / "b-fails"
    world.apply(
        f"""
        jobs:
          - {{name: a, steps: ['echo "n=a$CONVEYOR_RUN_NUMBER" >> "$CONVEYOR_RUN_PROPERTIES"']}}
          - {{name: b, steps: ['test ! -f {flag}', 'echo "n=b$CONVEYOR_RUN_NUMBER" >> "$CONVEYOR_RUN_PROPERTIES"']}}
          - {{name: c, steps: ['echo "n=c$CONVEYOR_RUN_NUMBER" >> "$CONVEYOR_RUN_PROPERTIES"']}}
          - name: join
            inputs: [{{job: a}}, {{job: b}}, {{job: c}}]
            steps: ['cat "$CONVEYOR_INPUTS"/*/properties.json > "$CONVEYOR_WORKDIR/../seen" || true']
        """
    )
    first = {r["job_name"]: r for r in world.run()}
    assert sorted(first) == ["a", "b", "c", "join"]
    assert all(r["job_id"] != first["join"]["job_id"] for n, r in first.items() if n != "join")
    assert len({r["job_id"] for r in first.values()}) == 4
    seen = world.inputs(first["join"]["id"])
    assert {n: seen[n]["upstream_run_id"] for n in "abc"} == {n: first[n]["id"] for n in "abc"}

    world.service.trigger_job("c")  # c #2 succeeds: join #2 reads a #1, b #1 and c #2
    second = {r["job_name"]: r for r in world.run()}
    assert sorted(second) == ["c", "join"]
    seen = world.inputs(second["join"]["id"])
    assert {n: seen[n]["upstream_run_id"] for n in "abc"} == {
        "a": first["a"]["id"],
        "b": first["b"]["id"],
        "c": second["c"]["id"],
    }

    flag.touch()
    world.service.trigger_job("b")  # b #2 fails
    assert [(r["job_name"], r["status"]) for r in world.run()] == [("b", "failed")]
    world.service.trigger_job("a")  # a #2 succeeds, but join waits for a good b
    assert [(r["job_name"], r["status"]) for r in world.run()] == [("a", "succeeded")]
    flag.unlink()
    world.service.trigger_job("b")
    third = {r["job_name"]: r for r in world.run()}
    assert sorted(third) == ["b", "join"]
    seen = world.inputs(third["join"]["id"])
    assert {n: seen[n]["upstream_run_id"] for n in "abc"} == {
        "a": next(r for r in world.service.runs("line") if r["job_name"] == "a")["id"],
        "b": third["b"]["id"],
        "c": second["c"]["id"],
    }


def test_applying_a_pipeline_costs_the_same_statements_for_3_jobs_or_300(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New jobs are inserted in one statement, each keeping its own id."""
    from tests.integration.statements import count_statements

    def fan_out(n: int) -> str:
        leaves = "".join(f"  - {{name: l{i}, inputs: [{{job: root}}], steps: ['true']}}\n" for i in range(n))
        return "jobs:\n  - {name: root, steps: ['true']}\n" + leaves

    counts = []
    for n in (3, 300):
        w = World(db_url, tmp_path / str(n))
        w.name = f"p{n}"
        try:
            counts.append(count_statements(monkeypatch, lambda w=w, n=n: w.apply(fan_out(n))))
            with w.store.read() as tx:
                pid = tx.pipeline_by_name(w.name)["id"]
                ids = {j["name"]: j["id"] for j in tx.jobs(pid)}
            assert sorted(ids) == sorted(["root", *(f"l{i}" for i in range(n))])
            assert len(set(ids.values())) == n + 1
            assert [r["job_id"] for r in w.run()][:1] == [ids["root"]]
        finally:
            w.store.close()
    assert counts[0] == counts[1]


def test_a_scheduling_step_reads_every_active_run_once_however_many(world: World) -> None:
    """The active runs are read lazily (PostgreSQL: a first page with the pending runs, the rest only
    when asked): all of them come, each once, and a step that stops early releases them."""
    world.apply("jobs:\n" + "".join(f"  - {{name: j{i}, steps: ['true']}}\n" for i in range(50)))
    with world.store.transaction() as tx:
        pid = tx.pipeline_by_name(world.name)["id"]
        queued = {r["id"] for r in tx.queued_runs(100, pid)}
        assert len(queued) == 50
        pending, active, _, _ = tx.pending_and_active(pid)
        assert pending == []
        rows = list(active)
        assert sorted(r["id"] for r in rows) == sorted(queued)
        assert {r["status"] for r in rows} == {"queued"}
        assert list(active) == []  # done stays done
        _, unread, _, _ = tx.pending_and_active(pid)
        assert next(unread)["status"] == "queued"
        unread.close()  # released after one row; the transaction goes on
        assert len(tx.queued_runs(100, pid)) == 50


def test_a_step_leases_the_oldest_queued_run_even_one_it_just_queued(world: World) -> None:
    """Leasing after a scheduling step takes the oldest queued runs, counting those the step itself
    queued (PostgreSQL reads the queue with the step's first reads, before it queues anything)."""
    world.apply(
        """
        resources:
          - {name: src, type: generic}
        jobs:
          - {name: u, steps: ["true"]}
          - {name: a, inputs: [{job: u}], steps: ["true"]}
          - {name: b, inputs: [{resource: src, trigger: false}], steps: ["true"]}
        """
    )
    svc = world.service
    me = svc.register_worker("one")
    (u,) = svc.lease(me, 1, "line")
    svc.trigger_job("a", "line")  # waits for u
    svc.trigger_job("b", "line")  # may go at once
    runs = {r["job_name"]: r for r in svc.runs("line")}
    assert runs["a"]["status"] == "pending" and runs["b"]["status"] == "queued"
    assert runs["a"]["id"] < runs["b"]["id"]
    _, more = svc.complete_many_and_lease(me, [("run", u.run_id, RunResult(status="succeeded"))], 1, "line")
    assert [s.job for s in more] == ["a"]  # queued by this step, older than b
    _, more = svc.complete_many_and_lease(
        me, [("run", more[0].run_id, RunResult(status="succeeded"))], 1, "line"
    )
    assert [s.job for s in more] == ["b"]
    assert svc.run(more[0].run_id)["status"] == "running"


def test_a_lease_reads_the_upstream_runs_with_the_scheduling_step_and_never_a_stale_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the upstream runs a step's lease reads (a chain's predecessor, just finished; a
    fan-out's root, which the last leases read), and their last statuses the step's decision reads,
    come in the scheduling step's round trip, not in one each; they are read in that transaction,
    so a newer success of the root is what the next lease reads."""
    world.apply(
        """
        jobs:
          - {name: root, steps: ["true"]}
          - {name: l1, inputs: [{job: root}], steps: ["true"]}
          - {name: l2, inputs: [{job: root}], steps: ["true"]}
        """
    )
    svc = world.service
    me, other = svc.register_worker("me"), svc.register_worker("other")
    from conveyor.store.sql.store import SqlTx

    read_alone: list[tuple[str, list[int]]] = []
    originals = {name: getattr(SqlTx, name) for name in ("last_succeeded_runs", "last_finished_statuses")}
    for name in originals:

        def spy(self: Any, job_ids: list[int], _name: str = name) -> Any:
            read_alone.append((_name, job_ids))
            return originals[_name](self, job_ids)

        monkeypatch.setattr(SqlTx, name, spy)

    def done(run_id: int, n: str, worker: int = me, lease: int = 1) -> list[Any]:
        return svc.complete_many_and_lease(
            worker, [("run", run_id, RunResult(status="succeeded", properties={"n": n}))], lease, "line"
        )[1]

    def root_n(spec: Any) -> str:
        (inp,) = spec.inputs
        return str(inp.properties["n"])

    (root,) = svc.lease(me, 1, "line")
    (first,) = done(root.run_id, "1")  # the chain's case: root just finished in this step
    (second,) = done(first.run_id, "x")  # the fan-out's: root read by the last lease
    assert [root_n(first), root_n(second)] == ["1", "1"]
    postgres = world.store.dialect == "postgres"
    if postgres:
        assert read_alone == []
    svc.trigger_job("root", "line")
    (again,) = svc.lease(other, 1, "line")
    assert again.job == "root"
    done(again.run_id, "2", worker=other, lease=0)  # (a step that leases nothing reads nothing ahead)
    read_alone.clear()
    (third,) = done(second.run_id, "x")
    assert third.job == "l1" and root_n(third) == "2"
    if postgres:
        assert read_alone == []


def _count_round_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The PostgreSQL connection's calls that wait for the server, named in order, from now until
    ``monkeypatch.undo()``."""
    from conveyor.store.sql.connection import PostgresConnection

    waits: list[str] = []
    originals = {
        name: getattr(PostgresConnection, name) for name in ("execute", "execute_together", "iterate")
    }
    for name in originals:

        def spy(self: Any, *args: Any, _name: str = name) -> Any:
            waits.append(_name)
            return originals[_name](self, *args)

        monkeypatch.setattr(PostgresConnection, name, spy)
    return waits


def test_a_chain_s_step_waits_for_postgresql_twice_before_its_commit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Completing a chain's run, triggering and queueing the next and leasing it: the run to finish
    (with its consumer's open runs), then the scheduling reads (with the queue, the upstream run and
    its status); every write goes out with them, or with the commit."""
    if world.store.dialect != "postgres":
        pytest.skip("SQLite has no round trips")
    world.apply("jobs:\n  - {name: a, steps: ['true']}\n  - {name: b, inputs: [{job: a}], steps: ['true']}\n")
    svc = world.service
    me = svc.register_worker("me")
    (a,) = svc.lease(me, 1, "line")
    waits = _count_round_trips(monkeypatch)
    _, (b,) = svc.complete_many_and_lease(me, [("run", a.run_id, RunResult(status="succeeded"))], 1, "line")
    monkeypatch.undo()
    assert b.job == "b" and b.number == 1
    assert waits == ["execute_together", "execute_together"]


def test_a_fan_out_s_runs_reported_together_wait_for_postgresql_twice_before_the_commit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both runs' rows and their join's open runs in one round trip, then the scheduling reads:
    two runs that ended together cost the round trips of one."""
    if world.store.dialect != "postgres":
        pytest.skip("SQLite has no round trips")
    world.apply(
        "jobs:\n  - {name: a, steps: ['true']}\n  - {name: b, steps: ['true']}\n  - {name: c, steps: ['true']}\n"
        "  - {name: join, inputs: [{job: a}, {job: b}, {job: c}], steps: ['true']}\n"
    )
    svc = world.service
    me = svc.register_worker("me")
    specs = svc.lease(me, 3, "line")
    waits = _count_round_trips(monkeypatch)
    done = [("run", spec.run_id, RunResult(status="succeeded")) for spec in specs[:2]]
    rows, more = svc.complete_many_and_lease(me, done, 1, "line")
    monkeypatch.undo()
    assert [r["status"] for r in rows if r] == ["succeeded", "succeeded"] and more == []
    assert waits == ["execute_together", "execute_together"]
    (join,) = _open_runs_of(world, "join")
    assert [c["job"] for c in json.loads(join["causes"])] == [specs[0].job, specs[1].job]


def _fan_out(world: World, leaves: list[str]) -> None:
    """root -> one leaf per step given -> join."""
    lines = ["jobs:", "  - {name: root, steps: ['true']}"]
    lines += [
        f"  - {{name: l{i}, inputs: [{{job: root}}], steps: [{step!r}]}}" for i, step in enumerate(leaves)
    ]
    joins = ", ".join(f"{{job: l{i}}}" for i in range(len(leaves)))
    lines.append(f"  - {{name: join, inputs: [{joins}], steps: ['true']}}")
    world.apply("\n".join(lines) + "\n")


def _pool(world: World, concurrency: int, listener: Any = None, **config: Any) -> Any:
    from dataclasses import replace

    from conveyor.worker.local import local_pool

    worker = world.service.register_worker("w")
    pool = local_pool(
        world.service,
        worker,
        concurrency,
        listener=listener,
        work_root=world.tmp / "work",
        scratch_root=world.tmp / "scratch",
        prefetch=True,
    )
    pool.config = replace(pool.config, **config)
    return pool


@pytest.mark.parametrize("prefetch", [0, 4])
def test_a_pool_that_leases_ahead_reports_a_fan_out_s_ends_in_batches(world: World, prefetch: int) -> None:
    """Leasing runs ahead, a pool starts each as a slot frees and holds the ends meanwhile: a batch
    of ``prefetch`` ends per transaction. A chain's ends (root, join) have nothing to wait for."""
    from conveyor.worker.local import run_pipeline

    _fan_out(world, ["true"] * 9)
    batches = _count_batches(world)
    pool = _pool(world, 1, prefetch=prefetch, hold_seconds=30.0)
    run_pipeline(world.service, pool, "line")
    names = [r["job_name"] for r in pool.finished]
    assert names[0] == "root" and names[-1] == "join" and sorted(names[1:-1]) == [f"l{i}" for i in range(9)]
    assert all(r["status"] == "succeeded" for r in pool.finished)
    assert sum(batches) == 11
    assert batches == ([1] * 11 if not prefetch else [1, 4, 4, 1, 1])
    join = next(r for r in world.service.runs("line") if r["job_name"] == "join")
    assert {i["name"] for i in world.service.run(join["id"])["inputs"]} == {f"l{i}" for i in range(9)}


def test_an_end_held_for_a_batch_is_reported_within_the_hold_time(world: World) -> None:
    """A run that ended is not held longer than ``hold_seconds`` behind a long run leased ahead."""
    from conveyor.worker.local import run_pipeline

    _fan_out(world, ["true", "sleep 1", "true"])
    batches = _count_batches(world)
    reported: dict[str, float] = {}
    pool = _pool(
        world,
        1,
        listener=lambda kind, spec, row: reported.setdefault(f"{kind} {spec.job}", time.monotonic()),
        hold_seconds=0.05,
    )
    run_pipeline(world.service, pool, "line")
    assert all(r["status"] == "succeeded" for r in pool.finished)
    assert reported["finished l0"] < reported["finished l1"] - 0.5  # not held until l1 ended
    assert batches[:2] == [1, 1]


def test_a_run_leased_ahead_and_cancelled_before_it_starts_never_runs(db_url: str, tmp_path: Path) -> None:
    """Its cancellation comes with the pool's heartbeat, as a running run's does: it is reported
    cancelled without a step spawned, and the runs around it still run."""
    from conveyor.worker.local import run_pipeline

    world = World(db_url, tmp_path, lease_seconds=0.6)  # a heartbeat every 0.2 s
    ran = tmp_path / "l2-ran"
    _fan_out(world, ["sleep 1", "true", f"touch {ran}", "true"])
    svc = world.service

    def cancel_l2(kind: str, spec: Any, row: Any) -> None:
        if kind == "finished" and spec.job == "root":
            (l2,) = [r for r in svc.runs("line") if r["job_name"] == "l2"]
            assert l2["status"] == "running"  # leased (ahead), not started
            svc.cancel(l2["id"], "not wanted")

    pool = _pool(world, 1, listener=cancel_l2)
    try:
        run_pipeline(svc, pool, "line")
        status = {r["job_name"]: r["status"] for r in svc.runs("line") if r["job_name"] != "join"}
        assert status == {
            "root": "succeeded",
            "l0": "succeeded",
            "l1": "succeeded",
            "l2": "cancelled",
            "l3": "succeeded",
        }
        (l2,) = [r for r in svc.runs("line") if r["job_name"] == "l2"]
        assert "not wanted" in (svc.run(l2["id"])["message"] or "")
        assert not ran.exists()
    finally:
        world.store.close()


def test_a_stopped_pool_queues_the_runs_it_leased_ahead_again(world: World) -> None:
    """Stopped (Ctrl-C, SIGTERM), the pool cancels what runs and hands back what it leased ahead,
    never started: queued again for the next worker, not errored."""
    from conveyor.errors import Interrupted
    from conveyor.worker.local import run_pipeline

    _fan_out(world, ["sleep 5", "true", "true"])
    svc = world.service

    def stop_after_root(kind: str, spec: Any, row: Any) -> None:
        if kind == "finished" and spec.job == "root":
            raise Interrupted()

    pool = _pool(world, 1, listener=stop_after_root)
    with pytest.raises(Interrupted):
        run_pipeline(svc, pool, "line")
    runs = {r["job_name"]: r for r in svc.runs("line")}
    assert runs["l0"]["status"] == "cancelled"
    for name in ("l1", "l2"):
        assert (runs[name]["status"], runs[name]["worker_id"]) == ("queued", None)
        kinds = [e["kind"] for e in svc.run(runs[name]["id"])["events"]]
        assert kinds[-2:] == ["run.started", "run.handed_back"]


def test_a_step_that_cannot_start_errors_the_run_and_its_hooks_still_get_their_turn(world: World) -> None:
    """The spawner's failure comes back to the loop: the run errors (not fails: no step of it ran
    to an exit code), the failure path's steps are tried, and the run is reported once."""
    world.apply(
        """
        jobs:
          - name: a
            steps: ["rmdir \\"$CONVEYOR_WORKDIR\\"", "echo never"]
            on_failure: ["echo hook"]
        """
    )
    (run,) = world.run()
    assert run["status"] == "errored"
    assert run["message"].startswith("step 'echo never' could not start:")
    steps = json.loads(run["steps"]) if isinstance(run["steps"], str) else run["steps"]
    assert [(s["phase"], s["label"], s["exit_code"]) for s in steps] == [
        ("steps", 'rmdir "$CONVEYOR_WORKDIR"', 0),
        ("steps", "echo never", None),
        ("on_failure", "echo hook", None),  # the same missing work dir
    ]
    lines = world.service.logs(run["id"]).splitlines()
    assert "▶ echo never".encode() in lines and b"never" not in lines  # announced, never run


def test_a_batch_s_ends_and_starts_are_written_in_one_statement_each(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reported together, runs end together (PostgreSQL: one statement for their statuses, logs and
    events; SQLite: one executemany for each), and the runs leased with them start together
    (statuses, inputs, events); each run's row, log, inputs and events are as if written one by
    one, in order."""
    _fan_out(world, ["true"] * 6)
    svc = world.service
    me = svc.register_worker("me")
    (root,) = svc.lease(me, 1, "line")
    svc.complete(me, root.run_id, RunResult(status="succeeded"))
    first = svc.lease(me, 3, "line")
    from conveyor.store.sql.connection import PostgresConnection, SqliteConnection

    connection = PostgresConnection if world.store.dialect == "postgres" else SqliteConnection
    sent: list[str] = []
    real = connection.execute_combined

    def spy(self: Any, sql: str, params: dict[str, Any]) -> None:
        sent.append(sql)
        real(self, sql, params)

    real_send = connection._send_combined
    batches: list[int] = []

    def send(self: Any) -> None:
        batches.append(len(self._combined[1]))
        real_send(self)

    monkeypatch.setattr(connection, "execute_combined", spy)
    monkeypatch.setattr(connection, "_send_combined", send)
    logs = [f"log of {s.job}\n".encode() for s in first]
    done = [
        ("run", s.run_id, RunResult(status="succeeded", exit_code=0, log=log))
        for s, log in zip(first, logs, strict=True)
    ]
    rows, more = svc.complete_many_and_lease(me, done, 3, "line")
    monkeypatch.undo()
    assert len(sent) == 6 and batches == [3, 3]  # three ends, then three starts
    assert [r["status"] for r in rows] == ["succeeded"] * 3
    assert [s.job for s in more] == ["l3", "l4", "l5"]
    for spec, log in zip(first, logs, strict=True):
        run = svc.run(spec.run_id)
        assert (run["status"], run["exit_code"], run["finished_at"] is not None) == ("succeeded", 0, True)
        assert svc.logs(spec.run_id) == log
        assert [e["kind"] for e in run["events"]] == ["run.started", "run.succeeded"]
    for spec in more:
        run = svc.run(spec.run_id)
        assert (run["status"], run["worker_id"]) == ("running", me)
        assert [(i["name"], i["upstream_run_id"]) for i in run["inputs"]] == [("root", root.run_id)]
        assert [e["kind"] for e in run["events"]] == ["run.started"]
    ends = [e for e in svc.events(pipeline="line", limit=1000) if e["kind"] == "run.succeeded"][-3:]
    assert [e["run_id"] for e in ends] == [s.run_id for s in first]  # in the order reported


def test_combined_writes_go_out_before_a_savepoint_and_are_undone_with_it(world: World) -> None:
    """A write combined before a nested transaction is sent before it, so the nested one's rollback
    keeps it; one combined inside the nested transaction is undone with it."""
    if world.store.dialect != "postgres":
        pytest.skip("SQLite nests no transaction (it has one write lock, and no savepoints here)")
    world.apply("jobs:\n  - {name: a, steps: ['true']}\n  - {name: b, steps: ['true']}\n")
    svc = world.service
    me = svc.register_worker("me")
    a, b = svc.lease(me, 2, "line")
    store: Any = world.store
    with store.transaction() as tx:
        run_a = tx.run_to_finish(a.run_id)[0]
        tx.finish_run(run_a, "succeeded", time.time(), 0, "", [], {}, None, b"a\n")
        with pytest.raises(RuntimeError), store.transaction() as inner:
            run_b = inner.run_to_finish(b.run_id)[0]
            inner.finish_run(run_b, "failed", time.time(), 1, "", [], {}, None, None)
            raise RuntimeError("undo the savepoint")
    assert svc.run(a.run_id)["status"] == "succeeded" and svc.logs(a.run_id) == b"a\n"
    assert svc.run(b.run_id)["status"] == "running"


def test_a_pool_leases_ahead_only_while_runs_are_quick(world: World) -> None:
    """Runs that take longer than ``prefetch_below`` are leased a slot at a time: a run leased ahead
    would show as running while it waits, and their transactions are no cost worth saving."""
    from conveyor.worker.local import run_pipeline

    _fan_out(world, ["sleep 0.2"] * 5)
    svc = world.service
    asked: list[int] = []
    real = svc.complete_many_and_lease

    def counted(worker_id: Any, done: Any, lease: int = 0, *args: Any, **kwargs: Any) -> Any:
        asked.append(lease)
        return real(worker_id, done, lease, *args, **kwargs)

    svc.complete_many_and_lease = counted  # type: ignore[method-assign]
    pool = _pool(world, 1, prefetch=2, prefetch_below=0.1)
    run_pipeline(svc, pool, "line")
    assert all(r["status"] == "succeeded" for r in pool.finished)
    assert asked[0] == 3, asked  # root was quick: its slot and two ahead
    assert max(asked[1:-1]) <= 1, asked  # the leaves took 0.2 s: a free slot's worth, or none
    assert asked[-1] == 3  # the join was quick again
