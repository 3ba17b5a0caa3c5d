// Protobuf encoding of remote_write 1.0's `prometheus.WriteRequest` (prompb remote.proto and
// types.proto; peers.md C.6): a series' labels are encoded once, when the series is first seen,
// and copied into every request that carries it; the samples of one request are grouped into
// one TimeSeries per series, in the order the series first appear, each series' samples in
// the order given (time order: the sender filters out the rest). Deterministic, so a batch
// rebuilt after a restart is byte-identical.
//
//   WriteRequest { repeated TimeSeries timeseries = 1; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }   (milliseconds)

import { putUvarint, putVarint64, uvarintLen } from "../protocol/protobuf.ts";

const TAG_TIMESERIES = 0x0a; // field 1, length-delimited
const TAG_SAMPLE = 0x12; // field 2, length-delimited
const TAG_SAMPLE_VALUE = 0x09; // field 1, 64-bit
const TAG_SAMPLE_TIMESTAMP = 0x10; // field 2, varint

/** Samples as columns: `series[i]` at `t[i]` milliseconds holds `v[i]`. */
export interface SampleColumns {
  readonly series: readonly EncodableSeries[];
  readonly t: Float64Array;
  readonly v: Float64Array;
}

/** What the encoder needs of a series: its encoded labels, and scratch space for grouping. */
export interface EncodableSeries {
  /** The `labels` fields of its TimeSeries (label_set.ts builds them). */
  readonly labels: Uint8Array;
  /** Scratch: the request being encoded when the fields below were last set. */
  stamp: number;
  /** Scratch: bytes of the TimeSeries body in the request being encoded. */
  size: number;
  /** Scratch: where its next sample goes. */
  pos: number;
}

/**
 * Encodes requests into one reused buffer: the view `encode()` returns is valid until the
 * next call.
 */
export class WriteRequestEncoder {
  #buf = new Uint8Array(1 << 16);
  #view = new DataView(this.#buf.buffer);
  #stamp = 0;
  #order: EncodableSeries[] = [];

  /** The WriteRequest of samples `from` to `to` (exclusive) of `columns`. */
  encode(columns: SampleColumns, range: { from: number; to: number }): Uint8Array {
    const { series, t, v } = columns;
    const stamp = ++this.#stamp;
    const order = this.#order;
    order.length = 0;
    for (let i = range.from; i < range.to; i++) {
      const s = series[i];
      if (s.stamp !== stamp) {
        s.stamp = stamp;
        s.size = s.labels.length;
        order.push(s);
      }
      s.size += 2 + sampleSize(t[i]);
    }
    let total = 0;
    for (const s of order) total += 1 + uvarintLen(s.size) + s.size;
    if (this.#buf.length < total) {
      this.#buf = new Uint8Array(Math.max(total, this.#buf.length * 2));
      this.#view = new DataView(this.#buf.buffer);
    }
    const buf = this.#buf;
    const view = this.#view;
    let o = 0;
    for (const s of order) {
      buf[o++] = TAG_TIMESERIES;
      o = putUvarint(buf, o, s.size);
      buf.set(s.labels, o);
      s.pos = o + s.labels.length;
      o += s.size;
    }
    for (let i = range.from; i < range.to; i++) {
      const s = series[i];
      let p = s.pos;
      const ts = t[i];
      buf[p++] = TAG_SAMPLE;
      buf[p++] = sampleSize(ts);
      buf[p++] = TAG_SAMPLE_VALUE;
      view.setFloat64(p, v[i], true);
      p += 8;
      buf[p++] = TAG_SAMPLE_TIMESTAMP;
      s.pos = putVarint64(buf, p, ts);
    }
    return buf.subarray(0, total);
  }
}

/** Bytes of a Sample message body holding timestamp `t`. */
function sampleSize(t: number): number {
  // millisecond timestamps from 1971 to 2109 take 6 varint bytes: skip the loop for them
  return 10 + (t >= 0x8_0000_0000 && t < 0x400_0000_0000 ? 6 : t < 0 ? 10 : uvarintLen(t));
}
