"""The real definition files next to FACTS.md validate (or convert) and run with fake task results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conveyor.statemachine import Execution, Finished, validate

from ._driver import T0, Ok, drive

CLEVER = Path("/work/shared/reference/clever")


@pytest.mark.parametrize("name", ["hello-workflow.post.json", "echo-workflow.post.json"])
def test_batch_era_files_convert_and_run(name: str) -> None:
    document = json.loads((CLEVER / name).read_text())
    assert validate(document, source=name) == []
    run = drive(document, {"args": ["arg1", "arg2", "arg3"]}, lambda t: Ok({**t.input, t.state: t.resource}))
    assert run.states == ["start-state", "second-state", "end-state"]
    final = run.final()
    assert isinstance(final, Finished)
    assert final.output["end-state"] == run.tasks[-1].resource


def test_embedded_yaml_definitions_validate_and_run() -> None:
    items = yaml.safe_load((CLEVER / "embedded-workflowdefinitions.yml").read_text())
    for item in items:
        assert validate(item, source="embedded-workflowdefinitions.yml") == []
        run = drive(item, {"greeting": "hi"}, lambda t: Ok({"ran": t.resource}))
        assert run.execution.name == item["name"]
        assert [t.resource for t in run.tasks] == ["first", "second"]
        assert run.final() == Finished({"ran": "second"})
        assert Execution.start(item, {}).advance(T0)[0] == run.effects[0], (
            "the machine's TimeoutSeconds sets a timer"
        )
