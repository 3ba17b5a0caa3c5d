// The only owner of the WebAssembly instance and its memory: loads build/carbonado.wasm, keeps
// typed views over linear memory (rebuilt whenever memory.grow has detached them), finishes the
// rare batch records the wasm parser hands back, and exposes the cache's ingest and drain calls.

import { parsePlainLine, REJECT_REASONS, type RejectReason } from "../protocol/plaintext.ts";

interface CacheExports {
  memory: WebAssembly.Memory;
  init(maxPoints: number, maxLineLen: number): void;
  countersPtr(): number;
  allocBuffer(size: number): number;
  freeBuffer(ptr: number, size: number): void;
  ingest(ptr: number, len: number): number;
  pendingFixups(): number;
  stoppedEarly(): number;
  batchPtr(): number;
  batchLength(): number;
  apply(): number;
  acceptedLast(): number;
  rejectedLast(): number;
  countRejected(reason: number, n: number): void;
  prepare(count: number): void;
  nameScratchPtr(): number;
  lookup(len: number): number;
  outPtr(): number;
  snapPtr(): number;
  pop(series: number): number;
  confirm(series: number): void;
  read(series: number): number;
  snapshot(strategy: number): number;
  newSeriesPtr(): number;
  takeNewSeries(): number;
}

/** Layout constants exported by the module (assembly/layout.ts). */
const CONSTANTS = [
  "BATCH_RECORDS",
  "COUNTER_ACCEPTED",
  "COUNTER_CACHED_POINTS",
  "COUNTER_HEAP_BYTES",
  "COUNTER_NOT_CONFIRMED",
  "COUNTER_OVERFLOW",
  "COUNTER_REJECTED",
  "COUNTER_SERIES",
  "COUNTER_SLOTS",
  "INPUT_PADDING",
  "MAX_NAME_LEN",
  "OUT_SIZE",
  "OUT_TS",
  "OUT_VALUE",
  "REASON_COUNT",
  "REC_FIXUP",
  "REC_LINE_LEN",
  "REC_NAME",
  "REC_NAME_LEN",
  "REC_REJECTED",
  "REC_SIZE",
  "REC_STATUS",
  "REC_TS",
  "REC_VALUE",
  "SER_NAME",
  "SER_NAME_LEN",
  "SNAP_COUNT",
  "SNAP_MIN_TS",
  "SNAP_SERIES",
  "SNAP_SIZE",
] as const;

type Layout = Record<typeof CONSTANTS[number], number>;

/** A snapshot of the cache's own counters. */
export interface CacheCounters {
  /** Points parsed and offered to the cache (overflow included). */
  accepted: number;
  /** Points dropped because the cache was full. */
  overflow: number;
  /** Points waiting in the cache. */
  cachedPoints: number;
  /** Points popped for writing and not yet confirmed. */
  notConfirmed: number;
  series: number;
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

/** Options of {@linkcode WasmCache.load}. */
export interface WasmCacheOptions {
  /** Cache limit in points (go-carbon's `[cache] max-size`). */
  maxPoints: number;
  /** Longest accepted line in bytes. */
  maxLineLen: number;
  /** Load the debug build (assertions on), as tests do. */
  debug?: boolean;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
/** Bytes of wasm memory for the names of one addPoints() batch. */
const STAGING_BYTES = 1 << 20;

/** The wasm shard-table cache and plaintext parser. */
export class WasmCache {
  /** Record layout and counter slots, read from the module. */
  readonly layout: Layout;
  readonly maxLineLen: number;
  #ex: CacheExports;
  #buffer: ArrayBuffer;
  #u8: Uint8Array;
  #view: DataView;
  #lastAccepted = 0;
  #lastRejected = 0;
  #staging = 0;

  private constructor(ex: CacheExports, layout: Layout, maxLineLen: number) {
    this.#ex = ex;
    this.layout = layout;
    this.maxLineLen = maxLineLen;
    this.#buffer = ex.memory.buffer as ArrayBuffer;
    this.#u8 = new Uint8Array(this.#buffer);
    this.#view = new DataView(this.#buffer);
  }

  /** Instantiates the module and sets up an empty cache. */
  static async load(opts: WasmCacheOptions): Promise<WasmCache> {
    const file = opts.debug ? "carbonado.debug.wasm" : "carbonado.wasm";
    const url = new URL(`../../build/${file}`, import.meta.url);
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await Deno.readFile(url);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      throw new Error(`Cannot load ${url.pathname}: run "deno task build" first`);
    }
    const module = await WebAssembly.compile(bytes);
    const instance = await WebAssembly.instantiate(module, {
      env: {
        abort(msg: number, file: number, line: number, column: number) {
          throw new Error(`wasm abort at ${file}:${line}:${column} (message at ${msg})`);
        },
      },
    });
    const ex = instance.exports as unknown as CacheExports;
    const raw = instance.exports as Record<string, unknown>;
    const layout = {} as Layout;
    for (const name of CONSTANTS) layout[name] = (raw[name] as WebAssembly.Global).value;
    if (layout.REASON_COUNT !== REJECT_REASONS.length) {
      throw new Error("build/carbonado.wasm does not match src/: run deno task build");
    }
    ex.init(opts.maxPoints, opts.maxLineLen);
    return new WasmCache(ex, layout, opts.maxLineLen);
  }

