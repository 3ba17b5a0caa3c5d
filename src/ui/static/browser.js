// The metric browser: the name tree from /metrics/find/ (one level per click), and a chart of a
// series or glob over a chosen range from /render/ (cache points included), with what
// /api/series says of each metric: the archive the range is read from, its step, whether the
// metric has a file yet and how many of its points are still in the cache.
//
// The tree is built from SOURCES: each is a root with a `children(path)` loader. Plain Graphite
// names are one source; tagged series (issue #11's /tags API) the second, whose children are tag
// names, then values, then the series carrying that tag=value, each charted by its full tagged
// name (see docs/ui.md).

import { formatSpan, LineChart } from "./charts.js";
import { el } from "./dom.js";

/** The ranges offered, in seconds. */
const RANGES = [
  ["5 minutes", 300],
  ["15 minutes", 900],
  ["1 hour", 3600],
  ["6 hours", 21600],
  ["1 day", 86400],
  ["7 days", 604800],
  ["30 days", 2592000],
  ["1 year", 31536000],
];
const DEFAULT_RANGE = 3600;

async function getJson(url) {
  const res = await fetch(url);
  const text = await res.text();
  if (!res.ok) throw new Error(text.trim() || `${res.status} ${res.statusText}`);
  return JSON.parse(text);
}

/** Plain Graphite names: the children of `a.b` are the matches of `a.b.*`. */
const plainNames = {
  label: "metrics",
  async children(path) {
    const query = path === "" ? "*" : `${path}.*`;
    const body = await getJson(`/metrics/find/?format=json&query=${encodeURIComponent(query)}`);
    const matches = body.metrics?.[0]?.matches ?? [];
    return matches.map((m) => ({
      path: m.path,
      label: m.path.slice(m.path.lastIndexOf(".") + 1),
      isLeaf: m.isLeaf === true,
    }));
  },
};

/**
 * Tagged series over graphite-web's tag API: a node's path is a tag (`dc`), a tag and value
 * (`dc=east`: tags hold no `=`) or, for a leaf, the series' full tagged name.
 */
const taggedSeries = {
  label: "tags",
  async children(path) {
    if (path === "") {
      const tags = await getJson("/tags/autoComplete/tags");
      return tags.filter((t) => t !== "name").map((t) => ({ path: t, label: t, isLeaf: false }));
    }
    const eq = path.indexOf("=");
    if (eq < 0) {
      const values = await getJson(`/tags/autoComplete/values?tag=${encodeURIComponent(path)}`);
      return values.map((v) => ({ path: `${path}=${v}`, label: v, isLeaf: false }));
    }
    const series = await getJson(`/tags/findSeries?expr=${encodeURIComponent(path)}`);
    return series.map((name) => ({ path: name, label: name, isLeaf: true }));
  },
};

/** The roots of the tree (see the header comment). */
const SOURCES = [plainNames, taggedSeries];

