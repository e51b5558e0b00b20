"""Telling a Shippable file from a native one, and finding the files of a split set. Standard library only:
the CLI asks this about every file it is given, before deciding which loader to pay for.

Shippable reads every file whose name ends in ``shippable.yml`` (``example.shippable.yml`` too), and the split
files ``shippable.resources.yml``, ``shippable.jobs.yml``, ``shippable.triggers.yml`` and
``shippable.templates.yml`` (FACTS.md 1.1). A file with another name is judged by its text: keys and values
no native pipeline can have (``IN:``/``TASK:``/``OUT:`` steps, Shippable-only types, ``versionTemplate``,
top-level CI sections or ``triggers:``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

#: Split files, in the order they are loaded (templates first: their anchors are put before the others).
SPLIT_PARTS = ("templates", "resources", "triggers", "jobs")
_PART_ORDER = {"templates": 0, "resources": 1, "triggers": 2, "main": 3, "jobs": 4}

#: Types no native pipeline has (the native ones: params, image, file, version, state, git, time, ...).
_SHIPPABLE_ONLY_TYPES = frozenset(
    {
        "gitRepo",
        "syncRepo",
        "ciRepo",
        "dockerOptions",
        "replicas",
        "cluster",
        "loadBalancer",
        "cliConfig",
        "integration",
        "notification",
        "externalCIServer",
        "runSh",
        "runCI",
        "manifest",
        "deploy",
        "release",
        "provision",
        "externalCI",
        "rSync",
        "runCLI",
        "jenkinsJob",
        "ciJob",
        "kickStart",
    }
)
#: Compiled on first use: a file whose name says what it is never needs it.
_sniff: re.Pattern[str] | None = None
_SNIFF = (
    r"^[ \t]*(?:-[ \t]+)?(?:IN|OUT|TASK|versionTemplate|dependencyMode|triggerMode)[ \t]*:"
    r"|^(?:triggers|language|build|templates)[ \t]*:"
    r"|^[ \t]*(?:-[ \t]+)?type[ \t]*:[ \t]*[\"']?(\w+)"
)


def part_of(path: str | Path) -> str | None:
    """Which file of a Shippable set ``path`` names: "main", one of ``SPLIT_PARTS``, or None."""
    name = Path(path).name
    if name.endswith("shippable.yml"):
        return "main"
    for part in SPLIT_PARTS:
        if name.endswith(f"shippable.{part}.yml"):
            return part
    return None


def looks_like_shippable(text: str | bytes) -> bool:
    """Whether YAML text is a Shippable definition rather than a native pipeline (no parsing: a scan)."""
    global _sniff
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if _sniff is None:
        _sniff = re.compile(_SNIFF, re.MULTILINE)
    for match in _sniff.finditer(text):
        shippable_type = match.group(1)
        if shippable_type is None or shippable_type in _SHIPPABLE_ONLY_TYPES:
            return True
    return False


def detect(path_or_text: str | Path | bytes) -> bool:
    """Whether this is Shippable: a path (by its name, else its text; a directory holding Shippable files),
    bytes (the text), or a str (text when it has a line break, else a path)."""
    if isinstance(path_or_text, bytes):
        return looks_like_shippable(path_or_text)
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return looks_like_shippable(path_or_text)
    path = Path(path_or_text)
    if part_of(path) is not None:
        return True
    if path.is_dir():
        return any(part_of(p) is not None for p in _listdir(path))
    try:
        return looks_like_shippable(path.read_bytes())
    except OSError:
        return False


def shippable_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files to load for ``paths``, in load order, each once.

    A directory stands for the Shippable files directly in it; a split file brings the other files of its
    set (same directory, same prefix before ``shippable.``), since one part alone names what the others
    define; any other file is taken as it is.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(_ordered(p for p in _listdir(path) if part_of(p) is not None))
        elif part_of(path) in SPLIT_PARTS and path.parent.is_dir():
            prefix = _prefix(path)
            found.extend(
                _ordered(
                    p for p in _listdir(path.parent) if part_of(p) in SPLIT_PARTS and _prefix(p) == prefix
                )
            )
            if path not in found:
                found.append(path)
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def default_name(files: list[Path]) -> str:
    """A pipeline name for files that have none: what the file name adds before ``shippable`` (so
    ``Shippable__admiral__shippable.yml`` -> ``Shippable__admiral``), else the directory's name (the
    repository: ``myrepo/shippable.yml`` -> ``myrepo``), made fit for a name."""
    stems = {_prefix(f).strip("._-") for f in files if part_of(f) is not None}
    stems.discard("")
    if len(stems) == 1:
        stem = stems.pop()
    elif files and part_of(files[0]) is None:
        stem = files[0].stem
    else:
        parents = {f.resolve().parent.name for f in files}
        stem = parents.pop() if len(parents) == 1 else ""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-._")
    return name or "shippable"


def _prefix(path: Path) -> str:
    name = path.name
    cut = name.rfind("shippable.")
    return name[:cut] if cut >= 0 else name


def _listdir(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.iterdir() if p.is_file())
    except OSError:
        return []


def _ordered(paths: Iterable[Path]) -> list[Path]:
    return sorted(paths, key=lambda p: (_prefix(p), _PART_ORDER.get(part_of(p) or "main", 3), p.name))
