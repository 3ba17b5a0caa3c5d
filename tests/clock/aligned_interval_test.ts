// alignedInterval: fires once per period, in successive periods of the wall clock; stop() leaves
// no timer behind (the ops sanitizer checks it).

import { assert, assertEquals } from "../_util/assert.ts";
import { waitFor } from "../_util/net.ts";
import { alignedInterval } from "../../src/clock/aligned_interval.ts";

Deno.test("an aligned interval fires once in each period of the wall clock until stopped", async () => {
  const period = 40;
  const fired: number[] = [];
  const timer = alignedInterval(() => fired.push(Date.now()), period);
  try {
    await waitFor(() => fired.length >= 3);
  } finally {
    timer.stop();
  }
  const periods = fired.map((t) => Math.floor(t / period));
  assertEquals(new Set(periods).size, periods.length, `two fires in one period: ${fired}`);
  assert(periods.every((p, i) => i === 0 || p > periods[i - 1]));
});
