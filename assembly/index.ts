// The module's export surface: what src/wasm/ calls. One call per chunk, never per line.

import { alloc, free, heapInit } from "./alloc";
export { setMaxPages } from "./alloc";
import { bumpStaged, clearCounters, counters, staged } from "./counters";
import {
  BATCH_RECORDS,
  COUNTER_OVERFLOW,
  COUNTER_REJECTED,
  COUNTER_TAGS_INVALID,
  INPUT_PADDING,
  MAX_NAME_LEN,
  REC_HASH,
  REC_NAME,
  REC_NAME_LEN,
  REC_OK,
  REC_REJECTED,
  REC_SIZE,
  REC_STATUS,
  SER_REF,
} from "./layout";
import {
  batch,
  batchFixups,
  batchFull,
  batchLen,
  checkName,
  nameCanonical,
  nameTagsInvalid,
  parse,
  setBatch,
  setBatchLen,
  setMaxLineLen,
} from "./plain";
import { fnv1a32, hashRecords } from "./fnv";
import { simpleName } from "./structured";
import { canon, canonLen, tagsInit } from "./tags";
import { expReset } from "./expfmt";
import { crc32c as crc, crcInit } from "./crc32c";
import { checkpointBegin as cpBegin, checkpointNext as cpNext, cpDropped, encodeBatch, encodeRecord, walOut } from "./wal_encode";
import {
  order,
  outputs,
  queueHeader,
  ring,
  ringPosition,
  ringReserve,
  route as routeBlock,
  routeBegin as rtBegin,
  routeCounters,
  routeOutOfMemory,
  routeSetup as rtSetup,
  setDown,
  slow,
  slowLen,
} from "./route";
import {
  damage,
  damageCount,
  droppedPoints,
  goodEnd,
  collected,
  collectedLen,
  replayBegin as rBegin,
  scanBegin as sBegin,
  replayChunk as rChunk,
  replayedPoints,
  replayedSeries,
  replayFinish as rFinish,
  segmentBegin as segBegin,
  torn,
  unknownRecords,
  unknownRefs,
} from "./wal_replay";
import {
  abandon as abandonBatch,
  batchInit,
  commit as commitBatch,
  createdLen,
  pendingLen,
  rollback as rollbackBatch,
  lastOverflow,
  lastRejected,
  setDirect as setDirectMode,
  stage,
  stagedRejected as stagedRejectedNow,
} from "./appender";
import {
  collectGarbage as collectSeries,
  confirm as confirmSeries,
  dropPoints as dropSeriesPoints,
  findSeries,
  newSeries,
  out,
  pop as popSeries,
  read as readSeries,
  setFailed as setSeriesFailed,
  snap,
  snapshot as snapshotSeries,
  tableInit,
  takeNewSeries as takeNew,
} from "./shard_table";

export {
  BATCH_RECORDS,
  COUNTER_ACCEPTED,
  COUNTER_CACHED_POINTS,
  COUNTER_GC_SERIES,
  COUNTER_HEAP_BYTES,
  COUNTER_NOT_CONFIRMED,
  COUNTER_OVERFLOW,
  COUNTER_REJECTED,
  COUNTER_SERIES,
  COUNTER_SLOTS,
  COUNTER_TAGS_INVALID,
  INPUT_PADDING,
  MAX_NAME_LEN,
  MOUT_LEN,
  MOUT_LINES,
  MOUT_PTR,
  MOUT_SIZE,
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
  RC_COPIES,
  RC_LINES,
  RC_REJECTED,
  RC_REROUTED,
  RC_SLOTS,
  RING_MEMBER,
  RING_POS,
  RING_SIZE,
  ROUTE_CARBON_CH,
  ROUTE_FNV1A_CH,
  ROUTE_JUMP_FNV1A,
  ROUTE_MAX_MEMBERS,
  ROUTE_MAX_REPLICATION,
  ROUTE_RING_REPLICAS,
  SER_NAME,
  SER_NAME_LEN,
  SER_REF,
  SNAP_COUNT,
  SNAP_KEY,
  SNAP_MIN_TS,
  SNAP_SERIES,
  SNAP_SIZE,
  WAL_PAGE_SIZE,
} from "./layout";

