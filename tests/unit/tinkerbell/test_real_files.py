"""Every real Tinkerbell file: templates accepted (or refused with the exact message), hardware parsed."""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.errors import InvalidDefinition
from conveyor.tinkerbell import dump_yaml, parse_hardware, parse_template, template_data

from ._helpers import ID_1, ID_2, ID_PLAYGROUND, MAC_1, MAC_2, MAC_PLAYGROUND, REAL_FILES, real

TARGETS_MESSAGE = (
    'obsolete template syntax at line 6: {{index .Targets "machine1" "mac_addr"}} uses the pre-v0.1 Targets'
    ' reference, removed from Tinkerbell in 2020 (tinkerbell/tink#114); write worker: "{{.device_1}}" and give'
    ' {"device_1": "<MAC or IP>"} to workflow create'
)
#: file -> the template name it has, or the exact message it is refused with
EXPECTED = {
    "playground__deploy_compose_create-tink-records_manifests_template_ubuntu.yaml": "debian_Focal",
    "playground__deploy_compose_create-tink-records_manifests_template_debian.yaml": "debian_Focal",
    "tink__cmd_tink-cli_sample.tmpl": "packet_osie_provision",
    "tink__config_crd_examples_template.yaml": "debian",
    "tink__config_crd_examples_workflow.yaml": InvalidDefinition(
        [],
        "parsing yaml data: a tinkerbell.org/v1alpha1 Workflow resource is not a template"
        " (a Template resource wraps one in spec.data)",
    ),
    "tink__db_testdata_template_happy_path_1.yaml": "packet_osie_provision",
    "tink__demo_workflow-samples_ubuntu_ubuntu.tmpl": InvalidDefinition([], TARGETS_MESSAGE),
    "tink__docs_examples_flatcar-install.tmpl": InvalidDefinition([], TARGETS_MESSAGE),
    "tink__docs_examples_hello-world.tmpl": "hello_world_workflow",
    "tink__test__vagrant_failedWorkflow.tmpl": "packet_osie_provision",
    "tink__test__vagrant_timeout.tmpl": "packet_osie_provision",
    "tink__test_data_template_sample_2": "packet_osie_provision",
    "tink__test_data_template_sample_3": "packet_osie_provision",
    "tinkerbell-docs__docs_setup_equinix-metal-terraform.md__focal.yaml": "Ubuntu_Focal",
}
HARDWARE = {
    "playground__deploy_compose_create-tink-records_manifests_hardware_hardware.json": (
        ID_PLAYGROUND,
        (MAC_PLAYGROUND,),
        ("192.168.56.43",),
    ),
    "tink__db_testdata_hardware.json": (ID_1, (MAC_1,), ("192.168.1.5",)),
    "tink__db_testdata_hardware_2.json": (ID_2, (MAC_2,), ("192.168.1.6",)),
}
TEMPLATES = [p for p in REAL_FILES if p.suffix != ".json"]


def test_every_real_file_has_an_expectation() -> None:
    """All fourteen templates of FACTS 6, the CRD workflow and the three hardware files."""
    assert sorted(p.name for p in REAL_FILES) == sorted([*EXPECTED, *HARDWARE])


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_real_template(path: Path) -> None:
    expected = EXPECTED[path.name]
    if isinstance(expected, InvalidDefinition):
        with pytest.raises(InvalidDefinition) as caught:
            parse_template(path.read_bytes(), path.name)
        assert caught.value.message == expected.message
        assert caught.value.problems[0].file == path.name
        return
    template = parse_template(path.read_bytes(), path.name)
    assert template.name == expected
    assert template.version == "0.1"
    assert parse_template(dump_yaml(template)) == template  # what a workflow stores reads back the same


@pytest.mark.parametrize("path", [p for p in REAL_FILES if p.suffix == ".json"], ids=lambda p: p.name)
def test_real_hardware(path: Path) -> None:
    hardware = parse_hardware(path.read_text())
    assert (hardware.id, hardware.macs, hardware.ips) == HARDWARE[path.name]


def test_raw_scalar_text_is_kept_in_the_playground_template() -> None:
    template = parse_template(
        real("playground__deploy_compose_create-tink-records_manifests_template_ubuntu.yaml")
    )
    first, last = template.tasks[0].actions[0], template.tasks[0].actions[-1]
    assert first.environment["COMPRESSED"] == "true"
    assert dict(last.environment) | {"CONTENTS": ""} == {
        "DEST_DISK": "/dev/sda1",
        "FS_TYPE": "ext4",
        "DEST_PATH": "/etc/netplan/config.yaml",
        "CONTENTS": "",
        "UID": "0",
        "GID": "0",
        "MODE": "0644",
        "DIRMODE": "0755",
    }
    assert last.environment["CONTENTS"].startswith("network:\n  version: 2\n")
    assert template.tasks[0].worker == "{{.device_1}}"
    assert template.tasks[0].volumes == (
        "/dev:/dev",
        "/dev/console:/dev/console",
        "/lib/firmware:/lib/firmware:ro",
    )
    assert template.global_timeout == 1800


def test_the_crd_template_resource_is_unwrapped() -> None:
    text, source = template_data(real("tink__config_crd_examples_template.yaml"), "t.yaml")
    assert source == "t.yaml#spec.data"
    assert text.startswith('version: "0.1"\nname: debian\n')
    template = parse_template(text)
    actions = template.tasks[0].actions
    assert [a.name for a in actions][-1] == "kexec-debian"
    assert actions[-1].pid == "host"
    assert actions[1].environment["MODE"] == "0600"
    assert actions[0].image == "quay.io/tinkerbell-actions/image2disk:v1.0.0"


def test_sample_2_keeps_commands_and_hooks() -> None:
    template = parse_template(real("tink__test_data_template_sample_2"))
    sleep = template.tasks[0].actions[1]
    assert (sleep.command, sleep.timeout, sleep.on_timeout, sleep.on_failure) == (
        ("sleep", "20"),
        6,
        ("echo", "Timeout"),
        ("echo", "Failure"),
    )


def test_the_sample_tmpl_image_with_trailing_spaces_is_valid() -> None:
    template = parse_template(real("tink__cmd_tink-cli_sample.tmpl"))
    assert template.tasks[0].actions[1].image == "hello-world"
    assert template.tasks[0].actions[0].volumes == ("./host-path:/container-path",)
