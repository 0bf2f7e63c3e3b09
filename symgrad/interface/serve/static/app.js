// symgrad explorer: the page side. Every number comes from the server (symgrad's own
// parser, backprop, compile and check); this file only shows them and keeps the state.
// The same file runs in Jupyter (symgrad.interface.notebook): there `symgradHost` gives the
// widget's shadow root and an `api` that asks the kernel instead of this server.
"use strict";

const host = typeof symgradHost !== "undefined" ? symgradHost : {root: document, api: null};
const $ = (id) => host.root.getElementById(id);
const state = {
  program: "",        // the text the current graph belongs to
  inputs: [],         // [{name, value, min, max, step}]
  point: {},          // name -> number, the current point
  result: null,       // last /api/program or /api/recompute answer
  baseline: null,     // {point, value, grads} where the current nudge started
  steps: null,        // /api/steps answer for the current point, or null
  stepAt: 0,          // how many backward steps are shown
  pending: null,      // the latest point waiting to be recomputed
  busy: false,        // a recompute is in flight
};

async function api(path, body) {
  if (host.api) return host.api(path, body);
  const response = await fetch(path, {method: "POST", headers: {"content-type": "application/json"},
                                      body: JSON.stringify(body)});
  if (!response.ok) {
    let error = {error: "HTTPError", message: `${response.status} ${response.statusText}`};
    try { error = await response.json(); } catch (e) { /* not JSON: keep the status line */ }
    throw error;
  }
  return response;
}

const fmt = (x, digits = 4) => (x === null || x === undefined) ? "—" : Number(x).toFixed(digits);
const signed = (x, digits = 4) => (x >= 0 ? "+" : "") + fmt(x, digits);
const short = (x) => (x === null || x === undefined) ? "—" : String(Number(x.toPrecision(10)));
const verdictClass = (v) => v === "agree" ? "v-agree" : v === "mismatch" ? "v-mismatch" : "v-other";

// A wide graph shrinks to its box, but never below 0.7 of Graphviz's size (its 14 pt labels stay
// about 13 px): past that #graph scrolls sideways. A notebook's output area is narrower than a tab.
function legible(svg) {
  if (svg && svg.viewBox && svg.viewBox.baseVal) svg.style.minWidth = `${svg.viewBox.baseVal.width * 4 / 3 * 0.7}px`;
}

function el(tag, attrs = {}, ...kids) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const kid of kids) node.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  return node;
}

// --- the point as text: "a=2 b=-3" (the CLI's --at) ---------------------------------------
function parseAt(text) {
  const point = {};
  for (const item of text.split(/[\s,;]+/).filter(Boolean)) {
    const i = item.indexOf("=");
    if (i > 0) point[item.slice(0, i)] = item.slice(i + 1);
  }
  return point;
}
const atText = (point) => Object.entries(point).map(([k, v]) => `${k}=${v}`).join(" ");

// --- errors ---------------------------------------------------------------------------------
function showError(error) {
  $("error").hidden = false;
  const where = error.line ? ` at line ${error.line}, column ${error.column}` : "";
  $("error-message").textContent = `${error.error}${where}: ${error.reason || error.message}`;
  $("error-details").textContent = error.details || "";
  $("error-details").hidden = !error.details;
  $("error-hint").textContent = error.hint ? `hint: ${error.hint}` : "";
}
const clearError = () => { $("error").hidden = true; $("result").classList.remove("stale"); };

// --- run: parse, evaluate, draw --------------------------------------------------------------
let runs = 0;   // only the newest Run's answer is shown

async function run() {
  const program = $("program").value;
  const point = parseAt($("at").value);
  const mine = ++runs;
  try {
    const data = await (await api("/api/program", {program, point})).json();
    if (mine !== runs) return;
    clearError();
    state.program = program;
    state.inputs = data.inputs;
    state.point = {...data.point};
    state.result = data;
    state.baseline = {point: {...data.point}, value: data.value, grads: data.grads};
    state.steps = null;
    state.stepAt = 0;
    $("at").value = atText(state.point);
    $("graph").innerHTML = data.svg;   // Graphviz SVG from the server: node ids sg-nK, texts sg-nK-data/grad
    legible($("graph").querySelector("svg"));
    buildInputs();
    showNumbers(data);
    resetChecks();
    $("step-panel").textContent = "";
    $("step-count").textContent = "";
    $("share-url").hidden = true;
    $("result").hidden = false;
  } catch (error) {
    if (mine !== runs) return;
    showError(error);
    $("result").classList.add("stale");   // the graph shown is the last program that ran
  }
}

