// Snappy block-format compression (google/snappy format_description.txt), the body encoding
// remote_write 1.0 requires: a varint preamble with the uncompressed length, then literals and
// copies. The input is cut into 64 KiB fragments compressed one by one, as snappy does, so every
// copy offset fits in two bytes; matches are found with a hash table of 4-byte sequences and the
// skip heuristic of the reference (probe less often the longer nothing matched). Deterministic,
// and byte for byte what src/remote/snappy_encode.ts (the TS reference) gives: the sender's
// retries and the requests rebuilt after a restart must be byte-identical.

/** Bytes compressed as one unit (copies never reach back further). */
const FRAGMENT_BYTES: usize = 65536;
const HASH_BITS: u32 = 14;
/** Bytes of the hash table the caller passes: 2^HASH_BITS i32 entries. */
export const SNAPPY_TABLE_BYTES: usize = 4 << HASH_BITS;
/** Inputs shorter than this get no matches, only literals (as in the reference). */
const MIN_MATCH_INPUT: usize = 17;

/** The largest block snappyEncode() may write for `n` input bytes (the reference's bound). */
export function snappyMaxEncoded(n: usize): usize {
  return 32 + n + n / 6;
}

/**
 * Compresses [src, src + len) into dst (room for snappyMaxEncoded(len) bytes) using `table`
 * (SNAPPY_TABLE_BYTES of scratch); returns the bytes written.
 */
export function snappyEncode(src: usize, len: usize, dst: usize, table: usize): usize {
  let o = dst;
  let v = len;
  while (v >= 0x80) {
    store<u8>(o++, <u8>(v | 0x80));
    v >>= 7;
  }
  store<u8>(o++, <u8>v);
  for (let start: usize = 0; start < len; start += FRAGMENT_BYTES) {
    const end = min(len, start + FRAGMENT_BYTES);
    o = fragment(src + start, end - start, o, table);
  }
  return o - dst;
}

// @ts-ignore: decorator
@inline function hash4(word: u32): usize {
  return <usize>((word * 0x1e35a7bd) >> (32 - HASH_BITS));
}

/** Compresses one fragment [src, src + n) to o; returns the new end of the output. */
function fragment(src: usize, n: usize, o: usize, table: usize): usize {
  if (n < MIN_MATCH_INPUT) return literal(src, n, o);
  memory.fill(table, 0xff, SNAPPY_TABLE_BYTES); // every entry -1
  const end = src + n;
  const limit = end - 15; // the last bytes are left to the final literal (the reference's margin)
  let next = src; // first byte not yet emitted
  let s = src + 1;
  let hash = hash4(load<u32>(s));
  while (true) {
    // look for a 4-byte match, probing further apart the longer none is found
    let skip: usize = 32;
    let candidate: i32 = 0;
    let probe = s;
    while (true) {
      s = probe;
      const step = skip >> 5;
      skip += step;
      probe = s + step;
      if (probe > limit) return literal(next, end - next, o);
      const slot = table + (hash << 2);
      candidate = load<i32>(slot);
      store<i32>(slot, <i32>(s - src));
      hash = hash4(load<u32>(probe));
      if (candidate >= 0 && load<u32>(src + <usize>candidate) == load<u32>(s)) break;
    }
    o = literal(next, s - next, o);
    // emit copies while the next bytes match again right away
    while (true) {
      const from = src + <usize>candidate;
      let len: usize = 4;
      while (s + len + 8 <= end) {
        const x = load<u64>(from + len) ^ load<u64>(s + len);
        if (x != 0) {
          len += <usize>(ctz<u64>(x) >> 3);
          break;
        }
        len += 8;
      }
      if (s + len + 8 > end) {
        while (s + len < end && load<u8>(from + len) == load<u8>(s + len)) len++;
      }
      o = copy(o, s - from, len);
      s += len;
      next = s;
      if (s >= limit) return literal(next, end - next, o);
      store<i32>(table + (hash4(load<u32>(s - 1)) << 2), <i32>(s - 1 - src));
      const slot = table + (hash4(load<u32>(s)) << 2);
      candidate = load<i32>(slot);
      store<i32>(slot, <i32>(s - src));
      if (candidate < 0 || load<u32>(src + <usize>candidate) != load<u32>(s)) {
        hash = hash4(load<u32>(s + 1));
        s++;
        break;
      }
    }
  }
}

/** Emits [from, from + n) as one literal element at o. */
function literal(from: usize, n: usize, o: usize): usize {
  if (n == 0) return o;
  const m = <u32>(n - 1);
  if (m < 60) {
    store<u8>(o++, <u8>(m << 2));
  } else if (m < 0x100) {
    store<u8>(o++, 60 << 2);
    store<u8>(o++, <u8>m);
  } else if (m < 0x10000) {
    store<u8>(o++, 61 << 2);
    store<u16>(o, <u16>m);
    o += 2;
  } else if (m < 0x1000000) {
    store<u8>(o++, 62 << 2);
    store<u16>(o, <u16>m);
    store<u8>(o + 2, <u8>(m >> 16));
    o += 3;
  } else {
    store<u8>(o++, 63 << 2);
    store<u32>(o, m);
    o += 4;
  }
  memory.copy(o, from, n);
  return o + n;
}

/** Emits a back-reference of `len` bytes at distance `offset` (< 65536) as copy elements. */
function copy(o: usize, offset: usize, len: usize): usize {
  // copies of at most 64 bytes; keep at least 4 for the last one
  while (len >= 68) {
    o = copy2(o, offset, 64);
    len -= 64;
  }
  if (len > 64) {
    o = copy2(o, offset, 60);
    len -= 60;
  }
  if (len < 12 && offset < 2048) {
    store<u8>(o, <u8>(1 | ((len - 4) << 2) | ((offset >> 8) << 5)));
    store<u8>(o + 1, <u8>offset);
    return o + 2;
  }
  return copy2(o, offset, len);
}

// @ts-ignore: decorator
@inline function copy2(o: usize, offset: usize, len: usize): usize {
  store<u8>(o, <u8>(2 | ((len - 1) << 2)));
  store<u16>(o + 1, <u16>offset);
  return o + 3;
}
