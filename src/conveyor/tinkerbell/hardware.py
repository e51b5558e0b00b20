"""Hardware records (FACTS 4 and 2.2): push rules, lookups, and resolving a task's ``worker`` to a machine.

A hardware record is the JSON document tink keeps per machine (see the real files in
``shared/reference/tinkerbell/``): an ``id`` that must be a UUID, and ``network.interfaces[].dhcp`` entries
with a ``mac`` and an ``ip.address``. Pushing lower-cases every MAC and refuses one that a live record with
another id already has (tink only checked up to the first interface it found in use; every interface is
checked here). Pushing an existing id replaces its data and revives it if deleted (tink's upsert).

Functions take the existing records as a plain sequence: the store decides how to fetch them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from conveyor.errors import BadInput, Conflict, NotFound

_UUID = re.compile(r"\{?[0-9a-fA-F]{4}(?:-?[0-9a-fA-F]{4}){7}\}?")
_IPV4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
)
_HEX2 = "[0-9a-fA-F]{2}"


@dataclass(frozen=True, slots=True)
class Interface:
    """One network interface, as ``hardware get`` lists it."""

    mac: str
    ip: str
    hostname: str


@dataclass(frozen=True, slots=True)
class Hardware:
    """One machine's record. ``data`` is the pushed JSON text with its MACs lower-cased."""

    id: str
    data: str
    interfaces: tuple[Interface, ...]
    #: every IP the machine answers to as a worker: interface IPs, then ``instance.ip_addresses``
    ips: tuple[str, ...]
    inserted_at: datetime | None = None
    deleted_at: datetime | None = None

    @property
    def macs(self) -> tuple[str, ...]:
        return tuple(i.mac for i in self.interfaces if i.mac)

    @property
    def live(self) -> bool:
        return self.deleted_at is None

    def document(self) -> dict[str, Any]:
        """A fresh copy of the JSON document."""
        value: dict[str, Any] = json.loads(self.data)
        return value


def parse_hardware(text: str | bytes) -> Hardware:
    """A pushed hardware document, checked and normalised (not yet compared with other records).

    Raises ``BadInput``: ``invalid json, ID is required: ...`` without an ``id``, ``id must be set to a UUID,
    got id: ...`` when it is not one (tink's database casts it to ``uuid``).
    """
    try:
        document = json.loads(text)
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput("invalid json: a \\u escape is a lone surrogate, which is not Unicode text")
    except ValueError as exc:
        raise BadInput(f"invalid json: {exc}")
    if not isinstance(document, dict) or "id" not in document:
        shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        raise BadInput(f"invalid json, ID is required: {shown.strip()[:200]}")
    raw_id = document["id"]
    if not isinstance(raw_id, str) or not _UUID.fullmatch(raw_id) or raw_id.count("{") != raw_id.count("}"):
        shown_id = raw_id if isinstance(raw_id, str) else json.dumps(raw_id)
        raise BadInput(f"id must be set to a UUID, got id: {shown_id}")
    document["id"] = canonical_uuid(raw_id)
    for where, dhcp in _dhcp_entries(document):
        mac = dhcp.get("mac")
        if mac is None:
            continue
        if not isinstance(mac, str):
            raise BadInput(f"invalid hardware data: {where}.mac must be a string")
        dhcp["mac"] = mac.lower()
    return _record(document)


def canonical_uuid(text: str) -> str:
    """A UUID in PostgreSQL's output form (lower case, 8-4-4-4-12), whatever form it was written in."""
    digits = text.strip("{}").replace("-", "").lower()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def push(hardware: Hardware, records: Sequence[Hardware], now: datetime) -> Hardware:
    """The record to store for a push: refuses a MAC a live record with another id has (``Conflict``)."""
    conflict = mac_conflict(hardware, records)
    if conflict is not None:
        raise Conflict(f"conflicting hardware MAC address {conflict} provided with hardware data/info")
    return replace(hardware, inserted_at=now, deleted_at=None)


def mac_conflict(hardware: Hardware, records: Sequence[Hardware]) -> str | None:
    """The first of ``hardware``'s MACs that a live record with another id already has, if any."""
    taken = {mac for r in records if r.live and r.id != hardware.id for mac in r.macs}
    return next((mac for mac in hardware.macs if mac in taken), None)


def delete(hardware_id: str, records: Sequence[Hardware], now: datetime) -> Hardware:
    """The record, soft-deleted; ``NotFound`` (``not found, id:<id>``) unless a live record has that id."""
    return replace(by_id(records, hardware_id), deleted_at=now)


def by_id(records: Sequence[Hardware], hardware_id: str) -> Hardware:
    wanted = canonical_uuid(hardware_id) if _UUID.fullmatch(hardware_id) else hardware_id
    for record in records:
        if record.live and record.id == wanted:
            return record
    raise NotFound(f"not found, id:{hardware_id}")


