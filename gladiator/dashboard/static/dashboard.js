// Gladiator dashboard: draws each chart's SQL rows as SVG (no libraries, works offline).
// Every mark carries data-x / data-s / data-value (the exact SQL value) and a <title>.
// Value axes use "nice" ticks (0, s, 2s, ... with s = 1, 2 or 5 x 10^k; k/M units), and every
// label drawn over a coloured cell picks the text colour with the higher WCAG contrast.
"use strict";

const PALETTE = ["#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00", "#b82e2e", "#316395"];
const SVG_NS = "http://www.w3.org/2000/svg";
const W = 440, H = 240, M = { l: 64, r: 12, t: 10, b: 46 };
const HBAR_LEFT = 150;  // horizontal bars: category labels sit left of the bars, on the card
// Text over a coloured cell: black or white, whichever contrasts more. One of the two always
// reaches >= 4.58:1 (WCAG AA), whatever the cell colour; a softer dark grey would not.
const DARK_TEXT = "#000000", LIGHT_TEXT = "#ffffff";

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function fmt(v) {
  const n = Number(v);
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(1) + "M";
  if (Math.abs(n) >= 1e3) return (n / 1e3).toFixed(1) + "k";
  return Math.abs(n) < 1 && n !== 0 ? n.toFixed(3) : String(Math.round(n * 100) / 100);
}

