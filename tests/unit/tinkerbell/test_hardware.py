"""FACTS 4 and 2.2: hardware ids, lower-cased MACs, MAC conflicts, lookups and worker resolution."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from conveyor.errors import BadInput, Conflict, NotFound
from conveyor.tinkerbell import (
    by_id,
    by_ip,
    by_mac,
    delete_hardware,
    parse_hardware,
    parse_mac,
    push,
    resolve_worker,
)

from ._helpers import ID_1, ID_2, MAC_1, MAC_2, T0, at, message, real, real_hardware

HW_1 = real("tink__db_testdata_hardware.json")
NEW_ID = "d71b659c-3db8-404e-be0e-2fb3c2a482bd"


def with_id(text: str, new_id: object) -> str:
    document = json.loads(text)
    document["id"] = new_id
    return json.dumps(document)


def test_a_pushed_record_keeps_its_data_with_lower_cased_macs() -> None:
    text = HW_1.replace(MAC_1, MAC_1.upper())
    hardware = parse_hardware(text)
    assert hardware.macs == (MAC_1,)
    assert hardware.document()["network"]["interfaces"][0]["dhcp"]["mac"] == MAC_1
    assert hardware.document()["metadata"]["instance"]["storage"]["disks"][0]["device"] == "/dev/sda"
    assert [(i.mac, i.ip, i.hostname) for i in hardware.interfaces] == [(MAC_1, "192.168.1.5", "server001")]


def test_the_id_is_required_and_must_be_a_uuid() -> None:
    document = json.loads(HW_1)
    del document["id"]
    assert message(lambda: parse_hardware(json.dumps(document)), BadInput).startswith(
        'invalid json, ID is required: {"metadata":'
    )
    assert (
        message(lambda: parse_hardware(with_id(HW_1, "")), BadInput) == "id must be set to a UUID, got id: "
    )
    assert message(lambda: parse_hardware(with_id(HW_1, "sm01")), BadInput) == (
        "id must be set to a UUID, got id: sm01"
    )
    assert (
        message(lambda: parse_hardware(with_id(HW_1, 7)), BadInput) == "id must be set to a UUID, got id: 7"
    )
    assert message(lambda: parse_hardware("[]"), BadInput) == "invalid json, ID is required: []"
    assert message(lambda: parse_hardware("{"), BadInput).startswith("invalid json: ")
    assert message(lambda: parse_hardware(with_id(HW_1, "\ud800")), BadInput).startswith(
        "invalid json: a \\u escape is a lone surrogate"
    )


@pytest.mark.parametrize(
    "written",
    [
        "D71B659C-3DB8-404E-BE0E-2FB3C2A482BD",
        "{d71b659c-3db8-404e-be0e-2fb3c2a482bd}",
        "d71b659c3db8404ebe0e2fb3c2a482bd",
    ],
)
def test_uuids_are_stored_in_their_canonical_form(written: str) -> None:
    assert parse_hardware(with_id(HW_1, written)).id == NEW_ID


def test_wrongly_shaped_network_data_is_refused() -> None:
    document = json.loads(HW_1)
    document["network"]["interfaces"][0]["dhcp"]["mac"] = 1
    assert message(lambda: parse_hardware(json.dumps(document)), BadInput) == (
        "invalid hardware data: network.interfaces[0].dhcp.mac must be a string"
    )
    document["network"]["interfaces"] = {}
    assert message(lambda: parse_hardware(json.dumps(document)), BadInput) == (
        "invalid hardware data: network.interfaces must be a list"
    )


def test_a_mac_used_by_another_live_record_is_a_conflict() -> None:
    first = push(parse_hardware(HW_1), [], T0)
    second = parse_hardware(with_id(HW_1.replace(MAC_1, MAC_1.upper()), NEW_ID))
    assert message(lambda: push(second, [first], at(1)), Conflict) == (
        "conflicting hardware MAC address 08:00:27:00:00:01 provided with hardware data/info"
    )


def test_every_interface_is_checked_for_conflicts() -> None:
    document = json.loads(HW_1)
    interface = document["network"]["interfaces"][0]
    document["network"]["interfaces"] = [interface, {"dhcp": {"mac": MAC_2}}]
    both = parse_hardware(json.dumps(document))
    other = push(parse_hardware(real("tink__db_testdata_hardware_2.json")), [], T0)
    mine = push(parse_hardware(HW_1), [], T0)
    assert message(lambda: push(both, [mine, other], at(1)), Conflict) == (
        f"conflicting hardware MAC address {MAC_2} provided with hardware data/info"
    )


def test_pushing_the_same_id_again_updates_it_and_a_deleted_record_frees_its_mac() -> None:
    first = push(parse_hardware(HW_1), [], T0)
    updated = push(parse_hardware(HW_1.replace("server001", "renamed")), [first], at(1))
    assert updated.interfaces[0].hostname == "renamed"
    assert updated.inserted_at == at(1)
    deleted = delete_hardware(ID_1, [updated], at(2))
    assert deleted.deleted_at == at(2)
    newcomer = push(parse_hardware(with_id(HW_1, NEW_ID)), [deleted], at(3))
    assert newcomer.id == NEW_ID
    assert message(lambda: push(parse_hardware(HW_1), [deleted, newcomer], at(4)), Conflict).startswith(
        "conflicting hardware MAC address"
    )


def test_lookups_by_id_mac_and_ip_skip_deleted_records() -> None:
    records = real_hardware()
    assert by_id(records, ID_2).id == ID_2
    assert by_id(records, ID_2.upper()).id == ID_2
    assert by_mac(records, MAC_2.upper()).id == ID_2
    assert by_ip(records, "192.168.1.5").id == ID_1
    gone = [replace(r, deleted_at=T0) if r.id == ID_1 else r for r in records]
    assert message(lambda: by_id(gone, ID_1), NotFound) == f"not found, id:{ID_1}"
    assert message(lambda: by_mac(gone, MAC_1), NotFound) == f"MAC address not found in the database {MAC_1}"
    assert message(lambda: by_ip(gone, "192.168.1.5"), NotFound) == (
        "IP address not found in the database 192.168.1.5"
    )
    assert message(lambda: delete_hardware(ID_1, gone, T0), NotFound) == f"not found, id:{ID_1}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00:27:00:00:01", "08:00:27:00:00:01"),
        ("AE:FB:27:a1:C4:02", "ae:fb:27:a1:c4:02"),
        ("ae-fb-27-a1-c4-02", "ae:fb:27:a1:c4:02"),
        ("aefb.27a1.c402", "ae:fb:27:a1:c4:02"),
        ("02:00:5e:10:00:00:00:01", "02:00:5e:10:00:00:00:01"),
        (
            "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01",
            "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01",
        ),
        ("00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00", None),
        ("08:00:27:00:00", None),
        ("08:00-27:00:00:01", None),
        ("192.168.1.5", None),
        ("", None),
    ],
)
def test_parse_mac_is_go_net_parse_mac(text: str, expected: str | None) -> None:
    assert parse_mac(text) == expected


def test_parse_mac_reads_infiniband_addresses() -> None:
    octets = ":".join(["0a"] * 20)
    assert parse_mac(octets.upper()) == octets


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (MAC_1, ID_1),
        ("AE:FB:27:a1:C4:02", ID_2),  # tink's create-single-workflow-with-upper-case-worker-address
        ("ae-fb-27-a1-c4-02", ID_2),
        ("192.168.1.6", ID_2),
        ("192.168.56.43", "0eba0bf8-3772-4b4a-ab9f-6ebe93b90a94"),
    ],
)
def test_resolve_worker(address: str, expected: str) -> None:
    assert resolve_worker(address, real_hardware()) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("08:00:27:00:00:99", "no worker found: mac: 08:00:27:00:00:99"),
        ("08-00-27-00-00-99", "no worker found: mac: 08:00:27:00:00:99"),
        ("10.0.0.1", "no worker found: ip: 10.0.0.1"),
        ("server001", "invalid worker address: server001"),
        ("192.168.001.005", "invalid worker address: 192.168.001.005"),
        ("::1", "invalid worker address: ::1"),
        ("{{.device_1}}", "invalid worker address: {{.device_1}}"),
    ],
)
def test_resolve_worker_errors(address: str, expected: str) -> None:
    assert message(lambda: resolve_worker(address, real_hardware()), BadInput) == expected


def test_deleted_hardware_never_matches_a_worker() -> None:
    records = [replace(r, deleted_at=T0) if r.id == ID_1 else r for r in real_hardware()]
    assert message(lambda: resolve_worker(MAC_1, records), BadInput) == f"no worker found: mac: {MAC_1}"


def test_instance_ip_addresses_match_a_worker() -> None:
    document = json.loads(HW_1)
    document["metadata"]["instance"]["ip_addresses"] = [{"address": "10.1.1.1"}]
    document["instance"] = {"ip_addresses": [{"address": "10.2.2.2"}]}
    hardware = parse_hardware(json.dumps(document))
    assert hardware.ips == ("192.168.1.5", "10.2.2.2", "10.1.1.1")
    assert resolve_worker("10.1.1.1", [hardware]) == resolve_worker("10.2.2.2", [hardware]) == ID_1
