"""The layered layout: columns by longest path, loops broken, long edges in lanes, no overlaps, fast."""

from __future__ import annotations

from conveyor.web.layout import NODE_H, NODE_W, layout


def _columns(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    placed = layout(ids, [(a, b, False) for a, b in edges])
    return {n: placed.nodes[n].layer for n in ids}


def test_a_node_sits_one_column_right_of_its_furthest_source() -> None:
    cols = _columns(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")])
    assert cols == {"a": 0, "b": 1, "c": 2, "d": 3}


def test_a_source_read_only_late_sits_just_before_its_first_reader() -> None:
    cols = _columns(["a", "b", "c", "settings"], [("a", "b"), ("b", "c"), ("settings", "c")])
    assert cols["settings"] == 1


def test_a_loop_is_broken_at_the_edge_marked_back() -> None:
    placed = layout(["state", "job"], [("state", "job", False), ("job", "state", True)])
    assert placed.nodes["state"].layer == 0 and placed.nodes["job"].layer == 1
    assert [e.back for e in placed.edges] == [False, True]
    cycle = layout(["a", "b", "c"], [("a", "b", False), ("b", "c", False), ("c", "a", False)])
    assert sum(e.back for e in cycle.edges) == 1


def test_long_edges_get_lanes_and_nodes_never_overlap() -> None:
    ids = [f"n{i}" for i in range(60)]
    chain = [(f"n{i}", f"n{i + 1}", False) for i in range(20)]
    placed = layout(ids, [*chain, ("n0", "n15", False), ("n3", "n9", False), ("n40", "n12", False)])
    assert "n0" in placed.nodes and not any(k.startswith("\0") for k in placed.nodes)
    longest = next(e for e in placed.edges if (e.src, e.dst) == ("n0", "n15"))
    assert len(longest.lanes) == 14 and placed.trunks["n0"].count("L") == 14  # drawn once for n0
    assert longest.path.count("C") == 1  # the edge itself: the last curve, from its last lane
    boxes = [(n.x, n.y) for n in placed.nodes.values()]
    for i, (x1, y1) in enumerate(boxes):
        for x2, y2 in boxes[i + 1 :]:
            assert abs(x1 - x2) >= NODE_W or abs(y1 - y2) >= NODE_H
    assert all(0 <= n.x <= placed.width and 0 <= n.y <= placed.height for n in placed.nodes.values())


def test_a_deep_and_wide_graph_of_200_jobs_is_laid_out() -> None:
    ids = [f"j{i}" for i in range(200)]
    edges = [(f"j{i}", f"j{j}", False) for i in range(200) for j in (i + 1, i + 7, i + 23) if j < 200]
    placed = layout(ids, edges)
    assert len(placed.nodes) == 200
    assert [placed.nodes[f"j{i}"].layer for i in (0, 1, 199)] == [0, 1, 199]
