// Socket helpers for tests: send bytes to a TCP port, wait for a condition.

import { type Connection, writeAll } from "../../src/net/stream_server.ts";
import { concat } from "./bytes.ts";

const enc = new TextEncoder();

/** Connects, writes `data` (text or bytes) in one go, and closes. */
export async function sendTcp(port: number, data: string | Uint8Array): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, typeof data === "string" ? enc.encode(data) : data);
  } finally {
    conn.close();
  }
}

/**
 * How long any test wait goes on before it gives up: a backstop for a condition that will never
 * come, far beyond what a busy machine needs, never a measure of speed (tests wait on conditions).
 */
export const WAIT_LIMIT_MS = 120_000;

/**
 * Polls `check` every 5 ms until it returns true; throws after {@linkcode WAIT_LIMIT_MS}, naming
 * `what` (a function is called then, so the message can tell the last state seen).
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string | (() => string) = "condition",
): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Reads from `conn` until EOF, returning the bytes. */
export async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  return concat(...chunks);
}

/** A loopback port nothing listens on right now (a destination that is down, a peer's port). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

/**
 * Sends `line(0)`, `line(1)`, ... on one connection, `perWrite` lines a write with `pauseMs`
 * between writes, until `max` lines or until the peer goes away (a daemon killed under load);
 * returns how many lines were handed to the socket.
 */
export async function sendUntilGone(
  port: number,
  line: (n: number) => string,
  opts: { max: number; perWrite: number; pauseMs: number },
): Promise<number> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  let n = 0;
  try {
    while (n < opts.max) {
      let text = "";
      for (let i = 0; i < opts.perWrite; i++) text += line(n++);
      await writeAll(c, enc.encode(text));
      await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  } catch {
    // the peer went away
  } finally {
    try {
      c.close();
    } catch { /* already closed */ }
  }
  return n;
}

/**
 * A slow sender: connects, writes `prefix`, then one byte of `trickle` (cycled) every
 * `pauseMs` until the server closes the connection; returns the bytes trickled. Throws when
 * the server has not closed it after `max` bytes.
 */
export async function trickleUntilClosed(
  port: number,
  prefix: Uint8Array,
  trickle: Uint8Array,
  pauseMs: number,
  max = 500,
): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let closed = false;
  const reading = readToEnd(conn).catch(() => new Uint8Array(0)).finally(() => closed = true);
  let sent = 0;
  try {
    await writeAll(conn, prefix);
    while (!closed) {
      if (sent === max) throw new Error(`the server kept a slow sender after ${max} bytes`);
      await writeAll(conn, trickle.subarray(sent % trickle.length, sent % trickle.length + 1));
      sent++;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  } catch (err) {
    // the server closed between two bytes
    if (!(err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.ConnectionReset)) {
      throw err;
    }
  } finally {
    await reading;
    conn.close();
  }
  return sent;
}

/** A StreamServer handler that echoes what each connection sends until it ends. */
export async function echo(c: Connection): Promise<void> {
  const buf = new Uint8Array(1024);
  while (true) {
    const n = await c.read(buf);
    if (n === null) return;
    c.progress();
    await writeAll(c.conn, buf.subarray(0, n));
  }
}
