"""Shared helpers for the Tinkerbell tests: the real files, small builders, and error capture."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conveyor.errors import ConveyorError
from conveyor.tinkerbell import Hardware, Workflow, create_workflow, parse_hardware

#: Real files: a copy of ../shared/reference/tinkerbell, plus the ones SOURCES.md lists but it lacks.
REFERENCE = Path(__file__).resolve().parents[2] / "fixtures" / "tinkerbell-reference"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "tinkerbell"
#: (A fixture is only a stand-in: once the shared directory has a file of the same name, that one is used.)
REAL_FILES = sorted(
    {p.name: p for d in (FIXTURES, REFERENCE) for p in d.iterdir() if p.suffix != ".md"}.values(),
    key=lambda p: p.name,
)

MAC_1 = "08:00:27:00:00:01"  # tink__db_testdata_hardware.json
ID_1 = "0eba0bf8-3772-4b4a-ab9f-6ebe93b90a95"
MAC_2 = "ae:fb:27:a1:c4:02"  # tink__db_testdata_hardware_2.json
ID_2 = "0eba0bf8-3772-4b4a-ab9f-6ebe93b90a96"
MAC_PLAYGROUND = "08:00:27:9e:f5:3a"
ID_PLAYGROUND = "0eba0bf8-3772-4b4a-ab9f-6ebe93b90a94"

T0 = datetime(2021, 9, 10, 12, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """A moment ``seconds`` after ``T0`` (tests never sleep; they pass the clock in)."""
    return T0 + timedelta(seconds=seconds)


def real(name: str) -> str:
    """The text of a real file, wherever it is kept."""
    for path in REAL_FILES:
        if path.name == name:
            return path.read_text()
    raise FileNotFoundError(name)


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def real_hardware() -> list[Hardware]:
    """Every real hardware file, parsed."""
    return [parse_hardware(p.read_text()) for p in REAL_FILES if p.suffix == ".json"]


def error(call: Callable[[], Any], kind: type[ConveyorError] = ConveyorError) -> ConveyorError:
    """The error ``call`` raises (which must be a ``kind``)."""
    with pytest.raises(kind) as caught:
        call()
    return caught.value


def message(call: Callable[[], Any], kind: type[ConveyorError] = ConveyorError) -> str:
    return error(call, kind).message


def make_workflow(template: str, devices: str, records: list[Hardware] | None = None) -> Workflow:
    return create_workflow(
        workflow_id="wf-1",
        template_id="tpl-1",
        template_text=template,
        hardware=devices,
        records=real_hardware() if records is None else records,
        now=T0,
    )
