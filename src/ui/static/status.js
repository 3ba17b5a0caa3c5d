// The status page: polls /api/status, keeps 15 minutes of snapshots in a History, and draws the
// vital figures, the health badge, the panels of panels.js (charts and tables), the start
// warnings and the config in effect. Each update's time (fetch, JSON parse, drawing) is recorded
// for the benchmark (tests/bench/ui_e2e.ts).

import { formatValue, LineChart } from "./charts.js";
import { el } from "./dom.js";
import { History } from "./history.js";
import { PANELS, VITALS } from "./panels.js";

const HISTORY_SECONDS = 15 * 60;
/** Update timings kept (read by the benchmark). */
const TIMINGS_KEPT = 1000;

/** A sample name as a short label: `carbonado_cache_points` → `cache_points`. */
function shortName(name) {
  return name.replace(/^carbonado_/, "").replace(/_total$/, "");
}

/** The unit a family's values are in, from Prometheus' naming conventions. */
function unitOf(name, type) {
  if (/_bytes(_total)?$/.test(name)) return type === "counter" ? "bytes/s" : "bytes";
  if (/_seconds(_total)?$/.test(name)) return "s";
  return type === "counter" ? "/s" : "";
}

/** Polls the daemon and draws the status page into the elements of index.html. */
export class StatusPage {
  /**
   * @param {{interval: number, timings: object[]}} opts update every `interval` ms; each update's
   *   timing is pushed to `timings`
   */
  constructor(opts) {
    this.interval = opts.interval;
    this.timings = opts.timings;
    this.history = new History(Math.ceil((HISTORY_SECONDS * 1000) / opts.interval) + 1);
    this.visible = true;
    /** @type {Map<string, PanelView>} */
    this.panels = new Map();
    this.planVersion = -1;
    /** The daemon's start time: a new one (a restart) shows its config and warnings anew. */
    this.startTime = null;
  }

  /** Starts polling; each update is scheduled when the previous one has finished. */
  start() {
    const loop = async () => {
      await this.update();
      setTimeout(loop, this.interval);
    };
    loop();
  }

  /** The charts drawn now, by id (read by the browser tests). */
  charts() {
    const out = new Map();
    for (const panel of this.panels.values()) {
      for (const [id, view] of panel.charts) out.set(id, view.chart);
    }
    return out;
  }

  /** Shows or hides the page; hidden, it keeps recording but draws nothing. */
  setVisible(visible) {
    this.visible = visible;
    if (visible) this.draw();
  }

  /** Redraws every chart in the current colours. */
  restyle() {
    for (const chart of this.charts().values()) chart.restyle();
  }

  async update() {
    const t0 = performance.now();
    let text;
    try {
      const res = await fetch("/api/status");
      if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
      text = await res.text();
    } catch (err) {
      showError(`Cannot read /api/status: ${err.message}`);
      return;
    }
    const t1 = performance.now();
    const status = JSON.parse(text);
    const t2 = performance.now();
    showError(null);
    this.history.push(status.now, status.samples);
    if (status.startTime !== this.startTime) {
      this.startTime = status.startTime;
      showStatic(status);
    }
    document.getElementById("about").textContent = `${status.version} · ${status.host} · up ${
      formatValue(status.uptime, "s")
    }`;
    this.draw();
    await Promise.resolve(); // uPlot commits its redraw in a microtask
    const t3 = performance.now();
    this.timings.push({ fetch: t1 - t0, parse: t2 - t1, draw: t3 - t2, total: t3 - t0 });
    if (this.timings.length > TIMINGS_KEPT) this.timings.shift();
  }

  draw() {
    drawVitals(this.history);
    if (!this.visible) return;
    if (this.planVersion !== this.history.version) {
      this.planVersion = this.history.version;
      this.#plan();
    }
    for (const panel of this.panels.values()) panel.draw(this.history);
  }

  #plan() {
    const root = document.getElementById("panels");
    const families = new Map(PANELS.map((p) => [p.id, []]));
    for (const name of this.history.families.keys()) {
      const panel = PANELS.find((p) => p.prefixes.some((prefix) => name.startsWith(prefix)));
      families.get(panel.id).push(name);
    }
    for (const def of PANELS) {
      const names = families.get(def.id);
      if (names.length === 0) continue;
      let view = this.panels.get(def.id);
      if (!view) {
        view = new PanelView(def, () => view.draw(this.history));
        this.panels.set(def.id, view);
      }
      root.append(view.root); // page order, whatever order the panels appeared in
      view.plan(planCharts(def, names, this.history), planTable(def, names, this.history));
    }
  }
}

