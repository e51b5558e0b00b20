"""Split files (resources/jobs/triggers/templates), directories, detection and default names."""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.definitions.importers.shippable import (
    check_shippable,
    detect,
    load_shippable,
    looks_like_shippable,
    shippable_files,
)
from conveyor.definitions.importers.shippable.detect import default_name

from ._helpers import FIXTURES, REFERENCE, SPLIT


def test_a_directory_loads_its_split_set_with_templates_first() -> None:
    result = load_shippable([SPLIT])
    assert [Path(f).name for f in result.extras.files] == [
        "shippable.templates.yml",
        "shippable.resources.yml",
        "shippable.triggers.yml",
        "shippable.jobs.yml",
    ]
    assert result.pipeline.name == "split"
    assert [r.name for r in result.pipeline.resources] == [
        "split_repo",
        "split_params",
        "counter",
        "split_out",
    ]
    assert result.extras.resources["counter"].origin == "triggers"
    assert result.pipeline.resource("split_out").type == "trigger"  # type: ignore[union-attr]


def test_anchors_of_the_templates_file_reach_the_other_files() -> None:
    result = load_shippable([SPLIT])
    step = result.pipeline.job("split_build").steps[0]  # type: ignore[union-attr]
    assert 'echo "hello from the templates file"' in step.run
    assert step.env == (("STAGE", "test"),)
    task = result.extras.jobs["split_build"].tasks[0]
    assert (Path(task.location.file).name, task.location.line) == ("shippable.jobs.yml", 9)


def test_one_split_file_brings_the_rest_of_its_set() -> None:
    assert shippable_files([SPLIT / "shippable.jobs.yml"]) == shippable_files([SPLIT])
    assert check_shippable([SPLIT / "shippable.jobs.yml"]).problems == ()


def test_locations_after_a_templates_prefix_are_in_the_right_file(tmp_path: Path) -> None:
    (tmp_path / "shippable.templates.yml").write_text("templates:\n  s: &s echo hi\n")
    (tmp_path / "shippable.jobs.yml").write_text(
        "jobs:\n  - name: a\n    type: runSh\n    steps:\n      - TASK:\n          script: *s\n      - IN: x\n        switch: maybe\n"
    )
    result = check_shippable([tmp_path])
    assert [str(p) for p in result.problems] == [
        f"{tmp_path / 'shippable.jobs.yml'}:8:17: invalid switch 'maybe': expected 'off' (never start the job) or 'on'"
    ]
    assert result.pipeline.job("a").steps[0].name == "echo hi"  # type: ignore[union-attr]


def test_names_are_unique_across_the_files_of_a_set(tmp_path: Path) -> None:
    (tmp_path / "shippable.resources.yml").write_text("resources:\n  - name: a\n    type: state\n")
    (tmp_path / "other.shippable.yml").write_text("resources:\n  - name: a\n    type: params\n")
    result = check_shippable([tmp_path])
    first = tmp_path / "shippable.resources.yml"
    assert [str(p) for p in result.problems] == [
        f"{tmp_path / 'other.shippable.yml'}:2:5: resource 'a' is defined twice (first at {first}:2)"
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("shippable.yml", True),
        ("example.shippable.yml", True),
        ("shippable.jobs.yml", True),
        ("shippable.resources.yml", True),
        ("shippable.triggers.yml", True),
        ("shippable.templates.yml", True),
        ("shippable.yml.example", False),
        ("pipeline.yml", False),
    ],
)
def test_detect_by_file_name(name: str, expected: bool, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text("resources: []\n")
    assert detect(path) is expected
    assert detect(str(path)) is expected


def test_detect_by_text_and_by_content_of_a_file_named_otherwise(tmp_path: Path) -> None:
    native = (
        Path(__file__).resolve().parents[2] / "fixtures" / "definitions" / "release-line.yml"
    ).read_text()
    assert not detect(native)
    assert not looks_like_shippable(native)
    for path in REFERENCE:
        assert looks_like_shippable(path.read_bytes()), path.name
    assert detect("jobs:\n  - name: a\n    type: runSh\n")
    assert detect(b"resources:\n  - name: r\n    type: gitRepo\n")
    assert not detect("resources:\n  - name: r\n    type: git\n")
    renamed = tmp_path / "line.yml"
    renamed.write_bytes(REFERENCE[0].read_bytes())
    assert detect(renamed)
    assert detect(tmp_path / "missing.yml") is False


def test_detect_a_directory() -> None:
    assert detect(SPLIT)
    assert not detect(FIXTURES.parent / "definitions")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["Shippable__admiral__shippable.yml"], "Shippable__admiral"),
        (["repo/shippable.yml"], "repo"),
        (["repo/example.shippable.yml"], "example"),
        (["repo/shippable.jobs.yml", "repo/shippable.resources.yml"], "repo"),
        (["x/my line.yml"], "my-line"),
    ],
)
def test_default_pipeline_names(files: list[str], expected: str) -> None:
    assert default_name([Path(f) for f in files]) == expected
