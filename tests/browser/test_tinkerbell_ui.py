"""A Tinkerbell workflow in a real browser against a real ``conveyor server``: made over the API, its first
action run and reported over the worker protocol (as a worker does, without containers), then found on the
Workflows page's Tinkerbell tab and opened: its tasks and machines, each action's status, duration and
message, the events timeline and the ephemeral data. Every wait is on a condition, never a sleep."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.acceptance.processes import cluster
from tests.contract.test_tinkerbell_store import ID_1, ID_2, MAC_1, TWO_MACHINES, devices, hardware

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

BASE = "/api/v1/tinkerbell"


def _ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def _report(api: httpx.Client, wf: str, worker: str, task: str, action: str, state: str, **kw: Any) -> None:
    body = {"worker_id": worker, "task_name": task, "action_name": action, "action_status": state, **kw}
    _ok(api.post(f"{BASE}/workflows/{wf}/reports", json=body))


def test_a_tinkerbell_workflow_page(browser: Any, shots: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    with cluster(tmp_path, f"sqlite:///{tmp_path}/tink.db") as c:
        _, url = c.server(0, None, "--no-auth")
        api = c.api(url, token="")
        _ok(api.post(f"{BASE}/hardware", content=hardware(ID_1, MAC_1, "192.168.1.5")), 201)
        _ok(api.post(f"{BASE}/hardware", content=hardware(ID_2, "08:00:27:00:00:02", "192.168.1.6")), 201)
        template = _ok(api.post(f"{BASE}/templates", json={"data": TWO_MACHINES}), 201)["id"]
        wf = _ok(api.post(f"{BASE}/workflows", json={"template": template, "hardware": devices()}), 201)["id"]
        [work] = _ok(api.get(f"{BASE}/workers/{ID_1}/work"))
        assert work["action"]["name"] == "write"
        _report(api, wf, ID_1, "first", "write", "STATE_RUNNING", message="Started execution")
        pushed = api.put(
            f"{BASE}/workflows/{wf}/data",
            content=b'{"disk": "/dev/sda", "by": "machine one"}',
            headers={"X-Workflow-Metadata": '{"workerID": "one"}'},
        )
        assert _ok(pushed) == {"version": 1}
        _report(api, wf, ID_1, "first", "write", "STATE_SUCCESS", seconds=4, message="wrote the disk")

        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{url}/ui/workflows")
        page.get_by_role("link", name="Tinkerbell").click()
        expect(page.locator("table.list")).to_contain_text("two_machines")
        expect(page.locator("table.list")).to_contain_text("50%")
        page.screenshot(path=shots / "tinkerbell-workflows.png", full_page=True)

        page.get_by_role("link", name=wf[:8]).click()
        expect(page.locator("h1")).to_contain_text(wf)
        first = page.locator("section.task").nth(0)
        expect(first.locator("h3")).to_have_text("first")
        expect(first.locator(".worker")).to_contain_text(ID_1)
        expect(first.locator(".worker")).to_contain_text("host-192.168.1.5")
        write = first.locator('tr[data-action="write"]')
        expect(write.locator(".badge")).to_have_text("success")
        expect(write).to_contain_text("4.0 s")
        expect(write).to_contain_text("wrote the disk")
        read = page.locator("section.task").nth(1).locator('tr[data-action="read"]')
        expect(read.locator(".badge")).to_have_text("pending")
        expect(page.locator("[data-status-of=workflow] .badge")).to_have_text("running")
        expect(page.locator("ol.timeline li")).to_have_count(2)
        expect(page.locator("ol.timeline li").nth(1)).to_contain_text("wrote the disk")
        expect(page.locator("pre.data")).to_contain_text('"disk": "/dev/sda"')
        expect(page.locator("table.data-versions")).to_contain_text("workerID")
        page.screenshot(path=shots / "tinkerbell-workflow.png", full_page=True)

        # the crumb goes back to the list, filtered by this template
        page.locator(".crumbs a").click()
        expect(page).to_have_url(re.compile(r"kind=tinkerbell&template="))
        expect(page.locator("#by-template")).to_have_value(template)
        assert not errors, errors
        page.close()