/** The charts of one panel: its own first, then one per family left (`extra`: under "more"). */
function planCharts(def, names, history) {
  const plans = [];
  const shown = new Set();
  for (const chart of def.charts ?? []) {
    const present = chart.metrics.filter((m) => history.families.has(m));
    if (chart.kind === "ratio" ? present.length < 2 : present.length === 0) continue;
    chart.metrics.forEach((m) => shown.add(m));
    plans.push(chartPlan(chart.title, chart.metrics, chart.kind, chart.unit, history));
  }
  // With charts of its own, a panel folds the rest under "more"; without, it shows them all.
  const extra = plans.length > 0;
  for (const name of names) {
    if (shown.has(name)) continue;
    const first = history.series.get(history.families.get(name)[0]);
    const title = first.help.replace(/\.$/, "") + (first.type === "counter" ? ", per second" : "");
    plans.push({ ...chartPlan(title, [name], undefined, undefined, history), extra });
  }
  return plans;
}

/** What one chart draws: a line per series of its metrics, each with how it is computed. */
function chartPlan(title, metrics, kind, unit, history) {
  const lines = [];
  if (kind === "ratio") {
    const [num, den] = metrics.map((m) => history.families.get(m));
    for (const key of num) {
      const s = history.series.get(key);
      const denKey = den.find((k) => sameLabels(history.series.get(k).labels, s.labels));
      if (denKey) lines.push({ label: labelOf(s, false), key, denKey, kind });
    }
  } else {
    const present = metrics.filter((m) => history.families.has(m));
    for (const m of present) {
      for (const key of history.families.get(m)) {
        const s = history.series.get(key);
        const lineKind = kind ?? (s.type === "counter" ? "rate" : "value");
        lines.push({ label: labelOf(s, present.length > 1), key, kind: lineKind });
      }
    }
  }
  const first = history.series.get(history.families.get(metrics[0])[0]);
  return {
    id: `${title}|${metrics.join(",")}`,
    title,
    names: metrics.join(" / "),
    unit: unit ?? unitOf(first.name, first.type),
    lines,
  };
}

/** The table of a panel with `table: label`: one row per value of that label. */
function planTable(def, names, history) {
  if (!def.table) return null;
  const rows = new Map();
  const columns = [];
  for (const name of names) {
    let used = false;
    for (const key of history.families.get(name)) {
      const s = history.series.get(key);
      const row = s.labels[def.table];
      if (row === undefined) continue;
      used = true;
      if (!rows.has(row)) rows.set(row, new Map());
      rows.get(row).set(name, key);
    }
    if (used) columns.push(name);
  }
  return rows.size === 0 ? null : { label: def.table, columns, rows };
}

/** A line's legend: its label values (`tcp`; `k=v` when there are several), its metric's name. */
function labelOf(series, withName) {
  const entries = Object.entries(series.labels);
  const values = entries.length === 1
    ? entries[0][1]
    : entries.map(([k, v]) => `${k}=${v}`).join(" ");
  if (!withName) return values || shortName(series.name);
  return values ? `${shortName(series.name)} ${values}` : shortName(series.name);
}

function sameLabels(a, b) {
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
}

/** The y values of one line over the history. */
function lineData(line, history, xs) {
  switch (line.kind) {
    case "rate":
      return history.rates(line.key);
    case "age":
      return history.values(line.key).map((v, i) => (v === null ? null : v > 0 ? xs[i] - v : 0));
    case "ratio": {
      const num = history.rates(line.key), den = history.rates(line.denKey);
      return num.map((n, i) => (n === null || !den[i] ? null : n / den[i]));
    }
    default:
      return history.values(line.key);
  }
}

/** One panel: a folding section of charts, and a table when its definition asks for one. */
class PanelView {
  constructor(def, onOpen) {
    this.charts = new Map();
    this.grid = el("div", { className: "charts" });
    this.moreGrid = el("div", { className: "charts" });
    this.moreTitle = el("summary", {});
    this.more = el("details", { className: "more", hidden: true }, this.moreTitle, this.moreGrid);
    this.tableBox = el("div", { className: "table-box" });
    this.root = el(
      "details",
      { className: "panel", id: `panel-${def.id}`, open: def.open !== false },
      el("summary", {}, el("h2", { textContent: def.title })),
      this.tableBox,
      this.grid,
      this.more,
    );
    for (const fold of [this.root, this.more]) {
      fold.addEventListener("toggle", () => fold.open && onOpen());
    }
    this.table = null;
  }

  plan(charts, table) {
    const wanted = new Set(charts.map((c) => c.id));
    for (const [id, view] of this.charts) {
      if (wanted.has(id)) continue;
      view.chart.destroy();
      view.figure.remove();
      this.charts.delete(id);
    }
    for (const plan of charts) {
      let view = this.charts.get(plan.id);
      if (!view) {
        const box = el("div", { className: "chart" });
        const figure = el(
          "figure",
          { className: "chart-box" },
          el(
            "figcaption",
            {},
            el("span", { textContent: plan.title }),
            el("code", { textContent: plan.names }),
          ),
          box,
        );
        figure.dataset.chart = plan.id;
        view = { figure, chart: new LineChart(box, { unit: plan.unit }) };
        this.charts.set(plan.id, view);
      }
      view.plan = plan;
      (plan.extra ? this.moreGrid : this.grid).append(view.figure);
    }
    const extra = charts.filter((c) => c.extra).length;
    this.more.hidden = extra === 0;
    this.moreTitle.textContent = `${extra} more chart${extra === 1 ? "" : "s"}`;
    this.table = table;
  }

