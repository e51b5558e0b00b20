"""Tinkerbell's HTTP routes in-process: native /api/v1/tinkerbell and tink's /v1 gateway shapes, auth, errors."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette nags about httpx; it is only used in-process here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.contract.test_tinkerbell_store import ID_1, ID_2, MAC_1, TWO_MACHINES, devices, hardware

from conveyor.api.app import create_app
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    store = open_store(f"sqlite:///{tmp_path}/t.db")
    service = Service(store, Settings(home=tmp_path))
    tokens = {role: service.create_token(role, role)[1] for role in ("viewer", "operator", "admin", "worker")}
    with TestClient(create_app(service)) as client:
        yield client, tokens
    store.close()


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_native_routes_roles_and_the_worker_protocol(api: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = api
    admin, viewer, operator, worker = (_h(tokens[r]) for r in ("admin", "viewer", "operator", "worker"))
    base = "/api/v1/tinkerbell"
    assert client.post(f"{base}/templates", json={"data": TWO_MACHINES}, headers=viewer).status_code == 403
    r = client.post(f"{base}/templates", json={"data": TWO_MACHINES}, headers=admin)
    assert r.status_code == 201, r.text
    template_id = r.json()["id"]
    r = client.post(f"{base}/templates", json={"data": TWO_MACHINES}, headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    r = client.post(f"{base}/templates", json={"data": "version: '0.2'\nname: x\ntasks: []\n"}, headers=admin)
    assert r.status_code == 422 and "invalid template version" in r.json()["error"]["message"]
    for hw_id, mac, ip in ((ID_1, MAC_1, "10.0.0.1"), (ID_2, "08:00:27:00:00:02", "192.168.1.6")):
        assert (
            client.post(f"{base}/hardware", content=hardware(hw_id, mac, ip), headers=admin).status_code
            == 201
        )
    assert client.get(f"{base}/hardware", params={"mac": MAC_1}, headers=viewer).json()[0]["id"] == ID_1
    r = client.post(
        f"{base}/workflows", json={"template": template_id, "hardware": devices()}, headers=operator
    )
    assert r.status_code == 201, r.text
    wf = r.json()["id"]
    assert client.get(f"{base}/workers/{ID_1}/work", headers=viewer).status_code == 403
    [work] = client.get(f"{base}/workers/{ID_1}/work", headers=worker).json()
    body = {"worker_id": ID_1, "task_name": "first", "action_name": "write", "action_status": "STATE_RUNNING"}
    r = client.post(f"{base}/workflows/{wf}/reports", json=body, headers=worker)
    assert r.status_code == 200, r.text
    assert r.json()["context"]["current_action_state"] == "STATE_RUNNING"
    bad = {**body, "action_name": "nope", "action_status": "STATE_SUCCESS"}
    r = client.post(f"{base}/workflows/{wf}/reports", json=bad, headers=worker)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "reported action name does not match the current action details"
    r = client.put(
        f"{base}/workflows/{wf}/data", content=b'{"a": 1}', headers={**worker, "X-Workflow-Metadata": "{}"}
    )
    assert r.json() == {"version": 1}
    r = client.get(f"{base}/workflows/{wf}/data", headers=viewer)
    assert r.content == b'{"a": 1}' and r.headers["X-Data-Version"] == "1"
    assert client.get(f"{base}/workflows/{wf}/state", headers=viewer).json()["progress"] == "0%"
    assert work["action"]["name"] == "write"
    r = client.get(f"{base}/workflows/nope", headers=viewer)
    assert r.status_code == 404 and r.json()["error"]["message"] == "Workflow with id nope does not exist"


def test_tink_gateway_shapes(api: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = api
    admin = _h(tokens["admin"])
    r = client.post("/v1/templates", json={"name": "ignored", "data": TWO_MACHINES}, headers=admin)
    template_id = r.json()["id"]
    lines = client.get("/v1/templates", headers=admin).text.splitlines()
    assert [json.loads(x)["result"]["name"] for x in lines] == ["two_machines"]
    assert (
        client.post(
            "/v1/hardware", json={"data": json.loads(hardware(ID_1, MAC_1, "10.0.0.1"))}, headers=admin
        ).json()
        == {}
    )
    client.post("/v1/hardware", content=hardware(ID_2, "08:00:27:00:00:02", "192.168.1.6"), headers=admin)
    assert client.post("/v1/hardware/mac", json={"mac": MAC_1}, headers=admin).json()["id"] == ID_1
    assert client.post("/v1/hardware/ip", json={"ip": "192.168.1.6"}, headers=admin).json()["id"] == ID_2
    r = client.post("/v1/workflows", json={"template": template_id, "hardware": devices()}, headers=admin)
    wf = r.json()["id"]
    got = client.get(f"/v1/workflows/{wf}", headers=admin).json()
    assert (got["template"], got["state"]) == (template_id, "STATE_PENDING")
    context = client.get(f"/v1/workflows/{wf}/state", headers=admin).json()
    assert context["total_number_of_actions"] == "2" and context["current_action_state"] == "STATE_PENDING"
    assert client.get(f"/v1/workflows/{wf}/events", headers=admin).text == ""
    assert client.delete(f"/v1/workflows/{wf}", headers=admin).json() == {}
    r = client.delete(f"/v1/workflows/{wf}", headers=admin)
    assert r.status_code == 404 and r.json()["error"]["message"] == f"not found, id:{wf}"
    assert client.get("/v1/workflows", headers={}).status_code == 401
