"""YAML text -> located tree: raw scalars, tags, positions, and YAML-level problems."""

from __future__ import annotations

import re
import time

import pytest

from conveyor.definitions import yamlsrc
from conveyor.definitions.yamlsrc import BOOL, FLOAT, INT, NULL, STR, Map, Scalar, Seq

from ._helpers import dedent, one_problem, problems_of


def parse_ok(text: str) -> Map:
    tree, problems = yamlsrc.parse(dedent(text), "t.yml")
    assert problems == []
    assert isinstance(tree, Map)
    return tree


def value(tree: Map, key: str) -> Scalar:
    node = tree.entries[key][1]
    assert isinstance(node, Scalar)
    return node


def test_scalars_keep_their_raw_text_and_resolved_tag() -> None:
    tree = parse_ok(
        """
        a: 3.11
        b: "3.11"
        c: 0644
        d: true
        e: off
        f: ~
        g:
        h: 1_000
        i: |
          two
          lines
        """
    )
    seen = {k: (value(tree, k).value, value(tree, k).tag) for k in tree.entries}
    assert seen == {
        "a": ("3.11", FLOAT),
        "b": ("3.11", STR),
        "c": ("0644", INT),
        "d": ("true", BOOL),
        "e": ("off", BOOL),
        "f": ("~", NULL),
        "g": ("", NULL),
        "h": ("1_000", INT),
        "i": ("two\nlines\n", STR),
    }


def test_positions_are_one_based_line_and_column() -> None:
    tree = parse_ok(
        """
        jobs:
          - name: build
            steps: [a, b]
        """
    )
    jobs = tree.entries["jobs"][1]
    assert isinstance(jobs, Seq)
    job = jobs.items[0]
    assert isinstance(job, Map)
    assert (job.line, job.col) == (2, 5)
    key, name = job.entries["name"]
    assert (key.line, key.col, name.line, name.col) == (2, 5, 2, 11)
    steps = job.entries["steps"][1]
    assert isinstance(steps, Seq)
    assert [(s.line, s.col) for s in steps.items] == [(3, 13), (3, 16)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10", 10),
        ("-3", -3),
        ("0o17", None),
        ("017", 15),
        ("0x1f", 31),
        ("0b101", 5),
        ("1_000", 1000),
        ("1:30", 90),
    ],
)
def test_int_value_reads_yaml_1_1_integers(text: str, expected: int | None) -> None:
    node = Scalar(text, None, True, 1, 1)
    if expected is None:
        assert node.tag != INT
    else:
        assert node.tag == INT
        assert yamlsrc.int_value(node) == expected


def test_duplicate_key_is_reported_at_the_second_key() -> None:
    assert (
        one_problem(
            """
        jobs:
          - name: build
            steps: [make]
            name: again
        """
        )
        == "p.yml:4:5: duplicate key 'name' (first at line 2)"
    )


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("jobs:\n\t- name: x\n", 2, 1),
        ("jobs:\n  - name: x\n  \tsteps: []\n", 3, 3),
        ("jobs:\n  - name: x\n\t  steps: []\n", 3, 1),
        ("jobs:\n  - name: x\n    steps:\n    - run: |\n\techo hi\n", 5, 1),
    ],
)
def test_tab_in_indentation(text: str, line: int, col: int) -> None:
    assert problems_of(text) == [
        f"p.yml:{line}:{col}: tab character in indentation; YAML indents with spaces"
    ]


