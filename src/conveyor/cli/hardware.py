"""``conveyor hardware push|get|list|id|mac|ip|delete``: Tinkerbell hardware records."""

from __future__ import annotations

import argparse
import json
from typing import Any

from conveyor.cli.tink_output import backend as _api
from conveyor.cli.tink_output import delete_each, each, emit, read_input

HEADERS = ("ID", "MAC Address", "IP address", "Hostname")


def _rows(records: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """One row per interface (a record without one still gets a row)."""
    rows = []
    for h in records:
        for i in h["interfaces"] or [{"mac": "", "ip": "", "hostname": ""}]:
            rows.append((h["id"], i["mac"], i["ip"], i["hostname"]))
    return rows


def push(args: argparse.Namespace) -> int:
    _api(args).tink_push_hardware(read_input(args.file))
    print("Hardware data pushed successfully")
    return 0


def get(args: argparse.Namespace) -> int:
    api = _api(args)
    records = each(args.ids, api.tink_hardware) if args.ids else api.tink_hardware_list()
    emit(args.format, HEADERS, _rows(records), [h["data"] for h in records], args.no_headers)
    return 0


def list_hardware(args: argparse.Namespace) -> int:
    records = _api(args).tink_hardware_list()
    if args.quiet:
        for h in records:
            print(h["id"])
        return 0
    emit(args.format, HEADERS, _rows(records), [h["data"] for h in records], args.no_headers)
    return 0


def by_id(args: argparse.Namespace) -> int:
    api = _api(args)
    for hardware_id in args.ids:
        print(json.dumps(api.tink_hardware(hardware_id)["data"], indent=2, ensure_ascii=False))
    return 0


def by_mac(args: argparse.Namespace) -> int:
    return _by_address(args, _api(args).tink_hardware_by_mac)


def by_ip(args: argparse.Namespace) -> int:
    return _by_address(args, _api(args).tink_hardware_by_ip)


def _by_address(args: argparse.Namespace, lookup: Any) -> int:
    """A ``Field Name | Value`` table per address, or the JSON with ``--details``."""
    for address in args.addresses:
        record = lookup(address)
        if args.details:
            print(json.dumps(record["data"], indent=2, ensure_ascii=False))
            continue
        first = record["interfaces"][0] if record["interfaces"] else {"mac": "", "ip": "", "hostname": ""}
        rows = [("ID", record["id"]), ("MAC Address", first["mac"]), ("IP Address", first["ip"])]
        rows.append(("Hostname", first["hostname"]))
        emit(args.format, ("Field Name", "Value"), rows, [record["data"]])
    return 0


def delete(args: argparse.Namespace) -> int:
    return delete_each(args.ids, _api(args).tink_delete_hardware)
