// Drain and read: the wasm side of the persister and the query side. Snapshots the series ready
// for writing in write-strategy order, pops their points and confirms them once persisted,
// reads what a query should see, names and references series, and reads the cache counters.

import { REJECT_REASONS, type RejectReason } from "../protocol/plaintext.ts";
import type { WasmInstance } from "./instance.ts";

/** A snapshot of the cache's own counters. */
export interface CacheCounters {
  /** Points admitted and committed to the cache. */
  accepted: number;
  /** Points dropped because the cache was full. */
  overflow: number;
  /** Points waiting in the cache. */
  cachedPoints: number;
  /** Points popped for writing and not yet confirmed. */
  notConfirmed: number;
  series: number;
  /** Empty idle series dropped by collectGarbage(). */
  collectedSeries: number;
  /** Names kept as they came because their tags break carbon's rules (not rejected). */
  tagsInvalid: number;
  /** Bytes of linear memory handed out by the wasm heap. */
  heapBytes: number;
  /** Rejected lines by reason. */
  rejected: Record<RejectReason, number>;
}

/** go-carbon's `[cache] write-strategy`: most points first, oldest first, or table order. */
export type WriteStrategy = "max" | "sorted" | "noop";
const STRATEGIES: Record<WriteStrategy, number> = { noop: 0, max: 1, sorted: 2 };
const SNAPSHOT_ALL = 3;

/** Points as parallel arrays: one value per second, in order of first arrival. */
export interface Points {
  timestamps: Uint32Array;
  values: Float64Array;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The cache as the persister and the query side see it. */
export class WasmDrain {
  #wasm: WasmInstance;

  constructor(wasm: WasmInstance) {
    this.#wasm = wasm;
  }

  /** Bytes of linear memory the instance holds: it only grows, so this is its high-water mark. */
  get linearMemoryBytes(): number {
    return this.#wasm.ex.memory.buffer.byteLength;
  }

