"""Graph checks: names, references, duplicates and cycles, each located where it was written."""

from __future__ import annotations

from conveyor.definitions import load_text
from conveyor.definitions.validate import check_graph
from conveyor.model.pipeline import Input, Job, Location, Pipeline, Resource, Step

from ._helpers import dedent, one_problem, problems_of


def test_names_references_and_duplicates() -> None:
    assert problems_of(
        """
        resources:
          - {name: src, type: git}
          - {name: src, type: git}
          - {name: build, type: file}
        jobs:
          - name: build
            steps: [make]
          - name: build
            steps: [make]
          - name: test
            inputs:
              - job: buidl
              - resource: scr
              - resource: test
              - job: src
              - job: test
              - resource: src
              - resource: src
            outputs: [srcc, src, src, test]
            steps: [make]
        """
    ) == [
        "p.yml:3:5: resource 'src' is defined twice (first at line 2)",
        "p.yml:6:5: name 'build' is used by both a job and a resource (the resource at line 4); "
        "inputs are materialised by name, so names must be unique",
        "p.yml:8:5: job 'build' is defined twice (first at line 6)",
        "p.yml:12:9: input 'buidl' names no job (did you mean 'build'?)",
        "p.yml:13:9: input 'scr' names no resource (did you mean 'src'?)",
        "p.yml:14:9: input 'test' names no resource ('test' is a job: write 'job: test')",
        "p.yml:15:9: input 'src' names no job ('src' is a resource: write 'resource: src')",
        "p.yml:16:9: job 'test' takes itself as an input",
        "p.yml:18:9: input 'src' is listed twice in job 'test' (first at line 17)",
        "p.yml:19:15: output 'srcc' names no resource (did you mean 'src'?)",
        "p.yml:19:26: output 'src' is listed twice in job 'test'",
        "p.yml:19:31: output 'test' names no resource ('test' is a job; outputs are resources)",
    ]


def test_reference_without_a_close_name_has_no_suggestion() -> None:
    assert one_problem("jobs:\n  - name: a\n    inputs: [{job: zzzz}]\n    steps: [x]\n") == (
        "p.yml:3:14: input 'zzzz' names no job"
    )


def test_three_job_cycle_is_spelled_out_at_the_input_closing_it() -> None:
    assert (
        one_problem(
            """
        jobs:
          - name: a
            inputs: [{job: c}]
            steps: [x]
          - name: b
            inputs: [{job: a}]
            steps: [x]
          - name: c
            inputs: [{job: b}]
            steps: [x]
          - name: d
            inputs: [{job: c}]
            steps: [x]
        """
        )
        == "p.yml:3:14: cycle among jobs: a -> b -> c -> a"
    )


def test_self_input_is_its_own_problem_not_a_cycle() -> None:
    assert one_problem("jobs:\n  - name: a\n    inputs: [{job: a}]\n    steps: [x]\n") == (
        "p.yml:3:14: job 'a' takes itself as an input"
    )


RESOURCE_CYCLE = """
resources:
  - {name: app-image, type: image}
jobs:
  - name: x
    inputs: [{job: y}]
    outputs: [app-image]
    steps: [x]
  - name: y
    inputs: [{resource: app-image%s}]
    steps: [x]
"""


def test_resource_mediated_cycle() -> None:
    assert one_problem(RESOURCE_CYCLE % "") == (
        "p.yml:5:14: cycle among jobs: x -(app-image)-> y -> x; marking an input 'trigger: false' breaks a "
        "resource cycle (e.g. input 'app-image' of job 'y')"
    )


def test_trigger_false_or_switch_off_breaks_a_resource_cycle() -> None:
    for extra in (", trigger: false", ", switch: off", ", switch: false"):
        load_text(dedent(RESOURCE_CYCLE % extra), "p.yml")


def test_state_resources_do_not_trigger_so_make_no_cycle() -> None:
    text = RESOURCE_CYCLE.replace("type: image", "type: state")
    pipeline = load_text(dedent(text % ""), "p.yml")
    y = pipeline.job("y")
    assert y is not None and y.inputs[0].trigger is False
    # ...unless told to trigger
    assert "cycle among jobs: x -(app-image)-> y -> x" in one_problem(text % ", trigger: true")


