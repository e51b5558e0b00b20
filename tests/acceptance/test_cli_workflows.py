"""``conveyor definition|workflow|state-resource``: state-machine workflows from the real command line."""

from __future__ import annotations

from pathlib import Path

from tests.acceptance.conftest import Cli, assert_one_clean_line

DEFS = """
- name: greet
  stateMachine:
    StartAt: Hello
    States:
      Hello:
        Type: Task
        Resource: greeter
        ResultPath: $.said
        Next: Pause
      Pause:
        Type: Wait
        Seconds: 1
        Next: Done
      Done:
        Type: Succeed
- name: fails
  stateMachine:
    StartAt: Boom
    States:
      Boom: {Type: Task, Resource: "exec:echo oops >&2; exit 4", End: true}
"""


def test_apply_start_get_list_resume(cli: Cli, tmp_path: Path) -> None:
    defs = tmp_path / "defs.yml"
    defs.write_text(DEFS)
    put = cli(
        "state-resource",
        "put",
        "greeter",
        """exec:python3 -c 'import json,sys; print(json.dumps("hi " + json.load(sys.stdin)["who"]))'""",
    )
    assert put.code == 0, put.err
    applied = cli("definition", "apply", str(defs))
    assert applied.code == 0 and applied.out.splitlines() == [
        "greet: version 0 applied",
        "fails: version 0 applied",
    ]
    assert cli("definition", "apply", str(defs)).out.splitlines()[0] == "greet: version 0 unchanged"

    started = cli("workflow", "start", "greet", "--input", '{"who": "you"}', "--json")
    assert started.code == 0, started.err
    wf = started.json()
    assert wf["status"] == "succeeded" and wf["output"] == '{"who":"you","said":"hi you"}'
    shown = cli("workflow", "get", wf["id"], "--json").json()
    assert [s["state"] for s in shown["states"]] == ["Hello", "Pause", "Done"]
    assert [w["id"] for w in cli("workflow", "list", "-d", "greet", "--json").json()] == [wf["id"]]

    failed = cli("workflow", "start", "fails")
    assert failed.code == 1 and "States.TaskFailed" in failed.err and "oops" in failed.err
    fid = failed.out.split()[1].rstrip(":")
    again = cli("workflow", "resume", fid, "--start-at", "Boom", "--json")
    assert again.code == 1 and again.json()["retryFor"] == fid


def test_bad_input_is_one_clean_line(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("name: b\nstateMachine:\n  StartAt: A\n  States:\n    A: {Type: Task, Next: Nowhere}\n")
    result = cli("definition", "apply", str(broken))
    assert result.code != 0
    assert f"{broken}:5:21: " in result.err and "Nowhere" in result.err
    for args, message in (
        (("workflow", "start", "nope"), "workflow definition 'nope' not found"),
        (("workflow", "start", "b", "--input", "{x"), "--input is not valid JSON"),
        (("state-resource", "put", "x", "ftp://nope"), "exec:<command line>"),
        (("workflow", "get", "nope"), "workflow nope not found"),
    ):
        found = cli(*args)
        assert_one_clean_line(found)
        assert message in found.err
