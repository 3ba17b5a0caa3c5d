// The cache: 1024 shards (hash & 1023), each an open-addressing index from name bytes to a
// series record; a record holds its name once and a list of 16-byte point slots, newest first.
// Carbon's semantics for every reader: one value per series and second, the last arrival wins,
// points listed in order of first arrival. appendPoint() only appends (and marks a series DIRTY
// when a timestamp is not newer than the last); pop() and read() deduplicate DIRTY series on the
// way out, so nothing downstream sees two values for one second. A series keeps its record, and
// its stable reference, when its points are confirmed: collectGarbage() drops empty idle ones.

import { alloc, free } from "./alloc";
import { bump, counters } from "./counters";
import {
  COUNTER_CACHED_POINTS,
  COUNTER_NOT_CONFIRMED,
  COUNTER_SERIES,
  COUNTER_GC_SERIES,
  FLAG_DIRTY,
  FLAG_FAILED,
  FLAG_UNCONFIRMED_DIRTY,
  HINT_SERIES,
  HINT_STAMP,
  NEW_SERIES_CAP,
  OUT_SIZE,
  OUT_TS,
  OUT_VALUE,
  PT_NEXT,
  PT_SIZE,
  PT_TS,
  PT_VALUE,
  SER_COUNT,
  SER_EPOCH,
  SER_FLAGS,
  SER_HASH,
  SER_HEAD,
  SER_MAX_TS,
  SER_MIN_TS,
  SER_NAME,
  SER_NAME_LEN,
  SER_REF,
  SER_UNCONFIRMED,
  SHARD_BITS,
  SHARD_CAP_MASK,
  SHARD_COUNT,
  SHARD_INITIAL_CAP,
  SHARD_MASK,
  SHARD_SIZE,
  SHARD_SLOTS,
  SHARD_USED,
  SNAP_COUNT,
  SNAP_KEY,
  SNAP_MIN_TS,
  SNAP_SERIES,
  SNAP_SIZE,
} from "./layout";

const OUT_DELETED: i32 = 4; // u32 marker inside an output record during dedup

let shards: usize = 0;
let maxPoints: u64 = 0;
let cachedPoints: u64 = 0;
let notConfirmed: u64 = 0;
let seriesCount: u64 = 0;
let freePoints: usize = 0;
/** The next series reference: only ever grows, so a reference is never reused. */
let nextRef: u64 = 1;
/** collectGarbage() epoch: a series last appended to in an older epoch is idle. */
let gcEpoch: u32 = 0;
/** Set by seriesFor() when it created the series it returns. */
export let created: bool = false;
/** Series deleted so far (wrapping): a series hint stamped with another count is stale. */
let seriesDeletions: u32 = 0;

/** Output region for pop()/read(), OUT_SIZE bytes per point; grown on demand. */
export let out: usize = 0;
let outCap: u32 = 0;
/** Snapshot region for the writeout queue, SNAP_SIZE bytes per series; grown on demand. */
export let snap: usize = 0;
let snapTmp: usize = 0; // second buffer for the radix sort
let snapCap: u32 = 0;
let counts: usize = 0; // 256 x u32 radix counters
let keys: usize = 0; // u64 sort keys for dedup
let keysCap: u32 = 0;
/** Series created since takeNewSeries(): NEW_SERIES_CAP u32 pointers; beyond it, overflow. */
export let newSeries: usize = 0;
let newSeriesCount: i32 = 0;

