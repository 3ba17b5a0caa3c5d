// FNV-1a 32-bit over a byte range: the shard and slot hash of a metric name.

const FNV_OFFSET: u32 = 2166136261;
const FNV_PRIME: u32 = 16777619;

/** FNV-1a 32 of `len` bytes at `ptr`; unrolled by four, the multiply chain is the limit. */
// @ts-ignore: decorator
@inline export function fnv1a32(ptr: usize, len: usize): u32 {
  let h = FNV_OFFSET;
  const end = ptr + len;
  let p = ptr;
  while (p + 4 <= end) {
    h = (h ^ <u32>load<u8>(p)) * FNV_PRIME;
    h = (h ^ <u32>load<u8>(p, 1)) * FNV_PRIME;
    h = (h ^ <u32>load<u8>(p, 2)) * FNV_PRIME;
    h = (h ^ <u32>load<u8>(p, 3)) * FNV_PRIME;
    p += 4;
  }
  while (p < end) {
    h = (h ^ <u32>load<u8>(p)) * FNV_PRIME;
    p++;
  }
  return h;
}

/**
 * FNV-1a 32 of the names of `count` batch records, written to each record's hash field. Four
 * names are hashed side by side: each hash is a serial multiply chain, so interleaving four
 * keeps the multiplier busy instead of waiting on one chain.
 */
export function hashRecords(
  batch: usize,
  count: i32,
  recSize: usize,
  hashOff: usize,
  nameOff: usize,
  lenOff: usize,
): void {
  let rec = batch;
  const end = batch + <usize>count * recSize;
  while (rec + 4 * recSize <= end) {
    const r1 = rec + recSize;
    const r2 = r1 + recSize;
    const r3 = r2 + recSize;
    const p0 = <usize>load<u32>(rec + nameOff);
    const p1 = <usize>load<u32>(r1 + nameOff);
    const p2 = <usize>load<u32>(r2 + nameOff);
    const p3 = <usize>load<u32>(r3 + nameOff);
    const l0 = <usize>load<u32>(rec + lenOff);
    const l1 = <usize>load<u32>(r1 + lenOff);
    const l2 = <usize>load<u32>(r2 + lenOff);
    const l3 = <usize>load<u32>(r3 + lenOff);
    const common = min(min(l0, l1), min(l2, l3));
    let h0 = FNV_OFFSET, h1 = FNV_OFFSET, h2 = FNV_OFFSET, h3 = FNV_OFFSET;
    for (let i: usize = 0; i < common; i++) {
      h0 = (h0 ^ <u32>load<u8>(p0 + i)) * FNV_PRIME;
      h1 = (h1 ^ <u32>load<u8>(p1 + i)) * FNV_PRIME;
      h2 = (h2 ^ <u32>load<u8>(p2 + i)) * FNV_PRIME;
      h3 = (h3 ^ <u32>load<u8>(p3 + i)) * FNV_PRIME;
    }
    for (let i = common; i < l0; i++) h0 = (h0 ^ <u32>load<u8>(p0 + i)) * FNV_PRIME;
    for (let i = common; i < l1; i++) h1 = (h1 ^ <u32>load<u8>(p1 + i)) * FNV_PRIME;
    for (let i = common; i < l2; i++) h2 = (h2 ^ <u32>load<u8>(p2 + i)) * FNV_PRIME;
    for (let i = common; i < l3; i++) h3 = (h3 ^ <u32>load<u8>(p3 + i)) * FNV_PRIME;
    store<u32>(rec + hashOff, h0);
    store<u32>(r1 + hashOff, h1);
    store<u32>(r2 + hashOff, h2);
    store<u32>(r3 + hashOff, h3);
    rec += 4 * recSize;
  }
  for (; rec < end; rec += recSize) {
    store<u32>(rec + hashOff, fnv1a32(<usize>load<u32>(rec + nameOff), <usize>load<u32>(rec + lenOff)));
  }
}

// carbon-c-relay's FNV-1a (fnv1a.h) reads the bytes through `char`, signed on x86: a byte of
// 0x80 or more is sign-extended before the XOR. These variants do the same, so that routing
// and ring positions match the relay built for the machines it runs on (peers.md E.1).

const FNV64_OFFSET: u64 = 14695981039346656037;
const FNV64_PRIME: u64 = 1099511628211;

/** FNV-1a 32 of `len` bytes at `ptr`, bytes sign-extended as x86 `char`. */
export function fnv1a32Signed(ptr: usize, len: usize): u32 {
  let h = FNV_OFFSET;
  for (let p = ptr, end = ptr + len; p < end; p++) h = (h ^ <u32><i32>load<i8>(p)) * FNV_PRIME;
  return h;
}

/** FNV-1a 64 of `len` bytes at `ptr`, bytes sign-extended as x86 `char`. */
export function fnv1a64Signed(ptr: usize, len: usize): u64 {
  let h = FNV64_OFFSET;
  for (let p = ptr, end = ptr + len; p < end; p++) h = (h ^ <u64><i64>load<i8>(p)) * FNV64_PRIME;
  return h;
}
