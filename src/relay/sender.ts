// One destination's sender: one TCP connection, fed from the destination's queue as soon as it
// has lines (memory first, then disk), reconnecting with backoff. Plaintext has no
// acknowledgements, so a line counts as delivered only once `resend-bytes` more bytes went out
// on the same connection after it (they cover the kernel buffers of both ends, where a peer that
// dies loses what it had not read), or when the peer answered a clean close: on a lost
// connection everything not delivered is sent again. A read is always pending on the socket,
// so a peer that closed or reset is seen before the next write goes into a half-closed socket
// (carbon-c-relay loses a line per outage that way).

import { wait } from "../async/wait.ts";
import { Logger, RateLimiter } from "../log/logger.ts";
import { isClosedError, writeAll } from "../net/stream_server.ts";
import type { Destination } from "./destinations.ts";
import type { DestinationQueue, QueuePosition } from "./queue.ts";

const log = new Logger("relay");

/** Bytes handed to one write. */
const WRITE_BYTES = 1 << 20;
/** How long a sender with nothing to do sleeps before it looks again (vminsert's 200 ms tick). */
const TICK_MS = 200;

/** Options of {@linkcode Sender}. */
export interface SenderOptions {
  /** Give up a connect after this many ms. */
  connectTimeout: number;
  /** Bytes sent after a line before it counts as delivered. */
  resendBytes: number;
  /** Close an idle connection cleanly after this many ms (confirms delivery); 0: never. */
  idleClose: number;
  /** First and longest wait between connect attempts, in ms. */
  minBackoff: number;
  maxBackoff: number;
}

/** What a sender tells the relay. */
export interface SenderEvents {
  /** A connect succeeded (true) or failed (false): the destination's state changed. */
  state(up: boolean): void;
  /** Called between connect attempts while down (reroute mode moves the queue elsewhere). */
  whileDown?(): Promise<void>;
}

interface InFlight {
  pos: QueuePosition;
  /** Bytes written on the connection up to the end of this record. */
  until: number;
}

/** Sends a destination's queue over one connection. */
export class Sender {
  readonly dest: Destination;
  #queue: DestinationQueue;
  #opts: SenderOptions;
  #events: SenderEvents;
  #conn?: Deno.TcpConn;
  #peerGone = false;
  #watching?: Promise<"eof" | "error">;
  #connBytes = 0;
  #inflight: InFlight[] = [];
  #wakeUp?: () => void;
  #loop?: Promise<void>;
  #stopping = false;
  #draining = false;
  #up = true;
  #everConnected = false;
  #lastWrite = 0;
  #buf = new Uint8Array(WRITE_BYTES);
  #logLimit = new RateLimiter(5, 10_000);
  // counters
  sentLines = 0;
  sentBytes = 0;
  reconnects = 0;
  connectFailures = 0;
  resentLines = 0;
  confirmedCloses = 0;

  constructor(
    dest: Destination,
    queue: DestinationQueue,
    opts: SenderOptions,
    events: SenderEvents,
  ) {
    this.dest = dest;
    this.#queue = queue;
    this.#opts = opts;
    this.#events = events;
  }

  /** False after a connect failed, until one succeeds. */
  get up(): boolean {
    return this.#up;
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.#conn !== undefined;
  }

  start(): void {
    this.#loop = this.#run();
  }

  /** New lines were queued. */
  wake(): void {
    this.#wakeUp?.();
  }

