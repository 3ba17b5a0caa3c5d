// A line-protocol UDP receiver: Graphite plaintext (`[udp] listen`, default `:2003`), and with
// another LineFormat Influx line protocol (`[influx] listen`). Each datagram is appended and
// committed as one batch, parsed as a block of lines by the same parser as TCP. A datagram
// holds whole lines: its last line needs no `\n` (go-carbon 0.14+, VictoriaMetrics' Influx),
// one is added in the receive buffer's spare byte. (Deno.listenDatagram needs the "net"
// unstable feature, enabled in deno.json.)

import { listenOn } from "../net/listen.ts";
import { MAX_LINE_BYTES } from "../protocol/plaintext.ts";
import { Logger } from "../log/logger.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { Appendable } from "../appender/appender.ts";
import type { StreamCounts } from "./plain_stream.ts";
import { receiverStats } from "./receiver_stats.ts";
import { RejectedLog } from "./rejected_log.ts";
import { type LineFormat, PLAINTEXT_LINES } from "./line_format.ts";
import { isClosedError } from "../net/stream_server.ts";

const log = new Logger("udp");

/** Largest datagram accepted whole: above UDP's 65,507-byte payload limit, so that a `\n` fits. */
const DATAGRAM_BYTES = 65_536;
const LF = 0x0a;

/** Options of {@linkcode UdpReceiver}. */
export interface UdpReceiverOptions {
  listen: string;
  /** Config section (`udp`, `influx`): names the listen key. */
  section?: string;
  /** Protocol label of counters and logs (default: the section). */
  protocol?: string;
  /** The line protocol (default: Graphite plaintext). */
  format?: LineFormat;
  /** Longest line in bytes, for formats other than plaintext (which has tcp.max-line-size). */
  maxLineSize?: number;
}

/** Accepts datagrams of a line protocol (Graphite plaintext by default) through the appender. */
export class UdpReceiver implements StatSource {
  #head: Appendable;
  #opts: UdpReceiverOptions;
  #conn?: Deno.DatagramConn;
  #loop?: Promise<void>;
  #counts: StreamCounts = { accepted: 0, rejected: 0 };
  #rejected: RejectedLog;
  #datagrams = 0;
  #key: string;
  #protocol: string;
  #format: LineFormat;
  #maxLineLen: number;

  constructor(head: Appendable, opts: UdpReceiverOptions) {
    this.#head = head;
    this.#opts = opts;
    const section = opts.section ?? "udp";
    this.#key = `${section}.listen`;
    this.#protocol = opts.protocol ?? section;
    this.#format = opts.format ?? PLAINTEXT_LINES;
    this.#maxLineLen = opts.maxLineSize ?? MAX_LINE_BYTES;
    this.#rejected = new RejectedLog(this.#protocol);
  }

  start(): void {
    this.#conn = listenOn(
      this.#opts.listen,
      this.#key,
      (where) => Deno.listenDatagram({ ...where, transport: "udp" }),
    );
    this.#loop = this.#receive(this.#conn);
  }

  get addr(): Deno.NetAddr {
    if (!this.#conn) throw new Error(`${this.#key} is not listening`);
    return this.#conn.addr as Deno.NetAddr;
  }

  async #receive(conn: Deno.DatagramConn): Promise<void> {
    const app = this.#head.appender();
    const buf = new Uint8Array(DATAGRAM_BYTES);
    try {
      while (true) {
        const [received, from] = await conn.receive(buf);
        this.#datagrams++;
        const data = terminated(buf, received.length);
        const opts = { final: true, maxLineLen: this.#maxLineLen };
        const result = this.#format.commit(app, data, opts);
        this.#counts.accepted += result.accepted;
        this.#counts.rejected += result.rejected;
        if (result.rejected > 0) {
          const peer = from as Deno.NetAddr;
          this.#rejected.note(
            result,
            `${peer.hostname}:${peer.port}`,
            (max) => this.#format.rejections(data, opts, max),
          );
        }
        if (result.consumed < data.length) {
          app.reject("truncated");
          this.#counts.rejected += app.commit().rejected;
        }
      }
    } catch (err) {
      if (!isClosedError(err)) log.error("udp receive failed", { err });
    }
  }

  async stop(): Promise<void> {
    try {
      this.#conn?.close();
    } catch (err) {
      if (!isClosedError(err)) throw err;
    }
    await this.#loop;
    this.#conn = undefined;
  }

  stat(send: StatSend): void {
    receiverStats(send, this.#protocol, this.#counts);
    this.#format.stat?.(send, this.#protocol);
    send({
      name: "carbonado_udp_datagrams_total",
      help: "UDP datagrams received, by protocol.",
      type: "counter",
      value: this.#datagrams,
      labels: { protocol: this.#protocol },
      carbon: `${this.#protocol}.datagrams`,
    });
  }
}

/** The `len` bytes of a datagram in `buf`, ending with a `\n` (added in the spare byte). */
function terminated(buf: Uint8Array, len: number): Uint8Array {
  if (len === 0 || buf[len - 1] === LF) return buf.subarray(0, len);
  buf[len] = LF;
  return buf.subarray(0, len + 1);
}
