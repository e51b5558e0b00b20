"""Shared helpers for the Shippable importer tests: import YAML text given inline, find a job or step."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conveyor.definitions.importers.shippable import ShippableImport, import_texts
from conveyor.model.pipeline import Job

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "shippable"
REFERENCE = sorted((FIXTURES / "reference").glob("*shippable.yml"))
EVERY_TYPE = FIXTURES / "every-type.shippable.yml"
SPLIT = FIXTURES / "split"


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def imported(text: str, filename: str = "shippable.yml", name: str = "line") -> ShippableImport:
    """The import of one inline file (dedented), whatever its problems."""
    return import_texts([(filename, dedent(text))], name)


def clean(text: str, filename: str = "shippable.yml") -> ShippableImport:
    """The import of one inline file that must have no errors."""
    result = imported(text, filename)
    assert not result.problems, [str(p) for p in result.problems]
    return result


def job(result: ShippableImport, name: str) -> Job:
    found = result.pipeline.job(name)
    assert found is not None, name
    return found


def messages(result: ShippableImport) -> list[str]:
    """Every error, warning and note as printed."""
    return [*map(str, result.problems), *map(str, result.findings)]


def one_job(steps: str, extra: str = "", jtype: str = "runSh", resources: str = "") -> str:
    """A file with resources ``r`` (params), ``s`` (state) and ``resources`` (YAML list items), then job
    ``j`` of type ``jtype`` with ``extra`` job keys and ``steps`` (YAML list items).

    Without ``resources``, the job's ``name`` is on line 10, its ``type`` on 11, the first extra key (or
    ``steps:``) on 12.
    """
    body = textwrap.indent(dedent(steps), "      ")
    keys = textwrap.indent(dedent(extra), "    ") if extra else ""
    more = textwrap.indent(dedent(resources), "  ") if resources else ""
    return (
        "resources:\n"
        "  - name: r\n    type: params\n    version:\n      params:\n        A: '1'\n"
        f"  - name: s\n    type: state\n{more}"
        "jobs:\n"
        f"  - name: j\n    type: {jtype}\n{keys}    steps:\n{body}"
    )
