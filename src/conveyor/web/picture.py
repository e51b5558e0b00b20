"""A pipeline as a picture: resources and jobs placed by ``layout``, each job coloured by its latest
run, each edge labelled with the version (or upstream run) that the consumer's latest run read.

The page draws the picture once; the live stream sends only ``state(picture)`` — classes and labels
by element id — so the browser updates the drawing in place and keeps focus and scroll.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from conveyor.store.base import Row
from conveyor.web.layout import NODE_H, NODE_W, Layout, layout
from conveyor.web.urls import job_url, resource_url

#: Names are cut to this many characters in a node; the full name is in its tooltip and link.
MAX_LABEL = 22


@dataclass
class NodeView:
    id: str
    kind: str
    name: str
    href: str
    css: str
    subtitle: str
    x: float = 0.0
    y: float = 0.0
    w: float = NODE_W
    h: float = NODE_H

    @property
    def label(self) -> str:
        return self.name if len(self.name) <= MAX_LABEL else self.name[: MAX_LABEL - 1] + "…"


@dataclass
class EdgeView:
    id: str
    src: str
    dst: str
    css: str
    label: str
    title: str
    path: str = ""
    label_x: float = 0.0
    label_y: float = 0.0
    #: known to close a loop: drawn as the back edge whatever the search order
    loop: bool = False


@dataclass
class Picture:
    pipeline: str
    version: int
    nodes: list[NodeView] = field(default_factory=list)
    edges: list[EdgeView] = field(default_factory=list)
    #: (css, path) of each source's shared run through the columns its long edges cross
    trunks: list[tuple[str, str]] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0


def job_css(job: dict[str, Any], manual: bool) -> str:
    run = job.get("latest_run")
    parts = ["node", "job", f"s-{run['status'] if run else 'never'}"]
    if job.get("paused"):
        parts.append("paused")
    if manual:
        parts.append("manual")
    return " ".join(parts)


def job_subtitle(job: dict[str, Any], manual: bool) -> str:
    run = job.get("latest_run")
    text = f"#{run['number']} {run['status'].replace('_', ' ')}" if run else "never run"
    if job.get("paused"):
        return f"paused · {text}"
    return f"manual · {text}" if manual else text


def picture(detail: dict[str, Any], inputs: dict[str, list[Row]]) -> Picture:
    """The drawing of ``service.pipeline_picture(...)``: the detail, and the inputs on the edges."""
    name = detail["name"]
    pic = Picture(name, detail["version"])
    latest_version = {r["name"]: r["latest_version"] for r in detail["resources"]}
    for r in detail["resources"]:
        pic.nodes.append(
            NodeView(
                id=_rid(r["name"]),
                kind="resource",
                name=r["name"],
                href=resource_url(name, r["name"]),
                css=f"node resource t-{r['type']}",
                subtitle=_resource_subtitle(r),
            )
        )
    for job in detail["jobs"]:
        manual = bool(job["inputs"]) and not any(i["trigger"] for i in job["inputs"])
        pic.nodes.append(
            NodeView(
                id=_jid(job["name"]),
                kind="job",
                name=job["name"],
                href=job_url(name, job["name"]),
                css=job_css(job, manual),
                subtitle=job_subtitle(job, manual),
            )
        )
    for job in detail["jobs"]:
        read = {(i["kind"], i["name"]): i for i in inputs.get(job["name"], [])}
        reads_resources = {i["name"] for i in job["inputs"] if i["kind"] == "resource"}
        for i in job["inputs"]:
            src = _rid(i["name"]) if i["kind"] == "resource" else _jid(i["name"])
            seen = read.get((i["kind"], i["name"]))
            label, title, stale = _input_label(i, seen, latest_version.get(i["name"]))
            css = "edge" + (" switch-off" if i["switch_off"] else "" if i["trigger"] else " passive")
            css += " stale" if stale else ""
            pic.edges.append(EdgeView(f"e{len(pic.edges)}", src, _jid(job["name"]), css, label, title))
        for out in job["outputs"]:
            edge = EdgeView(
                f"e{len(pic.edges)}", _jid(job["name"]), _rid(out), "edge output", "", f"writes {out}"
            )
            edge.loop = out in reads_resources  # a state resource it also reads: the loop's back edge
            pic.edges.append(edge)
    place(pic)
    return pic


def place(pic: Picture) -> None:
    """Lay the picture out: node positions, edge paths; edges to unknown nodes are dropped."""
    known = {n.id for n in pic.nodes}
    pic.edges = [e for e in pic.edges if e.src in known and e.dst in known]
    placed = _layout(tuple(n.id for n in pic.nodes), tuple((e.src, e.dst, e.loop) for e in pic.edges))
    for n in pic.nodes:
        spot = placed.nodes[n.id]
        n.x, n.y = spot.x, spot.y
        if n.kind == "resource":  # a little slimmer than a job, centred on the same row
            n.h = NODE_H - 6
            n.y += 3
    for e, route in zip(pic.edges, placed.edges, strict=True):
        e.path, e.label_x, e.label_y = route.path, route.label_x, route.label_y
        if route.back:
            e.css += " back"
    for src, path in placed.trunks.items():
        passive = all(" passive" in e.css or " switch-off" in e.css for e in pic.edges if e.src == src)
        pic.trunks.append(("edge trunk" + (" passive" if passive else ""), path))
    pic.width, pic.height = placed.width, placed.height


@lru_cache(maxsize=64)
def _layout(node_ids: tuple[str, ...], edges: tuple[tuple[str, str, bool], ...]) -> Layout:
    """The layout of a graph, computed once per shape: a pipeline's shape changes only with a new version,
    while its picture is drawn for every page view and every change the live stream sends (on 200 jobs the
    layout is a third of the drawing). Read-only: ``place`` copies what it needs."""
    return layout(node_ids, edges)


def state(pic: Picture) -> dict[str, Any]:
    """What the live stream sends: everything of the picture that a run or a version can change."""
    return {
        "version": pic.version,
        "nodes": {n.id: {"css": n.css, "subtitle": n.subtitle} for n in pic.nodes},
        "edges": {e.id: {"css": e.css, "label": e.label, "title": e.title} for e in pic.edges},
    }


def _rid(name: str) -> str:
    return f"r:{name}"


def _jid(name: str) -> str:
    return f"j:{name}"


def _resource_subtitle(r: dict[str, Any]) -> str:
    v = r["latest_version"]
    return f"{r['type']} · v{v}" if v else f"{r['type']} · no version"


def _input_label(i: dict[str, Any], seen: Row | None, latest: int | None) -> tuple[str, str, bool]:
    """The edge's label (what the consumer's latest run read), its tooltip, and whether a newer
    version than that exists (the consumer has not caught up yet)."""
    how = "switch: off" if i["switch_off"] else "triggers" if i["trigger"] else "read, never triggers"
    if seen is None:
        return "", f"{i['name']} ({how}); not read yet", False
    if i["kind"] == "job":
        number = seen.get("upstream_number")
        return (f"#{number}" if number else ""), f"read {i['name']} #{number} ({how})", False
    number = seen.get("version_number")
    if number is None:
        return "∅", f"read no version of {i['name']} ({how})", bool(latest)
    stale = bool(latest and latest > number)
    note = f"; v{latest} is newer" if stale else ""
    return f"v{number}", f"read {i['name']} v{number} ({how}){note}", stale
