"""tink's CLI output shapes: go-pretty tables with upper-cased headers, {"data": [...]} JSON, CSV; and the
per-id loops of get (skip what is missing) and delete (say so on stderr, go on, exit 1)."""

from __future__ import annotations

import json

import pytest

from conveyor.cli.tink_output import delete_each, each, emit, table
from conveyor.errors import NotFound


def test_a_table_looks_like_go_pretty() -> None:
    assert table(("ID", "Template Name"), [("1", "hello")]) == (
        "+----+---------------+\n"
        "| ID | TEMPLATE NAME |\n"
        "+----+---------------+\n"
        "| 1  | hello         |\n"
        "+----+---------------+"
    )
    assert table(("ID",), [("abc",)], no_headers=True) == "+-----+\n| abc |\n+-----+"


def test_json_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    emit("json", ("ID",), [("1",)], [{"id": "1", "extra": True}])
    assert json.loads(capsys.readouterr().out) == {"data": [{"id": "1", "extra": True}]}
    emit("csv", ("ID", "Name"), [("1", "a,b")], [])
    assert capsys.readouterr().out == 'ID,Name\n1,"a,b"\n'


def test_get_skips_and_delete_reports_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    def lookup(item: str) -> str:
        if item == "gone":
            raise NotFound(f"not found, id:{item}")
        return item.upper()

    assert each(["a", "gone", "b"], lookup) == ["A", "B"]
    assert delete_each(["a", "gone"], lookup) == 1
    out = capsys.readouterr()
    assert (out.out, out.err) == ("Deleted\ta\n", "Error\tgone\tnot found\n")
