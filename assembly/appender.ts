// The open batch, Prometheus' head appender in linear memory: stage() resolves parsed batch
// records to series (finding or creating them; names are copied into the series records, so
// the parse buffer can be reused) and admits or refuses each point; commit() applies the
// pending points to the series lists; rollback() drops them and deletes the series the batch
// created. Counts live in the staged counters region until commit(), so a rolled-back batch
// leaves no trace anywhere.

import { alloc, grow, grownCap } from "./alloc";
import { bump, bumpStaged, clearStaged, foldStaged, staged } from "./counters";
import {
  COUNTER_ACCEPTED,
  COUNTER_OVERFLOW,
  COUNTER_REJECTED,
  FLAG_FAILED,
  PEND_INITIAL,
  PEND_SERIES,
  PEND_SIZE,
  PEND_TS,
  PEND_VALUE,
  Reason,
  REASON_COUNT,
  REC_HASH,
  REC_NAME,
  REC_NAME_LEN,
  REC_OK,
  REC_REJECTED,
  REC_SIZE,
  REC_STATUS,
  REC_TS,
  REC_VALUE,
  SER_FLAGS,
} from "./layout";
import {
  appendPoint,
  created,
  deleteSeries,
  hintedSeries,
  noteNewSeries,
  room,
  seriesFor,
  setHint,
  syncGauges,
  touchHinted,
  touchSlots,
} from "./shard_table";

/** Records whose index slots are touched ahead of resolving them (a power of two). */
const TOUCH_AHEAD: usize = 32;

/** Pending points: PEND_SIZE bytes each. */
export let pending: usize = 0;
export let pendingLen: u32 = 0;
let pendingCap: u32 = 0;
/** Series the open batch created: u32 pointers. */
export let createdList: usize = 0;
export let createdLen: u32 = 0;
let createdCap: u32 = 0;

/**
 * Direct mode, for a batch that is committed right after it is staged and logged nowhere (the
 * plaintext hot path without a write-ahead log): stage() applies admitted points at once
 * instead of listing them, saving the second pass. Such a batch cannot be rolled back.
 */
let direct = false;
/** Points stage() applied in direct mode, reported by the next commit(). */
let directAccepted: u32 = 0;

/** Turns direct mode on or off (see `direct`). */
export function setDirect(on: bool): void {
  direct = on;
}

/** Empties the batch and allocates its first regions (init()). */
export function batchInit(): void {
  pendingCap = <u32>PEND_INITIAL;
  pending = alloc(<usize>pendingCap * PEND_SIZE);
  pendingLen = 0;
  createdCap = 1024;
  createdList = alloc(<usize>createdCap << 2);
  createdLen = 0;
  direct = false;
  directAccepted = 0;
  clearStaged();
}

/** Doubles the pending region; false when memory cannot grow. */
function growPending(): bool {
  const bytes = <usize>pendingLen * PEND_SIZE;
  const ptr = grow(pending, <usize>pendingCap * PEND_SIZE, bytes, bytes + PEND_SIZE, 0);
  if (ptr == 0) return false;
  pending = ptr;
  pendingCap = <u32>(grownCap / PEND_SIZE);
  return true;
}

/** Remembers a series the batch created; false when memory cannot grow. */
function noteCreated(series: usize): bool {
  if (createdLen == createdCap) {
    const bytes = <usize>createdLen << 2;
    const ptr = grow(createdList, <usize>createdCap << 2, bytes, bytes + 4, 0);
    if (ptr == 0) return false;
    createdList = ptr;
    createdCap = <u32>(grownCap >> 2);
  }
  store<u32>(createdList + (<usize>createdLen << 2), <u32>series);
  createdLen++;
  return true;
}

/**
 * Admits the `count` records at `batch` into the open batch. A point is refused, and counted
 * by reason, when its record is rejected, its series is marked failed, or the cache cannot take
 * it (max-size less cached, not-confirmed and pending points; or memory cannot grow: overflow).
 * `hints`, when not 0, lists a u32 per record: a series hint (HINT_SIZE bytes) or 0. A valid
 * hint stands for the index lookup; an invalid one is set to the series the lookup finds.
 */