// Prometheus exposition bodies and the scrape cache: their own file.
export {
  EXP_DONE,
  EXP_DROPPED,
  EXP_ERROR,
  EXP_EXPLICIT_TS,
  EXP_FIXUP,
  EXP_MORE,
  EXP_NAMES_BYTES,
  EXP_NAN,
  EXP_OLD,
  FIX_OM_TS,
  FIX_SIZE,
  FIX_VALUE,
  RESOLVE_DROP,
  RESOLVE_NAME,
  RESOLVE_SIZE,
  expBegin,
  expConsumed,
  expFixPtr,
  expFixups,
  expMisses,
  expMissPtr,
  expNamesPtr,
  expParse,
  expRecords,
  expResolve,
  expResolvePtr,
  expStage,
  expTotal,
  scBytes,
  scEntries,
  scFree,
  scNew,
} from "./expfmt";
// Influx line protocol, OpenTSDB and remote_write: their own file.
export * from "./protocols";
// Snappy compression of the remote_write sender's request bodies.
export { SNAPPY_TABLE_BYTES, snappyEncode, snappyMaxEncoded } from "./snappy_encode";

let nameScratch: usize = 0;
let batchStaged: bool = false;

/** Sets up an empty cache holding at most `maxPoints` points; also used to reset it. */
export function init(maxPoints: u32, maxLineLen: u32): void {
  clearCounters();
  heapInit(__heap_base);
  setBatch(alloc(<usize>BATCH_RECORDS * REC_SIZE));
  nameScratch = alloc(<usize>MAX_NAME_LEN + INPUT_PADDING);
  tagsInit();
  setMaxLineLen(maxLineLen);
  tableInit(maxPoints);
  batchInit();
  crcInit();
  expReset();
  batchStaged = true;
}

/** Pointer to the u64 counter slots. */
export function countersPtr(): usize {
  return counters;
}

