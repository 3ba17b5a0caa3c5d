// The carbonserver HTTP API (`[carbonserver] listen`, default 127.0.0.1:8080): go-carbon's routes
// and formats, so that graphite-web's CLUSTER_SERVERS, carbonapi and carbonzipper read carbonado.
//   /metrics/find/?query=Q&format=json|pickle|completer|protobuf|carbonapi_v3_pb
//                                                          branches and metrics matching a glob
//   /render/?target=T&from=F&until=U&format=json|pickle|protobuf|carbonapi_v3_pb
//                                                          raw series, files merged with the cache
//   /metrics/list/   /metrics/index.json   /info/?target=M&format=json|protobuf|carbonapi_v3_pb
// The protobuf formats are carbonapi's (carbonapi_pb.ts); `from` and `until` take Graphite's
// time forms (graphite_time.ts: unix seconds, `-5min`, `now`, `HH:MM_YYYYMMDD`, ...).
//   /tags/...                                              graphite-web's TagDB API (tags/)
// A render target may be `seriesByTag('tag=value', ...)`: graphite-web's RemoteFinder passes
// those through to a CLUSTER_SERVERS member, which answers them from its tag database.
// Parameters come from the query string or a urlencoded or multipart body (graphite-web's
// REMOTE_STORE_USE_POST). Empty results are 200, never 404: graphite-web fails a whole render on
// a non-200 and stops asking this server for a minute. Refused patterns and exceeded limits are
// 400 with the reason as text, as go-carbon answers.

import { Logger, RateLimiter } from "../log/logger.ts";
import { PickleWriter } from "../protocol/pickle_encode.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { AggregationMethod } from "../whisper/format.ts";
import type { MetricStore, Series } from "./metric_store.ts";
import { seriesByTagArgs, TagExprError } from "../tags/tag_expr.ts";
import { tagsApi } from "../tags/tagdb_api.ts";
import { type HttpTimeouts, serveWithTimeouts } from "./http_timeouts.ts";
import {
  CONTENT_TYPE_PROTOBUF,
  CONTENT_TYPE_V2,
  CONTENT_TYPE_V3,
  decodeFetchRequest,
  decodeGlobRequest,
  encodeFind,
  encodeInfo,
  encodeRender,
  type FetchedSeries,
  type FetchRequest,
  type PbFormat,
  pbFormat,
} from "./carbonapi_pb.ts";
import { parseGraphiteTime } from "./graphite_time.ts";
import { type HttpListener, listenHttp } from "../net/http_listener.ts";

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
  /** read-timeout and write-timeout (ms, 0: none), applied per request; default none. */
  timeouts?: HttpTimeouts;
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
    this.#server = listenHttp(this.#opts.listen, "carbonserver.listen", {
      handler: (req) => {
        const timeouts = this.#opts.timeouts;
        return timeouts
          ? serveWithTimeouts(req, (r) => this.handler(r), timeouts)
          : this.handler(req);
      },
    });
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
      const { params, body } = await readParams(req, url);
      const pb = pbFormat(params.get("format"), req.headers.get("accept"));
      if (url.pathname === "/tags" || url.pathname.startsWith("/tags/")) {
        this.#requests.tags++;
        const tagDb = this.#store.tagDb();
        if (!tagDb) return text(404, "404 page not found");
        return tagsApi(tagDb, req.method, url.pathname, params);
      }
      switch (path) {
        case "/metrics/find/":
          this.#requests.find++;
          return pb ? this.#findPb(pb, params, body) : this.#find(params);
        case "/render/":
          this.#requests.render++;
          return pb ? this.#renderPb(pb, params, body, now) : this.#render(params, now);
        case "/metrics/list/":
          this.#requests.list++;
          return this.#list(params);
        case "/metrics/index.json/":
          this.#requests.index++;
          return json([...this.#store.names()].sort());
        case "/info/":
          this.#requests.info++;
          return pb ? this.#infoPb(pb, params, body) : this.#info(params);
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
    const format = params.get("format") ?? "json";
    if (!["json", "pickle", "completer"].includes(format)) {
      throw new BadRequest("Bad request (unsupported format)");
    }
    const results = this.#globs(params.getAll("query"));
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

  /** Each find query and its matches; over max-metrics-globbed is a 400. */
  #globs(queries: string[]): { name: string; matches: { path: string; isLeaf: boolean }[] }[] {
    if (queries.length === 0) throw new BadRequest("Bad request (no query)");
    return queries.map((q) => {
      const r = this.#store.find(q, this.#opts.maxMetricsGlobbed);
      if (r.limitReached) {
        throw new BadRequest(
          `Bad request (${JSON.stringify(q)} matches more than max-metrics-globbed ` +
            `${this.#opts.maxMetricsGlobbed})`,
        );
      }
      return { name: q, matches: r.items };
    });
  }

  /** find in carbonapi's protobuf: the queries from a v3 MultiGlobRequest body, or `query`. */
  #findPb(format: PbFormat, params: URLSearchParams, body: Uint8Array | null): Response {
    const queries = format === "carbonapi_v3_pb" && body ? pbBody(decodeGlobRequest, body) : [];
    const results = this.#globs(queries.length > 0 ? queries : params.getAll("query"));
    return protobuf(format, encodeFind(format, results), CONTENT_TYPE_PROTOBUF);
  }

  #render(params: URLSearchParams, now: number): Response {
    const format = params.get("format") ?? "json";
    if (format !== "json" && format !== "pickle") {
      throw new BadRequest("Bad request: Unknown format");
    }
    const series = this.#series(renderRequests(params, now), now);
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

  /** The series of render requests; over max-metrics-rendered is a 400. */
  #series(requests: FetchRequest[], now: number): { target: string; series: Series }[] {
    if (requests.length === 0) throw new BadRequest("Bad request (no target)");
    const max = this.#opts.maxMetricsRendered;
    const series: { target: string; series: Series }[] = [];
    for (const { name: target, startTime: from, stopTime: until } of requests) {
      if (from > until) throw new BadRequest("Bad request: 'from' is after 'until'");
      const names = this.#expand(target, max);
      if (names.limitReached || series.length + names.items.length > max) {
        throw new BadRequest(`Bad request (more than max-metrics-rendered ${max} series)`);
      }
      for (const name of names.items) {
        const s = this.#fetch(name, from, until, now);
        if (s) series.push({ target, series: s });
      }
    }
    return series;
  }

  /** render in carbonapi's protobuf: the targets of a v3 MultiFetchRequest body, or `target`. */
  #renderPb(
    format: PbFormat,
    params: URLSearchParams,
    body: Uint8Array | null,
    now: number,
  ): Response {
    let requests = format === "carbonapi_v3_pb" && body ? pbBody(decodeFetchRequest, body) : [];
    if (requests.length === 0) requests = renderRequests(params, now);
    const byTarget = new Map(requests.map((r) => [r.name, r]));
    const fetched: FetchedSeries[] = this.#series(requests, now).map(({ target, series: s }) => {
      const r = byTarget.get(target)!;
      return {
        name: s.name,
        pathExpression: r.pathExpression || target,
        consolidationFunc: CONSOLIDATION[s.aggregationMethod],
        startTime: s.fromTime,
        stopTime: s.untilTime,
        stepTime: s.step,
        xFilesFactor: s.xFilesFactor,
        values: s.values,
        requestStartTime: r.startTime,
        requestStopTime: r.stopTime,
      };
    });
    return protobuf(format, encodeRender(format, fetched), CONTENT_TYPE_PROTOBUF);
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

  /**
   * One metric's series (a damaged file is answered from the cache by the store); a file that
   * cannot be read otherwise is logged and left out, the other series still go.
   */
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
    return json({ metrics: this.#infos(params.getAll("target")) });
  }

  /** info in carbonapi's protobuf: the names of a v3 MultiGlobRequest body, or `target`. */
  #infoPb(format: PbFormat, params: URLSearchParams, body: Uint8Array | null): Response {
    const names = format === "carbonapi_v3_pb" && body ? pbBody(decodeGlobRequest, body) : [];
    const infos = this.#infos(names.length > 0 ? names : params.getAll("target")).map((m) => ({
      name: m.name,
      consolidationFunc: m.consolidationFunc,
      maxRetention: m.maxRetention,
      xFilesFactor: m.xFilesFactor,
      retentions: m.retentions,
    }));
    return protobuf(format, encodeInfo(format, infos), CONTENT_TYPE_V2);
  }

  /** Each target's description, as the JSON answer has it; an unknown metric is a 404. */
  #infos(targets: string[]) {
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
        // a damaged file: the shape the cache's points are answered in, and what is wrong
        ...(info.damaged && { damaged: info.damaged }),
      });
    }
    return metrics;
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

