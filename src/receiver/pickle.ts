// The pickle receiver (`[pickle] listen`, default `:2004`): frames of a 4-byte big-endian length
// and a pickle of `[(name, (timestamp, value)), ...]`, as carbon clients and relays send them.
// The length is checked against `max-message-size` before the body is read. A frame that does
// not decode (hostile opcodes, garbage) is counted and skipped and the connection goes on; an
// oversize length or a stream cut mid-frame ends the connection. Good points of a frame land
// even when some of its entries are bad (those are counted by reason), as Python carbon does.
// Bounded in memory and time (issue 9): each frame decodes within a budget derived from its
// length (frameBudget(): objects, containers, depth, memo, integer size, points), a frame over
// it is refused and counted by the budget it broke and the connection goes on; the frames of
// all connections share `max-buffered-size` bytes (over it, connections wait with reads
// paused); decoding runs in slices of a few milliseconds that yield to the event loop.

import { Logger } from "../log/logger.ts";
import { RejectedLog } from "./rejected_log.ts";
import { decodePickleFrame, type PointRejectReason } from "../protocol/pickle_metrics.ts";
import { type PickleBudget, PickleBudgetError } from "../protocol/pickle_decode.ts";
import { BudgetClosedError, ByteBudget } from "./byte_budget.ts";
import type { RejectReason } from "../protocol/plaintext.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { Appendable } from "../appender/appender.ts";
import type { StreamCounts } from "./plain_stream.ts";
import { receiverStats } from "./receiver_stats.ts";
import { FrameReader } from "./frame_reader.ts";
import { type Connection, StreamServer } from "../net/stream_server.ts";
import type { ConnectionBudget } from "../net/descriptors.ts";

const log = new Logger("pickle");

/** Options of {@linkcode PickleReceiver}. */
export interface PickleReceiverOptions {
  listen: string;
  readTimeout: number;
  /** Connections open at once; 0 or absent: the process's share (StreamServer). */
  maxConnections?: number;
  /** The process's share of connections, shared by every stream listener. */
  budget?: ConnectionBudget;
  /** Largest frame body in bytes (go-carbon: 64 MiB, Python carbon: 1 MiB). */
  maxMessageSize: number;
  /** Most frame bytes buffered across all connections; over it, connections wait. */
  maxBufferedSize: number;
}

/** Why a whole frame was refused: malformed, framing, or over one of its decoding budgets. */
type FrameReason = "decode" | "too_large" | "truncated" | PickleBudget;
const FRAME_REASONS: FrameReason[] = [
  "decode",
  "too_large",
  "truncated",
  "objects",
  "containers",
  "depth",
  "memo",
  "integer",
  "points",
];

/** A bad entry inside a frame, counted under the plaintext reason it corresponds to. */
const POINT_REASONS: Record<PointRejectReason, RejectReason> = {
  "bad-entry": "fields",
  "bad-name": "bad_name",
  "bad-timestamp": "bad_timestamp",
  "bad-value": "bad_value",
  "non-finite-value": "bad_value",
};

/** Accepts Graphite pickle frames through the appender. */
export class PickleReceiver implements StatSource {
  #head: Appendable;
  #opts: PickleReceiverOptions;
  #server: StreamServer;
  #counts: StreamCounts = { accepted: 0, rejected: 0 };
  #frames = 0;
  #framesRejected = Object.fromEntries(FRAME_REASONS.map((r) => [r, 0])) as Record<
    FrameReason,
    number
  >;
  #rejected = new RejectedLog("pickle");
  #budget: ByteBudget;
  /** Frames being decoded now (their slices interleave with everything else). */
  #decoding = 0;

  constructor(head: Appendable, opts: PickleReceiverOptions) {
    this.#head = head;
    this.#opts = opts;
    this.#budget = new ByteBudget(opts.maxBufferedSize);
    this.#server = new StreamServer({ ...opts, key: "pickle.listen" }, (c) => this.#serve(c), log);
  }

  start(): void {
    this.#server.start();
  }

  get addr(): Deno.NetAddr {
    return this.#server.addr;
  }

  /** Frame bytes buffered now across all connections (at most `max-buffered-size`). */
  get bufferedBytes(): number {
    return this.#budget.used;
  }

  /** Most frame bytes buffered at once since start. */
  get bufferedBytesPeak(): number {
    return this.#budget.peak;
  }

