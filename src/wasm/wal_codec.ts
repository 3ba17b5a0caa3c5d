// The write-ahead log's bytes, made and read in wasm: the open batch encoded as Prometheus
// records and framed into pages for the live segment, the cache encoded as a checkpoint, and
// segment chunks read back, checked and applied to the cache at replay. The byte views handed
// out are valid until the next call into the module: write them before anything else runs.

import type { WasmInstance } from "./instance.ts";

/** What a segment's read found. */
export interface SegmentScan {
  /** File offset just past the last complete record. */
  goodEnd: number;
  /** The segment ended inside a fragment or a record. */
  torn: boolean;
  /** File offsets of damaged fragments (at most 64 listed). */
  damage: number[];
  /** Damaged fragments in all. */
  damageCount: number;
}

/** Replay totals. */
export interface ReplayTotals {
  points: number;
  series: number;
  /** Samples naming a reference no Series record introduced. */
  unknownRefs: number;
  /** Points that did not fit in the cache. */
  dropped: number;
  /** Records of types this version does not read. */
  unknownRecords: number;
}

/** Encodes and replays WAL records in the wasm module. */
export class WalCodec {
  #wasm: WasmInstance;
  #chunk = 0;
  #chunkSize = 0;

  constructor(wasm: WasmInstance) {
    this.#wasm = wasm;
  }

  /** Bytes per page (32 KiB), from the module. */
  get pageSize(): number {
    return this.#wasm.layout.WAL_PAGE_SIZE;
  }

  /**
   * The open batch as framed WAL bytes for a segment at offset `segOff`: an empty array when
   * there is nothing to log, null when it does not fit before `segSize`.
   */
  encodeBatch(segOff: number, segSize: number): Uint8Array | null {
    const n = this.#wasm.ex.walEncode(segOff, segSize);
    if (n === -1) return null;
    return this.#out(n);
  }

  #out(n: number): Uint8Array {
    if (n < 0) throw new RangeError("Cannot encode WAL records: wasm memory is full");
    const ptr = this.#wasm.ex.walOutPtr();
    return this.#wasm.u8.subarray(ptr, ptr + n);
  }

  /** Starts a checkpoint of the whole cache holding at most `budgetBytes` of samples. */
  checkpointBegin(budgetBytes: number): void {
    this.#wasm.ex.checkpointBegin(Math.max(1, Math.floor(budgetBytes / 2 ** 20)));
  }

  /** The next framed part of the checkpoint, or null when it is complete. */
  checkpointNext(): Uint8Array | null {
    const n = this.#wasm.ex.checkpointNext();
    return n === 0 ? null : this.#out(n);
  }

  /** Points the last checkpoint left out for its byte budget. */
  checkpointDropped(): number {
    return this.#wasm.ex.checkpointDropped();
  }

  /** Starts a replay into the (empty) cache. */
  replayBegin(): void {
    if (!this.#wasm.ex.replayBegin()) throw new RangeError("Cannot replay: wasm memory is full");
  }

  /** Starts reading the log as a reader: records are listed (recordsRead()), not applied. */
  scanBegin(): void {
    this.#wasm.ex.scanBegin();
  }

  /** Copies of the records the last replayChunk() listed in scan mode, with their end offsets. */
  recordsRead(): { end: number; bytes: Uint8Array }[] {
    const ex = this.#wasm.ex;
    const n = ex.collectedBytes();
    const base = ex.collectedPtr();
    const view = this.#wasm.view;
    const u8 = this.#wasm.u8;
    const out = [];
    for (let at = 0; at < n;) {
      const len = view.getUint32(base + at, true);
      const end = Number(view.getBigUint64(base + at + 4, true));
      out.push({ end, bytes: u8.slice(base + at + 12, base + at + 12 + len) });
      at += 12 + len;
    }
    return out;
  }

  /** Starts reading a segment. */
  segmentBegin(): void {
    this.#wasm.ex.segmentBegin();
  }

  /** A buffer in linear memory for the next chunk of `size` bytes (fill it, then replayChunk). */
  chunkBuffer(size: number): Uint8Array {
    if (size > this.#chunkSize) {
      if (this.#chunk !== 0) this.#wasm.freeBuffer(this.#chunk, this.#chunkSize);
      this.#chunk = 0;
      this.#chunk = this.#wasm.allocBuffer(size);
      this.#chunkSize = size;
    }
    return this.#wasm.u8.subarray(this.#chunk, this.#chunk + size);
  }

  /** Reads `len` bytes of the chunk buffer, the segment's bytes from `fileOffset` on. */
  replayChunk(len: number, fileOffset: number): void {
    if (!this.#wasm.ex.replayChunk(this.#chunk, len, fileOffset)) {
      throw new RangeError("Cannot replay: wasm memory is full");
    }
  }

  /** What reading the current segment found so far. */
  segmentScan(): SegmentScan {
    const ex = this.#wasm.ex;
    const count = ex.damageFound();
    const view = this.#wasm.view;
    const base = ex.damagePtr();
    const damage = [];
    for (let i = 0; i < Math.min(count, 64); i++) {
      damage.push(Number(view.getBigUint64(base + i * 8, true)));
    }
    return {
      goodEnd: ex.segmentGoodEnd(),
      torn: ex.segmentTorn() !== 0,
      damage,
      damageCount: count,
    };
  }

  /** Replay totals so far. */
  totals(): ReplayTotals {
    const t = (i: number) => this.#wasm.ex.replayTotal(i);
    return { points: t(0), series: t(1), unknownRefs: t(2), dropped: t(3), unknownRecords: t(4) };
  }

  /** Ends the replay and frees its buffers. */
  replayFinish(): void {
    this.#wasm.ex.replayFinish();
    if (this.#chunk !== 0) this.#wasm.freeBuffer(this.#chunk, this.#chunkSize);
    this.#chunk = 0;
    this.#chunkSize = 0;
  }

  /** CRC-32C of `bytes` (tests check it against published vectors). */
  crc32c(bytes: Uint8Array): number {
    const ptr = this.#wasm.allocBuffer(bytes.length);
    try {
      this.#wasm.u8.set(bytes, ptr);
      return this.#wasm.ex.crc32c(ptr, bytes.length) >>> 0;
    } finally {
      this.#wasm.freeBuffer(ptr, bytes.length);
    }
  }
}
