// Propagation edge cases against whisper.py: xFilesFactor at the float32 boundary, NaN first or
// later, ties between -x and x, -0 and 0, overflow to infinity, rounding of long sums.

import assert from "node:assert/strict";
import { create } from "../../src/whisper/create.ts";
import { AGGREGATION_METHODS } from "../../src/whisper/format.ts";
import { fetch, updateMany } from "../../src/whisper/whisper_file.ts";
import { oracleTest } from "../_util/whisper_recording.ts";
import { fetchAsHex } from "../_util/whisper_reader.ts";
import { assertSameBytes, sameNaN } from "./test_support.ts";

const PATTERNS: number[][] = [
  [1, 2, 3],
  [1, 2, 3, 4, 5],
  [1, 2, 3, 4, 5, 6, 7],
  [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  [NaN, 1, 2],
  [1, NaN, 2],
  [-3, 3],
  [3, -3],
  [-0, 0],
  [0, -0],
  [-0],
  [Infinity, -Infinity, 1],
  [1e308, 1e308, -1e308],
  [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
  [-5],
  [1, -1, 1e-300],
  [2.5, -2.5, 2.5],
  [0.3, 0.6, 0.9, 1e16, -1e16],
];

oracleTest(
  "propagation gives whisper.py's value for each method, xFilesFactor and edge case",
  async (oracle, dir) => {
    const archives = [{ secondsPerPoint: 1, points: 300 }, { secondsPerPoint: 10, points: 60 }];
    const now = 1_650_000_000;
    const start = now - 200 - (now % 10);
    const points: [number, number][] = [];
    PATTERNS.forEach((values, p) => {
      // Spread the known points over the 10 s interval: slots 0, 3, 6, 9, 1, 4, ...
      values.forEach((value, i) => points.push([start + p * 10 + (i * 3) % 10, value]));
    });
    for (const aggregationMethod of AGGREGATION_METHODS) {
      for (const xFilesFactor of [0, 0.3, 0.5, 0.7, 1]) {
        const ours = `${dir}/ours_${aggregationMethod}_${xFilesFactor}.wsp`;
        const theirs = `${dir}/theirs_${aggregationMethod}_${xFilesFactor}.wsp`;
        create(ours, archives, { xFilesFactor, aggregationMethod });
        await oracle.create(theirs, archives, { xFilesFactor, aggregationMethod });
        updateMany(ours, points, { now });
        await oracle.updateMany(theirs, points, now);
        assertSameBytes(ours, theirs, `${aggregationMethod} xff ${xFilesFactor}`);
        assert.deepEqual(
          sameNaN(fetchAsHex(fetch(ours, now - 600, { now }))),
          sameNaN(await oracle.fetch(theirs, now - 600, undefined, now)),
        );
      }
    }
  },
);