  stop(): Promise<void> {
    this.#budget.close(); // connections waiting for bytes end instead of blocking the stop
    return this.#server.stop();
  }

  async #serve(c: Connection): Promise<void> {
    const frames = new FrameReader(c, this.#opts.maxMessageSize, this.#budget);
    try {
      while (true) {
        const frame = await frames.next();
        if (frame === null) return;
        if ("payload" in frame) {
          c.progress();
          await this.#frame(frame.payload, c.peer);
          c.progress(); // decoding in slices took our time, not the peer's
          continue;
        }
        const detail = frame.error === "too_large"
          ? `frame of ${frame.length} bytes is over pickle.max-message-size ${this.#opts.maxMessageSize}`
          : `stream ended ${frame.have} bytes into a frame`;
        this.#rejectFrame(frame.error, c.peer, detail);
        return; // the rest of the stream cannot be trusted to be framed
      }
    } catch (err) {
      if (!(err instanceof BudgetClosedError)) throw err;
    } finally {
      frames.close();
    }
  }

  /** Decodes one frame (in slices) and commits its points as one batch. */
  async #frame(payload: Uint8Array, peer: string): Promise<void> {
    this.#frames++;
    const names: string[] = [];
    const timestamps: number[] = [];
    const values: number[] = [];
    let stats;
    this.#decoding++;
    try {
      stats = await decodePickleFrame(payload, (name, ts, value) => {
        names.push(name);
        timestamps.push(ts);
        values.push(value);
      });
    } catch (err) {
      const reason: FrameReason = err instanceof PickleBudgetError
        ? err.budget
        : err instanceof RangeError
        ? "points"
        : "decode";
      const detail = err instanceof Error ? err.message : String(err);
      this.#rejectFrame(reason, peer, detail, payload);
      return;
    } finally {
      this.#decoding--;
    }
    const app = this.#head.appender();
    app.appendPoints(names, timestamps, values);
    for (const [reason, n] of Object.entries(stats.rejectedBy) as [PointRejectReason, number][]) {
      if (n > 0) app.reject(POINT_REASONS[reason], n);
    }
    const result = app.commit();
    this.#counts.accepted += result.accepted;
    this.#counts.rejected += result.rejected;
    this.#rejected.note(result, peer, () => {
      const first = (Object.keys(stats.rejectedBy) as PointRejectReason[])
        .find((r) => stats.rejectedBy[r] > 0);
      if (first === undefined || stats.firstRejection === null) return [];
      return [{ reason: POINT_REASONS[first], detail: stats.firstRejection }];
    });
  }

  #rejectFrame(reason: FrameReason, peer: string, detail: string, bytes?: Uint8Array): void {
    this.#framesRejected[reason]++;
    this.#counts.rejected++;
    this.#rejected.noteOne({ reason: `frame_${reason}`, detail, bytes }, peer);
  }

  stat(send: StatSend): void {
    receiverStats(send, "pickle", this.#counts, this.#server);
    send({
      name: "carbonado_pickle_frames_total",
      help: "Pickle frames received.",
      type: "counter",
      value: this.#frames,
      carbon: "pickle.frames",
    });
    for (const reason of FRAME_REASONS) {
      send({
        name: "carbonado_pickle_frames_rejected_total",
        help: "Pickle frames refused whole, by reason.",
        type: "counter",
        value: this.#framesRejected[reason],
        labels: { reason },
        carbon: `pickle.framesRejected.${reason}`,
      });
    }
    send({
      name: "carbonado_pickle_frames_decoding",
      help: "Pickle frames being decoded now (decoding yields to the event loop between slices).",
      type: "gauge",
      value: this.#decoding,
      carbon: "pickle.framesDecoding",
    });
    send({
      name: "carbonado_pickle_buffered_bytes",
      help: "Pickle frame bytes buffered now across all connections (pickle.max-buffered-size).",
      type: "gauge",
      value: this.#budget.used,
      carbon: "pickle.bufferedBytes",
    });
    send({
      name: "carbonado_pickle_buffered_bytes_peak",
      help: "Most pickle frame bytes buffered at once since start.",
      type: "gauge",
      value: this.#budget.peak,
      carbon: "pickle.bufferedBytesPeak",
    });
    send({
      name: "carbonado_pickle_buffer_waits_total",
      help: "Times a pickle connection waited (reads paused) for pickle.max-buffered-size.",
      type: "counter",
      value: this.#budget.waits,
      carbon: "pickle.bufferWaits",
    });
  }
}
