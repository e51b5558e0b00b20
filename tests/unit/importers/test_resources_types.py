"""Resources in both syntaxes, the old triggers section, and every resource and job type of FACTS.md."""

from __future__ import annotations

import subprocess

from conveyor.definitions import load_text
from conveyor.definitions.importers.shippable import load_shippable, to_native_yaml
from conveyor.definitions.importers.shippable.types import JOB_TYPES, RESOURCE_TYPES

from ._helpers import EVERY_TYPE, clean, dedent, imported, job, messages

OLD = """
resources:
  - name: img
    type: image
    pointer:
      sourceName: acme/app
    seed:
      versionName: "1.10"
jobs: []
"""
NEW = """
resources:
  - name: img
    type: image
    versionTemplate:
      sourceName: acme/app
      versionName: "1.10"
jobs: []
"""


def test_both_resource_syntaxes_declare_the_same_properties() -> None:
    old, new = clean(OLD), clean(NEW)
    assert old.pipeline.resources == new.pipeline.resources
    assert old.pipeline.resources[0].properties == (("sourceName", "acme/app"), ("versionName", "1.10"))
    assert (old.extras.resources["img"].syntax, new.extras.resources["img"].syntax) == (
        "pointer/seed/version",
        "versionTemplate",
    )
    assert old.extras.resources["img"].template == {
        "pointer": {"sourceName": "acme/app"},
        "seed": {"versionName": "1.10"},
    }


def test_params_become_variables_as_written_and_secure_values_are_dropped() -> None:
    result = clean(
        """
        resources:
          - name: p
            type: params
            versionTemplate:
              params:
                COUNT: 3
                RATIO: 1.50
                FLAG: yes
                secure: abc==
        """
    )
    assert result.pipeline.resources[0].properties == (("COUNT", "3"), ("FLAG", "yes"), ("RATIO", "1.50"))
    assert messages(result)[-1].startswith("shippable.yml:9:9: warning: params resource 'p': 'secure' values")


def test_nested_data_is_flattened_to_dotted_keys() -> None:
    result = clean(
        """
        resources:
          - name: repo
            type: gitRepo
            versionTemplate:
              sourceName: acme/app
              branches:
                only: [master, "release/*"]
        """
    )
    assert result.pipeline.resources[0].properties == (
        ("branches.only", '["master","release/*"]'),
        ("sourceName", "acme/app"),
    )
    assert result.pipeline.resources[0].type == "git"


def test_the_old_triggers_section_is_merged_into_the_resources() -> None:
    result = clean("triggers:\n  - name: kick\n    version:\n      counter: 2\n")
    assert result.pipeline.resources[0].type == "trigger"
    assert result.pipeline.resources[0].properties == (("counter", "2"),)
    assert result.extras.resources["kick"].origin == "triggers"


def test_every_resource_and_job_type_is_parsed_and_shown() -> None:
    result = load_shippable([EVERY_TYPE])
    types = {r.shippable_type for r in result.extras.resources.values()}
    assert types == set(RESOURCE_TYPES)
    assert {j.shippable_type for j in result.extras.jobs.values()} == set(JOB_TYPES)
    for info in result.extras.resources.values():
        assert result.pipeline.resource(info.name) is not None
        assert result.pipeline.resource(info.name).type == RESOURCE_TYPES[info.shippable_type][0]  # type: ignore[union-attr]
    runnable = {n for n, j in result.extras.jobs.items() if j.runnable}
    assert runnable == {"build", "test"}
    assert load_text(to_native_yaml(result), "x.yml").digest() == result.pipeline.digest()


def test_a_job_type_conveyor_cannot_run_is_a_warning_at_its_type_and_the_rest_still_loads() -> None:
    result = imported(
        """
        resources:
          - name: cl
            type: cluster
        jobs:
          - name: ship
            type: deploy
            steps:
              - IN: cl
              - TASK: managed
          - name: after
            type: runSh
            steps:
              - IN: ship
              - TASK:
                  script: echo after
        """
    )
    assert result.problems == ()
    assert [w for w in messages(result) if "deploy jobs" in w] == [
        "shippable.yml:6:11: warning: conveyor cannot run deploy jobs (Shippable-managed: deploys a manifest or "
        "release to a cluster): job 'ship' is kept in the graph with a step that fails saying so"
    ]
    assert [i.name for i in job(result, "after").inputs] == ["ship"]
    step = job(result, "ship").steps[0]
    done = subprocess.run(["/bin/sh", "-ec", step.run], capture_output=True, text=True, timeout=10)
    assert done.returncode == 1
    assert done.stderr.startswith("conveyor cannot run Shippable deploy jobs (")
    assert "job ship" in done.stderr


def test_an_unknown_type_is_a_warning_too() -> None:
    result = imported(
        dedent(
            """
            resources:
              - name: x
                type: gitrepo
            jobs:
              - name: y
                type: runsh
                steps:
                  - IN: x
            """
        )
    )
    assert result.problems == ()
    assert messages(result) == [
        "shippable.yml:3:11: warning: resource 'x' has unknown type 'gitrepo'; it is loaded as a 'generic' resource",
        "shippable.yml:6:11: warning: unknown job type 'runsh' (did you mean 'runSh'?): job 'y' is kept in the graph with a step that fails saying so",
    ]
    assert "exit 1" in job(result, "y").steps[0].run


def test_runci_runs_as_runsh_and_without_a_task_says_its_ci_is_not_run() -> None:
    result = clean("jobs:\n  - name: ci\n    type: runCI\n    steps:\n      - OUT: img\n")
    assert result.extras.jobs["ci"].runnable
    assert messages(result)[0].startswith("shippable.yml:3:11: warning: runCI job 'ci' runs the CI build")
    step = job(result, "ci").steps[0]
    done = subprocess.run(["/bin/sh", "-ec", step.run], capture_output=True, text=True, timeout=10)
    assert done.returncode == 0
