// The rnnkit playground: one page for every served model. What it shows comes from each
// model's entry in GET /v1/models: the predict options' schema (the controls) and the
// predictor's view (how an output is drawn). No library, nothing loaded from elsewhere.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];
let models = [];
let current = null;
let controller = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "style") node.style.cssText = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function colour(name, names) {
  const i = names.indexOf(name);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
}

function status(text, error = false) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

function headers() {
  const h = {"Content-Type": "application/json"};
  const token = sessionStorage.getItem("rnnkit-token");
  if (token) h.Authorization = "Bearer " + token;
  return h;
}

// A fetch that turns the server's {"error", "field"} answers into one readable line.
async function api(path, body, signal) {
  const init = body === undefined ? {headers: headers()}
    : {method: "POST", headers: headers(), body: JSON.stringify(body), signal};
  const response = await fetch(path, init);
  if (response.status === 401) {
    $("auth").hidden = false;
    $("token").focus();
    throw new Error("this server needs a token");
  }
  if (!response.ok) {
    let e = {error: response.statusText};
    try { e = await response.json(); } catch (_) { /* not JSON */ }
    throw new Error((e.field ? e.field + ": " : "") + e.error);
  }
  return response;
}

async function loadModels() {
  try {
    models = await (await api("/v1/models")).json();
  } catch (e) {
    status(e.message, true);
    return;
  }
  const select = $("model");
  select.replaceChildren(...models.map((m) => el("option", {value: m.name, text: `${m.name} (${m.task})`})));
  const wanted = new URLSearchParams(location.search).get("model");
  if (wanted && models.some((m) => m.name === wanted)) select.value = wanted;
  choose(select.value);
}

// ---- the form: an input box and one control per predict option ----

function exampleText(m) {
  const example = m.examples.length ? m.examples[0] : "";
  return typeof example === "string" ? example : JSON.stringify(example);
}

function choose(name) {
  stop();
  current = models.find((m) => m.name === name);
  if (!current) return;
  const kind = current.view.kind;
  const metric = Object.entries(current.metrics || {})
    .filter(([k, v]) => typeof v === "number" && k.startsWith("valid_") && k !== "valid_n")
    .slice(0, 4).map(([k, v]) => `${k.slice(6).replace(/_/g, " ")} ${+v.toPrecision(4)}`).join(", ");
  $("about").textContent = `A ${current.task} model` + (metric ? ` (validation: ${metric})` : "") + ".";
  $("input-label").textContent = {
    generate: "Prompt", series: "Recent rows (JSON, or one CSV row a line; oldest first)",
  }[kind] || (takesText(current.schema.input) ? "Text" : "Input (JSON)");
  $("input").value = exampleText(current);
  $("input").rows = kind === "series" ? 8 : 3;
  $("run").textContent = kind === "generate" ? "Generate" : "Run";
  const fieldset = $("options");
  fieldset.replaceChildren(el("legend", {text: "Options"}));
  const props = current.schema.predict_options.properties;
  for (const [key, prop] of Object.entries(props)) fieldset.append(control(key, prop, current.view.options || {}));
  fieldset.hidden = Object.keys(props).length === 0;
  $("output").replaceChildren();
  $("raw-json").textContent = "";
  status("");
}

function control(key, prop, initial) {
  const id = "opt-" + key;
  const types = [].concat(prop.type);
  const value = key in initial ? initial[key] : prop.default;
  const label = el("label", {for: id, text: key.replace(/_/g, " "), title: prop.description});
  let input;
  if (prop.enum) {
    input = el("select", {id});
    for (const v of prop.enum) input.append(el("option", {value: v, text: v}));
    input.value = value;
  } else if (types[0] === "boolean") {
    input = el("input", {id, type: "checkbox"});
    input.checked = !!value;
  } else if (types.includes("integer") || types.includes("number")) {
    input = el("input", {id, type: "number", step: types.includes("integer") ? "1" : "any"});
    if (prop.minimum !== undefined) input.min = prop.minimum;
    if (prop.maximum !== undefined) input.max = prop.maximum;
    if (value !== null && value !== undefined) input.value = value;
    if (types.includes("null")) input.placeholder = "none";
  } else {
    input = el("input", {id, type: "text"});
    if (value !== null && value !== undefined) input.value = value;
  }
  input.dataset.option = key;
  input.dataset.kind = types.includes("integer") ? "integer" : types[0];
  return el("div", {class: "option"}, label, input, el("small", {text: prop.description}));
}

