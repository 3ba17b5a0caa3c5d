// The head: the in-memory cache behind the appender. It owns the wasm module (through
// src/wasm/), hands out appenders to producers and the drain side to the persister and the
// query side, and sees that one batch at a time is open. With a write-ahead log, a commit is
// logged first (one write of the batch's framed records) and applied second; the log is
// replayed into the cache at open and checkpointed on a timer and by size.

import { type PositionedRecord, readRecords } from "../wal/reader.ts";
import { Replay } from "../wal/replay.ts";
import type { SegmentFile } from "../wal/segments.ts";
import { Wal, type WalOptions } from "../wal/wal.ts";
import { WasmDrain } from "../wasm/drain.ts";
import { ExpositionIngest, type ScrapeCache } from "../wasm/exposition.ts";
import { WasmIngest } from "../wasm/ingest.ts";
import { StructuredIngest } from "../wasm/structured.ts";
import { WasmInstance, type WasmOptions } from "../wasm/instance.ts";
import { WalCodec } from "../wasm/wal_codec.ts";
import type { Appendable, Appender, CommitResult } from "./appender.ts";

/** Options of {@linkcode Head.load}. */
export type HeadOptions = WasmOptions;

/** How often empty series idle for a whole interval are dropped from the table. */
export const SERIES_GC_INTERVAL_MS = 10 * 60_000;

/** `[wal]` as the head uses it. */
export interface HeadWalOptions extends WalOptions {
  /** Checkpoint at least this often (ms). */
  checkpointInterval: number;
  /** Checkpoint once this many bytes were logged since the last one. */
  checkpointSize: number;
}

/** The log of a head: its writer and what its replay found. */
export interface HeadWal {
  wal: Wal;
  replay: Replay;
}

/** Points in memory, with one way in (appender()) and one way out (drain). */
export class Head implements Appendable {
  /** The persister's and the query side's view of the cache. */
  readonly drain: WasmDrain;
  #wasm: WasmInstance;
  #ingest: WasmIngest;
  #protocols: StructuredIngest;
  #codec: WalCodec;
  #exposition: ExpositionIngest;
  #open: Appender | null = null;
  #gcTimer?: ReturnType<typeof setInterval>;
  #wal: Wal | null = null;
  #walOpts?: HeadWalOptions;
  #checkpointDue = false;

  private constructor(wasm: WasmInstance) {
    this.#wasm = wasm;
    this.#ingest = new WasmIngest(wasm);
    this.#protocols = new StructuredIngest(wasm, this.#ingest);
    this.#codec = new WalCodec(wasm);
    this.#exposition = new ExpositionIngest(wasm, this.#ingest);
    this.drain = new WasmDrain(wasm);
  }

