"""Native format -> model: the reference pipeline, and the meaning of each construct."""

from __future__ import annotations

import dataclasses

import pytest

from conveyor.definitions import load_file, load_text
from conveyor.errors import InvalidDefinition
from conveyor.model.pipeline import (
    Approval,
    Input,
    Location,
    Pipeline,
    Step,
    pipeline_from_dict,
    pipeline_to_dict,
)

from ._helpers import RELEASE_LINE, dedent, one_problem


@pytest.fixture(scope="module")
def release_line() -> Pipeline:
    return load_file(RELEASE_LINE)


def test_release_line_resources(release_line: Pipeline) -> None:
    assert release_line.name == "release-line"
    assert release_line.source_file == str(RELEASE_LINE)
    assert [(r.name, r.type) for r in release_line.resources] == [
        ("app-source", "params"),
        ("build-settings", "params"),
        ("app-image", "image"),
        ("release-version", "version"),
        ("infra-state", "state"),
    ]
    props = {r.name: r.properties for r in release_line.resources}
    assert props["app-source"] == (("BRANCH", "main"), ("GIT_SHA", "4f2a9c1"))
    assert props["build-settings"] == (("OPTIMIZE", "true"), ("PYTHON_VERSION", "3.11"))
    assert props["release-version"] == (("version", "1.4.0"),)
    assert props["app-image"] == () and props["infra-state"] == ()
    assert release_line.resources[0].location == Location(str(RELEASE_LINE), 13, 5)


def triggers(pipeline: Pipeline, job: str) -> list[tuple[str, str, bool]]:
    found = pipeline.job(job)
    assert found is not None
    return [(i.kind, i.name, i.trigger) for i in found.inputs]


def test_release_line_jobs(release_line: Pipeline) -> None:
    p = release_line
    assert [j.name for j in p.jobs] == [
        "build",
        "unit-test",
        "lint",
        "provision",
        "deploy-staging",
        "deploy-production",
    ]
    assert triggers(p, "build") == [("resource", "app-source", True), ("resource", "build-settings", False)]
    assert triggers(p, "provision") == [("job", "build", True), ("resource", "infra-state", False)]
    assert triggers(p, "deploy-staging") == [
        ("job", "unit-test", True),
        ("job", "lint", True),
        ("job", "provision", True),
        ("resource", "app-image", True),
        ("resource", "infra-state", False),  # a state resource never triggers by default
        ("resource", "release-version", False),
    ]
    build, provision = p.job("build"), p.job("provision")
    staging, production = p.job("deploy-staging"), p.job("deploy-production")
    assert build is not None and provision is not None and staging is not None and production is not None
    assert build.outputs == ("app-image",) and provision.outputs == ("infra-state",)
    assert (build.timeout, build.retries, build.retry_backoff) == (300.0, 1, None)
    assert (provision.timeout, provision.retries) == (600.0, 0)
    assert len(build.steps) == 3
    assert build.steps[1].run.startswith('count=$(cat "$CONVEYOR_STATE/build-count"')
    assert build.steps[1].run.endswith('> "$CONVEYOR_STATE/build-count"\n')
    assert staging.on_failure == (Step(run='echo "staging deploy failed" >&2'),)
    assert staging.always == (Step(run='echo "deploy finished"'),)
    assert staging.on_success == ()
    assert (production.approval, staging.approval) == (Approval(), None)
    assert production.timeout is None
    assert build.location == Location(str(RELEASE_LINE), 37, 5)
    assert staging.inputs[5].location == Location(str(RELEASE_LINE), 87, 9)


def test_release_line_survives_the_stored_json_form(release_line: Pipeline) -> None:
    again = pipeline_from_dict(pipeline_to_dict(release_line))
    assert again == dataclasses.replace(release_line, source_file="<memory>")
    assert again.digest() == release_line.digest()


def load(text: str, filename: str = "p.yml", default_name: str | None = None) -> Pipeline:
    return load_text(dedent(text), filename, default_name)


