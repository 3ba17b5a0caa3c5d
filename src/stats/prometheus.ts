// The Prometheus text exposition page (`GET /metrics`) and `/healthz`, on a small HTTP listener
// (default 127.0.0.1:7007, go-carbon's pprof/prometheus port).

import { Logger } from "../log/logger.ts";
import { collect, type Sample, type StatSource } from "./sample.ts";
import { answerInternalError, type HttpListener, listenHttp } from "../net/http_listener.ts";

const log = new Logger("prometheus");

/** Renders samples in the Prometheus text format 0.0.4, one HELP/TYPE block per name. */
export function renderPrometheus(samples: readonly Sample[]): string {
  const byName = new Map<string, Sample[]>();
  for (const s of samples) {
    const list = byName.get(s.name);
    if (list) list.push(s);
    else byName.set(s.name, [s]);
  }
  let text = "";
  for (const [name, list] of byName) {
    text += `# HELP ${name} ${list[0].help}\n# TYPE ${name} ${list[0].type}\n`;
    for (const s of list) text += `${name}${renderLabels(s.labels)} ${renderValue(s.value)}\n`;
  }
  return text;
}

function renderLabels(labels?: Record<string, string>): string {
  if (!labels) return "";
  const parts = Object.entries(labels).map(([k, v]) =>
    `${k}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`
  );
  return parts.length ? `{${parts.join(",")}}` : "";
}

function renderValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  return String(v);
}

/** Options of {@linkcode PrometheusServer}. */
export interface PrometheusOptions {
  listen: string;
  endpoint: string;
}

/** Serves the samples of `sources` on `GET <endpoint>` and answers `GET /healthz`. */
export class PrometheusServer {
  #opts: PrometheusOptions;
  #sources: Iterable<StatSource>;
  #server?: HttpListener;

  constructor(opts: PrometheusOptions, sources: Iterable<StatSource>) {
    this.#opts = opts;
    this.#sources = sources;
  }

  /** Answers one request (also used directly by tests). */
  handler(req: Request): Response {
    const path = new URL(req.url).pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    if (path === this.#opts.endpoint) {
      return new Response(renderPrometheus(collect(this.#sources)), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    if (path === "/healthz") return new Response("ok\n");
    return new Response("not found\n", { status: 404 });
  }

  start(): void {
    this.#server = listenHttp(this.#opts.listen, "prometheus.listen", {
      onError: answerInternalError(log),
      handler: (req) => this.handler(req),
    });
  }

  /** The bound address (after start()). */
  get addr(): Deno.NetAddr {
    if (!this.#server) throw new Error("PrometheusServer is not started");
    return this.#server.addr;
  }

  async stop(): Promise<void> {
    await this.#server?.shutdown();
    this.#server = undefined;
  }
}
