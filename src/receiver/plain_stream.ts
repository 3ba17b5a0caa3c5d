// One line-protocol byte stream (a TCP connection; Graphite plaintext unless another
// LineFormat is given) into the appender: reads land in the stream's own buffer, complete lines
// are appended and committed in one batch per chunk, the partial last line is carried to the
// front of the buffer, and a line longer than the maximum is counted once and skipped up to its
// `\n` while the rest of the stream goes on.

import type { Appender, CommitResult } from "../appender/appender.ts";
import { type LineFormat, PLAINTEXT_LINES } from "./line_format.ts";
import type { FindRejections, RejectedLog } from "./rejected_log.ts";

/** Bytes asked of each read (go-carbon and VictoriaMetrics read 64 KiB at a time). */
export const READ_BYTES = 65_536;

/** Totals a stream adds to: shared by every connection of a receiver. */
export interface StreamCounts {
  /** Points accepted (committed). */
  accepted: number;
  /** Lines rejected. */
  rejected: number;
}

/** Options of {@linkcode PlainStream}. */
export interface PlainStreamOptions {
  /** Totals to add to (a receiver's, shared by its connections). */
  counts?: StreamCounts;
  /** Logs the lines refused, with the peer (rate-limited). */
  rejectedLog?: { log: RejectedLog; peer: string };
  /** The line protocol (default: Graphite plaintext). */
  format?: LineFormat;
}

/** A stream's buffer and line state. */
export class PlainStream {
  #app: Appender;
  #maxLineLen: number;
  #buf = new Uint8Array(READ_BYTES);
  #carry = 0;
  #discarding = false;
  /** What this stream added, into the receiver's totals. */
  readonly counts: StreamCounts;
  #rejectedLog?: { log: RejectedLog; peer: string };
  #format: LineFormat;

  constructor(app: Appender, maxLineLen: number, opts: PlainStreamOptions = {}) {
    this.#app = app;
    this.#maxLineLen = maxLineLen;
    this.counts = opts.counts ?? { accepted: 0, rejected: 0 };
    this.#rejectedLog = opts.rejectedLog;
    this.#format = opts.format ?? PLAINTEXT_LINES;
  }

  /** Where the next read goes: the free part of the stream's buffer. */
  readTarget(): Uint8Array {
    return this.#buf.subarray(this.#carry);
  }

  /**
   * Takes `n` bytes just read into readTarget(), and commits the complete lines; true when a
   * line was completed (the read timeout counts from the last one).
   */
  push(n: number): boolean {
    const len = this.#carry + n;
    let start = 0;
    if (this.#discarding) {
      const lf = this.#buf.subarray(0, len).indexOf(0x0a);
      if (lf < 0) {
        this.#carry = 0;
        return false;
      }
      start = lf + 1;
      this.#discarding = false;
    }
    const chunk = this.#buf.subarray(start, len);
    const opts = { final: false, maxLineLen: this.#maxLineLen };
    const result = this.#format.commit(this.#app, chunk, opts);
    this.#count(result, (max) => this.#format.rejections(chunk, opts, max));
    const consumed = result.consumed;
    const rest = len - start - consumed;
    if (rest > this.#maxLineLen) {
      this.#app.reject("line_too_long");
      const line = chunk.subarray(consumed);
      this.#count(this.#app.commit(), () => [{ reason: "line_too_long", bytes: line }]);
      this.#discarding = true;
      this.#carry = 0;
      return start + consumed > 0;
    }
    if (rest > 0 && start + consumed > 0) this.#buf.copyWithin(0, start + consumed, len);
    this.#carry = rest;
    if (rest + READ_BYTES > this.#buf.length) this.#grow(rest + READ_BYTES);
    return start + consumed > 0;
  }

  /**
   * The peer closed the stream: an unfinished last line is counted as truncated, or taken as
   * a line by formats whose last line needs no `\n`.
   */
  end(): void {
    if (this.#carry > 0 && !this.#discarding) {
      const last = this.#buf.subarray(0, this.#carry);
      if (this.#format.lastLineComplete) {
        const opts = { final: true, maxLineLen: this.#maxLineLen };
        this.#count(
          this.#format.commit(this.#app, last, opts),
          (max) => this.#format.rejections(last, opts, max),
        );
      } else {
        this.#app.reject("truncated");
        this.#count(this.#app.commit(), () => [{ reason: "truncated", bytes: last }]);
      }
    }
    this.#carry = 0;
  }

  #count(result: CommitResult, find: FindRejections): void {
    this.counts.accepted += result.accepted;
    this.counts.rejected += result.rejected;
    if (result.rejected > 0) this.#rejectedLog?.log.note(result, this.#rejectedLog.peer, find);
  }

  #grow(need: number): void {
    let size = this.#buf.length;
    while (size < need) size *= 2;
    const buf = new Uint8Array(size);
    buf.set(this.#buf.subarray(0, this.#carry));
    this.#buf = buf;
  }
}
