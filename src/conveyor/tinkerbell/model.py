"""A Tinkerbell template as frozen, typed records (FACTS 1.1), plus their plain-dict forms.

The fields and their Go types are tink's ``workflow/types.go``. Every string field holds the scalar's raw
YAML text (``COMPRESSED: true`` is ``"true"``, ``MODE: 0644`` is ``"0644"``), as yaml.v2 gives it; the
records are immutable so a stored workflow can never change after it was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

EMPTY_ENV: Mapping[str, str] = MappingProxyType({})


def frozen_env(pairs: Mapping[str, str] | None) -> Mapping[str, str]:
    """A read-only copy of an environment, keeping the order the keys were written in."""
    return MappingProxyType(dict(pairs)) if pairs else EMPTY_ENV


@dataclass(frozen=True, slots=True)
class Action:
    """One container run: ``on_timeout``/``on_failure`` are commands run in a new container of ``image``."""

    name: str
    image: str
    timeout: int = 0
    command: tuple[str, ...] = ()
    on_timeout: tuple[str, ...] = ()
    on_failure: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    environment: Mapping[str, str] = field(default_factory=lambda: EMPTY_ENV)
    pid: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The YAML/JSON shape, with tink's key names; empty optional fields are left out (omitempty)."""
        out: dict[str, Any] = {"name": self.name, "image": self.image, "timeout": self.timeout}
        for key, value in (
            ("command", self.command),
            ("on-timeout", self.on_timeout),
            ("on-failure", self.on_failure),
            ("volumes", self.volumes),
        ):
            if value:
                out[key] = list(value)
        if self.environment:
            out["environment"] = dict(self.environment)
        if self.pid:
            out["pid"] = self.pid
        return out


@dataclass(frozen=True, slots=True)
class Task:
    """Actions run in order on one worker; ``volumes`` and ``environment`` are inherited by each action."""

    name: str
    worker: str
    actions: tuple[Action, ...] = ()
    volumes: tuple[str, ...] = ()
    environment: Mapping[str, str] = field(default_factory=lambda: EMPTY_ENV)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "worker": self.worker}
        if self.volumes:
            out["volumes"] = list(self.volumes)
        if self.environment:
            out["environment"] = dict(self.environment)
        out["actions"] = [a.to_dict() for a in self.actions]
        return out


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed and validated template (or, after rendering, a workflow's definition)."""

    version: str
    name: str
    tasks: tuple[Task, ...]
    global_timeout: int = 0
    #: Optional and ignored, as in tink (the stored record's id is assigned separately).
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version, "name": self.name}
        if self.id:
            out["id"] = self.id
        out["global_timeout"] = self.global_timeout
        out["tasks"] = [t.to_dict() for t in self.tasks]
        return out
