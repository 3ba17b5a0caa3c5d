// The HTTP ingest listener (`[http-ingest] listen`, default `:2006`): one port for the write
// APIs of other ecosystems, each route answering in its protocol's own dialect.
//   /write  /api/v2/write  /ping  /query   Influx 1.x and 2.x (Telegraf, Influx clients)
//   /api/put                               OpenTSDB HTTP
//   /api/v1/write                          Prometheus remote_write 1.0
// Bodies are read within http-ingest.max-request-size and read-timeout and against a budget of
// bytes in flight (body.ts); a request's points are appended and committed (or rolled back)
// without an await in between, so a batch never waits on the network.

import { answerInternalError, type HttpListener, listenHttp } from "../net/http_listener.ts";
import { Logger } from "../log/logger.ts";
import type { Appendable } from "../appender/appender.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import { type BodyLimits, HttpError, InflightBudget } from "./body.ts";
import { InfluxHttp, type InfluxHttpOptions } from "./influx_http.ts";
import { OpenTsdbHttp } from "./opentsdb_http.ts";
import { RemoteWriteHttp } from "./remote_write_http.ts";
import type { IngestRoute } from "./route.ts";

const log = new Logger("http-ingest");

/** Options of {@linkcode HttpIngestServer}. */
export interface HttpIngestOptions {
  listen: string;
  /** Largest body in bytes, as sent and decompressed. */
  maxRequestSize: number;
  /** Bytes of bodies being read at once, over every request. */
  maxInflightSize: number;
  /** Longest time to read a body (ms). */
  readTimeout: number;
  /** `[influx] measurement-field-separator`, `db-tag` and `max-line-size`. */
  influx: InfluxHttpOptions;
}

/** Serves the ingest routes. */
export class HttpIngestServer implements StatSource {
  #opts: HttpIngestOptions;
  #server?: HttpListener;
  #routes = new Map<string, IngestRoute>();
  #sources: StatSource[];
  /** Responses by route and status code. */
  #responses = new Map<string, number>();
  #budget: InflightBudget;

  constructor(head: Appendable, opts: HttpIngestOptions) {
    this.#opts = opts;
    this.#budget = new InflightBudget(opts.maxInflightSize);
    const limits: BodyLimits = {
      maxSize: opts.maxRequestSize,
      timeoutMs: opts.readTimeout,
      budget: this.#budget,
    };
    const protocols = [
      new InfluxHttp(head, limits, opts.influx),
      new OpenTsdbHttp(head, limits),
      new RemoteWriteHttp(head, limits),
    ];
    this.#sources = protocols;
    for (const protocol of protocols) {
      for (const route of protocol.routes()) this.#routes.set(route.path, route);
    }
  }

  start(): void {
    this.#server = listenHttp(this.#opts.listen, "http-ingest.listen", {
      onError: answerInternalError(log),
      handler: (req, info) => this.handler(req, info.remoteAddr),
    });
  }

  /** The bound address (after start()). */
  get addr(): Deno.NetAddr {
    if (!this.#server) throw new Error("http-ingest.listen is not listening");
    return this.#server.addr;
  }

  async stop(): Promise<void> {
    await this.#server?.shutdown();
    this.#server = undefined;
  }

  /** Answers one request (tests call it directly). */
  async handler(req: Request, remote?: Deno.NetAddr): Promise<Response> {
    const path = new URL(req.url).pathname;
    const route = this.#routes.get(path.length > 1 ? path.replace(/\/$/, "") : path);
    if (!route) return this.#count("other", new Response("404 page not found\n", { status: 404 }));
    const peer = remote ? `${remote.hostname}:${remote.port}` : "";
    let res: Response;
    if (!route.methods.includes(req.method)) {
      res = route.error(405, `Method ${req.method} not allowed on ${route.path}`);
      res.headers.set("allow", route.methods.join(", "));
    } else {
      try {
        res = await route.handle(req, peer);
      } catch (err) {
        if (!(err instanceof HttpError)) {
          log.error("request failed", { path, peer, err });
          res = route.error(500, `Internal error: ${(err as Error).message}`);
        } else {
          if (err.status >= 400 && err.status < 500 && !err.logged) {
            route.rejected.noteOne({ reason: `http_${err.status}`, detail: err.message }, peer);
          }
          res = route.error(err.status, err.message);
          if (err.status === 503) res.headers.set("retry-after", "1");
        }
      }
    }
    return this.#count(route.path, res);
  }

  #count(path: string, res: Response): Response {
    const key = `${path} ${res.status}`;
    this.#responses.set(key, (this.#responses.get(key) ?? 0) + 1);
    return res;
  }

  stat(send: StatSend): void {
    this.#server?.stat(send);
    for (const [key, n] of this.#responses) {
      const [route, code] = key.split(" ");
      send({
        name: "carbonado_http_ingest_responses_total",
        help: "HTTP ingest responses, by route and status code.",
        type: "counter",
        value: n,
        labels: { route, code },
      });
    }
    send({
      name: "carbonado_http_ingest_inflight_bytes",
      help: "Bytes of request bodies held now (http-ingest.max-inflight-size bounds them).",
      type: "gauge",
      value: this.#budget.used,
      carbon: "httpIngest.inflightBytes",
    });
    for (const source of this.#sources) source.stat(send);
  }
}
