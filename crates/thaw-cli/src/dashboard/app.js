// thaw dashboard: fetches /api/studies and /api/study/NAME every 2 s and draws the
// chosen study as inline SVG. No library, no network beyond this server.
"use strict";

const POLL_MS = 2000;
const STATE_COLORS = {
  pending: "#e69f00",
  running: "#0072b2",
  frozen: "#8c8c8c",
  done: "#009e73",
  failed: "#d55e00",
  candidate: "#cccccc",
};
// Viridis stops: dark (best) to yellow (worst).
const RAMP = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];

let selected = new URLSearchParams(location.search).get("study");
let yMode = "y";
let sortKey = "best";
let sortAsc = true;
let lastStudiesText = "";
let lastStudyText = "";
let study = null;

function esc(s) {
  return String(s)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) {
    return v.toExponential(3).replace(/\.?0+e/, "e").replace("e+", "e");
  }
  return String(Number(v.toPrecision(5)));
}

function fmtSeconds(s) {
  if (s < 120) return fmt(Number(s.toPrecision(3))) + " s";
  if (s < 7200) return fmt(Math.round(s / 6) / 10) + " min";
  return fmt(Math.round(s / 360) / 10) + " h";
}

function paramText(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return fmt(v);
  return String(v);
}

function rampColor(t) {
  t = Math.min(1, Math.max(0, t));
  const x = t * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i], b = RAMP[i + 1];
  const c = [1, 3, 5].map((k) => {
    const p = parseInt(a.substr(k, 2), 16), q = parseInt(b.substr(k, 2), 16);
    return Math.round(p + (q - p) * f).toString(16).padStart(2, "0");
  });
  return "#" + c.join("");
}

function niceTicks(lo, hi, n) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

// A line chart as an SVG string. series: {pts: [[x, y|null]], color, cls, title, step}.
function lineChart(o) {
  const W = 560, H = 300, L = 58, R = 14, T = 12, B = 40;
  const pw = W - L - R, ph = H - T - B;
  const sx = (x) => L + ((x - o.xmin) / (o.xmax - o.xmin || 1)) * pw;
  const sy = (y) => T + ph - ((y - o.ymin) / (o.ymax - o.ymin || 1)) * ph;
  let s = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.label)}">`;
  for (const t of niceTicks(o.ymin, o.ymax, 5)) {
    s += `<line class="gridline" x1="${L}" x2="${W - R}" y1="${sy(t)}" y2="${sy(t)}"/>`;
    s += `<text x="${L - 6}" y="${sy(t) + 4}" text-anchor="end">${esc(fmt(t))}</text>`;
  }
  for (const t of niceTicks(o.xmin, o.xmax, 6)) {
    s += `<line class="axis" x1="${sx(t)}" x2="${sx(t)}" y1="${T + ph}" y2="${T + ph + 4}"/>`;
    const label = o.xfmt ? o.xfmt(t) : fmt(t);
    s += `<text x="${sx(t)}" y="${T + ph + 16}" text-anchor="middle">${esc(label)}</text>`;
  }
  s += `<line class="axis" x1="${L}" x2="${W - R}" y1="${T + ph}" y2="${T + ph}"/>`;
  s += `<line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${T + ph}"/>`;
  s += `<text x="${L + pw / 2}" y="${H - 4}" text-anchor="middle">${esc(o.xlabel)}</text>`;
  s += `<text transform="translate(12 ${T + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.ylabel)}</text>`;
  for (const se of o.series) {
    let d = "";
    let pen = false;
    let prevY = null;
    for (const [x, y] of se.pts) {
      if (y === null || y === undefined || !Number.isFinite(y)) {
        pen = false;
        continue;
      }
      const px = sx(x).toFixed(1), py = sy(y).toFixed(1);
      if (!pen) d += `M${px},${py}`;
      else if (se.step) d += `H${px}V${py}`;
      else d += `L${px},${py}`;
      pen = true;
      prevY = py;
    }
    if (se.step && prevY !== null && se.extendTo !== undefined) d += `H${sx(se.extendTo).toFixed(1)}`;
    if (!d) continue;
    s += `<path class="${se.cls}" stroke="${se.color}" d="${d}"><title>${esc(se.title)}</title></path>`;
  }
  return s + "</svg>";
}

function better(a, b) {
  return study.direction === "maximize" ? a > b : a < b;
}

