"""Shippable ``resources:`` (and the old top-level ``triggers:``) entries -> ``ResourceExtras`` + properties.

Both syntaxes are one thing (FACTS.md 1.2): the new ``versionTemplate`` and the old ``pointer`` / ``seed`` /
``version`` all hold the data of the resource's first version, so both become the native resource's declared
``properties`` (editing them in YAML makes a new version, on Shippable as in conveyor). A ``params``
resource's properties are its ``params`` mapping (they become environment variables); any other type's are
its data flattened to ``a.b`` keys, lists and mappings under a list kept as JSON text.
"""

from __future__ import annotations

from typing import Literal

from conveyor.definitions.importers.shippable.records import ResourceExtras
from conveyor.definitions.importers.shippable.tree import Reader, entry, is_null, key_node, plain, raw_text
from conveyor.definitions.importers.shippable.types import NO_TRIGGER_ON_EDIT, RESOURCE_TYPES
from conveyor.definitions.yamlsrc import Map, Node, Scalar, describe, text_value
from conveyor.model.pipeline import Location

RESOURCE_KEYS = ("name", "type", "integration", "versionTemplate", "pointer", "seed", "version", "flags")
_OLD_SECTIONS = ("pointer", "seed", "version")

#: (extras, declared properties sorted by key, where each property key is written)
Parsed = tuple[ResourceExtras, tuple[tuple[str, str], ...], dict[str, Location]]


def parse_resource(r: Reader, node: Node, origin: Literal["resources", "triggers"]) -> Parsed | None:
    """One entry; None (with an error) when it has no usable name."""
    where = "resource" if origin == "resources" else "trigger"
    if not isinstance(node, Map):
        r.error(node, f"expected a {where} (a mapping with 'name' and 'type'), got {describe(node)}")
        return None
    name_node = entry(node, "name")
    if name_node is None:
        r.error(node, f"missing required key 'name' in {where}")
        return None
    name = r.name(name_node, f"a {where}")
    if name is None:
        return None
    r.unknown_keys(node, RESOURCE_KEYS, f"{where} {name!r}")
    stype = _type(r, node, name, origin)
    native, gap = RESOURCE_TYPES.get(stype, ("generic", ""))
    gap = gap.format(name=name)
    if stype and stype not in RESOURCE_TYPES:
        type_node = entry(node, "type")
        assert type_node is not None
        r.warn(
            type_node, f"resource {name!r} has unknown type {stype!r}; it is loaded as a 'generic' resource"
        )
    elif gap:
        type_node = entry(node, "type")
        assert type_node is not None
        r.warn(type_node, f"resource {name!r}: type {stype!r} is loaded as a {native!r} resource, but {gap}")

    sections: dict[str, Map] = {}
    for section in ("versionTemplate", *_OLD_SECTIONS):
        value = entry(node, section)
        if value is None or is_null(value):
            continue
        if not isinstance(value, Map):
            r.error(value, f"expected a mapping for {section!r} of resource {name!r}, got {describe(value)}")
            continue
        sections[section] = value
    old = [s for s in _OLD_SECTIONS if s in sections]
    if "versionTemplate" in sections and old:
        later = key_node(node, old[0])
        assert later is not None
        r.warn(later, f"resource {name!r} mixes 'versionTemplate' with the old {old[0]!r}; both are kept")
    syntax: Literal["versionTemplate", "pointer/seed/version", "none"] = (
        "versionTemplate" if "versionTemplate" in sections else "pointer/seed/version" if old else "none"
    )
    properties: dict[str, str] = {}
    locations: dict[str, Location] = {}
    for section in (*_OLD_SECTIONS, "versionTemplate"):  # the new syntax wins a clash
        if section in sections:
            if native == "params":
                _params(r, name, sections[section], properties, locations)
            else:
                _flatten(r, sections[section], "", properties, locations)

    integration_node = entry(node, "integration")
    integration = r.text(integration_node, "integration") if integration_node is not None else None
    flags_node = entry(node, "flags")
    extras = ResourceExtras(
        name=name,
        shippable_type=stype,
        native_type=native,
        integration=integration or None,
        syntax=syntax,
        template={section: plain(value) for section, value in sections.items()},
        flags=r.texts(flags_node, "flags") if flags_node is not None else (),
        origin=origin,
        gap=gap,
        triggers_on_edit=stype not in NO_TRIGGER_ON_EDIT,
        location=r.loc(node),
    )
    return extras, tuple(sorted(properties.items())), locations


def _type(r: Reader, node: Map, name: str, origin: str) -> str:
    type_node = entry(node, "type")
    if type_node is None:
        if origin == "triggers":
            return "trigger"  # the old triggers file's entries are all of type trigger
        r.error(node, f"missing required key 'type' in resource {name!r}")
        return ""
    return r.text(type_node, f"the type of resource {name!r}") or ""


def _params(r: Reader, name: str, section: Map, out: dict[str, str], where: dict[str, Location]) -> None:
    """``params: {KEY: value}``: the keys become environment variables; ``secure`` is encrypted."""
    params = entry(section, "params")
    if params is None or is_null(params):
        return
    if not isinstance(params, Map):
        r.error(
            params, f"expected a mapping of names to values for 'params' of {name!r}, got {describe(params)}"
        )
        return
    for key, (key_scalar, value) in params.entries.items():
        if key == "secure":
            r.warn(
                key_scalar,
                f"params resource {name!r}: 'secure' values are encrypted by Shippable and conveyor cannot "
                f"decrypt them; dropped (set them with 'conveyor resource put {name} KEY=VALUE')",
            )
            continue
        out[key] = text_value(value) if isinstance(value, Scalar) else raw_text(plain(value))
        where[key] = r.loc(key_scalar)


def _flatten(r: Reader, node: Map, prefix: str, out: dict[str, str], where: dict[str, Location]) -> None:
    """Nested mappings become dotted keys (``branches.only``); scalars keep their raw text."""
    for key, (key_scalar, value) in node.entries.items():
        full = f"{prefix}{key}"
        if isinstance(value, Map) and value.entries:
            _flatten(r, value, f"{full}.", out, where)
            continue
        out[full] = text_value(value) if isinstance(value, Scalar) else raw_text(plain(value))
        where[full] = r.loc(key_scalar)
