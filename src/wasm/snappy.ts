// Snappy compression of the remote_write sender's request bodies in wasm
// (assembly/snappy_encode.ts): the body is copied into linear memory, compressed there with the
// module's hash table, and the block copied out, since a request is kept and retried as is.
// Byte for byte what src/remote/snappy_encode.ts (the TS reference) gives.

import { GrowingBuffer, type WasmInstance } from "./instance.ts";

/** Smallest input and output buffers (a 2000-sample request is about 120 KiB). */
const MIN_BUFFER_BYTES = 256 * 1024;

/** Compresses bodies in one wasm instance (not shared with another thread). */
export class WasmSnappy {
  #wasm: WasmInstance;
  #in: GrowingBuffer;
  #out: GrowingBuffer;
  #table: number;

  constructor(wasm: WasmInstance) {
    this.#wasm = wasm;
    this.#in = new GrowingBuffer(wasm, MIN_BUFFER_BYTES);
    this.#out = new GrowingBuffer(wasm, MIN_BUFFER_BYTES);
    this.#table = wasm.allocBuffer(wasm.layout.SNAPPY_TABLE_BYTES);
  }

  /** `input` as a snappy block, in a new array. */
  encode(input: Uint8Array): Uint8Array {
    const ex = this.#wasm.ex;
    const src = this.#in.at(input.length);
    const dst = this.#out.at(ex.snappyMaxEncoded(input.length));
    this.#wasm.u8.set(input, src);
    const n = ex.snappyEncode(src, input.length, dst, this.#table);
    return this.#wasm.u8.slice(dst, dst + n);
  }
}
