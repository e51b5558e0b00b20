"""``conveyor template create|get|list|update|delete``: Tinkerbell templates, validated as tink did."""

from __future__ import annotations

import argparse
import sys

from conveyor.cli.tink_output import backend as _api
from conveyor.cli.tink_output import delete_each, each, emit, read_input


def create(args: argparse.Namespace) -> int:
    text = read_input(args.file, "template.yaml")
    record = _api(args).tink_create_template(text)
    print(f"Created Template:  {record['id']}")
    return 0


def get(args: argparse.Namespace) -> int:
    api = _api(args)
    records = each(args.ids, api.tink_template) if args.ids else api.tink_templates()
    rows = [(t["id"], t["name"], t["created_at"], t["updated_at"]) for t in records]
    emit(args.format, ("ID", "Name", "Created At", "Updated At"), rows, records, args.no_headers)
    return 0


def list_templates(args: argparse.Namespace) -> int:
    records = _api(args).tink_templates(args.name)
    if args.quiet:
        for t in records:
            print(t["id"])
        return 0
    rows = [(t["id"], t["name"], t["created_at"], t["updated_at"]) for t in records]
    headers = ("Template ID", "Template Name", "Created At", "Updated At")
    emit(args.format, headers, rows, records, args.no_headers)
    return 0


def update(args: argparse.Namespace) -> int:
    if args.file is None and args.name is None:
        from conveyor.errors import BadInput

        raise BadInput("give --file FILE (the new template) and/or --name NAME")
    data = read_input(args.file) if args.file else None
    api = _api(args)
    for ref in args.ids:
        record = api.tink_update_template(ref, data=data, name=args.name)
        print(f"Updated Template:  {record['id']}")
    return 0


def delete(args: argparse.Namespace) -> int:
    return delete_each(args.ids, _api(args).tink_delete_template)


def show(args: argparse.Namespace) -> int:
    """The stored YAML of one template (tink's legacy ``get``)."""
    sys.stdout.write(_api(args).tink_template(args.id)["data"])
    return 0
