// The carbonserver HTTP API (`[carbonserver] listen`, default 127.0.0.1:8080): go-carbon's routes
// and formats, so that graphite-web's CLUSTER_SERVERS, carbonapi and carbonzipper read carbonado.
//   /metrics/find/?query=Q&format=json|pickle|completer    branches and metrics matching a glob
//   /render/?target=T&from=F&until=U&format=json|pickle    raw series, files merged with the cache
//   /metrics/list/   /metrics/index.json   /info/?target=M
//   /tags/...                                              graphite-web's TagDB API (tags/)
// A render target may be `seriesByTag('tag=value', ...)`: graphite-web's RemoteFinder passes
// those through to a CLUSTER_SERVERS member, which answers them from its tag database.
// Parameters come from the query string or a urlencoded or multipart body (graphite-web's
// REMOTE_STORE_USE_POST). Empty results are 200, never 404: graphite-web fails a whole render on
// a non-200 and stops asking this server for a minute. Refused patterns and exceeded limits are
// 400 with the reason as text, as go-carbon answers.

import { listenOn } from "../net/listen.ts";
import { Logger, RateLimiter } from "../log/logger.ts";
import { PickleWriter } from "../protocol/pickle_encode.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { AggregationMethod } from "../whisper/format.ts";
import type { MetricStore, Series } from "./metric_store.ts";
import { seriesByTagArgs, TagExprError } from "../tags/tag_expr.ts";
import { tagsApi } from "../tags/tagdb_api.ts";
import { HttpListener } from "../net/http_listener.ts";

const log = new Logger("carbonserver");

/** Options of {@linkcode CarbonServer}. */
export interface CarbonServerOptions {
  listen: string;
  /** go-carbon's max-metrics-globbed: most names a find may match. */
  maxMetricsGlobbed: number;
  /** go-carbon's max-metrics-rendered: most series one render may return. */
  maxMetricsRendered: number;
  /** Answers the paths the API does not know (the status page, src/ui/); null gives the 404. */
  ui?: (req: Request, url: URL) => Response | null;
  /** False: the query API is off (404) and only `ui` answers (a relay-only node). */
  queries?: boolean;
}

/** go-carbon's consolidationFunc names (go-whisper's AggregationMethod.String()). */
const CONSOLIDATION: Record<AggregationMethod, string> = {
  average: "Average",
  sum: "Sum",
  last: "Last",
  max: "Max",
  min: "Min",
  avg_zero: "AvgZero",
  absmax: "AbsMax",
  absmin: "AbsMin",
};

const ROUTES = ["find", "render", "list", "index", "info", "tags"] as const;
type Route = typeof ROUTES[number];

/** A refused request: answered with its status and message. */
class BadRequest extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

