// How the bytes of a line protocol enter the appender, for the stream and datagram receivers:
// Graphite plaintext, Influx line protocol and OpenTSDB telnet lines share the carrying of
// partial lines and the skipping of long ones (PlainStream) and differ only here.

import type { Appender, CommitResult } from "../appender/appender.ts";
import type { StatSend } from "../stats/sample.ts";
import type { InfluxParseOptions } from "../wasm/structured.ts";
import { parsePlainLine } from "../protocol/plaintext.ts";
import { parseInfluxLine } from "../protocol/influx.ts";
import { parseTsdbLine } from "../protocol/opentsdb.ts";
import { findRejectedLines, type Rejection } from "./rejected_log.ts";

/** How a chunk is read: whether it ends the input, and the longest line. */
export interface ChunkOptions {
  final: boolean;
  maxLineLen: number;
}

/** What committing a chunk of lines came to, and the bytes of it consumed. */
export type ChunkResult = CommitResult & { consumed: number };

/** A line protocol as the receivers see it. */
export interface LineFormat {
  /**
   * Appends the complete lines of `bytes` (every line when `final`: the last needs no `\n`;
   * lines over `maxLineLen` bytes refused) and commits them; returns what the batch came to
   * and the bytes consumed.
   */
  commit(app: Appender, bytes: Uint8Array, opts: ChunkOptions): ChunkResult;
  /**
   * Whether a last line without `\n`, at the end of a stream or a datagram, is a line (Influx,
   * OpenTSDB, as VictoriaMetrics reads them) or is truncated (Graphite, as go-carbon counts it).
   */
  readonly lastLineComplete: boolean;
  /**
   * Up to `max` lines of `bytes` that commit() refused, found again with the TS reference
   * parser (to log them; off the hot path).
   */
  rejections(bytes: Uint8Array, opts: ChunkOptions, max: number): Rejection[];
  /** Counters of the format itself, labelled with the receiver's protocol. */
  stat?(send: StatSend, protocol: string): void;
}

/** Graphite plaintext: `name value timestamp` (parsed and applied in one pass when it can). */
export const PLAINTEXT_LINES: LineFormat = {
  commit: (app, bytes) => app.commitPlain(bytes), // the module's limit: tcp.max-line-size
  lastLineComplete: false,
  rejections: (bytes, opts, max) =>
    findRejectedLines(bytes, opts, max, (line) => {
      const parsed = parsePlainLine(line, Infinity);
      return parsed !== null && "reason" in parsed ? parsed.reason : undefined;
    }),
};

/** OpenTSDB telnet: `put metric timestamp value k=v...`. */
export const OPENTSDB_LINES: LineFormat = {
  commit: (app, bytes, opts) => {
    const consumed = app.appendOpenTsdb(bytes, opts);
    return { ...app.commit(), consumed };
  },
  lastLineComplete: true,
  rejections: (bytes, opts, max) =>
    findRejectedLines(bytes, opts, max, (line) => {
      let reason: string | undefined;
      parseTsdbLine(line, Math.floor(Date.now() / 1000), {
        point: () => {},
        reject: (r) => reason ??= r,
      });
      return reason;
    }),
};

/** Influx line protocol with fixed options; counts the string fields it skipped. */
export class InfluxLines implements LineFormat {
  readonly lastLineComplete = true;
  #opts: InfluxParseOptions;
  /** String fields that held no number, skipped. */
  stringsSkipped = 0;

  constructor(opts: InfluxParseOptions) {
    this.#opts = opts;
  }

  commit(app: Appender, bytes: Uint8Array, opts: ChunkOptions): ChunkResult {
    const { consumed, skipped } = app.appendInflux(bytes, { ...this.#opts, ...opts });
    this.stringsSkipped += skipped;
    return { ...app.commit(), consumed };
  }

  rejections(bytes: Uint8Array, opts: ChunkOptions, max: number): Rejection[] {
    return influxRejections(bytes, this.#opts, opts, max);
  }

  stat(send: StatSend, protocol: string): void {
    stringsSkippedStat(send, protocol, this.stringsSkipped);
  }
}

/** Sends the count of Influx string fields skipped by a receiver of `protocol`. */
export function stringsSkippedStat(send: StatSend, protocol: string, value: number): void {
  send({
    name: "carbonado_influx_strings_skipped_total",
    help: "Influx string fields that hold no number, skipped (not refused), by protocol.",
    type: "counter",
    value,
    labels: { protocol },
    carbon: `${protocol}.stringsSkipped`,
  });
}

/** Up to `max` Influx lines of `bytes` the reference parser refuses (to log them). */
export function influxRejections(
  bytes: Uint8Array,
  influx: InfluxParseOptions,
  opts: ChunkOptions,
  max: number,
): Rejection[] {
  const now = Math.floor(Date.now() / 1000);
  return findRejectedLines(bytes, opts, max, (line) => {
    let reason: string | undefined;
    parseInfluxLine(line, { ...influx, now }, { point: () => {}, reject: (r) => reason ??= r });
    return reason;
  });
}
