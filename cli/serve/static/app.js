"use strict";
// The page of `allocopt serve`: controls built from the instance, a change posted as the
// scenario's edits (only values that differ from the baseline), the state polled.
(function () {
  const token = new URLSearchParams(location.search).get("token");
  const $ = (id) => document.getElementById(id);
  let base = null;        // the instance's own values
  let state = null;       // the last /api/state
  let shownName = null;   // the scenario whose controls are on the page

  function call(path, body) {
    const headers = {};
    if (token) headers["X-Allocopt-Token"] = token;
    const init = { headers, cache: "no-store" };
    if (body !== undefined) {
      init.method = "POST";
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then((r) => r.json().then((data) => {
      if (!r.ok) throw new Error(data.error || r.statusText);
      return data;
    }));
  }
  function link(path) { return token ? path + "?token=" + encodeURIComponent(token) : path; }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function num(x, digits) {
    if (x === null || x === undefined) return "–";
    return Number(x).toLocaleString("en", { maximumFractionDigits: digits === undefined ? 1 : digits });
  }
  function pct(x) { return x === null || x === undefined ? "–" : (100 * x).toFixed(2) + " %"; }
  function showError(message) { $("error").textContent = message || ""; $("error").hidden = !message; }
  function input(type, value, attrs) {
    const e = document.createElement("input");
    e.type = type;
    if (type === "checkbox") e.checked = value; else e.value = value === null ? "" : value;
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    e.addEventListener("change", submit);
    return e;
  }
  function row(cells) {
    const tr = el("tr");
    for (const c of cells) {
      const td = el("td");
      if (c instanceof Node) td.appendChild(c); else td.textContent = c;
      tr.appendChild(td);
    }
    return tr;
  }

  function build(instance) {
    base = instance;
    $("instance-name").textContent = instance.name;
    const supply = $("supply-table").tBodies[0];
    for (const g of instance.gpu_types) {
      const range = input("range", 0, { id: "supply-" + g, min: -100, max: 100, step: 5 });
      const out = el("output", "0 %", null); out.id = "supply-out-" + g;
      range.addEventListener("input", () => { out.textContent = range.value + " %"; });
      const from = el("select"); from.id = "from-" + g;
      for (const p of instance.periods) { const o = el("option", p); o.value = p; from.appendChild(o); }
      from.addEventListener("change", submit);
      const box = el("span"); box.append(range, " ", out);
      const bars = el("span"); bars.id = "bars-" + g;
      supply.appendChild(row([g, box, from, bars]));
    }
    const budget = $("budget-table").tBodies[0];
    for (const line of ["capex", "opex", "total"]) {
      const limit = instance.budget[line];
      const field = input("number", limit, { id: "budget-" + line, min: 0, step: "any", placeholder: "no limit" });
      const spent = el("span"); spent.id = "spent-" + line;
      budget.appendChild(row([line + " (" + instance.currency + ")", spent, num(limit), field]));
    }
    const areas = $("areas-table").tBodies[0];
    for (const a of instance.areas) {
      const share = el("span"); share.id = "share-" + a.id;
      const was = el("span"); was.id = "share-base-" + a.id;
      const delta = el("span"); delta.id = "share-delta-" + a.id;
      areas.appendChild(row([a.id, share, was, delta,
        input("number", a.weight, { id: "weight-" + a.id, min: 0, step: "any" }),
        input("number", a.min_share, { id: "min-" + a.id, min: 0, max: 1, step: "any" }),
        input("number", a.max_share, { id: "max-" + a.id, min: 0, max: 1, step: "any" })]));
    }
    const projects = $("projects-table").tBodies[0];
    for (const p of instance.projects) {
      const now = el("span"); now.id = "funded-" + p.id;
      const was = el("span"); was.id = "funded-base-" + p.id;
      const name = el("span", p.id); name.title = p.title || "";
      projects.appendChild(row([name, p.area, now, was,
        input("number", p.score, { id: "score-" + p.id, min: 0, step: "any" }),
        input("checkbox", p.mandatory, { id: "mandatory-" + p.id })]));
    }
    const head = $("use-table").tHead;
    head.appendChild(row(["GPUs awarded / on hand", ...instance.periods]));
  }

  function value(id) { const v = $(id).value; return v === "" ? null : Number(v); }
  function edits() {
    const out = { supply: {}, budget: {}, areas: {}, projects: {} };
    for (const g of base.gpu_types) {
      const change = Number($("supply-" + g).value);
      if (change !== 0) out.supply[g] = { share: 1 + change / 100, from_period: $("from-" + g).value };
    }
    for (const line of ["capex", "opex", "total"]) {
      const v = value("budget-" + line);
      if (v !== base.budget[line]) out.budget[line] = v;
    }
    for (const a of base.areas) {
      const fields = {};
      for (const [key, id] of [["weight", "weight-"], ["min_share", "min-"], ["max_share", "max-"]]) {
        const v = value(id + a.id);
        if (v !== a[key] && v !== null) fields[key] = v;
      }
      if (Object.keys(fields).length) out.areas[a.id] = fields;
    }
    for (const p of base.projects) {
      const fields = {};
      const score = value("score-" + p.id);
      if (score !== null && score !== p.score) fields.score = score;
      const mandatory = $("mandatory-" + p.id).checked;
      if (mandatory !== p.mandatory) fields.mandatory = mandatory;
      if (Object.keys(fields).length) out.projects[p.id] = fields;
    }
    return out;
  }
  function setControls(e) {
    e = e || {};
    for (const g of base.gpu_types) {
      const s = (e.supply || {})[g];
      const change = s ? Math.round((s.share - 1) * 100) : 0;
      $("supply-" + g).value = change; $("supply-out-" + g).textContent = change + " %";
      $("from-" + g).value = s && s.from_period ? s.from_period : base.periods[0];
    }
    for (const line of ["capex", "opex", "total"]) {
      const b = e.budget || {};
      const v = line in b ? b[line] : base.budget[line];
      $("budget-" + line).value = v === null ? "" : v;
    }
    for (const a of base.areas) {
      const f = (e.areas || {})[a.id] || {};
      $("weight-" + a.id).value = "weight" in f ? f.weight : a.weight;
      $("min-" + a.id).value = "min_share" in f ? f.min_share : a.min_share;
      $("max-" + a.id).value = "max_share" in f ? f.max_share : a.max_share;
    }
    for (const p of base.projects) {
      const f = (e.projects || {})[p.id] || {};
      $("score-" + p.id).value = "score" in f ? f.score : p.score;
      $("mandatory-" + p.id).checked = "mandatory" in f ? f.mandatory : p.mandatory;
    }
  }

  function submit() {
    let name = $("scenario-name").value.trim();
    if (name === "baseline") { name = "scenario 1"; $("scenario-name").value = name; }
    call("api/change", { name, edits: edits() })
      .then((s) => { showError(""); shownName = name; render(s); })
      .catch((err) => showError(err.message));
  }

  function fill(list, items) {
    list.replaceChildren(...items.map((p) => el("li", p)));
  }
  function bars(g, use) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    const w = 12, h = 28, n = use.used.length;
    svg.setAttribute("width", n * (w + 2)); svg.setAttribute("height", h);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", g + " GPUs awarded against on hand, per period");
    for (let t = 0; t < n; t++) {
      const cap = use.on_hand[t], used = use.used[t];
      const r = (x, y, hh, fill) => {
        const e = document.createElementNS("http://www.w3.org/2000/svg", "rect");
        e.setAttribute("x", x); e.setAttribute("y", y); e.setAttribute("width", w);
        e.setAttribute("height", hh); e.setAttribute("fill", fill); svg.appendChild(e);
      };
      r(t * (w + 2), 0, h, "#e3e6ec");
      const frac = cap > 0 ? Math.min(1, used / cap) : 0;
      r(t * (w + 2), h * (1 - frac), h * frac, "#3b6fc4");
    }
    $("bars-" + g).replaceChildren(svg);
  }

  function render(s) {
    state = s;
    const byName = Object.fromEntries(s.scenarios.map((x) => [x.name, x]));
    const select = $("scenario-select");
    if (select.options.length !== s.scenarios.length) {
      select.replaceChildren(...s.scenarios.map((x) => { const o = el("option", x.name); o.value = x.name; return o; }));
    }
    if (shownName === null || !(shownName in byName)) shownName = s.current;
    select.value = shownName;
    const sc = byName[shownName], baseline = byName.baseline;
    const shown = sc.shown, was = baseline.shown;
    $("shown-name").textContent = sc.name;
    $("phase").textContent = sc.phase; $("phase").className = "phase " + sc.phase;
    $("elapsed").textContent = sc.elapsed_s === null ? "" : num(sc.elapsed_s, 1) + " s";
    $("cancel").disabled = !(sc.phase === "solving" || sc.phase === "queued");
    if (sc.phase === "failed") showError(sc.message);
    $("incumbent").textContent = num(sc.incumbent, 3);
    $("first-verified").textContent = sc.first_verified_s === null ? "–" : num(sc.first_verified_s, 2) + " s";
    $("baseline-value").textContent = was ? num(was.objective, 3) : "–";
    if (was) fill($("baseline-funded"), was.funded);
    $("download-results").href = link("api/scenarios/" + encodeURIComponent(sc.name) + "/results.zip");
    $("download-instance").href = link("api/scenarios/" + encodeURIComponent(sc.name) + "/instance.yaml");
    if (!shown) {
      for (const id of ["value", "bound", "gap", "verified", "value-delta"]) $(id).textContent = "–";
      fill($("gained"), []); fill($("lost"), []); fill($("funded"), []);
      return;
    }
    const bound = sc.bound !== null ? sc.bound : shown.bound;
    $("value").textContent = num(shown.objective, 3);
    $("value").dataset.value = shown.objective;
    $("bound").textContent = num(bound, 3);
    const gap = bound === null || shown.objective === null ? null
      : Math.max(0, bound - shown.objective) / Math.max(1e-9, Math.abs(shown.objective));
    $("gap").textContent = pct(gap); $("gap").dataset.value = gap === null ? "" : gap;
    $("verified").textContent = shown.verified ? "verified: every rule holds" : "not verified";
    fill($("funded"), shown.funded);
    const diff = sc.diff || { gained: [], lost: [], value: null, areas: {} };
    fill($("gained"), diff.gained); fill($("lost"), diff.lost);
    $("value-delta").textContent = diff.value === null ? "–" : (diff.value >= 0 ? "+" : "") + num(diff.value, 3);
    const funded = new Set(shown.funded), before = new Set(was ? was.funded : []);
    for (const p of base.projects) {
      $("funded-" + p.id).textContent = funded.has(p.id) ? "yes" : "";
      $("funded-base-" + p.id).textContent = before.has(p.id) ? "yes" : "";
    }
    for (const a of base.areas) {
      $("share-" + a.id).textContent = pct(shown.areas[a.id]);
      $("share-base-" + a.id).textContent = was ? pct(was.areas[a.id]) : "–";
      const d = diff.areas[a.id];
      $("share-delta-" + a.id).textContent = d === undefined ? "–" : (d >= 0 ? "+" : "") + (100 * d).toFixed(2) + " pp";
    }
    for (const line of shown.spend) $("spent-" + line.line).textContent = num(line.spent, 1);
    const use = $("use-table").tBodies[0];
    use.replaceChildren(...base.gpu_types.map((g) => {
      const u = shown.gpu_use[g];
      return row([g, ...u.used.map((x, t) => num(x, 0) + " / " + num(u.on_hand[t], 0))]);
    }));
    for (const g of base.gpu_types) bars(g, shown.gpu_use[g]);
  }

  function poll() {
    call("api/state").then(render).catch((err) => showError(err.message))
      .finally(() => setTimeout(poll, 500));
  }

  $("new-scenario").addEventListener("click", () => {
    const names = new Set(state ? state.scenarios.map((x) => x.name) : []);
    let k = 1; while (names.has("scenario " + k)) k++;
    $("scenario-name").value = "scenario " + k;
  });
  $("scenario-select").addEventListener("change", () => {
    const name = $("scenario-select").value;
    call("api/select", { name }).then((s) => {
      shownName = name;
      if (name !== "baseline") $("scenario-name").value = name;
      setControls(s.scenarios.find((x) => x.name === name).edits);
      render(s);
    }).catch((err) => showError(err.message));
  });
  $("cancel").addEventListener("click", () => {
    call("api/cancel", {}).then(render).catch((err) => showError(err.message));
  });
  call("api/state").then((s) => { build(s.instance); setControls({}); render(s); poll(); })
    .catch((err) => showError(err.message));
})();
