"""The machine-bound worker loop against an in-process service on SQLite, with actions run on the host:
hand-off, data pull and push, refusals as events, timeouts and hooks; and the container command line."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from conveyor.worker.tink_runtime import ActionRun, ContainerRuntime, HostRuntime
from conveyor.worker.tinkerbell import Config, TinkWorker, data_refusal

ID_1 = "0eba0bf8-3772-4b4a-ab9f-6ebe93b90a95"
ID_2 = "0eba0bf8-3772-4b4a-ab9f-6ebe93b90a96"


def _hardware(hardware_id: str, mac: str) -> str:
    return json.dumps({"id": hardware_id, "network": {"interfaces": [{"dhcp": {"mac": mac}}]}})


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    store = open_store(f"sqlite:///{tmp_path}/t.db")
    service = Service(store, Settings(home=tmp_path / "home"))
    service.tink_push_hardware(_hardware(ID_1, "08:00:27:00:00:01"))
    service.tink_push_hardware(_hardware(ID_2, "08:00:27:00:00:02"))
    yield service
    store.close()


def _worker(service: Service, tmp_path: Path, hardware_id: str, max_bytes: int = 1000) -> TinkWorker:
    config = Config(hardware_id, tmp_path / hardware_id, 0.01, max_bytes)
    return TinkWorker(service, HostRuntime(), config, threading.Event(), log=lambda line: None)


def _workflow(service: Service, body: str) -> str:
    template = service.tink_create_template('version: "0.1"\nname: t\n' + body)
    devices = json.dumps({"device_1": "08:00:27:00:00:01", "device_2": "08:00:27:00:00:02"})
    return str(service.tink_create_workflow(template["id"], devices)["id"])


def _events(service: Service, wf: str) -> list[tuple[str, str, str]]:
    return [(e["action_name"], e["status"], e["message"]) for e in service.tink_workflow_events(wf)]


def test_two_workers_run_their_actions_in_turn_and_share_data(service: Service, tmp_path: Path) -> None:
    wf = _workflow(
        service,
        """
tasks:
  - name: one
    worker: "{{.device_1}}"
    environment: {A: task, B: task}
    actions:
      - name: write
        image: x
        environment: {B: action}
        command: ["sh", "-c", "printf '{\\"a\\": \\"%s\\", \\"b\\": \\"%s\\"}' $A $B > $WORKFLOW_DIR/data"]
      - name: same-machine
        image: x
        command: ["true"]
  - name: two
    worker: "{{.device_2}}"
    actions:
      - name: extend
        image: x
        command: ["sh", "-c", "printf '{\\"seen\\": %s}' \\"$(cat $WORKFLOW_DIR/data)\\" > $WORKFLOW_DIR/data"]
""",
    )
    first, second = _worker(service, tmp_path, ID_1), _worker(service, tmp_path, ID_2)
    assert second.run_once() == 0
    assert first.run_once() == 1  # both of its actions, one after the other
    assert service.tink_workflow_state(wf)["progress"] == "66%"
    assert first.run_once() == 0 and second.run_once() == 1
    assert service.tink_workflow_state(wf)["state"] == "STATE_SUCCESS"
    assert json.loads(service.tink_data(wf)) == {"seen": {"a": "task", "b": "action"}}
    assert service.tink_data_version(wf) == 2  # the unchanged data after same-machine was not pushed again
    meta = json.loads(service.tink_data(wf, 1, metadata=True))
    assert (meta["workerID"], meta["actionName"], meta["taskName"]) == (ID_1, "write", "one")


def test_oversize_and_non_object_data_are_refused_with_an_event(service: Service, tmp_path: Path) -> None:
    wf = _workflow(
        service,
        """
tasks:
  - name: one
    worker: "{{.device_1}}"
    actions:
      - name: big
        image: x
        command: ["sh", "-c", "printf '{\\"x\\": \\"%01000d\\"}' 0 > $WORKFLOW_DIR/data"]
      - name: list
        image: x
        command: ["sh", "-c", "echo '[1, 2]' > $WORKFLOW_DIR/data"]
""",
    )
    _worker(service, tmp_path, ID_1).run_once()
    assert service.tink_workflow_state(wf)["state"] == "STATE_SUCCESS"
    messages = [m for _, _, m in _events(service, wf) if m.startswith("workflow data not pushed")]
    assert messages == [
        "workflow data not pushed: /workflow/data is 1009 bytes, more than the 1000 allowed",
        "workflow data not pushed: /workflow/data must be a JSON object, not list",
    ]
    assert service.tink_data_version(wf) == 0


def test_a_timeout_kills_the_action_and_runs_on_timeout(service: Service, tmp_path: Path) -> None:
    marker = tmp_path / "on-timeout-ran"
    wf = _workflow(
        service,
        f"""
tasks:
  - name: one
    worker: "{{{{.device_1}}}}"
    actions:
      - name: slow
        image: x
        timeout: 1
        command: ["sleep", "30"]
        on-timeout: ["touch", "{marker}"]
