"""Real errors: every one at once, each at its FILE:LINE:COL; the import raises only when asked to load."""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.definitions.importers.shippable import InvalidShippable, check_shippable, load_shippable
from conveyor.errors import BadInput, InvalidDefinition

from ._helpers import FIXTURES, imported, messages

BAD = FIXTURES / "bad.shippable.yml"


def test_a_bad_file_reports_every_error_where_it_is() -> None:
    result = check_shippable([BAD])
    f = str(BAD)
    assert [str(p) for p in result.problems] == [
        f"{f}:5:5: resource 'repo' is defined twice (first at {f}:3)",
        f"{f}:7:5: missing required key 'name' in resource",
        f"{f}:8:11: invalid name 'bad name' for a resource: use letters, digits, '_', '.' and '-', starting with a letter or digit",
        f"{f}:12:22: expected a mapping for 'versionTemplate' of resource 'p', got a list",
        f"{f}:18:17: invalid switch 'sometimes': expected 'off' (never start the job) or 'on'",
        f"{f}:21:9: IN 'p' pins both 'versionName' and 'versionNumber'; give one of them",
        f"{f}:25:15: expected a script line in a TASK of job 'build', got a mapping",
        f"{f}:27:9: a step of job 'build' has both 'IN' and 'OUT'; write two steps",
        f"{f}:28:9: expected a step of job 'build' ('IN:', 'TASK:' or 'OUT:'), got a string",
        f"{f}:29:21: invalid dependencyMode 'eventually'; expected one of: chrono, strict, immediate",
        f"{f}:30:5: job 'build' is defined twice (first at {f}:14)",
        f"{f}:32:5: missing required key 'type' in job 'nameless_type'",
        f"{f}:36:9: cycle among jobs: loop_a -> loop_b -> loop_a",
    ]


def test_load_raises_with_the_problems_and_keeps_the_warnings() -> None:
    with pytest.raises(InvalidShippable) as caught:
        load_shippable([BAD])
    assert isinstance(caught.value, InvalidDefinition)
    assert len(caught.value.problems) == 13
    assert (
        str(caught.value)
        .splitlines()[0]
        .endswith("resource 'repo' is defined twice (first at " + f"{BAD}:3)")
    )
    assert [f.line for f in caught.value.findings] == [4, 30]


def test_yaml_syntax_errors_are_located_by_the_shared_loader() -> None:
    result = imported("jobs:\n  - name: a\n\ttype: runSh\n")
    assert [str(p) for p in result.problems] == [
        "shippable.yml:3:1: tab character in indentation; YAML indents with spaces"
    ]


def test_duplicate_keys_are_errors() -> None:
    result = imported("jobs:\n  - name: a\n    type: runSh\n    type: runCI\n")
    assert "shippable.yml:4:5: duplicate key 'type' (first at line 3)" in messages(result)


def test_a_top_level_that_is_not_a_mapping() -> None:
    result = imported("- a\n- b\n")
    assert [str(p) for p in result.problems] == [
        "shippable.yml:1:1: expected a mapping of top-level keys (resources, jobs), got a list"
    ]


def test_a_ci_only_file_is_not_an_assembly_line() -> None:
    result = imported("language: python\nbuild:\n  ci:\n    - pytest\n")
    assert messages(result) == [
        "shippable.yml:1:1: no 'resources:', 'jobs:' or 'triggers:' here: not a Shippable Assembly Line",
        "shippable.yml:1:1: note: CI sections ignored (language, build): conveyor runs the Assembly Line (resources, jobs) only",
    ]


def test_a_file_of_comments_only_is_a_note_not_an_error() -> None:
    result = imported("# everything is commented out\n#jobs:\n")
    assert [str(f) for f in result.findings] == [
        "shippable.yml:1:1: note: file is empty (or only comments); nothing to load"
    ]


def test_unknown_keys_are_warnings_with_a_suggestion() -> None:
    result = imported(
        "jobs:\n  - name: a\n    type: runSh\n    dependancyMode: strict\n    steps:\n"
        "      - TASK:\n          script: echo\n"
    )
    assert result.problems == ()
    assert messages(result) == [
        "shippable.yml:4:5: warning: unknown key 'dependancyMode' in job 'a' (did you mean 'dependencyMode'?); ignored"
    ]


def test_unreadable_or_empty_paths_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"^cannot read .*missing\.shippable\.yml: No such file or directory$"):
        check_shippable([tmp_path / "missing.shippable.yml"])
    with pytest.raises(BadInput, match=r"^no Shippable files"):
        check_shippable([tmp_path])


def test_an_invalid_env_name_is_an_error() -> None:
    result = imported(
        "jobs:\n  - name: a\n    type: runSh\n    steps:\n      - TASK:\n          runtime:\n"
        "            options:\n              env:\n                - 1BAD: x\n          script: echo\n"
    )
    assert [str(p) for p in result.problems] == [
        "shippable.yml:9:19: invalid environment variable name '1BAD': use letters, digits and '_', not starting with a digit"
    ]
