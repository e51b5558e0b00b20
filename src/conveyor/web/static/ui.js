// conveyor's UI: the live parts only. Pages work without it (the log then has a text link).
// Every string from the server goes in with textContent, never innerHTML.
"use strict";

(function () {
  function byKey(root) {
    const found = new Map();
    root.querySelectorAll("[data-key]").forEach((el) => found.set(el.dataset.key, el));
    return found;
  }

  function indicator(head) {
    const box = head.querySelector(".live-state");
    const text = box ? box.querySelector(".live-text") : null;
    return (on, words) => {
      if (!box) return;
      box.classList.toggle("on", on);
      text.textContent = words;
    };
  }

  function setAttr(el, name, value) {
    if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  }

  function setClass(el, value) {
    setAttr(el, "class", value);
  }

  function setText(el, value) {
    if (el && el.textContent !== value) el.textContent = value;
  }

  // The pipeline page: the server sends classes and labels by element whenever something changed.
  function livePipeline(head) {
    const version = Number(head.dataset.version);
    const show = indicator(head);
    const graph = byKey(document.querySelector("svg.graph"));
    const cells = new Map();
    document.querySelectorAll("[data-subtitle-of]").forEach((el) => cells.set(el.dataset.subtitleOf, el));
    const stream = new EventSource(head.dataset.pipelineLive);
    stream.onopen = () => show(true, "live");
    stream.onerror = () => show(false, "reconnecting…");
    stream.addEventListener("state", (event) => {
      const state = JSON.parse(event.data);
      if (state.version !== version) {
        location.reload(); // a new pipeline version: other nodes, other edges
        return;
      }
      // only what differs: rewriting every class of a 200-job picture restyles all of it
      for (const [key, node] of Object.entries(state.nodes)) {
        const el = graph.get(key);
        if (!el) continue;
        setClass(el, node.css);
        setText(el.querySelector(".sub"), node.subtitle);
        if (el.dataset.name) setAttr(el, "aria-label", el.dataset.name + ": " + node.subtitle);
        setText(cells.get(key), node.subtitle);
      }
      for (const [key, edge] of Object.entries(state.edges)) {
        const el = graph.get(key);
        if (!el) continue;
        setClass(el, edge.css);
        setText(el.querySelector(".edge-label"), edge.label);
        setText(el.querySelector("title"), edge.title);
      }
      head.dataset.updated = String(Date.now());
    });
    stream.addEventListener("gone", () => {
      stream.close();
      location.reload();
    });
  }

  // The job page: the server sends the newest runs' rows again (rendered and escaped as in the page
  // itself) whenever they changed; they replace the old ones. DOMParser runs no script, and the page's
  // Content-Security-Policy forbids inline ones anyway. Keyboard focus stays on the same link.
  function liveJob(head) {
    const show = indicator(head);
    const box = document.getElementById("runs");
    const badge = head.querySelector("[data-status-of=job]");
    const stream = new EventSource(head.dataset.jobLive);
    stream.onopen = () => show(true, "live");
    stream.onerror = () => show(false, "reconnecting…");
    stream.addEventListener("runs", (event) => {
      const runs = JSON.parse(event.data);
      const focused = box.contains(document.activeElement) ? document.activeElement.getAttribute("href") : null;
      const parsed = new DOMParser().parseFromString(runs.html, "text/html");
      box.replaceChildren(...parsed.body.childNodes);
      if (focused) {
        const again = Array.from(box.querySelectorAll("a[href]")).find((a) => a.getAttribute("href") === focused);
        if (again) again.focus();
      }
      if (badge && runs.status) {
        badge.className = "badge s-" + runs.status;
        badge.textContent = runs.status.replace("_", " ");
      }
      head.dataset.updated = String(Date.now());
    });
    stream.addEventListener("gone", () => {
      stream.close();
      location.reload();
    });
  }

  function clock(at) {
    return new Date(at * 1000).toISOString().slice(11, 19);
  }

  // The run page: the log as it is written, one section per step, and the run's status.
  function liveRun(head) {
    const finished = ["succeeded", "failed", "errored", "timed_out", "cancelled"];
    const started = head.dataset.status;
    const badge = head.querySelector("[data-status-of=run]");
    const log = document.getElementById("log");
    let step = null;
    let open = null; // the line a chunk ended in the middle of

    function section(label) {
      const box = document.createElement("details");
      box.open = true;
      const title = document.createElement("summary");
      title.textContent = label;
      box.append(title);
      log.append(box);
      return box;
    }

    function line(at, text) {
      const row = document.createElement("div");
      row.className = "line";
      const stamp = document.createElement("time");
      stamp.dateTime = new Date(at * 1000).toISOString();
      stamp.textContent = clock(at);
      const body = document.createElement("span");
      body.textContent = text;
      row.append(stamp, body);
      (step || log).append(row);
      return body;
    }

    function status(value) {
      badge.className = "badge s-" + value;
      badge.textContent = value.replace("_", " ");
      head.dataset.status = value;
      document.querySelectorAll("[data-while]").forEach((el) => {
        const want = el.dataset.while;
        el.hidden = want === "active" ? finished.includes(value) : want !== value;
      });
    }

    const stream = new EventSource(head.dataset.runLive);
    stream.addEventListener("status", (event) => status(JSON.parse(event.data).status));
    stream.addEventListener("log", (event) => {
      const chunk = JSON.parse(event.data);
      const following = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
      const parts = chunk.text.split("\n");
      parts.forEach((part, i) => {
        if (i > 0) open = null;
        if (open) {
          open.textContent += part;
        } else if (part.startsWith("▶ ")) {
          step = section(part.slice(2));
        } else if (part !== "" || i < parts.length - 1) {
          open = line(chunk.at, part);
        }
      });
      if (following) log.scrollTop = log.scrollHeight;
    });
    stream.addEventListener("end", (event) => {
      stream.close();
      const value = JSON.parse(event.data).status;
      status(value);
      const end = document.createElement("div");
      end.className = "end";
      end.textContent = "— " + value.replace("_", " ") + " —";
      log.append(end);
      log.dataset.ended = value;
      if (!finished.includes(started)) document.querySelector(".finished-note").hidden = false;
    });
  }

  // Arrow keys move the focus between a graph's nodes, towards the nearest one in that direction.
  function graphKeys(svg) {
    const directions = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] };
    const centre = (node) => {
      const r = node.querySelector("rect");
      return {
        x: Number(r.getAttribute("x")) + Number(r.getAttribute("width")) / 2,
        y: Number(r.getAttribute("y")) + Number(r.getAttribute("height")) / 2,
      };
    };
    svg.addEventListener("keydown", (event) => {
      const d = directions[event.key];
      const current = event.target.closest && event.target.closest("a.node");
      if (!d || !current) return;
      const c = centre(current);
      let best = null;
      let bestScore = Infinity;
      svg.querySelectorAll("a.node").forEach((node) => {
        if (node === current) return;
        const p = centre(node);
        const along = (p.x - c.x) * d[0] + (p.y - c.y) * d[1];
        if (along <= 0) return;
        const across = Math.abs((p.x - c.x) * d[1]) + Math.abs((p.y - c.y) * d[0]);
        const score = along + 3 * across;
        if (score < bestScore) {
          bestScore = score;
          best = node;
        }
      });
      if (best) {
        event.preventDefault();
        best.focus();
        best.scrollIntoView({ block: "nearest", inline: "nearest" });
      }
    });
  }

  // Forms marked data-inline are sent without leaving the page (a live page keeps its stream); the
  // server answers 204 with a note, or an error page whose message is shown instead.
  function note(text, bad) {
    let box = document.querySelector("main > .flash");
    if (!box) {
      box = document.createElement("p");
      box.className = "flash";
      box.setAttribute("role", "status");
      document.querySelector("main").prepend(box);
    }
    box.classList.toggle("bad", Boolean(bad));
    box.textContent = text;
  }

  async function sendInline(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-inline")) return;
    event.preventDefault();
    const button = event.submitter || form.querySelector("button");
    const action = (event.submitter && event.submitter.getAttribute("formaction")) || form.action;
    if (button) button.disabled = true;
    try {
      const response = await fetch(action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { "X-Conveyor-Inline": "1" },
        credentials: "same-origin",
      });
      if (response.ok) {
        note(decodeURIComponent(response.headers.get("X-Conveyor-Note") || "done"));
      } else if (response.redirected || response.status === 401) {
        location.reload();
      } else {
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const message = page.querySelector(".message");
        note(message ? message.textContent : "failed: " + response.status, true);
      }
    } catch (error) {
      note("could not reach the server: " + error, true);
    } finally {
      if (button) button.disabled = false;
    }
  }

  document.addEventListener("submit", sendInline);
  // The live parts start once the page has loaded: indexing a large graph's elements and opening the
  // stream would otherwise hold the first paint back. Nothing is missed meanwhile: each stream starts
  // from the mark the page was drawn at.
  function start() {
    const pipeline = document.querySelector("[data-pipeline-live]");
    if (pipeline) livePipeline(pipeline);
    const job = document.querySelector("[data-job-live]");
    if (job) liveJob(job);
    const run = document.querySelector("[data-run-live]");
    if (run) liveRun(run);
    document.querySelectorAll("svg.graph").forEach(graphKeys);
  }
  if (document.readyState === "complete") start();
  else window.addEventListener("load", () => setTimeout(start, 0));
})();