/** Pointer to the open batch's u64 counter slots (same layout, folded in by commit()). */
export function stagedPtr(): usize {
  return staged;
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
 * Parses the complete lines of [ptr, ptr + len) and stages their points in the open batch.
 * Returns the bytes consumed; a partial last line is left for the caller to carry into the next
 * chunk. When pendingFixups() is non-zero afterwards, the records are held until the JS side
 * has finished the marked ones and called stageBatch(); when stoppedEarly() is 1, call again on
 * the rest.
 */
export function parseStage(ptr: usize, len: u32): u32 {
  const consumed = parse(ptr, len);
  batchStaged = false;
  if (batchFixups == 0) stageBatch();
  return <u32>consumed;
}

/** 1 when the last parse stopped on a full batch: call parseStage() again on the rest. */
export function stoppedEarly(): i32 {
  return batchFull ? 1 : 0;
}

/** Records of the current parse batch still marked REC_FIXUP, or 0 once staged. */
export function pendingFixups(): i32 {
  return batchStaged ? 0 : batchFixups;
}

/** Pointer to the parse batch records and their number. */
export function batchPtr(): usize {
  return batch;
}

export function batchLength(): i32 {
  return batchStaged ? 0 : batchLen;
}

/** Stages the parse batch's records into the open batch (after the JS fix-up). */
export function stageBatch(): void {
  if (batchStaged) return;
  stage(batch, batchLen);
  batchStaged = true;
}

/** Direct mode on (1) or off (0): stage() applies at once; the batch must be committed next. */
export function setDirect(on: i32): void {
  setDirectMode(on != 0);
}

/** Lines and points the open batch refused so far, any reason. */
export function stagedRejected(): u32 {
  return stagedRejectedNow();
}

/** Points the open batch dropped for lack of room so far. */
export function stagedOverflow(): u32 {
  return <u32>load<u64>(staged + (<usize>COUNTER_OVERFLOW << 3));
}

/** What the last commit() refused, any reason. */
export function committedRejected(): u32 {
  return lastRejected;
}

/** What the last commit() dropped for lack of room. */
export function committedOverflow(): u32 {
  return lastOverflow;
}

/** Series the open batch created so far (new to the cache). */
export function batchCreated(): u32 {
  return createdLen;
}

/** Points admitted into the open batch so far. */
export function pendingPoints(): u32 {
  return pendingLen;
}

/** Applies the open batch to the cache; returns the points added. */
export function commit(): u32 {
  return commitBatch();
}

/** Drops the open batch: no point, series or count of it remains. */
export function rollback(): void {
  rollbackBatch();
}

/** Drops the open batch as not logged (its points counted under `reason`); returns them. */
export function abandon(reason: i32): u32 {
  return abandonBatch(reason);
}

/** Counts points or lines the JS side refused itself, in the open batch. */
export function countRejected(reason: i32, n: u32): void {
  bumpStaged(COUNTER_REJECTED + reason, n);
}

/**
 * Stages `count` records the JS side wrote into the batch for structured protocols (pickle):
 * checks each name and puts its tags in canonical order (written back over the name), hashes
 * it and rejects the unsafe ones, exactly as the plaintext parser would.
 */
export function prepareStage(count: i32): void {
  setBatchLen(count);
  const end = batch + <usize>count * REC_SIZE;
  for (let rec = batch; rec < end; rec += REC_SIZE) {
    if (load<u32>(rec, REC_STATUS) != REC_OK) continue;
    const name = <usize>load<u32>(rec, REC_NAME);
    const len = <usize>load<u32>(rec, REC_NAME_LEN);
    if (simpleName(name, len)) continue; // as checkName() would find it, in one pass
    const reason = checkName(name, len);
    if (reason >= 0) {
      store<u32>(rec, REC_REJECTED + <u32>reason, REC_STATUS);
      continue;
    }
    if (nameCanonical) {
      memory.copy(name + len - canonLen, canon, canonLen);
      store<u32>(rec, <u32>(name + len - canonLen), REC_NAME);
      store<u32>(rec, <u32>canonLen, REC_NAME_LEN);
    }
    if (nameTagsInvalid) bumpStaged(COUNTER_TAGS_INVALID);
  }
  hashRecords(batch, count, REC_SIZE, REC_HASH, REC_NAME, REC_NAME_LEN);
  stage(batch, count);
  batchStaged = true;
}

/** Scratch region of MAX_NAME_LEN bytes where the JS side writes a name to look up. */
export function nameScratchPtr(): usize {
  return nameScratch;
}

/** The series named by the `len` bytes in the name scratch region, or 0. */
export function lookup(len: u32): usize {
  return findSeries(fnv1a32(nameScratch, len), nameScratch, len);
}

/** A series' stable reference. */
export function seriesRef(series: usize): u64 {
  return load<u64>(series, SER_REF);
}

/** Marks a series as failing for good (1) or clears the mark (0). */
export function setFailed(series: usize, failed: i32): void {
  setSeriesFailed(series, failed != 0);
}

/** Drops empty series idle since the previous call; returns how many. */
export function collectGarbage(): u32 {
  return collectSeries();
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

/** Frees every point of a series whose file cannot be written; returns how many. */
export function dropPoints(series: usize): u32 {
  return dropSeriesPoints(series);
}

export function read(series: usize): i32 {
  return readSeries(series);
}

/** Pointer to the ring of series committed since the last takeNewSeries(). */
export function newSeriesPtr(): usize {
  return newSeries;
}

/** Series committed since the last call (read them at newSeriesPtr()), or -1 after an overflow. */
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

/** CRC-32C of `len` bytes at `ptr` (the WAL's fragment checksum). */
export function crc32c(ptr: usize, len: u32): u32 {
  return crc(ptr, len);
}

/**
 * Encodes the open batch as WAL records framed for segment offset `segOff`; returns the bytes
 * at walOutPtr(), 0 for nothing to log, -1 when they do not fit before `segSize`, -2 when
 * memory cannot grow.
 */
export function walEncode(segOff: u32, segSize: u32): i32 {
  return encodeBatch(segOff, segSize);
}

/** Framed WAL bytes of the last walEncode() or checkpointNext(). */
export function walOutPtr(): usize {
  return walOut;
}

/** Starts a checkpoint of the cache: at most `budgetMiB` MiB of samples. */
export function checkpointBegin(budgetMiB: u32): void {
  cpBegin(<u64>budgetMiB << 20);
}

/** The next framed part of the checkpoint at walOutPtr(); 0 when done, -2 when out of memory. */
export function checkpointNext(): i32 {
  return cpNext();
}

/** Points the checkpoint left out for its byte budget. */
export function checkpointDropped(): f64 {
  return <f64>cpDropped;
}

/** Starts a replay; false when memory cannot grow. */
export function replayBegin(): bool {
  return rBegin();
}

/** Starts reading one segment file. */
export function segmentBegin(): void {
  segBegin();
}

/** Reads a chunk of the segment: bytes [ptr, ptr + len) from file offset `fileOff`. */
export function replayChunk(ptr: usize, len: u32, fileOff: f64): bool {
  return rChunk(ptr, len, <u64>fileOff);
}

/** File offset just past the segment's last complete record. */
export function segmentGoodEnd(): f64 {
  return <f64>goodEnd;
}

/** 1 when the segment ended inside a fragment or a record. */
export function segmentTorn(): i32 {
  return torn ? 1 : 0;
}

/** Damaged places in the segment (their file offsets as u64 at damagePtr(), up to 64). */
export function damageFound(): u32 {
  return damageCount;
}

export function damagePtr(): usize {
  return damage;
}

/** Replay totals: points, series, samples of unknown series, points dropped, unknown records. */
export function replayTotal(which: i32): f64 {
  if (which == 0) return <f64>replayedPoints;
  if (which == 1) return <f64>replayedSeries;
  if (which == 2) return <f64>unknownRefs;
  if (which == 3) return <f64>droppedPoints;
  return <f64>unknownRecords;
}

/** Ends a replay and frees its reference map. */
export function replayFinish(): void {
  rFinish();
}

/** Starts reading the log as a reader: chunks list their records instead of applying them. */
export function scanBegin(): void {
  sBegin();
}

/** Records listed by the last replayChunk() in scan mode: u32 length, u64 end offset, bytes. */
export function collectedPtr(): usize {
  return collected;
}

export function collectedBytes(): u32 {
  return <u32>collectedLen;
}

/**
 * Sets up relay routing: method (ROUTE_*), replication, member count, and the characters a name
 * may hold besides letters and digits (`allowedLen` bytes at `allowedPtr`). False when the
 * counts are out of range.
 */
export function routeSetup(method: i32, replication: i32, members: i32, allowedPtr: usize, allowedLen: u32): bool {
  return rtSetup(method, replication, members, allowedPtr, allowedLen);
}

/** jump_fnv1a_ch's bucket list: u16 member index per bucket (members in ring order). */
export function routeOrderPtr(): usize {
  return order;
}

/** Room for `entries` ring entries (RING_SIZE bytes each, sorted); their address, 0 on no memory. */
export function routeRingReserve(entries: i32): usize {
  return ringReserve(entries) ? ring : 0;
}

/** The ring position of the `len` bytes at `ptr` under ROUTE_FNV1A_CH or ROUTE_CARBON_CH. */
export function routeRingPosition(method: i32, ptr: usize, len: u32): u32 {
  return ringPosition(method, ptr, len);
}

/** Marks member `m` down (1: its lines go to a replacement in route()) or up (0). */
export function routeSetDown(m: i32, isDown: i32): void {
  setDown(m, isDown);
}

/** Empties the member outputs and the route counters. */
export function routeBegin(): void {
  rtBegin();
}

/**
 * Routes the complete lines of [ptr, ptr + len) into the member outputs; returns the bytes
 * consumed. `only` >= 0 reroutes a down member's queued lines; `trusted` skips the number checks
 * (lines the JS side has checked). See assembly/route.ts.
 */
export function route(ptr: usize, len: u32, only: i32, trusted: i32): u32 {
  return <u32>routeBlock(ptr, len, only, trusted != 0);
}

/** Lines the last route() left to the JS side: u32 offset, u32 length each, at routeSlowPtr(). */
export function routeSlowCount(): u32 {
  return slowLen;
}

export function routeSlowPtr(): usize {
  return slow;
}

/** 1 when the last route() stopped because an output could not grow. */
export function routeFailed(): i32 {
  return routeOutOfMemory ? 1 : 0;
}

/** The member outputs: MOUT_SIZE bytes per member. */
export function routeOutputsPtr(): usize {
  return outputs;
}

/** The route counters: RC_SLOTS u64 slots. */
export function routeCountersPtr(): usize {
  return routeCounters;
}

/** 16 bytes where the JS side writes a relay queue record's header. */
export function queueHeaderPtr(): usize {
  return queueHeader;
}

/**
 * Frames a record of `hdrLen` bytes at `hdr` then `len` bytes at `ptr` for segment offset
 * `segOff` at walOutPtr(); returns its length, -1 when it does not fit before `segSize`, -2
 * when memory cannot grow.
 */
export function walEncodeRecord(hdr: usize, hdrLen: u32, ptr: usize, len: u32, segOff: u32, segSize: u32): i32 {
  return encodeRecord(hdr, hdrLen, ptr, len, segOff, segSize);
}