def test_step_and_output_shorthands_and_raw_values() -> None:
    p = load(
        """
        resources:
          - name: out
            type: file
            properties: {mode: 0644, ratio: 1.10, flag: yes, empty: , nothing: null, quoted: "007"}
          - {name: out2, type: file}
        jobs:
          - name: build
            steps:
              - make
              - run: make test
                name: tests
                env: {PY: 3.10, DEBUG: false, EMPTY: ~}
            outputs: [out, {resource: out2}]
            env: {A: 1}
            runs_on: {os: linux, gpu: true}
            retries: 0x10
            retry_backoff: 45
            timeout: 1h30m
        """
    )
    assert p.resources[0].properties == (
        ("empty", ""),
        ("flag", "yes"),
        ("mode", "0644"),
        ("nothing", ""),
        ("quoted", "007"),
        ("ratio", "1.10"),
    )
    job = p.jobs[0]
    assert job.steps == (
        Step(run="make"),
        Step(run="make test", name="tests", env=(("DEBUG", "false"), ("EMPTY", ""), ("PY", "3.10"))),
    )
    assert job.outputs == ("out", "out2")
    assert job.env == (("A", "1"),)
    assert job.runs_on == (("gpu", "true"), ("os", "linux"))
    assert (job.retries, job.retry_backoff, job.timeout) == (16, 45.0, 5400.0)


SWITCH = """
resources:
  - {name: src, type: git}
  - {name: shared, type: state}
jobs:
  - name: build
    inputs: [%s]
    steps: [make]
"""


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ("{resource: src}", (True, False)),
        ("{resource: src, switch: off}", (False, True)),
        ("{resource: src, switch: 'off'}", (False, True)),
        ("{resource: src, switch: false}", (False, True)),
        ("{resource: src, switch: on}", (True, False)),
        ("{resource: src, switch: on, trigger: false}", (False, False)),
        ("{resource: src, trigger: no}", (False, False)),
        ("{resource: shared}", (False, False)),
        ("{resource: shared, trigger: true}", (True, False)),
    ],
)
def test_trigger_and_switch(inputs: str, expected: tuple[bool, bool]) -> None:
    i: Input = load(SWITCH % inputs).jobs[0].inputs[0]
    assert (i.trigger, i.switch_off) == expected


def test_switch_off_contradicting_trigger_true() -> None:
    assert one_problem(SWITCH % "{resource: src, switch: off, trigger: true}") == (
        "p.yml:6:52: 'switch: off' means the input never triggers; drop 'trigger: true'"
    )


def test_pipeline_name_defaults_to_the_file_stem() -> None:
    text = "jobs: [{name: a, steps: [x]}]\n"
    assert load(text, "dir/nightly.build.yml").name == "nightly.build"
    assert load(text, "dir/x.yml", default_name="given").name == "given"
    assert load("name: named\n" + text, "dir/x.yml", default_name="given").name == "named"
    assert load("name: named\n" + text, "<stdin>").name == "named"
    with pytest.raises(InvalidDefinition) as caught:
        load(text, "<stdin>")
    assert str(caught.value) == (
        "<stdin>:1:1: the pipeline has no 'name' and '<stdin>' (from the file name) cannot be one: use letters, "
        "digits, '_', '.' and '-', starting with a letter or digit; add 'name: ...'"
    )


def test_anchors_and_merge_keys_reuse_definitions() -> None:
    p = load(
        """
        jobs:
          - &build
            name: build
            steps: &std [make, make check]
            timeout: 5m
          - <<: *build
            name: build-arm
            runs_on: {arch: arm64}
          - name: lint
            steps: *std
        """
    )
    assert [j.name for j in p.jobs] == ["build", "build-arm", "lint"]
    assert p.jobs[1].steps == p.jobs[0].steps == p.jobs[2].steps
    assert (p.jobs[1].timeout, p.jobs[1].runs_on) == (300.0, (("arch", "arm64"),))
