from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Runs the real ``conveyor`` command as a subprocess against one store."""

    def __init__(self, home: Path, db_url: str) -> None:
        self.home = home
        self.env = {
            **os.environ,
            "CONVEYOR_HOME": str(home),
            "CONVEYOR_DATABASE_URL": db_url,
            "CONVEYOR_RETRY_BACKOFF": "0.05",
            "COLUMNS": "200",
        }
        self.cwd = home.parent

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "conveyor", *args]

    def __call__(self, *args: str, timeout: float = 120) -> Result:
        proc = subprocess.run(
            self.argv(*args), cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(*args),
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def cli(tmp_path: Path, db_url: str) -> Cli:
    return Cli(tmp_path / "home", db_url)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return _write


def assert_one_clean_line(r: Result) -> None:
    """Bad input: a non-zero exit and one readable line, never a traceback."""
    assert r.code != 0
    assert "Traceback" not in r.err and "Traceback" not in r.out
    assert len(r.err.strip().splitlines()) == 1, r.err
