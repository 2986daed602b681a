// ferry's run report: builds the page from the JSON in #ferry-data. Every text of the run goes
// in through textContent (never innerHTML), so task output is shown, never run.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("ferry-data").textContent);
  const STATUSES = ["ok", "changed", "failed", "skipped", "unreachable", "ignored"];
  const SYMBOLS = { ok: "✓", changed: "●", failed: "✗", skipped: "–", unreachable: "⊘", ignored: "!" };
  const SVG = "http://www.w3.org/2000/svg";
  const app = document.getElementById("app");

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }
  function size(n) {
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
    return (n / 1048576).toFixed(1) + " MiB";
  }
  function secs(ms) { return ms >= 1000 ? (ms / 1000).toFixed(1) + " s" : ms + " ms"; }
  function badge(status) {
    const word = String(status || "");
    const cls = "s-" + word.split(":")[0].trim();
    return el("span", { class: "badge " + cls, "data-status": word, text: (SYMBOLS[word] ? SYMBOLS[word] + " " : "") + word });
  }
  function section(id, title) {
    const s = el("section", { id: id }, el("h2", { text: title }));
    app.append(s);
    return s;
  }
  // A text the collector may have cut: [text, full size or 0].
  function textBlock(label, t, cls) {
    if (!t || !t[0]) return null;
    const box = el("div", { class: "text-" + label });
    box.append(el("div", { class: "where", text: label }));
    if (t[1]) box.append(el("div", { class: "note truncated", text: "showing " + size(t[0].length) + " of " + size(t[1]) }));
    box.append(cls === "diff" ? diffPre(t[0]) : el("pre", { class: cls || "" , text: t[0] }));
    return box;
  }
  function diffPre(text) {
    const pre = el("pre", { class: "diff" });
    for (const line of text.split("\n")) {
      let cls = "";
      if (line.startsWith("+")) cls = "add";
      else if (line.startsWith("-")) cls = "del";
      else if (line.startsWith("@@")) cls = "hunk";
      pre.append(el("span", { class: cls, text: line + "\n" }));
    }
    return pre;
  }
  function add(parent, ...nodes) { for (const n of nodes) if (n) parent.append(n); }
  function where(task) {
    return task.file ? task.file + ":" + task.line : "";
  }
  function json(v) { return typeof v === "string" ? v : JSON.stringify(v); }

  if (D.compare) { renderCompare(D.compare); return; }

  // Indexes: rows by host, the result of (task, host), what each status has.
  const R = D.results.map((r, i) => ({ i: i, task: r[0], host: r[1], status: STATUSES[r[2]] || "ok", start: r[3], dur: r[4], detail: r[5] >= 0 ? D.details[r[5]] : null }));
  const byCell = new Map();
  const hostStatuses = D.hosts.map(() => new Set());
  for (const r of R) { byCell.set(r.task * D.hosts.length + r.host, r); hostStatuses[r.host].add(r.status); }
  const shownTasks = D.tasks.map((t, i) => i).filter(i => R.some(r => r.task === i) || !D.tasks[i].handler);

  // The matrix draws only the rows in view (a 500-host run has 25,000 cells; laying them all
  // out takes seconds): rows have a fixed height, spacer rows stand for the others.
  const ROW_H = 20;
  const hostOrder = D.hosts.map((_, h) => h).sort((a, b) => D.hosts[a].localeCompare(D.hosts[b], undefined, { numeric: true }));
  let matrixHosts = hostOrder;
  let drawn = [-1, -1];

  renderHeader();
  const filters = renderFilters();
  if (D.stages && D.stages.length) renderStages();
  const failures = renderFailures();
  const matrix = renderMatrix();
  drawRows(matrix, true);
  renderTimeline();
  renderTasks();
  renderHosts();
  const diffs = renderDiffs();
  renderHandlers();
  if (D.warnings.length) {
    const s = section("warnings", "Warnings");
    for (const w of D.warnings) s.append(el("pre", { text: w }));
  }
  const detail = el("aside", { id: "detail", hidden: "" });
  document.body.append(detail);
  matrix.addEventListener("click", (ev) => {
    const cell = ev.target.closest("td.cell");
    if (cell && cell.dataset.r) showDetail(R[Number(cell.dataset.r)], cell);
  });

  function renderHeader() {
    const a = D.args || {};
    app.append(el("h1", {}, "ferry " + D.kind + ": " + D.title + " ", badge(D.status)));
    const dl = el("dl", { class: "header" });
    const row = (k, v, id) => { if (v !== "" && v !== null && v !== undefined) dl.append(el("dt", { text: k }), el("dd", id ? { id: id } : {}, v)); };
    row("Command", el("code", { id: "command", text: (a.argv || []).join(" ") }));
    if (D.run_id !== null && D.run_id !== undefined) row("Run", "#" + D.run_id);
    row("Who", D.user + (D.machine ? " on " + D.machine : ""));
    row("When", new Date(D.started * 1000).toISOString());
    row("Duration", D.duration.toFixed(1) + " s");
    row("Exit code", D.exit_code === null || D.exit_code === undefined ? "none (did not end)" : String(D.exit_code), "exit-code");
    if (D.git_sha || D.git_branch) row("Git", (D.git_sha || "").slice(0, 12) + (D.git_branch ? " on " + D.git_branch : ""));
    row("Limit", a.limit || "");
    row("Tags", (a.tags || []).join(", "));
    row("Skip tags", (a.skip_tags || []).join(", "));
    row("Extra vars", (a.extra_vars || []).join(", "));
    const modes = [a.check ? "check" : "", a.diff ? "diff" : ""].filter(Boolean).join(", ");
    row("Mode", modes);
    app.append(dl);
    if (D.status === "error") {
      const box = el("div", { id: "run-error", class: "failure" }, el("strong", { text: "The run did not start:" }));
      for (const w of D.warnings) box.append(el("pre", { text: w }));
      app.append(box);
    }
    const counts = {};
    for (const r of R) counts[r.status] = (counts[r.status] || 0) + 1;
    const sum = el("p", { id: "summary" },
      el("span", { id: "host-count", text: D.hosts.length + " hosts" }),
      el("span", { id: "task-count", text: shownTasks.length + " tasks" }));
    for (const s of STATUSES) if (counts[s]) sum.append(el("span", { "data-count": s }, badge(s), " " + counts[s]));
    app.append(sum);
  }

  function renderFilters() {
    const host = el("input", { id: "filter-host", type: "search", placeholder: "host name contains…" });
    const status = el("select", { id: "filter-status" }, el("option", { value: "", text: "any status" }));
    for (const s of STATUSES) status.append(el("option", { value: s, text: SYMBOLS[s] + " " + s }));
    const bar = el("div", { class: "filters" },
      el("label", {}, "Host ", host), el("label", {}, "Status ", status),
      el("span", { id: "filter-count", class: "note" }));
    app.append(bar);
    host.addEventListener("input", applyFilter);
    status.addEventListener("change", applyFilter);
    return { host: host, status: status, count: bar.querySelector("#filter-count") };
  }

  function hostShown(h) {
    const text = filters.host.value.trim().toLowerCase();
    const status = filters.status.value;
    if (text && !D.hosts[h].toLowerCase().includes(text)) return false;
    return !status || hostStatuses[h].has(status);
  }

  function applyFilter() {
    matrixHosts = hostOrder.filter(hostShown);
    const n = matrixHosts.length;
    drawRows(matrix, true);
    const status = filters.status.value;
    for (const box of failures.querySelectorAll(".failure")) {
      box.classList.toggle("hidden", !hostShown(Number(box.dataset.h)) || (status && box.dataset.status !== status));
    }
    for (const box of diffs.querySelectorAll(".diff-entry")) box.classList.toggle("hidden", !hostShown(Number(box.dataset.h)));
    filters.count.textContent = n + " of " + D.hosts.length + " hosts shown";
  }

  function renderFailures() {
    const s = section("failures", "Failures (and ignored errors)");
    // Failures that stand first, then errors that ignore_errors let through; in run order.
    const rank = { failed: 0, unreachable: 0, ignored: 1 };
    const bad = R.filter(r => r.status in rank).sort((a, b) => rank[a.status] - rank[b.status] || a.i - b.i);
    if (!bad.length) s.append(el("p", { class: "note", text: "No task failed." }));
    const LIMIT = 300;
    for (const r of bad.slice(0, LIMIT)) {
      const t = D.tasks[r.task];
      const box = el("div", { class: "failure " + r.status, "data-h": String(r.host), "data-status": r.status },
        el("div", {}, badge(r.status), " ", el("strong", { class: "host", text: D.hosts[r.host] }), " — ", el("span", { class: "task", text: t.name })),
        el("div", { class: "where", text: where(t) + "  ·  " + secs(r.dur) }));
      if (r.detail) {
        add(box, textBlock("msg", r.detail.msg, "msg"), textBlock("stdout", r.detail.stdout), textBlock("stderr", r.detail.stderr));
      }
      s.append(box);
    }
    if (bad.length > LIMIT) s.append(el("p", { class: "note", text: "and " + (bad.length - LIMIT) + " more in the matrix" }));
    return s;
  }

  function renderMatrix() {
    const s = section("results", "Results by host and task");
    const legend = el("p", { class: "legend" });
    for (const st of STATUSES) legend.append(el("span", {}, el("span", { class: "cell s-" + st, text: " " + SYMBOLS[st] + " " }), " " + st));
    legend.append(el("span", { class: "note", text: "columns are the tasks by number; click a cell for its result" }));
    s.append(legend);
    const table = el("table", { id: "matrix" });
    const head = el("tr", {}, el("th", { class: "host", text: "host" }));
    // Columns carry the task's number (its name in the tooltip and in "Plays and tasks").
    for (const ti of shownTasks) head.append(el("th", { class: "t", title: D.tasks[ti].name, text: String(ti + 1) }));
    table.append(el("thead", {}, head), el("tbody"));
    table.style.width = (180 + 22 * shownTasks.length) + "px";
    const wrap = el("div", { class: "matrix-wrap" }, table);
    s.append(wrap);
    wrap.addEventListener("scroll", () => drawRows(table, false));
    return table;
  }

  function hostRow(h) {
    const H = D.hosts.length;
    const tr = document.createElement("tr");
    tr.dataset.h = String(h);
    const name = document.createElement("td");
    name.className = "host";
    name.textContent = D.hosts[h];
    tr.append(name);
    for (const ti of shownTasks) {
      const r = byCell.get(ti * H + h);
      const td = document.createElement("td");
      if (r) {
        td.className = "cell s-" + r.status;
        td.textContent = SYMBOLS[r.status];
        td.title = D.hosts[h] + " · " + D.tasks[ti].name + ": " + r.status;
        td.dataset.r = String(r.i);
      } else {
        td.className = "cell none";
      }
      tr.append(td);
    }
    return tr;
  }

  function spacer(rows) {
    const tr = el("tr", { class: "spacer" });
    tr.style.height = rows * ROW_H + "px";
    return tr;
  }

  // Draws the rows of matrixHosts that are in view (and some around them).
  function drawRows(table, force) {
    const wrap = table.parentElement;
    const top = Math.max(0, wrap.scrollTop - table.tHead.offsetHeight);
    const first = Math.max(0, Math.floor(top / ROW_H) - 20);
    const last = Math.min(matrixHosts.length, first + Math.ceil((wrap.clientHeight || 800) / ROW_H) + 40);
    if (!force && first === drawn[0] && last === drawn[1]) return;
    drawn = [first, last];
    const body = table.tBodies[0];
    const rows = [];
    if (first > 0) rows.push(spacer(first));
    for (let i = first; i < last; i++) rows.push(hostRow(matrixHosts[i]));
    if (last < matrixHosts.length) rows.push(spacer(matrixHosts.length - last));
    body.replaceChildren(...rows);
  }

  function showDetail(r, cell) {
    for (const c of matrix.querySelectorAll("td.selected")) c.classList.remove("selected");
    cell.classList.add("selected");
    const t = D.tasks[r.task];
    detail.replaceChildren(
      el("button", { type: "button", id: "detail-close", text: "close" }),
      el("h3", {}, el("span", { class: "task", text: t.name })),
      el("p", {}, badge(r.status), " on ", el("strong", { class: "host", text: D.hosts[r.host] })),
      el("p", { class: "where", text: where(t) + "  ·  took " + secs(r.dur) }));
    if (r.detail) {
      for (const [k, cls] of [["msg", "msg"], ["stdout", ""], ["stderr", ""], ["diff", "diff"]]) add(detail, textBlock(k, r.detail[k], cls));
    } else {
      detail.append(el("p", { class: "note", text: "no message or output" }));
    }
    detail.hidden = false;
    detail.querySelector("#detail-close").addEventListener("click", () => { detail.hidden = true; });
  }

  function renderTimeline() {
    const s = section("timeline", "Timeline");
    const items = shownTasks.map(i => D.tasks[i]);
    const total = Math.max(1, ...items.map(t => t.end), ...(D.stages || []).map(st => st.end));
    const W = 900, ROW = 16, LABEL = 260;
    const chart = svg("svg", { width: String(LABEL + W + 70), height: String(items.length * ROW + 24), role: "img" });
    chart.append(svg("title", {}));
    chart.firstChild.textContent = "where the time went";
    items.forEach((t, n) => {
      const y = n * ROW + 4;
      const label = svg("text", { x: "0", y: String(y + 11) });
      label.textContent = (shownTasks[n] + 1) + " " + t.name.slice(0, 40);
      const x = LABEL + (t.start / total) * W;
      const w = Math.max(2, ((t.end - t.start) / total) * W);
      const bar = svg("rect", { class: "bar", x: String(x), y: String(y), width: String(w), height: String(ROW - 4), fill: t.handler ? "#cc79a7" : "#0072b2" });
      const tip = svg("title", {});
      tip.textContent = t.name + ": " + secs(t.end - t.start);
      bar.append(tip);
      const took = svg("text", { x: String(x + w + 4), y: String(y + 11) });
      took.textContent = secs(t.end - t.start);
      chart.append(label, bar, took);
    });
    const axis = svg("text", { x: String(LABEL), y: String(items.length * ROW + 20) });
    axis.textContent = "0 — " + secs(total) + " (blue: tasks, purple: handlers)";
    chart.append(axis);
    s.append(chart);
  }

  function renderTasks() {
    const s = section("tasks", "Plays and tasks");
    const table = el("table", { id: "task-table" }, el("thead", {}, el("tr", {}, ...["#", "task", "where", "took", "slowest host", ...STATUSES].map(h => el("th", { text: h })))));
    const body = el("tbody");
    let play = -1;
    for (const ti of shownTasks) {
      const t = D.tasks[ti];
      if (t.play !== play) {
        play = t.play;
        const p = D.plays[play] || { name: "" };
        body.append(el("tr", { class: "play" }, el("th", { colspan: String(5 + STATUSES.length), text: "PLAY " + (p.stage ? "[" + p.stage + "] " : "") + (p.name || "(unnamed)") })));
      }
      const rows = R.filter(r => r.task === ti);
      const slow = rows.reduce((a, r) => (a && a.dur >= r.dur ? a : r), null);
      const tr = el("tr", { class: t.handler ? "handler" : "task" },
        el("td", { text: String(ti + 1) }), el("td", { text: (t.handler ? "handler: " : "") + t.name }),
        el("td", { class: "where", text: where(t) }), el("td", { text: secs(t.end - t.start) }),
        el("td", { text: slow ? D.hosts[slow.host] + " " + secs(slow.dur) : "" }));
      for (const st of STATUSES) tr.append(el("td", { text: String(rows.filter(r => r.status === st).length || "") }));
      body.append(tr);
    }
    table.append(body);
    s.append(table);
  }

  function renderHosts() {
    const s = section("hosts", "Hosts");
    const names = ["ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"];
    const table = el("table", { id: "host-table" }, el("thead", {}, el("tr", {}, ...["host", "stage", ...names, "busy time"].map(h => el("th", { text: h })))));
    const body = el("tbody");
    const busy = D.hosts.map(() => 0);
    for (const r of R) busy[r.host] += r.dur;
    const recaps = D.recaps.length ? D.recaps : D.hosts.map(h => ({ stage: "", host: h, counts: null }));
    for (const rc of recaps) {
      const h = D.hosts.indexOf(rc.host);
      const tr = el("tr", {}, el("td", { text: rc.host }), el("td", { text: rc.stage }));
      for (let i = 0; i < names.length; i++) tr.append(el("td", { text: rc.counts ? String(rc.counts[i]) : "" }));
      tr.append(el("td", { text: h >= 0 ? secs(busy[h]) : "" }));
      body.append(tr);
    }
    table.append(body);
    s.append(table);
  }

  function renderDiffs() {
    const s = section("diffs", "Diffs");
    const with_ = R.filter(r => r.detail && r.detail.diff);
    if (!with_.length) s.append(el("p", { class: "note", text: D.args && D.args.diff ? "No task reported a difference." : "Run with --diff to record differences." }));
    for (const r of with_.slice(0, 300)) {
      s.append(el("div", { class: "diff-entry", "data-h": String(r.host) },
        el("div", {}, badge(r.status), " ", el("strong", { text: D.hosts[r.host] }), " — " + D.tasks[r.task].name),
        textBlock("diff", r.detail.diff, "diff") || ""));
    }
    return s;
  }

  function renderHandlers() {
    const s = section("handlers", "Handlers that ran");
    const ran = D.tasks.map((t, i) => [t, i]).filter(([t, i]) => t.handler && R.some(r => r.task === i && r.status !== "skipped"));
    if (!ran.length) s.append(el("p", { class: "note", text: "No handler ran." }));
    const ul = el("ul");
    for (const [t, i] of ran) {
      const hosts = R.filter(r => r.task === i && r.status !== "skipped").map(r => D.hosts[r.host]);
      ul.append(el("li", {}, el("strong", { text: t.name }), " on " + hosts.join(", ")));
    }
    s.append(ul);
  }

  function renderStages() {
    const s = section("stages", "Pipeline stages");
    const depth = {};
    const depthOf = (st, seen) => {
      if (depth[st.name] !== undefined) return depth[st.name];
      if (seen.has(st.name)) return 0;
      seen.add(st.name);
      const ds = st.needs.map(n => D.stages.find(x => x.name === n)).filter(Boolean).map(x => depthOf(x, seen) + 1);
      return (depth[st.name] = ds.length ? Math.max(...ds) : 0);
    };
    D.stages.forEach(st => depthOf(st, new Set()));
    const perCol = {};
    const pos = {};
    const BW = 170, BH = 46, GX = 60, GY = 18;
    for (const st of D.stages) {
      const c = depth[st.name];
      const r = (perCol[c] = (perCol[c] || 0) + 1) - 1;
      pos[st.name] = { x: 10 + c * (BW + GX), y: 10 + r * (BH + GY) };
    }
    const cols = Math.max(...Object.values(depth)) + 1;
    const rows = Math.max(...Object.values(perCol));
    const g = svg("svg", { class: "stage-graph", width: String(20 + cols * (BW + GX)), height: String(20 + rows * (BH + GY)) });
    for (const st of D.stages) for (const n of st.needs) {
      if (!pos[n]) continue;
      g.append(svg("line", { x1: String(pos[n].x + BW), y1: String(pos[n].y + BH / 2), x2: String(pos[st.name].x), y2: String(pos[st.name].y + BH / 2), stroke: "#555", "stroke-width": "2" }));
    }
    const colour = { succeeded: "#009e73", failed: "#d55e00", reused: "#56b4e9", interrupted: "#cc79a7", running: "#cc79a7" };
    for (const st of D.stages) {
      const p = pos[st.name];
      const word = st.status.split(":")[0];
      const box = svg("rect", { class: "stage", "data-stage": st.name, x: String(p.x), y: String(p.y), width: String(BW), height: String(BH), rx: "6", fill: colour[word] || "#bbbbbb", stroke: "#1b1b1b" });
      const name = svg("text", { x: String(p.x + 8), y: String(p.y + 18), "font-weight": "600" });
      name.textContent = st.name;
      const status = svg("text", { x: String(p.x + 8), y: String(p.y + 36) });
      status.textContent = (word === "succeeded" ? "✓ " : word === "failed" ? "✗ " : "– ") + st.status.slice(0, 24) + " · " + secs(st.end - st.start);
      g.append(box, name, status);
    }
    s.append(g);
    const table = el("table", { id: "exports" }, el("thead", {}, el("tr", {}, ...["stage", "status", "exit", "export", "value"].map(h => el("th", { text: h })))));
    const body = el("tbody");
    for (const st of D.stages) {
      const keys = Object.keys(st.exports || {});
      if (!keys.length) body.append(el("tr", {}, el("td", { text: st.name }), el("td", {}, badge(st.status)), el("td", { text: String(st.code) }), el("td"), el("td")));
      for (const k of keys) body.append(el("tr", {}, el("td", { text: st.name }), el("td", {}, badge(st.status)), el("td", { text: String(st.code) }), el("td", { text: k }), el("td", {}, el("code", { text: json(st.exports[k]) }))));
    }
    table.append(body);
    s.append(table);
  }

  function renderCompare(C) {
    app.append(el("h1", { text: "ferry: " + C.title + " — run #" + C.a.run_id + " against run #" + C.b.run_id }));
    const table = el("table", { id: "runs" }, el("thead", {}, el("tr", {}, ...["", "run A", "run B"].map(h => el("th", { text: h })))));
    const body = el("tbody");
    const line = (k, f) => body.append(el("tr", {}, el("th", { text: k }), el("td", {}, f(C.a)), el("td", {}, f(C.b))));
    line("Run", r => "#" + r.run_id);
    line("Status", r => badge(r.status));
    line("Exit code", r => String(r.exit_code));
    line("When", r => new Date(r.started * 1000).toISOString());
    line("Git", r => (r.git_sha || "").slice(0, 12) + (r.git_branch ? " on " + r.git_branch : ""));
    line("Command", r => el("code", { text: (r.args.argv || []).join(" ") }));
    table.append(body);
    app.append(table);
    const s = section("changes", "Results that differ (" + C.changes.length + ")");
    const ct = el("table", { class: "changes", id: "change-table" }, el("thead", {}, el("tr", {}, ...["stage", "task", "host", "run A", "run B"].map(h => el("th", { text: h })))));
    const cb = el("tbody");
    for (const c of C.changes) cb.append(el("tr", {}, el("td", { text: c.stage }), el("td", { text: c.task }), el("td", { text: c.host }), el("td", { class: "a" }, c.a ? badge(c.a) : "—"), el("td", { class: "b" }, c.b ? badge(c.b) : "—")));
    ct.append(cb);
    s.append(C.changes.length ? ct : el("p", { class: "note", text: "Every task ended the same on every host." }));
    const e = section("export-changes", "Exports that differ (" + C.exports.length + ")");
    const et = el("table", { id: "export-table" }, el("thead", {}, el("tr", {}, ...["stage", "export", "run A", "run B"].map(h => el("th", { text: h })))));
    const eb = el("tbody");
    for (const x of C.exports) eb.append(el("tr", {}, el("td", { text: x.stage }), el("td", { text: x.key }), el("td", {}, el("code", { text: x.a === null ? "—" : json(x.a) })), el("td", {}, el("code", { text: x.b === null ? "—" : json(x.b) }))));
    et.append(eb);
    e.append(C.exports.length ? et : el("p", { class: "note", text: "The same exports." }));
  }
})();