function curvesPanel() {
  const raw = yMode === "raw";
  const trials = study.trials.filter((t) => t.values.length > 0);
  if (!trials.length) return `<p class="muted">No epoch reported yet.</p>`;
  let ymin = 0, ymax = 1;
  if (raw) {
    const vals = trials.flatMap((t) => t.values).filter((v) => v !== null && Number.isFinite(v));
    ymin = Math.min(...vals);
    ymax = Math.max(...vals);
    if (!(ymax > ymin)) { ymin -= 0.5; ymax += 0.5; }
    const pad = (ymax - ymin) * 0.04;
    ymin -= pad; ymax += pad;
  }
  const bestTrial = study.best ? study.best.trial : -1;
  const ordered = trials.slice().sort((a, b) => (a.number === bestTrial) - (b.number === bestTrial));
  const series = ordered.map((t) => ({
    pts: (raw ? t.values : t.y).map((v, i) => [i + 1, v]),
    color: STATE_COLORS[t.state] || "#333",
    cls: "curve" + (t.number === bestTrial ? " best" : ""),
    title: `trial ${t.number} (${t.state}, ${t.epochs} epochs): best ${fmt(t.best)}`,
  }));
  const used = new Set(trials.map((t) => t.state));
  const legend = Object.keys(STATE_COLORS)
    .filter((k) => used.has(k))
    .map((k) => `<span><span class="swatch" style="background:${STATE_COLORS[k]}"></span>${k}</span>`)
    .join("") + (bestTrial >= 0 ? `<span>thick: trial ${bestTrial}, the incumbent</span>` : "");
  return lineChart({
    label: "learning curves",
    xmin: 1,
    xmax: Math.max(2, study.max_epochs),
    ymin, ymax,
    xlabel: "epoch",
    ylabel: raw ? `${study.metric} (raw)` : `y: normalised ${study.metric}, higher is better`,
    series,
  }) + `<div class="legend">${legend}</div>`;
}

function incumbentPanel(bySeconds) {
  const pts = study.incumbent.filter((p) => p.best !== null);
  if (!pts.length) return `<p class="muted">No finite value yet.</p>`;
  const key = bySeconds ? "seconds" : "epochs";
  const vals = pts.map((p) => p.best);
  let ymin = Math.min(...vals), ymax = Math.max(...vals);
  if (!(ymax > ymin)) { ymin -= 0.5; ymax += 0.5; }
  const pad = (ymax - ymin) * 0.05;
  const xs = study.incumbent.map((p) => p[key]);
  const xmax = bySeconds ? Math.max(...xs) || 1 : Math.max(...xs, study.budget);
  return lineChart({
    label: bySeconds ? "incumbent over wall-clock time" : "incumbent over epochs spent",
    xmin: 0, xmax,
    ymin: ymin - pad, ymax: ymax + pad,
    xlabel: bySeconds ? "time since the study was created" : `epochs spent (budget ${study.budget})`,
    ylabel: `best ${study.metric} so far`,
    xfmt: bySeconds ? fmtSeconds : null,
    series: [{
      pts: pts.map((p) => [p[key], p.best]),
      color: "#2f55c4",
      cls: "inc",
      step: true,
      extendTo: bySeconds ? undefined : study.spent,
      title: `best ${study.metric}: ${fmt(pts[pts.length - 1].best)}`,
    }],
  });
}

// Each trial's best value as a colour: its rank among the trials (0 = best).
function rankColors() {
  const scored = study.trials.filter((t) => t.best !== null);
  scored.sort((a, b) => (better(a.best, b.best) ? -1 : better(b.best, a.best) ? 1 : 0));
  const colors = new Map();
  scored.forEach((t, i) => colors.set(t.number, rampColor(scored.length > 1 ? i / (scored.length - 1) : 0)));
  return colors;
}

