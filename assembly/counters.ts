// The counters region: u64 slots read by the JS side as Prometheus counters and gauges, and a
// second region of the same layout for the open batch, folded in by commit() or zeroed by
// rollback() (a rolled-back batch leaves no trace in any counter).

import { COUNTER_SLOTS } from "./layout";

/** Pointer to COUNTER_SLOTS u64 counters (static data, zeroed at start). */
export const counters: usize = memory.data(COUNTER_SLOTS << 3, 16);

/** Pointer to the open batch's COUNTER_SLOTS u64 counters. */
export const staged: usize = memory.data(COUNTER_SLOTS << 3, 16);

// @ts-ignore: decorator
@inline export function bump(slot: i32, by: u64 = 1): void {
  const p = counters + (<usize>slot << 3);
  store<u64>(p, load<u64>(p) + by);
}

// @ts-ignore: decorator
@inline export function bumpStaged(slot: i32, by: u64 = 1): void {
  const p = staged + (<usize>slot << 3);
  store<u64>(p, load<u64>(p) + by);
}

/** Adds the open batch's counters to the totals and zeroes them (commit()). */
export function foldStaged(): void {
  for (let i: usize = 0; i < <usize>COUNTER_SLOTS; i++) {
    const p = counters + (i << 3);
    store<u64>(p, load<u64>(p) + load<u64>(staged + (i << 3)));
  }
  clearStaged();
}

/** Zeroes the open batch's counters (rollback()). */
export function clearStaged(): void {
  memory.fill(staged, 0, <usize>COUNTER_SLOTS << 3);
}

/** Zeroes every counter (reset()). */
export function clearCounters(): void {
  memory.fill(counters, 0, <usize>COUNTER_SLOTS << 3);
  clearStaged();
}
