"""Semantic version bumps, as Shippable's ``version`` resource and ``shipctl bump_version`` did them.

``major``/``minor``/``patch`` bump that part and reset the lower ones (dropping any pre-release);
``alpha``/``beta``/``rc`` add that pre-release tag (``1.2.3-alpha``), then count it up (``-alpha.1``,
``-alpha.2``); another pre-release tag replaces the old one; ``final`` drops the pre-release. A leading
``v`` is kept.
"""

from __future__ import annotations

import re

ACTIONS = ("major", "minor", "patch", "alpha", "beta", "rc", "final")
_SEMVER = re.compile(r"^(v?)(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def bump(version: str, action: str) -> str:
    """``version`` bumped by ``action``; ValueError for a version that is not semver or an unknown action."""
    m = _SEMVER.match(version.strip())
    if m is None:
        raise ValueError(f"{version!r} is not a semantic version (like 1.2.3 or v1.2.3-rc.1)")
    if action not in ACTIONS:
        raise ValueError(f"unknown bump {action!r}: one of {', '.join(ACTIONS)}")
    prefix, major, minor, patch, pre = (
        m.group(1),
        int(m.group(2)),
        int(m.group(3)),
        int(m.group(4)),
        m.group(5),
    )
    if action == "major":
        return f"{prefix}{major + 1}.0.0"
    if action == "minor":
        return f"{prefix}{major}.{minor + 1}.0"
    if action == "patch":
        return f"{prefix}{major}.{minor}.{patch + 1}"
    core = f"{prefix}{major}.{minor}.{patch}"
    if action == "final":
        return core
    if pre is not None:
        tag, _, count = pre.partition(".")
        if tag == action:
            return f"{core}-{action}.{int(count) + 1 if count.isdigit() else 1}"
    return f"{core}-{action}"