/** Empties the table and sets the point limit (cache max-size). */
export function tableInit(limit: u64): void {
  maxPoints = limit;
  cachedPoints = 0;
  notConfirmed = 0;
  seriesCount = 0;
  freePoints = 0;
  nextRef = 1;
  gcEpoch = 0;
  out = 0;
  outCap = 0;
  snap = 0;
  snapTmp = 0;
  snapCap = 0;
  counts = 0;
  keys = 0;
  keysCap = 0;
  newSeries = alloc(<usize>NEW_SERIES_CAP << 2);
  newSeriesCount = 0;
  shards = alloc(<usize>SHARD_COUNT * SHARD_SIZE);
  for (let i: u32 = 0; i < SHARD_COUNT; i++) {
    const sh = shards + <usize>i * SHARD_SIZE;
    const bytes = <usize>SHARD_INITIAL_CAP << 3;
    const slots = alloc(bytes);
    memory.fill(slots, 0, bytes);
    store<u32>(sh, <u32>slots, SHARD_SLOTS);
    store<u32>(sh, SHARD_INITIAL_CAP - 1, SHARD_CAP_MASK);
    store<u32>(sh, 0, SHARD_USED);
  }
  syncGauges();
}

/** Copies the hot counters kept in globals into the counters region. */
export function syncGauges(): void {
  store<u64>(counters + (<usize>COUNTER_CACHED_POINTS << 3), cachedPoints);
  store<u64>(counters + (<usize>COUNTER_NOT_CONFIRMED << 3), notConfirmed);
  store<u64>(counters + (<usize>COUNTER_SERIES << 3), seriesCount);
}

// @ts-ignore: decorator
@inline function bytesEqual(a: usize, b: usize, len: usize): bool {
  let i: usize = 0;
  while (i + 8 <= len) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
    i += 8;
  }
  while (i < len) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
    i++;
  }
  return true;
}

// @ts-ignore: decorator
@inline function shardOf(hash: u32): usize {
  return shards + (<usize>(hash & SHARD_MASK) << 4);
}

/** The series named by [name, name + len) with this hash, or 0. */
export function findSeries(hash: u32, name: usize, len: usize): usize {
  const sh = shardOf(hash);
  const slots = <usize>load<u32>(sh, SHARD_SLOTS);
  const mask = load<u32>(sh, SHARD_CAP_MASK);
  let i = (hash >> SHARD_BITS) & mask;
  while (true) {
    const e = slots + (<usize>i << 3);
    const rec = <usize>load<u32>(e, 4);
    if (rec == 0) return 0;
    if (
      load<u32>(e) == hash && <usize>load<u16>(rec, SER_NAME_LEN) == len &&
      bytesEqual(rec + SER_NAME, name, len)
    ) return rec;
    i = (i + 1) & mask;
  }
}

/** Doubles a shard's index; false when memory cannot grow. */
function growShard(sh: usize): bool {
  const oldSlots = <usize>load<u32>(sh, SHARD_SLOTS);
  const oldCap = load<u32>(sh, SHARD_CAP_MASK) + 1;
  const cap = oldCap << 1;
  const bytes = <usize>cap << 3;
  const slots = alloc(bytes);
  if (slots == 0) return false;
  memory.fill(slots, 0, bytes);
  const mask = cap - 1;
  for (let j: u32 = 0; j < oldCap; j++) {
    const e = oldSlots + (<usize>j << 3);
    const rec = load<u32>(e, 4);
    if (rec == 0) continue;
    const hash = load<u32>(e);
    let i = (hash >> SHARD_BITS) & mask;
    while (load<u32>(slots + (<usize>i << 3), 4) != 0) i = (i + 1) & mask;
    store<u64>(slots + (<usize>i << 3), load<u64>(e));
  }
  free(oldSlots, <usize>oldCap << 3);
  store<u32>(sh, <u32>slots, SHARD_SLOTS);
  store<u32>(sh, mask, SHARD_CAP_MASK);
  return true;
}

let touched: u32 = 0;

/** The series a hint (layout.ts HINT_*, at `hint`, or 0) still names, or 0. */
// @ts-ignore: decorator
@inline export function hintedSeries(hint: usize): usize {
  return hint != 0 && load<u32>(hint, HINT_STAMP) == seriesDeletions
    ? <usize>load<u32>(hint, HINT_SERIES)
    : 0;
}

