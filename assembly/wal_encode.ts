// Write-ahead log records and pages, in Prometheus' formats (tsdb/record, tsdb/wlog): a commit
// becomes a Series record for the series it created and one Samples record, framed into 32 KiB
// pages of fragments (7-byte header: type, big-endian u16 length, CRC-32C) that never cross a
// page; a checkpoint is the whole cache as the same records. Byte diagrams: docs/wal.md.

import { grow, grownCap } from "./alloc";
import { crc32c } from "./crc32c";
import { createdLen, createdList, pending, pendingLen } from "./appender";
import {
  OUT_SIZE,
  OUT_TS,
  OUT_VALUE,
  PEND_SERIES,
  PEND_SIZE,
  PEND_TS,
  PEND_VALUE,
  SER_NAME,
  SER_NAME_LEN,
  SER_REF,
  WAL_FRAG_FIRST,
  WAL_FRAG_FULL,
  WAL_FRAG_LAST,
  WAL_FRAG_MIDDLE,
  WAL_HEADER_SIZE,
  WAL_PAGE_SIZE,
  WAL_REC_SAMPLES,
  WAL_REC_SERIES,
} from "./layout";
import { out, read, shardCapacity, slotSeries } from "./shard_table";
import { SHARD_COUNT } from "./layout";

/** The label that carries a Graphite name (tags included): a series' whole identity. */
const NAME_LABEL: usize = memory.data<u8>([0x5f, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x5f, 0x5f]); // __name__
const NAME_LABEL_LEN: usize = 8;
/** Checkpoint records are cut at about this many bytes. */
const CHECKPOINT_RECORD_BYTES: usize = 1 << 20;

/** Unframed records of the current encode. */
let recs: usize = 0;
let recsCap: usize = 0;
let recsLen: usize = 0;
/** Framed bytes, ready for one write. */
export let walOut: usize = 0;
let walOutCap: usize = 0;

/** Makes room for `more` bytes of records; false when memory cannot grow. */
function reserveRecs(more: usize): bool {
  const need = recsLen + more;
  if (need <= recsCap) return true;
  const ptr = grow(recs, recsCap, recsLen, need, 1 << 16);
  if (ptr == 0) return false;
  recs = ptr;
  recsCap = grownCap;
  return true;
}

// @ts-ignore: decorator
@inline function putByte(b: u32): void {
  store<u8>(recs + recsLen, <u8>b);
  recsLen++;
}

function putU64BE(v: u64): void {
  store<u64>(recs + recsLen, bswap<u64>(v));
  recsLen += 8;
}

function putUvarint(v: u64): void {
  while (v >= 0x80) {
    putByte(<u32>(v & 0x7f) | 0x80);
    v >>= 7;
  }
  putByte(<u32>v);
}

// @ts-ignore: decorator
@inline function putVarint(v: i64): void {
  putUvarint(<u64>((v << 1) ^ (v >> 63)));
}

function putBytes(ptr: usize, len: usize): void {
  memory.copy(recs + recsLen, ptr, len);
  recsLen += len;
}

/** Bytes a series takes in a Series record, at most. */
// @ts-ignore: decorator
@inline function seriesBytes(series: usize): usize {
  return 8 + 1 + 1 + NAME_LABEL_LEN + 3 + <usize>load<u16>(series, SER_NAME_LEN);
}

/** Appends one series (ref, one label: __name__ = the name) to the Series record being built. */
function putSeries(series: usize): void {
  putU64BE(load<u64>(series, SER_REF));
  putUvarint(1);
  putUvarint(NAME_LABEL_LEN);
  putBytes(NAME_LABEL, NAME_LABEL_LEN);
  const len = <usize>load<u16>(series, SER_NAME_LEN);
  putUvarint(len);
  putBytes(series + SER_NAME, len);
}

/** Bytes one sample takes in a Samples record, at most (two 10-byte varints, a float). */
const SAMPLE_MAX: usize = 28;

// The Samples record being built: its first ref and timestamp.
let ref0: u64 = 0;
let t0: i64 = 0;

function beginSamples(ref: u64, tMs: i64): void {
  putByte(WAL_REC_SAMPLES);
  ref0 = ref;
  t0 = tMs;
  putU64BE(ref);
  putU64BE(<u64>tMs);
}

// @ts-ignore: decorator
@inline function putSample(ref: u64, tMs: i64, value: f64): void {
  putVarint(<i64>(ref - ref0));
  putVarint(tMs - t0);
  store<u64>(recs + recsLen, bswap<u64>(reinterpret<u64>(value)));
  recsLen += 8;
}

