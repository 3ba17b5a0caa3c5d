// MD5 (RFC 1321), for carbon_ch routing: Graphite's carbon hashes metric names and ring members
// with MD5 and uses the first two bytes of the digest as the ring position (carbon-c-relay's
// carbon_hashpos). Only those two bytes are ever needed, so md5Pos() returns them as a u16.

/** The 64 per-step additive constants, floor(abs(sin(i + 1)) * 2^32). */
const K: usize = memory.data<u32>([
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
]);

/** Per-step rotation amounts. */
const S: usize = memory.data<u8>([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]);

/** The last one or two blocks, padded. */
const tail: usize = memory.data(128, 16);

/** The state after the last md5(): A, B, C, D (the digest, little-endian words). */
export const md5State: usize = memory.data(16, 16);

let a0: u32 = 0;
let b0: u32 = 0;
let c0: u32 = 0;
let d0: u32 = 0;

function block(p: usize): void {
  let a = a0, b = b0, c = c0, d = d0;
  for (let i: u32 = 0; i < 64; i++) {
    let f: u32;
    let g: u32;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    f = f + a + load<u32>(K + (<usize>i << 2)) + load<u32>(p + (<usize>g << 2));
    a = d;
    d = c;
    c = b;
    b = b + rotl<u32>(f, <u32>load<u8>(S + <usize>i));
  }
  a0 += a;
  b0 += b;
  c0 += c;
  d0 += d;
}

/** MD5 of `len` bytes at `ptr`; the digest is left at md5State (16 bytes). */
export function md5(ptr: usize, len: usize): void {
  a0 = 0x67452301;
  b0 = 0xefcdab89;
  c0 = 0x98badcfe;
  d0 = 0x10325476;
  let p = ptr;
  const whole = ptr + (len & ~(<usize>63));
  while (p < whole) {
    block(p);
    p += 64;
  }
  const rest = len & 63;
  memory.copy(tail, p, rest);
  store<u8>(tail + rest, 0x80);
  const tailLen: usize = rest < 56 ? 64 : 128;
  memory.fill(tail + rest + 1, 0, tailLen - rest - 1);
  store<u64>(tail + tailLen - 8, <u64>len << 3);
  block(tail);
  if (tailLen == 128) block(tail + 64);
  store<u32>(md5State, a0);
  store<u32>(md5State, b0, 4);
  store<u32>(md5State, c0, 8);
  store<u32>(md5State, d0, 12);
}

/** carbon's ring position of a key: the first two bytes of its MD5 digest, big-endian. */
export function md5Pos(ptr: usize, len: usize): u32 {
  md5(ptr, len);
  const first = load<u32>(md5State); // digest bytes 0..3, little-endian
  return ((first & 0xff) << 8) | ((first >> 8) & 0xff);
}
