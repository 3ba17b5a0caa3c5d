// Prometheus remote_write 1.0 in plain TypeScript: the protobuf WriteRequest decoded into
// series (the reference assembly/remote_write.ts is tested and benchmarked against), and
// series as points named `__name__;label=value;...` (tags mended as label_names.ts says).
// Samples are milliseconds, floored to seconds; stale markers and NaN are skipped; a series
// without `__name__` has its samples refused as empty_name. See the wasm file for the schema.

import { taggedName } from "./label_names.ts";
import type { RejectReason } from "./plaintext.ts";

/** A decoded TimeSeries: labels in the order sent, samples, native histograms (not read). */
export interface RwSeries {
  labels: [name: string, value: string][];
  /** Values, milliseconds, and whether the value is a stale marker (a NaN of its own). */
  samples: { value: number; timestamp: number; stale: boolean }[];
  histograms: number;
}

/** Stale marker: the NaN Prometheus writes when a series ends. */
export const STALE_NAN_BITS = 0x7ff0000000000002n;

const decoder = new TextDecoder();
const bitsView = new DataView(new ArrayBuffer(8));

/** A protobuf reader over one message. */
class Reader {
  #buf: Uint8Array;
  #view: DataView;
  pos: number;
  end: number;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
    this.end = end;
  }

  varint(): bigint {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) {
        throw new SyntaxError("Cannot decode WriteRequest: truncated varint");
      }
      const b = this.#buf[this.pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v & 0xffff_ffff_ffff_ffffn;
    }
    throw new SyntaxError("Cannot decode WriteRequest: varint longer than 10 bytes");
  }

  /** The next field's number and wire type. */
  tag(): [number, number] {
    const t = this.varint();
    if (t > 0xffff_ffffn) throw new SyntaxError("Cannot decode WriteRequest: bad field tag");
    return [Number(t >> 3n), Number(t & 7n)];
  }

  /** A length-delimited field's bounds. */
  bytes(): [number, number] {
    const len = this.varint();
    if (len > BigInt(this.end - this.pos)) {
      throw new SyntaxError("Cannot decode WriteRequest: length past the end of its message");
    }
    const start = this.pos;
    this.pos += Number(len);
    return [start, this.pos];
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.end) throw new SyntaxError("Cannot decode WriteRequest: truncated");
    const v = this.#view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.advance(8);
    else if (wire === 5) this.advance(4);
    else if (wire === 2) this.bytes();
    else throw new SyntaxError(`Cannot decode WriteRequest: wire type ${wire}`);
  }

  advance(n: number): void {
    if (this.pos + n > this.end) throw new SyntaxError("Cannot decode WriteRequest: truncated");
    this.pos += n;
  }

  sub([start, end]: [number, number]): Reader {
    return new Reader(this.#buf, start, end);
  }

  text([start, end]: [number, number]): string {
    return decoder.decode(this.#buf.subarray(start, end));
  }
}

/** Throws unless a known field has the wire type the schema gives it. */
function expect(wire: number, want: number): void {
  if (wire !== want) throw new SyntaxError(`Cannot decode WriteRequest: wire type ${wire}`);
}

/** Decodes a WriteRequest; throws SyntaxError when it is not valid protobuf of that schema. */
export function decodeWriteRequest(buf: Uint8Array): RwSeries[] {
  const out: RwSeries[] = [];
  const r = new Reader(buf);
  while (r.pos < r.end) {
    const [field, wire] = r.tag();
    if (field !== 1) {
      r.skip(wire);
      continue;
    }
    expect(wire, 2);
    const s = r.sub(r.bytes());
    const series: RwSeries = { labels: [], samples: [], histograms: 0 };
    while (s.pos < s.end) {
      const [f, w] = s.tag();
      if (f === 1) {
        expect(w, 2);
        const l = s.sub(s.bytes());
        let name = "", value = "";
        while (l.pos < l.end) {
          const [lf, lw] = l.tag();
          if (lf === 1 || lf === 2) {
            expect(lw, 2);
            const text = l.text(l.bytes());
            if (lf === 1) name = text;
            else value = text;
          } else {
            l.skip(lw);
          }
        }
        series.labels.push([name, value]);
      } else if (f === 2) {
        expect(w, 2);
        const m = s.sub(s.bytes());
        let bits = 0n, ms = 0n;
        while (m.pos < m.end) {
          const [mf, mw] = m.tag();
          if (mf === 1) {
            expect(mw, 1);
            bits = m.fixed64();
          } else if (mf === 2) {
            expect(mw, 0);
            ms = BigInt.asIntN(64, m.varint());
          } else {
            m.skip(mw);
          }
        }
        bitsView.setBigUint64(0, bits);
        const stale = bits === STALE_NAN_BITS;
        series.samples.push({ value: bitsView.getFloat64(0), timestamp: Number(ms), stale });
      } else {
        if (f === 4) series.histograms++;
        s.skip(w);
      }
    }
    out.push(series);
  }
  return out;
}

/** What series come to as points. */
export interface RwSink {
  point(name: string, timestamp: number, value: number): void;
  reject(reason: RejectReason, n?: number): void;
  /** A stale marker or a NaN sample skipped, or a native histogram skipped. */
  skipped?(what: "stale" | "nan" | "histogram"): void;
  /** A series without `__name__` (its samples are refused as empty_name). */
  unnamed?(): void;
}

/** Sends each sample of `series` to the sink as a point of its tagged name. */
export function seriesPoints(series: readonly RwSeries[], sink: RwSink): void {
  for (const s of series) {
    for (let i = 0; i < s.histograms; i++) sink.skipped?.("histogram");
    if (s.samples.length === 0) continue;
    const nameLabel = s.labels.find(([k]) => k === "__name__");
    if (!nameLabel) {
      sink.unnamed?.();
      sink.reject("empty_name", s.samples.length);
      continue;
    }
    const name = taggedName(nameLabel[1], s.labels.filter((l) => l !== nameLabel));
    for (const { value, timestamp, stale } of s.samples) {
      if (stale) sink.skipped?.("stale");
      else if (Number.isNaN(value)) sink.skipped?.("nan");
      else if (!Number.isFinite(value)) sink.reject("bad_value");
      else if (timestamp < 0 || Math.floor(timestamp / 1000) > 0xffff_ffff) {
        sink.reject("bad_timestamp");
      } else sink.point(name, Math.floor(timestamp / 1000), value);
    }
  }
}
