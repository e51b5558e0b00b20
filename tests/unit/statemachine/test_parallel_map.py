"""Parallel and Map states: branches and items, their order, concurrency limits, failures and nesting."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor.statemachine import CancelTask, Execution, Failed, Finished, RunTask

from ._driver import T0, Ok, drive, later, one

# -- Parallel --------------------------------------------------------------------------------------


def branch(states: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states}


FUN_WITH_MATH = one(
    {
        "Type": "Parallel",
        "Branches": [
            branch({"Add": {"Type": "Task", "Resource": "add", "End": True}}),
            branch({"Subtract": {"Type": "Task", "Resource": "sub", "End": True}}),
        ],
    }
)


def math(task: RunTask) -> Ok:
    a, b = task.input
    return Ok(a + b if task.resource == "add" else a - b)


def test_parallel_runs_every_branch_and_keeps_branch_order() -> None:
    ex = Execution.start(FUN_WITH_MATH, [3, 2])
    add, sub = ex.advance(T0)
    assert isinstance(add, RunTask) and isinstance(sub, RunTask)
    assert (add.state, sub.state, add.input, sub.input) == ("Add", "Subtract", [3, 2], [3, 2])
    ex.task_succeeded(sub.token, 1)
    assert ex.advance(later(1)) == []
    ex.task_succeeded(add.token, 5)
    assert ex.advance(later(2)) == [Finished([5, 1])]
    assert [(j["state"], j["branch"]) for j in ex.jobs] == [("S", ""), ("Add", "S[0]"), ("Subtract", "S[1]")]


def test_parallel_branch_failure_fails_the_state_and_stops_the_other_branches() -> None:
    ex = Execution.start(FUN_WITH_MATH, [3, 2])
    add, sub = ex.advance(T0)
    ex.task_failed(add.token, "Math.Overflow", "too big")
    assert ex.advance(later(1)) == [CancelTask(sub.token), Failed("Math.Overflow", "too big")]  # type: ignore[union-attr]
    statuses = {j["state"]: j["status"] for j in ex.jobs}
    assert statuses == {"S": "failed", "Add": "failed", "Subtract": "aborted_deps_failed"}
    assert not ex.task_succeeded(sub.token, 1), "a report for a cancelled task is ignored"


def test_parallel_with_succeed_and_fail_states_in_branches() -> None:
    definition = one(
        {
            "Type": "Parallel",
            "Branches": [
                branch({"Done": {"Type": "Succeed"}}),
                branch({"Oops": {"Type": "Fail", "Error": "Branch.Error"}}),
            ],
            "Catch": [{"ErrorEquals": ["Branch.Error"], "ResultPath": "$.err", "Next": "Recover"}],
            "Next": "Recover",
        }
    )
    definition["States"]["Recover"] = {"Type": "Pass", "End": True}
    run = drive(definition, {"x": 1})
    assert run.final() == Finished({"x": 1, "err": {"Error": "Branch.Error"}})


def test_parallel_parameters_and_result_selector() -> None:
    definition = one(
        {
            "Type": "Parallel",
            "Parameters": {"n.$": "$.n"},
            "Branches": [
                branch({"A": {"Type": "Pass", "OutputPath": "$.n", "End": True}}),
                branch({"B": {"Type": "Pass", "End": True}}),
            ],
            "ResultSelector": {"first.$": "$[0]"},
            "ResultPath": "$.r",
        }
    )
    assert drive(definition, {"n": 4, "keep": True}).final() == Finished(
        {"n": 4, "keep": True, "r": {"first": 4}}
    )


# -- Map -------------------------------------------------------------------------------------------


def mapping(**fields: Any) -> dict[str, Any]:
    processor = fields.pop("processor", branch({"Work": {"Type": "Task", "Resource": "work", "End": True}}))
    return one({"Type": "Map", "ItemProcessor": processor, **fields})


def test_map_runs_the_processor_per_item_and_keeps_item_order() -> None:
    ex = Execution.start(mapping(ItemsPath="$.items"), {"items": [1, 2, 3]})
    tasks = ex.advance(T0)
    assert [t.input for t in tasks] == [1, 2, 3]  # type: ignore[union-attr]
    for task in reversed(tasks):
        ex.task_succeeded(task.token, task.input * 10)  # type: ignore[union-attr]
    assert ex.advance(later(1)) == [Finished([10, 20, 30])]
    assert [j["branch"] for j in ex.jobs] == ["", "S[0]", "S[1]", "S[2]"]


def test_map_item_selector_sees_the_item_and_its_index() -> None:
    definition = mapping(
        InputPath="$.detail",
        ItemsPath="$.shipped",
        ItemSelector={
            "parcel.$": "$$.Map.Item.Value",
            "index.$": "$$.Map.Item.Index",
            "courier.$": "$.delivery-partner",
        },
        ResultPath="$.detail.shipped",
    )
    detail = {"delivery-partner": "UQS", "shipped": [{"prod": "R31"}, {"prod": "S39"}]}
    run = drive(definition, {"detail": detail})
    assert [t.input for t in run.tasks] == [
        {"parcel": {"prod": "R31"}, "index": 0, "courier": "UQS"},
        {"parcel": {"prod": "S39"}, "index": 1, "courier": "UQS"},
    ]
    assert isinstance(run.final(), Finished)


def test_map_accepts_the_older_iterator_and_parameters() -> None:
    definition = one(
        {
            "Type": "Map",
            "Iterator": branch({"Work": {"Type": "Pass", "End": True}}),
            "Parameters": {"i.$": "$$.Map.Item.Index"},
        }
    )
    assert drive(definition, ["a", "b"]).final() == Finished([{"i": 0}, {"i": 1}])


@pytest.mark.parametrize(("limit", "waves"), [(1, [1, 1, 1, 1]), (2, [2, 2]), (3, [3, 1]), (0, [4])])
def test_map_max_concurrency_bounds_running_items(limit: int, waves: list[int]) -> None:
    ex = Execution.start(mapping(MaxConcurrency=limit), [1, 2, 3, 4])
    seen = []
    effects = ex.advance(T0)
    clock = 0
    while not isinstance(effects[-1], Finished):
        tasks = [e for e in effects if isinstance(e, RunTask)]
        seen.append(len(tasks))
        for task in tasks:
            ex.task_succeeded(task.token, task.input)
        clock += 1
        effects = ex.advance(later(clock))
    assert seen == waves
    assert effects[-1] == Finished([1, 2, 3, 4])


def test_map_max_concurrency_one_runs_items_in_order() -> None:
    run = drive(mapping(MaxConcurrency=1), ["a", "b", "c"])
    assert [t.input for t in run.tasks] == ["a", "b", "c"]


def test_map_max_concurrency_path() -> None:
    ex = Execution.start(
        mapping(MaxConcurrencyPath="$.limit", ItemsPath="$.items"), {"limit": 2, "items": [1, 2, 3]}
    )
    assert len(ex.advance(T0)) == 2
    bad = drive(
        mapping(MaxConcurrencyPath="$.limit", ItemsPath="$.items"), {"limit": -1, "items": [1]}
    ).final()
    assert isinstance(bad, Failed) and bad.error == "States.Runtime"


def test_map_of_nothing_is_an_empty_array() -> None:
    assert drive(mapping(ItemsPath="$.items", ResultPath="$.out"), {"items": []}).final() == Finished(
        {"items": [], "out": []}
    )


def test_map_items_must_be_an_array() -> None:
    failed = drive(mapping(ItemsPath="$.items"), {"items": {"a": 1}}).final()
    assert failed == Failed("States.Runtime", "ItemsPath must point to an array, not the object")


def test_map_item_failure_fails_the_map_and_stops_other_items() -> None:
    ex = Execution.start(mapping(MaxConcurrency=2), [1, 2, 3])
    first, second = ex.advance(T0)
    ex.task_failed(second.token, "Item.Bad", "item 2")  # type: ignore[union-attr]
    effects = ex.advance(later(1))
    assert effects[-1] == Failed("Item.Bad", "item 2")
    assert first.token in [getattr(e, "token", None) for e in effects]  # type: ignore[union-attr]
    assert len([j for j in ex.jobs if j["state"] == "Work"]) == 2, "item 3 never started"


def test_nested_map_inside_parallel_labels_branches() -> None:
    definition = one(
        {
            "Type": "Parallel",
            "Branches": [
                branch(
                    {
                        "M": {
                            "Type": "Map",
                            "ItemProcessor": branch({"P": {"Type": "Pass", "End": True}}),
                            "End": True,
                        }
                    }
                )
            ],
        }
    )
    run = drive(definition, [7, 8])
    assert run.final() == Finished([[7, 8]])
    assert [j["branch"] for j in run.execution.jobs] == ["", "S[0]", "S[0]/M[0]", "S[0]/M[1]"]


def test_map_items_each_get_their_own_randomness() -> None:
    definition = one(
        {
            "Type": "Map",
            "ItemSelector": {"id.$": "States.UUID()"},
            "ItemProcessor": branch({"P": {"Type": "Pass", "End": True}}),
        }
    )
    final = drive(definition, [1, 2, 3]).final()
    assert isinstance(final, Finished)
    assert len({item["id"] for item in final.output}) == 3


def test_a_large_map_is_quick() -> None:
    """Thousands of items in one advance: run bookkeeping stays linear."""
    definition = one({"Type": "Map", "ItemProcessor": branch({"P": {"Type": "Pass", "End": True}})})
    ex = Execution.start(definition, list(range(5000)))
    [finished] = ex.advance(T0)
    assert finished == Finished(list(range(5000)))
    assert len(ex.jobs) == 5001