// Record boundaries in `recs`, for framing: u32 end offsets.
let ends: usize = 0;
let endsCap: u32 = 0;
let endsLen: u32 = 0;

function endRecord(): bool {
  if (endsLen == endsCap) {
    const bytes = <usize>endsLen << 2;
    const ptr = grow(ends, <usize>endsCap << 2, bytes, bytes + 4, 256);
    if (ptr == 0) return false;
    ends = ptr;
    endsCap = <u32>(grownCap >> 2);
  }
  store<u32>(ends + (<usize>endsLen << 2), <u32>recsLen);
  endsLen++;
  return true;
}

/** Where framing `len` record bytes from segment offset `pos` ends. */
function framedEnd(pos: usize, len: usize): usize {
  let first = true;
  while (first || len > 0) {
    let room = WAL_PAGE_SIZE - (pos % WAL_PAGE_SIZE);
    if (room < WAL_HEADER_SIZE) {
      pos += room;
      room = WAL_PAGE_SIZE;
    }
    const n = min(len, room - WAL_HEADER_SIZE);
    pos += WAL_HEADER_SIZE + n;
    len -= n;
    first = false;
    const left = WAL_PAGE_SIZE - (pos % WAL_PAGE_SIZE);
    if (left < WAL_HEADER_SIZE && left != WAL_PAGE_SIZE) pos += left;
  }
  return pos;
}

/** Makes room for `n` framed bytes; false when memory cannot grow. */
function reserveOut(n: usize): bool {
  if (n <= walOutCap) return true;
  const ptr = grow(walOut, walOutCap, 0, n, 1 << 16); // nothing to keep
  if (ptr == 0) return false;
  walOut = ptr;
  walOutCap = grownCap;
  return true;
}

/**
 * Frames the records in `recs` as fragments from segment offset `start` into walOut. Returns
 * the framed length, -1 when they do not fit before `segSize`, -2 when memory cannot grow.
 */
function frameAll(start: usize, segSize: usize): i32 {
  let end = start;
  let from: usize = 0;
  for (let i: u32 = 0; i < endsLen; i++) {
    const to = <usize>load<u32>(ends + (<usize>i << 2));
    end = framedEnd(end, to - from);
    from = to;
  }
  if (end > segSize) return -1;
  if (!reserveOut(end - start)) return -2;
  let pos = start;
  from = 0;
  for (let i: u32 = 0; i < endsLen; i++) {
    const to = <usize>load<u32>(ends + (<usize>i << 2));
    let p = recs + from;
    let len = to - from;
    let first = true;
    while (first || len > 0) {
      let room = WAL_PAGE_SIZE - (pos % WAL_PAGE_SIZE);
      if (room < WAL_HEADER_SIZE) {
        memory.fill(walOut + (pos - start), 0, room);
        pos += room;
        room = WAL_PAGE_SIZE;
      }
      const n = min(len, room - WAL_HEADER_SIZE);
      const last = n == len;
      const typ = first ? (last ? WAL_FRAG_FULL : WAL_FRAG_FIRST) : (last ? WAL_FRAG_LAST : WAL_FRAG_MIDDLE);
      const h = walOut + (pos - start);
      store<u8>(h, <u8>typ);
      store<u16>(h, bswap<u16>(<u16>n), 1);
      store<u32>(h, bswap<u32>(crc32c(p, n)), 3);
      memory.copy(h + WAL_HEADER_SIZE, p, n);
      pos += WAL_HEADER_SIZE + n;
      p += n;
      len -= n;
      first = false;
      const left = WAL_PAGE_SIZE - (pos % WAL_PAGE_SIZE);
      if (left < WAL_HEADER_SIZE && left != WAL_PAGE_SIZE) {
        memory.fill(walOut + (pos - start), 0, left);
        pos += left;
      }
    }
    from = to;
  }
  return <i32>(pos - start);
}

/**
 * Encodes the open batch (a Series record for the series it created, then one Samples record,
 * timestamps in milliseconds) and frames it for the segment at offset `segOff`. Returns the
 * bytes at walOut, 0 for an empty batch, -1 when it does not fit before `segSize` (cut to a new
 * segment and call again), -2 when memory cannot grow.
 */
