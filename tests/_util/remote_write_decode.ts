// Test-side decoding of what the remote_write sender puts on the wire: snappy blocks and
// protobuf WriteRequests, written from the format descriptions (google/snappy
// format_description.txt; prompb types.proto), strict about every byte so that a test receiver
// notices a malformed request. Kept apart from the sender's code on purpose: a test that decodes
// with the encoder's own logic proves nothing.

/** Decodes a snappy block; throws on any malformed element. */
export function snappyDecode(block: Uint8Array): Uint8Array {
  let p = 0;
  let len = 0;
  for (let shift = 0;; shift += 7) {
    if (p >= block.length || shift > 28) throw new SyntaxError("snappy: bad preamble");
    const b = block[p++];
    len += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  const out = new Uint8Array(len);
  let o = 0;
  while (p < block.length) {
    const tag = block[p++];
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >> 2;
      if (n >= 60) {
        const bytes = n - 59;
        n = 0;
        for (let i = 0; i < bytes; i++) n += block[p++] * 2 ** (8 * i);
      }
      n += 1;
      if (p + n > block.length || o + n > len) throw new SyntaxError("snappy: literal overruns");
      out.set(block.subarray(p, p + n), o);
      p += n;
      o += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      n = ((tag >> 2) & 7) + 4;
      offset = ((tag >> 5) << 8) | block[p++];
    } else if (kind === 2) {
      n = (tag >> 2) + 1;
      offset = block[p] | (block[p + 1] << 8);
      p += 2;
    } else {
      n = (tag >> 2) + 1;
      offset = (block[p] | (block[p + 1] << 8) | (block[p + 2] << 16) | (block[p + 3] << 24)) >>> 0;
      p += 4;
    }
    if (p > block.length) throw new SyntaxError("snappy: copy header cut");
    if (offset === 0 || offset > o || o + n > len) throw new SyntaxError("snappy: bad copy");
    for (let i = 0; i < n; i++, o++) out[o] = out[o - offset];
  }
  if (o !== len) throw new SyntaxError(`snappy: ${o} bytes decoded, ${len} announced`);
  return out;
}

/** One decoded TimeSeries. */
export interface DecodedSeries {
  labels: [string, string][];
  samples: { value: number; t: number }[];
}

const text = new TextDecoder("utf-8", { fatal: true });

/** Decodes a `prometheus.WriteRequest`; throws on malformed bytes or unexpected fields. */
export function decodeWriteRequest(bytes: Uint8Array): DecodedSeries[] {
  const out: DecodedSeries[] = [];
  for (const [field, body] of messages(bytes)) {
    if (field !== 1) throw new SyntaxError(`WriteRequest: unexpected field ${field}`);
    const series: DecodedSeries = { labels: [], samples: [] };
    for (const [f, b] of messages(body)) {
      if (f === 1) {
        let name = "";
        let value = "";
        for (const [lf, lb] of messages(b)) {
          if (lf === 1) name = text.decode(lb);
          else if (lf === 2) value = text.decode(lb);
          else throw new SyntaxError(`Label: unexpected field ${lf}`);
        }
        series.labels.push([name, value]);
      } else if (f === 2) {
        series.samples.push(decodeSample(b));
      } else {
        throw new SyntaxError(`TimeSeries: unexpected field ${f}`);
      }
    }
    out.push(series);
  }
  return out;
}

function decodeSample(b: Uint8Array): { value: number; t: number } {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let value = 0;
  let t = 0;
  let p = 0;
  while (p < b.length) {
    const key = b[p++];
    if (key === 0x09) {
      value = view.getFloat64(p, true);
      p += 8;
    } else if (key === 0x10) {
      let v = 0n;
      for (let shift = 0n;; shift += 7n) {
        const x = b[p++];
        v |= BigInt(x & 0x7f) << shift;
        if (x < 0x80) break;
      }
      t = Number(BigInt.asIntN(64, v));
    } else {
      throw new SyntaxError(`Sample: unexpected key ${key}`);
    }
  }
  if (p !== b.length) throw new SyntaxError("Sample: overrun");
  return { value, t };
}

/** The length-delimited fields of a message, as [field number, bytes]. */
function* messages(bytes: Uint8Array): Generator<[number, Uint8Array]> {
  let p = 0;
  while (p < bytes.length) {
    const key = bytes[p++];
    if ((key & 7) !== 2) throw new SyntaxError(`unexpected wire type ${key & 7}`);
    let len = 0;
    for (let shift = 0;; shift += 7) {
      const b = bytes[p++];
      len += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    if (p + len > bytes.length) throw new SyntaxError("message overruns its parent");
    yield [key >> 3, bytes.subarray(p, p + len)];
    p += len;
  }
}