  /**
   * Empties the cache and zeroes its counters (benchmarks and tests). Every buffer handed out
   * before is gone with the heap.
   */
  reset(maxPoints: number): void {
    this.#ex.init(maxPoints, this.maxLineLen);
    this.#staging = 0;
    this.#refresh();
  }

  #refresh(): void {
    if (this.#ex.memory.buffer !== this.#buffer) {
      this.#buffer = this.#ex.memory.buffer as ArrayBuffer;
      this.#u8 = new Uint8Array(this.#buffer);
      this.#view = new DataView(this.#buffer);
    }
  }

  /** A view of `len` bytes of linear memory at `ptr`, valid until the next call that allocates. */
  bytes(ptr: number, len: number): Uint8Array {
    this.#refresh();
    return this.#u8.subarray(ptr, ptr + len);
  }

  /** Moves `len` bytes from `src` to `dst` inside linear memory. */
  copyWithin(dst: number, src: number, len: number): void {
    this.#refresh();
    this.#u8.copyWithin(dst, src, src + len);
  }

  /** Allocates an input buffer of `size` bytes in linear memory. */
  allocBuffer(size: number): number {
    const ptr = this.#ex.allocBuffer(size);
    this.#refresh();
    if (ptr === 0) {
      throw new RangeError(`Cannot allocate a ${size}-byte input buffer: wasm memory is full`);
    }
    return ptr;
  }

  freeBuffer(ptr: number, size: number): void {
    this.#ex.freeBuffer(ptr, size);
  }

