// The head: the in-memory cache behind the appender. It owns the wasm module (through
// src/wasm/), hands out appenders to producers and the drain side to the persister and the
// query side, and sees that one batch at a time is open.

import { WasmDrain } from "../wasm/drain.ts";
import { WasmIngest } from "../wasm/ingest.ts";
import { StructuredIngest } from "../wasm/structured.ts";
import { WasmInstance, type WasmOptions } from "../wasm/instance.ts";
import type { Appendable, Appender, CommitResult } from "./appender.ts";

/** Options of {@linkcode Head.load}. */
export type HeadOptions = WasmOptions;

/** How often empty series idle for a whole interval are dropped from the table. */
export const SERIES_GC_INTERVAL_MS = 10 * 60_000;

/** Points in memory, with one way in (appender()) and one way out (drain). */
export class Head implements Appendable {
  /** The persister's and the query side's view of the cache. */
  readonly drain: WasmDrain;
  #wasm: WasmInstance;
  #ingest: WasmIngest;
  #protocols: StructuredIngest;
  #open: Appender | null = null;
  #gcTimer?: ReturnType<typeof setInterval>;

  private constructor(wasm: WasmInstance) {
    this.#wasm = wasm;
    this.#ingest = new WasmIngest(wasm);
    this.#protocols = new StructuredIngest(wasm, this.#ingest);
    this.drain = new WasmDrain(wasm);
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
      appendPoints: (names, timestamps, values) =>
        this.#claim(app).stagePoints(names, timestamps, values),
      reject: (reason, n = 1) => this.#claim(app).reject(reason, n),
      commit: () => this.#commit(app),
      rollback: () => this.#rollback(app),
      appendInflux: (bytes, opts) => this.#structured(app).parseInflux(bytes, opts),
      appendOpenTsdb: (bytes, opts = {}) => this.#structured(app).parseOpenTsdb(bytes, opts),
      appendRemoteWrite: (body, opts) =>
        this.#structured(app).stageRemoteWrite(body, opts.snappy, opts.maxDecoded),
      staged: () =>
        this.#open === app ? this.#ingest.staged() : { accepted: 0, rejected: 0, overflow: 0 },
    };
    return app;
  }

  /**
   * Drops, every `intervalMs`, the series that hold no point and had none committed for a
   * whole interval (their references are never reused).
   */
  start(intervalMs = SERIES_GC_INTERVAL_MS): void {
    this.#gcTimer = setInterval(() => this.drain.collectGarbage(), intervalMs);
  }

  /** Stops the timer of start(). */
  stop(): void {
    clearInterval(this.#gcTimer);
  }

  /** Empties the cache and zeroes its counters (benchmarks and tests). */
  reset(maxPoints: number): void {
    if (this.#open) this.#rollback(this.#open);
    this.#wasm.reset(maxPoints);
    this.#ingest.reset();
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
    return this.#ingest.commit();
  }

  /** Rolls back `app`'s batch. */
  #rollback(app: Appender): void {
    if (this.#open !== app) return;
    this.#open = null;
    this.#ingest.rollback();
  }
}