/** Points a hint at `series` (found or created by seriesFor()). */
// @ts-ignore: decorator
@inline export function setHint(hint: usize, series: usize): void {
  store<u32>(hint, <u32>series, HINT_SERIES);
  store<u32>(hint, seriesDeletions, HINT_STAMP);
}

/** The series in the index slot insert() probes first for `hash`, or 0. */
// @ts-ignore: decorator
@inline function firstProbe(hash: u32): usize {
  const sh = shardOf(hash);
  const slots = <usize>load<u32>(sh, SHARD_SLOTS);
  const i = (hash >> SHARD_BITS) & load<u32>(sh, SHARD_CAP_MASK);
  return <usize>load<u32>(slots + (<usize>i << 3), 4);
}

/**
 * Loads the index slot (and the series it holds) that insert() will probe first for each of
 * `count` batch records, so that their cache misses overlap instead of coming one at a time.
 */
export function touchSlots(rec: usize, count: i32, recSize: usize, hashOff: usize): void {
  let sum: u32 = 0;
  for (let k = 0; k < count; k++) {
    const series = firstProbe(load<u32>(rec + hashOff));
    sum += series == 0 ? 0 : load<u32>(series, SER_HEAD);
    rec += recSize;
  }
  touched += sum;
}

/**
 * touchSlots() for records with hints (`hints` lists a u32 hint pointer per record): the series
 * a valid hint names is loaded directly, one miss instead of two in a row.
 */
export function touchHinted(
  rec: usize,
  count: i32,
  recSize: usize,
  hashOff: usize,
  hints: usize,
): void {
  let sum: u32 = 0;
  for (let k = 0; k < count; k++) {
    let series = hintedSeries(<usize>load<u32>(hints + (<usize>k << 2)));
    if (series == 0) series = firstProbe(load<u32>(rec + hashOff));
    sum += series == 0 ? 0 : load<u32>(series, SER_HEAD);
    rec += recSize;
  }
  touched += sum;
}

/** Finds or creates the series (setting `created`); 0 when it is new and memory cannot grow. */
// @ts-ignore: decorator
@inline export function seriesFor(hash: u32, name: usize, len: usize): usize {
  created = false;
  const sh = shardOf(hash);
  let slots = <usize>load<u32>(sh, SHARD_SLOTS);
  let mask = load<u32>(sh, SHARD_CAP_MASK);
  let i = (hash >> SHARD_BITS) & mask;
  while (true) {
    const e = slots + (<usize>i << 3);
    const rec = <usize>load<u32>(e, 4);
    if (rec == 0) break;
    if (
      load<u32>(e) == hash && <usize>load<u16>(rec, SER_NAME_LEN) == len &&
      bytesEqual(rec + SER_NAME, name, len)
    ) return rec;
    i = (i + 1) & mask;
  }
  return createSeries(sh, i, hash, name, len);
}

/** Creates a series at free slot `i` of shard `sh`, growing the shard first if it is full. */
function createSeries(sh: usize, i: u32, hash: u32, name: usize, len: usize): usize {
  const used = load<u32>(sh, SHARD_USED);
  let mask = load<u32>(sh, SHARD_CAP_MASK);
  if ((used + 1) * 4 > (mask + 1) * 3) {
    if (!growShard(sh)) return 0;
    mask = load<u32>(sh, SHARD_CAP_MASK);
    const slots = <usize>load<u32>(sh, SHARD_SLOTS);
    i = (hash >> SHARD_BITS) & mask;
    while (load<u32>(slots + (<usize>i << 3), 4) != 0) i = (i + 1) & mask;
  }
  const rec = alloc(<usize>SER_NAME + len);
  if (rec == 0) return 0;
  store<u32>(rec, hash, SER_HASH);
  store<u16>(rec, <u16>len, SER_NAME_LEN);
  store<u16>(rec, 0, SER_FLAGS);
  store<u32>(rec, 0, SER_HEAD);
  store<u32>(rec, 0, SER_COUNT);
  store<u32>(rec, 0, SER_MAX_TS);
  store<u32>(rec, 0, SER_MIN_TS);
  store<u32>(rec, 0, SER_UNCONFIRMED);
  store<u32>(rec, gcEpoch, SER_EPOCH);
  store<u64>(rec, nextRef++, SER_REF);
  memory.copy(rec + SER_NAME, name, len);
  const e = <usize>load<u32>(sh, SHARD_SLOTS) + (<usize>i << 3);
  store<u32>(e, hash);
  store<u32>(e, <u32>rec, 4);
  store<u32>(sh, used + 1, SHARD_USED);
  seriesCount++;
  created = true;
  return rec;
}