  /**
   * Opens the write-ahead log: replays its last checkpoint and the segments after it into the
   * (empty) cache, then starts a new segment. From then on every commit is logged before it
   * is applied. Call before any producer appends.
   */
  openWal(opts: HeadWalOptions): HeadWal {
    const page = this.#codec.pageSize;
    if (opts.segmentSize % page !== 0) {
      throw new RangeError(
        `Invalid wal.segment-size: ${opts.segmentSize} is not a multiple of ${page} (the page)`,
      );
    }
    const wal = Wal.open(opts);
    const replay = new Replay(opts.dir, this.#codec);
    replay.run();
    wal.startWriting();
    this.#wal = wal;
    this.#walOpts = opts;
    return { wal, replay };
  }

  /** Loads the wasm module with an empty cache. */
  static async load(opts: HeadOptions): Promise<Head> {
    return new Head(await WasmInstance.load(opts));
  }

  /** Longest accepted plaintext line in bytes. */
  get maxLineLen(): number {
    return this.#wasm.maxLineLen;
  }

  /** A new appender; each producer (connection, frame, round) takes its own. */
  appender(): Appender {
    const app: Appender = {
      appendPlain: (bytes) => this.#claim(app).parsePlain(bytes),
      commitPlain: (bytes) => {
        const direct = this.#open === null && this.#wal === null;
        const consumed = this.#claim(app).parsePlain(bytes, direct);
        return { consumed, ...this.#commit(app) };
      },
      appendPoints: (names, timestamps, values) =>
        this.#claim(app).stagePoints(names, timestamps, values),
      reject: (reason, n = 1) => this.#claim(app).reject(reason, n),
      commit: () => this.#commit(app),
      rollback: () => this.#rollback(app),
      appendExposition: (body, cache, opts) => {
        this.#claim(app);
        return this.#exposition.append(body, cache, opts);
      },
      appendInflux: (bytes, opts) => this.#structured(app).parseInflux(bytes, opts),
      appendOpenTsdb: (bytes, opts = {}) => this.#structured(app).parseOpenTsdb(bytes, opts),
      appendRemoteWrite: (body, opts) =>
        this.#structured(app).stageRemoteWrite(body, opts.snappy, opts.maxDecoded),
      staged: () =>
        this.#open === app ? this.#ingest.staged() : { accepted: 0, rejected: 0, overflow: 0 },
    };
    return app;
  }

  /** A new scrape cache for a target (appendExposition()); free() it when done. */
  scrapeCache(): ScrapeCache {
    return this.#exposition.newCache();
  }

  /**
   * Drops, every `intervalMs`, the series that hold no point and had none committed for a
   * whole interval (their references are never reused).
   */
  start(intervalMs = SERIES_GC_INTERVAL_MS): void {
    // with a log, checkpoints collect garbage: their series records list only live series
    const wal = this.#walOpts;
    this.#gcTimer = wal
      ? setInterval(() => this.checkpoint(), wal.checkpointInterval)
      : setInterval(() => this.drain.collectGarbage(), intervalMs);
  }

  /** Stops the timer of start(). */
  stop(): void {
    clearInterval(this.#gcTimer);
  }

  /**
   * Checkpoints the log: drops empty idle series, writes the cache as records and deletes the
   * segments the checkpoint covers. False without a log or when the checkpoint failed.
   */
  checkpoint(): boolean {
    const wal = this.#wal;
    if (!wal || this.#open) return false;
    this.#checkpointDue = false;
    this.drain.collectGarbage();
    const codec = this.#codec;
    codec.checkpointBegin(wal.checkpointBudget());
    return wal.checkpoint(() => codec.checkpointNext(), () => codec.checkpointDropped());
  }

  /**
   * The records of a segment of the log (or of a checkpoint) from `offset`, decoded: the reader
   * API of the log's other readers (a remote_write sender, relay queues). Synchronous.
   */
  walRecords(file: SegmentFile, offset = 0): PositionedRecord[] {
    return readRecords(this.#codec, file, { offset });
  }

  /** Checkpoints (when the cache is empty or `always`), fsyncs and closes the log. */
  closeWal(always: boolean): void {
    const wal = this.#wal;
    if (!wal) return;
    const c = this.drain.counters();
    if (always || c.cachedPoints + c.notConfirmed === 0) this.checkpoint();
    wal.close();
    this.#wal = null;
  }

  /** Empties the cache and zeroes its counters (benchmarks and tests). */
  reset(maxPoints: number): void {
    if (this.#open) this.#rollback(this.#open);
    this.#wasm.reset(maxPoints);
    this.#ingest.reset();
    this.#exposition.reset();
    this.#protocols.reset();
  }

  /** Opens the batch for `app` (as #claim()) for the structured protocols. */
  #structured(app: Appender): StructuredIngest {
    this.#claim(app);
    return this.#protocols;
  }

  /** Opens the batch for `app`, or throws when another appender's batch is open. */
  #claim(app: Appender): WasmIngest {
    if (this.#open !== app) {
      if (this.#open !== null) {
        throw new Error(
          "Cannot append: another batch is open (commit or roll back before awaiting)",
        );
      }
      this.#open = app;
    }
    return this.#ingest;
  }

  /** Commits `app`'s batch; an appender that appended nothing commits an empty batch. */
  #commit(app: Appender): CommitResult {
    if (this.#open !== app) return { accepted: 0, rejected: 0, overflow: 0 };
    this.#open = null;
    const wal = this.#wal;
    if (wal) {
      try {
        this.#log(wal);
      } catch (err) {
        const dropped = this.#ingest.staged().accepted;
        wal.failed(dropped, err);
        return this.#ingest.abandon("wal_write");
      }
      if (wal.sinceCheckpoint >= this.#walOpts!.checkpointSize) this.#checkpointSoon();
    }
    return this.#ingest.commit();
  }

  /** Checkpoints once the current task is done (a batch may be open until then). */
  #checkpointSoon(): void {
    if (this.#checkpointDue) return;
    this.#checkpointDue = true;
    setTimeout(() => this.checkpoint(), 0);
  }

  /**
   * Writes the open batch to the log: one write, in a new segment if it does not fit (a full
   * segment also calls for a checkpoint, which lets the segments before it go).
   */
  #log(wal: Wal): void {
    let bytes = this.#codec.encodeBatch(wal.offset, wal.segmentSize);
    if (bytes === null) {
      wal.cut();
      this.#checkpointSoon();
      bytes = this.#codec.encodeBatch(0, wal.segmentSize);
      if (bytes === null) {
        throw new RangeError(`A batch is larger than wal.segment-size ${wal.segmentSize}`);
      }
    }
    if (bytes.length > 0) wal.append(bytes);
  }

  /** Rolls back `app`'s batch. */
  #rollback(app: Appender): void {
    if (this.#open !== app) return;
    this.#open = null;
    this.#ingest.rollback();
  }
}
