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