def by_mac(records: Sequence[Hardware], mac: str) -> Hardware:
    """``hardware mac``: the live record with an interface of that MAC (compared lower-cased)."""
    wanted = mac.lower()
    for record in records:
        if record.live and wanted in record.macs:
            return record
    raise NotFound(f"MAC address not found in the database {mac}")


def by_ip(records: Sequence[Hardware], ip: str) -> Hardware:
    """``hardware ip``: the first live record answering to that IP."""
    for record in records:
        if record.live and ip in record.ips:
            return record
    raise NotFound(f"IP address not found in the database {ip}")


def parse_mac(text: str) -> str | None:
    """Go's ``net.ParseMAC``, then ``String()``: the canonical lower-case colon form, or None.

    Accepts 6, 8 or 20 octets as ``xx:xx:..``, ``xx-xx-..`` or ``xxxx.xxxx.xxxx``.
    """
    for octets in (6, 8, 20):
        for sep in (":", "-"):
            if re.fullmatch(rf"{_HEX2}(?:{re.escape(sep)}{_HEX2}){{{octets - 1}}}", text):
                return ":".join(text.split(sep)).lower()
        if re.fullmatch(rf"[0-9a-fA-F]{{4}}(?:\.[0-9a-fA-F]{{4}}){{{octets // 2 - 1}}}", text):
            hex_digits = text.replace(".", "").lower()
            return ":".join(hex_digits[i : i + 2] for i in range(0, len(hex_digits), 2))
    return None


def is_ipv4(text: str) -> bool:
    """A dotted-quad IPv4 address as Go (1.17+) parses one: no leading zeros."""
    return _IPV4.fullmatch(text) is not None


def resolve_worker(address: str, records: Sequence[Hardware]) -> str:
    """A task's rendered ``worker`` -> the id of the live hardware it names (tink's ``getWorkerID``).

    A MAC (any form ``net.ParseMAC`` reads, any case) is matched in its canonical form against the
    interfaces' MACs; otherwise an IPv4 address against the interface and instance IPs. Raises ``BadInput``:
    ``invalid worker address: <addr>`` or ``no worker found: mac: <mac>`` / ``no worker found: ip: <ip>``.
    """
    mac = parse_mac(address)
    if mac is not None:
        for record in records:
            if record.live and mac in record.macs:
                return record.id
        raise BadInput(f"no worker found: mac: {mac}")
    if not is_ipv4(address):
        raise BadInput(f"invalid worker address: {address}")
    for record in records:
        if record.live and address in record.ips:
            return record.id
    raise BadInput(f"no worker found: ip: {address}")


def _record(document: dict[str, Any]) -> Hardware:
    interfaces = []
    ips: list[str] = []
    for _, dhcp in _dhcp_entries(document):
        ip = dhcp.get("ip")
        address = ip.get("address") if isinstance(ip, dict) else None
        address = address if isinstance(address, str) else ""
        hostname = dhcp.get("hostname")
        interfaces.append(
            Interface(
                mac=dhcp.get("mac") or "",
                ip=address,
                hostname=hostname if isinstance(hostname, str) else "",
            )
        )
        if address:
            ips.append(address)
    for instance in (document.get("instance"), _get(document, "metadata", "instance")):
        listed = instance.get("ip_addresses") if isinstance(instance, dict) else None
        for entry in listed if isinstance(listed, list) else ():
            address = entry.get("address") if isinstance(entry, dict) else None
            if isinstance(address, str) and address and address not in ips:
                ips.append(address)
    return Hardware(
        id=document["id"],
        data=json.dumps(document, ensure_ascii=False),
        interfaces=tuple(interfaces),
        ips=tuple(ips),
    )


def _get(document: dict[str, Any], *keys: str) -> Any:
    value: Any = document
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _dhcp_entries(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each ``network.interfaces[i].dhcp`` object, with where it is; wrong shapes are refused."""
    network = document.get("network")
    if network is None:
        return
    if not isinstance(network, dict):
        raise BadInput("invalid hardware data: network must be an object")
    interfaces = network.get("interfaces")
    if interfaces is None:
        return
    if not isinstance(interfaces, list):
        raise BadInput("invalid hardware data: network.interfaces must be a list")
    for index, interface in enumerate(interfaces):
        where = f"network.interfaces[{index}]"
        if not isinstance(interface, dict):
            raise BadInput(f"invalid hardware data: {where} must be an object")
        dhcp = interface.get("dhcp")
        if dhcp is None:
            continue
        if not isinstance(dhcp, dict):
            raise BadInput(f"invalid hardware data: {where}.dhcp must be an object")
        yield f"{where}.dhcp", dhcp
