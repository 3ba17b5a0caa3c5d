// The page's entry point: tabs (#status, #metrics, #config, from the URL's hash), the status
// page's polling, the metric browser, and the colour scheme. `?interval=MS` sets the update
// interval (default 2 s). `globalThis.carbonadoUi` exposes the charts and the update timings to
// the browser tests and the benchmark.

import { MetricBrowser } from "./browser.js";
import { StatusPage } from "./status.js";

const DEFAULT_INTERVAL_MS = 2000;
const MIN_INTERVAL_MS = 250;

const params = new URLSearchParams(location.search);
const interval = Math.max(Number(params.get("interval")) || DEFAULT_INTERVAL_MS, MIN_INTERVAL_MS);
const timings = [];
const status = new StatusPage({ interval, timings });
const browser = new MetricBrowser();

globalThis.carbonadoUi = { status, browser, timings };

/** Shows the tab the hash names: `#metrics?target=a.b.*&range=3600` opens the browser on a.b.*. */
function route() {
  const [tab, query] = location.hash.slice(1).split("?");
  const name = ["status", "metrics", "config"].includes(tab) ? tab : "status";
  for (const section of document.querySelectorAll("[data-tab]")) {
    section.hidden = section.dataset.tab !== name;
  }
  for (const link of document.querySelectorAll("nav a")) {
    link.classList.toggle("active", link.getAttribute("href") === `#${name}`);
  }
  status.setVisible(name === "status");
  if (name === "metrics") browser.open(new URLSearchParams(query ?? ""));
}

addEventListener("hashchange", route);
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
  status.restyle();
  browser.chart.restyle();
});
route();
status.start();