/** Records a committed new series for the name index (takeNewSeries()). */
export function noteNewSeries(rec: usize): void {
  if (newSeriesCount < NEW_SERIES_CAP) store<u32>(newSeries + (<usize>newSeriesCount << 2), <u32>rec);
  newSeriesCount++;
}

/** The next reference a new series gets. */
export function peekNextRef(): u64 {
  return nextRef;
}

/** Makes new series take references from `ref` on (never lowers the counter). */
export function raiseNextRef(ref: u64): void {
  if (ref > nextRef) nextRef = ref;
}

/**
 * How many series were created since the last call (their pointers are in `newSeries`), or -1
 * when more than NEW_SERIES_CAP were: the caller then lists every series instead.
 */
export function takeNewSeries(): i32 {
  const n = newSeriesCount;
  newSeriesCount = 0;
  return n > NEW_SERIES_CAP ? -1 : n;
}

/** Slots in shard `s`'s index (walk them with slotSeries()). */
export function shardCapacity(s: u32): u32 {
  return load<u32>(shards + <usize>s * SHARD_SIZE, SHARD_CAP_MASK) + 1;
}

/** The series in slot `i` of shard `s`, or 0. */
export function slotSeries(s: u32, i: u32): usize {
  const slots = <usize>load<u32>(shards + <usize>s * SHARD_SIZE, SHARD_SLOTS);
  return <usize>load<u32>(slots + (<usize>i << 3), 4);
}

/** Removes an empty series from its shard (backward-shift deletion) and frees it. */
export function deleteSeries(rec: usize): void {
  const hash = load<u32>(rec, SER_HASH);
  const sh = shardOf(hash);
  const slots = <usize>load<u32>(sh, SHARD_SLOTS);
  const mask = load<u32>(sh, SHARD_CAP_MASK);
  let i = (hash >> SHARD_BITS) & mask;
  while (<usize>load<u32>(slots + (<usize>i << 3), 4) != rec) i = (i + 1) & mask;
  let j = i;
  while (true) {
    j = (j + 1) & mask;
    const e = slots + (<usize>j << 3);
    if (load<u32>(e, 4) == 0) break;
    const home = (load<u32>(e) >> SHARD_BITS) & mask;
    // Move entry j back to the hole at i unless its home lies cyclically in (i, j].
    const stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (stays) continue;
    store<u64>(slots + (<usize>i << 3), load<u64>(e));
    i = j;
  }
  store<u64>(slots + (<usize>i << 3), 0);
  store<u32>(sh, load<u32>(sh, SHARD_USED) - 1, SHARD_USED);
  free(rec, <usize>SER_NAME + <usize>load<u16>(rec, SER_NAME_LEN));
  seriesCount--;
  seriesDeletions++;
}

/** Points the cache can still take: max-size less cached and not-confirmed points. */
export function room(): u64 {
  const used = cachedPoints + notConfirmed;
  return used >= maxPoints ? 0 : maxPoints - used;
}