function buildInputs() {
  const body = $("inputs").tBodies[0];
  body.textContent = "";
  for (const input of state.inputs) {
    const name = input.name;
    const slider = el("input", {type: "range", id: `slider-${name}`, min: input.min, max: input.max,
                                step: input.step, "aria-label": `${name} slider`});
    slider.value = input.value;
    const box = el("input", {type: "number", id: `value-${name}`, step: "any", "aria-label": `${name} value`});
    box.value = input.value;
    const begin = () => startNudge();
    slider.addEventListener("pointerdown", begin);
    slider.addEventListener("keydown", begin);
    box.addEventListener("focus", begin);
    slider.addEventListener("input", () => { box.value = slider.value; nudge(name, Number(slider.value)); });
    box.addEventListener("change", () => {
      const x = Number(box.value);
      if (box.value.trim() === "" || !Number.isFinite(x)) return;
      slider.value = x;
      nudge(name, x);
    });
    body.append(el("tr", {id: `input-${name}`},
      el("td", {}, name), el("td", {}, slider), el("td", {}, box),
      el("td", {class: "num", id: `grad-${name}`}), el("td", {class: "num", id: `delta-${name}`}),
      el("td", {class: "num", id: `predicted-${name}`}), el("td", {class: "num", id: `curved-${name}`}),
      el("td", {class: "num", id: `real-${name}`}),
      el("td", {id: `verdict-${name}`})));
  }
}

// --- nudge: recompute through symgrad.compile, update numbers in place ------------------------
function startNudge() {   // the baseline is the last answer's point, value, grads and curvature, all
  const r = state.result;   // (state.point may be ahead of it while a recompute is in flight)
  state.baseline = {point: {...r.point}, value: r.value, grads: r.grads, curvature: r.curvature};
}

function nudge(name, x) {
  state.point = {...state.point, [name]: x};
  state.pending = {...state.point};
  pump();
}

async function pump() {   // one recompute in flight; the newest point wins
  if (state.busy || !state.pending) return;
  const point = state.pending;
  state.pending = null;
  state.busy = true;
  try {
    const data = await (await api("/api/recompute", {program: state.program, point})).json();
    $("recompute-error").hidden = true;
    state.result = {...state.result, ...data};
    state.steps = null;
    state.stepAt = 0;
    $("step-panel").textContent = "";
    $("step-count").textContent = "";
    showNumbers(data);
    resetChecks();
    $("at").value = atText(state.point);
  } catch (error) {
    $("recompute-error").hidden = false;
    $("recompute-error").textContent = `${error.error}: ${error.message}`;
  } finally {
    state.busy = false;
    if (state.pending) pump();
  }
}

function setNodeTexts(nodes, {grads = true} = {}) {
  nodes.forEach((node, i) => {
    const data = $(`sg-n${i}-data`);
    const grad = $(`sg-n${i}-grad`);
    if (data) data.textContent = `data ${node.data}`;
    if (grad && grads) { grad.textContent = `grad ${node.grad}`; grad.classList.remove("pending"); }
  });
}

function showNumbers(data) {
  setNodeTexts(data.nodes);
  for (const g of host.root.querySelectorAll("#graph g.node")) g.classList.remove("current", "touched");
  const base = state.baseline;
  const out = data.output || "output";
  const realChange = data.value - base.value;
  $("value").textContent = `${out} = ${short(data.value)}`;
  for (const input of state.inputs) {
    const name = input.name;
    const step = data.point[name] - base.point[name];
    $(`grad-${name}`).textContent = fmt(data.grads[name]);
    $(`delta-${name}`).textContent = step === 0 ? "" : signed(step);
    $(`predicted-${name}`).textContent = step === 0 ? "" : signed(base.grads[name] * step);
    const curved = base.curvature && base.curvature[name] !== null && base.curvature[name] !== undefined;
    // second order: a big step overshoots where the slope itself changes (Taylor, to step²)
    $(`curved-${name}`).textContent = step === 0 || !curved ? "" :
      signed(base.grads[name] * step + 0.5 * base.curvature[name] * step * step);
    $(`real-${name}`).textContent = step === 0 ? "" : signed(realChange);
  }
}