function parallelPanel() {
  const params = study.params;
  const trials = study.trials;
  if (!trials.length) return `<p class="muted">No trial yet.</p>`;
  const W = 1100, H = 320, L = 70, R = 70, T = 28, B = 34;
  const axes = params.length + 1;
  const ax = (i) => L + (axes > 1 ? (i / (axes - 1)) * (W - L - R) : 0);
  const sy = (u) => T + (1 - u) * (H - T - B);
  const bests = trials.map((t) => t.best).filter((v) => v !== null);
  const bmin = Math.min(...bests), bmax = Math.max(...bests);
  // The best value's axis has the better end on top.
  const bu = (v) => {
    if (!(bmax > bmin)) return 0.5;
    const u = (v - bmin) / (bmax - bmin);
    return study.direction === "maximize" ? u : 1 - u;
  };
  const colors = rankColors();
  let s = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="parallel coordinates">`;
  const ordered = trials.slice().sort((a, b) => {
    const ca = a.best === null, cb = b.best === null;
    if (ca !== cb) return ca ? -1 : 1;
    if (ca) return 0;
    return better(a.best, b.best) ? 1 : better(b.best, a.best) ? -1 : 0;
  });
  for (const t of ordered) {
    const ys = params.map((_, i) => sy(t.encoded[i]));
    ys.push(t.best === null ? null : sy(bu(t.best)));
    let d = "";
    ys.forEach((y, i) => {
      if (y === null) return;
      d += (i === 0 ? "M" : "L") + ax(i).toFixed(1) + "," + y.toFixed(1);
    });
    const color = t.best === null ? "#c8ccd4" : colors.get(t.number);
    const p = params.map((q) => `${q.name}=${paramText(t.params[q.name])}`).join(", ");
    s += `<path class="pc" stroke="${color}" d="${d}"><title>trial ${t.number}: best ${fmt(t.best)}; ${esc(p)}</title></path>`;
  }
  params.forEach((q, i) => {
    const x = ax(i);
    s += `<line class="axis" x1="${x}" x2="${x}" y1="${T}" y2="${H - B}"/>`;
    s += `<text x="${x}" y="${T - 12}" text-anchor="middle" font-weight="600">${esc(q.name)}</text>`;
    const dom = q.domain || {};
    if (dom.type === "categorical") {
      const seen = new Map();
      for (const t of trials) seen.set(paramText(t.params[q.name]), t.encoded[i]);
      for (const [label, u] of seen) {
        s += `<text class="halo" x="${x + 5}" y="${sy(u) + 4}">${esc(label)}</text>`;
      }
    } else {
      const sc = String(dom.scale || "").toLowerCase();
      const log = dom.log === true || sc.startsWith("log");
      s += `<text class="halo" x="${x + 5}" y="${T + 4}">${esc(fmt(dom.high))}</text>`;
      s += `<text class="halo" x="${x + 5}" y="${H - B + 4}">${esc(fmt(dom.low))}</text>`;
      if (log) s += `<text x="${x}" y="${H - B + 18}" text-anchor="middle">(log)</text>`;
    }
  });
  const xb = ax(params.length);
  s += `<line class="axis" x1="${xb}" x2="${xb}" y1="${T}" y2="${H - B}"/>`;
  s += `<text x="${xb}" y="${T - 12}" text-anchor="middle" font-weight="600">best ${esc(study.metric)}</text>`;
  if (bests.length) {
    const top = study.direction === "maximize" ? bmax : bmin;
    const bottom = study.direction === "maximize" ? bmin : bmax;
    s += `<text class="halo" x="${xb + 5}" y="${T + 4}">${esc(fmt(top))}</text>`;
    s += `<text class="halo" x="${xb + 5}" y="${H - B + 4}">${esc(fmt(bottom))}</text>`;
  }
  s += "</svg>";
  const ramp = RAMP.map((c) => `<span class="swatch" style="background:${c}"></span>`).join("");
  return s + `<div class="legend"><span>colour: rank of the trial's best value, ${ramp} best → worst; grey: no value yet</span></div>`;
}

function importancePanel() {
  const items = study.importance.slice().sort((a, b) => (b.importance ?? -1) - (a.importance ?? -1));
  const W = 560, rowH = 24, L = 150, R = 60;
  const H = items.length * rowH + 26;
  let s = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="parameter importance">`;
  items.forEach((it, i) => {
    const y = 6 + i * rowH;
    const w = it.importance === null ? 0 : it.importance * (W - L - R);
    s += `<text x="${L - 8}" y="${y + 15}" text-anchor="end">${esc(it.name)}</text>`;
    s += `<rect x="${L}" y="${y + 3}" width="${W - L - R}" height="${rowH - 8}" fill="#eceef2"/>`;
    s += `<rect x="${L}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="#2f55c4"><title>${esc(it.name)} (${it.kind}): ${fmt(it.importance)}</title></rect>`;
    s += `<text x="${W - R + 6}" y="${y + 15}">${it.importance === null ? "n/a" : it.importance.toFixed(2)}</text>`;
  });
  const by = H - 6;
  for (const t of [0, 0.5, 1]) {
    s += `<text x="${L + t * (W - L - R)}" y="${by}" text-anchor="middle">${t}</text>`;
  }
  s += "</svg>";
  const n = items.length ? items[0].n : 0;
  return s + `<p class="explain">${esc(study.importance_method)} Over ${n} trials with a value.</p>`;
}