def test_tab_inside_a_value_is_fine() -> None:
    tree = parse_ok("a: 'x\ty'\n")
    assert value(tree, "a").value == "x\ty"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "jobs: [a, b\n",
            "p.yml:2:1: invalid YAML: did not find expected ',' or ']' "
            "(while parsing a flow sequence that starts at line 1)",
        ),
        (
            "jobs:\n  - name: x\n    steps: echo: hi\n",
            "p.yml:3:16: invalid YAML: mapping values are not allowed in this context "
            "(a value containing ': ' must be quoted)",
        ),
        (
            "jobs:\n  - name: x\n   steps: []\n",
            "p.yml:3:4: invalid YAML: did not find expected '-' indicator "
            "(a list item and a key are mixed at the same indentation)",
        ),
        (
            "name: 'open\n",
            "p.yml:2:1: invalid YAML: found unexpected end of stream "
            "(while scanning a quoted scalar that starts at line 1)",
        ),
    ],
)
def test_malformed_yaml_is_one_located_problem(text: str, expected: str) -> None:
    assert problems_of(text) == [expected]


def test_non_utf8_bytes() -> None:
    data = "name: caf\u00e9\njobs: []\n".encode() + b"# \xff\n"
    assert problems_of(data) == ["p.yml:3:3: file is not UTF-8 text (byte 0xff at offset 23)"]


def test_utf8_bytes_with_a_bom_are_fine() -> None:
    tree, problems = yamlsrc.parse("\ufeffname: x\n".encode(), "t.yml")
    assert problems == [] and isinstance(tree, Map) and "name" in tree.entries


def test_control_character() -> None:
    assert problems_of("name: a\x07b\n") == ["p.yml:1:8: character U+0007 is not allowed in YAML text"]


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n", "---\n", b""])
def test_empty_file(text: str | bytes) -> None:
    assert problems_of(text) == ["p.yml:1:1: file is empty"]


def test_several_documents() -> None:
    assert problems_of("name: a\n---\nname: b\n") == [
        "p.yml:2:1: a second YAML document starts here; a pipeline file holds exactly one"
    ]


def test_anchors_aliases_and_merge_keys_are_resolved() -> None:
    tree = parse_ok(
        """
        base: &base {a: 1, b: 2}
        copy: *base
        merged:
          <<: *base
          b: 3
        """
    )
    copy = tree.entries["copy"][1]
    merged = tree.entries["merged"][1]
    assert isinstance(copy, Map) and isinstance(merged, Map)
    assert {k: v.value for k, (_, v) in copy.entries.items() if isinstance(v, Scalar)} == {"a": "1", "b": "2"}
    assert {k: v.value for k, (_, v) in merged.entries.items() if isinstance(v, Scalar)} == {
        "a": "1",
        "b": "3",
    }


def test_undefined_and_recursive_aliases() -> None:
    assert problems_of("a: *nowhere\n") == ["p.yml:1:4: alias '*nowhere' is not defined"]
    assert problems_of("a: &loop [1, *loop]\n") == [
        "p.yml:1:14: alias '*loop' is inside the node it names (a recursive structure)"
    ]


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    started = time.perf_counter()
    found = problems_of("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 1.0
    assert len(found) == 1 and found[0].endswith("aliases expand the document too much (an alias bomb?)")


def test_deep_nesting_is_refused_quickly() -> None:
    # yaml.compose's recursive C composer segfaults on this, and libyaml alone takes minutes.
    depth = 100_000
    started = time.perf_counter()
    found = problems_of("[" * depth + "]" * depth)
    assert time.perf_counter() - started < 1.0
    # where it is seen depends on how far libyaml scans ahead (its own limit is 1,000 levels)
    assert len(found) == 1 and re.fullmatch(
        r"p\.yml:1:(201|1001): nesting is deeper than 200 levels", found[0]
    )


def test_moderate_nesting_is_only_a_shape_problem() -> None:
    assert problems_of("[" * 150 + "]" * 150) == ["p.yml:1:1: expected a pipeline (a mapping), got a list"]


def test_non_scalar_mapping_key() -> None:
    assert "p.yml:1:3: a mapping key must be a plain value, not a list" in problems_of("? [a]\n: b\n")


def test_str_with_lone_surrogate_is_a_problem_not_a_crash() -> None:
    found = problems_of("name: \udcff\n")
    assert len(found) == 1 and found[0].startswith("p.yml:1:1: text is not valid Unicode")
