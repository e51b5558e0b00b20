"""The ten real shippable.yml files (tests/fixtures/shippable/reference, copied verbatim from public
repositories): each must validate, import into native YAML that conveyor's own loader accepts as the same
pipeline, and show its graph."""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.definitions import load_text
from conveyor.definitions.importers.shippable import (
    check_shippable,
    load_shippable,
    render_graph,
    to_native_yaml,
)

from ._helpers import REFERENCE


def test_all_ten_reference_files_are_here() -> None:
    assert len(REFERENCE) == 10


@pytest.mark.parametrize("path", REFERENCE, ids=lambda p: p.name.removesuffix("__shippable.yml"))
def test_reference_file_validates_imports_and_shows_its_graph(path: Path) -> None:
    result = load_shippable([path])
    assert result.problems == ()
    pipeline = result.pipeline
    assert pipeline.jobs and pipeline.resources

    native = to_native_yaml(result)
    again = load_text(native, "imported.yml")
    assert again.digest() == pipeline.digest()
    assert again.name == pipeline.name == path.name.removesuffix("__shippable.yml")

    graph = render_graph(result)
    for j in pipeline.jobs:
        assert f"  {j.name}  [" in graph
        info = result.extras.jobs[j.name]
        assert info.runnable == (info.shippable_type in ("runSh", "runCI"))
    for r in pipeline.resources:
        assert f"  {r.name} " in graph


def test_reference_files_load_together_as_one_subscription() -> None:
    """Names are global across a subscription: loaded together, what one file defines another finds."""
    alone = check_shippable([p for p in REFERENCE if "reqProc" in p.name])
    together = check_shippable(REFERENCE, name="subscription")
    assert together.problems == ()
    assert "node_sh_repo" in alone.extras.resources
    assert alone.extras.resources["node_sh_repo"].origin == "external"
    assert together.extras.resources["node_sh_repo"].origin == "resources"
    assert together.extras.resources["execTemplates_sh_repo"].shippable_type == "gitRepo"
    assert len(together.pipeline.jobs) == 32


def test_switch_off_is_read_everywhere_in_the_real_files() -> None:
    """FACTS.md: 'switch: off' loads as the boolean False under YAML 1.1, and is on about half the INs."""
    together = check_shippable(REFERENCE, name="subscription")
    ins = [i for j in together.extras.jobs.values() for i in j.inputs]
    off = [i for i in ins if i.switch_off]
    assert len(off) > len(ins) // 3
    for j in together.pipeline.jobs:
        for i in j.inputs:
            info = together.extras.resources.get(i.name)
            state = info is not None and info.shippable_type == "state"
            assert i.trigger == (not i.switch_off and not state), (j.name, i.name)


def test_the_real_files_keep_their_dependency_and_trigger_modes() -> None:
    result = load_shippable([p for p in REFERENCE if "admiral" in p.name])
    build = result.extras.jobs["u14admiral_x8664_build"]
    assert (build.dependency_mode, build.trigger_mode, build.node_pool) == (
        "strict",
        "parallel",
        "u14_cache_x86",
    )
    assert build.inputs[3].scopes == ("ecr",)


def test_the_terraform_recipe_shares_its_state_resource() -> None:
    result = load_shippable([p for p in REFERENCE if "prov_aws_vpc" in p.name])
    j = result.pipeline.jobs[0]
    assert j.outputs == ("aws_vpc_tf_info", "aws_vpc_tf_state")
    state_in = next(i for i in j.inputs if i.name == "aws_vpc_tf_state")
    assert state_in.switch_off and not state_in.trigger
    info = result.extras.jobs[j.name]
    assert [o.overwrite for o in info.outputs] == [True, False]
    assert info.integrations == ("dr_aws",)
    assert info.flags == ("aws_vpc", "aws", "terraform")
    assert [s.name for s in j.steps] == ["prov_vpc"]
    assert dict(j.steps[0].env)["vpc_region"] == "us-east-1"
    assert j.on_success and j.always and not j.on_failure
