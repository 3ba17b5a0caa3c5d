// The module's export surface: what src/wasm/ calls. One call per chunk, never per line.

import { alloc, free, heapInit } from "./alloc";
import { bump, clearCounters, counters } from "./counters";
import {
  BATCH_RECORDS,
  COUNTER_ACCEPTED,
  COUNTER_REJECTED,
  INPUT_PADDING,
  MAX_NAME_LEN,
  REC_HASH,
  REC_NAME,
  REC_NAME_LEN,
  REC_OK,
  REC_REJECTED,
  REC_SIZE,
  REC_STATUS,
  REC_TS,
  REC_VALUE,
} from "./layout";
import {
  batch,
  batchFixups,
  batchFull,
  batchLen,
  batchRejected,
  nameError,
  parse,
  setBatch,
  setBatchLen,
  setMaxLineLen,
} from "./plain";
import { fnv1a32, hashRecords } from "./fnv";
import {
  confirm as confirmSeries,
  findSeries,
  insert,
  newSeries,
  out,
  pop as popSeries,
  read as readSeries,
  snap,
  snapshot as snapshotSeries,
  syncGauges,
  tableInit,
  takeNewSeries as takeNew,
  touchSlots,
} from "./shard_table";

export {
  BATCH_RECORDS,
  COUNTER_ACCEPTED,
  COUNTER_CACHED_POINTS,
  COUNTER_HEAP_BYTES,
  COUNTER_NOT_CONFIRMED,
  COUNTER_OVERFLOW,
  COUNTER_REJECTED,
  COUNTER_SERIES,
  COUNTER_SLOTS,
  INPUT_PADDING,
  MAX_NAME_LEN,
  OUT_SIZE,
  OUT_TS,
  OUT_VALUE,
  REASON_COUNT,
  REC_FIXUP,
  REC_HASH,
  REC_LINE_LEN,
  REC_NAME,
  REC_NAME_LEN,
  REC_OK,
  REC_REJECTED,
  REC_SIZE,
  REC_STATUS,
  REC_TS,
  REC_VALUE,
  SER_NAME,
  SER_NAME_LEN,
  SNAP_COUNT,
  SNAP_KEY,
  SNAP_MIN_TS,
  SNAP_SERIES,
  SNAP_SIZE,
} from "./layout";

/** Records whose index slots are touched ahead of inserting them (a power of two). */
const TOUCH_AHEAD: usize = 32;

let nameScratch: usize = 0;
let lastAccepted: u32 = 0;
let lastRejected: u32 = 0;
let applied = true;

/** Sets up an empty cache holding at most `maxPoints` points; also used to reset it. */
export function init(maxPoints: u32, maxLineLen: u32): void {
  clearCounters();
  heapInit(__heap_base);
  setBatch(alloc(<usize>BATCH_RECORDS * REC_SIZE));
  nameScratch = alloc(<usize>MAX_NAME_LEN + INPUT_PADDING);
  setMaxLineLen(maxLineLen);
  tableInit(maxPoints);
  applied = true;
}

/** Pointer to the u64 counter slots. */
export function countersPtr(): usize {
  return counters;
}

/** Allocates an input buffer of `size` bytes (plus read-ahead padding); 0 when out of memory. */
export function allocBuffer(size: u32): usize {
  return alloc(<usize>size + INPUT_PADDING);
}

/** Frees a buffer from allocBuffer(size). */
export function freeBuffer(ptr: usize, size: u32): void {
  free(ptr, <usize>size + INPUT_PADDING);
}

/**
 * Parses the complete lines of [ptr, ptr + len) and adds their points to the cache. Returns the
 * bytes consumed; a partial last line is left for the caller to carry into the next chunk.
 * When pendingFixups() is non-zero afterwards, the points are held until the JS side has
 * finished the marked records and called apply().
 */
export function ingest(ptr: usize, len: u32): u32 {
  const consumed = parse(ptr, len);
  applied = false;
  if (batchFixups == 0) apply();
  return <u32>consumed;
}

/** Parses without applying (the write-ahead log commits the batch in between). */
export function parseOnly(ptr: usize, len: u32): u32 {
  applied = false;
  return <u32>parse(ptr, len);
}

/** 1 when the last parse stopped on a full batch: call ingest() again on the rest. */
export function stoppedEarly(): i32 {
  return batchFull ? 1 : 0;
}