  /** Reads the cache counters. */
  counters(): CacheCounters {
    const base = this.#wasm.ex.countersPtr();
    const slot = (i: number) => Number(this.#wasm.view.getBigUint64(base + i * 8, true));
    const L = this.#wasm.layout;
    const rejected = {} as Record<RejectReason, number>;
    REJECT_REASONS.forEach((reason, i) => rejected[reason] = slot(L.COUNTER_REJECTED + i));
    return {
      accepted: slot(L.COUNTER_ACCEPTED),
      overflow: slot(L.COUNTER_OVERFLOW),
      cachedPoints: slot(L.COUNTER_CACHED_POINTS),
      notConfirmed: slot(L.COUNTER_NOT_CONFIRMED),
      series: slot(L.COUNTER_SERIES),
      collectedSeries: slot(L.COUNTER_GC_SERIES),
      tagsInvalid: slot(L.COUNTER_TAGS_INVALID),
      heapBytes: slot(L.COUNTER_HEAP_BYTES),
      rejected,
    };
  }

  /** The series named `name`, or 0 when the cache holds none. */
  lookup(name: string): number {
    const scratch = this.#wasm.ex.nameScratchPtr();
    const max = this.#wasm.layout.MAX_NAME_LEN;
    const { read, written } = encoder.encodeInto(
      name,
      this.#wasm.u8.subarray(scratch, scratch + max),
    );
    if (read < name.length) return 0; // longer than any name the cache accepts
    return this.#wasm.ex.lookup(written);
  }

  /** The name of a series. */
  seriesName(series: number): string {
    const len = this.#wasm.view.getUint16(series + this.#wasm.layout.SER_NAME_LEN, true);
    const start = series + this.#wasm.layout.SER_NAME;
    return decoder.decode(this.#wasm.u8.subarray(start, start + len));
  }

  /** A series' stable reference: never reused while the process runs (what the WAL names). */
  seriesRef(series: number): bigint {
    return this.#wasm.ex.seriesRef(series);
  }

  /**
   * Marks a series as failing for good, so that its points are refused and counted under
   * `series_failed` before they reach the cache (or clears the mark).
   */
  setFailed(series: number, failed: boolean): void {
    this.#wasm.ex.setFailed(series, failed ? 1 : 0);
  }

  /**
   * Drops every series that holds no point, is not marked failed and had no point committed
   * since the previous call; returns how many. A handle of a dropped series is invalid.
   */
  collectGarbage(): number {
    return this.#wasm.ex.collectGarbage();
  }

  /**
   * Lists the series ready for writing: every series with cached points and none awaiting
   * confirmation, ordered by `strategy`. Returns parallel arrays (series handle, point count,
   * oldest cached timestamp).
   */
  snapshot(
    strategy: WriteStrategy = "noop",
  ): { series: Uint32Array; counts: Uint32Array; oldest: Uint32Array } {
    return this.#snapshot(STRATEGIES[strategy]);
  }

  /** Every series in the cache, whatever its state. */
  allSeries(): Uint32Array {
    return this.#snapshot(SNAPSHOT_ALL).series;
  }

  /**
   * Series committed since the last call, or null when more were created than the module keeps
   * track of (then list allSeries()). A handle may have been collected since: check it with
   * lookup(seriesName(handle)) before trusting its name.
   */
  takeNewSeries(): Uint32Array | null {
    const n = this.#wasm.ex.takeNewSeries();
    if (n < 0) return null;
    const base = this.#wasm.ex.newSeriesPtr();
    return new Uint32Array(this.#wasm.buffer.slice(base, base + n * 4));
  }

  #snapshot(strategy: number): { series: Uint32Array; counts: Uint32Array; oldest: Uint32Array } {
    const n = this.#wasm.ex.snapshot(strategy);
    if (n < 0) throw new RangeError("Cannot snapshot the cache: wasm memory is full");
    const L = this.#wasm.layout;
    const base = this.#wasm.ex.snapPtr();
    const series = new Uint32Array(n), counts = new Uint32Array(n), oldest = new Uint32Array(n);
    const words = new Uint32Array(this.#wasm.buffer, base, (n * L.SNAP_SIZE) / 4);
    const stride = L.SNAP_SIZE / 4;
    for (let i = 0; i < n; i++) {
      series[i] = words[i * stride + L.SNAP_SERIES / 4];
      counts[i] = words[i * stride + L.SNAP_COUNT / 4];
      oldest[i] = words[i * stride + L.SNAP_MIN_TS / 4];
    }
    return { series, counts, oldest };
  }

  /**
   * Pops a series' points for writing into the output region (read them with copyOut() before
   * the next pop() or read()); they stay readable through read() until confirm(). Returns the
   * number of points, or -1 when the series still has points awaiting confirmation.
   */
  pop(series: number): number {
    const n = this.#wasm.ex.pop(series);
    if (n < -1) throw new RangeError("Cannot pop points from the cache: wasm memory is full");
    return n;
  }

  /** Releases a series' popped points once they are persisted (the series stays). */
  confirm(series: number): void {
    this.#wasm.ex.confirm(series);
  }

  /**
   * Frees every point of a series, popped and cached, whose file cannot be written (the
   * persister gave up on it); they no longer count against max-size. Returns how many.
   */
  dropPoints(series: number): number {
    return this.#wasm.ex.dropPoints(series);
  }

  /**
   * Puts every point a reader should see for a series (popped-but-unconfirmed, then cached) in
   * the output region; returns how many. Read them with copyOut().
   */
  read(series: number): number {
    const n = this.#wasm.ex.read(series);
    if (n < 0) throw new RangeError("Cannot read points from the cache: wasm memory is full");
    return n;
  }

  /** Copies `n` points of the output region into the arrays, from index `offset` on. */
  copyOut(n: number, timestamps: Uint32Array, values: Float64Array, offset = 0): void {
    const L = this.#wasm.layout;
    const base = this.#wasm.ex.outPtr();
    const view = this.#wasm.view;
    for (let i = 0; i < n; i++) {
      const o = base + i * L.OUT_SIZE;
      timestamps[offset + i] = view.getUint32(o + L.OUT_TS, true);
      values[offset + i] = view.getFloat64(o + L.OUT_VALUE, true);
    }
  }

  /** read() and copyOut() into new arrays. */
  points(series: number): Points {
    const n = this.read(series);
    const points = { timestamps: new Uint32Array(n), values: new Float64Array(n) };
    this.copyOut(n, points.timestamps, points.values);
    return points;
  }
}
