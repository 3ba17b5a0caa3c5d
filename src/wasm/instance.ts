// The WebAssembly instance and its linear memory: loads build/carbonado.wasm, reads the layout
// constants the module exports (assembly/layout.ts), and keeps the typed views over memory,
// rebuilt whenever memory.grow has detached them. Only src/wasm/ holds one of these: the
// producers reach the module through WasmIngest, the persister and the query side through
// WasmDrain.

import { REJECT_REASONS } from "../protocol/plaintext.ts";

/** The module's exported functions (assembly/index.ts). */
export interface WasmExports {
  memory: WebAssembly.Memory;
  init(maxPoints: number, maxLineLen: number): void;
  setMaxPages(pages: number): void;
  countersPtr(): number;
  stagedPtr(): number;
  allocBuffer(size: number): number;
  freeBuffer(ptr: number, size: number): void;
  parseStage(ptr: number, len: number): number;
  pendingFixups(): number;
  stoppedEarly(): number;
  batchPtr(): number;
  batchLength(): number;
  stageBatch(): void;
  pendingPoints(): number;
  commit(): number;
  rollback(): void;
  abandon(reason: number): number;
  setDirect(on: number): void;
  stagedRejected(): number;
  stagedOverflow(): number;
  committedRejected(): number;
  committedOverflow(): number;
  countRejected(reason: number, n: number): void;
  prepareStage(count: number): void;
  nameScratchPtr(): number;
  lookup(len: number): number;
  seriesRef(series: number): bigint;
  setFailed(series: number, failed: number): void;
  collectGarbage(): number;
  outPtr(): number;
  snapPtr(): number;
  pop(series: number): number;
  confirm(series: number): void;
  dropPoints(series: number): number;
  read(series: number): number;
  snapshot(strategy: number): number;
  newSeriesPtr(): number;
  takeNewSeries(): number;
  crc32c(ptr: number, len: number): number;
  snappyEncode(src: number, len: number, dst: number, table: number): number;
  snappyMaxEncoded(n: number): number;
  walEncode(segOff: number, segSize: number): number;
  walOutPtr(): number;
  checkpointBegin(budgetMiB: number): void;
  checkpointNext(): number;
  checkpointDropped(): number;
  replayBegin(): boolean;
  segmentBegin(): void;
  replayChunk(ptr: number, len: number, fileOff: number): boolean;
  segmentGoodEnd(): number;
  segmentTorn(): number;
  damageFound(): number;
  damagePtr(): number;
  replayTotal(which: number): number;
  replayFinish(): void;
  scanBegin(): void;
  collectedPtr(): number;
  collectedBytes(): number;
  batchCreated(): number;
  // Prometheus exposition and the scrape cache (assembly/expfmt.ts)
  scNew(): number;
  scFree(cache: number): void;
  scEntries(cache: number): number;
  scBytes(cache: number): number;
  expBegin(cache: number, openMetrics: number, ts: number, honor: number): boolean;
  expParse(ptr: number, len: number): number;
  expConsumed(): number;
  expRecords(): number;
  expMisses(): number;
  expMissPtr(): number;
  expFixups(): number;
  expFixPtr(): number;
  expResolvePtr(): number;
  expNamesPtr(): number;
  expResolve(count: number): number;
  expStage(): void;
  expTotal(which: number): number;
  // structured protocols (assembly/protocols.ts)
  structArea(ptr: number): void;
  influxOptions(src: number, sep: number, dbKey: number, db: number, precision: number): void;
  influxStage(ptr: number, len: number, now: number, maxLineLen: number): number;
  openTsdbStage(ptr: number, len: number, now: number, maxLineLen: number): number;
  structRecords(): number;
  structFixups(): number;
  structFull(): number;
  structStage(): void;
  takeStringsSkipped(): number;
  snappyLength(src: number, len: number): bigint;
  snappyDecode(src: number, len: number, dst: number, dstLen: number): number;
  rwBegin(ptr: number, len: number): void;
  rwNext(): number;
  rwTakeCounts(out: number): void;
  routeSetup(
    method: number,
    replication: number,
    members: number,
    allowedPtr: number,
    allowedLen: number,
  ): boolean;
  routeOrderPtr(): number;
  routeRingReserve(entries: number): number;
  routeRingPosition(method: number, ptr: number, len: number): number;
  routeSetDown(member: number, down: number): void;
  routeBegin(): void;
  route(ptr: number, len: number, only: number, trusted: number): number;
  routeSlowCount(): number;
  routeSlowPtr(): number;
  routeFailed(): number;
  routeOutputsPtr(): number;
  routeCountersPtr(): number;
  queueHeaderPtr(): number;
  walEncodeRecord(
    hdr: number,
    hdrLen: number,
    ptr: number,
    len: number,
    segOff: number,
    segSize: number,
  ): number;
}