function options() {
  const out = {};
  for (const input of $("options").querySelectorAll("[data-option]")) {
    const key = input.dataset.option;
    if (input.type === "checkbox") out[key] = input.checked;
    else if (input.value === "") continue; // the server's default
    else if (input.dataset.kind === "integer") out[key] = parseInt(input.value, 10);
    else if (input.dataset.kind === "number") out[key] = parseFloat(input.value);
    else out[key] = input.value;
  }
  return out;
}

function parseInput(text) {
  const kind = current.view.kind;
  if (kind === "series") {
    const t = text.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
      const v = JSON.parse(t);
      return Array.isArray(v) ? {rows: v} : v;
    }
    const rows = t.split(/\n+/).map((line) => line.split(/[,;\t ]+/).filter(Boolean).map(Number));
    return {rows};
  }
  if (kind === "generate") return text;
  const t = text.trim();
  if (!takesText(current.schema.input) || t.startsWith("[") || t.startsWith("{")) {
    try { return JSON.parse(t); } catch (e) { if (!takesText(current.schema.input)) throw e; }
  }
  return text;
}

// Whether an input schema takes a plain string (alone or as one of its forms).
function takesText(schema) {
  return schema.type === "string" || (schema.anyOf || []).some((s) => s.type === "string");
}

// ---- running a model ----

async function run() {
  if (!current) return;
  stop();
  controller = new AbortController();
  $("stop").disabled = false;
  $("run").disabled = true;
  status("Running…");
  try {
    if (current.view.kind === "generate") await generate(controller.signal);
    else await predict(controller.signal);
  } catch (e) {
    if (e.name !== "AbortError") status(e.message, true);
  } finally {
    $("stop").disabled = true;
    $("run").disabled = false;
    controller = null;
  }
}

function stop() {
  if (controller) {
    controller.abort();
    status("Stopped.");
  }
}

async function predict(signal) {
  let input;
  try {
    input = parseInput($("input").value);
  } catch (e) {
    throw new Error("input: " + e.message);
  }
  const started = performance.now();
  const body = {inputs: [input], options: options()};
  const answer = await (await api(`/v1/models/${encodeURIComponent(current.name)}/predict`, body, signal)).json();
  const output = answer.outputs[0];
  $("raw-json").textContent = JSON.stringify(output, null, 2);
  const draw = {spans, bars, series, alignment}[current.view.kind] || raw;
  $("output").replaceChildren(draw(output, input));
  status(`Done in ${Math.round(performance.now() - started)} ms.`);
}

// A language model: Server-Sent Events read from the POST's body, text appended as it comes.
async function generate(signal) {
  const prompt = $("input").value;
  const body = {prompt, stream: true, ...options()};
  const response = await api(`/v1/models/${encodeURIComponent(current.name)}/generate`, body, signal);
  const text = el("span", {class: "generated", id: "generated"});
  $("output").replaceChildren(el("p", {class: "stream"}, el("span", {class: "prompt", text: prompt}), text));
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let pieces = 0;
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, {stream: true});
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (event.startsWith("event: end")) continue;
      const data = event.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      if (!data) continue;
      text.append(JSON.parse(data).text);
      pieces += 1;
      text.dataset.pieces = pieces;
    }
    // Let a key press or a click (Stop) in between chunks: a long stream already
    // received is read from the buffer without a pause, and aborting the request no
    // longer ends it, so a Stop waiting behind it would come after "Done".
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (signal.aborted) {
      reader.cancel().catch(() => {});
      throw new DOMException("stopped", "AbortError");
    }
  }
  $("raw-json").textContent = JSON.stringify({prompt, output: text.textContent}, null, 2);
  status(`Done: ${pieces} tokens.`);
}