/** Adds one point to a series' cached list; false when memory cannot grow. */
// @ts-ignore: decorator
@inline export function appendPoint(rec: usize, ts: u32, value: f64): bool {
  let pt = freePoints;
  if (pt != 0) {
    freePoints = <usize>load<u32>(pt, PT_NEXT);
  } else {
    pt = alloc(PT_SIZE);
    if (pt == 0) return false;
  }
  store<u32>(rec, gcEpoch, SER_EPOCH);
  const count = load<u32>(rec, SER_COUNT);
  store<u32>(pt, ts, PT_TS);
  store<u32>(pt, load<u32>(rec, SER_HEAD), PT_NEXT);
  store<f64>(pt, value, PT_VALUE);
  store<u32>(rec, <u32>pt, SER_HEAD);
  store<u32>(rec, count + 1, SER_COUNT);
  if (count == 0) {
    store<u32>(rec, ts, SER_MAX_TS);
    store<u32>(rec, ts, SER_MIN_TS);
  } else {
    if (ts > load<u32>(rec, SER_MAX_TS)) {
      store<u32>(rec, ts, SER_MAX_TS);
    } else {
      store<u16>(rec, load<u16>(rec, SER_FLAGS) | FLAG_DIRTY, SER_FLAGS);
    }
    if (ts < load<u32>(rec, SER_MIN_TS)) store<u32>(rec, ts, SER_MIN_TS);
  }
  cachedPoints++;
  return true;
}

/** Marks a series as failing for good (its points are refused) or clears the mark. */
export function setFailed(rec: usize, failed: bool): void {
  const flags = load<u16>(rec, SER_FLAGS);
  store<u16>(rec, failed ? flags | FLAG_FAILED : flags & ~FLAG_FAILED, SER_FLAGS);
}

/**
 * Drops every series that holds no point, is not marked failed and had no point committed
 * since the previous call, then starts a new epoch. Returns the series dropped.
 */
export function collectGarbage(): u32 {
  let dropped: u32 = 0;
  for (let s: u32 = 0; s < SHARD_COUNT; s++) {
    const sh = shards + <usize>s * SHARD_SIZE;
    let i: u32 = 0;
    while (i <= load<u32>(sh, SHARD_CAP_MASK)) {
      const rec = <usize>load<u32>(<usize>load<u32>(sh, SHARD_SLOTS) + (<usize>i << 3), 4);
      if (
        rec != 0 && load<u32>(rec, SER_COUNT) == 0 && load<u32>(rec, SER_UNCONFIRMED) == 0 &&
        (load<u16>(rec, SER_FLAGS) & FLAG_FAILED) == 0 && load<u32>(rec, SER_EPOCH) != gcEpoch
      ) {
        // backward-shift deletion may move a later entry into slot i: look at it again
        deleteSeries(rec);
        dropped++;
        continue;
      }
      i++;
    }
  }
  gcEpoch++;
  bump(COUNTER_GC_SERIES, dropped);
  syncGauges();
  return dropped;
}

/** Makes room for `n` output records; false when memory cannot grow. */
function ensureOut(n: u32): bool {
  if (n <= outCap) return true;
  let cap = max<u32>(outCap << 1, 1024);
  while (cap < n) cap <<= 1;
  const ptr = alloc(<usize>cap * OUT_SIZE);
  if (ptr == 0) return false;
  if (out != 0) free(out, <usize>outCap * OUT_SIZE);
  out = ptr;
  outCap = cap;
  return true;
}

/** Writes a newest-first list into out[at .. at + n) in arrival order. */
function copyList(head: usize, at: u32, n: u32): void {
  let i = at + n;
  let pt = head;
  while (pt != 0) {
    i--;
    const o = out + <usize>i * OUT_SIZE;
    store<u32>(o, load<u32>(pt, PT_TS), OUT_TS);
    store<f64>(o, load<f64>(pt, PT_VALUE), OUT_VALUE);
    pt = <usize>load<u32>(pt, PT_NEXT);
  }
}

function listLength(head: usize): u32 {
  let n: u32 = 0;
  for (let pt = head; pt != 0; pt = <usize>load<u32>(pt, PT_NEXT)) n++;
  return n;
}