// --- step backward -----------------------------------------------------------------------------
async function loadSteps() {   // one request however fast the button is pressed
  if (!state.stepsLoading) {
    const point = {...state.point}, program = state.program;
    state.stepsLoading = api("/api/steps", {program, point}).then((r) => r.json()).then((data) => {
      if (program !== state.program || atText(point) !== atText(state.point)) throw {error: "Stale", message: "the point changed; press again"};
      state.steps = data;
      state.stepAt = 0;
      blankGrads();
    }).finally(() => { state.stepsLoading = null; });
  }
  return state.stepsLoading;
}

async function stepBackward(all = false) {
  if (!state.steps) {
    try {
      await loadSteps();
    } catch (error) {
      $("step-panel").textContent = `${error.error}: ${error.message}`;
      return;
    }
  }
  const steps = state.steps.steps;
  if (state.stepAt >= steps.length) return;
  if (all) {
    while (state.stepAt < steps.length) showStep(steps[state.stepAt++]);
  } else {
    showStep(steps[state.stepAt++]);
  }
  $("step-count").textContent = `step ${state.stepAt} of ${steps.length}`;
  if (state.stepAt === steps.length) setNodeTexts(state.result.nodes);  // the exact final texts
}

function blankGrads() {   // before the first step only the output's grad (1) is known
  const n = state.steps.names.length;
  state.acc = new Array(n).fill(0);
  for (let i = 0; i < n; i++) {
    const grad = $(`sg-n${i}-grad`);
    if (grad) { grad.textContent = "grad ?"; grad.classList.add("pending"); }
  }
  const root = n - 1;
  state.acc[root] = 1;
  const grad = $(`sg-n${root}-grad`);
  if (grad) { grad.textContent = `grad ${fmt(1)}`; grad.classList.remove("pending"); }
}

function showStep(step) {
  for (const g of host.root.querySelectorAll("#graph g.node.current")) g.classList.replace("current", "touched");
  const node = $(`sg-n${step.index}`);
  if (node) node.classList.add("current");
  const out = state.steps.output;
  const panel = $("step-panel");
  panel.textContent = "";
  panel.append(el("div", {class: "rule"}, `${step.node}: ${step.rule}`),
               el("div", {class: "rule-text"}, step.rule_text),
               el("div", {}, `∂${out}/∂${step.node} = ${fmt(step.grad)} (upstream)`));
  const table = el("table", {},
    el("tr", {}, el("th", {}, "child"), el("th", {}, "local derivative"), el("th", {}, "local"),
       el("th", {}, "× upstream"), el("th", {}, "= product")));
  for (const term of step.terms) {
    const local = el("td", {class: "math"});
    local.innerHTML = term.local_mathml;   // MathML SymPy printed from validated names
    table.append(el("tr", {},
      el("td", {}, `∂${step.node}/∂${term.child}`), local, el("td", {class: "num"}, fmt(term.local)),
      el("td", {class: "num"}, fmt(term.upstream)), el("td", {class: "num"}, fmt(term.product))));
    state.acc[term.child_index] += term.product;
    const grad = $(`sg-n${term.child_index}-grad`);
    if (grad) { grad.textContent = `grad ${fmt(state.acc[term.child_index])}`; grad.classList.remove("pending"); }
    const kid = $(`sg-n${term.child_index}`);
    if (kid) kid.classList.add("touched");
  }
  panel.append(table);
  for (const term of step.terms) if (term.note) panel.append(el("div", {class: "note"}, term.note));
}

function resetSteps() {
  state.steps = null;
  state.stepAt = 0;
  $("step-panel").textContent = "";
  $("step-count").textContent = "";
  for (const g of host.root.querySelectorAll("#graph g.node")) g.classList.remove("current", "touched");
  if (state.result) setNodeTexts(state.result.nodes);
}

