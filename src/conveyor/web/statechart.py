"""A state-machine workflow as a picture: its definition's top-level states and transitions, each state
coloured by what happened to it in this workflow, and the transitions it took drawn bold.

The states come from the definition (``StartAt``, ``Next``, ``Default``, ``Choices``, ``Catch``); what
happened comes from the execution's history as ``sm_views.workflow_json(history=True)`` gives it.
States inside a Parallel's branches or a Map's iterations are listed on the page, not drawn.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from conveyor.web.picture import EdgeView, NodeView, Picture, place

START, END = "·start", "·end"


def _targets(state: dict[str, Any]) -> list[tuple[str, str]]:
    """(target, why) of every transition out of a state."""
    out: list[tuple[str, str]] = []
    if isinstance(state.get("Next"), str):
        out.append((state["Next"], "next"))
    for choice in state.get("Choices") or []:
        if isinstance(choice, dict) and isinstance(choice.get("Next"), str):
            out.append((choice["Next"], "choice"))
    if isinstance(state.get("Default"), str):
        out.append((state["Default"], "default"))
    for catcher in state.get("Catch") or []:
        if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
            out.append((catcher["Next"], "catch"))
    if state.get("End") or state.get("Type") in ("Succeed", "Fail"):
        out.append((END, "end"))
    return out


def statechart(machine: dict[str, Any], history: list[dict[str, Any]], workflow_status: str) -> Picture:
    states: dict[str, Any] = machine.get("States") or {}
    top = [h for h in history if not h.get("branch")]
    last: dict[str, dict[str, Any]] = {}
    visits: dict[str, int] = {}
    for h in top:
        last[h["state"]] = h
        visits[h["state"]] = visits.get(h["state"], 0) + 1
    path = [START, *(h["state"] for h in top)]
    if workflow_status in ("succeeded", "failed") and top:
        path.append(END)
    taken = set(pairwise(path))

    pic = Picture(pipeline="", version=0)
    pic.nodes.append(NodeView(START, "marker", "start", "", "node marker s-succeeded", ""))
    for name, state in states.items():
        seen = last.get(name)
        status = seen["status"] if seen else "unvisited"
        kind = state.get("Type", "?") if isinstance(state, dict) else "?"
        count = visits.get(name, 0)
        subtitle = f"{kind} · {status.replace('_', ' ')}" + (f" ×{count}" if count > 1 else "")
        pic.nodes.append(
            NodeView(f"s:{name}", "state", name, f"#state-{name}", f"node state s-{status}", subtitle)
        )
    end_css = f"node marker s-{workflow_status}" if END in path else "node marker s-unvisited"
    pic.nodes.append(NodeView(END, "marker", "end", "", end_css, ""))

    def nid(name: str) -> str:
        return name if name in (START, END) else f"s:{name}"

    edges: list[tuple[str, str, str]] = []
    start_at = machine.get("StartAt")
    if isinstance(start_at, str):
        edges.append((START, start_at, "next"))
    for name, state in states.items():
        if isinstance(state, dict):
            edges += [(name, target, why) for target, why in _targets(state)]
    for src, dst, why in edges:
        css = f"edge {why}" + (" taken" if (src, dst) in taken else "")
        pic.edges.append(
            EdgeView(f"e{len(pic.edges)}", nid(src), nid(dst), css, "", f"{src} → {dst} ({why})")
        )
    place(pic)
    return pic
