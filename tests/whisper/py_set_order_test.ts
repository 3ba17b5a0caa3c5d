// pythonSetOrder() reproduces CPython's iteration order of set(intervals), which decides the
// base of an empty lower archive in whisper.py's propagation.

import assert from "node:assert/strict";
import { pythonSetOrder } from "../../src/whisper/py_set_order.ts";
import { oracleTest } from "../_util/whisper_recording.ts";
import { prng } from "./test_support.ts";

oracleTest(
  "pythonSetOrder() matches CPython for 500 sets of intervals, small and large",
  async (oracle) => {
    const rng = prng(42);
    for (let c = 0; c < 500; c++) {
      const n = 1 + Math.floor(rng() * (c < 400 ? 40 : 3000));
      const step = [1, 10, 60, 300, 600, 3600, 86400, 7][Math.floor(rng() * 8)];
      const base = Math.floor((rng() * 4e9) / step) * step;
      const seen = new Set<number>();
      const values: number[] = [];
      for (let i = 0; i < n; i++) {
        const v = rng() < 0.8 ? base + i * step : Math.floor(rng() * 4.2e9);
        if (!seen.has(v)) {
          seen.add(v);
          values.push(v);
        }
      }
      const order = new Uint32Array(values.length);
      pythonSetOrder(values, order);
      assert.deepEqual(
        Array.from(order, (i) => values[i]),
        await oracle.setOrder(values),
        `set of ${values.length} values with step ${step}`,
      );
    }
  },
);
