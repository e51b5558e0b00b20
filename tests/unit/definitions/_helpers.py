"""Shared helpers for the definitions tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conveyor.definitions import load_text
from conveyor.errors import InvalidDefinition

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "definitions"
RELEASE_LINE = FIXTURES / "release-line.yml"


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def problems_of(text: str | bytes, filename: str = "p.yml") -> list[str]:
    """The ``file:line:col: message`` lines for ``text`` (which must be invalid)."""
    if isinstance(text, str):
        text = dedent(text)
    with pytest.raises(InvalidDefinition) as caught:
        load_text(text, filename)
    return [str(p) for p in caught.value.problems]


def one_problem(text: str | bytes) -> str:
    found = problems_of(text)
    assert len(found) == 1, found
    return found[0]
