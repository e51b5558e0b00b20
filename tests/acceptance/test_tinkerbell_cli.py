"""The Tinkerbell commands as a user runs them, on the embedded store: tink's outputs, formats and errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.acceptance.conftest import Cli, assert_one_clean_line

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "tinkerbell-reference"
HELLO = REFERENCE / "tink__docs_examples_hello-world.tmpl"
HARDWARE = REFERENCE / "tink__db_testdata_hardware.json"
HW_ID = "0eba0bf8-3772-4b4a-ab9f-6ebe93b90a95"


def test_template_hardware_and_workflow_commands(cli: Cli, write: Callable[[str, str], Path]) -> None:
    r = cli("template", "create", "--file", str(HELLO))
    assert r.code == 0 and r.out.startswith("Created Template:  "), r.err
    template_id = r.out.split()[-1]
    r = cli("template", "list", "--format", "csv")
    rows = list(csv.reader(io.StringIO(r.out)))
    assert rows[0] == ["Template ID", "Template Name", "Created At", "Updated At"]
    assert rows[1][:2] == [template_id, "hello_world_workflow"]
    r = cli("template", "create", "--file", str(HELLO))
    assert_one_clean_line(r)
    assert "uidx_template_name" in r.err

    pushed = subprocess.run(
        cli.argv("hardware", "push"), input=HARDWARE.read_text(), env=cli.env, capture_output=True, text=True
    )
    assert pushed.returncode == 0 and pushed.stdout == "Hardware data pushed successfully\n", pushed.stderr
    r = cli("hardware", "mac", "08:00:27:00:00:01")
    assert "| ID          | " + HW_ID in r.out and "FIELD NAME" in r.out
    assert json.loads(cli("hardware", "id", HW_ID).out)["id"] == HW_ID
    r = cli("hardware", "ip", "10.9.9.9")
    assert_one_clean_line(r)
    assert r.err.strip() == "conveyor: error: IP address not found in the database 10.9.9.9"

    r = cli("workflow", "create", "-t", template_id, "-r", '{"device_1":"08:00:27:00:00:01"}')
    assert r.code == 0 and r.out.startswith("Created Workflow:  "), r.err
    workflow_id = r.out.split()[-1]
    listed = json.loads(cli("workflow", "get", "--format", "json").out)["data"]
    assert [(w["id"], w["state"]) for w in listed] == [(workflow_id, "STATE_PENDING")]
    state = cli("workflow", "state", workflow_id).out
    assert "| Workflow Progress    | 0%" in state and "| Current Action State | STATE_PENDING" in state
    assert cli("workflow", "data", workflow_id, "--latest").out == "Latest workflow data version: 0\n"
    r = cli("workflow", "create", "-t", template_id, "-r", '{"device_2":"08:00:27:00:00:01"}')
    assert_one_clean_line(r)
    assert 'map has no entry for key "device_1"' in r.err

    r = cli("workflow", "delete", workflow_id, "nope")
    assert (r.code, r.out, r.err) == (1, f"Deleted\t{workflow_id}\n", "Error\tnope\tnot found\n")
    obsolete = write(
        "targets.tmpl", (REFERENCE / "tink__demo_workflow-samples_ubuntu_ubuntu.tmpl").read_text()
    )
    r = cli("template", "create", "--file", str(obsolete))
    assert r.code != 0 and "Targets" in r.err and "Traceback" not in r.err
    assert cli("template", "delete", template_id).out == f"Deleted\t{template_id}\n"
    assert cli("template", "create", "--file", str(HELLO)).code == 0  # the name is free again
