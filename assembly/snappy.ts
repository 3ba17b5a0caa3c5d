// Snappy block format decoding (google/snappy format_description.txt), as Prometheus
// remote_write bodies are compressed: a varint preamble with the decoded length, then literals
// and back-references (copies) with 1-, 2- or 4-byte offsets. Every length and offset is
// checked against the input and the output: a corrupt block is an error, never a read or a
// write out of bounds. src/protocol/snappy.ts is the TS reference.

import { copyShort } from "./structured";

/** Decoding failed: truncated input, bad preamble, copy before the start, length mismatch. */
export const SNAPPY_ERROR: i32 = -1;

/**
 * The decoded length announced by the preamble of [src, src + len), or SNAPPY_ERROR. At most
 * 2^32 - 1 in five varint bytes, as the format allows.
 */
export function snappyLength(src: usize, len: usize): i64 {
  let v: u64 = 0;
  for (let i: usize = 0; i < 5; i++) {
    if (i >= len) return SNAPPY_ERROR;
    const b = <u64>load<u8>(src + i);
    v |= (b & 0x7f) << (<u64>i * 7);
    if (b < 0x80) {
      if (v > 0xffffffff) return SNAPPY_ERROR;
      preambleLen = i + 1;
      return <i64>v;
    }
  }
  return SNAPPY_ERROR;
}

/** Bytes of the preamble read by the last snappyLength(). */
let preambleLen: usize = 0;

/**
 * Decodes the block [src, src + len) into [dst, dst + dstLen), where dstLen is what
 * snappyLength() announced; the output buffer has at least 16 bytes of slack past dstLen.
 * Returns 0, or SNAPPY_ERROR.
 */
export function snappyDecode(src: usize, len: usize, dst: usize, dstLen: usize): i32 {
  if (snappyLength(src, len) != <i64>dstLen) return SNAPPY_ERROR;
  let s = src + preambleLen;
  const sEnd = src + len;
  let d = dst;
  const dEnd = dst + dstLen;
  while (s < sEnd) {
    const tag = <u32>load<u8>(s);
    let n: usize = 0;
    let offset: usize = 0;
    switch (tag & 3) {
      case 0: {
        // literal: length - 1 in the tag's upper 6 bits, or in the 1-4 bytes after it
        let m = <usize>(tag >> 2);
        s++;
        if (m >= 60) {
          const bytes = m - 59;
          if (s + bytes > sEnd) return SNAPPY_ERROR;
          m = 0;
          for (let i: usize = 0; i < bytes; i++) m |= <usize>load<u8>(s + i) << (i << 3);
          s += bytes;
        }
        n = m + 1;
        if (n > sEnd - s || n > dEnd - d) return SNAPPY_ERROR;
        copyShort(d, s, n);
        s += n;
        d += n;
        continue;
      }
      case 1: {
        // copy, 1-byte offset: length 4..11, offset 11 bits
        if (s + 2 > sEnd) return SNAPPY_ERROR;
        n = <usize>(4 + ((tag >> 2) & 7));
        offset = (<usize>(tag >> 5) << 8) | <usize>load<u8>(s, 1);
        s += 2;
        break;
      }
      case 2: {
        if (s + 3 > sEnd) return SNAPPY_ERROR;
        n = <usize>(tag >> 2) + 1;
        offset = <usize>load<u16>(s, 1);
        s += 3;
        break;
      }
      default: {
        if (s + 5 > sEnd) return SNAPPY_ERROR;
        n = <usize>(tag >> 2) + 1;
        offset = <usize>load<u32>(s, 1);
        s += 5;
        break;
      }
    }
    if (offset == 0 || offset > d - dst || n > dEnd - d) return SNAPPY_ERROR;
    const from = d - offset;
    if (offset >= 16 || offset >= n) {
      copyShort(d, from, n);
    } else if (offset >= 8) {
      // overlapping, 8 bytes at a time: each word was written before it is read
      for (let i: usize = 0; i < n; i += 8) store<u64>(d + i, load<u64>(from + i));
    } else {
      for (let i: usize = 0; i < n; i++) store<u8>(d + i, load<u8>(from + i));
    }
    d += n;
  }
  return d == dEnd ? 0 : SNAPPY_ERROR;
}
