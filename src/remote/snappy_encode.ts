// Snappy block-format compression (google/snappy format_description.txt), the body encoding
// remote_write 1.0 requires: a varint preamble with the uncompressed length, then literals and
// copies. The input is cut into 64 KiB fragments compressed one by one, as snappy does, so
// every copy offset fits in two bytes; matches are found with a hash table of 4-byte
// sequences and the skip heuristic of the reference (probe less often the longer nothing
// matched). Deterministic: the same input always gives the same bytes, which the sender's
// byte-identical retries rely on. The TS reference of the wasm encoder the sender uses
// (assembly/snappy_encode.ts through src/wasm/snappy.ts): tests check both give the same bytes.

import { putUvarint } from "../protocol/protobuf.ts";

/** Bytes compressed as one unit (copies never reach back further). */
const FRAGMENT_BYTES = 65_536;
const HASH_BITS = 14;
/** Inputs shorter than this get no matches, only literals (as in the reference). */
const MIN_MATCH_INPUT = 17;

/** The largest block `snappyEncode` may produce for `n` input bytes (the reference's bound). */
export function maxEncodedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

/**
 * Compresses reusing its buffers: `encode()` returns a view valid until the next call (the
 * sender copies or sends it before encoding again).
 */
export class SnappyEncoder {
  #out = new Uint8Array(0);
  #table = new Int32Array(1 << HASH_BITS);

  /** `input` as a snappy block; the view is overwritten by the next call. */
  encode(input: Uint8Array): Uint8Array {
    const need = maxEncodedLength(input.length);
    if (this.#out.length < need) this.#out = new Uint8Array(Math.max(need, this.#out.length * 2));
    const out = this.#out;
    let o = putUvarint(out, 0, input.length);
    for (let start = 0; start < input.length; start += FRAGMENT_BYTES) {
      const end = Math.min(input.length, start + FRAGMENT_BYTES);
      o = this.#fragment(input, start, end, out, o);
    }
    return out.subarray(0, o);
  }

  /** Compresses input[start, end) into out at o; returns the new end of out. */
  #fragment(input: Uint8Array, start: number, end: number, out: Uint8Array, o: number): number {
    if (end - start < MIN_MATCH_INPUT) return literal(input, start, end, out, o);
    const table = this.#table;
    table.fill(-1);
    const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    const limit = end - 15; // the last bytes are left to the final literal (the reference's margin)
    let next = start; // first byte not yet emitted
    let s = start + 1;
    let hash = hash4(view.getUint32(s, true));
    while (true) {
      // look for a 4-byte match, probing further apart the longer none is found
      let skip = 32;
      let candidate = 0;
      let probe = s;
      while (true) {
        s = probe;
        const step = skip >> 5;
        skip += step;
        probe = s + step;
        if (probe > limit) return literal(input, next, end, out, o);
        candidate = table[hash];
        table[hash] = s - start;
        hash = hash4(view.getUint32(probe, true));
        if (
          candidate >= 0 &&
          view.getUint32(start + candidate, true) === view.getUint32(s, true)
        ) break;
      }
      o = literal(input, next, s, out, o);
      // emit copies while the next bytes match again right away
      while (true) {
        const base = s;
        const from = start + candidate;
        let len = 4;
        while (s + len < end && input[from + len] === input[s + len]) len++;
        o = copy(out, o, base - from, len);
        s += len;
        next = s;
        if (s >= limit) return literal(input, next, end, out, o);
        table[hash4(view.getUint32(s - 1, true))] = s - 1 - start;
        const h = hash4(view.getUint32(s, true));
        candidate = table[h];
        table[h] = s - start;
        if (candidate < 0 || view.getUint32(start + candidate, true) !== view.getUint32(s, true)) {
          hash = hash4(view.getUint32(s + 1, true));
          s++;
          break;
        }
      }
    }
  }
}

function hash4(word: number): number {
  return Math.imul(word, 0x1e35a7bd) >>> (32 - HASH_BITS);
}

/** Emits input[from, to) as one literal element. */
function literal(input: Uint8Array, from: number, to: number, out: Uint8Array, o: number): number {
  const n = to - from;
  if (n === 0) return o;
  const m = n - 1;
  if (m < 60) {
    out[o++] = m << 2;
  } else if (m < 0x100) {
    out[o++] = 60 << 2;
    out[o++] = m;
  } else if (m < 0x10000) {
    out[o++] = 61 << 2;
    out[o++] = m & 0xff;
    out[o++] = m >>> 8;
  } else if (m < 0x1000000) {
    out[o++] = 62 << 2;
    out[o++] = m & 0xff;
    out[o++] = (m >>> 8) & 0xff;
    out[o++] = m >>> 16;
  } else {
    out[o++] = 63 << 2;
    out[o++] = m & 0xff;
    out[o++] = (m >>> 8) & 0xff;
    out[o++] = (m >>> 16) & 0xff;
    out[o++] = m >>> 24;
  }
  out.set(input.subarray(from, to), o);
  return o + n;
}

/** Emits a back-reference of `len` bytes at distance `offset` (< 65536) as copy elements. */
function copy(out: Uint8Array, o: number, offset: number, len: number): number {
  // copies of at most 64 bytes; keep at least 4 for the last one
  while (len >= 68) {
    o = copy2(out, o, offset, 64);
    len -= 64;
  }
  if (len > 64) {
    o = copy2(out, o, offset, 60);
    len -= 60;
  }
  if (len < 12 && offset < 2048) {
    out[o++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
    out[o++] = offset & 0xff;
    return o;
  }
  return copy2(out, o, offset, len);
}

function copy2(out: Uint8Array, o: number, offset: number, len: number): number {
  out[o++] = 2 | ((len - 1) << 2);
  out[o++] = offset & 0xff;
  out[o++] = offset >>> 8;
  return o;
}