/** Layout constants exported by the module (assembly/layout.ts). */
const CONSTANTS = [
  "BATCH_RECORDS",
  "COUNTER_ACCEPTED",
  "COUNTER_CACHED_POINTS",
  "COUNTER_GC_SERIES",
  "COUNTER_HEAP_BYTES",
  "COUNTER_NOT_CONFIRMED",
  "COUNTER_OVERFLOW",
  "COUNTER_REJECTED",
  "COUNTER_SERIES",
  "COUNTER_SLOTS",
  "COUNTER_TAGS_INVALID",
  "EXP_DONE",
  "EXP_DROPPED",
  "EXP_ERROR",
  "EXP_FIXUP",
  "EXP_MORE",
  "EXP_NAMES_BYTES",
  "EXP_NAN",
  "FIX_OM_TS",
  "FIX_SIZE",
  "FIX_VALUE",
  "INFLUX_MAX_DB",
  "INFLUX_MAX_DB_KEY",
  "INFLUX_MAX_SEP",
  "INPUT_PADDING",
  "MAX_NAME_LEN",
  "MOUT_LEN",
  "MOUT_LINES",
  "MOUT_PTR",
  "MOUT_SIZE",
  "OUT_SIZE",
  "OUT_TS",
  "OUT_VALUE",
  "PRECISION_GUESS",
  "PRECISION_H",
  "PRECISION_M",
  "PRECISION_MS",
  "PRECISION_NS",
  "PRECISION_S",
  "PRECISION_US",
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
  "RESOLVE_DROP",
  "RESOLVE_NAME",
  "RESOLVE_SIZE",
  "RW_DONE",
  "RW_ERROR",
  "RW_MORE",
  "RC_COPIES",
  "RC_LINES",
  "RC_REJECTED",
  "RC_REROUTED",
  "RC_SLOTS",
  "RING_MEMBER",
  "RING_POS",
  "RING_SIZE",
  "ROUTE_CARBON_CH",
  "ROUTE_FNV1A_CH",
  "ROUTE_JUMP_FNV1A",
  "ROUTE_MAX_MEMBERS",
  "ROUTE_MAX_REPLICATION",
  "ROUTE_RING_REPLICAS",
  "SER_NAME",
  "SER_NAME_LEN",
  "SNAP_COUNT",
  "SNAP_MIN_TS",
  "SNAP_SERIES",
  "SNAP_SIZE",
  "WAL_PAGE_SIZE",
  "STRUCT_AREA_BYTES",
  "SNAPPY_TABLE_BYTES",
] as const;

/** The layout constants by name. */
export type Layout = Record<typeof CONSTANTS[number], number>;

/** Options of {@linkcode WasmInstance.load}. */
export interface WasmOptions {
  /** Cache limit in points (go-carbon's `[cache] max-size`). */
  maxPoints: number;
  /** Longest accepted line in bytes. */
  maxLineLen: number;
  /**
   * Ceiling of linear memory in bytes (`[cache] max-memory`); past it, points are dropped and
   * counted as overflow. Default: the 4 GiB a 32-bit memory can address.
   */
  maxMemoryBytes?: number;
  /** Load the debug build (assertions on), as tests do. */
  debug?: boolean;
}

/** A WebAssembly memory page. */
const PAGE_BYTES = 65_536;

/** Compiled modules by file: a second instance (the relay's router) skips the compile. */
const compiled = new Map<string, Promise<WebAssembly.Module>>();

function compile(url: URL): Promise<WebAssembly.Module> {
  let module = compiled.get(url.href);
  if (!module) {
    module = (async () => {
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = await Deno.readFile(url);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
        throw new Error(`Cannot load ${url.pathname}: run "deno task build" first`);
      }
      return await WebAssembly.compile(bytes);
    })();
    compiled.set(url.href, module);
    module.catch(() => compiled.delete(url.href));
  }
  return module;
}

/** The loaded module, its memory and the views over it. */
export class WasmInstance {
  readonly ex: WasmExports;
  /** Record layout and counter slots, read from the module. */
  readonly layout: Layout;
  readonly maxLineLen: number;
  #buffer: ArrayBuffer;
  #u8: Uint8Array;
  #view: DataView;

