// Line charts on uPlot, sized to their container and coloured from the page's CSS variables, so
// they follow the light or dark scheme. Also the number formatting shared by charts, tiles and
// tables. uPlot is the global its IIFE build defines (index.html loads it from the installed npm
// package under /ui/vendor/ before this module): a module import of it would send `deno check`
// looking for a file that exists only at run time.

const uPlot = globalThis.uPlot;

/** Line colours, distinguishable on the light and the dark background. */
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#59a14f",
  "#b07aa1",
  "#76b7b2",
  "#edc948",
  "#ff9da7",
  "#9c755f",
  "#8c8c8c",
];

/** Tick spacings of the time axis, in seconds: whole seconds at least, so no label repeats. */
const TIME_INCRS = [
  1,
  2,
  5,
  10,
  15,
  30,
  60,
  120,
  300,
  600,
  900,
  1800,
  3600,
  7200,
  10800,
  21600,
  43200,
  86400,
  172800,
  604800,
  1209600,
  2592000,
  7776000,
  15552000,
  31536000,
];

const SI = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
const BINARY = [[2 ** 40, "TiB"], [2 ** 30, "GiB"], [2 ** 20, "MiB"], [2 ** 10, "KiB"]];

/**
 * A number for people: `1.25M/s`, `3.4 MiB`, `250 ms`, `2h 5m`, `42%`.
 * @param {number | null} v
 * @param {string} unit "", "/s", "bytes", "s", "%" (v a fraction), or any suffix
 */
export function formatValue(v, unit = "") {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (unit === "%") return `${round(v * 100)}%`;
  if (unit === "s") return formatSeconds(v);
  if (unit === "bytes") {
    const [div, suffix] = BINARY.find(([d]) => Math.abs(v) >= d) ?? [1, "B"];
    return `${round(v / div)} ${suffix}`;
  }
  const [div, prefix] = SI.find(([d]) => Math.abs(v) >= d) ?? [1, ""];
  return `${round(v / div)}${prefix}${unit}`;
}

function formatSeconds(s) {
  const a = Math.abs(s);
  if (a === 0) return "0 s";
  if (a < 1e-3) return `${round(s * 1e6)} µs`;
  if (a < 1) return `${round(s * 1e3)} ms`;
  if (a < 120) return `${round(s)} s`;
  if (a < 7200) return `${Math.floor(s / 60)}m ${Math.round(s % 60)}s`;
  if (a < 172800) return `${Math.floor(s / 3600)}h ${Math.round((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.round((s % 86400) / 3600)}h`;
}

const SPANS = [[31536000, "y"], [86400, "d"], [3600, "h"], [60, "m"]];

/** Seconds as Graphite writes retentions: the largest whole unit, `10s`, `1m`, `6h`, `30d`, `1y`. */
export function formatSpan(seconds) {
  const [div, unit] = SPANS.find(([d]) => seconds >= d && seconds % d === 0) ?? [1, "s"];
  return `${seconds / div}${unit}`;
}

function round(v) {
  const a = Math.abs(v);
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/**
 * Keeps every chart as wide as its container. The resize waits for the next frame: resizing
 * inside the observer's callback would change the observed boxes again in the same frame.
 */
const resizer = new ResizeObserver((entries) => {
  requestAnimationFrame(() => {
    for (const entry of entries) entry.target.chart?.resize();
  });
});

/** A time series chart: one x array (epoch seconds) and one y array per labelled line. */
export class LineChart {
  /**
   * @param {HTMLElement} el the container (its width is the chart's)
   * @param {{unit?: string, height?: number, spanGaps?: boolean}} opts
   */
  constructor(el, opts = {}) {
    this.el = el;
    this.unit = opts.unit ?? "";
    this.height = opts.height ?? 160;
    this.spanGaps = opts.spanGaps ?? false;
    /** @type {uPlot | null} */
    this.plot = null;
    this.labels = [];
    el.chart = this;
    resizer.observe(el);
  }

  /** Draws `data` ([xs, ...ys]); the chart is rebuilt when the lines' labels change. */
  update(labels, data) {
    if (this.plot === null || !sameLabels(labels, this.labels)) this.#build(labels, data);
    else this.plot.setData(data);
    this.#showLatest();
  }

  /** The data drawn: [xs, ...ys] (read by the browser tests). */
  get data() {
    return this.plot?.data ?? [];
  }

  /** Rebuilds with the current colours (after a change of colour scheme). */
  restyle() {
    if (this.plot === null) return;
    const data = this.plot.data;
    this.plot.destroy();
    this.plot = null;
    this.update(this.labels, data);
  }

  resize() {
    const width = Math.max(this.el.clientWidth, 100);
    if (this.plot && this.plot.width !== width) {
      this.plot.setSize({ width, height: this.height });
      this.#showLatest();
    }
  }

  /**
   * The legend shows the latest values drawn, unless the cursor is over the chart. Deferred to
   * after uPlot's own redraw (a microtask queued before this one), which resets the legend.
   */
  #showLatest() {
    queueMicrotask(() => {
      if (this.plot === null || this.plot.cursor.left >= 0) return;
      const ys = this.plot.data.slice(1);
      let idx = this.plot.data[0].length - 1;
      while (idx > 0 && ys.every((y) => y[idx] === null)) idx--;
      if (idx >= 0) this.plot.setLegend({ idx });
    });
  }

  destroy() {
    resizer.unobserve(this.el);
    this.plot?.destroy();
    this.plot = null;
  }

  #build(labels, data) {
    this.plot?.destroy();
    this.labels = labels.slice();
    if (uPlot === undefined) {
      this.el.textContent = "Charts unavailable: uPlot was not served (see the warnings at start).";
      return;
    }
    const fg = cssVar("--muted"), grid = cssVar("--grid");
    const unit = this.unit;
    const axis = {
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
    };
    this.plot = new uPlot(
      {
        width: Math.max(this.el.clientWidth, 100),
        height: this.height,
        series: [
          {},
          ...labels.map((label, i) => ({
            label,
            stroke: PALETTE[i % PALETTE.length],
            width: 1.5,
            spanGaps: this.spanGaps,
            value: (_u, v) => formatValue(v, unit),
          })),
        ],
        axes: [
          {
            ...axis,
            incrs: TIME_INCRS,
            values: (_u, splits, _i, _space, incr) => splits.map((t) => timeLabel(t, incr)),
          },
          { ...axis, size: 64, values: (_u, splits) => splits.map((v) => formatValue(v, unit)) },
        ],
        scales: { y: { range: (_u, min, max) => yRange(min, max) } },
        legend: { live: true },
      },
      data,
      this.el,
    );
  }
}

/** One line per tick, as precise as the ticks' spacing needs: `14:05:30`, `14:05`, `12-03 14:00`. */
function timeLabel(seconds, incr) {
  const d = new Date(seconds * 1000);
  const two = (n) => String(n).padStart(2, "0");
  const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
  if (incr < 60) return `${hm}:${two(d.getSeconds())}`;
  if (incr < 86400) return hm;
  return `${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

/** From 0 (or the lowest value, when negative) to a little above the highest. */
function yRange(min, max) {
  if (min === null || max === null) return [0, 1];
  const lo = Math.min(0, min);
  const hi = max > lo ? max + (max - lo) * 0.08 : lo + 1;
  return [lo, hi];
}

function sameLabels(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
