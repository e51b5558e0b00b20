"""Notifications end to end through the outbox, on SQLite and PostgreSQL, to a real local HTTP receiver
and a real local SMTP server (aiosmtpd): signed webhooks, retries with backoff, dead endpoints."""

from __future__ import annotations

import json
import socket
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.receiver import receiver

from conveyor import definitions
from conveyor.notify.dispatcher import Dispatcher
from conveyor.notify.webhook import SIGNATURE_HEADER, verify
from conveyor.secretbox import generate_key
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store
from conveyor.testing import run_until_idle


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, step: Callable[[], Any]) -> Any:
    """Drive the dispatcher by hand (``step``) until ``predicate`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        step()
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class World:
    def __init__(self, url: str, tmp: Path) -> None:
        self.tmp = tmp
        self.store = open_store(url)
        settings = Settings(
            home=tmp / "home", secret_key=generate_key(), notify_backoff=0.2, notify_attempts=3
        )
        self.service = Service(self.store, settings)
        self.dispatcher = Dispatcher(self.service)

    def apply(self, text: str) -> None:
        self.service.apply(definitions.load_text(textwrap.dedent(text), "line.yml", default_name="line"))

    def run(self) -> list[dict[str, Any]]:
        return run_until_idle(self.service, "line", self.tmp / "work")

    def events(self, kind: str) -> list[dict[str, Any]]:
        with self.store.read() as tx:
            rows = tx.events_after(0, 1000, kind=kind)
        return [{**r, "data": json.loads(r["data"])} for r in rows]

    def until(self, predicate: Callable[[], Any], what: str, timeout: float = 15) -> Any:
        return wait_for(predicate, timeout, what, self.dispatcher.step)


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    w = World(db_url, tmp_path)
    yield w
    w.store.close()


def _line(url: str, extra: str = "") -> str:
    return f"""
    notifiers:
      - {{name: hook, type: webhook, url: "{url}/hook", integration: hook-keys}}
    jobs:
      - name: build
        notify: [hook]
        steps: ["echo built"]
      - name: test
        inputs: [{{job: build}}]
        notify: [{{notifier: hook, on: [failed]}}]
        steps: ["exit 4"]
    {extra}
    """


def test_a_signed_webhook_per_event_retried_after_a_500(world: World) -> None:
    world.service.set_secret("hook-keys", {"secret": "hmac-key-123"})
    with receiver([500]) as r:
        world.apply(_line(r.url))
        finished = world.run()
        assert [x["status"] for x in finished] == ["succeeded", "failed"]  # runs never waited
        world.until(lambda: len(r.received) == 4, "three notifications and one retry")
    assert all(verify("hmac-key-123", x.body, x.headers[SIGNATURE_HEADER]) for x in r.received)
    [refused] = [x for x in r.received if x.status == 500]
    assert [x.body for x in r.received].count(refused.body) == 2  # the retry: the same delivery, same body
    by_delivery = {x.json()["delivery"]: x.json() for x in r.received}
    assert [by_delivery[d]["event"] for d in sorted(by_delivery)] == ["started", "succeeded", "failed"]
    failed = by_delivery[max(by_delivery)]
    assert failed["job"] == "test" and failed["run"]["message"] == "step 'exit 4' exited with 4"
    [attempt] = world.events("notify.failed")
    assert attempt["data"]["error"] == "the endpoint answered HTTP 500" and attempt["data"]["retry_in"] == 0.2
    sent = world.events("notify.sent")
    assert len(sent) == 3 and {e["data"]["notifier"] for e in sent} == {"hook"}
    retry_at = next(e for e in sent if e["data"]["attempt"] == 2)["at"]
    assert retry_at >= attempt["at"] + 0.2  # backoff respected


def test_a_dead_endpoint_never_fails_the_run_and_each_failure_is_an_event(world: World) -> None:
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()  # nothing listens there now
    world.apply(
        f"""
        notifiers: [{{name: dead, type: slack, url: "http://127.0.0.1:{port}/x"}}]
        notify: [{{notifier: dead, on: [succeeded]}}]
        jobs: [{{name: build, steps: ["echo ok"]}}]
        """
    )
    [run] = world.run()
    assert run["status"] == "succeeded"
    world.until(lambda: len(world.events("notify.failed")) == 3, "three attempts", timeout=20)
    errors = world.events("notify.failed")
    assert [e["data"]["retry_in"] for e in errors] == [0.2, 0.4, None]  # doubled, then given up
    assert all("could not be reached" in e["data"]["error"] for e in errors)
    assert world.service.run(run["id"])["status"] == "succeeded"
    assert [d["status"] for d in world.service.notify_deliveries(run["id"])] == ["failed"]


def test_slack_url_from_its_integration(world: World) -> None:
    with receiver() as r:
        world.service.set_secret("slack-url", {"url": f"{r.url}/services/T0/B0/XYZ"})
        world.apply(
            """
            notifiers: [{name: chat, type: slack, integration: slack-url}]
            notify: [{notifier: chat, on: [failed]}]
            jobs: [{name: build, steps: ["exit 3"]}]
            """
        )
        world.run()
        world.until(lambda: r.received, "the Slack message")
    [got] = r.received
    assert got.path == "/services/T0/B0/XYZ"
    assert got.json() == {"text": "conveyor: line/build #1 failed (run 1): step 'exit 3' exited with 3"}
    [sent] = world.events("notify.sent")
    assert "XYZ" not in json.dumps(sent)


def test_waiting_for_approval_and_rejected_are_notified(world: World) -> None:
    with receiver() as r:
        world.apply(
            f"""
            notifiers: [{{name: hook, type: webhook, url: "{r.url}"}}]
            notify: [{{notifier: hook, on: [waiting_approval, cancelled]}}]
            jobs: [{{name: ship, approval: manual, steps: ["true"]}}]
            """
        )
        world.run()
        world.until(lambda: r.events() == ["waiting_approval"], "the gate's notification")
        run = world.service.runs("line")[0]
        world.service.approve(run["id"], by="alice", comment="not today", approve=False)
        world.until(lambda: r.events() == ["waiting_approval", "cancelled"], "the rejection")
    assert r.received[1].json()["run"]["message"] == "rejected by alice: not today"


def test_email_over_smtp(world: World) -> None:
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self) -> None:
            self.messages: list[Any] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.messages.append(envelope)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        world.apply(
            f"""
            notifiers:
              - {{name: mail, type: email, to: [ops@example.com, dev@example.com], smtp: "127.0.0.1:{port}",
                 from: conveyor@example.com}}
            notify: [{{notifier: mail, on: [failed]}}]
            jobs: [{{name: build, steps: ["exit 2"]}}]
            """
        )
        world.run()
        world.until(lambda: handler.messages, "the email")
    finally:
        controller.stop()
    [mail] = handler.messages
    assert mail.mail_from == "conveyor@example.com"
    assert mail.rcpt_tos == ["ops@example.com", "dev@example.com"]
    text = mail.content.decode()
    assert "Subject: [conveyor] line/build #1 failed" in text
    assert "step 'exit 2' exited with 2" in text


def test_history_is_not_notified_and_each_event_once_across_dispatchers(world: World) -> None:
    with receiver() as r:
        world.apply("jobs: [{name: early, steps: ['true']}]")
        world.run()
        world.apply(
            f"""
            notifiers: [{{name: h, type: webhook, url: "{r.url}"}}]
            notify: [{{notifier: h, on: [succeeded]}}]
            jobs: [{{name: early, steps: ['true']}}, {{name: later, steps: ['true']}}]
            """
        )
        world.run()
        other = Dispatcher(world.service)
        world.until(lambda: r.events() == ["succeeded"], "later's notification")
        for _ in range(5):
            other.step()
            world.dispatcher.step()
    assert [x.json()["job"] for x in r.received] == ["later"]
