"""TASK in its three shapes and hooks in their two: each shape becomes the same native steps."""

from __future__ import annotations

import subprocess

import pytest

from conveyor.definitions.importers.shippable.translate import bash

from ._helpers import clean, job, messages, one_job


def test_task_as_a_mapping_with_name_runtime_and_env() -> None:
    result = clean(
        one_job(
            """
            - TASK:
                name: build
                runtime:
                  container: false
                  options:
                    imageName: drydock/u16
                    imageTag: master
                    pull: true
                    options: --privileged
                    env:
                      - GREETING: hello
                      - COUNT: 3
                script:
                  - echo one
                  - echo two
            """
        )
    )
    step = job(result, "j").steps[0]
    assert step.name == "build"
    assert step.env == (("COUNT", "3"), ("GREETING", "hello"))
    assert step.run == bash(["echo one", "echo two"])
    task = result.extras.jobs["j"].tasks[0]
    assert (task.shape, task.container, task.image_name, task.image_tag, task.pull, task.docker_options) == (
        "mapping",
        False,
        "drydock/u16",
        "master",
        True,
        "--privileged",
    )


def test_task_as_a_list_of_script_items_is_one_step() -> None:
    result = clean(
        one_job(
            """
            - TASK:
              - script: echo one
              - script: |
                  echo two
                  echo three
            """
        )
    )
    steps = job(result, "j").steps
    assert len(steps) == 1
    assert steps[0].run == bash(["echo one", "echo two\necho three\n"])
    assert steps[0].name == "echo one"
    assert result.extras.jobs["j"].tasks[0].shape == "list"


def test_task_script_may_be_one_string() -> None:
    result = clean(one_job("- TASK:\n    script: ls -al\n"))
    assert job(result, "j").steps[0].run == bash(["ls -al"])


def test_each_task_is_its_own_step() -> None:
    result = clean(one_job("- TASK:\n    script: echo a\n- TASK:\n    name: second\n    script: [echo b]\n"))
    assert [s.name for s in job(result, "j").steps] == ["echo a", "second"]


def test_task_managed_on_a_deploy_job_is_kept_as_its_shape() -> None:
    result = clean(one_job("- IN: r\n- TASK: managed\n", jtype="deploy"))
    assert result.extras.jobs["j"].tasks[0].shape == "managed"
    assert "exit 1" in job(result, "j").steps[0].run


def test_task_managed_on_runsh_is_a_warning() -> None:
    result = clean(one_job("- TASK: managed\n"))
    assert (
        "shippable.yml:13:15: warning: 'TASK: managed' is for Shippable-managed job types; runSh job 'j' has nothing to run in it"
        in messages(result)
    )


MAPPING_HOOKS = """
on_success:
  script:
    - echo ok
    - echo fine
  NOTIFY:
    - name: slack
      sendFailingSnippet: true
on_failure:
  script: echo failed
  NOTIFY: slack
always:
  script:
    - echo always
"""
LIST_HOOKS = """
on_success:
  - script: echo ok
  - script: [echo fine]
  - NOTIFY:
      name: slack
      sendFailingSnippet: true
on_failure:
  - script: echo failed
  - NOTIFY: slack
always:
  - script: echo always
"""


@pytest.mark.parametrize("hooks", [MAPPING_HOOKS, LIST_HOOKS], ids=["mapping", "list"])
def test_both_hook_shapes_translate_alike(hooks: str) -> None:
    slack = "- name: slack\n  type: notification\n  integration: team\n"
    result = clean(one_job("- TASK:\n    script: echo run\n", hooks, resources=slack))
    j = job(result, "j")
    assert j.on_success[0].run == bash(["echo ok", "echo fine"])
    assert j.on_failure[0].run == bash(["echo failed"])
    assert j.always[0].run == bash(["echo always"])
    info = result.extras.jobs["j"]
    assert info.on_success is not None and info.on_failure is not None
    assert [(n.resource, n.send_failing_snippet) for n in info.on_success.notify] == [("slack", True)]
    assert [(n.resource, n.send_failing_snippet) for n in info.on_failure.notify] == [("slack", False)]
    assert info.on_success.shape == ("list" if hooks is LIST_HOOKS else "mapping")
    assert not result.warnings  # the notification resource became a notifier
    assert [n.name for n in result.pipeline.notifiers] == ["slack"]
    assert [(r.notifier, r.on) for r in j.notify] == [("slack", ("succeeded", "failed"))]


def test_on_start_and_on_cancel_are_kept_in_the_extras_only() -> None:
    result = clean(
        one_job(
            "- TASK:\n    script: echo run\n",
            "on_start:\n  - script: echo start\non_cancel:\n  script: [echo cancel]\n",
        )
    )
    info = result.extras.jobs["j"]
    assert info.on_start is not None and info.on_start.scripts == ("echo start",)
    assert info.on_cancel is not None and info.on_cancel.scripts == ("echo cancel",)
    j = job(result, "j")
    assert "start" not in " ".join(s.run for s in (*j.steps, *j.on_success, *j.on_failure, *j.always))


def test_notify_naming_something_else_is_a_warning() -> None:
    result = clean(
        one_job("- TASK:\n    script: echo run\n", "on_failure:\n  - NOTIFY: r\n  - NOTIFY: nobody\n")
    )
    assert messages(result) == [
        "shippable.yml:13:17: warning: NOTIFY names 'r', a params resource, not a notification",
        "shippable.yml:14:17: warning: NOTIFY names 'nobody', which is not defined in these files",
    ]


def test_translated_scripts_run_in_one_bash_shell_and_stop_at_the_first_failure(tmp_path: object) -> None:
    """What a step does when conveyor runs it: ``/bin/sh -ec`` with the step's text."""
    run = bash(
        [
            "cd /tmp && pushd / >/dev/null",
            "X=\"a)b 'quoted' $((1 + 2))\"",
            'popd >/dev/null; echo "$X in $(pwd)"',
            "cat <<EOF\nnested $X\nEOF",
            "false",
            "echo not reached",
        ]
    )
    done = subprocess.run(["/bin/sh", "-ec", run], capture_output=True, text=True, timeout=10)
    assert done.returncode == 1
    assert done.stdout == "a)b 'quoted' 3 in /tmp\nnested a)b 'quoted' 3\n"


def test_a_script_containing_the_heredoc_word_still_runs() -> None:
    run = bash(["echo SHIPPABLE_SCRIPT", "echo after"])
    done = subprocess.run(["/bin/sh", "-ec", run], capture_output=True, text=True, timeout=10)
    assert (done.returncode, done.stdout) == (0, "SHIPPABLE_SCRIPT\nafter\n")
