// The plaintext UDP receiver (`[udp] listen`, default `:2003`): each datagram is appended and
// committed as one batch, parsed as a block of lines by the same parser as TCP. As in go-carbon, a last line without its `\n` is incomplete: it is dropped and counted
// as truncated. (Deno.listenDatagram needs the "net" unstable feature, enabled in deno.json.)

import { listenOn } from "../net/listen.ts";
import { Logger } from "../log/logger.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { Appendable } from "../appender/appender.ts";
import type { StreamCounts } from "./plain_stream.ts";
import { receiverStats } from "./receiver_stats.ts";
import { RejectedLog } from "./rejected_log.ts";
import { isClosedError } from "../net/stream_server.ts";

const log = new Logger("udp");

/** Largest datagram accepted whole: above UDP's 65,507-byte payload limit. */
const DATAGRAM_BYTES = 65_536;

/** Options of {@linkcode UdpReceiver}. */
export interface UdpReceiverOptions {
  listen: string;
}

/** Accepts Graphite plaintext datagrams through the appender. */
export class UdpReceiver implements StatSource {
  #head: Appendable;
  #opts: UdpReceiverOptions;
  #conn?: Deno.DatagramConn;
  #loop?: Promise<void>;
  #counts: StreamCounts = { accepted: 0, rejected: 0 };
  #rejected = new RejectedLog("udp");
  #datagrams = 0;

  constructor(head: Appendable, opts: UdpReceiverOptions) {
    this.#head = head;
    this.#opts = opts;
  }

  start(): void {
    this.#conn = listenOn(
      this.#opts.listen,
      "udp.listen",
      (where) => Deno.listenDatagram({ ...where, transport: "udp" }),
    );
    this.#loop = this.#receive(this.#conn);
  }

  get addr(): Deno.NetAddr {
    if (!this.#conn) throw new Error("udp.listen is not listening");
    return this.#conn.addr as Deno.NetAddr;
  }

  async #receive(conn: Deno.DatagramConn): Promise<void> {
    const app = this.#head.appender();
    const buf = new Uint8Array(DATAGRAM_BYTES);
    try {
      while (true) {
        const [data, from] = await conn.receive(buf);
        this.#datagrams++;
        const result = app.commitPlain(data);
        this.#counts.accepted += result.accepted;
        this.#counts.rejected += result.rejected;
        const peer = from as Deno.NetAddr;
        if (result.rejected > 0) this.#rejected.note(result, `${peer.hostname}:${peer.port}`);
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
    receiverStats(send, "udp", this.#counts);
    send({
      name: "carbonado_udp_datagrams_total",
      help: "UDP datagrams received.",
      type: "counter",
      value: this.#datagrams,
      carbon: "udp.datagrams",
    });
  }
}
