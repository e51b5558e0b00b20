"""A left-to-right layered layout for small directed graphs (pipelines, state machines), in pure Python.

Why this shape: a pipeline reads like an assembly line, so each node's column is its longest path from a
source (Sugiyama's first step, without the expensive parts). Cycles (a job that reads and writes a
state resource, a state machine's loop) are broken by marking back edges, which are drawn as arcs
under the nodes. An edge that spans several columns runs through a thin virtual node in each column
it crosses (one lane per source and column), so it passes between the nodes instead of through them.
Rows inside a column are ordered by a few barycentre sweeps, which removes most crossings in the graphs
people write. Nodes keep a fixed size whatever the graph's size and the page scrolls, so 50 or 200 jobs
stay as readable as 5.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

NODE_W, NODE_H = 172, 44
GAP_X, GAP_Y = 64, 18
#: the height of a long edge's lane through a column
LANE_H = 10
MARGIN = 16
SWEEPS = 4


@dataclass
class Node:
    id: str
    layer: int = 0
    row: int = 0
    x: float = 0.0
    y: float = 0.0
    #: a lane for a long edge, not a node of the graph
    virtual: bool = False

    @property
    def height(self) -> float:
        return LANE_H if self.virtual else NODE_H


@dataclass
class Edge:
    src: str
    dst: str
    #: drawn as an arc under the nodes: it points back against the flow (a loop)
    back: bool = False
    #: the virtual nodes it passes through, in order
    lanes: list[str] = field(default_factory=list)
    path: str = ""
    label_x: float = 0.0
    label_y: float = 0.0


@dataclass
class Layout:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    #: source -> the path of its lanes, drawn once; each of its long edges draws only its last curve
    trunks: dict[str, str] = field(default_factory=dict)
    width: float = 0.0
    height: float = 0.0


def layout(node_ids: Iterable[str], edges: Iterable[tuple[str, str, bool]]) -> Layout:
    """Place ``node_ids`` (in a stable, meaningful order: it breaks ties) and route ``edges``, given as
    ``(src, dst, back)``: ``back`` pre-marks an edge known to close a loop (a state resource written
    by a job that reads it), so it is not the edge the depth-first search happens to meet first."""
    out = Layout(nodes={n: Node(n) for n in node_ids})
    out.edges = [Edge(s, d, back) for s, d, back in edges if s in out.nodes and d in out.nodes]
    _break_cycles(out)
    _assign_layers(out)
    _add_lanes(out)
    _order_rows(out)
    _place(out)
    for lane in [n for n in out.nodes.values() if n.virtual]:
        del out.nodes[lane.id]
    return out


def _break_cycles(g: Layout) -> None:
    succ: dict[str, list[Edge]] = {n: [] for n in g.nodes}
    for e in g.edges:
        if e.src == e.dst:
            e.back = True
        elif not e.back:
            succ[e.src].append(e)
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for root in g.nodes:
        if root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            for e in it:
                seen = state.get(e.dst)
                if seen == 1:
                    e.back = True
                elif seen is None:
                    state[e.dst] = 1
                    stack.append((e.dst, iter(succ[e.dst])))
                    break
            else:
                state[node] = 2
                stack.pop()


def _assign_layers(g: Layout) -> None:
    preds: dict[str, list[str]] = {n: [] for n in g.nodes}
    succs: dict[str, list[str]] = {n: [] for n in g.nodes}
    for e in g.edges:
        if not e.back:
            preds[e.dst].append(e.src)
            succs[e.src].append(e.dst)
    indegree = {n: len(p) for n, p in preds.items()}
    ready = [n for n in g.nodes if indegree[n] == 0]
    topo: list[str] = []
    while ready:
        n = ready.pop(0)
        topo.append(n)
        for m in succs[n]:
            g.nodes[m].layer = max(g.nodes[m].layer, g.nodes[n].layer + 1)
            indegree[m] -= 1
            if indegree[m] == 0:
                ready.append(m)
    # a source feeding only later columns (a settings resource read by the last job) sits just before
    # its first consumer, so its edges stay short
    for n in reversed(topo):
        if not preds[n] and succs[n]:
            g.nodes[n].layer = max(0, min(g.nodes[m].layer for m in succs[n]) - 1)


def _add_lanes(g: Layout) -> None:
    """Lanes are shared by source: a resource that forty later jobs read runs one line through each
    column (a bus the edges branch off), not forty."""
    for e in g.edges:
        if e.back:
            continue
        for layer in range(g.nodes[e.src].layer + 1, g.nodes[e.dst].layer):
            key = f"\0{e.src}\0{layer}"
            if key not in g.nodes:
                g.nodes[key] = Node(key, layer=layer, virtual=True)
            e.lanes.append(key)


def _chain(e: Edge) -> list[str]:
    return [e.src, *e.lanes, e.dst]


def _order_rows(g: Layout) -> None:
    layers: dict[int, list[str]] = {}
    for n in g.nodes.values():
        layers.setdefault(n.layer, []).append(n.id)
    neighbours: dict[str, set[str]] = {n: set() for n in g.nodes}
    for e in g.edges:
        if not e.back:
            for a, b in pairwise(_chain(e)):
                neighbours[a].add(b)
                neighbours[b].add(a)

    def renumber(ids: list[str]) -> None:
        for i, n in enumerate(ids):
            g.nodes[n].row = i

    for ids in layers.values():
        renumber(ids)
    order = sorted(layers)
    for sweep in range(SWEEPS):
        for layer in order if sweep % 2 == 0 else reversed(order):

            def centre(n: str, layer: int = layer) -> float:
                near = [g.nodes[m].row for m in neighbours[n] if g.nodes[m].layer != layer]
                return sum(near) / len(near) if near else float(g.nodes[n].row)

            layers[layer].sort(key=centre)
            renumber(layers[layer])


def _place(g: Layout) -> None:
    columns: dict[int, list[Node]] = {}
    for n in g.nodes.values():
        columns.setdefault(n.layer, []).append(n)
    extent = {layer: sum(n.height + GAP_Y for n in ns) - GAP_Y for layer, ns in columns.items()}
    tallest = max(extent.values(), default=0.0)
    for layer, ns in columns.items():
        y = MARGIN + (tallest - extent[layer]) / 2
        for n in sorted(ns, key=lambda n: n.row):
            n.x, n.y = MARGIN + layer * (NODE_W + GAP_X), y
            y += n.height + GAP_Y
    g.width = MARGIN * 2 + (max(columns, default=0) + 1) * (NODE_W + GAP_X) - GAP_X
    g.height = MARGIN * 2 + tallest + (NODE_H if any(e.back for e in g.edges) else 0)
    for e in g.edges:
        a, b = g.nodes[e.src], g.nodes[e.dst]
        if e.back:
            # from the source's bottom, under the nodes, into the target's bottom
            x1, y1 = a.x + NODE_W / 2, a.y + NODE_H
            x2, y2 = b.x + NODE_W / 2, b.y + NODE_H
            dip = max(y1, y2) + NODE_H * 0.9
            e.path = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{dip:.0f} {x2:.0f},{dip:.0f} {x2:.0f},{y2:.0f}"
            e.label_x, e.label_y = (x1 + x2) / 2, dip - 4
            continue
        start = (a.x + NODE_W, a.y + NODE_H / 2)
        if e.lanes:
            last = g.nodes[e.lanes[-1]]
            start = (last.x + NODE_W, last.y + LANE_H / 2)
            if e.src not in g.trunks:
                g.trunks[e.src] = _trunk(g, e.src)
        end = (b.x, b.y + NODE_H / 2)
        e.path = f"M{start[0]:.0f},{start[1]:.0f} " + _curve(start, end)
        e.label_x, e.label_y = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2 - 4


def _curve(a: tuple[float, float], b: tuple[float, float]) -> str:
    bend = max(24.0, (b[0] - a[0]) / 2)
    return f"C{a[0] + bend:.0f},{a[1]:.0f} {b[0] - bend:.0f},{b[1]:.0f} {b[0]:.0f},{b[1]:.0f}"


def _trunk(g: Layout, src: str) -> str:
    """From the source through each of its lanes, column by column: a curve into a lane's left end, a
    straight run to its right end. Every lane of a source lies on this one chain (an edge to column k
    passes through the lanes of every column before k)."""
    a = g.nodes[src]
    lanes = []
    layer = a.layer + 1
    while f"\0{src}\0{layer}" in g.nodes:
        lanes.append(g.nodes[f"\0{src}\0{layer}"])
        layer += 1
    at = (a.x + NODE_W, a.y + NODE_H / 2)
    path = [f"M{at[0]:.0f},{at[1]:.0f}"]
    for lane in lanes:
        mid = lane.y + LANE_H / 2
        path.append(_curve(at, (lane.x, mid)))
        at = (lane.x + NODE_W, mid)
        path.append(f"L{at[0]:.0f},{at[1]:.0f}")
    return " ".join(path)
