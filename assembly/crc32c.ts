// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as the WAL's fragment headers carry it
// (Prometheus' wlog uses crc32.Castagnoli). Slice-by-8: eight 256-entry tables built at init,
// eight bytes per step.

const POLY: u32 = 0x82f63b78;

/** 8 x 256 u32 tables (8 KiB), filled by crcInit(). */
const tables: usize = memory.data(8 * 256 * 4, 16);

/** Builds the tables (once, at init). */
export function crcInit(): void {
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
    store<u32>(tables + (<usize>i << 2), c);
  }
  for (let i: u32 = 0; i < 256; i++) {
    let c = load<u32>(tables + (<usize>i << 2));
    for (let t: usize = 1; t < 8; t++) {
      c = load<u32>(tables + (<usize>(c & 0xff) << 2)) ^ (c >>> 8);
      store<u32>(tables + (t << 10) + (<usize>i << 2), c);
    }
  }
}

// @ts-ignore: decorator
@inline function tab(t: usize, i: u32): u32 {
  return load<u32>(tables + (t << 10) + (<usize>(i & 0xff) << 2));
}

/** CRC-32C of `len` bytes at `ptr`. */
export function crc32c(ptr: usize, len: usize): u32 {
  let c: u32 = 0xffffffff;
  let p = ptr;
  const end = ptr + len;
  while (p + 8 <= end) {
    const lo = load<u32>(p) ^ c;
    const hi = load<u32>(p, 4);
    c = tab(7, lo) ^ tab(6, lo >>> 8) ^ tab(5, lo >>> 16) ^ tab(4, lo >>> 24) ^
      tab(3, hi) ^ tab(2, hi >>> 8) ^ tab(1, hi >>> 16) ^ tab(0, hi >>> 24);
    p += 8;
  }
  while (p < end) {
    c = tab(0, c ^ <u32>load<u8>(p)) ^ (c >>> 8);
    p++;
  }
  return ~c;
}