// --- check -------------------------------------------------------------------------------------
function resetChecks() {
  $("check-table").hidden = true;
  $("check-summary").textContent = "";
  for (const e of host.root.querySelectorAll(".v-agree, .v-mismatch, .v-other"))
    e.classList.remove("v-agree", "v-mismatch", "v-other");
  for (const input of state.inputs) $(`verdict-${input.name}`).textContent = "";
}

async function runCheck() {
  $("check-summary").textContent = "checking…";
  try {
    const data = await (await api("/api/check", {program: state.program, point: state.point})).json();
    resetChecks();
    const body = $("check-table").tBodies[0];
    body.textContent = "";
    const index = new Map();
    (state.steps ? state.steps.names : []).forEach((n, i) => index.set(n, i));
    for (const row of data.rows) {
      const cls = verdictClass(row.verdict);
      body.append(el("tr", {class: cls}, el("td", {}, row.name), el("td", {class: "num"}, short(row.backprop)),
        el("td", {class: "num"}, short(row.symbolic)), el("td", {class: "num"}, short(row.numeric)),
        el("td", {}, el("span", {class: `verdict ${cls}`}, row.verdict))));
      const tr = $(`input-${row.name}`);
      if (tr) {
        tr.classList.add(cls);
        $(`verdict-${row.name}`).append(el("span", {class: `verdict ${cls}`}, row.verdict));
      }
      for (const label of host.root.querySelectorAll("#graph text[id$='-label']")) {
        if (label.textContent === row.name) label.parentNode.classList.add(cls);
      }
    }
    $("check-table").hidden = false;
    $("check-summary").textContent = data.ok ? "no mismatch" : "a gradient disagrees";
  } catch (error) {
    $("check-summary").textContent = `${error.error}: ${error.message}`;
  }
}

// --- export ------------------------------------------------------------------------------------
const PREFERRED_FORMAT = "html";   // one self-contained file: selected first when the server offers it

async function loadFormats() {     // the menu is the server's renderer table, never a list kept here
  if (host.api) return;
  const response = await fetch("/api/formats");
  if (!response.ok) return;
  const offered = (await response.json()).worksheet;
  $("ws-format").replaceChildren(...offered.map(({format, label}) => el("option", {value: format}, label)));
  if (offered.some(({format}) => format === PREFERRED_FORMAT)) $("ws-format").value = PREFERRED_FORMAT;
}

function fileName(response, fallback) {   // the server names the file (a zip when pictures come with it)
  const match = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") || "");
  return match ? match[1] : fallback;
}

async function download(path, format, name) {
  $("export-error").hidden = true;
  try {
    const response = await api(path, {program: state.program, point: state.point, format});
    const url = URL.createObjectURL(await response.blob());
    const a = el("a", {href: url, download: fileName(response, name)});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    $("export-error").hidden = false;
    $("export-error").textContent = `${error.error}: ${error.message}`;
  }
}

function share() {   // the state lives in the fragment: it never reaches a server log
  const params = new URLSearchParams({program: state.program, at: atText(state.point)});
  const url = `${location.origin}${location.pathname}#${params}`;
  $("share-url").value = url;
  $("share-url").hidden = false;
  $("share-url").select();
  history.replaceState(null, "", url);
}

function restore() {
  if (host.api || !location.hash) return false;
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has("program")) return false;
  $("program").value = params.get("program");
  $("at").value = params.get("at") || "";
  return true;
}

$("run").addEventListener("click", run);
$("program").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });
$("at").addEventListener("keydown", (e) => { if (e.key === "Enter") run(); });
$("step").addEventListener("click", () => stepBackward(false));
$("step-all").addEventListener("click", () => stepBackward(true));
$("step-reset").addEventListener("click", resetSteps);
$("check").addEventListener("click", runCheck);
$("export-worksheet").addEventListener("click", () => {
  const f = $("ws-format").value;
  download("/api/worksheet", f, `worksheet.${f}`);
});
$("export-svg").addEventListener("click", () => download("/api/graph", "svg", "graph.svg"));
$("export-png").addEventListener("click", () => download("/api/graph", "png", "graph.png"));
$("share").addEventListener("click", share);
loadFormats();
restore();
run();
