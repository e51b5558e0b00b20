"""Shippable's ``notification`` resources and ``NOTIFY:`` hooks -> conveyor's notifiers and notify rules.

- a ``notification`` resource -> a notifier of the same name: ``method: email`` -> an email notifier to its
  ``recipients``; anything else (Slack, webhook, the default) -> a Slack-style incoming webhook whose URL is
  the ``url`` key of its integration (``conveyor secret set <integration> url=...``);
- ``NOTIFY`` in ``on_start`` / ``on_success`` / ``on_failure`` / ``on_cancel`` / ``always`` -> a notify
  rule on ``started`` / ``succeeded`` / ``failed`` / ``cancelled`` / all three endings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor.definitions.importers.shippable.records import JobExtras, ResourceExtras
from conveyor.model.pipeline import Notifier, Notify

HOOK_EVENTS = {
    "on_start": ("started",),
    "on_success": ("succeeded",),
    "on_failure": ("failed",),
    "on_cancel": ("cancelled",),
    "always": ("succeeded", "failed", "cancelled"),
}


def _section(r: ResourceExtras) -> Mapping[str, Any]:
    for name in ("versionTemplate", "pointer", "seed", "version"):
        value = r.template.get(name)
        if isinstance(value, Mapping):
            return value
    return {}


def notifiers(resources: Mapping[str, ResourceExtras]) -> tuple[Notifier, ...]:
    out = []
    for r in resources.values():
        if r.shippable_type != "notification":
            continue
        section = _section(r)
        recipients = section.get("recipients") or ()
        to = tuple(str(x) for x in (recipients if isinstance(recipients, list | tuple) else [recipients]))
        if str(section.get("method", "")).lower() == "email":
            out.append(Notifier(r.name, "email", to=to, integration=r.integration or "", location=r.location))
        else:
            out.append(Notifier(r.name, "slack", integration=r.integration or "", location=r.location))
    return tuple(out)


def notify_rules(job: JobExtras, known: set[str]) -> tuple[Notify, ...]:
    """One rule per notification resource the job's hooks name, with every event they ask for."""
    events: dict[str, list[str]] = {}
    for hook_name, hook_events in HOOK_EVENTS.items():
        hook = job.hook(hook_name)  # type: ignore[arg-type]
        for target in hook.notify if hook is not None else ():
            if target.resource in known:
                chosen = events.setdefault(target.resource, [])
                chosen.extend(e for e in hook_events if e not in chosen)
    order = ("started", "succeeded", "failed", "cancelled", "waiting_approval")
    return tuple(Notify(name, tuple(e for e in order if e in chosen)) for name, chosen in events.items())