def test_a_job_reading_its_own_output_is_not_a_cycle() -> None:
    load_text(
        dedent(
            """
            resources:
              - {name: counter, type: params}
            jobs:
              - name: bump
                inputs: [{resource: counter}]
                outputs: [counter]
                steps: [x]
            """
        ),
        "p.yml",
    )


def test_cycle_through_a_resource_with_many_writers_and_readers() -> None:
    assert one_problem(
        """
        resources:
          - {name: shared, type: file}
        jobs:
          - {name: w1, outputs: [shared], inputs: [{job: r1}], steps: [x]}
          - {name: w2, outputs: [shared], steps: [x]}
          - {name: r1, inputs: [{resource: shared}], steps: [x]}
          - {name: r2, inputs: [{resource: shared}], steps: [x]}
        """
    ) == (
        "p.yml:4:44: cycle among jobs: w1 -(shared)-> r1 -> w1; marking an input 'trigger: false' breaks a "
        "resource cycle (e.g. input 'shared' of job 'r1')"
    )


def test_each_cycle_is_reported_once() -> None:
    found = problems_of(
        """
        jobs:
          - {name: a, inputs: [{job: b}], steps: [x]}
          - {name: b, inputs: [{job: a}], steps: [x]}
          - {name: c, inputs: [{job: d}, {job: b}], steps: [x]}
          - {name: d, inputs: [{job: c}], steps: [x]}
        """
    )
    assert found == [
        "p.yml:2:24: cycle among jobs: a -> b -> a",
        "p.yml:4:24: cycle among jobs: c -> d -> c",
    ]


def test_a_long_cycle_is_found_without_recursion_and_shown_short() -> None:
    n = 3000
    lines = ["jobs:"]
    for i in range(n):
        lines.append(f"  - {{name: j{i}, inputs: [{{job: j{(i - 1) % n}}}], steps: [x]}}")
    found = problems_of("\n".join(lines) + "\n")
    assert found == [
        "p.yml:2:25: cycle among jobs: j0 -> j1 -> j2 -> j3 -> j4 -> j5 -> j6 -> j7 -> j8 -> j9 -> ... "
        "(2988 more jobs) ... -> j2998 -> j2999 -> j0"
    ]


def test_params_property_keys_must_be_environment_names() -> None:
    assert problems_of(
        """
        resources:
          - {name: p, type: params, properties: {ok: 1, bad-key: 2, 9x: 3}}
          - {name: f, type: file, properties: {bad-key: 2}}
        """
    ) == [
        f"p.yml:2:{col}: invalid property {key!r} of params resource 'p': params properties are exported to steps "
        "as environment variables, so use letters, digits and '_', not starting with a digit"
        for col, key in ((49, "bad-key"), (61, "9x"))
    ]


def test_graph_checks_work_on_a_model_from_any_format() -> None:
    """Importers build the model themselves; without ``Where`` problems point at jobs and resources."""
    here = Location("t.json", 7, 3)
    pipeline = Pipeline(
        name="imported",
        resources=(
            Resource(name="r", type="params", properties=(("a-b", "1"),), location=Location("t.json", 2, 1)),
        ),
        jobs=(
            Job(
                name="a",
                steps=(Step(run="x"),),
                inputs=(Input(name="b", kind="job", location=here),),
                outputs=("nope",),
                location=Location("t.json", 5, 1),
            ),
            Job(name="b", steps=(Step(run="x"),), inputs=(Input(name="a", kind="job"),)),
        ),
    )
    found = sorted(str(p) for p in check_graph(pipeline))
    assert found == [
        "t.json:2:1: invalid property 'a-b' of params resource 'r': params properties are exported to steps as "
        "environment variables, so use letters, digits and '_', not starting with a digit",
        "t.json:5:1: output 'nope' names no resource",
        "t.json:7:3: cycle among jobs: a -> b -> a",
    ]
