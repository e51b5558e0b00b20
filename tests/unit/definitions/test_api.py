"""The public functions: files, errors, and the promise that bad input only ever raises InvalidDefinition."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from conveyor.definitions import load_file, load_text, validate_file
from conveyor.errors import BadInput, InvalidDefinition, Problem

from ._helpers import RELEASE_LINE


def test_load_file_names_the_pipeline_after_the_file() -> None:
    assert load_file(str(RELEASE_LINE)).name == "release-line"


def test_validate_file(tmp_path: Path) -> None:
    assert validate_file(RELEASE_LINE) == []
    bad = tmp_path / "bad.yml"
    bad.write_text("jobs:\n  - name: a\n    stpes: [x]\n")
    assert validate_file(bad) == [
        Problem(str(bad), 2, 5, "missing required key 'steps' in job 'a'"),
        Problem(str(bad), 3, 5, "unknown key 'stpes' in job (did you mean 'steps'?)"),
    ]


def test_invalid_definition_carries_the_problems_and_prints_them(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("jobs: 1\nname: -x\n")
    with pytest.raises(InvalidDefinition) as caught:
        load_file(bad)
    assert caught.value.problems == [
        Problem(str(bad), 1, 7, "expected a list of jobs, got an integer"),
        Problem(
            str(bad),
            2,
            7,
            "invalid name '-x': use letters, digits, '_', '.' and '-', starting with a letter or digit",
        ),
    ]
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)


@pytest.mark.parametrize("call", [load_file, validate_file])
def test_unreadable_paths_are_bad_input(tmp_path: Path, call: object) -> None:
    assert callable(call)
    with pytest.raises(BadInput, match=r"^cannot read .*missing\.yml: No such file or directory$"):
        call(tmp_path / "missing.yml")
    with pytest.raises(BadInput, match=r"^cannot read .*: Is a directory$"):
        call(tmp_path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_is_bad_input(tmp_path: Path) -> None:
    locked = tmp_path / "locked.yml"
    locked.write_text("jobs: []\n")
    locked.chmod(0)
    with pytest.raises(BadInput, match=r"^cannot read .*locked\.yml: Permission denied$"):
        load_file(locked)


def test_bytes_and_text_give_the_same_pipeline() -> None:
    data = RELEASE_LINE.read_bytes()
    assert load_text(data, "x.yml") == load_text(data.decode(), "x.yml")


_NOISE = [":", "-", " ", "  ", "\t", "[", "]", "{", "}", "&a", "*a", "<<", "!", "!!int", "'", '"', "\n", "#", "|",
          ">", "%", "@", "`", "\x00", "?", ",", "\ufeff", "---\n", "\u00e9", "1e9", "~"]  # fmt: skip


def _mutants(text: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    lines = text.splitlines(keepends=True)
    out = []
    for _ in range(count):
        how = rng.randrange(4)
        if how == 0:
            at = rng.randrange(len(text))
            out.append(text[:at] + rng.choice(_NOISE) + text[at:])
        elif how == 1:
            at = rng.randrange(len(text))
            out.append(text[:at] + text[at + rng.randrange(1, 40) :])
        elif how == 2:
            copy = list(lines)
            i, j = rng.randrange(len(copy)), rng.randrange(len(copy))
            copy[i], copy[j] = copy[j], copy[i]
            out.append("".join(copy))
        else:
            copy = list(lines)
            i = rng.randrange(len(copy))
            copy.insert(rng.randrange(len(copy)), copy[i])
            out.append("".join(copy))
    return out


def test_mangled_files_only_ever_raise_invalid_definition() -> None:
    text = RELEASE_LINE.read_text()
    for mutant in _mutants(text, 400, seed=20261123):
        try:
            load_text(mutant, "m.yml")
        except InvalidDefinition as exc:
            assert exc.problems
            assert all(p.line >= 1 and p.col >= 1 and p.file == "m.yml" for p in exc.problems), exc.problems
            assert exc.problems == sorted(exc.problems, key=lambda p: (p.line, p.col, p.message))


def test_importing_stays_light() -> None:
    """``conveyor validate`` must start fast: no heavy or lazily needed modules at import."""
    code = "import sys, conveyor.definitions; print(' '.join(sorted(sys.modules)))"
    src = str(Path(__file__).resolve().parents[3] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    loaded = set(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
                 .stdout.split())  # fmt: skip
    assert "yaml" in loaded
    heavy = {"pydantic", "jsonschema", "ruamel", "difflib", "conveyor.definitions.schema"}
    assert not heavy & loaded
