// The one way in, in the shape of Prometheus' storage.Appender: a producer appends points to a
// batch, then commit()s it (the write-ahead log first, then the cache) or rolls it back (no
// trace anywhere: cache, log, queries, counters). Every producer uses it: the plaintext
// receivers, pickle, self-metrics, and whatever protocol comes next.

import type { RejectReason } from "../protocol/plaintext.ts";
import type { InfluxParseOptions, LineChunkOptions, RemoteWriteSkips } from "../wasm/structured.ts";
import type { ExpositionCounts, ExpositionOptions, ScrapeCache } from "../wasm/exposition.ts";

/** What a committed batch came to. */
export interface CommitResult {
  /** Points admitted and now in the cache: what a receiver counts as received. */
  accepted: number;
  /** Lines and points refused (parse errors, bad names, failed series, producer rejections). */
  rejected: number;
  /** Points dropped because the cache was full. */
  overflow: number;
  /** The refusals by reason, present only when there were some. */
  rejectedBy?: Partial<Record<RejectReason, number>>;
}

/**
 * A batch of points on its way into the cache. A batch is open from its first append until
 * commit() or rollback(), and must be closed before the producer awaits anything: one batch is
 * open at a time, and appending to a second one throws.
 *
 * @example
 * ```ts
 * const app = head.appender();
 * const consumed = app.appendPlain(chunk); // complete lines only; keep the rest
 * const { accepted } = app.commit();
 * ```
 */
export interface Appender {
  /**
   * Parses the complete plaintext lines of `bytes` (one wasm call per chunk) and adds their
   * points to the batch. Returns the bytes consumed: the partial last line is the caller's to
   * carry into the next chunk. The bytes are copied: the caller may reuse its buffer at once.
   */
  appendPlain(bytes: Uint8Array): number;
  /**
   * appendPlain() then commit() in one step: the plaintext hot path. With nothing appended
   * before and no log, the points are applied in the same pass that parses them.
   */
  commitPlain(bytes: Uint8Array): CommitResult & { consumed: number };
  /** Adds points given as values (structured protocols); names are checked as plaintext's. */
  appendPoints(
    names: readonly string[],
    timestamps: ArrayLike<number>,
    values: ArrayLike<number>,
  ): void;
  /** Counts `n` lines or points the producer refused itself (counted on commit). */
  reject(reason: RejectReason, n?: number): void;
  /** Writes the batch to the log, applies it to the cache, and reports what it came to. */
  commit(): CommitResult;
  /** Drops the batch. */
  rollback(): void;
  /**
   * Parses the complete Influx lines of `bytes` (every line when `final`) in the module and
   * adds their points to the batch; returns the bytes consumed (the rest is the caller's to
   * carry) and the string fields skipped.
   */
  appendInflux(
    bytes: Uint8Array,
    opts: InfluxParseOptions & LineChunkOptions,
  ): { consumed: number; skipped: number };
  /** As appendInflux(), for OpenTSDB telnet `put` lines; returns the bytes consumed. */
  appendOpenTsdb(bytes: Uint8Array, opts?: LineChunkOptions): number;
  /**
   * Decodes a remote_write body (a snappy block unless `snappy` is false) in the module and
   * adds its samples to the batch. Throws SyntaxError when it does not decode (roll back),
   * RangeError when it would decode to more than `maxDecoded` bytes.
   */
  appendRemoteWrite(
    body: Uint8Array,
    opts: { snappy: boolean; maxDecoded: number },
  ): RemoteWriteSkips;
  /** What the batch comes to so far (before commit()): a full cache shows as overflow. */
  staged(): CommitResult;
  /**
   * Parses a scraped Prometheus exposition body in the module and adds its samples to the
   * batch, naming new series through `cache` and `opts.name`. On `error` or `limitExceeded`
   * the batch holds part of the body: roll it back.
   */
  appendExposition(
    body: Uint8Array,
    cache: ScrapeCache,
    opts: ExpositionOptions,
  ): ExpositionCounts;
}

/** What hands out appenders (Prometheus' storage.Appendable). */
export interface Appendable {
  appender(): Appender;
}