/**
 * Query string and form fields together, as Go's Request.FormValue sees them; any other POST
 * body is returned as bytes (carbonapi's v3 protobuf requests).
 */
async function readParams(
  req: Request,
  url: URL,
): Promise<{ params: URLSearchParams; body: Uint8Array | null }> {
  const params = new URLSearchParams(url.search);
  const type = req.headers.get("content-type") ?? "";
  if (req.method !== "POST") return { params, body: null };
  if (
    type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")
  ) {
    for (const [key, value] of await req.formData()) {
      if (typeof value === "string") params.append(key, value);
    }
    return { params, body: null };
  }
  const body = new Uint8Array(await req.arrayBuffer());
  return { params, body: body.length > 0 ? body : null };
}

/** A v3 request body decoded, a malformed one being a 400. */
function pbBody<T>(decode: (body: Uint8Array) => T[], body: Uint8Array): T[] {
  try {
    return decode(body);
  } catch (err) {
    if (err instanceof SyntaxError) throw new BadRequest(`Bad request (${err.message})`);
    throw err;
  }
}

/** The render requests of `target` parameters, with `from` and `until` in Graphite's forms. */
function renderRequests(params: URLSearchParams, now: number): FetchRequest[] {
  const until = graphiteTime(params.get("until"), now, now, "until");
  const from = graphiteTime(params.get("from"), until - 86_400, now, "from");
  return params.getAll("target").map((name) => ({
    name,
    startTime: from,
    stopTime: until,
    pathExpression: name,
  }));
}

/**
 * A `from` or `until` parameter as unix seconds, or the default when absent: as graphite-web
 * reads it, except a negative integer, which graphite-web refuses and go-carbon reads as unix
 * seconds (strconv.Atoi: `-300` is 1969), as clients of go-carbon may send it.
 */
function graphiteTime(value: string | null, fallback: number, now: number, name: string): number {
  if (value === null || value === "") return fallback;
  if (/^-\d+$/.test(value)) return Number(value);
  try {
    return parseGraphiteTime(value, now);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new BadRequest(`Bad request: invalid '${name}' time (${err.message})`);
  }
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
}

function pickle(w: PickleWriter): Response {
  const body = w.finish() as Uint8Array<ArrayBuffer>;
  return new Response(body, { headers: { "content-type": "application/pickle" } });
}

function protobuf(format: PbFormat, body: Uint8Array<ArrayBuffer>, v2Type: string): Response {
  const type = format === "carbonapi_v3_pb" ? CONTENT_TYPE_V3 : v2Type;
  return new Response(body, { headers: { "content-type": type } });
}

function text(status: number, message: string): Response {
  return new Response(message + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
