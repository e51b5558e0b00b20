"""Loading Shippable files: read, parse with the located YAML loader, walk the top level, translate.

Every file is parsed by ``yamlsrc`` (the native loader's: raw scalars, duplicate keys found, alias bombs
refused), so problems read ``FILE:LINE:COL: message`` as the native format's do. All files are read even
when one has problems, so that a user sees every problem at once. A ``shippable.templates.yml`` holds YAML
anchors the other files use: its text is put before each other file's (YAML anchors do not cross files),
and locations are mapped back to the file each line came from.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from pathlib import Path

from conveyor.definitions import yamlsrc
from conveyor.definitions.importers.shippable.detect import default_name, part_of, shippable_files
from conveyor.definitions.importers.shippable.jobs import parse_job
from conveyor.definitions.importers.shippable.records import (
    Finding,
    IgnoredSection,
    JobExtras,
    ShippableImport,
)
from conveyor.definitions.importers.shippable.resources import Parsed, parse_resource
from conveyor.definitions.importers.shippable.translate import translate
from conveyor.definitions.importers.shippable.tree import Reader, Reporter, Source, entry
from conveyor.definitions.importers.shippable.types import CI_KEYS
from conveyor.definitions.spec import COMPILED, NAME_HINT, NAME_PATTERN
from conveyor.definitions.yamlsrc import Map, Node, Scalar
from conveyor.errors import BadInput, InvalidDefinition, Problem
from conveyor.model.pipeline import Location

_SECTIONS = ("resources", "jobs", "triggers")
_TEMPLATE_KEYS = ("templates", "externalReferences")


class InvalidShippable(InvalidDefinition):
    """The Shippable files are not valid; ``findings`` holds the warnings found along the way."""

    def __init__(self, problems: list[Problem], findings: Sequence[Finding] = ()) -> None:
        super().__init__(problems)
        self.findings = list(findings)


def load_shippable(paths: Sequence[str | Path], name: str | None = None) -> ShippableImport:
    """The import of ``paths`` (files, or directories holding them); raises ``InvalidShippable`` with every
    problem if any, ``BadInput`` if a file cannot be read."""
    result = check_shippable(paths, name)
    if result.problems:
        raise InvalidShippable(list(result.problems), result.findings)
    return result


def check_shippable(paths: Sequence[str | Path], name: str | None = None) -> ShippableImport:
    """Like ``load_shippable`` but never raising for problems in the files: they are in ``.problems``."""
    files = shippable_files(paths)
    if not files:
        raise BadInput(f"no Shippable files (*shippable.yml, shippable.jobs.yml, ...) in {_names(paths)}")
    texts = [(str(f), _read(f)) for f in files]
    return import_texts(texts, name or default_name(files))


def import_texts(texts: Sequence[tuple[str, str | bytes]], name: str) -> ShippableImport:
    """The import of already-read ``(filename, text)`` pairs, in load order (templates files first)."""
    paused = gc.isenabled()
    gc.disable()  # as the native loader: many small acyclic objects, no cycles made
    try:
        return _Loader(name).run(texts)
    finally:
        if paused:
            gc.enable()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}")


def _names(paths: Sequence[str | Path]) -> str:
    return ", ".join(str(p) for p in paths) or "(no paths)"


class _Loader:
    def __init__(self, name: str) -> None:
        self.name = name
        self.report = Reporter()
        self.resources: list[Parsed] = []
        self.jobs: list[JobExtras] = []
        self.ignored: list[IgnoredSection] = []
        self.references: list[str] = []
        self.sections_seen = False

    def run(self, texts: Sequence[tuple[str, str | bytes]]) -> ShippableImport:
        templates = [(f, t) for f, t in texts if part_of(f) == "templates"]
        prefix, prefix_file = "", ""
        for file, text in templates:
            root = self._parse(text, Source(file))
            if root is not None:
                self._templates(root, Reader(Source(file), self.report))
            if not prefix:  # (several templates files: only the first one's anchors are shared)
                prefix, prefix_file = _as_text(text), file
        if prefix and not prefix.endswith("\n"):
            prefix += "\n"
        lines = prefix.count("\n")
        for file, text in texts:
            if part_of(file) == "templates":
                continue
            source = Source(file, prefix_file, lines) if prefix else Source(file)
            root = self._parse(prefix + _as_text(text) if prefix else text, source)
            if root is not None:
                self._top(root, Reader(source, self.report))
        files = [f for f, _ in texts]
        if not self.sections_seen and not self.report.problems:
            self.report.error(
                Location(files[0], 1, 1),
                "no 'resources:', 'jobs:' or 'triggers:' here: not a Shippable Assembly Line",
            )
        if not COMPILED[NAME_PATTERN].match(self.name):
            self.report.error(Location(files[0], 1, 1), f"invalid pipeline name {self.name!r}: {NAME_HINT}")
        return translate(
            self.name, files, self.resources, self.jobs, self.report, self.ignored, self.references
        )

    def _parse(self, text: str | bytes, source: Source) -> Node | None:
        root, problems = yamlsrc.parse(text, source.file)
        for p in problems:
            loc = source.at(p.line, p.col)
            if p.message == "file is empty" and root is None:
                self.report.warn(loc, "file is empty (or only comments); nothing to load", "note")
            else:
                self.report.error(loc, p.message)
        return root

    def _templates(self, root: Node, r: Reader) -> None:
        """A templates file: anchors for the others, and URLs of template files conveyor does not fetch."""
        if not isinstance(root, Map):
            return
        refs = entry(root, "externalReferences")
        if refs is not None:
            self.references.extend(r.texts(refs, "externalReferences"))
            r.warn(
                refs,
                "externalReferences: conveyor does not fetch template files; aliases to anchors defined "
                "only there will not resolve",
            )

    def _top(self, root: Node, r: Reader) -> None:
        if not isinstance(root, Map):
            r.error(
                root, f"expected a mapping of top-level keys (resources, jobs), got {yamlsrc.describe(root)}"
            )
            return
        ci: list[Scalar] = []
        for key, (key_node, value) in root.entries.items():
            here = r.loc(key_node).file == r.source.file  # (keys from a templates prefix are its own)
            if key in _SECTIONS:
                self.sections_seen = True
                self._section(key, value, r)
            elif not here:
                continue
            elif key in CI_KEYS:
                ci.append(key_node)
            else:
                reason = (
                    "holds YAML anchors for the jobs; read only through them"
                    if key in _TEMPLATE_KEYS
                    else "not part of an Assembly Line; ignored (anchors in it still work)"
                )
                self.ignored.append(IgnoredSection(key, reason, r.loc(key_node)))
                if key not in _TEMPLATE_KEYS:
                    r.note(key_node, f"top-level key {key!r} is {reason}")
        if ci:
            reason = "CI section: conveyor runs the Assembly Line (resources and jobs) only"
            self.ignored.extend(IgnoredSection(k.value, reason, r.loc(k)) for k in ci)
            names = ", ".join(k.value for k in ci)
            r.note(
                ci[0],
                f"CI sections ignored ({names}): conveyor runs the Assembly Line (resources, jobs) only",
            )

    def _section(self, key: str, value: Node, r: Reader) -> None:
        for item in r.items(value, key):
            if key == "jobs":
                job = parse_job(r, item)
                if job is not None:
                    self.jobs.append(job)
            else:
                parsed = parse_resource(r, item, "resources" if key == "resources" else "triggers")
                if parsed is not None:
                    self.resources.append(parsed)


def _as_text(text: str | bytes) -> str:
    return text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