/** The browser tab: tree, query form, chart and series table. */
export class MetricBrowser {
  constructor() {
    this.tree = document.getElementById("tree");
    this.form = document.getElementById("query");
    this.target = document.getElementById("target");
    this.range = document.getElementById("range");
    this.info = document.getElementById("plot-info");
    this.chart = new LineChart(document.getElementById("plot"), { height: 280 });
    this.opened = false;
    for (const [label, seconds] of RANGES) {
      this.range.append(el("option", { value: String(seconds), textContent: label }));
    }
    this.range.value = String(DEFAULT_RANGE);
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.plot(this.target.value.trim());
    });
    this.range.addEventListener("change", () => this.plot(this.target.value.trim()));
  }

  /** Shows the tab: the first time, loads the tree's first level (and a target from the URL). */
  open(params) {
    const target = params.get("target");
    const range = params.get("range");
    if (range && RANGES.some(([, s]) => String(s) === range)) this.range.value = range;
    if (target) this.plot(target);
    if (this.opened) return;
    this.opened = true;
    for (const source of SOURCES) {
      const list = el("ul", { className: "tree-list" });
      this.tree.append(el("h2", { textContent: source.label }), list);
      this.#expand(source, "", list);
    }
  }

  async #expand(source, path, list) {
    list.replaceChildren(el("li", { className: "muted", textContent: "loading…" }));
    let children;
    try {
      children = await source.children(path);
    } catch (err) {
      list.replaceChildren(el("li", { className: "error", textContent: err.message }));
      return;
    }
    if (children.length === 0) {
      list.replaceChildren(el("li", { className: "muted", textContent: "no metrics" }));
      return;
    }
    list.replaceChildren(...children.map((node) => this.#node(source, node)));
  }

  #node(source, node) {
    const button = el("button", {
      type: "button",
      className: node.isLeaf ? "node leaf" : "node branch",
      textContent: node.label,
      title: node.path,
    });
    button.dataset.path = node.path;
    const item = el("li", {}, button);
    if (node.isLeaf) {
      button.addEventListener("click", () => {
        for (const b of this.tree.querySelectorAll(".node.selected")) {
          b.classList.remove("selected");
        }
        button.classList.add("selected");
        this.plot(node.path);
      });
      return item;
    }
    button.setAttribute("aria-expanded", "false");
    let list = null;
    button.addEventListener("click", () => {
      const expand = button.getAttribute("aria-expanded") === "false";
      button.setAttribute("aria-expanded", String(expand));
      if (!expand) {
        list.hidden = true;
        return;
      }
      if (list === null) {
        list = el("ul", { className: "tree-list" });
        item.append(list);
        this.#expand(source, node.path, list);
      }
      list.hidden = false;
    });
    return item;
  }

  /** Charts `target` (a name or glob) over the selected range, ending now. */
  async plot(target) {
    if (target === "") return;
    this.target.value = target;
    const seconds = Number(this.range.value);
    history.replaceState(
      null,
      "",
      `#metrics?target=${encodeURIComponent(target)}&range=${seconds}`,
    );
    const until = Math.floor(Date.now() / 1000);
    const query = `target=${encodeURIComponent(target)}&from=${until - seconds}&until=${until}`;
    this.info.replaceChildren(el("p", { className: "muted", textContent: "loading…" }));
    let render, series;
    try {
      [render, series] = await Promise.all([
        getJson(`/render/?format=json&${query}`),
        getJson(`/api/series?${query}`),
      ]);
    } catch (err) {
      this.info.replaceChildren(el("p", { className: "error", textContent: err.message }));
      return;
    }
    const metrics = render.metrics ?? [];
    const steps = new Set(metrics.map((m) => m.stepTime));
    const times = [
      ...new Set(metrics.flatMap((m) => m.values.map((_v, i) => m.startTime + i * m.stepTime))),
    ]
      .sort((a, b) => a - b);
    const index = new Map(times.map((t, i) => [t, i]));
    const ys = metrics.map((m) => {
      const y = new Array(times.length).fill(null);
      m.values.forEach((v, i) => {
        if (!m.isAbsent[i]) y[index.get(m.startTime + i * m.stepTime)] = v;
      });
      return y;
    });
    this.chart.spanGaps = steps.size > 1; // coarser series would show only as dots otherwise
    this.chart.update(metrics.map((m) => m.name), [times, ...ys]);
    this.#describe(target, metrics, series.series);
  }

  #describe(target, metrics, series) {
    if (metrics.length === 0) {
      this.info.replaceChildren(
        el("p", { className: "muted", textContent: `no points for ${target} in this range` }),
      );
      return;
    }
    const rows = series.map((s) => {
      const archives = s.archives.map((a, i) =>
        `${i === s.archive ? "▸" : ""}${formatSpan(a.secondsPerPoint)}:${formatSpan(a.retention)}`
      ).join(", ");
      return el(
        "tr",
        {},
        el("td", {}, el("code", { textContent: s.name })),
        el("td", { textContent: s.archive === null ? "–" : formatSpan(s.step) }),
        el("td", {
          textContent: s.archive === null
            ? "outside retention"
            : `#${s.archive} of ${s.archives.length}`,
        }),
        el("td", { textContent: archives }),
        el("td", { textContent: s.onDisk ? "on disk" : "cache only, no file yet" }),
        el("td", { textContent: String(s.cachedPoints) }),
      );
    });
    const head = [
      "series",
      "step",
      "archive",
      "archives (step:retention)",
      "file",
      "points in cache",
    ];
    this.info.replaceChildren(
      el(
        "table",
        { className: "series-table" },
        el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { textContent: h })))),
        el("tbody", {}, ...rows),
      ),
    );
  }
}