  async #run(): Promise<void> {
    let backoff = this.#opts.minBackoff;
    while (!this.#stopping) {
      if (!this.#conn) {
        // connect when there is something to send (or to find out whether the peer is back)
        if (this.#queue.pending === 0 && this.#up) {
          if (this.#draining) return;
          await this.#sleep(TICK_MS);
          continue;
        }
        if (this.#draining && !this.#up) return; // a down destination keeps its queue on disk
        if (!(await this.#connect())) {
          if (this.#draining) return;
          await this.#events.whileDown?.();
          await this.#sleep(jitter(backoff));
          backoff = Math.min(backoff * 2, this.#opts.maxBackoff);
          continue;
        }
        backoff = this.#opts.minBackoff;
      }
      if (this.#peerGone) {
        this.#fail("the destination closed the connection");
        continue;
      }
      const records = this.#queue.take(WRITE_BYTES);
      if (records.length === 0) {
        const idle = performance.now() - this.#lastWrite;
        if (this.#draining || (this.#opts.idleClose > 0 && idle >= this.#opts.idleClose)) {
          await this.#closeCleanly();
          if (this.#draining) return;
          continue;
        }
        await this.#sleep(TICK_MS);
        continue;
      }
      await this.#send(records);
    }
  }

  async #send(records: ReturnType<DestinationQueue["take"]>): Promise<void> {
    let len = 0;
    for (const r of records) len += r.body.length;
    if (len > this.#buf.length) this.#buf = new Uint8Array(len);
    let at = 0;
    for (const r of records) {
      this.#buf.set(r.body, at);
      at += r.body.length;
      this.#inflight.push({
        pos: { segment: r.segment, offset: r.end, seq: r.seqEnd },
        until: this.#connBytes + at,
      });
    }
    try {
      await writeAll(this.#conn!, this.#buf.subarray(0, len));
    } catch (err) {
      this.#fail("cannot write to the destination", err);
      return;
    }
    this.#connBytes += len;
    this.#lastWrite = performance.now();
    for (const r of records) this.sentLines += r.lines;
    this.sentBytes += len;
    const delivered = this.#connBytes - this.#opts.resendBytes;
    let last: QueuePosition | undefined;
    while (this.#inflight.length > 0 && this.#inflight[0].until <= delivered) {
      last = this.#inflight.shift()!.pos;
    }
    if (last) this.#queue.ack(last);
  }

  async #connect(): Promise<boolean> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.#opts.connectTimeout);
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({
        hostname: this.dest.host,
        port: this.dest.port,
        signal: ac.signal,
      });
    } catch (err) {
      this.connectFailures++;
      if (this.#up) {
        this.#up = false;
        log.warn("relay destination down", { destination: this.dest.address, err });
        this.#events.state(false);
      } else if (this.#logLimit.allow() >= 0) {
        log.debug("cannot connect to the relay destination", {
          destination: this.dest.address,
          err,
        });
      }
      return false;
    } finally {
      clearTimeout(timer);
    }
    try {
      conn.setNoDelay(true);
    } catch { /* not fatal */ }
    if (this.#everConnected) this.reconnects++;
    this.#everConnected = true;
    this.#conn = conn;
    this.#peerGone = false;
    this.#connBytes = 0;
    this.#inflight = [];
    this.#lastWrite = performance.now();
    this.#watching = this.#watch(conn);
    if (!this.#up) {
      this.#up = true;
      log.info("relay destination up", { destination: this.dest.address });
      this.#events.state(true);
    }
    return true;
  }

  /** Reads until the peer closes or resets the connection (a destination sends nothing). */
  async #watch(conn: Deno.TcpConn): Promise<"eof" | "error"> {
    const buf = new Uint8Array(4096);
    let result: "eof" | "error" = "error";
    try {
      while (true) {
        if ((await conn.read(buf)) === null) {
          result = "eof";
          break;
        }
      }
    } catch (err) {
      if (!isClosedError(err)) log.debug("relay connection error", { err });
    }
    if (this.#conn === conn) {
      this.#peerGone = true;
      this.wake();
    }
    return result;
  }

  /** The connection is lost: everything not delivered is sent again on the next one. */
  #fail(why: string, err?: unknown): void {
    this.#closeConn();
    const lines = this.#queue.rewind();
    this.resentLines += lines;
    if (this.#logLimit.allow() >= 0) {
      log.warn("relay connection lost; resending what it may not have delivered", {
        destination: this.dest.address,
        why,
        lines,
        err,
      });
    }
  }

  /** Half-closes, and takes everything sent as delivered when the peer answers with its close. */
  async #closeCleanly(): Promise<void> {
    const conn = this.#conn!;
    const watching = this.#watching!;
    try {
      await conn.closeWrite();
    } catch (err) {
      this.#fail("cannot close the connection", err);
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      watching,
      new Promise<"timeout">((r) =>
        timer = setTimeout(() => r("timeout"), this.#opts.connectTimeout)
      ),
    ]);
    clearTimeout(timer);
    if (outcome !== "eof") {
      this.#fail("no clean close from the destination");
      return;
    }
    const last = this.#inflight.at(-1);
    if (last) this.#queue.ack(last.pos);
    this.#inflight = [];
    this.confirmedCloses++;
    this.#closeConn();
  }

  #closeConn(): void {
    const conn = this.#conn;
    this.#conn = undefined;
    this.#inflight = [];
    this.#connBytes = 0;
    this.#peerGone = false;
    try {
      conn?.close();
    } catch (err) {
      if (!isClosedError(err)) throw err;
    }
  }

  #sleep(ms: number): Promise<void> {
    return wait(ms, {
      onWake: (wake) => {
        this.#wakeUp = wake;
        return () => this.#wakeUp = undefined;
      },
    });
  }

  /**
   * Stops: a destination that is up gets what is queued within `timeoutMs` and a clean close;
   * a down one keeps its queue for the next start. True when everything queued was delivered.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.#draining = true;
    this.wake();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = await Promise.race([
      this.#loop!.then(() => true),
      new Promise<false>((r) => timer = setTimeout(() => r(false), timeoutMs)),
    ]);
    clearTimeout(timer);
    if (!done) {
      this.#stopping = true;
      if (this.#conn) this.#fail("shutdown-timeout reached");
      this.wake();
      await this.#loop;
    }
    this.#closeConn();
    await this.#watching?.catch(() => "error");
    return this.#queue.pending === 0 && this.#queue.acked.seq === this.#queue.written;
  }
}

/** `ms` give or take a fifth, so that senders do not retry in step. */
function jitter(ms: number): number {
  return ms * (0.8 + 0.4 * Math.random());
}
