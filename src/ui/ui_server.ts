// The built-in status page and metric browser, served on the carbonserver listener (same origin
// as /render/ and /metrics/find/, so the page makes no cross-origin requests):
//   GET /                 the page (src/ui/static/index.html)
//   GET /ui/<file>        its CSS and JS, and uPlot's under /ui/vendor/
//   GET /api/status       version, uptime, config in effect (secrets masked), start warnings and
//                         every StatSource's current samples: the figures the page charts
//   GET /api/series       for a target and range: each metric's archives, the one a render reads,
//                         its step and its points in the cache
// The JSON endpoints are documented in docs/ui.md.

import type { MetricStore } from "../api/metric_store.ts";
import { VERSION } from "../cli.ts";
import type { Config } from "../config/config.ts";
import { collect, type StatSend, type StatSource } from "../stats/sample.ts";
import type { Asset } from "./assets.ts";
import { configView } from "./config_view.ts";
import { seriesInfo } from "./series_info.ts";

/** Options of {@linkcode UiServer}. */
export interface UiOptions {
  config: Config;
  /** Every warning given at start; read at the first `/api/status`, so it may still grow. */
  warnings: readonly string[];
  /** The components whose samples `/api/status` reports. */
  sources: Iterable<StatSource>;
  store: MetricStore;
  /** The page's files by URL path (see loadAssets). */
  files: ReadonlyMap<string, Asset>;
  hostname: string;
  /** The wall clock in ms (tests pass a fixed one). */
  now?: () => number;
}

const ROUTES = ["page", "status", "series"] as const;
type Route = typeof ROUTES[number];

/**
 * Headers of every answer: the page loads nothing from elsewhere and runs no inline script;
 * uPlot sets element styles from script, which `style-src 'self'` allows.
 */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "no-cache",
};

/** Answers the page's requests; everything else is left to the carbonserver router. */
export class UiServer implements StatSource {
  #opts: UiOptions;
  #now: () => number;
  #startTime: number;
  #staticJson?: string;
  #requests: Record<Route, number> = { page: 0, status: 0, series: 0 };

  constructor(opts: UiOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#startTime = this.#now();
  }

  /** The answer to a request for the page or its API, or null when the path is not the UI's. */
  handle(req: Request, url = new URL(req.url)): Response | null {
    const path = url.pathname;
    const asset = this.#opts.files.get(path);
    const route: Route | undefined = asset
      ? "page"
      : path === "/api/status"
      ? "status"
      : path === "/api/series"
      ? "series"
      : undefined;
    if (route === undefined) return null;
    if (req.method !== "GET" && req.method !== "HEAD") {
      return answer(405, "method not allowed\n", "text/plain; charset=utf-8", {
        allow: "GET, HEAD",
      });
    }
    this.#requests[route]++;
    if (asset) return answer(200, asset.body, asset.type);
    if (route === "status") return answer(200, this.status(), "application/json");
    return this.#series(url.searchParams);
  }

  /** The `/api/status` body. */
  status(): string {
    const now = this.#now();
    this.#staticJson ??= JSON.stringify({
      version: VERSION,
      deno: Deno.version.deno,
      host: this.#opts.hostname,
      startTime: this.#startTime / 1000,
      config: configView(this.#opts.config),
      warnings: this.#opts.warnings,
    }).slice(0, -1);
    return `${this.#staticJson},"now":${now / 1000},"uptime":${(now - this.#startTime) / 1000},` +
      `"samples":${JSON.stringify(collect(this.#opts.sources))}}`;
  }

  #series(params: URLSearchParams): Response {
    const target = params.get("target");
    if (!target) return badRequest("no target");
    const now = Math.floor(this.#now() / 1000);
    const until = epoch(params.get("until"), now);
    const from = until === undefined ? undefined : epoch(params.get("from"), until - 86_400);
    if (from === undefined || until === undefined) {
      return badRequest("from and until are epoch seconds");
    }
    if (from > until) return badRequest("'from' is after 'until'");
    const max = this.#opts.config.carbonserver.maxMetricsRendered;
    let result;
    try {
      result = seriesInfo(this.#opts.store, target, { from, until, now, maxSeries: max });
    } catch (err) {
      if (err instanceof RangeError) return badRequest(err.message);
      throw err;
    }
    if (result.limitReached) return badRequest(`more than max-metrics-rendered ${max} series`);
    return answer(
      200,
      JSON.stringify({ from, until, now, series: result.series }),
      "application/json",
    );
  }

  stat(send: StatSend): void {
    for (const route of ROUTES) {
      send({
        name: "carbonado_ui_requests_total",
        help: "Requests for the status page, its files and its JSON API, by route.",
        type: "counter",
        value: this.#requests[route],
        labels: { route },
        carbon: `ui.requests.${route}`,
      });
    }
  }
}

/** An integer epoch parameter, `fallback` when absent, undefined when malformed. */
function epoch(value: string | null, fallback: number): number | undefined {
  if (value === null || value === "") return fallback;
  return /^-?\d+$/.test(value) ? Number(value) : undefined;
}

function badRequest(reason: string): Response {
  return answer(400, `Bad request (${reason})\n`, "text/plain; charset=utf-8");
}

function answer(
  status: number,
  body: BodyInit,
  type: string,
  extra: Record<string, string> = {},
): Response {
  return new Response(body, {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": type, ...extra },
  });
}
