// The counters region: u64 slots read by the JS side as Prometheus counters and gauges.

import { COUNTER_SLOTS } from "./layout";

/** Pointer to COUNTER_SLOTS u64 counters (static data, zeroed at start). */
export const counters: usize = memory.data(COUNTER_SLOTS << 3, 16);

// @ts-ignore: decorator
@inline export function bump(slot: i32, by: u64 = 1): void {
  const p = counters + (<usize>slot << 3);
  store<u64>(p, load<u64>(p) + by);
}

// @ts-ignore: decorator
@inline export function drop(slot: i32, by: u64 = 1): void {
  const p = counters + (<usize>slot << 3);
  store<u64>(p, load<u64>(p) - by);
}

/** Zeroes every counter (reset()). */
export function clearCounters(): void {
  memory.fill(counters, 0, <usize>COUNTER_SLOTS << 3);
}
