"""IN and OUT: switch spellings, pinning, dependency and trigger modes, replicate/overwrite/on_failure."""

from __future__ import annotations

import pytest

from ._helpers import clean, imported, job, messages, one_job

TASK = "- TASK:\n    script: echo run\n"


@pytest.mark.parametrize(
    "spelling", ["off", "Off", "OFF", '"off"', "'off'", "false", "False", '"false"', "no", "No", '"no"']
)
def test_switch_off_however_yaml_reads_it(spelling: str) -> None:
    result = clean(one_job(f"- IN: r\n  switch: {spelling}\n{TASK}"))
    i = job(result, "j").inputs[0]
    assert (i.switch_off, i.trigger) == (True, False)
    assert result.extras.jobs["j"].inputs[0].switch_off


@pytest.mark.parametrize("spelling", ["on", "ON", '"on"', "true", "yes"])
def test_switch_on_is_the_default(spelling: str) -> None:
    i = job(clean(one_job(f"- IN: r\n  switch: {spelling}\n{TASK}")), "j").inputs[0]
    assert (i.switch_off, i.trigger) == (False, True)


def test_an_unknown_switch_is_a_located_error() -> None:
    result = imported(one_job(f"- IN: r\n  switch: maybe\n{TASK}"))
    assert [str(p) for p in result.problems] == [
        "shippable.yml:14:17: invalid switch 'maybe': expected 'off' (never start the job) or 'on'"
    ]


def test_a_state_resource_never_triggers_but_is_read_and_written() -> None:
    j = job(clean(one_job(f"- IN: s\n{TASK}- OUT: s\n")), "j")
    assert (j.inputs[0].trigger, j.inputs[0].switch_off) == (False, False)
    assert j.outputs == ("s",)


def test_reading_and_writing_a_resource_that_is_not_state_is_a_warning() -> None:
    result = clean(one_job(f"- IN: r\n{TASK}- OUT: r\n"))
    assert messages(result) == [
        "shippable.yml:16:9: warning: job 'j' reads and writes 'r'; Shippable allows that only for state resources"
    ]


def test_pinning_by_version_name_or_number() -> None:
    result = clean(one_job(f"- IN: r\n  versionName: 1.10\n- IN: s\n  versionNumber: 7\n{TASK}"))
    ins = result.extras.jobs["j"].inputs
    assert (ins[0].version_name, ins[0].version_number, ins[0].pinned) == ("1.10", None, True)
    assert (ins[1].version_name, ins[1].version_number) == (None, 7)


def test_pinning_both_ways_is_an_error_at_the_second_pin() -> None:
    result = imported(one_job(f"- IN: r\n  versionName: abc\n  versionNumber: 2\n{TASK}"))
    assert [str(p) for p in result.problems] == [
        "shippable.yml:15:9: IN 'r' pins both 'versionName' and 'versionNumber'; give one of them"
    ]


def test_a_version_number_must_be_a_number() -> None:
    result = imported(one_job(f"- IN: r\n  versionNumber: latest\n{TASK}"))
    assert [str(p) for p in result.problems] == [
        "shippable.yml:14:24: expected an integer of at least 0 for versionNumber, got 'latest'"
    ]


@pytest.mark.parametrize("mode", ["chrono", "strict", "immediate"])
def test_dependency_modes_on_the_job_and_on_an_input(mode: str) -> None:
    result = clean(one_job(f"- IN: r\n  dependencyMode: {mode}\n{TASK}", f"dependencyMode: {mode}\n"))
    info = result.extras.jobs["j"]
    assert info.dependency_mode == info.effective_dependency_mode == mode
    assert info.inputs[0].dependency_mode == mode


def test_modes_default_to_chrono_and_serial() -> None:
    info = clean(one_job(TASK)).extras.jobs["j"]
    assert (info.dependency_mode, info.trigger_mode) == (None, None)
    assert (info.effective_dependency_mode, info.effective_trigger_mode) == ("chrono", "serial")


def test_bad_modes_are_located_errors_with_a_suggestion() -> None:
    result = imported(one_job(f"- IN: r\n  dependencyMode: stric\n{TASK}", "triggerMode: paralel\n"))
    assert [str(p) for p in result.problems] == [
        "shippable.yml:12:18: invalid triggerMode 'paralel' (did you mean 'parallel'?); expected one of: serial, parallel",
        "shippable.yml:15:25: invalid dependencyMode 'stric' (did you mean 'strict'?); expected one of: chrono, strict, immediate",
    ]


def test_trigger_mode_priority_and_runtime() -> None:
    extra = "triggerMode: parallel\npriority: 5\nruntime:\n  nodePool: big\n  container: false\n  timeoutMinutes: 7\n"
    result = clean(one_job(TASK, extra))
    info = result.extras.jobs["j"]
    assert (info.trigger_mode, info.priority, info.node_pool, info.container, info.timeout_minutes) == (
        "parallel",
        5,
        "big",
        False,
        7,
    )
    assert job(result, "j").timeout == 420.0


def test_out_options_are_kept() -> None:
    steps = f"- IN: r\n{TASK}- OUT: s\n  overwrite: true\n  on_failure: true\n  replicate: r\n  replicateOnPullRequest: false\n"
    result = clean(one_job(steps))
    out = result.extras.jobs["j"].outputs[0]
    assert (out.overwrite, out.on_failure, out.replicate, out.replicate_on_pull_request) == (
        True,
        True,
        "r",
        False,
    )
    assert job(result, "j").outputs == ("s",)


def test_replicating_something_that_is_not_an_input_is_a_warning() -> None:
    result = clean(one_job(f"{TASK}- OUT: s\n  replicate: r\n"))
    assert messages(result) == [
        "shippable.yml:15:9: warning: OUT 's' replicates 'r', which is not an IN of job 'j'"
    ]


def test_out_naming_a_job_makes_that_job_run_after_this_one() -> None:
    text = (
        one_job(f"{TASK}- OUT: k\n")
        + "  - name: k\n    type: runSh\n    steps:\n"
        + "      - TASK:\n          script: echo k\n"
    )
    result = clean(text)
    k = job(result, "k")
    assert [(i.kind, i.name, i.trigger) for i in k.inputs] == [("job", "j", True)]
    assert job(result, "j").outputs == ()
    assert result.extras.jobs["k"].triggered_by == ("j",)
    assert result.extras.jobs["j"].outputs[0].kind == "job"


def test_names_no_file_defines_become_external_resources_with_a_warning() -> None:
    result = clean(one_job(f"- IN: elsewhere_runCI\n{TASK}- OUT: elsewhere_img\n"))
    assert [r.name for r in result.pipeline.resources] == ["r", "s", "elsewhere_runCI", "elsewhere_img"]
    assert result.pipeline.resources[2].type == "generic"
    assert result.extras.resources["elsewhere_img"].origin == "external"
    assert [w.line for w in result.warnings] == [13, 16]
    assert "'elsewhere_runCI' is not defined in these files" in result.warnings[0].message


def test_other_input_options_are_kept() -> None:
    steps = f"- IN: r\n  showBuildStatus: true\n  scopes: [ecr, gke]\n  force: true\n  applyTo: [s]\n  vote: 1\n{TASK}"
    i = clean(one_job(steps)).extras.jobs["j"].inputs[0]
    assert (i.show_build_status, i.scopes, i.force, i.apply_to, i.options) == (
        True,
        ("ecr", "gke"),
        True,
        ("s",),
        (("vote", 1),),
    )
