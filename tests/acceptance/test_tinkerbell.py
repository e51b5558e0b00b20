"""Tinkerbell end to end: a real server, two real workers bound to two machines, actions in real podman
containers, and the CLI; the first machine's action writes /workflow/data, the second reads and extends it.
Plus a timeout with on-timeout, a failure with on-failure, a global_timeout, and refused data."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.acceptance.processes import Cluster, Proc, wait_for
from tests.acceptance.tink_containers import build_images

pytestmark = pytest.mark.slow

ID_1 = "0eba0bf8-3772-4b4a-ab9f-6ebe93b90a95"
ID_2 = "0eba0bf8-3772-4b4a-ab9f-6ebe93b90a96"
MAC_1 = "08:00:27:00:00:01"
MAC_2 = "08:00:27:00:00:02"
IMAGES = ("first-image", "quay.io/conveyor-test/second-image", "sleeper")
DEVICES = json.dumps({"device_1": MAC_1, "device_2": "192.168.1.6"})
ENDED = ("STATE_SUCCESS", "STATE_FAILED", "STATE_TIMEOUT")

HAND_OFF = r"""
version: "0.1"
name: hand_off
global_timeout: 120
tasks:
  - name: "provision"
    worker: "{{.device_1}}"
    environment:
      WHO: machine-one
      OVERRIDDEN: task
    actions:
      - name: "write-data"
        image: first-image
        timeout: 60
        environment:
          OVERRIDDEN: action
        command: ["sh", "-c", "printf '{\"by\": \"%s\", \"env\": \"%s\"}' \"$WHO\" \"$OVERRIDDEN\" > /workflow/data"]
  - name: "configure"
    worker: "{{.device_2}}"
    actions:
      - name: "extend-data"
        image: quay.io/conveyor-test/second-image
        timeout: 60
        command: ["sh", "-c", "cat /workflow/data; printf '{\"second\": \"seen\", \"before\": %s}' \"$(cat /workflow/data)\" > /workflow/data"]