function sortValue(t, key) {
  if (key === "number" || key === "epochs" || key === "best") return t[key];
  if (key === "state" || key === "origin") return t[key];
  const v = t.params[key.slice(2)];
  return v === undefined ? null : v;
}

function tablePanel() {
  const names = study.params.map((q) => q.name);
  const cols = [
    ["number", "trial", false],
    ["state", "state", true],
    ["epochs", "epochs", false],
    ["best", `best ${study.metric}`, false],
    ["origin", "origin", true],
  ].concat(names.map((n) => ["p:" + n, n, false]));
  const rows = study.trials.slice();
  const dir = sortAsc ? 1 : -1;
  rows.sort((a, b) => {
    let x = sortValue(a, sortKey), y = sortValue(b, sortKey);
    if (sortKey === "best" && study.direction === "maximize" && x !== null && y !== null) {
      [x, y] = [-x, -y];
    }
    if (x === null || y === null) {
      if (x === y) return a.number - b.number;
      return x === null ? 1 : -1;
    }
    if (x < y) return -dir;
    if (x > y) return dir;
    return a.number - b.number;
  });
  const incumbent = study.best ? study.best.trial : -1;
  let s = `<div class="tablewrap"><table id="trials"><thead><tr>`;
  for (const [key, label, text] of cols) {
    const arrow = key === sortKey ? (sortAsc ? " ▲" : " ▼") : "";
    s += `<th data-key="${esc(key)}" class="${text ? "text" : ""}">${esc(label)}${arrow}</th>`;
  }
  s += `</tr></thead><tbody>`;
  for (const t of rows) {
    s += `<tr data-trial="${t.number}" class="${t.number === incumbent ? "incumbent" : ""}">`;
    s += `<td>${t.number}</td>`;
    const c = STATE_COLORS[t.state] || "#333";
    const why = t.reason ? ` title="${esc(t.reason)}"` : "";
    s += `<td class="text"><span class="state" style="background:${c}"${why}>${esc(t.state)}</span></td>`;
    s += `<td>${t.epochs}</td><td>${esc(fmt(t.best))}</td><td class="text">${esc(t.origin)}</td>`;
    for (const n of names) s += `<td>${esc(paramText(t.params[n]))}</td>`;
    s += `</tr>`;
  }
  return s + `</tbody></table></div>`;
}

function card(k, v) {
  return `<div class="card"><div class="k">${esc(k)}</div><div class="v">${v}</div></div>`;
}