/**
 * Moves a series' cached points to its not-confirmed list and writes them to the output
 * region, deduplicated, in order of first arrival. Returns the records written, or -1 when the
 * series still has points awaiting confirm(), -2 when memory cannot grow.
 */
export function pop(rec: usize): i32 {
  if (load<u32>(rec, SER_UNCONFIRMED) != 0) return -1;
  const n = load<u32>(rec, SER_COUNT);
  if (n == 0) return 0;
  if (!ensureOut(n)) return -2;
  const head = <usize>load<u32>(rec, SER_HEAD);
  copyList(head, 0, n);
  const flags = load<u16>(rec, SER_FLAGS);
  const dirty = (flags & FLAG_DIRTY) != 0;
  const written = dirty ? dedup(n) : n;
  store<u32>(rec, <u32>head, SER_UNCONFIRMED);
  store<u32>(rec, 0, SER_HEAD);
  store<u32>(rec, 0, SER_COUNT);
  store<u16>(rec, (flags & FLAG_FAILED) | (dirty ? FLAG_UNCONFIRMED_DIRTY : 0), SER_FLAGS);
  cachedPoints -= n;
  notConfirmed += n;
  syncGauges();
  return <i32>written;
}

/** Puts a list of points on the free list; returns how many it held. */
function freeList(head: usize): u32 {
  let pt = head;
  let n: u32 = 0;
  while (pt != 0) {
    const next = <usize>load<u32>(pt, PT_NEXT);
    store<u32>(pt, <u32>freePoints, PT_NEXT);
    freePoints = pt;
    pt = next;
    n++;
  }
  return n;
}

/** Frees a series' not-confirmed points once they are persisted (the series stays). */
export function confirm(rec: usize): void {
  notConfirmed -= freeList(<usize>load<u32>(rec, SER_UNCONFIRMED));
  store<u32>(rec, 0, SER_UNCONFIRMED);
  store<u16>(rec, load<u16>(rec, SER_FLAGS) & ~FLAG_UNCONFIRMED_DIRTY, SER_FLAGS);
  syncGauges();
}

/**
 * Frees every point of a series, not-confirmed and cached (its file cannot be written); the
 * series stays, with its FAILED mark. Returns the points freed.
 */
export function dropPoints(rec: usize): u32 {
  const unconfirmed = freeList(<usize>load<u32>(rec, SER_UNCONFIRMED));
  const cached = freeList(<usize>load<u32>(rec, SER_HEAD));
  store<u32>(rec, 0, SER_UNCONFIRMED);
  store<u32>(rec, 0, SER_HEAD);
  store<u32>(rec, 0, SER_COUNT);
  store<u16>(rec, load<u16>(rec, SER_FLAGS) & FLAG_FAILED, SER_FLAGS);
  notConfirmed -= unconfirmed;
  cachedPoints -= cached;
  syncGauges();
  return unconfirmed + cached;
}

/**
 * Writes every point a reader should see for the series (not-confirmed, then cached) to the
 * output region, deduplicated. Returns the records written, or -2 when memory cannot grow.
 */
export function read(rec: usize): i32 {
  const unconfirmed = <usize>load<u32>(rec, SER_UNCONFIRMED);
  const popped = listLength(unconfirmed);
  const n = load<u32>(rec, SER_COUNT);
  if (!ensureOut(popped + n)) return -2;
  copyList(unconfirmed, 0, popped);
  copyList(<usize>load<u32>(rec, SER_HEAD), popped, n);
  const flags = load<u16>(rec, SER_FLAGS) & (FLAG_DIRTY | FLAG_UNCONFIRMED_DIRTY);
  if (flags != 0 || (popped != 0 && n != 0)) return <i32>dedup(popped + n);
  return <i32>(popped + n);
}

