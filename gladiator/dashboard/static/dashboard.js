// Gladiator dashboard: draws each chart's SQL rows as SVG (no libraries, works offline).
// Every mark carries data-x / data-s / data-value (the exact SQL value) and a <title>.
"use strict";

const PALETTE = ["#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00", "#b82e2e", "#316395"];
const SVG_NS = "http://www.w3.org/2000/svg";
const W = 440, H = 240, M = { l: 64, r: 12, t: 10, b: 46 };

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

function mark(node, row, label) {
  node.setAttribute("class", "mark");
  node.dataset.x = row[0];
  node.dataset.s = row[1];
  node.dataset.value = row[2];
  el("title", {}, node).textContent = `${row[0]}${row[1] ? " · " + row[1] : ""}: ${row[2]} ${label}`;
  return node;
}

function unique(values) { return [...new Set(values)]; }

function axes(svg, max, xLabels, horizontal) {
  el("line", { x1: M.l, y1: H - M.b, x2: W - M.r, y2: H - M.b, class: "axis" }, svg);
  el("line", { x1: M.l, y1: M.t, x2: M.l, y2: H - M.b, class: "axis" }, svg);
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    if (horizontal) {
      const x = M.l + ((W - M.l - M.r) * i) / 4;
      el("text", { x, y: H - M.b + 12, "text-anchor": "middle" }, svg).textContent = fmt(v);
    } else {
      const y = H - M.b - ((H - M.t - M.b) * i) / 4;
      el("text", { x: M.l - 4, y: y + 3, "text-anchor": "end" }, svg).textContent = fmt(v);
    }
  }
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
  const max = Math.max(...chart.rows.map(r => Number(r[2])), 0) || 1;
  axes(svg, max, xs, false);
  const bw = (W - M.l - M.r) / xs.length;
  chart.rows.forEach((row, i) => {
    const h = ((H - M.t - M.b) * Number(row[2])) / max;
    mark(el("rect", { x: M.l + i * bw + bw * 0.1, y: H - M.b - h, width: bw * 0.8, height: h, fill: PALETTE[0] }, svg), row, chart.value_label);
  });
}

function drawHbar(svg, chart) {
  const max = Math.max(...chart.rows.map(r => Number(r[2])), 0) || 1;
  const left = 150;
  const bh = (H - M.t - M.b) / Math.max(chart.rows.length, 1);
  axes(svg, max, [], true);
  chart.rows.forEach((row, i) => {
    const w = ((W - M.l - M.r) * Number(row[2])) / max;
    mark(el("rect", { x: M.l, y: M.t + i * bh + 2, width: w, height: bh - 4, fill: PALETTE[3] }, svg), row, chart.value_label);
    el("text", { x: M.l + 4, y: M.t + i * bh + bh / 2 + 3, fill: "#fff" }, svg).textContent = String(row[0]).slice(0, 30);
  });
  void left;
}

function drawLine(svg, chart, legend) {
  const xs = unique(chart.rows.map(r => r[0])).sort();
  const series = unique(chart.rows.map(r => r[1])).sort();
  const max = Math.max(...chart.rows.map(r => Number(r[2])), 0) || 1;
  axes(svg, max, xs, false);
  const px = x => M.l + ((W - M.l - M.r) * (xs.indexOf(x) + 0.5)) / xs.length;
  const py = v => H - M.b - ((H - M.t - M.b) * Number(v)) / max;
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
  const max = Math.max(...totals, 0) || 1;
  axes(svg, max, xs, false);
  const bw = (W - M.l - M.r) / xs.length;
  const base = Object.fromEntries(xs.map(x => [x, 0]));
  chart.rows.forEach(row => {
    const si = series.indexOf(row[1]);
    const h = ((H - M.t - M.b) * Number(row[2])) / max;
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
    mark(el("rect", { x, y, width: cw - 2, height: ch - 2, fill: `rgba(51,102,204,${0.1 + 0.9 * v})` }, svg), row, chart.value_label);
    if (cw > 30 && ch > 12) el("text", { x: x + cw / 2, y: y + ch / 2 + 3, "text-anchor": "middle" }, svg).textContent = (v * 100).toFixed(0) + "%";
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
