"""The executor's small file formats."""

from __future__ import annotations

import json

import pytest

from conveyor.worker.executor import _properties_json


@pytest.mark.parametrize("props", [{}, {"b": "2", "a": 'quote " and \\ slash', "é": "ü\n"}])
def test_input_properties_are_written_as_indented_sorted_json(props: dict[str, str]) -> None:
    assert _properties_json(props) == json.dumps(props, indent=2, sort_keys=True) + "\n"
