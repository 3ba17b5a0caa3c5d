// The plaintext TCP receiver (`[tcp] listen`, default `:2003`): one PlainStream per connection,
// each reading straight into wasm memory. Connections idle for longer than the read timeout are
// closed (go-carbon: 2 min); stop() closes the listener and every connection and awaits them.

import { parseListen } from "../config/config.ts";
import { Logger } from "../log/logger.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { WasmCache } from "../wasm/wasm_cache.ts";
import { PlainStream, type StreamCounts } from "./plain_stream.ts";

const log = new Logger("tcp");

/** Options of {@linkcode TcpReceiver}. */
export interface TcpReceiverOptions {
  /** `host:port`; `:2003` listens on every interface. */
  listen: string;
  /** Close a connection after this many milliseconds without data. */
  readTimeout: number;
}

interface Connection {
  conn: Deno.TcpConn;
  lastRead: number;
  closed: boolean;
}

/** Accepts Graphite plaintext over TCP into the cache. */
export class TcpReceiver implements StatSource {
  #cache: WasmCache;
  #opts: TcpReceiverOptions;
  #listener?: Deno.TcpListener;
  #accepting?: Promise<void>;
  #sweep?: ReturnType<typeof setInterval>;
  #conns = new Set<Connection>();
  #handlers = new Set<Promise<void>>();
  #counts: StreamCounts = { accepted: 0, rejected: 0 };
  #connectionsTotal = 0;
  #idleClosed = 0;

  constructor(cache: WasmCache, opts: TcpReceiverOptions) {
    this.#cache = cache;
    this.#opts = opts;
  }

  /** Binds the listener and starts accepting. */
  start(): void {
    const { hostname, port } = parseListen(this.#opts.listen, "tcp.listen");
    this.#listener = Deno.listen({ hostname, port, transport: "tcp" });
    this.#accepting = this.#accept(this.#listener);
    const sweepMs = Math.max(10, Math.min(1000, this.#opts.readTimeout / 4));
    this.#sweep = setInterval(() => this.#closeIdle(), sweepMs);
  }

  /** The bound address (after start()). */
  get addr(): Deno.NetAddr {
    if (!this.#listener) throw new Error("TcpReceiver is not started");
    return this.#listener.addr;
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    try {
      for await (const conn of listener) {
        const c: Connection = { conn, lastRead: Date.now(), closed: false };
        this.#conns.add(c);
        this.#connectionsTotal++;
        const handler = this.#serve(c).finally(() => {
          this.#conns.delete(c);
          this.#handlers.delete(handler);
        });
        this.#handlers.add(handler);
      }
    } catch (err) {
      if (!isClosedError(err)) throw err;
    }
  }

  async #serve(c: Connection): Promise<void> {
    const stream = new PlainStream(this.#cache, this.#counts);
    try {
      while (true) {
        const n = await c.conn.read(stream.readTarget());
        if (n === null) break;
        c.lastRead = Date.now();
        stream.push(n);
      }
    } catch (err) {
      if (!isClosedError(err)) {
        log.error("connection failed", { peer: peerOf(c.conn), err });
      }
    } finally {
      stream.end();
      stream.close();
      close(c);
    }
  }

  #closeIdle(): void {
    const deadline = Date.now() - this.#opts.readTimeout;
    for (const c of this.#conns) {
      if (c.lastRead >= deadline || c.closed) continue;
      this.#idleClosed++;
      log.debug("closing idle connection", { peer: peerOf(c.conn) });
      close(c);
    }
  }

  /** Stops accepting, closes every connection and waits for their handlers. */
  async stop(): Promise<void> {
    clearInterval(this.#sweep);
    try {
      this.#listener?.close();
    } catch (err) {
      if (!isClosedError(err)) throw err;
    }
    for (const c of this.#conns) close(c);
    await this.#accepting;
    await Promise.all([...this.#handlers]);
    this.#listener = undefined;
  }

  stat(send: StatSend): void {
    const labels = { protocol: "tcp" };
    send({
      name: "carbonado_received_points_total",
      help: "Points received and accepted by the parser, by protocol.",
      type: "counter",
      value: this.#counts.accepted,
      labels,
      carbon: "tcp.metricsReceived",
    });
    send({
      name: "carbonado_receiver_errors_total",
      help: "Lines or frames rejected, by protocol.",
      type: "counter",
      value: this.#counts.rejected,
      labels,
      carbon: "tcp.errors",
    });
    send({
      name: "carbonado_receiver_connections",
      help: "Open connections, by protocol.",
      type: "gauge",
      value: this.#conns.size,
      labels,
      carbon: "tcp.active",
    });
    send({
      name: "carbonado_receiver_connections_total",
      help: "Connections accepted, by protocol.",
      type: "counter",
      value: this.#connectionsTotal,
      labels,
    });
    send({
      name: "carbonado_receiver_idle_closed_total",
      help: "Connections closed after the read timeout, by protocol.",
      type: "counter",
      value: this.#idleClosed,
      labels,
    });
  }
}

function close(c: Connection): void {
  if (c.closed) return;
  c.closed = true;
  try {
    c.conn.close();
  } catch (err) {
    if (!isClosedError(err)) throw err;
  }
}

/** Errors a read loop expects when a socket is closed under it or by the peer. */
export function isClosedError(err: unknown): boolean {
  return err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted ||
    err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe;
}

function peerOf(conn: Deno.TcpConn): string {
  const a = conn.remoteAddr;
  return `${a.hostname}:${a.port}`;
}
