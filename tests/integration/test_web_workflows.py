"""The Workflows pages in-process on SQLite and PostgreSQL: every workflow listed newest first whatever its
definition, the filters, keyset pages, and a Tinkerbell workflow's page (tasks, actions, machines, events,
ephemeral data), all made through the service as the API and the worker protocol make them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.contract.test_tinkerbell_store import ID_1, ID_2, MAC_1, TWO_MACHINES, Clock, devices, hardware
from tests.integration.statements import count_statements

from conveyor.api.app import create_app
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from conveyor.tinkerbell.runstate import Report
from conveyor.tinkerbell.workflow import State


def machine(name: str, result: str) -> dict[str, Any]:
    return {
        "name": name,
        "stateMachine": {
            "StartAt": "Only",
            "States": {"Only": {"Type": "Pass", "Result": {"r": result}, "End": True}},
        },
    }


class Site:
    def __init__(self, service: Service, clock: Clock) -> None:
        self.service = service
        self.clock = clock
        self.client = TestClient(create_app(service, auth=False), base_url="http://testserver")

    def get(self, url: str, **params: str) -> httpx.Response:
        r = self.client.get(url, params=params, follow_redirects=False)
        return r

    def tick(self) -> None:
        self.clock.now += 1


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    clock = Clock()
    store = open_store(db_url)
    service = Service(store, Settings(home=tmp_path / "home"), clock)
    s = Site(service, clock)
    yield s
    s.client.close()
    store.close()


def _ids(text: str, href: str) -> list[str]:
    return re.findall(rf'href="{href}/([0-9a-f-]+)"', text)


def test_the_list_shows_every_definitions_workflows_newest_first_with_filters(
    site: Site, monkeypatch: Any
) -> None:
    service = site.service
    service.new_definition(machine("alpha", "a"))
    service.new_definition(machine("beta", "b"))
    made = []
    for name in ("alpha", "beta", "alpha", "beta", "alpha"):
        site.tick()
        made.append(service.start_workflow(name, input={})["uid"])
    page = site.get("/ui/workflows")
    assert page.status_code == 200
    assert _ids(page.text, "/ui/workflows") == made[::-1]
    assert "alpha v0" in page.text and "beta v0" in page.text

    alpha = site.get("/ui/workflows", definition="alpha")
    assert _ids(alpha.text, "/ui/workflows") == [made[4], made[2], made[0]]
    assert site.get("/ui/workflows", status="running").text.count("/ui/workflows/") == 0
    assert len(_ids(site.get("/ui/workflows", status="succeeded").text, "/ui/workflows")) == 5

    # keyset pages: two a page, then the rest, each link keeping the filters
    monkeypatch.setattr("conveyor.web.views.workflows.PAGE", 2)
    first = site.get("/ui/workflows")
    assert _ids(first.text, "/ui/workflows") == [made[4], made[3]]
    token = re.search(r'rel="next" href="/ui/workflows\?page_token=([0-9a-f-]+)"', first.text)
    assert token and token.group(1) == made[3]
    second = site.get("/ui/workflows", page_token=made[3])
    assert _ids(second.text, "/ui/workflows") == [made[2], made[1]] and "← Newest" in second.text
    last = site.get("/ui/workflows", definition="alpha", page_token=made[2])
    assert _ids(last.text, "/ui/workflows") == [made[0]] and 'rel="next"' not in last.text
    assert site.get("/ui/workflows", page_token="not-a-token").status_code == 400


def _tink(site: Site) -> tuple[str, str, str]:
    """A template on two machines, and three workflows: one done (data pushed, two reports per action),
    one whose first action failed, one never started."""
    service = site.service
    service.tink_push_hardware(hardware(ID_1, MAC_1, "192.168.1.5"))
    service.tink_push_hardware(hardware(ID_2, "08:00:27:00:00:02", "192.168.1.6"))
    template = service.tink_create_template(TWO_MACHINES)["id"]
    done = service.tink_create_workflow(template, devices())["id"]
    site.tick()
    failed = service.tink_create_workflow(template, devices())["id"]
    site.tick()
    pending = service.tink_create_workflow(template, devices())["id"]

    def report(wf: str, worker: str, task: str, action: str, state: State, seconds: int, msg: str) -> None:
        service.tink_report(Report(wf, worker, task, action, state, seconds, msg))

    report(done, ID_1, "first", "write", State.RUNNING, 0, "Started execution")
    service.tink_push_data(done, b'{"workerID": "one"}', b'{"written": "<by one>"}')
    site.clock.now += 7
    report(done, ID_1, "first", "write", State.SUCCESS, 7, "finished execution successfully")
    report(done, ID_2, "second", "read", State.RUNNING, 0, "Started execution")
    report(done, ID_2, "second", "read", State.SUCCESS, 2, "finished execution successfully")
    report(failed, ID_1, "first", "write", State.RUNNING, 0, "Started execution")
    report(failed, ID_1, "first", "write", State.FAILED, 1, "exit status 3")
    return done, failed, pending


def test_the_tinkerbell_tab_lists_and_filters_tinkerbell_workflows(site: Site) -> None:
    done, failed, pending = _tink(site)
    page = site.get("/ui/workflows", kind="tinkerbell")
    assert page.status_code == 200
    assert _ids(page.text, "/ui/tinkerbell/workflows") == [pending, failed, done]
    assert 'aria-current="page">Tinkerbell' in page.text and "two_machines" in page.text
    assert "100%" in page.text and "0%" in page.text
    assert _ids(
        site.get("/ui/workflows", kind="tinkerbell", status="failed").text, "/ui/tinkerbell/workflows"
    ) == [failed]
    template = site.service.tink_template("two_machines")["id"]
    by_template = site.get("/ui/workflows", kind="tinkerbell", template=template, status="success")
    assert _ids(by_template.text, "/ui/tinkerbell/workflows") == [done]
    # a filter value that names nothing is no filter (a deleted template, an edited URL)
    assert (
        len(_ids(site.get("/ui/workflows", kind="tinkerbell", template="x").text, "/ui/tinkerbell/workflows"))
        == 3
    )


def test_a_tinkerbell_workflows_page_shows_tasks_actions_machines_events_and_data(site: Site) -> None:
    done, failed, pending = _tink(site)
    page = site.get(f"/ui/tinkerbell/workflows/{done}")
    assert page.status_code == 200, page.text[:500]
    text = page.text
    # tasks with their machines, actions with status, duration and message
    assert '<h3 id="task-1">first</h3>' in text and '<h3 id="task-2">second</h3>' in text
    assert f"on worker <code>{ID_1}</code>" in text and "host-192.168.1.5" in text and MAC_1 in text
    assert "7.0 s" in text and "finished execution successfully" in text
    assert text.count('class="badge s-succeeded">success') >= 3  # the workflow and both actions
    # the events timeline, oldest first, and the data (escaped) with its version
    events = re.findall(r"<strong>(\w+) / (\w+)</strong>", text.split("<h2>Events</h2>")[1])
    assert events == [("first", "write"), ("first", "write"), ("second", "read"), ("second", "read")]
    assert "&lt;by one&gt;" in text and "<by one>" not in text and "Latest (version 1)" in text
    assert "23 B" in text and "workerID" in text

    bad = site.get(f"/ui/tinkerbell/workflows/{failed}").text
    assert 'class="badge s-failed">failed' in bad and "exit status 3" in bad
    assert "on-failure" in bad  # the template's on-failure command, scheduled on the same worker
    fresh = site.get(f"/ui/tinkerbell/workflows/{pending}").text
    assert "No event yet" in fresh and "No data pushed yet" in fresh
    assert fresh.count('class="badge s-pending">pending') >= 3

    missing = site.get("/ui/tinkerbell/workflows/nope")
    assert missing.status_code == 404 and "does not exist" in missing.text


def test_the_workflow_pages_cost_the_same_queries_whatever_their_length(site: Site, monkeypatch: Any) -> None:
    """No query per row: a list of 1 and of 3 Tinkerbell workflows, or of 1 and of 4 state-machine ones
    from different definitions, issue the same number of statements."""

    def count(url: str, **params: str) -> int:
        def load() -> None:
            assert site.get(url, **params).status_code == 200

        return count_statements(monkeypatch, load)

    service = site.service
    for name in ("a", "b", "c", "d"):
        service.new_definition(machine(name, name))
    service.start_workflow("a", input={})
    one = count("/ui/workflows")
    for name in ("b", "c", "d"):
        service.start_workflow(name, input={})
    assert count("/ui/workflows") == one

    service.tink_push_hardware(hardware(ID_1, MAC_1, "192.168.1.5"))
    service.tink_push_hardware(hardware(ID_2, "08:00:27:00:00:02", "192.168.1.6"))
    template = service.tink_create_template(TWO_MACHINES)["id"]
    service.tink_create_workflow(template, devices())
    one = count("/ui/workflows", kind="tinkerbell")
    service.tink_create_workflow(template, devices())
    service.tink_create_workflow(template, devices())
    assert count("/ui/workflows", kind="tinkerbell") == one
