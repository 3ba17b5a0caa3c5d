// Reading the log as a reader that is not the cache (a remote_write sender, a relay queue): the
// segments and the checkpoint are listed by segments.ts, a segment's pages are walked and
// checked in wasm (the same code as the replay, in scan mode), and its records are decoded here
// from Prometheus' record formats into series names and samples.

import type { WalCodec } from "../wasm/wal_codec.ts";
import { readSegment, type SegmentFile } from "./segments.ts";

/** A series as a Series record introduces it. */
export interface WalSeries {
  ref: number;
  /** The Graphite name, tags included (the `__name__` label). */
  name: string;
}

/** A sample as a Samples record holds it. */
export interface WalSample {
  ref: number;
  /** Milliseconds since the epoch. */
  t: number;
  value: number;
}

/** A decoded record. */
export type WalRecord =
  | { type: "series"; series: WalSeries[] }
  | { type: "samples"; samples: WalSample[] }
  | { type: "unknown"; code: number };

/** A record and the file offset just past it (where a reader resumes). */
export interface PositionedRecord {
  end: number;
  record: WalRecord;
}

const decoder = new TextDecoder();
/** Record type of Prometheus' Series record. */
export const RECORD_SERIES = 1;
/** Record type of Prometheus' Samples (v1) record. */
export const RECORD_SAMPLES = 2;

/** What {@linkcode visitRecord} calls for each entry of a record. */
export interface RecordVisitor {
  /** A Series entry: its name (the `__name__` label, UTF-8) is `bytes[from, to)`, empty if none. */
  series(ref: number, bytes: Uint8Array, from: number, to: number): void;
  sample(ref: number, t: number, value: number): void;
}

/**
 * Walks one record (Prometheus' tsdb/record: Series, Samples v1) without building objects, and
 * returns its type; entries of other types are not visited. References above 2^53 lose
 * precision (carbonado's never get there).
 *
 * @throws {RangeError} when the record is cut short
 */
export function visitRecord(bytes: Uint8Array, visitor: RecordVisitor): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  let p = 1;
  const cut = () => new RangeError(`Cannot decode a WAL record: cut at ${p}`);
  const uvarint = () => {
    let v = 0;
    let scale = 1;
    while (true) {
      if (p >= end) throw cut();
      const b = bytes[p++];
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
  };
  const varint = () => {
    const u = uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  };
  const u64 = () => {
    if (p + 8 > end) throw cut();
    const v = view.getUint32(p) * 0x1_0000_0000 + view.getUint32(p + 4);
    p += 8;
    return v;
  };
  const type = bytes[0];
  if (type === RECORD_SERIES) {
    while (p < end) {
      const ref = u64();
      let from = 0;
      let to = 0;
      for (let labels = uvarint(); labels > 0; labels--) {
        const kLen = uvarint();
        if (p + kLen > end) throw cut();
        const isName = kLen === NAME_LABEL.length && isNameLabel(bytes, p);
        p += kLen;
        const vLen = uvarint();
        if (p + vLen > end) throw cut();
        if (isName) {
          from = p;
          to = p + vLen;
        }
        p += vLen;
      }
      visitor.series(ref, bytes, from, to);
    }
  } else if (type === RECORD_SAMPLES) {
    const ref0 = u64();
    const t0 = u64();
    while (p < end) {
      const ref = ref0 + varint();
      const t = t0 + varint();
      if (p + 8 > end) throw cut();
      const value = view.getFloat64(p);
      p += 8;
      visitor.sample(ref, t, value);
    }
  }
  return type;
}

const NAME_LABEL = new TextEncoder().encode("__name__");

/** True when `bytes` at `p` hold `__name__`. */
function isNameLabel(bytes: Uint8Array, p: number): boolean {
  for (let i = 0; i < NAME_LABEL.length; i++) if (bytes[p + i] !== NAME_LABEL[i]) return false;
  return true;
}

/**
 * Decodes one record (Prometheus' tsdb/record: Series, Samples v1); other types come back as
 * `unknown`.
 *
 * @throws {RangeError} when the record is cut short
 */
export function decodeRecord(bytes: Uint8Array): WalRecord {
  const series: WalSeries[] = [];
  const samples: WalSample[] = [];
  const type = visitRecord(bytes, {
    series: (ref, b, from, to) => series.push({ ref, name: decoder.decode(b.subarray(from, to)) }),
    sample: (ref, t, value) => samples.push({ ref, t, value }),
  });
  if (type === RECORD_SERIES) return { type: "series", series };
  if (type === RECORD_SAMPLES) return { type: "samples", samples };
  return { type: "unknown", code: type };
}

/** A record's bytes (a copy, its type byte first) and the file offset just past it. */
export interface RawRecord {
  end: number;
  bytes: Uint8Array;
}

/** The part of a segment a read covers. */
export interface RecordRange {
  /** A page boundary or the end of a record a previous read returned (default 0). */
  offset?: number;
  /** Read no further than this file offset (a live segment's committed end). */
  end?: number;
  /** Stop after the chunk that takes the read past this many bytes; a record that chunk cuts
   * is left for the next read. */
  maxBytes?: number;
}

/** What reading part of a segment found. */
export interface SegmentRead {
  records: RawRecord[];
  /** File offset just past the last complete record read (the start offset if none). */
  goodEnd: number;
  /** The bytes read ended inside a fragment or a record (a torn tail, if nothing follows). */
  torn: boolean;
  /** Damaged fragments skipped (as at replay). */
  damage: number;
}

/**
 * Reads the complete records of a segment (or a checkpoint's segment) at `path` in `range`, as
 * raw bytes: Prometheus records for a remote_write sender, or the records of a relay queue's own
 * log. Damaged fragments are skipped as at replay.
 */
export function readRawRecords(
  codec: WalCodec,
  path: string,
  range: RecordRange = {},
): SegmentRead {
  const records: RawRecord[] = [];
  codec.scanBegin();
  codec.segmentBegin();
  try {
    readSegment(path, {
      ...range,
      fill: (size) => codec.chunkBuffer(size),
      take: (len, at) => {
        codec.replayChunk(len, at);
        for (const r of codec.recordsRead()) records.push(r);
      },
    });
    const scan = codec.segmentScan();
    const offset = range.offset ?? 0;
    return {
      records,
      goodEnd: records.length > 0 ? Math.max(scan.goodEnd, records.at(-1)!.end) : offset,
      torn: scan.torn,
      damage: scan.damageCount,
    };
  } finally {
    codec.replayFinish();
  }
}

/** Reads and decodes the complete records of one segment in `range` (see readRawRecords). */
export function readRecords(
  codec: WalCodec,
  file: SegmentFile,
  range: RecordRange = {},
): PositionedRecord[] {
  return readRawRecords(codec, file.path, range).records.map((r) => ({
    end: r.end,
    record: decodeRecord(r.bytes),
  }));
}
