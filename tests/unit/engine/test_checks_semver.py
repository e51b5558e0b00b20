"""Self-versioning resources' rules (``engine/checks.py``) and semver bumps (``engine/semver.py``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conveyor.engine.checks import DEFAULT_CHECK_EVERY, next_due, source_problems
from conveyor.engine.semver import bump


@pytest.mark.parametrize(
    ("rtype", "source", "expected"),
    [
        ("time", {}, []),
        ("git", {}, []),
        ("time", {"every": "30s"}, []),
        ("time", {"schedule": "*/5 * * * *"}, []),
        ("git", {"repo": "/srv/app.git", "branch": "main", "check_every": "10s"}, []),
        ("time", {"every": "30s", "schedule": "* * * * *"}, ["needs exactly one of"]),
        ("time", {"schedule": "every tuesday"}, ["invalid cron schedule"]),
        ("time", {"every": "soon"}, ["invalid duration"]),
        ("git", {"branch": "main"}, ["needs source.repo"]),
        ("git", {"repo": "x", "tag": "v1"}, ["unknown source key 'tag'"]),
        ("params", {"x": "1"}, ["takes no source"]),
    ],
)
def test_source_problems(rtype: str, source: dict[str, str], expected: list[str]) -> None:
    found = [message for _, message in source_problems(rtype, source)]
    assert len(found) == len(expected)
    for message, part in zip(found, expected, strict=True):
        assert part in message


def test_next_due() -> None:
    t0 = datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC).timestamp()
    assert next_due("time", {"every": "1m"}, t0) == t0 + 60
    assert (
        next_due("time", {"schedule": "*/5 * * * *"}, t0)
        == datetime(2026, 1, 1, 0, 5, tzinfo=UTC).timestamp()
    )
    assert next_due("git", {"repo": "r"}, t0) == t0 + DEFAULT_CHECK_EVERY
    assert next_due("git", {"repo": "r", "check_every": "2s"}, t0) == t0 + 2


@pytest.mark.parametrize(
    ("version", "action", "expected"),
    [
        ("0.0.1", "patch", "0.0.2"),
        ("1.2.3", "minor", "1.3.0"),
        ("1.2.3", "major", "2.0.0"),
        ("v1.2.3", "patch", "v1.2.4"),
        ("1.2.3", "alpha", "1.2.3-alpha"),
        ("1.2.3-alpha", "alpha", "1.2.3-alpha.1"),
        ("1.2.3-alpha.1", "alpha", "1.2.3-alpha.2"),
        ("1.2.3-alpha.2", "beta", "1.2.3-beta"),
        ("1.2.3-rc.4", "final", "1.2.3"),
        ("1.2.3-rc.1", "minor", "1.3.0"),
    ],
)
def test_bump(version: str, action: str, expected: str) -> None:
    assert bump(version, action) == expected


def test_bump_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="not a semantic version"):
        bump("1.2", "patch")
    with pytest.raises(ValueError, match="unknown bump"):
        bump("1.2.3", "huge")
