"""The real ``conveyor`` command, as a user runs it, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.acceptance.conftest import EXAMPLES, Cli, assert_one_clean_line


def test_release_line_runs_then_is_up_to_date_then_follows_a_new_version(cli: Cli, tmp_path: Path) -> None:
    line = tmp_path / "release-line.yml"
    shutil.copy(EXAMPLES / "release-line.yml", line)

    first = cli("run", str(line), "--json")
    assert first.code == 0, first.err
    summary = first.json()
    assert summary["ok"] and summary["applied"] and not summary["up_to_date"]
    ran = sorted(r["job"] for r in summary["runs"])
    assert ran == ["build", "deploy-staging", "lint", "provision", "unit-test"]
    assert [w["job"] for w in summary["waiting"]] == ["deploy-production"]

    again = cli("run", str(line))
    assert again.code == 0
    assert "release-line is up to date" in again.out

    put = cli("resource", "put", "app-source", "GIT_SHA=9b1e77d")
    assert put.code == 0 and "app-source v2" in put.out
    third = cli("run", str(line), "--json").json()
    assert sorted(r["job"] for r in third["runs"]) == ran

    versions = cli("resource", "versions", "app-image", "--json").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["properties"]["image"] == "registry.local/app:9b1e77d"

    gate = third["waiting"][0]["id"]
    assert cli("approve", str(gate), "-m", "ship it").code == 0
    fourth = cli("run", str(line), "--json").json()
    assert [(r["job"], r["status"]) for r in fourth["runs"]] == [("deploy-production", "succeeded")]

    shown = cli("runs", str(gate), "--json").json()
    assert {i["name"] for i in shown["inputs"]} == {"deploy-staging", "app-image"}
    assert any(e["kind"] == "run.approved" and e["comment"] == "ship it" for e in shown["events"])
    assert cli("logs", str(gate)).out.strip().endswith("deploying to production")
    listed = cli("runs", "--job", "build", "--json").json()
    assert [r["number"] for r in listed] == [2, 1]
    assert "build" in cli("runs").out


def test_job_trigger_runs_on_next_run_and_failures_exit_nonzero(
    cli: Cli, write: Callable[[str, str], Path]
) -> None:
    line = write("p.yml", "jobs:\n  - name: ok\n    steps: ['true']\n  - name: bad\n    steps: ['exit 4']\n")
    r = cli("run", str(line))
    assert r.code == 1
    assert re.search(r"bad #1\s+failed", r.out)
    assert cli("job", "trigger", "ok").code == 0
    again = cli("run", str(line), "--json").json()
    assert [(x["job"], x["status"]) for x in again["runs"]] == [("ok", "succeeded")]
    missing = cli("job", "trigger", "okk")
    assert_one_clean_line(missing)
    assert "did you mean 'ok'" in missing.err


def test_validate_reports_every_problem_with_its_location(
    cli: Cli, write: Callable[[str, str], Path]
) -> None:
    bad = write(
        "bad.yml",
        "jobs:\n"
        "  - name: a\n"
        "    stpes: ['true']\n"
        "  - name: b\n"
        "    inputs: [{job: c}]\n"
        "    steps: ['true']\n"
        "    timeout: soon\n"
        "  - name: c\n"
        "    inputs: [{job: b}]\n"
        "    steps: ['true']\n",
    )
    r = cli("validate", str(bad))
    assert r.code == 1
    lines = r.out.strip().splitlines()
    assert all(line.startswith(f"{bad}:") for line in lines)
    text = r.out
    assert "unknown key 'stpes'" in text
    assert "invalid duration 'soon'" in text
    assert re.search(r"cycle among jobs: (b -> c -> b|c -> b -> c)", text)
    assert len(lines) >= 4  # a also misses its steps
    good = cli("validate", str(EXAMPLES / "release-line.yml"))
    assert good.code == 0


def test_schema_is_json_schema(cli: Cli) -> None:
    r = cli("schema")
    assert r.code == 0
    schema = json.loads(r.out)
    assert "$schema" in schema and "jobs" in json.dumps(schema)


def test_bad_input_gets_one_clear_line_and_loses_nothing(cli: Cli, write: Callable[[str, str], Path]) -> None:
    line = write(
        "p.yml",
        "resources:\n  - {name: cfg, type: params, properties: {A: '1'}}\njobs:\n  - name: j\n    inputs: [{resource: cfg}]\n    steps: ['true']\n",
    )
    assert cli("run", str(line)).code == 0

    assert_one_clean_line(cli("run", "no-such-file.yml"))
    assert_one_clean_line(cli("validate", "no-such-file.yml"))
    tab = write("tab.yml", "jobs:\n\t- name: x\n")
    r = cli("run", str(tab))
    assert r.code == 1 and "Traceback" not in r.err and re.search(r"tab\.yml:2:\d+: .*tab", r.err)
    unknown = write("unknown.yml", "jobs:\n  - name: x\n    steps: ['true']\n    colour: red\n")
    r = cli("run", str(unknown))
    assert r.code == 1 and f"{unknown}:4:5: unknown key 'colour'" in r.err
    broken = write("broken.yml", "jobs: [\n")
    r = cli("validate", str(broken))
    assert r.code == 1 and "Traceback" not in r.err + r.out
    binary = write("bin.yml", "")
    binary.write_bytes(b"jobs:\n  - name: \xff\xfe\n")
    r = cli("validate", str(binary))
    assert r.code == 1 and "not UTF-8" in r.out

    assert_one_clean_line(cli("resource", "put", "cfg", "no-equals"))
    assert_one_clean_line(cli("resource", "put", "cfg", "bad key=1"))
    assert_one_clean_line(cli("resource", "put", "cfx", "A=2"))
    assert_one_clean_line(cli("logs", "999"))
    assert_one_clean_line(cli("approve", "1"))
    # nothing above changed the store
    versions = cli("resource", "versions", "cfg", "--json").json()
    assert [v["number"] for v in versions] == [1]
    assert cli("run", str(line)).code == 0


SHIPPABLE = """
resources:
  - name: cfg
    type: params
    versionTemplate:
      params:
        GREETING: hello
  - name: notes
    type: state
jobs:
  - name: say
    type: runSh
    steps:
      - IN: cfg
      - TASK:
          script:
            - echo "$GREETING from shippable"
  - name: after
    type: runSh
    steps:
      - IN: say
      - TASK:
          script:
            - echo after
  - name: deploy
    type: deploy
    steps:
      - IN: after
"""


def test_shippable_yml_validates_imports_and_runs(cli: Cli, tmp_path: Path) -> None:
    f = tmp_path / "shippable.yml"
    f.write_text(SHIPPABLE)
    v = cli("validate", str(f))
    assert v.code == 0 and f"{f}: valid" in v.out
    assert "deploy" in v.out  # the job type conveyor cannot run is named, with its line
    native = cli("import", "shippable", str(f))
    assert native.code == 0 and "name: say" in native.out
    graph = cli("import", "shippable", "--graph", str(f))
    assert "say" in graph.out and "after" in graph.out
    r = cli("run", str(f), "--json")
    runs = {x["job"]: x["status"] for x in r.json()["runs"]}
    assert runs["say"] == "succeeded" and runs["after"] == "succeeded"
    assert runs["deploy"] == "failed" and r.code == 1  # an unrunnable type fails clearly, the rest runs
    say = next(x for x in r.json()["runs"] if x["job"] == "say")
    assert "hello from shippable" in cli("logs", str(say["id"])).out