function renderStudy() {
  const main = document.getElementById("study");
  if (!study) return;
  const scrollTable = document.querySelector(".tablewrap");
  const tableScroll = scrollTable ? scrollTable.scrollTop : 0;
  const c = study.counts;
  const states = ["running", "pending", "frozen", "done", "failed"]
    .filter((k) => c[k])
    .map((k) => `${c[k]} ${k}`)
    .join(", ") || "none";
  const best = study.best
    ? `${esc(fmt(study.best.value))} <span class="muted">(trial ${study.best.trial}, epoch ${study.best.epoch})</span>`
    : "—";
  let s = `<h2>Study ${esc(study.name)}</h2><div class="summary">`;
  s += card("method", esc(study.method));
  s += card("metric", `${esc(study.metric)} (${esc(study.direction)})`);
  s += card("epochs spent", `${study.spent} of ${study.budget}` + (study.in_flight ? ` <span class="muted">+${study.in_flight} in flight</span>` : ""));
  s += card("trials", `${study.trials.length} <span class="muted">(${esc(states)})</span>`);
  s += card("best " + study.metric, best);
  s += `</div><div class="grid">`;
  s += `<section class="panel"><h3>Learning curves <select id="ymode">`;
  s += `<option value="y"${yMode === "y" ? " selected" : ""}>normalised y</option>`;
  s += `<option value="raw"${yMode === "raw" ? " selected" : ""}>raw ${esc(study.metric)}</option>`;
  s += `</select></h3>${curvesPanel()}</section>`;
  s += `<section class="panel"><h3>Incumbent over epochs spent</h3>${incumbentPanel(false)}</section>`;
  s += `<section class="panel"><h3>Incumbent over wall-clock time</h3>${incumbentPanel(true)}</section>`;
  s += `<section class="panel"><h3>Parameter importance <span class="note">marginal, per parameter</span></h3>${importancePanel()}</section>`;
  s += `<section class="panel wide"><h3>Parameters <span class="note">parallel coordinates; hover a line for its trial</span></h3>${parallelPanel()}</section>`;
  s += `<section class="panel wide"><h3>Trials <span class="note">click a column header to sort</span></h3>${tablePanel()}</section>`;
  s += `</div>`;
  main.innerHTML = s;
  const wrap = document.querySelector(".tablewrap");
  if (wrap) wrap.scrollTop = tableScroll;
  document.getElementById("ymode").addEventListener("change", (e) => {
    yMode = e.target.value;
    renderStudy();
  });
  for (const th of document.querySelectorAll("#trials th")) {
    th.addEventListener("click", () => {
      const key = th.dataset.key;
      if (key === sortKey) sortAsc = !sortAsc;
      else { sortKey = key; sortAsc = true; }
      renderStudy();
    });
  }
}

function renderStudies(data) {
  document.getElementById("storage").textContent = data.storage;
  const box = document.getElementById("studies");
  if (!data.studies.length) {
    box.innerHTML = `<p class="muted">The store holds no study yet: start one with <code>thaw tune</code>.</p>`;
    return;
  }
  box.innerHTML = data.studies.map((st) => {
    const c = st.counts;
    const running = (c.running || 0) + (c.pending || 0);
    const frac = st.budget > 0 ? Math.min(1, st.spent / st.budget) : 0;
    const best = st.best ? fmt(st.best.value) : "—";
    return `<button class="study-item${st.name === selected ? " active" : ""}" data-name="${esc(st.name)}">
      <div class="name">${esc(st.name)}</div>
      <div class="line">${esc(st.method)} · ${st.trials} trials${running ? ` · ${running} running` : ""}</div>
      <div class="line">best ${esc(st.metric)} ${esc(best)} · ${st.spent}/${st.budget} epochs</div>
      <div class="bar"><div style="width:${(frac * 100).toFixed(1)}%"></div></div>
    </button>`;
  }).join("");
  for (const b of box.querySelectorAll(".study-item")) {
    b.addEventListener("click", () => {
      selected = b.dataset.name;
      history.replaceState(null, "", "?study=" + encodeURIComponent(selected));
      lastStudiesText = "";
      lastStudyText = "";
      refresh();
    });
  }
}

function setStatus(text, error) {
  const el = document.getElementById("status");
  el.textContent = text;
  el.className = error ? "error" : "";
}

async function getText(url) {
  const r = await fetch(url, { cache: "no-store" });
  const text = await r.text();
  if (!r.ok) {
    let msg = text;
    try { msg = JSON.parse(text).error; } catch (_) { /* not JSON */ }
    throw new Error(msg || r.status);
  }
  return text;
}

let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const text = await getText("/api/studies");
    const data = JSON.parse(text);
    if (!selected && data.studies.length) selected = data.studies[0].name;
    if (text !== lastStudiesText) {
      lastStudiesText = text;
      renderStudies(data);
    }
    if (selected) {
      if (!data.studies.some((s) => s.name === selected)) {
        study = null;
        document.getElementById("study").innerHTML =
          `<p class="muted">No study ${esc(selected)} in this store.</p>`;
      } else {
        const st = await getText("/api/study/" + encodeURIComponent(selected));
        if (st !== lastStudyText) {
          lastStudyText = st;
          study = JSON.parse(st);
          renderStudy();
        }
      }
    }
    setStatus("updated " + new Date().toLocaleTimeString(), false);
  } catch (e) {
    setStatus("cannot update: " + e.message, true);
  } finally {
    busy = false;
  }
}

refresh();
setInterval(refresh, POLL_MS);
