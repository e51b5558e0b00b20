"""The protocol every notifier follows, and the message they all describe."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol

#: what each event reads as in a sentence
_VERBS = {
    "started": "started",
    "succeeded": "succeeded",
    "failed": "failed",
    "cancelled": "was cancelled",
    "waiting_approval": "is waiting for approval",
}


class DeliveryError(Exception):
    """A notification could not be delivered; the message says why (never a secret: no URL, no key)."""


@dataclass(frozen=True)
class Message:
    """What happened to which run."""

    event: str
    pipeline: str
    job: str
    run_id: int
    number: int
    attempt: int
    status: str
    message: str
    at: float
    delivery: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any], delivery: int = 0) -> Message:
        return cls(**{**data, "delivery": delivery})

    def to_json(self) -> dict[str, Any]:
        """The webhook body: stable field names, the run in its own object."""
        return {
            "event": self.event,
            "pipeline": self.pipeline,
            "job": self.job,
            "run": {
                "id": self.run_id,
                "number": self.number,
                "attempt": self.attempt,
                "status": self.status,
                "message": self.message,
            },
            "at": self.at,
            "delivery": self.delivery,
        }

    @property
    def title(self) -> str:
        label = f"{self.job} #{self.number}" + (f".{self.attempt}" if self.attempt > 1 else "")
        return f"{self.pipeline}/{label} {_VERBS.get(self.event, self.event)}"

    @property
    def text(self) -> str:
        """One line for chat and email subjects, plus the run's message when there is one."""
        line = f"conveyor: {self.title} (run {self.run_id})"
        return f"{line}: {self.message}" if self.message else line


@dataclass(frozen=True)
class Target:
    """A notifier's definition with its integration's keys filled in (held only while sending)."""

    name: str
    type: str
    url: str = ""
    secret: str = field(default="", repr=False)
    to: tuple[str, ...] = ()
    smtp: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""


class Notifier(Protocol):
    def send(self, message: Message, target: Target) -> None:
        """Deliver or raise ``DeliveryError``."""


_MODULES = {"webhook": "webhook", "slack": "webhook", "email": "mail"}


def notifier_for(type_: str) -> Notifier:
    """The notifier for a type, its module imported on first use (smtplib only for email)."""
    module = _MODULES.get(type_)
    if module is None:
        raise DeliveryError(f"unknown notifier type {type_!r}")
    found: Notifier = importlib.import_module(f"conveyor.notify.{module}").NOTIFIERS[type_]
    return found
