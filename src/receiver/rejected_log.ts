// The one log of rejected input, for every protocol (plaintext TCP and UDP, Influx, OpenTSDB,
// pickle, the HTTP ingest routes): each rejected line, point or frame is logged at info with
// the protocol, the peer, the reason and the first bytes of the line escaped, as go-carbon logs
// "parse failed"; at most 10 a minute per protocol, each line saying how many were suppressed
// before it (VictoriaMetrics rate-limits its own the same way). The rejected lines are found
// again in the input with the TS reference parsers, only for the lines that will be logged.

import { Logger, RateLimiter } from "../log/logger.ts";
import type { CommitResult } from "../appender/appender.ts";
import { eachLine } from "../protocol/line_block.ts";

/** Rejections logged per protocol in each window. */
export const REJECTED_LOG_BURST = 10;
/** The window of REJECTED_LOG_BURST (ms). */
export const REJECTED_LOG_WINDOW_MS = 60_000;
/** Bytes of a rejected line shown in the log. */
export const REJECTED_SHOWN_BYTES = 128;

/** One rejection: why, and what was refused (a line's bytes, or words for a non-text unit). */
export interface Rejection {
  reason: string;
  /** The line (or the start of the frame or body) refused. */
  bytes?: Uint8Array;
  /** What was refused, when it is not text (a pickle entry, a JSON data point). */
  detail?: string;
}

/** Finds up to `max` of a batch's rejections in its input (called only to log them). */
export type FindRejections = (max: number) => Rejection[];

/** Logs the rejections of one protocol, rate-limited. */
export class RejectedLog {
  #protocol: string;
  #log: Logger;
  #limit = new RateLimiter(REJECTED_LOG_BURST, REJECTED_LOG_WINDOW_MS);
  #now: () => number;

  /** `now` is the clock of the rate limit (tests move it on). */
  constructor(protocol: string, now: () => number = Date.now) {
    this.#protocol = protocol;
    this.#log = new Logger(protocol);
    this.#now = now;
  }

  /**
   * Logs the refusals of a committed batch, if any and as far as the rate allows: each with
   * the line `find` locates, or its reason alone when it cannot (a failed series).
   */
  note(result: CommitResult, peer: string, find?: FindRejections): void {
    if (result.rejected === 0) return;
    const suppressed: number[] = [];
    for (let i = 0; i < result.rejected; i++) {
      const s = this.#limit.allow(this.#now());
      if (s >= 0) suppressed.push(s);
    }
    if (suppressed.length === 0) return;
    const found = find?.(suppressed.length) ?? [];
    const rest = otherReasons(result, found);
    for (let i = 0; i < suppressed.length; i++) {
      const rejection = found[i] ?? rest.shift();
      if (!rejection) break;
      this.#emit(rejection, peer, suppressed[i]);
    }
  }

  /** Logs one rejection of a whole unit (a frame, a request), if the rate allows. */
  noteOne(rejection: Rejection, peer: string): void {
    const suppressed = this.#limit.allow(this.#now());
    if (suppressed >= 0) this.#emit(rejection, peer, suppressed);
  }

  #emit(rejection: Rejection, peer: string, suppressed: number): void {
    const fields: Record<string, unknown> = {
      protocol: this.#protocol,
      peer,
      reason: rejection.reason,
    };
    if (rejection.bytes) {
      fields.line = escapeBytes(rejection.bytes.subarray(0, REJECTED_SHOWN_BYTES));
      fields.bytes = rejection.bytes.length;
    }
    if (rejection.detail !== undefined) fields.detail = rejection.detail;
    fields.suppressed = suppressed;
    this.#log.info("rejected", fields);
  }
}

/** The batch's reasons not accounted for by `found`, one entry per rejection (bounded). */
function otherReasons(result: CommitResult, found: Rejection[]): Rejection[] {
  const left: Record<string, number> = { ...result.rejectedBy };
  for (const r of found) if (left[r.reason]) left[r.reason]--;
  const out: Rejection[] = [];
  for (const [reason, n] of Object.entries(left)) {
    for (let i = 0; i < n && out.length < REJECTED_LOG_BURST; i++) out.push({ reason });
  }
  return out;
}

/**
 * The lines of `chunk` a reference parser refuses, at most `max`: `check` gives a line's reason
 * (or undefined when it is good); a line over `maxLineLen` is `line_too_long`; with `final`,
 * a last line without `\n` counts as a line.
 */
export function findRejectedLines(
  chunk: Uint8Array,
  opts: { final: boolean; maxLineLen: number },
  max: number,
  check: (line: Uint8Array) => string | undefined,
): Rejection[] {
  const out: Rejection[] = [];
  const visit = (start: number, end: number) => {
    if (out.length >= max) return;
    const line = chunk.subarray(start, end);
    const reason = end - start > opts.maxLineLen ? "line_too_long" : check(line);
    if (reason !== undefined) out.push({ reason, bytes: line });
  };
  let start = 0;
  const consumed = eachLine(chunk, Infinity, (line) => {
    visit(start, start + line.length);
    start += line.length + 1;
  }, () => {});
  if (opts.final && consumed < chunk.length) visit(consumed, chunk.length);
  return out;
}

/**
 * Bytes as text a log can show: printable ASCII as is, a backslash doubled, any other byte
 * `\xNN` (go-carbon shows the line quoted; a binary line here stays one readable line).
 *
 * @example
 * ```ts
 * escapeBytes(new TextEncoder().encode("a.b 1\t2\n")); // "a.b 1\\x092\\x0a"
 * ```
 */
export function escapeBytes(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    if (b === 0x5c) out += "\\\\";
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}
