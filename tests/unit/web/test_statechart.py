"""A state machine's picture: every top-level state, its transitions, and the path the workflow took."""

from __future__ import annotations

from conveyor.web.statechart import END, START, statechart

MACHINE = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Ship"}],
            "Default": "Fix",
        },
        "Fix": {
            "Type": "Task",
            "Resource": "fix",
            "Next": "Check",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Give up"}],
        },
        "Ship": {"Type": "Succeed"},
        "Give up": {"Type": "Fail"},
    },
}


def test_states_are_coloured_by_what_happened_and_the_path_is_marked() -> None:
    history = [
        {"state": "Check", "status": "succeeded", "branch": ""},
        {"state": "Fix", "status": "succeeded", "branch": ""},
        {"state": "Check", "status": "succeeded", "branch": ""},
        {"state": "Ship", "status": "succeeded", "branch": ""},
    ]
    pic = statechart(MACHINE, history, "succeeded")
    nodes = {n.id: n for n in pic.nodes}
    assert set(nodes) == {START, END, "s:Check", "s:Fix", "s:Ship", "s:Give up"}
    assert "s-succeeded" in nodes["s:Ship"].css and "s-unvisited" in nodes["s:Give up"].css
    assert nodes["s:Check"].subtitle == "Choice · succeeded ×2"
    taken = {(e.src, e.dst) for e in pic.edges if "taken" in e.css}
    assert taken == {
        (START, "s:Check"),
        ("s:Check", "s:Fix"),
        ("s:Fix", "s:Check"),
        ("s:Check", "s:Ship"),
        ("s:Ship", END),
    }
    assert any("back" in e.css for e in pic.edges)  # the Fix -> Check loop
    assert all(e.path.startswith("M") for e in pic.edges)


def test_a_workflow_that_has_not_started_shows_nothing_taken() -> None:
    pic = statechart(MACHINE, [], "queued")
    assert not [e for e in pic.edges if "taken" in e.css]