// ---- the views ----

function raw(output) {
  return el("pre", {class: "json", text: JSON.stringify(output, null, 2)});
}

// Tokens with their typed spans highlighted, and the tags under each token.
function spans(output) {
  const types = [...new Set((output.spans || []).map((s) => s.type))].sort();
  const starts = new Map((output.spans || []).map((s) => [s.start, s]));
  const line = el("p", {class: "tagged"});
  for (let i = 0; i < output.tokens.length;) {
    const span = starts.get(i);
    if (span) {
      const mark = el("mark", {class: "span", "data-type": span.type, style: `--c: ${colour(span.type, types)}`});
      mark.append(el("span", {class: "words", text: output.tokens.slice(span.start, span.end).join(" ")}),
        el("small", {class: "type", text: span.type}));
      line.append(mark, " ");
      i = span.end;
    } else {
      line.append(el("span", {class: "token", text: output.tokens[i]}), " ");
      i += 1;
    }
  }
  const legend = el("p", {class: "legend"}, ...(types.length ? types : ["no entities"]).map((t) =>
    el("span", {class: "key", style: types.length ? `--c: ${colour(t, types)}` : ""}, t)));
  const table = el("table", {class: "tags"});
  const words = el("tr", {}, el("th", {scope: "row", text: "token"}));
  const tags = el("tr", {}, el("th", {scope: "row", text: "tag"}));
  output.tokens.forEach((t, i) => {
    words.append(el("td", {text: t}));
    tags.append(el("td", {text: output.tags[i]}));
  });
  table.append(words, tags);
  return el("div", {}, line, legend, el("div", {class: "scroll"}, table));
}

// Labels as bars, most likely first.
function bars(output) {
  const items = output[current.view.items || "top_k"] || [];
  const list = el("ol", {class: "bars"});
  for (const item of items) {
    const percent = (100 * item.probability).toFixed(1);
    list.append(el("li", {"data-label": item.label, "data-probability": item.probability},
      el("span", {class: "label", text: item.label}),
      el("span", {class: "bar", role: "img", "aria-label": `${percent}%`},
        el("span", {class: "fill", style: `width: ${100 * item.probability}%`})),
      el("span", {class: "value", text: percent + "%"})));
  }
  return list;
}