"""


def _template(name: str, body: str) -> str:
    return f'version: "0.1"\nname: {name}\n' + textwrap.dedent(body)


@dataclass
class Machines:
    cluster: Cluster
    url: str
    api: httpx.Client
    out: Path
    workers: list[Proc]

    def cli(self, *args: str) -> str:
        return self.cluster.cli(*args, "--server", self.url, "--token", self.cluster.admin).stdout

    def run(self, template: str) -> str:
        """Store ``template`` (if new), make a workflow of it, wait for it to end; its id."""
        name = template.split("name: ", 1)[1].split("\n", 1)[0]
        r = self.api.get("/api/v1/tinkerbell/templates", params={"name": name})
        if not r.json():
            assert self.api.post("/api/v1/tinkerbell/templates", json={"data": template}).status_code == 201
        created = self.cli("workflow", "create", "-t", name, "-r", DEVICES)
        assert created.startswith("Created Workflow:  ")
        workflow_id = created.split()[-1]

        def ended() -> bool:
            for proc in self.workers:
                if proc.proc.poll() is not None:
                    raise AssertionError(f"a worker exited: {proc.output()}")
            state = self.api.get(f"/api/v1/tinkerbell/workflows/{workflow_id}/state").json()
            hook = state["hook"]  # an on-timeout/on-failure command owed must have run too
            return state["state"] in ENDED and (hook is None or hook["state"] in ENDED)

        wait_for(ended, 60, f"workflow {name} to end", every=0.1)
        return workflow_id

    def state(self, workflow_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api.get(f"/api/v1/tinkerbell/workflows/{workflow_id}/state").json()
        return result

    def events(self, workflow_id: str) -> list[dict[str, Any]]:
        return list(json.loads(self.cli("workflow", "events", workflow_id, "--format", "json"))["data"])


@pytest.fixture(scope="module")
def machines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Machines]:
    tmp = tmp_path_factory.mktemp("tinkerbell")
    env = build_images(tmp / "images", IMAGES)
    out = tmp / "out"
    out.mkdir()
    cluster = Cluster(tmp, f"sqlite:///{tmp}/conveyor.db")
    cluster.env.update(env)
    try:
        _, url = cluster.server(workers=0)
        api = cluster.api(url)
        for hardware_id, mac, ip in ((ID_1, MAC_1, "192.168.1.5"), (ID_2, MAC_2, "192.168.1.6")):
            doc = {
                "id": hardware_id,
                "network": {"interfaces": [{"dhcp": {"mac": mac, "ip": {"address": ip}}}]},
            }
            assert api.post("/api/v1/tinkerbell/hardware", content=json.dumps(doc)).status_code == 201
        workers = [
            _worker(cluster, url, "--mac", MAC_1.upper()),
            _worker(cluster, url, "--hardware-id", ID_2),
        ]
        for proc in workers:
            wait_for(lambda p=proc: "serving" in p.output(), 20, "a worker to start")  # type: ignore[misc]
        yield Machines(cluster, url, api, out, workers)
        for proc in workers:
            assert proc.stop() == 0, proc.output()
    finally:
        cluster.close()


def _worker(cluster: Cluster, url: str, *how: str) -> Proc:
    n = len(cluster.procs)
    env = {**cluster.env, "CONVEYOR_HOME": str(cluster.tmp / f"worker-{n}")}
    argv = [sys.executable, "-m", "conveyor", "worker", "--server", url, "--token", cluster.worker_token]
    argv += [*how, "--retry-interval", "0.1"]
    proc = Proc(argv, env, cluster.tmp / f"worker-{n}.log")
    cluster.procs.append(proc)
    return proc


def test_two_machines_hand_off_in_containers_and_share_data(machines: Machines) -> None:
    wf = machines.run(HAND_OFF.lstrip())
    state = machines.state(wf)
    assert (state["state"], state["progress"], state["current_worker"]) == ("STATE_SUCCESS", "100%", ID_2)
    events = machines.events(wf)
    assert [(e["worker_id"], e["task_name"], e["action_name"], e["status"]) for e in events] == [
        (ID_1, "provision", "write-data", "STATE_RUNNING"),
        (ID_1, "provision", "write-data", "STATE_SUCCESS"),
        (ID_2, "configure", "extend-data", "STATE_RUNNING"),
        (ID_2, "configure", "extend-data", "STATE_SUCCESS"),
    ]
    assert [e["message"] for e in events[:2]] == ["Started execution", "finished execution successfully"]
    assert all(isinstance(e["seconds"], int) for e in events)
    # version 1 was pushed by the first machine; version 2, read and extended, by the second
    assert machines.cli("workflow", "data", wf, "--latest").strip() == "Latest workflow data version: 2"
    first = {"by": "machine-one", "env": "action"}
    assert json.loads(machines.cli("workflow", "data", wf, "--version", "1")) == first
    assert json.loads(machines.cli("workflow", "data", wf)) == {"second": "seen", "before": first}
    metadata = json.loads(machines.cli("workflow", "data", wf, "--metadata"))
    assert (metadata["workerID"], metadata["actionName"], metadata["taskName"]) == (
        ID_2,
        "extend-data",
        "configure",
    )
    table = machines.cli("workflow", "state", wf)
    assert "| Workflow Progress    | 100%" in table and "STATE_SUCCESS" in table
    assert "second-image" in machines.cli("workflow", "get", wf, "--rendered")


def test_an_action_timeout_runs_on_timeout_and_ends_the_workflow(machines: Machines) -> None:
    template = _template(
        "timing_out",
        f"""
        global_timeout: 300
        tasks:
          - name: "slow"
            worker: "{{{{.device_1}}}}"
            volumes: ["{machines.out}:/out"]
            actions:
              - name: "sleep"
                image: sleeper
                timeout: 1
                command: ["sleep", "30"]
                on-timeout: ["sh", "-c", "echo ran > /out/on-timeout-ran"]
              - name: "never"
                image: sleeper
        """,
    )
    wf = machines.run(template)
    state = machines.state(wf)
    assert (state["state"], state["current_action"], state["progress"]) == ("STATE_TIMEOUT", "sleep", "0%")
    assert (machines.out / "on-timeout-ran").read_text() == "ran\n"
    events = machines.events(wf)
    assert [(e["action_name"], e["status"], e["message"]) for e in events] == [
        ("sleep", "STATE_RUNNING", "Started execution"),
        ("sleep", "STATE_TIMEOUT", ""),
        ("sleep", "STATE_RUNNING", "on-timeout: started"),
        ("sleep", "STATE_SUCCESS", "on-timeout: exit status 0"),
    ]
    assert 1 <= events[1]["seconds"] <= 15


def test_a_failing_action_runs_on_failure_and_the_next_machine_never_starts(machines: Machines) -> None:
    template = _template(
        "failing",
        f"""
        tasks:
          - name: "breaks"
            worker: "{{{{.device_1}}}}"
            actions:
              - name: "exit-3"
                image: sleeper
                command: ["sh", "-c", "echo about to fail; exit 3"]
                volumes: ["{machines.out}:/out"]
                on-failure: ["sh", "-c", "echo cleaned > /out/on-failure-ran"]
          - name: "after"
            worker: "{{{{.device_2}}}}"
            actions:
              - name: "unreached"
                image: sleeper
                command: ["true"]
        """,
    )
    wf = machines.run(template)
    assert machines.state(wf)["state"] == "STATE_FAILED"
    assert (machines.out / "on-failure-ran").read_text() == "cleaned\n"
    statuses = [(e["worker_id"], e["action_name"], e["status"]) for e in machines.events(wf)]
    assert statuses == [
        (ID_1, "exit-3", "STATE_RUNNING"),
        (ID_1, "exit-3", "STATE_FAILED"),
        (ID_1, "exit-3", "STATE_RUNNING"),
        (ID_1, "exit-3", "STATE_SUCCESS"),
    ]
    assert "about to fail" in machines.workers[0].output()


def test_global_timeout_ends_the_workflow_on_the_second_machine(machines: Machines) -> None:
    template = _template(
        "global_limit",
        """
        global_timeout: 4
        tasks:
          - name: "quick"
            worker: "{{.device_1}}"
            actions:
              - name: "fine"
                image: sleeper
                command: ["true"]
          - name: "slow"
            worker: "{{.device_2}}"
            actions:
              - name: "too-long"
                image: sleeper
                timeout: 60
                command: ["sleep", "30"]
        """,
    )
    wf = machines.run(template)
    state = machines.state(wf)
    assert (state["state"], state["current_action"], state["current_worker"]) == (
        "STATE_TIMEOUT",
        "too-long",
        ID_2,
    )
    last = machines.events(wf)[-1]
    assert last["status"] == "STATE_TIMEOUT"
    assert last["message"] == "Workflow timed out: global_timeout of 4 seconds exceeded"


def test_data_that_is_not_a_json_object_is_refused_with_an_event(machines: Machines) -> None:
    template = _template(
        "bad_data",
        """
        tasks:
          - name: "writes"
            worker: "{{.device_1}}"
            actions:
              - name: "garbage"
                image: sleeper
                command: ["sh", "-c", "echo not json > /workflow/data"]
        """,
    )
    wf = machines.run(template)
    assert machines.state(wf)["state"] == "STATE_SUCCESS"
    messages = [e["message"] for e in machines.events(wf)]
    assert any(m.startswith("workflow data not pushed: /workflow/data is not JSON") for m in messages)
    assert machines.cli("workflow", "data", wf, "--latest").strip() == "Latest workflow data version: 0"
