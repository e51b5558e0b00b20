"""The native format's approval gates, notifiers, notify rules and secrets: parsed, checked, round-tripped."""

from __future__ import annotations

import textwrap

import pytest

from conveyor.definitions import json_schema, load_text
from conveyor.errors import InvalidDefinition
from conveyor.model.pipeline import (
    NOTIFY_EVENTS,
    Approval,
    Notifier,
    Notify,
    pipeline_from_dict,
    pipeline_to_dict,
)

TEXT = """
name: line
notifiers:
  - {name: hook, type: webhook, url: "https://example.com/hook", integration: hook-keys}
  - {name: ops, type: email, to: [ops@example.com], smtp: "mail:587", from: ci@example.com}
notify: [hook]
jobs:
  - name: build
    secrets: [aws, docker]
    notify: [{notifier: ops, on: [failed, waiting_approval]}]
    approval: {approvers: [alice, bob], role: admin, timeout: 1h30m}
    steps: ["make"]
  - name: plain
    approval: manual
    steps: ["true"]
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(InvalidDefinition) as info:
        load_text(textwrap.dedent(text), "p.yml")
    return [f"{p.line}:{p.col}: {p.message}" for p in info.value.problems]


def test_parsed_into_the_model() -> None:
    p = load_text(TEXT, "line.yml")
    build, plain = p.jobs
    assert build.approval == Approval(("alice", "bob"), "admin", 5400.0)
    assert plain.approval == Approval()
    assert build.secrets == ("aws", "docker")
    assert build.notify == (Notify("ops", ("failed", "waiting_approval")),)
    assert p.notify == (Notify("hook", NOTIFY_EVENTS),)
    assert p.notifiers == (
        Notifier("hook", "webhook", url="https://example.com/hook", integration="hook-keys"),
        Notifier("ops", "email", to=("ops@example.com",), smtp="mail:587", sender="ci@example.com"),
    )


def test_round_trip_and_a_plain_gate_keeps_its_old_digest() -> None:
    p = load_text(TEXT, "line.yml")
    again = pipeline_from_dict(pipeline_to_dict(p))
    assert again.digest() == p.digest() and again.jobs == p.jobs and again.notifiers == p.notifiers
    assert pipeline_to_dict(p)["jobs"][1]["approval"] == "manual"


def test_problems_are_located() -> None:
    assert _problems(
        """
        notifiers:
          - {name: mail, type: email}
          - {name: hook, type: webhook}
          - {name: x, type: pager, url: "u"}
        jobs:
          - name: a
            notify: [nobody]
            approval: {role: root, approvers: alice, timeout: soon}
            secrets: [1]
            steps: ["true"]
        """
    ) == [
        "3:5: email notifier 'mail' needs 'to': a list of addresses",
        "4:5: webhook notifier 'hook' needs a 'url' or an 'integration' holding one",
        "5:21: invalid type 'pager'; expected one of: webhook, slack, email",
        "8:14: notify names 'nobody', which is not a notifier of this pipeline (hook, mail, x)",
        "9:22: invalid role 'root'; expected one of: viewer, operator, admin",
        "9:39: expected a list of approvers, got a string",
        "9:55: invalid duration 'soon': write it like 30s, 5m, 1h30m, 500ms, 2h, 1d or a number of seconds",
        '10:15: expected a string, got an integer; write "1" in quotes if you mean the text',
    ]


def test_the_json_schema_describes_them() -> None:
    schema = json_schema()
    job = schema["$defs"]["job"]["properties"]
    assert job["approval"]["anyOf"] == [{"type": "string"}, {"$ref": "#/$defs/approval"}]
    assert job["secrets"]["items"] == {"type": "string"}
    on = schema["$defs"]["notify"]["properties"]["on"]
    assert on["items"]["enum"] == list(NOTIFY_EVENTS)
    assert schema["properties"]["notifiers"]["items"] == {"$ref": "#/$defs/notifier"}
