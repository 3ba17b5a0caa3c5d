// Snappy block format decoding in plain TypeScript (google/snappy format_description.txt): the
// reference assembly/snappy.ts is tested and benchmarked against. A varint preamble gives the
// decoded length; then literals and copies (back-references with 1-, 2- or 4-byte offsets).

/**
 * The decoded length a block announces, after checking it against `max` before anything is
 * decoded. Throws SyntaxError for a bad preamble, RangeError when over `max`.
 */
export function snappyDecodedLength(block: Uint8Array, max = 0xffff_ffff): number {
  let v = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw new SyntaxError("Cannot decode snappy block: truncated preamble");
    const b = block[i];
    v += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) {
      if (v > 0xffff_ffff) throw new SyntaxError("Cannot decode snappy block: bad preamble");
      if (v > max) {
        throw new RangeError(`Snappy block decodes to ${v} bytes, more than the limit of ${max}`);
      }
      return v;
    }
  }
  throw new SyntaxError("Cannot decode snappy block: bad preamble");
}

/** Decodes a snappy block; throws SyntaxError when it is corrupt, RangeError over `max`. */
export function snappyDecode(block: Uint8Array, max = 0xffff_ffff): Uint8Array {
  const outLen = snappyDecodedLength(block, max);
  const out = new Uint8Array(outLen);
  let s = 0;
  while (block[s++] >= 0x80);
  let d = 0;
  const corrupt = () => new SyntaxError("Cannot decode snappy block: corrupt input");
  while (s < block.length) {
    const tag = block[s];
    let n: number, offset: number;
    switch (tag & 3) {
      case 0: {
        let m = tag >> 2;
        s++;
        if (m >= 60) {
          const bytes = m - 59;
          if (s + bytes > block.length) throw corrupt();
          m = 0;
          for (let i = 0; i < bytes; i++) m += block[s + i] * 2 ** (8 * i);
          s += bytes;
        }
        n = m + 1;
        if (n > block.length - s || n > outLen - d) throw corrupt();
        out.set(block.subarray(s, s + n), d);
        s += n;
        d += n;
        continue;
      }
      case 1:
        if (s + 2 > block.length) throw corrupt();
        n = 4 + ((tag >> 2) & 7);
        offset = ((tag >> 5) << 8) | block[s + 1];
        s += 2;
        break;
      case 2:
        if (s + 3 > block.length) throw corrupt();
        n = (tag >> 2) + 1;
        offset = block[s + 1] | (block[s + 2] << 8);
        s += 3;
        break;
      default:
        if (s + 5 > block.length) throw corrupt();
        n = (tag >> 2) + 1;
        offset = (block[s + 1] | (block[s + 2] << 8) | (block[s + 3] << 16)) +
          block[s + 4] * 2 ** 24;
        s += 5;
    }
    if (offset === 0 || offset > d || n > outLen - d) throw corrupt();
    if (offset >= n) out.copyWithin(d, d - offset, d - offset + n);
    else for (let i = 0; i < n; i++) out[d + i] = out[d - offset + i];
    d += n;
  }
  if (d !== outLen) throw corrupt();
  return out;
}