// --- nice axis ticks -------------------------------------------------------------------------
function niceStep(raw) {
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

// The axis of values 0..max: about `target` steps of a nice size, the top a multiple of the step.
function niceScale(max, target = 5) {
  const step = niceStep((max > 0 ? max : 1) / target);
  const count = Math.max(1, Math.ceil((max > 0 ? max : 1) / step - 1e-9));
  const ticks = [];
  for (let i = 0; i <= count; i++) ticks.push(Number((i * step).toPrecision(12)));
  return { step, top: ticks[ticks.length - 1], ticks };
}

// A tick value in the axis unit (M for millions, k for thousands), with the decimals its step needs.
function tickLabel(value, scale) {
  const [unit, suffix] = scale.top >= 1e6 ? [1e6, "M"] : scale.top >= 1e3 ? [1e3, "k"] : [1, ""];
  const decimals = Math.max(0, Math.ceil(-Math.log10(scale.step / unit) - 1e-9));
  return String(Number((value / unit).toFixed(decimals))) + (value === 0 ? "" : suffix);
}

// --- colour contrast (WCAG 2.x) ----------------------------------------------------------------
function luminance([r, g, b]) {
  const lin = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function rgbOf(hex) { return [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16)); }

// `color` at `alpha` over the white card, as an opaque rgb triple.
function overWhite(hex, alpha) { return rgbOf(hex).map(c => Math.round(alpha * c + (1 - alpha) * 255)); }

function readableOn(rgb) {
  return contrast(rgbOf(DARK_TEXT), rgb) >= contrast(rgbOf(LIGHT_TEXT), rgb) ? DARK_TEXT : LIGHT_TEXT;
}

function mark(node, row, label) {
  node.setAttribute("class", "mark");
  node.dataset.x = row[0];
  node.dataset.s = row[1];
  node.dataset.value = row[2];
  el("title", {}, node).textContent = `${row[0]}${row[1] ? " · " + row[1] : ""}: ${row[2]} ${label}`;
  return node;
}

function unique(values) { return [...new Set(values)]; }

function axes(svg, scale, xLabels, horizontal, left = M.l) {
  el("line", { x1: left, y1: H - M.b, x2: W - M.r, y2: H - M.b, class: "axis" }, svg);
  el("line", { x1: left, y1: M.t, x2: left, y2: H - M.b, class: "axis" }, svg);
  scale.ticks.forEach(v => {
    const share = v / scale.top;
    const attrs = horizontal
      ? { x: left + (W - left - M.r) * share, y: H - M.b + 12, "text-anchor": "middle" }
      : { x: left - 4, y: H - M.b - (H - M.t - M.b) * share + 3, "text-anchor": "end" };
    const tick = el("text", { ...attrs, class: "tick" }, svg);
    tick.dataset.value = String(v);
    tick.textContent = tickLabel(v, scale);
  });
  if (!horizontal) {
    const step = Math.max(1, Math.ceil(xLabels.length / 12));
    xLabels.forEach((label, i) => {
      if (i % step) return;
      const x = M.l + ((W - M.l - M.r) * (i + 0.5)) / xLabels.length;
      el("text", { x, y: H - M.b + 12, "text-anchor": "end", transform: `rotate(-35 ${x} ${H - M.b + 12})` }, svg).textContent = label;
    });
  }
}

function drawBar(svg, chart) {
  const xs = chart.rows.map(r => r[0]);
  const scale = niceScale(Math.max(...chart.rows.map(r => Number(r[2])), 0));
  axes(svg, scale, xs, false);
  const bw = (W - M.l - M.r) / xs.length;
  chart.rows.forEach((row, i) => {
    const h = ((H - M.t - M.b) * Number(row[2])) / scale.top;
    mark(el("rect", { x: M.l + i * bw + bw * 0.1, y: H - M.b - h, width: bw * 0.8, height: h, fill: PALETTE[0] }, svg), row, chart.value_label);
  });
}

function drawHbar(svg, chart) {
  const scale = niceScale(Math.max(...chart.rows.map(r => Number(r[2])), 0));
  const bh = (H - M.t - M.b) / Math.max(chart.rows.length, 1);
  axes(svg, scale, [], true, HBAR_LEFT);
  chart.rows.forEach((row, i) => {
    const w = ((W - HBAR_LEFT - M.r) * Number(row[2])) / scale.top;
    mark(el("rect", { x: HBAR_LEFT, y: M.t + i * bh + 2, width: w, height: bh - 4, fill: PALETTE[3] }, svg), row, chart.value_label);
    // The name sits left of its bar, on the card (dark on white), never on the bar itself.
    const name = el("text", { x: HBAR_LEFT - 4, y: M.t + i * bh + bh / 2 + 3, "text-anchor": "end", class: "category" }, svg);
    fitText(name, String(row[0]), HBAR_LEFT - 8);
  });
}

// Set `text`, shortened with an ellipsis until it is at most `width` wide (as rendered).
function fitText(node, text, width) {
  node.textContent = text;
  for (let n = text.length - 1; n > 1 && node.getComputedTextLength() > width; n--) {
    node.textContent = text.slice(0, n) + "…";
  }
}

function drawLine(svg, chart, legend) {
  const xs = unique(chart.rows.map(r => r[0])).sort();
  const series = unique(chart.rows.map(r => r[1])).sort();
  const scale = niceScale(Math.max(...chart.rows.map(r => Number(r[2])), 0));
  axes(svg, scale, xs, false);
  const px = x => M.l + ((W - M.l - M.r) * (xs.indexOf(x) + 0.5)) / xs.length;
  const py = v => H - M.b - ((H - M.t - M.b) * Number(v)) / scale.top;
  series.forEach((s, si) => {
    const color = PALETTE[si % PALETTE.length];
    const rows = chart.rows.filter(r => r[1] === s);
    el("polyline", { points: rows.map(r => `${px(r[0])},${py(r[2])}`).join(" "), fill: "none", stroke: color, "stroke-width": 1.5 }, svg);
    rows.forEach(r => mark(el("circle", { cx: px(r[0]), cy: py(r[2]), r: 2.2, fill: color }, svg), r, chart.value_label));
    addLegend(legend, s, color);
  });
}

function drawStacked(svg, chart, legend) {
  const xs = unique(chart.rows.map(r => r[0])).sort();
  const series = unique(chart.rows.map(r => r[1]));
  const totals = xs.map(x => chart.rows.filter(r => r[0] === x).reduce((a, r) => a + Number(r[2]), 0));
  const scale = niceScale(Math.max(...totals, 0));
  axes(svg, scale, xs, false);
  const bw = (W - M.l - M.r) / xs.length;
  const base = Object.fromEntries(xs.map(x => [x, 0]));
  chart.rows.forEach(row => {
    const si = series.indexOf(row[1]);
    const h = ((H - M.t - M.b) * Number(row[2])) / scale.top;
    const y = H - M.b - base[row[0]] - h;
    base[row[0]] += h;
    mark(el("rect", { x: M.l + xs.indexOf(row[0]) * bw + bw * 0.1, y, width: bw * 0.8, height: h, fill: PALETTE[si % PALETTE.length] }, svg), row, chart.value_label);
  });
  series.forEach((s, si) => addLegend(legend, s, PALETTE[si % PALETTE.length]));
}

function drawHeatmap(svg, chart) {
  const xs = unique(chart.rows.map(r => r[0])).sort();
  const ys = unique(chart.rows.map(r => r[1])).sort((a, b) => Number(a) - Number(b));
  const cw = (W - M.l - M.r) / Math.max(xs.length, 1), ch = (H - M.t - M.b) / Math.max(ys.length, 1);
  chart.rows.forEach(row => {
    const v = Math.max(0, Math.min(1, Number(row[2])));
    const x = M.l + xs.indexOf(row[0]) * cw, y = M.t + ys.indexOf(row[1]) * ch;
    const cell = overWhite(PALETTE[0], 0.1 + 0.9 * v);
    mark(el("rect", { x, y, width: cw - 2, height: ch - 2, fill: `rgb(${cell.join(",")})` }, svg), row, chart.value_label);
    if (cw > 30 && ch > 12) {
      el("text", { x: x + cw / 2, y: y + ch / 2 + 3, "text-anchor": "middle", style: `fill: ${readableOn(cell)}` }, svg)
        .textContent = (v * 100).toFixed(0) + "%";
    }
  });
  xs.forEach((x, i) => { el("text", { x: M.l + i * cw + cw / 2, y: H - M.b + 12, "text-anchor": "middle" }, svg).textContent = x; });
  ys.forEach((y, i) => { el("text", { x: M.l - 4, y: M.t + i * ch + ch / 2 + 3, "text-anchor": "end" }, svg).textContent = "+" + y + "y"; });
}

function addLegend(legend, label, color) {
  const item = document.createElement("span");
  item.style.setProperty("--c", color);
  item.textContent = label;
  legend.appendChild(item);
}

function renderChart(chart) {
  let card = document.getElementById("chart-" + chart.id);
  if (!card) {
    card = document.createElement("figure");
    card.className = "chart";
    card.id = "chart-" + chart.id;
    document.getElementById("charts").appendChild(card);
  }
  card.innerHTML = "";
  card.dataset.chart = chart.id;
  card.dataset.rows = String(chart.rows.length);
  const title = document.createElement("h2");
  title.textContent = chart.title;
  card.appendChild(title);
  if (!chart.rows.length) {
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = "No data for these filters.";
    card.appendChild(p);
    return;
  }
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", "aria-label": chart.title });
  card.appendChild(svg);
  const legend = document.createElement("div");
  legend.className = "legend";
  ({ line: drawLine, bar: drawBar, hbar: drawHbar, stacked: drawStacked, heatmap: drawHeatmap })[chart.kind](svg, chart, legend);
  card.appendChild(legend);
}

async function loadCharts() {
  const main = document.getElementById("charts");
  main.dataset.ready = "false";
  const params = new URLSearchParams(new FormData(document.getElementById("filters")));
  const response = await fetch("/api/charts?" + params.toString());
  if (!response.ok) throw new Error("charts: HTTP " + response.status);
  const data = await response.json();
  data.charts.forEach(renderChart);
  main.dataset.filters = JSON.stringify(data.filters);
  main.dataset.ready = "true";
}

function renderLive(data) {
  const grid = document.getElementById("live-regions");
  grid.innerHTML = "";
  const panel = document.getElementById("live");
  panel.dataset.latest = data.latest;
  for (const [region, windows] of Object.entries(data.regions)) {
    const last = windows[windows.length - 1];
    const box = document.createElement("div");
    box.className = "live-region";
    box.dataset.region = region;
    box.dataset.orders = last.orders;
    box.dataset.revenue = last.revenue;
    box.dataset.window = last.window_start;
    box.innerHTML = `<div class="name"></div><div class="big"></div><div class="sub"></div>`;
    box.querySelector(".name").textContent = region;
    box.querySelector(".big").textContent = `${last.orders} orders`;
    box.querySelector(".sub").textContent = `${last.window_start.slice(11, 16)} UTC · revenue ${fmt(last.revenue)} · basket ${fmt(last.avg_basket)}`;
    const svg = el("svg", { viewBox: "0 0 180 40", width: "100%", height: "40" }, box);
    const max = Math.max(...windows.map(w => Number(w.orders)), 1);
    const step = 180 / Math.max(windows.length, 1);
    windows.forEach((w, i) => {
      const h = (36 * Number(w.orders)) / max;
      mark(el("rect", { x: i * step + 1, y: 38 - h, width: Math.max(step - 2, 1), height: h, fill: PALETTE[5] }, svg), [w.window_start, region, w.orders], "orders");
    });
    grid.appendChild(box);
  }
  document.getElementById("live-status").textContent = data.latest ? `updated ${new Date().toISOString().slice(11, 19)} UTC` : "no live data yet";
}

async function pollLive() {
  try {
    const response = await fetch("/api/live");
    if (response.ok) renderLive(await response.json());
  } catch (err) {
    document.getElementById("live-status").textContent = "live feed unavailable";
  }
  setTimeout(pollLive, 2000);
}

async function init() {
  const response = await fetch("/api/filters");
  const f = await response.json();
  document.getElementById("start").value = f.start;
  document.getElementById("end").value = f.end;
  const select = document.getElementById("region");
  f.regions.forEach(r => { const o = document.createElement("option"); o.value = r; o.textContent = r; select.appendChild(o); });
  document.getElementById("filters").addEventListener("submit", ev => { ev.preventDefault(); loadCharts(); });
  await loadCharts();
  pollLive();
}

init();
