// One plaintext byte stream (a TCP connection) into the cache: reads land directly in a buffer
// in wasm memory, complete lines are ingested in one call per chunk, the partial last line is
// carried to the front of the buffer, and a line longer than the maximum is counted once and
// skipped up to its `\n` while the rest of the stream goes on.

import type { WasmCache } from "../wasm/wasm_cache.ts";

/** Bytes asked of each read (go-carbon and VictoriaMetrics read 64 KiB at a time). */
export const READ_BYTES = 65_536;

/** Totals a stream adds to: shared by every connection of a receiver. */
export interface StreamCounts {
  /** Points accepted. */
  accepted: number;
  /** Lines rejected. */
  rejected: number;
}

/** A stream's buffer and line state; call close() to free its wasm memory. */
export class PlainStream {
  #cache: WasmCache;
  #ptr: number;
  #size: number;
  #carry = 0;
  #discarding = false;
  /** What this stream added, into the receiver's totals. */
  readonly counts: StreamCounts;

  constructor(cache: WasmCache, counts: StreamCounts = { accepted: 0, rejected: 0 }) {
    this.#cache = cache;
    this.counts = counts;
    this.#size = READ_BYTES;
    this.#ptr = cache.allocBuffer(this.#size);
  }

  /** Where the next read goes: a view of wasm memory, valid until the next cache call. */
  readTarget(): Uint8Array {
    return this.#cache.bytes(this.#ptr + this.#carry, this.#size - this.#carry);
  }

  /** Takes `n` bytes just read into readTarget(). */
  push(n: number): void {
    const cache = this.#cache;
    const len = this.#carry + n;
    let start = 0;
    if (this.#discarding) {
      const lf = cache.bytes(this.#ptr, len).indexOf(0x0a);
      if (lf < 0) {
        this.#carry = 0;
        return;
      }
      start = lf + 1;
      this.#discarding = false;
    }
    const consumed = cache.ingest(this.#ptr + start, len - start);
    this.counts.accepted += cache.lastAccepted;
    this.counts.rejected += cache.lastRejected;
    const rest = len - start - consumed;
    if (rest > cache.maxLineLen) {
      cache.countRejected("line_too_long");
      this.counts.rejected++;
      this.#discarding = true;
      this.#carry = 0;
      return;
    }
    if (rest > 0 && start + consumed > 0) {
      cache.copyWithin(this.#ptr, this.#ptr + start + consumed, rest);
    }
    this.#carry = rest;
    if (rest + READ_BYTES > this.#size) this.#grow(rest + READ_BYTES);
  }

  /** The peer closed the stream: an unfinished last line is counted as truncated. */
  end(): void {
    if (this.#carry > 0 && !this.#discarding) {
      this.#cache.countRejected("truncated");
      this.counts.rejected++;
    }
    this.#carry = 0;
  }

  /** Frees the buffer. */
  close(): void {
    this.#cache.freeBuffer(this.#ptr, this.#size);
    this.#ptr = 0;
  }

  #grow(need: number): void {
    let size = this.#size;
    while (size < need) size *= 2;
    const ptr = this.#cache.allocBuffer(size);
    this.#cache.copyWithin(ptr, this.#ptr, this.#carry);
    this.#cache.freeBuffer(this.#ptr, this.#size);
    this.#ptr = ptr;
    this.#size = size;
  }
}
