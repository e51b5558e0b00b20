"""notification resources, NOTIFY hooks and integrations -> notifiers, notify rules and secrets."""

from __future__ import annotations

from tests.unit.importers._helpers import clean, job

from conveyor.definitions import load_text
from conveyor.definitions.importers.shippable.native_yaml import to_native_yaml
from conveyor.model.pipeline import Notifier

TEXT = """
resources:
  - name: chat
    type: notification
    integration: team-slack
    versionTemplate:
      recipients: ["#ops"]
  - name: mail
    type: notification
    pointer:
      method: email
      recipients: [ops@example.com, dev@example.com]
  - name: aws_keys
    type: integration
    integration: aws-prod
  - name: p
    type: params
    version: {params: {A: "1"}}
jobs:
  - name: deploy
    type: runSh
    integrations: [docker-hub]
    steps:
      - IN: p
      - IN: aws_keys
        switch: off
      - TASK:
          script: ./deploy.sh
    on_start:
      NOTIFY: chat
    on_failure:
      - NOTIFY: mail
      - NOTIFY: chat
    always:
      NOTIFY: mail
    on_cancel:
      NOTIFY: [chat]
"""


def test_notification_resources_become_notifiers_and_hooks_rules() -> None:
    result = clean(TEXT)
    assert result.pipeline.notifiers == (
        Notifier("chat", "slack", integration="team-slack"),
        Notifier("mail", "email", to=("ops@example.com", "dev@example.com")),
    )
    deploy = job(result, "deploy")
    assert {r.notifier: r.on for r in deploy.notify} == {
        "chat": ("started", "failed", "cancelled"),
        "mail": ("succeeded", "failed", "cancelled"),
    }
    assert deploy.secrets == ("docker-hub", "aws-prod")
    aws = next(i for i in deploy.inputs if i.name == "aws_keys")
    assert aws.switch_off and not aws.trigger  # switch: off keeps its meaning: a person runs it


def test_the_native_form_holds_them_and_loads_back_the_same() -> None:
    result = clean(TEXT)
    text = to_native_yaml(result)
    assert "not translated" not in "\n".join(ln for ln in text.splitlines() if "NOTIFY" in ln)
    again = load_text(text, "line.yml")
    assert again.digest() == result.pipeline.digest()
