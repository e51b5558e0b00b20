"""The web UI in-process (Starlette's TestClient) on SQLite and PostgreSQL: every page renders from a real
store, forms act through the service, sessions and form tokens keep out what they should."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.integration.statements import count_statements

from conveyor import definitions
from conveyor.api.app import create_app
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from conveyor.testing import run_until_idle

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webapp-line.yml"
JOBS = ["build", "test", "package", "deploy-staging", "smoke-test", "deploy-production"]
RESOURCES = ["app-source", "python", "wheel", "environments"]


class Site:
    def __init__(self, service: Service, tmp: Path, auth: bool) -> None:
        self.service = service
        self.tmp = tmp
        self.client = TestClient(create_app(service, auth=auth), base_url="http://testserver")

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.client.get(url, follow_redirects=False, **kw)

    def csrf(self, url: str = "/ui/pipelines/webapp") -> str:
        """Load a page (which sets the form-token cookie) and return the token its forms carry."""
        r = self.client.get(url)
        found = re.search(r'name="csrf" value="([^"]+)"', r.text)
        assert found, r.text[:500]
        return found.group(1)

    def post(self, url: str, data: dict[str, str], csrf: str | None = None, **kw: Any) -> httpx.Response:
        token = self.csrf() if csrf is None else csrf
        return self.client.post(url, data={"csrf": token, **data}, follow_redirects=False, **kw)

    def run(self) -> list[dict[str, Any]]:
        return run_until_idle(self.service, "webapp", self.tmp / "work")


def _service(url: str, tmp: Path) -> Service:
    service = Service(open_store(url), Settings(home=tmp / "home", retry_backoff=0.01))
    service.apply(definitions.load_text(EXAMPLE.read_text(), str(EXAMPLE)), EXAMPLE.read_text(), str(EXAMPLE))
    return service


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    service = _service(db_url, tmp_path)
    s = Site(service, tmp_path, auth=False)
    s.run()
    yield s
    s.client.close()
    service.store.close()


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Site]:
    service = _service(f"sqlite:///{tmp_path}/web.db", tmp_path)
    s = Site(service, tmp_path, auth=True)
    yield s
    s.client.close()
    service.store.close()


def test_every_page_renders_from_the_store(site: Site) -> None:
    home = site.get("/")
    assert home.status_code == 200 and 'href="/ui/pipelines/webapp"' in home.text
    pipeline = site.get("/ui/pipelines/webapp")
    assert pipeline.status_code == 200
    for name in JOBS:
        assert f'data-key="j:{name}"' in pipeline.text
    for name in RESOURCES:
        assert f'data-key="r:{name}"' in pipeline.text
    assert "#1 succeeded" in pipeline.text and "waiting approval" in pipeline.text
    assert "script-src 'self'" in pipeline.headers["content-security-policy"]

    job = site.get("/ui/pipelines/webapp/jobs/build")
    assert job.status_code == 200 and "app-source v1" in job.text and "pipeline v1: new job" in job.text
    build = site.service.runs_page("webapp", "build")[0]
    run = site.get(f"/ui/runs/{build['id']}")
    assert run.status_code == 200 and "Inputs and their lineage" in run.text and "builds" in run.text
    assert site.get(f"/ui/runs/{build['id']}/log.txt").text.count("build number 1") == 1
    resource = site.get("/ui/pipelines/webapp/resources/wheel")
    assert (
        resource.status_code == 200 and "package #1" in resource.text and "deploy-staging #1" in resource.text
    )
    assert site.get("/ui/workers").status_code == 200
    assert site.get("/ui/workflows").status_code == 200


def test_missing_things_are_404_pages_not_json(site: Site) -> None:
    for url in ("/ui/pipelines/nope", "/ui/pipelines/webapp/jobs/nope", "/ui/runs/99999", "/ui/runs/abc"):
        r = site.get(url)
        assert r.status_code == 404, url
        assert r.headers["content-type"].startswith("text/html")


def test_the_run_stream_sends_status_log_and_end(site: Site) -> None:
    build = site.service.runs_page("webapp", "build")[0]
    with site.client.stream("GET", f"/ui/runs/{build['id']}/live") as r:
        body = "".join(r.iter_text())
    assert "event: status" in body and "event: end" in body
    assert "build number 1 of webapp 1.0.0" in body
    assert re.search(r"^id: \d+$", body, re.MULTILINE)


def test_the_pipeline_stream_starts_with_the_whole_state(site: Site) -> None:
    with site.client.stream("GET", "/ui/pipelines/webapp/live") as r:
        lines = r.iter_lines()
        for line in lines:
            if line.startswith("event: state"):
                data = next(lines)
                break
    assert data.startswith("data: {") and '"j:deploy-production"' in data and "waiting_approval" in data


def test_the_job_stream_sends_the_newest_runs_rendered(site: Site) -> None:
    with site.client.stream("GET", "/ui/pipelines/webapp/jobs/build/live") as r:
        lines = r.iter_lines()
        for line in lines:
            if line.startswith("event: runs"):
                data = json.loads(next(lines).removeprefix("data: "))
                break
    assert data["status"] == "succeeded"
    assert '<table class="list runs">' in data["html"] and ">#1</a>" in data["html"]
    assert "app-source v1" in data["html"]
    page = site.get("/ui/pipelines/webapp/jobs/build").text
    live = re.search(r'data-job-live="(/ui/pipelines/webapp/jobs/build/live\?mark=\w+)"', page)
    assert live and "data-inline" in page
    # opened with the mark the page was drawn at, the stream waits for a change before it sends
    site.post("/ui/pipelines/webapp/jobs/build/trigger", {})
    with site.client.stream("GET", live.group(1)) as r:
        lines = r.iter_lines()
        for line in lines:
            if line.startswith("event: runs"):
                data = json.loads(next(lines).removeprefix("data: "))
                break
    assert ">#2</a>" in data["html"]
    older = site.get("/ui/pipelines/webapp/jobs/build?before=2").text
    assert "data-job-live" not in older  # an older page stays as it was
    assert site.get("/ui/pipelines/webapp/jobs/nope/live").status_code == 404


def test_forms_trigger_pause_put_approve_and_cancel(site: Site) -> None:
    r = site.post("/ui/pipelines/webapp/jobs/test/trigger", {"back": "/ui/pipelines/webapp"})
    assert r.status_code == 303 and r.headers["location"] == "/ui/pipelines/webapp"
    assert site.service.runs_page("webapp", "test")[0]["causes"] == [{"kind": "manual", "by": "anonymous"}]

    assert site.post("/ui/pipelines/webapp/jobs/build/pause", {}).status_code == 303
    assert "Unpause" in site.get("/ui/pipelines/webapp/jobs/build").text
    assert site.post("/ui/pipelines/webapp/jobs/build/unpause", {}).status_code == 303

    r = site.post("/ui/pipelines/webapp/resources/app-source/versions", {"properties": "VERSION=2.0.0\r\n"})
    assert r.status_code == 303
    assert "app-source v2 created" in site.get(r.headers["location"]).text
    assert site.service.versions("app-source", "webapp")[0]["number"] == 2

    gate = next(r for r in site.service.open_runs("webapp") if r["job_name"] == "deploy-production")
    assert site.post(f"/ui/runs/{gate['id']}/approve", {"comment": "ship it"}).status_code == 303
    assert site.service.run(gate["id"])["status"] == "queued"

    no_reason = site.post(f"/ui/runs/{gate['id']}/cancel", {"reason": " "})
    assert no_reason.status_code == 400 and "needs a reason" in no_reason.text
    assert site.post(f"/ui/runs/{gate['id']}/cancel", {"reason": "wrong day"}).status_code == 303
    run = site.service.run(gate["id"])
    assert run["status"] == "cancelled" and "wrong day" in run["message"]


def test_user_text_is_escaped(site: Site) -> None:
    evil = '<img src=x onerror="alert(1)">'
    site.post("/ui/pipelines/webapp/resources/environments/versions", {"properties": f"note={evil}"})
    page = site.get("/ui/pipelines/webapp/resources/environments").text
    assert evil not in page and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_forms_from_elsewhere_are_refused(site: Site) -> None:
    token = site.csrf()
    url = "/ui/pipelines/webapp/jobs/build/trigger"
    before = len(site.service.runs_page("webapp", "build"))
    assert site.post(url, {}, csrf="").status_code == 403
    assert site.post(url, {}, csrf="x" * 43).status_code == 403
    assert site.post(url, {}, csrf=token, headers={"Origin": "http://evil.example"}).status_code == 403
    assert site.post(url, {}, csrf=token, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert len(site.service.runs_page("webapp", "build")) == before
    ok = site.post(
        url, {}, csrf=token, headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    )
    assert ok.status_code == 303


def test_a_page_of_runs_costs_the_same_queries_whatever_its_length(site: Site, monkeypatch: Any) -> None:
    """No query per row: the job page with 2 runs and with 7 runs issues the same statements."""

    def count() -> int:
        def load() -> None:
            assert site.get("/ui/pipelines/webapp/jobs/build").status_code == 200

        return count_statements(monkeypatch, load)

    site.post("/ui/pipelines/webapp/jobs/build/trigger", {})
    site.run()
    few = count()
    for _ in range(5):
        site.post("/ui/pipelines/webapp/jobs/build/trigger", {})
        site.run()
    assert count() == few


def test_with_auth_on_nothing_is_readable_without_a_session(locked: Site) -> None:
    for url in ("/", "/ui/pipelines/webapp", "/ui/runs/1", "/ui/workers", "/ui/workflows", "/ui/runs/1/live"):
        r = locked.get(url)
        assert r.status_code == 303 and r.headers["location"].startswith("/ui/login?next="), url
    assert locked.get("/ui/static/ui.css").status_code == 200  # no data in it; the login page needs it


def test_login_sets_a_strict_http_only_cookie_checked_like_a_bearer_token(locked: Site) -> None:
    _, viewer = locked.service.create_token("vera", "viewer")
    _, worker = locked.service.create_token("w", "worker")
    token = locked.csrf("/ui/login")
    bad = locked.post("/ui/login", {"token": "cvy_nope", "next": "/ui/workers"}, csrf=token)
    assert bad.status_code == 401 and "not valid" in bad.text
    assert locked.post("/ui/login", {"token": worker}, csrf=token).status_code == 403

    ok = locked.post("/ui/login", {"token": viewer, "next": "//evil.example/"}, csrf=token)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = ok.headers["set-cookie"].lower()
    assert "conveyor_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    page = locked.get("/ui/pipelines/webapp")
    assert page.status_code == 200 and "vera" in page.text

    refused = locked.post("/ui/pipelines/webapp/jobs/build/trigger", {})
    assert refused.status_code == 403 and "needs operator" in refused.text

    token_id = next(t["id"] for t in locked.service.tokens() if t["name"] == "vera")
    locked.service.revoke_token(token_id)
    assert locked.get("/ui/pipelines/webapp").status_code == 303


def test_no_auth_needs_no_login(site: Site) -> None:
    r = site.get("/ui/login?next=/ui/workers")
    assert r.status_code == 303 and r.headers["location"] == "/ui/workers"


def test_a_form_sent_by_the_page_script_gets_its_note_and_no_redirect(site: Site) -> None:
    r = site.post("/ui/pipelines/webapp/jobs/build/trigger", {}, headers={"X-Conveyor-Inline": "1"})
    assert r.status_code == 204 and "build%20%232" in r.headers["x-conveyor-note"]
    assert "set-cookie" not in r.headers


def test_the_workers_page_costs_two_queries_however_many_workers(site: Site, monkeypatch: Any) -> None:
    """The workers and every run they hold, in one statement each: no query per worker."""

    def count() -> int:
        def load() -> None:
            assert site.get("/ui/workers").status_code == 200

        return count_statements(monkeypatch, load)

    three = "name: three\njobs:\n" + "".join(f"  - {{name: {j}, steps: ['true']}}\n" for j in "abc")
    site.service.apply(definitions.load_text(three, "three.yml"), three, "three.yml")

    def worker_running(name: str, job: str) -> tuple[int, dict[str, Any]]:
        worker = site.service.register_worker(name, {"zone": name})
        site.service.trigger_job(job, "three")
        [spec] = site.service.lease(worker, 1, pipeline="three")
        return worker, site.service.run(spec.run_id)

    worker, run = worker_running("w-1", "a")
    few = count()
    held = [worker_running(f"w-{n}", job) for n, job in ((2, "b"), (3, "c"))]
    assert count() == few
    page = site.get("/ui/workers").text
    for w, r in [(worker, run), *held]:
        row = page.split(f'id="worker-{w}"')[1].split("</tr>")[0]
        assert f'href="/ui/runs/{r["id"]}"' in row and f"{r['job_name']} #{r['number']}" in row


def test_a_versions_consumers_are_its_newest_runs_and_their_count(site: Site) -> None:
    """The newest few runs that read a version, and how many did, without reading them all."""
    for _ in range(6):
        site.post("/ui/pipelines/webapp/jobs/build/trigger", {})
        site.run()
    runs = [r["id"] for r in site.service.runs_page("webapp", limit=500)]
    inputs = site.service.inputs_of_runs(runs)
    source = {v["number"]: v["id"] for v in site.service.versions("app-source", "webapp")}
    wheel = site.service.versions("wheel", "webapp")[-1]["id"]

    def readers(version_id: int) -> list[int]:
        return sorted(
            {r for r in runs if any(i["version_id"] == version_id for i in inputs[r])}, reverse=True
        )

    found = site.service.version_consumers([source[1], wheel, 10**9], 5)
    for version_id in (source[1], wheel):
        assert found[version_id]["total"] == len(readers(version_id)) > 0
        assert [r["id"] for r in found[version_id]["runs"]] == readers(version_id)[:5]
    assert len(readers(source[1])) > 5
    assert found[10**9] == {"total": 0, "runs": []}
    assert [r["id"] for r in site.service.version_consumers([source[1]], 1)[source[1]]["runs"]] == readers(
        source[1]
    )[:1]
    page = site.get("/ui/pipelines/webapp/resources/app-source").text
    assert f"and {len(readers(source[1])) - 5} more" in page


def test_the_picture_shows_each_jobs_latest_started_runs_inputs(site: Site) -> None:
    """A job whose newest run has not started yet still shows what its previous run read."""
    service = site.service
    started = service.runs_page("webapp", "build")[0]
    _, inputs = service.pipeline_picture("webapp")
    assert {i["run_id"] for i in inputs["build"]} == {started["id"]}
    assert inputs["build"] == service.inputs_of_runs([started["id"]])[started["id"]]

    service.trigger_job("build", "webapp")  # queued: it resolves its inputs only when it starts
    detail, after = service.pipeline_picture("webapp")
    latest = next(j["latest_run"] for j in detail["jobs"] if j["name"] == "build")
    assert latest["id"] != started["id"] and latest["started_at"] is None
    assert after["build"] == inputs["build"]
    assert set(after) == set(inputs)  # every other job too
    full = service.pipeline_detail("webapp")
    assert [j["name"] for j in detail["jobs"]] == [j["name"] for j in full["jobs"]]
    for brief, whole in zip(detail["jobs"], full["jobs"], strict=True):
        shown = ("id", "number", "status", "started_at")
        assert {k: brief["latest_run"][k] for k in shown} == {k: whole["latest_run"][k] for k in shown}
    assert {**detail, "jobs": []} == {**full, "jobs": []}