/** Makes room for `n` sort keys; false when memory cannot grow. */
function ensureKeys(n: u32): bool {
  if (n <= keysCap) return true;
  let cap = max<u32>(keysCap << 1, 1024);
  while (cap < n) cap <<= 1;
  const ptr = alloc(<usize>cap << 3);
  if (ptr == 0) return false;
  if (keys != 0) free(keys, <usize>keysCap << 3);
  keys = ptr;
  keysCap = cap;
  return true;
}

/**
 * Deduplicates out[0 .. n) in place: one record per timestamp, at the position of its first
 * arrival, holding the value of its last. Returns the records left.
 */
function dedup(n: u32): u32 {
  if (!ensureKeys(n)) return n; // cannot sort: leave as is (whisper applies last-write-wins)
  for (let i: u32 = 0; i < n; i++) {
    const o = out + <usize>i * OUT_SIZE;
    store<u64>(keys + (<usize>i << 3), (<u64>load<u32>(o, OUT_TS) << 32) | <u64>i);
    store<u32>(o, 0, OUT_DELETED);
  }
  sortKeys(keys, n);
  let a: u32 = 0;
  while (a < n) {
    const ts = load<u64>(keys + (<usize>a << 3)) >> 32;
    let b = a + 1;
    while (b < n && load<u64>(keys + (<usize>b << 3)) >> 32 == ts) b++;
    if (b - a > 1) {
      const first = out + <usize>(<u32>load<u64>(keys + (<usize>a << 3))) * OUT_SIZE;
      const last = out + <usize>(<u32>load<u64>(keys + (<usize>(b - 1) << 3))) * OUT_SIZE;
      store<f64>(first, load<f64>(last, OUT_VALUE), OUT_VALUE);
      for (let k = a + 1; k < b; k++) {
        const o = out + <usize>(<u32>load<u64>(keys + (<usize>k << 3))) * OUT_SIZE;
        store<u32>(o, 1, OUT_DELETED);
      }
    }
    a = b;
  }
  let j: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const o = out + <usize>i * OUT_SIZE;
    if (load<u32>(o, OUT_DELETED) != 0) continue;
    if (i != j) memory.copy(out + <usize>j * OUT_SIZE, o, OUT_SIZE);
    j++;
  }
  return j;
}

/** Sorts n u64 keys ascending: insertion sort for short runs, heapsort otherwise. */
function sortKeys(base: usize, n: u32): void {
  if (n <= 24) {
    for (let i: u32 = 1; i < n; i++) {
      const k = load<u64>(base + (<usize>i << 3));
      let j = i;
      while (j > 0 && load<u64>(base + (<usize>(j - 1) << 3)) > k) {
        store<u64>(base + (<usize>j << 3), load<u64>(base + (<usize>(j - 1) << 3)));
        j--;
      }
      store<u64>(base + (<usize>j << 3), k);
    }
    return;
  }
  for (let i = <i32>(n >> 1) - 1; i >= 0; i--) siftDown(base, <u32>i, n);
  for (let end = n - 1; end > 0; end--) {
    const top = load<u64>(base);
    store<u64>(base, load<u64>(base + (<usize>end << 3)));
    store<u64>(base + (<usize>end << 3), top);
    siftDown(base, 0, end);
  }
}

function siftDown(base: usize, i: u32, n: u32): void {
  const k = load<u64>(base + (<usize>i << 3));
  while (true) {
    let child: u32 = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && load<u64>(base + (<usize>(child + 1) << 3)) > load<u64>(base + (<usize>child << 3))) {
      child++;
    }
    const c = load<u64>(base + (<usize>child << 3));
    if (c <= k) break;
    store<u64>(base + (<usize>i << 3), c);
    i = child;
  }
  store<u64>(base + (<usize>i << 3), k);
}

/** Writeout strategies (go-carbon's `[cache] write-strategy`). */
export const STRATEGY_NOOP: i32 = 0; // table order
export const STRATEGY_MAX: i32 = 1; // most cached points first
export const STRATEGY_SORTED: i32 = 2; // oldest cached timestamp first
export const SNAPSHOT_ALL: i32 = 3; // every series, in table order (for the name index)

