// A TCP listener for stream protocols (plaintext, Influx, OpenTSDB, pickle, carbonlink): accepts
// connections, runs one handler per connection, and on stop() closes the listener and every
// connection and waits for the handlers. The limits every such listener shares live here:
// - connections over the listener's max-connections, or over the process's share of
//   descriptors (descriptors.ts), are accepted and closed at once, counted and logged;
// - an accept that fails (at the descriptor limit Deno throws a plain Error whose `code` is
//   EMFILE or ENFILE) is counted, logged and retried after a short pause: never fatal;
// - a connection that completed no line or frame for read-timeout is closed, whether it sent
//   nothing (idle) or bytes that never make a line (slow: one byte a second holds no slot).

import { wait } from "../async/wait.ts";
import { listenOn } from "./listen.ts";
import { ConnectionBudget } from "./descriptors.ts";
import { Logger, RateLimiter } from "../log/logger.ts";
import { type AlignedInterval, alignedInterval } from "../clock/aligned_interval.ts";

/** Pause after a failed accept before the next (go-carbon and net/http: 5 ms to 1 s). */
export const ACCEPT_RETRY_MS = 100;

/** Options of {@linkcode StreamServer}. */
export interface StreamServerOptions {
  /** `host:port`; `:2003` listens on every interface. */
  listen: string;
  /** The config key of `listen`, for error messages (`tcp.listen`). */
  key: string;
  /**
   * Close a connection after this many milliseconds without a complete line or frame (idle,
   * or trickling bytes); 0: never.
   */
  readTimeout: number;
  /** Connections open at once on this listener; 0: only the process's share bounds them. */
  maxConnections?: number;
  /** The process's share of connections (shared by every listener); a new one if absent. */
  budget?: ConnectionBudget;
}

/** One accepted connection, as its handler sees it. */
export interface Connection {
  conn: Deno.TcpConn;
  /** Reads from the connection, noting that bytes came (use instead of conn.read()). */
  read(p: Uint8Array): Promise<number | null>;
  /** Call when a line or frame was completed: resets the read timeout. */
  progress(): void;
  /** Closes the connection (safe to call twice); a pending read then ends. */
  close(): void;
  /** The peer as `host:port`. */
  peer: string;
}

/** Runs for each connection; returns when the connection is done. */
export type ConnectionHandler = (c: Connection) => Promise<void>;

interface Tracked extends Connection {
  /** When the last line or frame was completed (or the connection accepted). */
  lastProgress: number;
  /** Whether bytes came since then. */
  bytesSince: boolean;
  closed: boolean;
}

/** Accepts TCP connections and hands each to `handler`. */
export class StreamServer {
  #opts: StreamServerOptions;
  #handler: ConnectionHandler;
  #log: Logger;
  #budget: ConnectionBudget;
  #maxConnections: number;
  #listener?: Deno.TcpListener;
  #accepting?: Promise<void>;
  #sweep?: AlignedInterval;
  #conns = new Set<Tracked>();
  #handlers = new Set<Promise<void>>();
  #stopping = false;
  #wake?: () => void;
  #logLimit = new RateLimiter(10, 60_000);
  /** Connections accepted so far (over-limit ones included). */
  connectionsTotal = 0;
  /** Connections closed for completing nothing and receiving nothing for read-timeout. */
  idleClosed = 0;
  /** Connections closed for completing nothing in read-timeout while bytes kept coming. */
  slowClosed = 0;
  /** Connections closed at once because the listener or the process was at its limit. */
  refused = 0;
  /** Accepts that failed (EMFILE, ENFILE, ...), each followed by a pause. */
  acceptErrors = 0;

  constructor(opts: StreamServerOptions, handler: ConnectionHandler, log: Logger) {
    this.#opts = opts;
    this.#handler = handler;
    this.#log = log;
    this.#budget = opts.budget ?? new ConnectionBudget();
    this.#maxConnections = opts.maxConnections || Number.MAX_SAFE_INTEGER;
  }