""",
    )
    _worker(service, tmp_path, ID_1).run_once()
    assert service.tink_workflow_state(wf)["state"] == "STATE_TIMEOUT"
    assert marker.exists()
    assert _events(service, wf) == [
        ("slow", "STATE_RUNNING", "Started execution"),
        ("slow", "STATE_TIMEOUT", ""),
        ("slow", "STATE_RUNNING", "on-timeout: started"),
        ("slow", "STATE_SUCCESS", "on-timeout: exit status 0"),
    ]


def test_a_failure_runs_on_failure_and_a_failed_hook_is_recorded(service: Service, tmp_path: Path) -> None:
    wf = _workflow(
        service,
        """
tasks:
  - name: one
    worker: "{{.device_1}}"
    actions:
      - name: breaks
        image: x
        command: ["false"]
        on-failure: ["sh", "-c", "exit 4"]
""",
    )
    _worker(service, tmp_path, ID_1).run_once()
    assert service.tink_workflow_state(wf)["state"] == "STATE_FAILED"
    assert _events(service, wf)[1:] == [
        ("breaks", "STATE_FAILED", ""),
        ("breaks", "STATE_RUNNING", "on-failure: started"),
        ("breaks", "STATE_FAILED", "on-failure: exit status 4"),
    ]


def test_data_refusal_reasons() -> None:
    assert data_refusal(b'{"a": 1}', 100) is None
    assert data_refusal(b"x" * 101, 100) == (
        "workflow data not pushed: /workflow/data is 101 bytes, more than the 100 allowed"
    )
    assert "is not JSON" in str(data_refusal(b"{", 100))


def test_the_container_command_line_is_an_argument_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTAINERS_CONF", "/etc/containers.conf")
    runtime = ContainerRuntime("podman", tmp_path)
    spec = ActionRun(
        name="disk wipe",
        image="quay.io/tinkerbell-actions/image2disk:v1.0.0",
        command=("sh", "-c", "echo $(rm -rf /); true"),
        environment=("DEST_DISK=/dev/sda", "WEIRD=a b;c"),
        volumes=("/dev:/dev", "/statedir:/statedir"),
        pid="host",
        data_dir=tmp_path / "wf",
    )
    argv = runtime.argv(spec, "conveyor-disk-wipe-1")
    assert argv[argv.index("run") :] == [
        "run",
        "--rm",
        "--name",
        "conveyor-disk-wipe-1",
        "--pull=missing",
        "--privileged",
        "-v",
        f"{tmp_path / 'wf'}:/workflow",
        "-v",
        "/dev:/dev",
        "-v",
        "/statedir:/statedir",
        "-e",
        "DEST_DISK=/dev/sda",
        "-e",
        "WEIRD=a b;c",
        "--pid",
        "host",
        "--",
        "quay.io/tinkerbell-actions/image2disk:v1.0.0",
        "sh",
        "-c",
        "echo $(rm -rf /); true",
    ]
    assert argv[:1] == ["podman"] and "--cgroup-manager" in argv[: argv.index("run")]
    assert runtime.env["CONTAINERS_CONF"] == "/etc/containers.conf"


def test_a_long_poll_wakes_when_a_workflow_is_made(service: Service) -> None:
    import time

    found: list[list[dict[str, object]]] = []
    waiter = threading.Thread(target=lambda: found.append(service.tink_work(ID_1, wait=10)))
    start = time.monotonic()
    waiter.start()
    time.sleep(0.05)  # let it start waiting: what is measured is the wake-up, not this
    _workflow(
        service,
        'tasks:\n  - name: one\n    worker: "{{.device_1}}"\n    actions:\n      - {name: a, image: x}\n',
    )
    waiter.join(5)
    assert len(found) == 1 and found[0][0]["action"]["name"] == "a"
    assert time.monotonic() - start < 2


def test_the_worker_rides_out_a_server_outage(service: Service, tmp_path: Path) -> None:
    from conveyor.client import Unreachable

    wf = _workflow(
        service,
        'tasks:\n  - name: one\n    worker: "{{.device_1}}"\n    actions:\n      - {name: a, image: x, command: ["true"]}\n',
    )

    class Flaky:
        """The service, but every other call fails as if the server were down."""

        def __init__(self) -> None:
            self.calls = 0

        def __getattr__(self, name: str) -> object:
            method = getattr(service, name)

            def call(*args: object) -> object:
                self.calls += 1
                if self.calls % 2:
                    raise Unreachable("cannot reach the server")
                return method(*args)

            return call

    config = Config(ID_1, tmp_path / "w", 0.01, 1000)
    worker = TinkWorker(Flaky(), HostRuntime(), config, threading.Event(), log=lambda line: None)  # type: ignore[arg-type]
    assert worker.run_once() == 1
    assert service.tink_workflow_state(wf)["state"] == "STATE_SUCCESS"
