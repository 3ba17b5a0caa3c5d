// A line-protocol TCP receiver: Graphite plaintext (`[tcp] listen`, default `:2003`), and with
// another LineFormat Influx line protocol (`[influx]`) and OpenTSDB telnet (`[opentsdb]`). One
// PlainStream per connection, each with its own appender, committing once per chunk read.
// Connections idle for longer than the read timeout are closed (go-carbon: 2 min); stop()
// closes the listener and every connection and awaits them.

import { Logger } from "../log/logger.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { Appendable } from "../appender/appender.ts";
import { PlainStream, type StreamCounts } from "./plain_stream.ts";
import { type Connection, StreamServer } from "../net/stream_server.ts";
import { receiverStats } from "./receiver_stats.ts";
import type { LineFormat } from "./line_format.ts";
import { RejectedLog } from "./rejected_log.ts";
import type { ConnectionBudget } from "../net/descriptors.ts";

/** Options of {@linkcode TcpReceiver}. */
export interface TcpReceiverOptions {
  /** `host:port`; `:2003` listens on every interface. */
  listen: string;
  /** Close a connection after this many milliseconds without a complete line. */
  readTimeout: number;
  /** Connections open at once; 0 or absent: the process's share (StreamServer). */
  maxConnections?: number;
  /** The process's share of connections, shared by every stream listener. */
  budget?: ConnectionBudget;
  /** Longest line in bytes (`[tcp] max-line-size`); longer ones are skipped and counted. */
  maxLineSize: number;
  /** Config section (`tcp`, `influx`, `opentsdb`): names the listen key, counters and logs. */
  section?: string;
  /** The line protocol (default: Graphite plaintext). */
  format?: LineFormat;
}

/** Accepts a line protocol (Graphite plaintext by default) over TCP through the appender. */
export class TcpReceiver implements StatSource {
  #head: Appendable;
  #maxLineSize: number;
  #server: StreamServer;
  #counts: StreamCounts = { accepted: 0, rejected: 0 };
  #section: string;
  #format?: LineFormat;
  #rejected: RejectedLog;

  constructor(head: Appendable, opts: TcpReceiverOptions) {
    this.#head = head;
    this.#maxLineSize = opts.maxLineSize;
    this.#section = opts.section ?? "tcp";
    this.#format = opts.format;
    this.#rejected = new RejectedLog(this.#section);
    this.#server = new StreamServer(
      { ...opts, key: `${this.#section}.listen` },
      (c) => this.#serve(c),
      new Logger(this.#section),
    );
  }

  /** Binds the listener and starts accepting. */
  start(): void {
    this.#server.start();
  }

  /** The bound address (after start()). */
  get addr(): Deno.NetAddr {
    return this.#server.addr;
  }

  async #serve(c: Connection): Promise<void> {
    const stream = new PlainStream(this.#head.appender(), this.#maxLineSize, {
      counts: this.#counts,
      rejectedLog: { log: this.#rejected, peer: c.peer },
      format: this.#format,
    });
    try {
      while (true) {
        const n = await c.read(stream.readTarget());
        if (n === null) break;
        if (stream.push(n)) c.progress();
      }
    } finally {
      stream.end();
    }
  }

  /** Stops accepting, closes every connection and waits for their handlers. */
  stop(): Promise<void> {
    return this.#server.stop();
  }

  stat(send: StatSend): void {
    receiverStats(send, this.#section, this.#counts, this.#server);
    this.#format?.stat?.(send, this.#section);
  }
}
