"""The notifiers against a real local HTTP receiver: the signed JSON body, the Slack shape, failures."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from tests.receiver import receiver

from conveyor.notify.base import DeliveryError, Message, Target, notifier_for
from conveyor.notify.webhook import SIGNATURE_HEADER, signature, verify

MESSAGE = Message("failed", "line", "deploy", 7, 3, 1, "failed", "step 'x' exited with 1", 1.5, delivery=9)


def test_signature_is_hmac_sha256_of_the_body_as_github_shapes_it() -> None:
    body = b'{"a":1}'
    expected = "sha256=" + hmac.new(b"key", body, hashlib.sha256).hexdigest()
    assert signature("key", body) == expected
    assert verify("key", body, expected)
    assert not verify("other", body, expected)
    assert not verify("key", body + b" ", expected)


def test_webhook_posts_signed_json() -> None:
    with receiver() as r:
        notifier_for("webhook").send(MESSAGE, Target("hook", "webhook", url=f"{r.url}/in", secret="k3y"))
    [got] = r.received
    assert got.path == "/in"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-Conveyor-Event"] == "failed"
    assert got.headers["X-Conveyor-Delivery"] == "9"
    assert verify("k3y", got.body, got.headers[SIGNATURE_HEADER])
    assert got.json() == {
        "event": "failed",
        "pipeline": "line",
        "job": "deploy",
        "run": {"id": 7, "number": 3, "attempt": 1, "status": "failed", "message": "step 'x' exited with 1"},
        "at": 1.5,
        "delivery": 9,
    }


def test_unsigned_without_a_secret() -> None:
    with receiver() as r:
        notifier_for("webhook").send(MESSAGE, Target("hook", "webhook", url=r.url))
    assert SIGNATURE_HEADER not in r.received[0].headers


def test_slack_gets_text() -> None:
    with receiver() as r:
        notifier_for("slack").send(MESSAGE, Target("chat", "slack", url=r.url))
    assert json.loads(r.received[0].body) == {
        "text": "conveyor: line/deploy #3 failed (run 7): step 'x' exited with 1"
    }


def test_an_error_status_or_a_dead_endpoint_is_a_delivery_error_without_the_url() -> None:
    with receiver([500]) as r, pytest.raises(DeliveryError, match="HTTP 500"):
        notifier_for("webhook").send(MESSAGE, Target("hook", "webhook", url=r.url + "/token-in-path"))
    with pytest.raises(DeliveryError, match="could not be reached") as info:
        notifier_for("slack").send(MESSAGE, Target("chat", "slack", url="http://127.0.0.1:9/hooks/T0K3N"))
    assert "T0K3N" not in str(info.value)
    with pytest.raises(DeliveryError, match="not an http"):
        notifier_for("webhook").send(MESSAGE, Target("hook", "webhook", url="file:///etc/passwd"))
