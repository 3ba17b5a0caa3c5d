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
const RECORD_SERIES = 1;
const RECORD_SAMPLES = 2;

/**
 * Decodes one record (Prometheus' tsdb/record: Series, Samples v1); other types come back as
 * `unknown`. References above 2^53 lose precision (carbonado's never get there).
 *
 * @throws {RangeError} when the record is cut short
 */
export function decodeRecord(bytes: Uint8Array): WalRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 1;
  const need = (n: number) => {
    if (p + n > bytes.length) throw new RangeError(`Cannot decode a WAL record: cut at ${p}`);
  };
  const uvarint = () => {
    let v = 0;
    let scale = 1;
    while (true) {
      need(1);
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
    need(8);
    const v = Number(view.getBigUint64(p));
    p += 8;
    return v;
  };
  const type = bytes[0];
  if (type === RECORD_SERIES) {
    const series: WalSeries[] = [];
    while (p < bytes.length) {
      const ref = u64();
      let name = "";
      for (let labels = uvarint(); labels > 0; labels--) {
        const kLen = uvarint();
        need(kLen);
        const key = decoder.decode(bytes.subarray(p, p + kLen));
        p += kLen;
        const vLen = uvarint();
        need(vLen);
        if (key === "__name__") name = decoder.decode(bytes.subarray(p, p + vLen));
        p += vLen;
      }
      series.push({ ref, name });
    }
    return { type: "series", series };
  }
  if (type === RECORD_SAMPLES) {
    const samples: WalSample[] = [];
    const ref0 = u64();
    const t0 = u64();
    while (p < bytes.length) {
      const ref = ref0 + varint();
      const t = t0 + varint();
      need(8);
      const value = view.getFloat64(p);
      p += 8;
      samples.push({ ref, t, value });
    }
    return { type: "samples", samples };
  }
  return { type: "unknown", code: type };
}

/** A record's bytes (its type byte first) and the file offset just past it. */
export interface RawRecord {
  end: number;
  bytes: Uint8Array;
}

/** What reading part of a segment found. */
export interface SegmentRead {
  records: RawRecord[];
  /** File offset just past the last complete record read. */
  goodEnd: number;
  /** The bytes read ended inside a fragment or a record (a torn tail, if nothing follows). */
  torn: boolean;
  /** Damaged fragments skipped. */
  damage: number;
}

/**
 * Reads the records of a segment (or a checkpoint's segment) from `offset`, a page boundary or
 * the end of a record a previous read returned, as raw bytes: the reader of logs whose records
 * are not Prometheus' (relay queues). Stops after the chunk that takes it past `maxBytes` of
 * file; records cut by that chunk's end are left for the next read. Damaged fragments are
 * skipped as at replay.
 */
export function readRawRecords(
  codec: WalCodec,
  path: string,
  offset = 0,
  maxBytes = Infinity,
): SegmentRead {
  const records: RawRecord[] = [];
  codec.scanBegin();
  codec.segmentBegin();
  try {
    readSegment(
      path,
      (size) => codec.chunkBuffer(size),
      (len, at) => {
        codec.replayChunk(len, at);
        records.push(...codec.recordsRead());
        return at + len - offset < maxBytes;
      },
      offset,
    );
    const scan = codec.segmentScan();
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

/**
 * Reads the records of one segment (or a checkpoint's segment) from `offset`, a page boundary
 * or the end of a record a previous read returned, decoded. Damaged fragments are skipped as at
 * replay.
 */
export function readRecords(
  codec: WalCodec,
  file: SegmentFile,
  offset = 0,
): PositionedRecord[] {
  return readRawRecords(codec, file.path, offset).records.map((r) => ({
    end: r.end,
    record: decodeRecord(r.bytes),
  }));
}
