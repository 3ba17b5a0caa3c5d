// A repeating chore that runs on the wall clock's multiples of its period (a 1 s one at every
// whole second), through the daemon's one wall-clock timer (wall_timer.ts), so that the periodic
// chores and the scrape start slots due at the same moment share one wakeup.

import { atWallTime, type WallDeadline } from "./wall_timer.ts";

/** A running aligned interval. */
export interface AlignedInterval {
  /** Stops it (the callback is not called again). */
  stop(): void;
}

/** Calls `fn` every `periodMs`, at the wall clock's multiples of `periodMs`. */
export function alignedInterval(fn: () => void, periodMs: number): AlignedInterval {
  let next = Math.floor(Date.now() / periodMs) * periodMs;
  let pending: WallDeadline;
  const arm = () => {
    const now = Date.now();
    next += periodMs;
    // a held-up run skips the periods it missed
    while (next <= now) next += periodMs;
    pending = atWallTime(next, () => {
      arm();
      fn();
    });
  };
  arm();
  return {
    stop() {
      pending.cancel();
    },
  };
}
