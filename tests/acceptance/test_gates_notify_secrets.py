"""A gated job, a webhook notification and a masked secret, through a real server, a real remote worker
and the real CLI, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.acceptance.processes import cluster, wait_for
from tests.receiver import receiver

from conveyor.notify.webhook import SIGNATURE_HEADER, verify
from conveyor.secretbox import generate_key

TOKEN_VALUE = "tok-3e1f9a7c-do-not-leak"
HMAC_KEY = "hook-signing-key"

LINE = """
notifiers:
  - {name: hook, type: webhook, url: "URL/events", integration: hook-keys}
notify: [hook]
jobs:
  - name: build
    secrets: [creds]
    steps:
      - 'echo "deploying with $DEPLOY_TOKEN"'
      - 'printf %s "$DEPLOY_TOKEN" | sha256sum | cut -c1-64 | sed s/^/token_sha256=/ >> $CONVEYOR_RUN_PROPERTIES'
  - name: ship
    inputs: [{job: build}]
    approval: {approvers: [alice], role: operator, timeout: 1h}
    steps: ["echo shipped"]
"""


def _runs(api: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = api.get("/api/v1/runs", params={"pipeline": "line"}).json()
    return rows


def _run(api: Any, job: str, status: str) -> dict[str, Any] | None:
    return next((r for r in _runs(api) if r["job_name"] == job and r["status"] == status), None)


@pytest.mark.slow
def test_gate_webhook_and_masked_secret(tmp_path: Path, db_url: str) -> None:
    with cluster(tmp_path, db_url) as c, receiver() as hook:
        c.env["CONVEYOR_SECRET_KEY"] = generate_key()
        c.env["CONVEYOR_NOTIFY_BACKOFF"] = "0.2"
        c.cli("secret", "set", "creds", f"DEPLOY_TOKEN={TOKEN_VALUE}")
        c.cli("secret", "set", "hook-keys", f"secret={HMAC_KEY}")
        alice = c.cli("token", "create", "--role", "operator", "--name", "alice").stdout.strip()
        mallory = c.cli("token", "create", "--role", "operator", "--name", "mallory").stdout.strip()
        _, url = c.server(workers=0)
        del c.env["CONVEYOR_SECRET_KEY"]  # the worker needs no key: secrets come with its runs
        c.worker(url, name="remote")
        line = tmp_path / "line.yml"
        line.write_text(textwrap.dedent(LINE).replace("URL", hook.url))
        c.cli("apply", str(line), "--server", url, "--token", c.admin)
        api = c.api(url)

        gate = wait_for(lambda: _run(api, "ship", "waiting_approval"), 30, "the gate")
        wait_for(lambda: "waiting_approval" in hook.events(), 20, "the gate's notification")

        refused = c.cli("approve", str(gate["id"]), "--server", url, "--token", mallory, check=False)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        assert refused.stderr.strip() == (
            f"conveyor: error: 'mallory' may not approve run {gate['id']}: its gate allows only alice"
        )
        r = c.api(url, mallory).post(f"/api/v1/runs/{gate['id']}/approve", json={"comment": "me"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        c.cli("approve", str(gate["id"]), "-m", "ship it", "--server", url, "--token", alice)
        shipped = wait_for(lambda: _run(api, "ship", "succeeded"), 30, "ship to succeed")
        wait_for(lambda: hook.events().count("succeeded") == 2, 20, "both success notifications")

        approved = next(
            e
            for e in api.get(f"/api/v1/runs/{shipped['id']}").json()["events"]
            if e["kind"] == "run.approved"
        )
        assert approved["data"] == {"by": "alice", "comment": "ship it"}

        build = _run(api, "build", "succeeded")
        assert build is not None
        log = api.get(f"/api/v1/runs/{build['id']}/logs").text
        assert "deploying with ***" in log
        detail = api.get(f"/api/v1/runs/{build['id']}").json()
        assert detail["properties"]["token_sha256"] == hashlib.sha256(TOKEN_VALUE.encode()).hexdigest()
        outputs = [
            log,
            json.dumps(detail),
            api.get("/api/v1/events", params={"limit": 500}).text,
            api.get("/api/v1/secrets").text,
            c.cli("logs", str(build["id"]), "--server", url, "--token", c.admin).stdout,
            c.cli("secret", "list", "--json").stdout,
        ]
        assert all(TOKEN_VALUE not in text and HMAC_KEY not in text for text in outputs)
        assert [s["name"] for s in api.get("/api/v1/secrets").json()] == ["creds", "hook-keys"]
        remote = ["--server", url, "--token", c.admin]
        c.cli("secret", "set", "extra", "K=over-http", *remote)
        assert "extra" in c.cli("secret", "list", *remote).stdout
        c.cli("secret", "delete", "extra", *remote)
        assert c.api(url, alice).get("/api/v1/secrets").status_code == 403

        assert all(verify(HMAC_KEY, x.body, x.headers[SIGNATURE_HEADER]) for x in hook.received)
        assert {(x.json()["job"], x.json()["event"]) for x in hook.received} >= {
            ("build", "started"),
            ("build", "succeeded"),
            ("ship", "waiting_approval"),
            ("ship", "started"),
            ("ship", "succeeded"),
        }


@pytest.mark.slow
def test_conveyor_run_sends_its_notifications_before_it_exits(cli: Any, write: Any) -> None:
    cli.env["CONVEYOR_NOTIFY_BACKOFF"] = "0"
    with receiver([500]) as hook:
        line = write(
            "line.yml",
            f"""
            notifiers: [{{name: hook, type: webhook, url: "{hook.url}"}}]
            notify: [{{notifier: hook, on: [succeeded, failed]}}]
            jobs:
              - {{name: good, steps: ["true"]}}
              - {{name: bad, inputs: [{{job: good}}], steps: ["exit 1"]}}
            """.replace("\n            ", "\n"),
        )
        result = cli("run", str(line), "--json")
        assert result.code == 1, result.err
        assert [r["status"] for r in result.json()["runs"]] == ["succeeded", "failed"]
        # sent before exit, the one that got a 500 retried (its backoff is 0 here)
        events_sent = hook.events()
        assert len(events_sent) == 3 and set(events_sent) == {"failed", "succeeded"}, result.err
        assert [x.status for x in hook.received].count(500) == 1
        kinds = [e["kind"] for run in ("1", "2") for e in cli("runs", run, "--json").json()["events"]]
    assert kinds.count("notify.failed") == 1 and kinds.count("notify.sent") == 2
