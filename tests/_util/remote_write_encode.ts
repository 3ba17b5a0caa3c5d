// Builds remote_write requests for tests and benchmarks: a protobuf WriteRequest encoder and a
// snappy block compressor (greedy, hash of 4 bytes; literals and all three copy forms, so the
// decoders meet each of them). Prometheus 2.42 is the outside oracle for both (its own requests
// in tests/integration/prometheus_remote_write_test.ts); protoc checks the encoder.

/** A series to encode: labels in the order given, samples (ms), optional raw sample bits. */
export interface SeriesSpec {
  labels: [string, string][];
  samples: { value: number; timestamp: number; bits?: bigint }[];
  /** Native histograms to add (empty ones: field 4, skipped by receivers here). */
  histograms?: number;
}

const enc = new TextEncoder();

class Writer {
  bytes: number[] = [];
  varint(v: bigint | number): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
  }
  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  lenField(field: number, body: Uint8Array | number[]): void {
    this.tag(field, 2);
    this.varint(body.length);
    for (const b of body) this.bytes.push(b);
  }
  fixed64(field: number, bits: bigint): void {
    this.tag(field, 1);
    for (let i = 0n; i < 8n; i++) this.bytes.push(Number((bits >> (8n * i)) & 0xffn));
  }
}

function doubleBits(v: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v, true);
  return view.getBigUint64(0, true);
}

/** Encodes a WriteRequest (plus `metadata` entries of field 3 when asked). */
export function encodeWriteRequest(series: SeriesSpec[], metadata = 0): Uint8Array<ArrayBuffer> {
  const w = new Writer();
  for (const s of series) {
    const ts = new Writer();
    for (const [name, value] of s.labels) {
      const l = new Writer();
      l.lenField(1, enc.encode(name));
      l.lenField(2, enc.encode(value));
      ts.lenField(1, l.bytes);
    }
    for (const sample of s.samples) {
      const m = new Writer();
      m.fixed64(1, sample.bits ?? doubleBits(sample.value));
      m.tag(2, 0);
      m.varint(sample.timestamp);
      ts.lenField(2, m.bytes);
    }
    for (let i = 0; i < (s.histograms ?? 0); i++) ts.lenField(4, []);
    w.lenField(1, ts.bytes);
  }
  for (let i = 0; i < metadata; i++) {
    const m = new Writer();
    m.tag(1, 0);
    m.varint(1); // type COUNTER
    m.lenField(2, enc.encode(`metric_${i}`));
    m.lenField(4, enc.encode("help text"));
    w.lenField(3, m.bytes);
  }
  return Uint8Array.from(w.bytes);
}

/** Compresses `input` as one snappy block. */
export function snappyCompress(input: Uint8Array): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  let n = input.length;
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  const table = new Map<number, number>();
  const key = (i: number) =>
    input[i] | (input[i + 1] << 8) | (input[i + 2] << 16) | (input[i + 3] << 24);
  let literalStart = 0;
  const literal = (end: number) => {
    let len = end - literalStart;
    while (len > 0) {
      const chunk = Math.min(len, 65536);
      const m = chunk - 1;
      if (m < 60) out.push(m << 2);
      else if (m < 256) out.push(60 << 2, m);
      else out.push(61 << 2, m & 0xff, m >> 8);
      for (let i = 0; i < chunk; i++) out.push(input[literalStart + i]);
      literalStart += chunk;
      len -= chunk;
    }
  };
  let i = 0;
  while (i + 4 <= input.length) {
    const k = key(i);
    const cand = table.get(k);
    table.set(k, i);
    if (cand === undefined || key(cand) !== k) {
      i++;
      continue;
    }
    let len = 4;
    while (i + len < input.length && input[cand + len] === input[i + len] && len < 64) len++;
    literal(i);
    const offset = i - cand;
    if (len <= 11 && offset < 2048) {
      out.push(1 | ((len - 4) << 2) | ((offset >> 8) << 5), offset & 0xff);
    } else if (offset < 65536) {
      out.push(2 | ((len - 1) << 2), offset & 0xff, offset >> 8);
    } else {
      out.push(3 | ((len - 1) << 2), offset & 0xff, (offset >> 8) & 0xff, (offset >> 16) & 0xff);
      out.push(offset >>> 24);
    }
    i += len;
    literalStart = i;
  }
  literal(input.length);
  return Uint8Array.from(out);
}