  draw(history) {
    if (!this.root.open) return;
    const xs = history.xs();
    for (const { chart, plan } of this.charts.values()) {
      if (plan.extra && !this.more.open) continue;
      chart.update(plan.lines.map((l) => l.label), [
        xs,
        ...plan.lines.map((l) => lineData(l, history, xs)),
      ]);
    }
    if (this.table) this.tableBox.replaceChildren(renderTable(this.table, history));
  }
}

function renderTable(table, history) {
  const head = el(
    "tr",
    {},
    el("th", { textContent: table.label }),
    ...table.columns.map((name) => el("th", { textContent: shortName(name) })),
  );
  const rows = [...table.rows].map(([row, keys]) =>
    el(
      "tr",
      {},
      el("th", { textContent: row }),
      ...table.columns.map((name) => {
        const key = keys.get(name);
        if (key === undefined) return el("td", { textContent: "" });
        const s = history.series.get(key);
        const v = s.type === "counter" ? history.latestRate(key) : history.latest(key);
        return el("td", { textContent: formatValue(v, unitOf(s.name, s.type)) });
      }),
    )
  );
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows));
}

/** The strip of vital figures and the health badge made of their states. */
function drawVitals(history) {
  const root = document.getElementById("vitals");
  const tiles = [];
  const problems = [];
  let worst = 0;
  for (const vital of VITALS) {
    const keys = vital.metrics.map((m) => history.families.get(m));
    if (keys.some((k) => k === undefined)) continue;
    const v = vitalValue(vital, keys, history);
    const state = v === null
      ? "unknown"
      : vital.bad !== undefined && v > vital.bad
      ? "bad"
      : vital.warn !== undefined && v > vital.warn
      ? "warn"
      : "ok";
    const rank = { bad: 2, warn: 1 }[state] ?? 0;
    if (rank > 0) problems.push(`${vital.title}: ${formatValue(v, vital.unit)}`);
    worst = Math.max(worst, rank);
    const tile = el(
      "li",
      { className: "vital" },
      el("span", { className: "vital-title", textContent: vital.title }),
      el("span", { className: "vital-value", textContent: formatValue(v, vital.unit) }),
    );
    tile.dataset.state = state;
    tiles.push(tile);
  }
  root.replaceChildren(...tiles);
  const badge = document.getElementById("health");
  const sum = history.length < 2 ? "unknown" : ["ok", "warn", "bad"][worst];
  badge.dataset.state = sum;
  badge.textContent = { unknown: "starting", ok: "healthy", warn: "warning", bad: "problem" }[sum];
  badge.title = problems.join("\n") || "every figure within its bounds";
}

function vitalValue(vital, keys, history) {
  const sum = (list, f) => {
    let total = null;
    for (const key of list) {
      const v = f(key);
      if (v !== null) total = (total ?? 0) + v;
    }
    return total;
  };
  switch (vital.kind) {
    case "rate":
      return sum(keys[0], (k) => history.latestRate(k));
    case "fraction": {
      const a = sum(keys[0], (k) => history.latest(k)), b = sum(keys[1], (k) => history.latest(k));
      return a === null || !b ? null : a / b;
    }
    case "age": {
      const ts = sum(keys[0], (k) => history.latest(k));
      return ts === null ? null : ts > 0 ? history.now() - ts : 0;
    }
    default:
      return sum(keys[0], (k) => history.latest(k));
  }
}

function showError(message) {
  const box = document.getElementById("error");
  box.hidden = message === null;
  box.textContent = message ?? "";
}

/** What does not change while the daemon runs: warnings, config, version. */
function showStatic(status) {
  const warnings = document.getElementById("warnings");
  warnings.hidden = status.warnings.length === 0;
  warnings.replaceChildren(
    el("h2", { textContent: `Warnings at start (${status.warnings.length})` }),
    el("ul", {}, ...status.warnings.map((w) => el("li", { textContent: w }))),
  );
  document.getElementById("config").textContent = toToml(status.config);
  document.getElementById("version").textContent =
    `carbonado ${status.version} on Deno ${status.deno}, ` +
    `host ${status.host}, started ${new Date(status.startTime * 1000).toISOString()}`;
}

/** The config view of /api/status written as TOML. */
function toToml(config) {
  const out = [];
  const table = (header, entries) => {
    out.push(header);
    for (const [k, v] of Object.entries(entries)) out.push(`${k} = ${JSON.stringify(v)}`);
    out.push("");
  };
  for (const [section, value] of Object.entries(config)) {
    if (Array.isArray(value)) value.forEach((entry) => table(`[[${section}]]`, entry));
    else table(`[${section}]`, value);
  }
  return out.join("\n");
}