/** Serves go-carbon's carbonserver API from a MetricStore. */
export class CarbonServer implements StatSource {
  #store: MetricStore;
  #opts: CarbonServerOptions;
  #server?: HttpListener;
  #requests: Record<Route, number> = {
    find: 0,
    render: 0,
    list: 0,
    index: 0,
    info: 0,
    tags: 0,
  };
  #errors = 0;
  #logLimit = new RateLimiter(10, 10_000);

  constructor(store: MetricStore, opts: CarbonServerOptions) {
    this.#store = store;
    this.#opts = opts;
  }

  start(): void {
    this.#server = listenOn(
      this.#opts.listen,
      "carbonserver.listen",
      (where) =>
        new HttpListener("carbonserver.listen", where, { handler: (req) => this.handler(req) }),
    );
  }

  get addr(): Deno.NetAddr {
    if (!this.#server) throw new Error("carbonserver.listen is not listening");
    return this.#server.addr;
  }

  async stop(): Promise<void> {
    await this.#server?.shutdown();
    this.#server = undefined;
  }

  /** Answers one request (tests call it directly). */
  async handler(req: Request, now = Math.floor(Date.now() / 1000)): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname.endsWith("/") ? url.pathname : url.pathname + "/";
    if (this.#opts.queries === false) {
      return this.#opts.ui?.(req, url) ?? text(404, "404 page not found");
    }
    try {
      const params = await readParams(req, url);
      if (url.pathname === "/tags" || url.pathname.startsWith("/tags/")) {
        this.#requests.tags++;
        const tagDb = this.#store.tagDb();
        if (!tagDb) return text(404, "404 page not found");
        return tagsApi(tagDb, req.method, url.pathname, params);
      }
      switch (path) {
        case "/metrics/find/":
          this.#requests.find++;
          return this.#find(params);
        case "/render/":
          this.#requests.render++;
          return this.#render(params, now);
        case "/metrics/list/":
          this.#requests.list++;
          return this.#list(params);
        case "/metrics/index.json/":
          this.#requests.index++;
          return json([...this.#store.names()].sort());
        case "/info/":
          this.#requests.info++;
          return this.#info(params);
        default:
          return this.#opts.ui?.(req, url) ?? text(404, "404 page not found");
      }
    } catch (err) {
      this.#errors++;
      if (err instanceof BadRequest) return text(err.status, err.message);
      if (err instanceof RangeError) return text(400, `Bad request (${err.message})`);
      log.error("request failed", { path, err });
      return text(500, `Internal error (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  #find(params: URLSearchParams): Response {
    const queries = params.getAll("query");
    if (queries.length === 0) throw new BadRequest("Bad request (no query)");
    const format = params.get("format") ?? "json";
    if (!["json", "pickle", "completer"].includes(format)) {
      throw new BadRequest("Bad request (unsupported format)");
    }
    const results = queries.map((q) => {
      const r = this.#store.find(q, this.#opts.maxMetricsGlobbed);
      if (r.limitReached) {
        throw new BadRequest(
          `Bad request (${JSON.stringify(q)} matches more than max-metrics-globbed ` +
            `${this.#opts.maxMetricsGlobbed})`,
        );
      }
      return { name: q, matches: r.items };
    });
    if (format === "pickle") {
      // graphite-web's RemoteFinder: [{'metric_path': p, 'isLeaf': b}, ...] for the first query
      const w = new PickleWriter();
      w.proto();
      w.emptyList();
      for (const m of results[0].matches) {
        w.emptyDict();
        w.mark();
        w.str("metric_path");
        w.str(m.path);
        w.str("isLeaf");
        w.bool(m.isLeaf);
        w.setItems();
        w.append();
      }
      return pickle(w);
    }
    if (format === "completer") {
      // graphite-web's completer: branches end with a dot, is_leaf is "0" or "1"
      const metrics = results.flatMap((r) =>
        r.matches.map((m) => ({
          path: m.isLeaf ? m.path : m.path + ".",
          name: m.path.slice(m.path.lastIndexOf(".") + 1),
          is_leaf: m.isLeaf ? "1" : "0",
        }))
      );
      return json({ metrics });
    }
    return json({
      metrics: results.map((r) =>
        r.matches.length === 0 ? { name: r.name } : {
          name: r.name,
          matches: r.matches.map((
            m,
          ) => (m.isLeaf ? { path: m.path, isLeaf: true } : { path: m.path })),
        }
      ),
    });
  }

  #render(params: URLSearchParams, now: number): Response {
    const targets = params.getAll("target");
    if (targets.length === 0) throw new BadRequest("Bad request (no target)");
    const format = params.get("format") ?? "json";
    if (format !== "json" && format !== "pickle") {
      throw new BadRequest("Bad request: Unknown format");
    }
    const until = epoch(params.get("until"), now, "until");
    const from = epoch(params.get("from"), until - 86_400, "from");
    if (from > until) throw new BadRequest("Bad request: 'from' is after 'until'");
    const max = this.#opts.maxMetricsRendered;
    const series: { target: string; series: Series }[] = [];
    for (const target of targets) {
      const names = this.#expand(target, max);
      if (names.limitReached || series.length + names.items.length > max) {
        throw new BadRequest(`Bad request (more than max-metrics-rendered ${max} series)`);
      }
      for (const name of names.items) {
        const s = this.#fetch(name, from, until, now);
        if (s) series.push({ target, series: s });
      }
    }
    if (format === "pickle") return pickle(renderPickle(series));
    if (series.length === 0) return json({});
    return json({
      metrics: series.map(({ series: s }) => ({
        name: s.name,
        startTime: s.fromTime,
        stopTime: s.untilTime,
        stepTime: s.step,
        values: s.values.map((v) => (v === null || Number.isNaN(v) ? 0 : v)),
        isAbsent: s.values.map((v) => v === null || Number.isNaN(v)),
      })),
    });
  }

  /** The metric names of a render target: a glob, a tagged name, or a seriesByTag() call. */
  #expand(target: string, max: number): { items: string[]; limitReached: boolean } {
    let exprs: string[] | null;
    try {
      exprs = seriesByTagArgs(target);
      if (exprs === null) return this.#store.expand(target, max);
      const items = this.#store.seriesByTag(exprs);
      return { items, limitReached: items.length > max };
    } catch (err) {
      if (err instanceof TagExprError) throw new BadRequest(`Bad request (${err.message})`);
      throw err;
    }
  }

  /** One metric's series; a damaged file is logged and left out, the other series still go. */
  #fetch(name: string, from: number, until: number, now: number): Series | null {
    try {
      return this.#store.fetch(name, from, until, now);
    } catch (err) {
      if (!(err instanceof Error) || err instanceof RangeError) throw err;
      const suppressed = this.#logLimit.allow();
      if (suppressed >= 0) log.warn("cannot read metric; left out", { name, err, suppressed });
      return null;
    }
  }

  #list(params: URLSearchParams): Response {
    const format = params.get("format") ?? "json";
    if (format !== "json") throw new BadRequest("Bad request (unsupported format)");
    const names = [...this.#store.names()].sort();
    return json(names.length === 0 ? {} : { Metrics: names });
  }

  #info(params: URLSearchParams): Response {
    const format = params.get("format") ?? "json";
    if (format !== "json") throw new BadRequest("Bad request (unsupported format)");
    const targets = params.getAll("target");
    if (targets.length === 0) throw new BadRequest("Bad request (no target)");
    const metrics = [];
    for (const target of targets) {
      const info = this.#store.info(target);
      if (info === null) throw new BadRequest("Metric not found", 404);
      metrics.push({
        name: info.name,
        consolidationFunc: CONSOLIDATION[info.aggregationMethod as AggregationMethod],
        xFilesFactor: info.xFilesFactor,
        maxRetention: info.maxRetention,
        retentions: info.archives.map((a) => ({
          secondsPerPoint: a.secondsPerPoint,
          numberOfPoints: a.points,
        })),
      });
    }
    return json({ metrics });
  }

  stat(send: StatSend): void {
    this.#server?.stat(send);
    for (const route of ROUTES) {
      send({
        name: "carbonado_carbonserver_requests_total",
        help: "carbonserver HTTP requests, by route.",
        type: "counter",
        value: this.#requests[route],
        labels: { route },
        carbon: `carbonserver.requests.${route}`,
      });
    }
    send({
      name: "carbonado_carbonserver_errors_total",
      help: "carbonserver requests refused or failed.",
      type: "counter",
      value: this.#errors,
      carbon: "carbonserver.errors",
    });
  }
}

