"""Tinkerbell through ``Service`` on a real store, on SQLite and on PostgreSQL: templates (soft delete, name
reuse), hardware (MAC rules), immutable workflows, the worker protocol, timeouts and ephemeral data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from conveyor.errors import BadInput, Conflict, InvalidDefinition, LimitExceeded, NotFound
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from conveyor.tinkerbell.runstate import Report
from conveyor.tinkerbell.workflow import State

ID_1 = "0eba0bf8-3772-4b4a-ab9f-6ebe93b90a95"
ID_2 = "0eba0bf8-3772-4b4a-ab9f-6ebe93b90a96"
MAC_1 = "08:00:27:00:00:01"
MAC_2 = "08:00:27:00:00:02"

TWO_MACHINES = """
version: "0.1"
name: two_machines
global_timeout: 600
tasks:
  - name: "first"
    worker: "{{.device_1}}"
    environment:
      WHO: one
    actions:
      - name: "write"
        image: writer
        timeout: 60
        command: ["sh", "-c", "echo hi"]
        on-failure: ["echo", "failed"]
  - name: "second"
    worker: "{{.device_2}}"
    actions:
      - name: "read"
        image: reader
        timeout: 60
"""


def hardware(hardware_id: str, mac: str, ip: str) -> str:
    interface = {"dhcp": {"mac": mac, "ip": {"address": ip}, "hostname": f"host-{ip}"}}
    return json.dumps({"id": hardware_id, "network": {"interfaces": [interface]}})


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[Service]:
    store = open_store(db_url)
    yield Service(store, Settings(home=tmp_path / "home", tink_data_versions=2, tink_data_limit=1000), clock)
    store.close()


def machines(service: Service) -> None:
    service.tink_push_hardware(hardware(ID_1, MAC_1.upper(), "192.168.1.5"))
    service.tink_push_hardware(hardware(ID_2, MAC_2, "192.168.1.6"))


def devices() -> str:
    return json.dumps({"device_1": MAC_1, "device_2": "192.168.1.6"})


def test_templates_soft_delete_and_name_reuse(service: Service) -> None:
    first = service.tink_create_template(TWO_MACHINES)
    assert first["name"] == "two_machines"
    with pytest.raises(Conflict, match="uidx_template_name"):
        service.tink_create_template(TWO_MACHINES)
    assert service.tink_template("two_machines")["id"] == first["id"]
    assert [t["id"] for t in service.tink_templates("TWO*")] == [first["id"]]
    assert service.tink_templates("nope*") == []
    service.tink_delete_template(first["id"])
    with pytest.raises(NotFound, match=f"not found, id:{first['id']}"):
        service.tink_template(first["id"])
    second = service.tink_create_template(TWO_MACHINES)
    assert second["id"] != first["id"]
    renamed = service.tink_update_template(second["id"], name="renamed")
    assert renamed["name"] == "renamed" and service.tink_template("renamed")["id"] == second["id"]
    with pytest.raises(InvalidDefinition, match="invalid template version"):
        service.tink_update_template(second["id"], data=TWO_MACHINES.replace('"0.1"', '"0.2"'))
    with pytest.raises(InvalidDefinition):
        service.tink_create_template("version: '0.1'\nname: x\nbogus: 1\ntasks: []\n")


def test_hardware_ids_macs_and_conflicts(service: Service) -> None:
    machines(service)
    one = service.tink_hardware(ID_1.upper())
    assert one["interfaces"] == [{"mac": MAC_1, "ip": "192.168.1.5", "hostname": "host-192.168.1.5"}]
    assert service.tink_hardware_by_mac(MAC_1.upper())["id"] == ID_1
    assert service.tink_hardware_by_ip("192.168.1.6")["id"] == ID_2
    with pytest.raises(Conflict, match=f"conflicting hardware MAC address {MAC_1} provided"):
        service.tink_push_hardware(hardware(ID_2, MAC_1, "192.168.1.6"))
    with pytest.raises(BadInput, match="invalid json, ID is required"):
        service.tink_push_hardware('{"network": {}}')
    with pytest.raises(NotFound, match="MAC address not found in the database 00:00:00:00:00:09"):
        service.tink_hardware_by_mac("00:00:00:00:00:09")
    # pushing the same id again replaces its addresses
    service.tink_push_hardware(hardware(ID_1, "08:00:27:00:00:09", "192.168.1.5"))
    with pytest.raises(NotFound):
        service.tink_hardware_by_mac(MAC_1)
    service.tink_delete_hardware(ID_1)
    assert [h["id"] for h in service.tink_hardware_list()] == [ID_2]
    with pytest.raises(NotFound, match=r"IP address not found in the database 192\.168\.1\.5"):
        service.tink_hardware_by_ip("192.168.1.5")
    # once deleted, its MAC is free for another record
    service.tink_push_hardware(hardware(ID_2, "08:00:27:00:00:09", "192.168.1.6"))


def test_workflow_creation_is_immutable_and_checks_machines(service: Service) -> None:
    machines(service)
    template = service.tink_create_template(TWO_MACHINES)
    wf = service.tink_create_workflow(template["id"], devices())
    assert wf["state"] == "STATE_PENDING" and f"worker: {MAC_1}" in wf["data"]
    by_name = service.tink_create_workflow("two_machines", devices())
    assert by_name["template_id"] == template["id"]
    service.tink_update_template(template["id"], data=TWO_MACHINES.replace("writer", "other"))
    service.tink_delete_hardware(ID_2)
    assert service.tink_workflow(wf["id"])["data"] == wf["data"]
    assert [a["worker_id"] for a in service.tink_workflow_actions(wf["id"])] == [ID_1, ID_2]
    with pytest.raises(BadInput, match=r"no worker found: ip: 192\.168\.1\.6"):
        service.tink_create_workflow(template["id"], devices())
    with pytest.raises(BadInput, match='map has no entry for key "device_2"'):
        service.tink_create_workflow(template["id"], json.dumps({"device_1": MAC_1}))
    with pytest.raises(NotFound, match="failed to get template with ID 6f0c1e4e"):
        service.tink_create_workflow("6f0c1e4e-0000-0000-0000-000000000000", devices())
    assert {w["id"] for w in service.tink_workflows()} == {wf["id"], by_name["id"]}
    service.tink_delete_workflow(by_name["id"])
    with pytest.raises(NotFound, match="does not exist"):
        service.tink_workflow(by_name["id"])
    assert service.tink_work(ID_2) == []


def _report(service: Service, work: dict, worker: str, status: State, seconds: int = 0) -> dict:
    action = work["action"]
    message = "Started execution" if status == State.RUNNING else ""
    rep = Report(work["workflow_id"], worker, action["task_name"], action["name"], status, seconds, message)
    return service.tink_report(rep)


def test_two_workers_hand_off_and_share_data(service: Service, clock: Clock) -> None:
    machines(service)
    template = service.tink_create_template(TWO_MACHINES)
    wf = service.tink_create_workflow(template["id"], devices())["id"]
    assert service.tink_work(ID_2) == []
    [work] = service.tink_work(ID_1)
    assert work["action"]["name"] == "write" and work["action"]["environment"] == ["WHO=one"]
    started = _report(service, work, ID_1, State.RUNNING)
    assert started["global_deadline"] == clock.now + 600
    assert service.tink_workflow_state(wf)["state"] == "STATE_RUNNING"
    service.tink_push_data(wf, b'{"workerID": "x"}', b'{"a": 1}')
    clock.now += 3
    done = _report(service, work, ID_1, State.SUCCESS, 3)
    assert done["work"] is None and done["context"]["progress"] == "50%"
    [handed] = service.tink_work(ID_2)
    assert handed["action"]["name"] == "read"
    assert service.tink_data(wf) == b'{"a": 1}'
    _report(service, handed, ID_2, State.RUNNING)
    service.tink_push_data(wf, b"{}", b'{"a": 1, "b": 2}')
    service.tink_push_data(wf, b"{}", b'{"a": 1, "b": 3}')
    _report(service, handed, ID_2, State.SUCCESS, 1)
    state = service.tink_workflow_state(wf)
    assert (state["state"], state["progress"], state["current_worker"]) == ("STATE_SUCCESS", "100%", ID_2)
    events = service.tink_workflow_events(wf)
    assert [(e["action_name"], e["status"]) for e in events] == [
        ("write", "STATE_RUNNING"),
        ("write", "STATE_SUCCESS"),
        ("read", "STATE_RUNNING"),
        ("read", "STATE_SUCCESS"),
    ]
    assert events[1]["seconds"] == 3 and events[0]["message"] == "Started execution"
    # two versions keep their data (this service keeps 2): version 1 keeps only its metadata
    assert service.tink_data_version(wf) == 3
    assert service.tink_data(wf, 1) == b"" and service.tink_data(wf, 1, metadata=True) == b'{"workerID": "x"}'
    assert service.tink_data(wf, 2) == b'{"a": 1, "b": 2}'
    with pytest.raises(LimitExceeded):
        service.tink_push_data(wf, b"{}", b'{"x": "' + b"y" * 1000 + b'"}')
    with pytest.raises(BadInput, match="must be JSON"):
        service.tink_push_data(wf, b"{}", b"not json")
    assert service.tink_work(ID_1) == [] and service.tink_work(ID_2) == []
    with pytest.raises(Conflict, match="has ended"):
        _report(service, handed, ID_2, State.FAILED)


def test_failure_schedules_on_failure_for_the_same_worker(service: Service) -> None:
    machines(service)
    template = service.tink_create_template(TWO_MACHINES)
    wf = service.tink_create_workflow(template["id"], devices())["id"]
    [work] = service.tink_work(ID_1)
    _report(service, work, ID_1, State.RUNNING)
    failed = _report(service, work, ID_1, State.FAILED, 1)
    hook = failed["work"]
    assert hook["hook"] == "on-failure" and hook["command"] == ["echo", "failed"]
    assert service.tink_work(ID_1) == [hook]
    assert service.tink_workflow_state(wf)["hook"] == {"kind": "on-failure", "state": "STATE_PENDING"}
    rep = Report(wf, ID_1, "first", "write", State.RUNNING, 0, "", "on-failure")
    service.tink_report(rep)
    service.tink_report(Report(wf, ID_1, "first", "write", State.SUCCESS, 0, "", "on-failure"))
    assert service.tink_work(ID_1) == []
    assert service.tink_workflow_state(wf)["state"] == "STATE_FAILED"
    assert [e["message"] for e in service.tink_workflow_events(wf)][-2:] == ["on-failure", "on-failure"]


def test_global_timeout_is_enforced_by_the_server(service: Service, clock: Clock) -> None:
    machines(service)
    template = service.tink_create_template(TWO_MACHINES.replace("global_timeout: 600", "global_timeout: 5"))
    wf = service.tink_create_workflow(template["id"], devices())["id"]
    [work] = service.tink_work(ID_1)
    _report(service, work, ID_1, State.RUNNING)
    assert service.tink_expire() == 0
    clock.now += 5
    assert service.tink_expire() == 1
    state = service.tink_workflow_state(wf)
    assert (state["state"], state["current_action"]) == ("STATE_TIMEOUT", "write")
    assert "global_timeout of 5 seconds exceeded" in service.tink_workflow_events(wf)[-1]["message"]
    with pytest.raises(Conflict, match="has ended"):
        _report(service, work, ID_1, State.SUCCESS, 6)


def test_a_note_records_an_event_without_changing_state(service: Service) -> None:
    machines(service)
    template = service.tink_create_template(TWO_MACHINES)
    wf = service.tink_create_workflow(template["id"], devices())["id"]
    [work] = service.tink_work(ID_1)
    _report(service, work, ID_1, State.RUNNING)
    service.tink_note(wf, ID_1, "data not pushed: too large")
    last = service.tink_workflow_events(wf)[-1]
    assert (last["message"], last["status"], last["action_name"]) == (
        "data not pushed: too large",
        "STATE_RUNNING",
        "write",
    )
    with pytest.raises(Conflict):
        service.tink_note(wf, ID_2, "not mine")


def test_every_real_template_is_stored_and_makes_a_workflow_for_real_hardware(service: Service) -> None:
    from tests.unit.tinkerbell._helpers import REAL_FILES
    from tests.unit.tinkerbell.test_real_files import EXPECTED

    for path in REAL_FILES:
        if path.suffix == ".json":
            service.tink_push_hardware(path.read_text())
    made = 0
    for path in REAL_FILES:
        expected = EXPECTED.get(path.name)
        if expected is None:
            continue
        if not isinstance(expected, str):
            with pytest.raises(InvalidDefinition):
                service.tink_create_template(path.read_text())
            continue
        template = service.tink_create_template(path.read_text())
        assert template["name"] == expected
        machine = "08:00:27:9e:f5:3a" if "playground" in path.name else MAC_1
        # a MAC from each real hardware file, for whichever device keys the template uses
        machines = {"device_1": machine, "device_2": "ae:fb:27:a1:c4:02"}
        service.tink_create_workflow(template["id"], json.dumps(machines))
        service.tink_delete_template(template["id"])  # several share a name
        made += 1
    assert made == 11
