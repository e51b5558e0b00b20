"""The command bodies another engineer wires into argparse, and the native YAML and graph they print."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conveyor.definitions import load_text
from conveyor.definitions.importers.cli_shippable import graph_command, import_command, validate_command
from conveyor.definitions.importers.shippable import load_shippable, render_graph, to_native_yaml

from ._helpers import EVERY_TYPE, FIXTURES, REFERENCE, SPLIT


def test_import_prints_native_yaml_and_warnings_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    path = next(p for p in REFERENCE if "prov_aws_vpc" in p.name)
    assert import_command(str(path)) == 0
    out, err = capsys.readouterr()
    assert load_text(out, "x.yml").digest() == load_shippable([path]).pipeline.digest()
    assert err == (
        f"{path}:4:11: warning: resource 'aws_vpc_tf_repo': type 'gitRepo' is loaded as a 'git' resource, "
        "but conveyor polls it only when its sourceName is a path or URL; an org/repo name needs Shippable's webhook (give it versions with "
        "'conveyor resource put aws_vpc_tf_repo KEY=VALUE')\n"
    )


def test_import_of_a_bad_file_prints_located_errors_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert import_command(str(FIXTURES / "bad.shippable.yml")) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{FIXTURES / 'bad.shippable.yml'}:18:17: invalid switch 'sometimes'" in err
    assert f"{FIXTURES / 'bad.shippable.yml'}:4:11: warning: " in err


def test_import_of_a_missing_file_is_exit_code_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert import_command(str(tmp_path / "none.shippable.yml")) == 2
    assert "cannot read" in capsys.readouterr().err


def test_validate_and_graph_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert validate_command(str(SPLIT)) == 0
    out = capsys.readouterr().out
    assert out.endswith(f"{SPLIT}: valid (1 warning)\n")
    assert validate_command(str(FIXTURES / "bad.shippable.yml")) == 1
    assert graph_command(str(SPLIT)) == 0
    out = capsys.readouterr().out
    assert "jobs, upstream first:\n  split_build  [runSh]\n" in out


def test_native_yaml_comments_say_what_was_not_translated() -> None:
    text = to_native_yaml(load_shippable([EVERY_TYPE]))
    for expected in (
        "# not translated: dependencyMode strict; triggerMode parallel; priority 10; nodePool big_pool",
        "# IN hook_in: dependencyMode immediate (not translated)",
        "# IN build: pinned to versionNumber 4 (not translated)",
        "# OUT tf_state: overwrite (not translated)",
        "# OUT app_file: replicate app_repo; on_failure (post even when the job fails) (not translated)",
        "# on_start script (1 line) not translated",
        "notifiers:\n  - name: team_slack\n    type: slack\n    integration: slack\n",
        "    notify:\n    - notifier: team_slack\n",
        "# Shippable deploy job: conveyor cannot run it",
        "# Ignored top-level sections: templates",
        "  - name: build\n",
        "    timeout: 30m\n",
    ):
        assert expected in text, expected


def test_the_graph_lists_jobs_upstream_first_with_their_edges() -> None:
    graph = render_graph(load_shippable([EVERY_TYPE]))
    jobs = [
        line.split()[0]
        for line in graph.split("jobs, upstream first:\n")[1].splitlines()
        if line.startswith("  ") and not line.startswith("      ")
    ]
    assert jobs.index("build") < jobs.index("test") < jobs.index("deploy_prod") < jobs.index("lb")
    assert jobs.index("package") < jobs.index("stamp") < jobs.index("deploy_prod")
    assert "  deploy_prod  [deploy, NOT RUNNABLE]\n" in graph
    assert "      <- app_params  (params, switch off)\n" in graph
    assert "      <- tf_state  (state, never triggers)\n" in graph
    assert "      <- app_img  (image, pinned versionName 1.10)\n" in graph
    assert "      => deploy_prod  (job: runs after this one)\n" in graph


def test_detecting_costs_no_import_of_the_importer() -> None:
    code = (
        "import sys\n"
        "from conveyor.definitions.importers.shippable import detect\n"
        "assert detect('x/shippable.yml')\n"
        "assert 'conveyor.definitions.importers.shippable.loader' not in sys.modules\n"
        "assert 'conveyor.definitions.importers.shippable.records' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
