"""FACTS 1.3: template storage rules: names, one live template per name, soft delete, update, list filter."""

from __future__ import annotations

import pytest

from conveyor.errors import Conflict, InvalidDefinition, NotFound
from conveyor.tinkerbell import (
    TemplateRecord,
    create_template,
    delete_template,
    get_template,
    like_pattern,
    list_templates,
    template_for_workflow,
    update_template,
)

from ._helpers import T0, at, error, message, real

HELLO = real("tink__docs_examples_hello-world.tmpl")
SAMPLE = real("tink__cmd_tink-cli_sample.tmpl")


def named(text: str, name: str) -> str:
    return text.replace("name: hello_world_workflow", f"name: {name}", 1)


def test_create_takes_the_name_from_the_yaml() -> None:
    record, template = create_template(HELLO, [], "id-1", T0)
    assert record == TemplateRecord("id-1", "hello_world_workflow", HELLO, T0, T0)
    assert template.name == record.name


def test_a_crd_template_resource_is_stored_as_its_spec_data() -> None:
    record, _ = create_template(real("tink__config_crd_examples_template.yaml"), [], "id-1", T0)
    assert record.name == "debian" and record.data.startswith('version: "0.1"\nname: debian\n')


@pytest.mark.parametrize("name", ["with space", "dotted.name", "ünïcode", "slash/name"])
def test_the_database_name_rule(name: str) -> None:
    found = error(lambda: create_template(named(HELLO, repr(name)), [], "id-1", T0), InvalidDefinition)
    assert found.message == (
        f"invalid template name: {name} (a name has at most 200 letters, digits, '_' or '-')"
    )
    assert found.problems[0].line == 2  # type: ignore[attr-defined]


def test_validation_comes_first() -> None:
    assert message(lambda: create_template(named(HELLO, '""'), [], "id-1", T0), InvalidDefinition) == (
        "validating workflow template: name cannot be empty"
    )


def test_one_live_template_per_name_and_reuse_after_soft_delete() -> None:
    first, _ = create_template(HELLO, [], "id-1", T0)
    assert message(lambda: create_template(HELLO, [first], "id-2", at(1)), Conflict) == (
        "a template named hello_world_workflow already exists (id id-1); delete it first or pick another name"
        ' (unique constraint "uidx_template_name")'
    )
    deleted = delete_template("id-1", [first], at(2))
    assert deleted.deleted_at == at(2) and deleted.data == HELLO
    second, _ = create_template(HELLO, [deleted], "id-2", at(3))
    assert second.name == "hello_world_workflow"
    assert get_template([deleted, second], name="hello_world_workflow").id == "id-2"


def test_get_and_delete_see_only_live_templates() -> None:
    record, _ = create_template(HELLO, [], "id-1", T0)
    gone = delete_template("id-1", [record], at(1))
    assert get_template([record], template_id="id-1") == record
    assert message(lambda: get_template([gone], template_id="id-1"), NotFound) == "not found, id:id-1"
    assert message(lambda: get_template([gone], name="hello_world_workflow"), NotFound) == (
        "not found, name:hello_world_workflow"
    )
    assert message(lambda: delete_template("id-1", [gone], at(2)), NotFound) == "not found, id:id-1"
    assert (
        message(lambda: template_for_workflow([gone], "id-1"), NotFound)
        == "failed to get template with ID id-1"
    )
    assert template_for_workflow([record], "id-1") == record


def test_update_changes_only_what_is_given_and_validates_new_text() -> None:
    record, _ = create_template(HELLO, [], "id-1", T0)
    other, _ = create_template(SAMPLE, [record], "id-2", T0)
    assert update_template("id-1", [record, other], at(1)) == record
    renamed = update_template("id-1", [record, other], at(1), name="hello-2")
    assert (renamed.name, renamed.data, renamed.updated_at, renamed.created_at) == (
        "hello-2",
        HELLO,
        at(1),
        T0,
    )
    new_text = HELLO.replace("timeout: 60", "timeout: 30")
    updated = update_template("id-1", [renamed, other], at(2), data=new_text)
    assert (updated.name, updated.data) == ("hello-2", new_text)  # the record's name stays, as in tink
    assert message(lambda: update_template("id-1", [record, other], at(3), data="name: x\n")) == (
        "validating workflow template: invalid template version: "
    )
    taken = message(
        lambda: update_template("id-1", [record, other], at(3), name="packet_osie_provision"), Conflict
    )
    assert taken.startswith("a template named packet_osie_provision already exists (id id-2)")
    assert (
        message(lambda: update_template("id-9", [record], at(3), name="x"), NotFound) == "not found, id:id-9"
    )


def test_list_filters_live_names_case_insensitively_like_ilike() -> None:
    records = [
        TemplateRecord(str(i), name, "", T0, T0, deleted)
        for i, (name, deleted) in enumerate(
            [("debian_Focal", None), ("Ubuntu_Focal", None), ("hello-world", None), ("old_focal", T0)]
        )
    ]
    assert like_pattern(None) == like_pattern("") == "%"
    assert like_pattern("*focal") == "%focal"
    assert [r.name for r in list_templates(records)] == ["debian_Focal", "Ubuntu_Focal", "hello-world"]
    assert [r.name for r in list_templates(records, "*FOCAL")] == ["debian_Focal", "Ubuntu_Focal"]
    assert [r.name for r in list_templates(records, "hello_world")] == ["hello-world"]  # _ is any character
    assert [r.name for r in list_templates(records, "hello\\_world")] == []
    assert list_templates(records, "ubuntu") == []
