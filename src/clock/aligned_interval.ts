// A repeating timer that fires on the wall clock's multiples of its period (a 1 s one at every
// whole second), so the daemon's periodic chores wake it together, and together with the scrape
// start slots (multiples of interval / start-slots since the epoch), instead of each at its own
// phase: every wakeup of Deno after an idle spell costs 0.3-0.45 ms of CPU on the benchmark VM
// (docs/benchmarks.md, "Scraping end to end").

/** A running aligned interval. */
export interface AlignedInterval {
  /** Stops it (the callback is not called again). */
  stop(): void;
}

/** Calls `fn` every `periodMs`, at the wall clock's multiples of `periodMs`. */
export function alignedInterval(fn: () => void, periodMs: number): AlignedInterval {
  let next = Math.floor(Date.now() / periodMs) * periodMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    const now = Date.now();
    next += periodMs;
    // a timer that fired a millisecond early does not fire twice; one that was held up skips
    while (next <= now) next += periodMs;
    timer = setTimeout(() => {
      arm();
      fn();
    }, next - now);
  };
  arm();
  return {
    stop() {
      clearTimeout(timer);
    },
  };
}