export function encodeBatch(segOff: u32, segSize: u32): i32 {
  recsLen = 0;
  endsLen = 0;
  if (createdLen > 0) {
    let need: usize = 1;
    for (let i: u32 = 0; i < createdLen; i++) {
      need += seriesBytes(<usize>load<u32>(createdList + (<usize>i << 2)));
    }
    if (!reserveRecs(need)) return -2;
    putByte(WAL_REC_SERIES);
    for (let i: u32 = 0; i < createdLen; i++) putSeries(<usize>load<u32>(createdList + (<usize>i << 2)));
    if (!endRecord()) return -2;
  }
  if (pendingLen > 0) {
    if (!reserveRecs(17 + <usize>pendingLen * SAMPLE_MAX)) return -2;
    const end = pending + <usize>pendingLen * PEND_SIZE;
    beginSamples(
      load<u64>(<usize>load<u32>(pending, PEND_SERIES), SER_REF),
      <i64>load<u32>(pending, PEND_TS) * 1000,
    );
    for (let p = pending; p < end; p += PEND_SIZE) {
      putSample(
        load<u64>(<usize>load<u32>(p, PEND_SERIES), SER_REF),
        <i64>load<u32>(p, PEND_TS) * 1000,
        load<f64>(p, PEND_VALUE),
      );
    }
    if (!endRecord()) return -2;
  }
  if (endsLen == 0) return 0;
  return frameAll(segOff, segSize);
}

/**
 * Frames one record of `hdrLen` bytes at `hdr` followed by `len` bytes at `ptr` (a relay queue's
 * record: docs/relay.md) for segment offset `segOff` into walOut. Returns the framed length, -1
 * when it does not fit before `segSize`, -2 when memory cannot grow.
 */
export function encodeRecord(hdr: usize, hdrLen: usize, ptr: usize, len: usize, segOff: u32, segSize: u32): i32 {
  recsLen = 0;
  endsLen = 0;
  if (!reserveRecs(hdrLen + len)) return -2;
  putBytes(hdr, hdrLen);
  putBytes(ptr, len);
  if (!endRecord()) return -2;
  return frameAll(segOff, segSize);
}

// Checkpoint cursor: phase 0 writes Series records, phase 1 Samples records.
let cpPhase: i32 = 0;
let cpShard: u32 = 0;
let cpSlot: u32 = 0;
let cpPos: usize = 0;
/** Points a checkpoint left out because its byte budget was reached. */
export let cpDropped: u64 = 0;
let cpBudget: u64 = 0;

/** Starts a checkpoint of the whole cache; at most `budget` bytes of framed records. */
export function checkpointBegin(budget: u64): void {
  cpPhase = 0;
  cpShard = 0;
  cpSlot = 0;
  cpPos = 0;
  cpDropped = 0;
  cpBudget = budget;
}

/**
 * Encodes and frames the next part of the checkpoint (about 1 MiB of records) into walOut;
 * returns its length, 0 when the checkpoint is complete, -2 when memory cannot grow. The
 * table must not change between calls.
 */
export function checkpointNext(): i32 {
  recsLen = 0;
  endsLen = 0;
  while (cpPhase < 2 && recsLen < CHECKPOINT_RECORD_BYTES) {
    if (cpShard >= SHARD_COUNT) {
      if (recsLen > 0 && !endRecord()) return -2;
      cpPhase++;
      cpShard = 0;
      cpSlot = 0;
      if (recsLen > 0) break;
      continue;
    }
    if (cpSlot >= shardCapacity(cpShard)) {
      cpShard++;
      cpSlot = 0;
      continue;
    }
    const series = slotSeries(cpShard, cpSlot++);
    if (series == 0) continue;
    if (cpPhase == 0) {
      if (recsLen == 0) {
        if (!reserveRecs(1)) return -2;
        putByte(WAL_REC_SERIES);
      }
      if (!reserveRecs(seriesBytes(series))) return -2;
      putSeries(series);
      continue;
    }
    const n = read(series);
    if (n < 0) return -2;
    if (n == 0) continue;
    if (<u64>cpPos + <u64>recsLen >= cpBudget) {
      cpDropped += <u64>n;
      continue;
    }
    if (!reserveRecs(17 + <usize>n * SAMPLE_MAX)) return -2;
    const ref = load<u64>(series, SER_REF);
    if (recsLen == 0) beginSamples(ref, <i64>load<u32>(out, OUT_TS) * 1000);
    for (let i: i32 = 0; i < n; i++) {
      const o = out + <usize>i * OUT_SIZE;
      putSample(ref, <i64>load<u32>(o, OUT_TS) * 1000, load<f64>(o, OUT_VALUE));
    }
  }
  if (recsLen > 0 && (endsLen == 0 || <usize>load<u32>(ends + (<usize>(endsLen - 1) << 2)) != recsLen)) {
    if (!endRecord()) return -2;
  }
  if (endsLen == 0) return 0;
  const n = frameAll(cpPos, 0xffff_ffff);
  if (n > 0) cpPos += <usize>n;
  return n;
}
