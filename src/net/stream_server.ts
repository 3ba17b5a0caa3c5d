// A TCP listener for stream protocols (plaintext, pickle, carbonlink): accepts connections,
// runs one handler per connection, closes connections idle longer than the read timeout, and on
// stop() closes the listener and every connection and waits for the handlers.

import { listenOn } from "./listen.ts";
import { Logger } from "../log/logger.ts";

/** Options of {@linkcode StreamServer}. */
export interface StreamServerOptions {
  /** `host:port`; `:2003` listens on every interface. */
  listen: string;
  /** The config key of `listen`, for error messages (`tcp.listen`). */
  key: string;
  /** Close a connection after this many milliseconds without data; 0: never. */
  readTimeout: number;
}

/** One accepted connection, as its handler sees it. */
export interface Connection {
  conn: Deno.TcpConn;
  /** Call after each read that returned data: resets the idle timer. */
  touch(): void;
  /** Closes the connection (safe to call twice); a pending read then ends. */
  close(): void;
  /** The peer as `host:port`. */
  peer: string;
}

/** Runs for each connection; returns when the connection is done. */
export type ConnectionHandler = (c: Connection) => Promise<void>;

interface Tracked extends Connection {
  lastRead: number;
  closed: boolean;
}

/** Accepts TCP connections and hands each to `handler`. */
export class StreamServer {
  #opts: StreamServerOptions;
  #handler: ConnectionHandler;
  #log: Logger;
  #listener?: Deno.TcpListener;
  #accepting?: Promise<void>;
  #sweep?: ReturnType<typeof setInterval>;
  #conns = new Set<Tracked>();
  #handlers = new Set<Promise<void>>();
  /** Connections accepted so far. */
  connectionsTotal = 0;
  /** Connections closed for being idle. */
  idleClosed = 0;

  constructor(opts: StreamServerOptions, handler: ConnectionHandler, log: Logger) {
    this.#opts = opts;
    this.#handler = handler;
    this.#log = log;
  }

  /** Binds the listener and starts accepting. */
  start(): void {
    this.#listener = listenOn(
      this.#opts.listen,
      this.#opts.key,
      (where) => Deno.listen({ ...where, transport: "tcp" }),
    );
    this.#accepting = this.#accept(this.#listener);
    if (this.#opts.readTimeout > 0) {
      const sweepMs = Math.max(10, Math.min(1000, this.#opts.readTimeout / 4));
      this.#sweep = setInterval(() => this.#closeIdle(), sweepMs);
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
    try {
      for await (const conn of listener) {
        const remote = conn.remoteAddr;
        const c: Tracked = {
          conn,
          peer: `${remote.hostname}:${remote.port}`,
          lastRead: Date.now(),
          closed: false,
          touch: () => c.lastRead = Date.now(),
          close: () => closeQuietly(c),
        };
        this.#conns.add(c);
        this.connectionsTotal++;
        const handler = this.#run(c).finally(() => {
          this.#conns.delete(c);
          this.#handlers.delete(handler);
        });
        this.#handlers.add(handler);
      }
    } catch (err) {
      if (!isClosedError(err)) throw err;
    }
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

  #closeIdle(): void {
    const deadline = Date.now() - this.#opts.readTimeout;
    for (const c of this.#conns) {
      if (c.lastRead >= deadline || c.closed) continue;
      this.idleClosed++;
      this.#log.debug("closing idle connection", { peer: c.peer });
      closeQuietly(c);
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
    for (const c of this.#conns) closeQuietly(c);
    await this.#accepting;
    await Promise.all([...this.#handlers]);
    this.#listener = undefined;
  }
}

function closeQuietly(c: Tracked): void {
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

/** Writes every byte of `data` to `conn`. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}