  private constructor(ex: WasmExports, layout: Layout, maxLineLen: number) {
    this.ex = ex;
    this.layout = layout;
    this.maxLineLen = maxLineLen;
    this.#buffer = ex.memory.buffer as ArrayBuffer;
    this.#u8 = new Uint8Array(this.#buffer);
    this.#view = new DataView(this.#buffer);
  }

  /** Instantiates the module and sets up an empty cache. */
  static async load(opts: WasmOptions): Promise<WasmInstance> {
    const file = opts.debug ? "carbonado.debug.wasm" : "carbonado.wasm";
    const url = new URL(`../../build/${file}`, import.meta.url);
    const module = await compile(url);
    const instance = await WebAssembly.instantiate(module, {
      env: {
        abort(msg: number, file: number, line: number, column: number) {
          throw new Error(`wasm abort at ${file}:${line}:${column} (message at ${msg})`);
        },
      },
    });
    const ex = instance.exports as unknown as WasmExports;
    const raw = instance.exports as Record<string, unknown>;
    const layout = {} as Layout;
    for (const name of CONSTANTS) layout[name] = (raw[name] as WebAssembly.Global).value;
    if (layout.REASON_COUNT !== REJECT_REASONS.length) {
      throw new Error("build/carbonado.wasm does not match src/: run deno task build");
    }
    ex.init(opts.maxPoints, opts.maxLineLen);
    if (opts.maxMemoryBytes !== undefined) {
      ex.setMaxPages(Math.floor(opts.maxMemoryBytes / PAGE_BYTES));
    }
    return new WasmInstance(ex, layout, opts.maxLineLen);
  }

  /** Empties the cache and zeroes its counters. Every buffer handed out before is gone. */
  reset(maxPoints: number): void {
    this.ex.init(maxPoints, this.maxLineLen);
  }

  /** Bytes of linear memory, viewed afresh if memory has grown since the last look. */
  get u8(): Uint8Array {
    this.#refresh();
    return this.#u8;
  }

  /** A DataView of linear memory, viewed afresh if memory has grown since the last look. */
  get view(): DataView {
    this.#refresh();
    return this.#view;
  }

  /** The memory's ArrayBuffer as of now. */
  get buffer(): ArrayBuffer {
    this.#refresh();
    return this.#buffer;
  }

  #refresh(): void {
    if (this.ex.memory.buffer !== this.#buffer) {
      this.#buffer = this.ex.memory.buffer as ArrayBuffer;
      this.#u8 = new Uint8Array(this.#buffer);
      this.#view = new DataView(this.#buffer);
    }
  }

  /** Allocates a buffer of `size` bytes (plus read-ahead padding) in linear memory. */
  allocBuffer(size: number): number {
    const ptr = this.ex.allocBuffer(size);
    if (ptr === 0) {
      throw new RangeError(`Cannot allocate a ${size}-byte buffer: wasm memory is full`);
    }
    return ptr;
  }

  /** Frees a buffer from allocBuffer(size). */
  freeBuffer(ptr: number, size: number): void {
    this.ex.freeBuffer(ptr, size);
  }

  /** Reads `COUNTER_SLOTS` u64 counters at `base` as numbers. */
  counterSlots(base: number): number[] {
    const view = this.view;
    return Array.from(
      { length: this.layout.COUNTER_SLOTS },
      (_, i) => Number(view.getBigUint64(base + i * 8, true)),
    );
  }
}

/**
 * A buffer in linear memory that grows, by doubling, to the largest size asked of it: the input
 * buffer of a parser or a router. Growing frees the old block, so only the address returned by
 * the last at() is valid.
 */
export class GrowingBuffer {
  #wasm: WasmInstance;
  #min: number;
  #ptr = 0;
  #size = 0;

  constructor(wasm: WasmInstance, minBytes: number) {
    this.#wasm = wasm;
    this.#min = minBytes;
  }

  /** The buffer's address, grown first to hold at least `size` bytes if it does not. */
  at(size: number): number {
    if (size > this.#size) {
      let next = Math.max(this.#size, this.#min);
      while (next < size) next *= 2;
      if (this.#ptr !== 0) this.#wasm.freeBuffer(this.#ptr, this.#size);
      this.#ptr = 0;
      this.#size = 0;
      this.#ptr = this.#wasm.allocBuffer(next);
      this.#size = next;
    }
    return this.#ptr;
  }

  /** The module was reset: the block is gone (nothing to free). */
  forget(): void {
    this.#ptr = 0;
    this.#size = 0;
  }
}