/** graphite-web's remote render format: one dict per series, tagged with its target. */
function renderPickle(series: { target: string; series: Series }[]): PickleWriter {
  const w = new PickleWriter(256 + series.length * 64);
  w.proto();
  w.emptyList();
  for (const { target, series: s } of series) {
    w.emptyDict();
    w.mark();
    w.str("start");
    w.int(s.fromTime);
    w.str("step");
    w.int(s.step);
    w.str("end");
    w.int(s.untilTime);
    w.str("name");
    w.str(s.name);
    w.str("pathExpression");
    w.str(target);
    w.str("xFilesFactor");
    w.float(s.xFilesFactor);
    w.str("consolidationFunc");
    w.str(CONSOLIDATION[s.aggregationMethod]);
    w.str("values");
    w.emptyList();
    if (s.values.length > 0) {
      w.mark();
      for (const v of s.values) {
        if (v === null || Number.isNaN(v)) w.none();
        else w.float(v);
      }
      w.appends();
    }
    w.setItems();
    w.append();
  }
  return w;
}

/** Query string and form fields together, as Go's Request.FormValue sees them. */
async function readParams(req: Request, url: URL): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.search);
  const type = req.headers.get("content-type") ?? "";
  if (
    req.method === "POST" &&
    (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data"))
  ) {
    for (const [key, value] of await req.formData()) {
      if (typeof value === "string") params.append(key, value);
    }
  }
  return params;
}

/** An integer epoch parameter (graphite-web sends integers), or the default when absent. */
function epoch(value: string | null, fallback: number, name: string): number {
  if (value === null || value === "") return fallback;
  if (!/^-?\d+$/.test(value)) throw new BadRequest(`Bad request: invalid '${name}' time`);
  return Number(value);
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
}

function pickle(w: PickleWriter): Response {
  const body = w.finish() as Uint8Array<ArrayBuffer>;
  return new Response(body, { headers: { "content-type": "application/pickle" } });
}

function text(status: number, message: string): Response {
  return new Response(message + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