export function stage(batch: usize, count: i32, hints: usize = 0): void {
  const end = batch + <usize>count * REC_SIZE;
  let left = room();
  left = left > <u64>pendingLen ? left - <u64>pendingLen : 0;
  for (let rec = batch; rec < end; rec += REC_SIZE) {
    const index = (rec - batch) / REC_SIZE;
    if ((index & (TOUCH_AHEAD - 1)) == 0) {
      const n = <i32>((end - rec) / REC_SIZE);
      const ahead = min(n, <i32>TOUCH_AHEAD);
      if (hints == 0) touchSlots(rec, ahead, REC_SIZE, REC_HASH);
      else touchHinted(rec, ahead, REC_SIZE, REC_HASH, hints + (index << 2));
    }
    const status = load<u32>(rec, REC_STATUS);
    if (status != REC_OK) {
      if (status >= REC_REJECTED) bumpStaged(COUNTER_REJECTED + <i32>(status - REC_REJECTED));
      continue;
    }
    if (left == 0) {
      bumpStaged(COUNTER_OVERFLOW);
      continue;
    }
    const hint = hints == 0 ? 0 : <usize>load<u32>(hints + (index << 2));
    let series = hintedSeries(hint);
    if (series == 0) {
      series = seriesFor(
        load<u32>(rec, REC_HASH),
        <usize>load<u32>(rec, REC_NAME),
        <usize>load<u32>(rec, REC_NAME_LEN),
      );
      if (series == 0) {
        bumpStaged(COUNTER_OVERFLOW);
        continue;
      }
      if (created && !noteCreated(series)) {
        deleteSeries(series);
        bumpStaged(COUNTER_OVERFLOW);
        continue;
      }
      if (hint != 0) setHint(hint, series);
    }
    if ((load<u16>(series, SER_FLAGS) & FLAG_FAILED) != 0) {
      bumpStaged(COUNTER_REJECTED + Reason.SERIES_FAILED);
      continue;
    }
    if (direct) {
      if (appendPoint(series, load<u32>(rec, REC_TS), load<f64>(rec, REC_VALUE))) {
        directAccepted++;
        left--;
      } else {
        bumpStaged(COUNTER_OVERFLOW);
      }
      continue;
    }
    if (pendingLen == pendingCap && !growPending()) {
      bumpStaged(COUNTER_OVERFLOW);
      continue;
    }
    const p = pending + <usize>pendingLen * PEND_SIZE;
    store<u32>(p, <u32>series, PEND_SERIES);
    store<u32>(p, load<u32>(rec, REC_TS), PEND_TS);
    store<f64>(p, load<f64>(rec, REC_VALUE), PEND_VALUE);
    pendingLen++;
    left--;
  }
}

/** What the last commit() refused (any reason) and dropped for lack of room. */
export let lastRejected: u32 = 0;
export let lastOverflow: u32 = 0;

/** Lines and points the open batch refused so far, any reason. */
export function stagedRejected(): u32 {
  let n: u64 = 0;
  for (let r = 0; r < REASON_COUNT; r++) n += load<u64>(staged + (<usize>(COUNTER_REJECTED + r) << 3));
  return <u32>n;
}

/** Applies the pending points to the cache and folds in the batch's counters; returns them. */
export function commit(): u32 {
  let accepted: u32 = directAccepted;
  directAccepted = 0;
  let lost: u32 = 0;
  const end = pending + <usize>pendingLen * PEND_SIZE;
  for (let p = pending; p < end; p += PEND_SIZE) {
    const series = <usize>load<u32>(p, PEND_SERIES);
    if (appendPoint(series, load<u32>(p, PEND_TS), load<f64>(p, PEND_VALUE))) {
      accepted++;
    } else {
      lost++; // a point slot could not be allocated: memory is full
    }
  }
  for (let i: u32 = 0; i < createdLen; i++) {
    noteNewSeries(<usize>load<u32>(createdList + (<usize>i << 2)));
  }
  bumpStaged(COUNTER_OVERFLOW, lost);
  lastOverflow = <u32>load<u64>(staged + (<usize>COUNTER_OVERFLOW << 3));
  lastRejected = stagedRejected();
  foldStaged();
  bump(COUNTER_ACCEPTED, accepted);
  pendingLen = 0;
  createdLen = 0;
  syncGauges();
  return accepted;
}

/** Drops the pending points, the batch's counters and the (empty) series it created. */
export function rollback(): void {
  for (let i: u32 = 0; i < createdLen; i++) {
    deleteSeries(<usize>load<u32>(createdList + (<usize>i << 2)));
  }
  pendingLen = 0;
  createdLen = 0;
  clearStaged();
  syncGauges();
}

/**
 * Drops the open batch because it could not be logged: its admitted points are counted as
 * rejected for `reason`, its other counts are kept; returns the points dropped.
 */
export function abandon(reason: i32): u32 {
  const dropped = pendingLen;
  for (let i: u32 = 0; i < createdLen; i++) {
    deleteSeries(<usize>load<u32>(createdList + (<usize>i << 2)));
  }
  pendingLen = 0;
  createdLen = 0;
  bumpStaged(COUNTER_REJECTED + reason, dropped);
  foldStaged();
  syncGauges();
  return dropped;
}
