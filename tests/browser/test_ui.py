"""The web UI in a real browser against a real ``conveyor server`` and a real remote worker: the example
line's picture, a trigger watched live, a streamed log, an approval, a cancel with a reason, the login
page. Every wait is on a condition (Playwright's expectations or ``wait_for``), never a sleep."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.acceptance.processes import Cluster, cluster, wait_for

# the first test may install chromium (apt-get) before it starts
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webapp-line.yml"
JOBS = ["build", "test", "package", "deploy-staging", "smoke-test", "deploy-production"]
SLOW = """
jobs:
  - name: long
    steps:
      - run: echo started; sleep 60; echo never
"""
HELLO = {
    "name": "hello",
    "stateMachine": {
        "StartAt": "Greet",
        "States": {
            "Greet": {"Type": "Pass", "Result": {"greeting": "hi"}, "ResultPath": "$.out", "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    },
}


def _expect() -> Any:
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    return expect


def _apply(api: httpx.Client, source: str, file: str) -> None:
    r = api.post("/api/v1/pipelines", json={"source": source, "file": file})
    assert r.status_code == 200, r.text


def _settled(api: httpx.Client, pipeline: str) -> bool:
    runs = api.get("/api/v1/runs", params={"pipeline": pipeline, "limit": 500}).json()
    active = [r for r in runs if r["status"] in ("pending", "queued", "running")]
    return bool(runs) and not active


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[Cluster, str]]:
    """A server without auth, one remote worker, and the example line run up to its approval gate."""
    with cluster(tmp_path, f"sqlite:///{tmp_path}/ui.db", lease_seconds=2) as c:
        _, url = c.server(0, None, "--no-auth")
        c.worker(url, concurrency=2, name="remote-1")
        api = c.api(url, token="")
        _apply(api, EXAMPLE.read_text(), "webapp-line.yml")
        wait_for(lambda: _settled(api, "webapp"), 60, "the example line to reach its approval gate")
        yield c, url


def test_watch_trigger_read_approve_and_cancel(browser: Any, shots: Path, line: tuple[Cluster, str]) -> None:
    expect = _expect()
    c, url = line
    api = c.api(url, token="")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # the pipeline: every job a node, the gated job waiting
    page.goto(f"{url}/ui/pipelines/webapp")
    for job in JOBS:
        expect(page.locator(f'svg.graph a.node[data-key="j:{job}"]')).to_be_visible()
    expect(page.locator('[data-key="j:deploy-production"]')).to_have_class(re.compile(r"s-waiting_approval"))
    expect(page.locator(".live-state")).to_have_class(re.compile(r"\bon\b"))
    page.screenshot(path=shots / "pipeline.png", full_page=True)

    # Trigger: the node turns to succeeded on this very page, which never reloads
    page.evaluate("window.__stillHere = true")
    page.get_by_role("button", name="Trigger build").click()
    expect(page.locator("main > .flash")).to_contain_text("build #2")
    build = page.locator('svg.graph a.node[data-key="j:build"]')
    expect(build.locator(".sub")).to_have_text("#2 succeeded")
    expect(build).to_have_class(re.compile(r"s-succeeded"))
    assert page.evaluate("window.__stillHere") is True
    page.screenshot(path=shots / "pipeline-after-trigger.png", full_page=True)

    # the keyboard reaches the nodes, and arrows move between them
    build.focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.key") != "j:build"

    # the job's history, then its run's streamed log
    build.click()
    expect(page.locator("h1")).to_have_text("build")
    page.screenshot(path=shots / "job.png", full_page=True)
    page.get_by_role("link", name="#2", exact=True).click()
    expect(page.locator("#log")).to_contain_text("build number 2 of webapp 1.0.0")
    expect(page.locator("#log summary").first).to_have_text("generate sources")
    expect(page.locator("#log .line time").first).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    page.screenshot(path=shots / "run.png", full_page=True)

    # the version it read, on the resource page
    page.get_by_role("link", name="v1").first.click()
    expect(page.locator("h1")).to_contain_text("app-source")
    page.screenshot(path=shots / "resource.png", full_page=True)

    # approve the gated job once the new build has flowed down to it
    wait_for(lambda: _settled(api, "webapp"), 60, "the new build to reach the gate")
    page.goto(f"{url}/ui/pipelines/webapp")
    waiting = page.locator('section[aria-labelledby="waiting-h"]')
    waiting.get_by_role("link", name=re.compile("deploy-production")).click()
    expect(page.locator("[data-status-of=run]")).to_have_text("waiting approval")
    page.screenshot(path=shots / "run-waiting-approval.png", full_page=True)
    page.get_by_label("Comment").fill("ship it")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("[data-status-of=run]")).to_have_text("succeeded")
    expect(page.locator("#log")).to_contain_text("deployed webapp 1.0.0 to production")

    # cancel a running job, giving a reason
    _apply(api, textwrap.dedent(SLOW), "slow.yml")
    run = wait_for(
        lambda: next(
            iter(api.get("/api/v1/runs", params={"pipeline": "slow", "status": "running"}).json()), None
        ),
        30,
        "the long job to start",
    )

    # the job's history follows live: a new run appears, statuses change, the page never reloads
    page.goto(f"{url}/ui/pipelines/slow/jobs/long")
    expect(page.locator(".live-state")).to_have_class(re.compile(r"\bon\b"))
    page.evaluate("window.__stillHere = true")
    first = page.locator("#runs tbody tr").filter(has=page.get_by_role("link", name="#1", exact=True))
    expect(first.locator(".badge")).to_have_text("running")
    page.get_by_role("button", name="Trigger").click()
    expect(page.locator("main > .flash")).to_contain_text("long #2")
    second = page.locator("#runs tbody tr").filter(has=page.get_by_role("link", name="#2", exact=True))
    expect(second).to_be_visible()
    r = api.post(f"/api/v1/runs/{run['id']}/cancel", json={"reason": "make room"})
    assert r.status_code == 200, r.text
    expect(first.locator(".badge")).to_have_text("cancelled")
    expect(second.locator(".badge")).to_have_text("running")
    expect(page.locator("[data-status-of=job]")).to_have_text("running")
    assert page.evaluate("window.__stillHere") is True
    page.screenshot(path=shots / "job-live.png", full_page=True)

    # cancel the running one from its page, giving a reason
    second.get_by_role("link", name="#2", exact=True).click()
    expect(page.locator("#log")).to_contain_text("started")
    page.get_by_text("Cancel this run…").click()
    page.get_by_label("Why cancel it?").fill("taking too long")
    page.get_by_role("button", name="Cancel run").click()
    expect(page.locator("[data-status-of=run]")).to_have_text("cancelled")
    expect(page.locator("dl.facts")).to_contain_text("cancelled by anonymous: taking too long")
    page.screenshot(path=shots / "run-cancelled.png", full_page=True)

    # the workers, and a state-machine workflow with the path it took
    page.goto(f"{url}/ui/workers")
    expect(page.locator("table.list")).to_contain_text("remote-1")
    page.screenshot(path=shots / "workers.png", full_page=True)
    assert api.post("/workflow-definitions", json=HELLO).status_code == 201
    wf = api.post("/workflows", json={"workflowDefinition": {"name": "hello"}, "input": "{}"}).json()
    wait_for(lambda: api.get(f"/workflows/{wf['id']}").json()["status"] == "succeeded", 30, "the workflow")
    page.goto(f"{url}/ui/workflows")
    expect(page.locator("table.list")).to_contain_text("succeeded")
    page.screenshot(path=shots / "workflows.png", full_page=True)
    page.get_by_role("link", name=wf["id"][:8]).click()
    expect(page.locator('[data-key="s:Greet"]')).to_have_class(re.compile(r"s-succeeded"))
    expect(page.locator("table.states")).to_contain_text('"greeting": "hi"')
    page.screenshot(path=shots / "workflow.png", full_page=True)
    assert not errors, errors
    page.close()


def test_login_guards_every_page(browser: Any, shots: Path, tmp_path: Path) -> None:
    expect = _expect()
    with cluster(tmp_path, f"sqlite:///{tmp_path}/auth.db") as c:
        _, url = c.server(0)
        _apply(c.api(url), EXAMPLE.read_text(), "webapp-line.yml")
        viewer = c.token("viewer")
        context = browser.new_context(viewport={"width": 1200, "height": 800}, color_scheme="dark")
        page = context.new_page()

        page.goto(f"{url}/ui/pipelines/webapp")
        expect(page).to_have_url(re.compile(r"/ui/login\?next="))
        assert "deploy-production" not in page.content()
        page.screenshot(path=shots / "login.png", full_page=True)

        page.get_by_label("Token").fill("cvy_not-a-token")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_contain_text("not valid")

        page.get_by_label("Token").fill(viewer)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{url}/ui/pipelines/webapp")
        expect(page.locator('[data-key="j:deploy-production"]')).to_be_visible()
        cookie = next(k for k in context.cookies() if k["name"] == "conveyor_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        page.screenshot(path=shots / "pipeline-dark.png", full_page=True)

        # a viewer may look but not act
        page.get_by_role("button", name="Trigger build").click()
        expect(page.locator("main > .flash")).to_contain_text("needs operator")

        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile(r"/ui/login"))
        page.goto(f"{url}/ui/workers")
        expect(page).to_have_url(re.compile(r"/ui/login\?next="))
        context.close()
