"""Resources that make versions by themselves: what their ``source`` may say, and when they are due.

A resource without a ``source`` is never checked. Pure: no store, no clock, no subprocess. ``time``
resources tick on a cron ``schedule`` (UTC) or ``every`` interval; ``git`` resources are polled every
``check_every`` for new commits on ``branch``.
The service's checker (``service/checks.py``) runs the checks; this module decides what is valid and when.
"""

from __future__ import annotations

from conveyor.definitions.durations import parse_duration

#: The ``source`` keys each self-versioning type takes.
SOURCE_KEYS: dict[str, frozenset[str]] = {
    "time": frozenset({"schedule", "every"}),
    "git": frozenset({"repo", "branch", "check_every"}),
}
#: How often a git resource is polled unless its ``check_every`` says otherwise.
DEFAULT_CHECK_EVERY = 60.0
CHECKED_TYPES = frozenset(SOURCE_KEYS)


def source_problems(rtype: str, source: dict[str, str]) -> list[tuple[str, str]]:
    """(key, message) for each problem of a resource's ``source``; key "" for the resource as a whole.

    No source is fine for every type: the resource then gets versions only from people, webhooks and jobs
    (``conveyor resource put``), as before."""
    if not source:
        return []
    allowed = SOURCE_KEYS.get(rtype)
    if allowed is None:
        return [(k, f"a {rtype or 'untyped'} resource takes no source ({k!r})") for k in source]
    found = [
        (k, f"unknown source key {k!r} for a {rtype} resource (known: {', '.join(sorted(allowed))})")
        for k in source
        if k not in allowed
    ]
    if rtype == "time":
        given = [k for k in ("schedule", "every") if k in source]
        if len(given) != 1:
            found.append(("", "a time resource needs exactly one of source.schedule (cron) and source.every"))
        if "schedule" in source and not _cron_ok(source["schedule"]):
            found.append(("schedule", f"invalid cron schedule {source['schedule']!r} (e.g. '*/5 * * * *')"))
    if rtype == "git" and not source.get("repo"):
        found.append(("", "a git resource needs source.repo (a path or URL of a git repository)"))
    for key in ("every", "check_every"):
        if key in source:
            try:
                parse_duration(source[key])
            except ValueError as exc:
                found.append((key, str(exc)))
    return found


def _cron_ok(expression: str) -> bool:
    from croniter import croniter

    return bool(croniter.is_valid(expression))


def next_due(
    rtype: str, source: dict[str, str], after: float, default_every: float = DEFAULT_CHECK_EVERY
) -> float:
    """When the resource is next due: its next tick (time) or next poll (git, every
    ``default_every`` seconds unless its ``check_every`` says otherwise), after ``after``."""
    if rtype == "time":
        if "every" in source:
            return after + parse_duration(source["every"])
        from datetime import UTC, datetime

        from croniter import croniter

        tick: float = croniter(source["schedule"], datetime.fromtimestamp(after, UTC)).get_next(float)
        return tick
    return after + (parse_duration(source["check_every"]) if "check_every" in source else default_every)
