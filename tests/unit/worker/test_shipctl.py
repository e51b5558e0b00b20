"""``shipctl``'s commands against a laid-out job runtime (files and variables), called in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conveyor import shipctl


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state, prev, meta, out = (tmp_path / d for d in ("state", "prev", "in-app", "out-app"))
    for d in (state, prev, meta, out):
        d.mkdir()
    (meta / "version.json").write_text(
        json.dumps({"version": {"versionName": "1.2.3", "versionNumber": 4, "propertyBag": {"K": "v=1"}}})
    )
    for key, value in {
        "JOB_STATE": state,
        "JOB_PREVIOUS_STATE": prev,
        "APP_META": meta,
        "APP_STATE": meta,
        "APP_OUT_STATE": out,
        "APP_VERSIONNAME": "1.2.3",
        "APP_PARAMS_REGION": "eu",
    }.items():
        monkeypatch.setenv(key, str(value))
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = shipctl.main(list(args))
    return code, capsys.readouterr().out.strip()


def test_state_commands(runtime: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "post_resource_state", "app", "A", "x=y") == (0, "")
    assert run(capsys, "put_resource_state_multi", "app", "B=2 C=3") == (0, "")
    assert (runtime / "state" / "app.env").read_text() == "A=x=y\nB=2\nC=3\n"
    assert run(capsys, "post_resource_state", "app", "Z", "1")[0] == 0
    assert (runtime / "state" / "app.env").read_text() == "Z=1\n"
    (runtime / "f.txt").write_text("hi")
    assert run(capsys, "copy_file_to_state", str(runtime / "f.txt"))[0] == 0
    assert (runtime / "state" / "f.txt").read_text() == "hi"
    assert run(capsys, "copy_file_from_prev_state", "absent.txt", str(runtime))[0] == 0  # no-op
    assert run(capsys, "copy_file_to_resource_state", str(runtime / "f.txt"), "app")[0] == 0
    assert (runtime / "out-app" / "f.txt").exists()


def test_info_and_utilities(runtime: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "get_resource_version_key", "app", "versionNumber") == (0, "4")
    assert run(capsys, "get_resource_version_key", "app", "K") == (0, "v=1")
    assert run(capsys, "get_resource_version_name", "app") == (0, "1.2.3")
    assert run(capsys, "get_params_resource", "app", "region") == (0, "eu")
    assert run(capsys, "bump_version", "1.2.3", "minor") == (0, "1.3.0")
    (runtime / "d.json").write_text('{"a": {"b": [10, {"c": "deep"}]}}')
    assert run(capsys, "get_json_value", str(runtime / "d.json"), "a.b.1.c") == (0, "deep")
    assert run(capsys, "sanitize_shippable_string", "my-app.v2") == (0, "myappv2")
    assert run(capsys, "to_uppercase", "abc") == (0, "ABC")


def test_replace_substitutes_variables(runtime: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = runtime / "tpl.txt"
    f.write_text("region=$APP_PARAMS_REGION ${APP_VERSIONNAME} $UNSET_ONE")
    assert run(capsys, "replace", str(f))[0] == 0
    assert f.read_text() == "region=eu 1.2.3 $UNSET_ONE"


def test_usage_errors_exit_99(runtime: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert shipctl.main([]) == 99
    assert shipctl.main(["no_such_command"]) == 99
    assert shipctl.main(["post_resource_state", "app"]) == 99
    assert shipctl.main(["bump_version", "1.2", "minor"]) == 99
    assert shipctl.main(["decrypt", "x"]) == 1  # known, but not conveyor's way: says why
    assert "conveyor secret" in capsys.readouterr().err