// The input rows' target column, the forecast and the baselines on one chart.
function series(output, input) {
  const history = (input.rows || []).map((r) => (Array.isArray(r) ? r[current.view.target_index || 0] : r));
  const lines = [["history", history, 0], ["forecast", output.values, history.length - 1]];
  for (const [name, values] of Object.entries(output.baselines || {})) {
    if (values) lines.push([name, values, history.length - 1]);
  }
  const all = lines.flatMap(([, v]) => v);
  const low = Math.min(...all), high = Math.max(...all);
  const n = history.length + output.values.length;
  // Drawn at the width it is shown at, so that its labels stay readable on a phone.
  const W = Math.max(280, Math.min(720, $("output").clientWidth || 720));
  const H = W < 500 ? 220 : 300, L = 56, R = 12, T = 12, B = 28;
  const x = (i) => L + (i / Math.max(1, n - 1)) * (W - L - R);
  const y = (v) => T + (high === low ? 0.5 : (high - v) / (high - low)) * (H - T - B);
  const chart = svg("svg", {viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img",
    "aria-label": `${output.target}: ${history.length} rows and a forecast of ${output.values.length}`});
  chart.append(svg("line", {x1: L, x2: L, y1: T, y2: H - B, class: "axis"}),
    svg("line", {x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis"}),
    svg("line", {x1: x(history.length - 1), x2: x(history.length - 1), y1: T, y2: H - B, class: "origin"}));
  for (const v of [low, (low + high) / 2, high]) {
    const label = svg("text", {x: L - 6, y: y(v) + 4, class: "tick", "text-anchor": "end"});
    label.textContent = +v.toPrecision(4);
    chart.append(label);
  }
  const names = lines.map(([name]) => name);
  const legend = el("p", {class: "legend"});
  for (const [name, values, from] of lines) {
    const points = (name === "history" ? values : [history[history.length - 1], ...values])
      .map((v, i) => `${x(name === "history" ? i : from + i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    chart.append(svg("polyline", {points, class: `line ${name}`, "data-name": name,
      stroke: name === "history" ? "#333" : colour(name, names)}));
    legend.append(el("span", {class: "key", "data-name": name,
      style: `--c: ${name === "history" ? "#333" : colour(name, names)}`}, name));
  }
  const dates = output.dates ? el("p", {class: "dates", text: `${output.last_date} → ${output.dates[output.dates.length - 1]}`}) : "";
  return el("div", {}, el("p", {class: "caption", text: `${output.target}, ${output.horizon} steps ahead`}), chart, legend, dates);
}

// The output beside its input, and the attention of each output token over the source.
function alignment(output) {
  const pair = el("div", {class: "pair"},
    el("div", {}, el("h2", {text: "Input"}), el("p", {class: "text", text: output.input})),
    el("div", {}, el("h2", {text: "Output"}), el("p", {class: "text", id: "seq-output", text: output.output})));
  const att = output.attention;
  if (!att) return pair;
  const cell = 18, left = 8 + 7 * Math.max(1, ...att.output_tokens.map((t) => t.length));
  const top = 8 + 7 * Math.max(1, ...att.source_tokens.map((t) => t.length));
  const W = left + cell * att.source_tokens.length + 4, H = top + cell * att.output_tokens.length + 4;
  const map = svg("svg", {viewBox: `0 0 ${W} ${H}`, class: "heatmap", role: "img",
    style: `max-width: ${W}px`, "aria-label": "attention: one row per output token, one column per source token"});
  att.source_tokens.forEach((t, j) => {
    const label = svg("text", {x: left + j * cell + cell / 2 + 4, y: top - 4, class: "tick",
      transform: `rotate(-90 ${left + j * cell + cell / 2 + 4} ${top - 4})`});
    label.textContent = t;
    map.append(label);
  });
  att.output_tokens.forEach((t, i) => {
    const label = svg("text", {x: left - 4, y: top + i * cell + cell * 0.7, class: "tick", "text-anchor": "end"});
    label.textContent = t;
    map.append(label);
    const most = Math.max(...att.weights[i]) || 1;  // each row's colours span 0 .. its largest
    att.weights[i].forEach((w, j) => {
      const rect = svg("rect", {x: left + j * cell, y: top + i * cell, width: cell - 1, height: cell - 1,
        fill: `rgba(31, 95, 168, ${Math.max(0.04, w / most)})`, "data-weight": w});
      const title = svg("title");
      title.textContent = `${t} ← ${att.source_tokens[j]}: ${w.toFixed(3)}`;
      rect.append(title);
      map.append(rect);
    });
  });
  return el("div", {}, pair, el("h2", {text: "Attention"}), el("div", {class: "scroll"}, map));
}

// ---- wiring ----

$("model").addEventListener("change", (e) => {
  history.replaceState(null, "", "?model=" + encodeURIComponent(e.target.value));
  choose(e.target.value);
});
$("form").addEventListener("submit", (e) => { e.preventDefault(); run(); });
$("stop").addEventListener("click", stop);
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
  if (e.key === "Escape") stop();
});
$("auth").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem("rnnkit-token", $("token").value);
  $("auth").hidden = true;
  loadModels();
});
loadModels();
