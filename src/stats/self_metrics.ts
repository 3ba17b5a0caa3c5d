// carbonado's own metrics as Graphite series: every `[common] metric-interval`, each sample that
// has a go-carbon name is sent as `<graph-prefix>.<name> <value> <now>` (default prefix
// `carbon.agents.{host}`). Counters are sent as the change since the last send, gauges as they
// are, as go-carbon's SendAndSubstract does. `metric-endpoint` is "local" (into our own cache,
// then to whisper like any series), `tcp://host:port` or `udp://host:port`.

import { Logger } from "../log/logger.ts";
import { writeAll } from "../net/stream_server.ts";
import type { Appendable } from "../appender/appender.ts";
import { collect, type StatSource } from "./sample.ts";

const log = new Logger("stats");

/** go-carbon sends self-metrics over UDP in chunks of at most this many bytes. */
const UDP_CHUNK_BYTES = 1000;

/** Options of {@linkcode SelfMetrics}. */
export interface SelfMetricsOptions {
  /** `[common] graph-prefix`; `{host}` becomes the host name with dots as underscores. */
  graphPrefix: string;
  /** `[common] metric-interval` in milliseconds. */
  interval: number;
  /** `[common] metric-endpoint`: "local", "tcp://host:port" or "udp://host:port". */
  endpoint: string;
  hostname: string;
}

/** The metric prefix with `{host}` expanded as go-carbon does. */
export function expandPrefix(graphPrefix: string, hostname: string): string {
  return graphPrefix.replaceAll("{host}", hostname.replaceAll(".", "_"));
}

/** Sends the samples of `sources` every interval. */
export class SelfMetrics {
  #opts: SelfMetricsOptions;
  #sources: Iterable<StatSource>;
  #head: Appendable;
  #prefix: string;
  #last = new Map<string, number>();
  #timer?: ReturnType<typeof setInterval>;
  #sending?: Promise<void>;

  constructor(opts: SelfMetricsOptions, sources: Iterable<StatSource>, head: Appendable) {
    this.#opts = opts;
    this.#sources = sources;
    this.#head = head;
    this.#prefix = expandPrefix(opts.graphPrefix, opts.hostname);
  }

  start(): void {
    this.#timer = setInterval(() => this.#sending = this.send(), this.#opts.interval);
  }

  /** Sends one round now (also the last round at stop). */
  async send(now = Date.now()): Promise<void> {
    const ts = Math.floor(now / 1000);
    const names: string[] = [];
    const values: number[] = [];
    for (const s of collect(this.#sources)) {
      if (s.carbon === undefined) continue;
      const name = `${this.#prefix}.${s.carbon}`;
      let value = s.value;
      if (s.type === "counter") {
        value = s.value - (this.#last.get(name) ?? 0);
        this.#last.set(name, s.value);
      }
      names.push(name);
      values.push(value);
    }
    const endpoint = this.#opts.endpoint;
    try {
      if (endpoint === "local") {
        const app = this.#head.appender();
        app.appendPoints(names, names.map(() => ts), values);
        app.commit();
      } else {
        const lines = names.map((name, i) => `${name} ${values[i]} ${ts}\n`);
        await sendRemote(endpoint, lines);
      }
    } catch (err) {
      log.warn("cannot send own metrics", { endpoint, err });
    }
  }

  /**
   * Stops the timer and sends a last round, if started: a start that failed (a busy port) leaves
   * no own metrics behind.
   */
  async stop(): Promise<void> {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sending;
    await this.send();
  }
}

async function sendRemote(endpoint: string, lines: string[]): Promise<void> {
  const url = new URL(endpoint);
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port);
  const enc = new TextEncoder();
  if (url.protocol === "tcp:") {
    const conn = await Deno.connect({ hostname, port });
    try {
      await writeAll(conn, enc.encode(lines.join("")));
    } finally {
      conn.close();
    }
    return;
  }
  const sock = Deno.listenDatagram({ hostname: "0.0.0.0", port: 0, transport: "udp" });
  try {
    let chunk = "";
    for (const line of lines) {
      if (chunk.length + line.length > UDP_CHUNK_BYTES && chunk) {
        await sock.send(enc.encode(chunk), { hostname, port, transport: "udp" });
        chunk = "";
      }
      chunk += line;
    }
    if (chunk) await sock.send(enc.encode(chunk), { hostname, port, transport: "udp" });
  } finally {
    sock.close();
  }
}