  /** Binds the listener and starts accepting. */
  start(): void {
    this.#stopping = false;
    this.#listener = listenOn(
      this.#opts.listen,
      this.#opts.key,
      (where) => Deno.listen({ ...where, transport: "tcp" }),
    );
    this.#budget.attach();
    this.#accepting = this.#accept(this.#listener);
    if (this.#opts.readTimeout > 0) {
      const sweepMs = Math.max(10, Math.min(1000, this.#opts.readTimeout / 4));
      this.#sweep = alignedInterval(() => this.#closeStalled(), sweepMs);
    }
  }

  /** The bound address (after start()). */
  get addr(): Deno.NetAddr {
    if (!this.#listener) throw new Error(`${this.#opts.key} is not listening`);
    return this.#listener.addr;
  }

  /** Open connections. */
  get connections(): number {
    return this.#conns.size;
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    while (!this.#stopping) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (this.#stopping || isClosedError(err)) return;
        // any failure, not only EMFILE/ENFILE (Error with `code`): the listener stays up
        this.acceptErrors++;
        const code = (err as { code?: unknown }).code;
        this.#warn("accept failed, retrying", { code, err, retryMs: ACCEPT_RETRY_MS });
        // out of descriptors: with the spare given up, the next accept succeeds at once
        if ((code === "EMFILE" || code === "ENFILE") && this.#budget.exhausted()) continue;
        await this.#pause(ACCEPT_RETRY_MS);
        continue;
      }
      this.connectionsTotal++;
      const remote = conn.remoteAddr;
      const peer = `${remote.hostname}:${remote.port}`;
      if (this.#conns.size >= this.#maxConnections || !this.#budget.take()) {
        this.refused++;
        const limit = this.#conns.size >= this.#maxConnections
          ? `${this.#opts.key.replace(/\.listen$/, "")}.max-connections ${this.#maxConnections}`
          : `the process's share of descriptors, ${this.#budget.allowed} connections`;
        closeConn(conn);
        this.#budget.reserveSpare();
        this.#warn("connection refused: too many connections", { peer, limit });
        continue;
      }
      this.#budget.reserveSpare();
      this.#track(conn, peer);
    }
  }

  #track(conn: Deno.TcpConn, peer: string): void {
    const c: Tracked = {
      conn,
      peer,
      lastProgress: Date.now(),
      bytesSince: false,
      closed: false,
      read: async (p) => {
        const n = await conn.read(p);
        if (n !== null) c.bytesSince = true;
        return n;
      },
      progress: () => {
        c.lastProgress = Date.now();
        c.bytesSince = false;
      },
      close: () => closeQuietly(c),
    };
    this.#conns.add(c);
    const handler = this.#run(c).finally(() => {
      this.#conns.delete(c);
      this.#budget.release();
      this.#handlers.delete(handler);
    });
    this.#handlers.add(handler);
  }

  async #run(c: Tracked): Promise<void> {
    try {
      await this.#handler(c);
    } catch (err) {
      if (!isClosedError(err)) this.#log.error("connection failed", { peer: c.peer, err });
    } finally {
      closeQuietly(c);
    }
  }

  #closeStalled(): void {
    const timeout = this.#opts.readTimeout;
    const deadline = Date.now() - timeout;
    for (const c of this.#conns) {
      if (c.lastProgress >= deadline || c.closed) continue;
      if (c.bytesSince) {
        this.slowClosed++;
        this.#warn("closing slow connection: no complete line or frame in read-timeout", {
          peer: c.peer,
          readTimeoutMs: timeout,
        });
      } else {
        this.idleClosed++;
        this.#log.debug("closing idle connection", { peer: c.peer });
      }
      closeQuietly(c);
    }
  }

  /** Logs at warn, at most 10 lines a minute per listener, with the count suppressed. */
  #warn(msg: string, fields: Record<string, unknown>): void {
    const suppressed = this.#logLimit.allow();
    if (suppressed >= 0) this.#log.warn(msg, { listener: this.#opts.key, ...fields, suppressed });
  }

  /** Waits `ms`, or less when stop() is called. */
  #pause(ms: number): Promise<void> {
    return wait(ms, {
      onWake: (wake) => {
        this.#wake = wake;
        return () => this.#wake = undefined;
      },
    });
  }

  /** Stops accepting, closes every connection and waits for their handlers. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#sweep?.stop();
    this.#wake?.();
    try {
      this.#listener?.close();
    } catch (err) {
      if (!isClosedError(err)) throw err;
    }
    for (const c of this.#conns) closeQuietly(c);
    await this.#accepting;
    await Promise.all([...this.#handlers]);
    if (this.#listener) this.#budget.detach();
    this.#listener = undefined;
  }
}

function closeQuietly(c: Tracked): void {
  if (c.closed) return;
  c.closed = true;
  closeConn(c.conn);
}

function closeConn(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (err) {
    if (!isClosedError(err)) throw err;
  }
}

/** Errors a read loop expects when a socket is closed under it or by the peer. */
export function isClosedError(err: unknown): boolean {
  return err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted ||
    err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe;
}

/** Writes every byte of `data` to `conn`. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}