/** Records of the current batch still marked REC_FIXUP, or 0 once applied. */
export function pendingFixups(): i32 {
  return applied ? 0 : batchFixups;
}

/** Pointer to the batch records and their number. */
export function batchPtr(): usize {
  return batch;
}

export function batchLength(): i32 {
  return applied ? 0 : batchLen;
}

/** Adds the batch's accepted points to the cache; returns how many were accepted. */
export function apply(): u32 {
  if (applied) return 0;
  let accepted: u32 = 0;
  let rejected: u32 = 0;
  const end = batch + <usize>batchLen * REC_SIZE;
  for (let rec = batch; rec < end; rec += REC_SIZE) {
    if (((rec - batch) & (TOUCH_AHEAD * REC_SIZE - 1)) == 0) {
      const left = <i32>((end - rec) / REC_SIZE);
      touchSlots(rec, min(left, <i32>TOUCH_AHEAD), REC_SIZE, REC_HASH);
    }
    const status = load<u32>(rec, REC_STATUS);
    if (status != REC_OK) {
      if (status >= REC_REJECTED) bump(COUNTER_REJECTED + <i32>(status - REC_REJECTED));
      rejected++;
      continue;
    }
    accepted++;
    insert(
      load<u32>(rec, REC_HASH),
      <usize>load<u32>(rec, REC_NAME),
      <usize>load<u32>(rec, REC_NAME_LEN),
      load<u32>(rec, REC_TS),
      load<f64>(rec, REC_VALUE),
    );
  }
  bump(COUNTER_ACCEPTED, accepted);
  syncGauges();
  lastAccepted = accepted;
  lastRejected = <u32>batchRejected + rejected;
  applied = true;
  return accepted;
}

/** Points accepted by the last apply() (also the last ingest() that applied). */
export function acceptedLast(): u32 {
  return lastAccepted;
}

/** Lines rejected by the last parse and apply. */
export function rejectedLast(): u32 {
  return lastRejected;
}

/** Counts a line the JS side rejected itself (truncated at EOF, too long to buffer). */
export function countRejected(reason: i32, n: u32): void {
  bump(COUNTER_REJECTED + reason, n);
}

/**
 * Prepares `count` records the JS side wrote into the batch for structured protocols (pickle):
 * hashes each name and rejects the unsafe ones, exactly as the plaintext parser would.
 */
export function prepare(count: i32): void {
  setBatchLen(count);
  applied = false;
  const end = batch + <usize>count * REC_SIZE;
  for (let rec = batch; rec < end; rec += REC_SIZE) {
    if (load<u32>(rec, REC_STATUS) != REC_OK) continue;
    const reason = nameError(<usize>load<u32>(rec, REC_NAME), <usize>load<u32>(rec, REC_NAME_LEN));
    if (reason >= 0) store<u32>(rec, REC_REJECTED + <u32>reason, REC_STATUS);
  }
  hashRecords(batch, count, REC_SIZE, REC_HASH, REC_NAME, REC_NAME_LEN);
}

/** Scratch region of MAX_NAME_LEN bytes where the JS side writes a name to look up. */
export function nameScratchPtr(): usize {
  return nameScratch;
}

/** The series named by the `len` bytes in the name scratch region, or 0. */
export function lookup(len: u32): usize {
  return findSeries(fnv1a32(nameScratch, len), nameScratch, len);
}

/** Output region of pop()/read(). */
export function outPtr(): usize {
  return out;
}

/** Snapshot region of snapshot(). */
export function snapPtr(): usize {
  return snap;
}

export function pop(series: usize): i32 {
  return popSeries(series);
}

export function confirm(series: usize): void {
  confirmSeries(series);
}

export function read(series: usize): i32 {
  return readSeries(series);
}

/** Pointer to the ring of series created since the last takeNewSeries(). */
export function newSeriesPtr(): usize {
  return newSeries;
}

/** Series created since the last call (read them at newSeriesPtr()), or -1 after an overflow. */
export function takeNewSeries(): i32 {
  return takeNew();
}

/**
 * Lists the series ready for writing, ordered by strategy (0 noop, 1 max, 2 sorted), or every
 * series (3).
 */
export function snapshot(strategy: i32): i32 {
  return snapshotSeries(strategy);
}