/**
 * Lists every series with cached points and none awaiting confirmation, for the writeout queue:
 * (series, point count, oldest timestamp), ordered by `strategy` (ties in table order).
 * Returns the records written, -2 when memory cannot grow.
 */
export function snapshot(strategy: i32): i32 {
  const need = <u32>seriesCount;
  if (need > snapCap || snap == 0) {
    let cap = max<u32>(snapCap << 1, 1024);
    while (cap < need) cap <<= 1;
    const ptr = alloc(<usize>cap * SNAP_SIZE);
    const tmp = alloc(<usize>cap * SNAP_SIZE);
    if (counts == 0) counts = alloc(256 << 2);
    if (ptr == 0 || tmp == 0 || counts == 0) return -2;
    if (snap != 0) {
      free(snap, <usize>snapCap * SNAP_SIZE);
      free(snapTmp, <usize>snapCap * SNAP_SIZE);
    }
    snap = ptr;
    snapTmp = tmp;
    snapCap = cap;
  }
  let n: u32 = 0;
  for (let s: u32 = 0; s < SHARD_COUNT; s++) {
    const sh = shards + <usize>s * SHARD_SIZE;
    const slots = <usize>load<u32>(sh, SHARD_SLOTS);
    const cap = load<u32>(sh, SHARD_CAP_MASK) + 1;
    for (let i: u32 = 0; i < cap; i++) {
      const rec = <usize>load<u32>(slots + (<usize>i << 3), 4);
      if (rec == 0) continue;
      const count = load<u32>(rec, SER_COUNT);
      if (strategy != SNAPSHOT_ALL && (count == 0 || load<u32>(rec, SER_UNCONFIRMED) != 0)) continue;
      const o = snap + <usize>n * SNAP_SIZE;
      const oldest = load<u32>(rec, SER_MIN_TS);
      store<u32>(o, <u32>rec, SNAP_SERIES);
      store<u32>(o, count, SNAP_COUNT);
      store<u32>(o, oldest, SNAP_MIN_TS);
      store<u32>(o, strategy == STRATEGY_MAX ? ~count : oldest, SNAP_KEY);
      n++;
    }
  }
  if ((strategy == STRATEGY_MAX || strategy == STRATEGY_SORTED) && n > 1) sortSnapshot(n);
  return <i32>n;
}

/** Stable LSD radix sort of snap[0 .. n) by SNAP_KEY, 8 bits per pass (skipping constant bytes). */
function sortSnapshot(n: u32): void {
  let from = snap;
  let to = snapTmp;
  for (let shift: u32 = 0; shift < 32; shift += 8) {
    memory.fill(counts, 0, 256 << 2);
    for (let i: u32 = 0; i < n; i++) {
      const digit = (load<u32>(from + <usize>i * SNAP_SIZE, SNAP_KEY) >> shift) & 0xff;
      const c = counts + (<usize>digit << 2);
      store<u32>(c, load<u32>(c) + 1);
    }
    if (load<u32>(counts + (<usize>((load<u32>(from, SNAP_KEY) >> shift) & 0xff) << 2)) == n) continue;
    let sum: u32 = 0;
    for (let d: usize = 0; d < 256; d++) {
      const c = load<u32>(counts + (d << 2));
      store<u32>(counts + (d << 2), sum);
      sum += c;
    }
    for (let i: u32 = 0; i < n; i++) {
      const o = from + <usize>i * SNAP_SIZE;
      const digit = (load<u32>(o, SNAP_KEY) >> shift) & 0xff;
      const c = counts + (<usize>digit << 2);
      const at = load<u32>(c);
      store<u32>(c, at + 1);
      memory.copy(to + <usize>at * SNAP_SIZE, o, SNAP_SIZE);
    }
    const t = from;
    from = to;
    to = t;
  }
  if (from != snap) memory.copy(snap, from, <usize>n * SNAP_SIZE);
}