  /**
   * Parses the complete plaintext lines in [ptr, ptr + len) and adds their points to the cache.
   * Returns the bytes consumed; see lastAccepted / lastRejected for what the lines gave.
   */
  ingest(ptr: number, len: number): number {
    let consumed = 0;
    this.#lastAccepted = 0;
    this.#lastRejected = 0;
    do {
      consumed += this.#ex.ingest(ptr + consumed, len - consumed);
      if (this.#ex.pendingFixups() > 0) {
        this.#refresh();
        this.#fixup();
        this.#ex.apply();
      }
      this.#lastAccepted += this.#ex.acceptedLast();
      this.#lastRejected += this.#ex.rejectedLast();
    } while (this.#ex.stoppedEarly() !== 0);
    this.#refresh();
    return consumed;
  }

  /** Points accepted by the last ingest(). */
  get lastAccepted(): number {
    return this.#lastAccepted;
  }

  /** Lines rejected by the last ingest(). */
  get lastRejected(): number {
    return this.#lastRejected;
  }

  /** Finishes records the wasm parser marked REC_FIXUP with the reference parser. */
  #fixup(): void {
    const L = this.layout;
    const base = this.#ex.batchPtr();
    const n = this.#ex.batchLength();
    const view = this.#view;
    for (let i = 0; i < n; i++) {
      const rec = base + i * L.REC_SIZE;
      if (view.getUint32(rec + L.REC_STATUS, true) !== L.REC_FIXUP) continue;
      const name = view.getUint32(rec + L.REC_NAME, true);
      const lineLen = view.getUint32(rec + L.REC_LINE_LEN, true);
      const parsed = parsePlainLine(this.#u8.subarray(name, name + lineLen), this.maxLineLen);
      if (parsed !== null && "value" in parsed) {
        view.setUint32(rec + L.REC_TS, parsed.timestamp, true);
        view.setFloat64(rec + L.REC_VALUE, parsed.value, true);
        view.setUint32(rec + L.REC_STATUS, 0, true);
      } else {
        const reason = parsed === null ? 0 : REJECT_REASONS.indexOf(parsed.reason);
        view.setUint32(rec + L.REC_STATUS, L.REC_REJECTED + reason, true);
      }
    }
  }

  /**
   * Adds points that arrive as values rather than text (pickle, self-metrics): names are
   * checked exactly as plaintext names are, in batches through the same table insert. Sets
   * lastAccepted / lastRejected; returns the points accepted.
   */
  addPoints(
    names: readonly string[],
    timestamps: ArrayLike<number>,
    values: ArrayLike<number>,
  ): number {
    const L = this.layout;
    if (this.#staging === 0) this.#staging = this.allocBuffer(STAGING_BYTES);
    const base = this.#ex.batchPtr();
    let accepted = 0;
    let rejected = 0;
    let i = 0;
    while (i < names.length) {
      this.#refresh();
      const view = this.#view;
      let records = 0;
      let used = 0;
      for (; i < names.length && records < L.BATCH_RECORDS; i++) {
        const name = names[i];
        const rec = base + records * L.REC_SIZE;
        let status = 0;
        let len = 0;
        if (name.length > L.MAX_NAME_LEN) {
          status = L.REC_REJECTED + REJECT_REASONS.indexOf("bad_name");
        } else {
          if (used + name.length * 3 > STAGING_BYTES) break;
          const at = this.#staging + used;
          len = encoder.encodeInto(name, this.#u8.subarray(at, this.#staging + STAGING_BYTES))
            .written;
        }
        view.setUint32(rec + L.REC_NAME, this.#staging + used, true);
        view.setUint32(rec + L.REC_NAME_LEN, len, true);
        view.setUint32(rec + L.REC_TS, timestamps[i], true);
        view.setFloat64(rec + L.REC_VALUE, values[i], true);
        view.setUint32(rec + L.REC_STATUS, status, true);
        used += len;
        records++;
      }
      this.#ex.prepare(records);
      accepted += this.#ex.apply();
      rejected += this.#ex.rejectedLast();
    }
    this.#refresh();
    this.#lastAccepted = accepted;
    this.#lastRejected = rejected;
    return accepted;
  }

  /** Counts lines rejected outside the parser (truncated at EOF, too long to buffer). */
  countRejected(reason: RejectReason, n = 1): void {
    this.#ex.countRejected(REJECT_REASONS.indexOf(reason), n);
  }

  /** Reads the cache counters. */
  counters(): CacheCounters {
    this.#refresh();
    const base = this.#ex.countersPtr();
    const slot = (i: number) => Number(this.#view.getBigUint64(base + i * 8, true));
    const L = this.layout;
    const rejected = {} as Record<RejectReason, number>;
    REJECT_REASONS.forEach((reason, i) => rejected[reason] = slot(L.COUNTER_REJECTED + i));
    return {
      accepted: slot(L.COUNTER_ACCEPTED),
      overflow: slot(L.COUNTER_OVERFLOW),
      cachedPoints: slot(L.COUNTER_CACHED_POINTS),
      notConfirmed: slot(L.COUNTER_NOT_CONFIRMED),
      series: slot(L.COUNTER_SERIES),
      heapBytes: slot(L.COUNTER_HEAP_BYTES),
      rejected,
    };
  }

  /** The series named `name`, or 0 when the cache holds none. */
  lookup(name: string): number {
    const scratch = this.#ex.nameScratchPtr();
    this.#refresh();
    const max = this.layout.MAX_NAME_LEN;
    const { read, written } = encoder.encodeInto(name, this.#u8.subarray(scratch, scratch + max));
    if (read < name.length) return 0; // longer than any name the cache accepts
    return this.#ex.lookup(written);
  }

  /** The name of a series. */
  seriesName(series: number): string {
    this.#refresh();
    const len = this.#view.getUint16(series + this.layout.SER_NAME_LEN, true);
    const start = series + this.layout.SER_NAME;
    return decoder.decode(this.#u8.subarray(start, start + len));
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
   * Series created since the last call, or null when more were created than the module keeps
   * track of (then list allSeries()). A handle may have been deleted since: check it with
   * lookup(seriesName(handle)) before trusting its name.
   */
  takeNewSeries(): Uint32Array | null {
    const n = this.#ex.takeNewSeries();
    if (n < 0) return null;
    this.#refresh();
    const base = this.#ex.newSeriesPtr();
    return new Uint32Array(this.#buffer.slice(base, base + n * 4));
  }

  #snapshot(strategy: number): { series: Uint32Array; counts: Uint32Array; oldest: Uint32Array } {
    const n = this.#ex.snapshot(strategy);
    if (n < 0) throw new RangeError("Cannot snapshot the cache: wasm memory is full");
    this.#refresh();
    const L = this.layout;
    const base = this.#ex.snapPtr();
    const series = new Uint32Array(n), counts = new Uint32Array(n), oldest = new Uint32Array(n);
    const words = new Uint32Array(this.#buffer, base, (n * L.SNAP_SIZE) / 4);
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
    const n = this.#ex.pop(series);
    if (n < -1) throw new RangeError("Cannot pop points from the cache: wasm memory is full");
    return n;
  }

  /** Releases a series' popped points once they are persisted. */
  confirm(series: number): void {
    this.#ex.confirm(series);
  }

  /**
   * Puts every point a reader should see for a series (popped-but-unconfirmed, then cached) in
   * the output region; returns how many. Read them with copyOut().
   */
  read(series: number): number {
    const n = this.#ex.read(series);
    if (n < 0) throw new RangeError("Cannot read points from the cache: wasm memory is full");
    return n;
  }

  /** Copies `n` points of the output region into the arrays, from index `offset` on. */
  copyOut(n: number, timestamps: Uint32Array, values: Float64Array, offset = 0): void {
    this.#refresh();
    const L = this.layout;
    const base = this.#ex.outPtr();
    const view = this.#view;
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
