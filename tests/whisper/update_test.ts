// updateMany against whisper.py: for every aggregation method, several xFilesFactors and
// multi-archive retentions, the same batches give byte-identical files and identical fetches.

import assert from "node:assert/strict";
import { create } from "../../src/whisper/create.ts";
import { AGGREGATION_METHODS } from "../../src/whisper/format.ts";
import { fetch, updateMany, WhisperFile } from "../../src/whisper/whisper_file.ts";
import { oracleTest } from "../_util/whisper_recording.ts";
import { fetchAsHex } from "../_util/whisper_reader.ts";
import {
  assertSameBytes,
  fetchRanges,
  generateBatch,
  prng,
  RETENTIONS,
  withTempDir,
} from "./test_support.ts";

const XFF = [0, 0.5, 1, 0.3];
const BATCHES = 5;

for (const retention of ["1s:60s,10s:10m,60s:1h", "10s:6h,1m:7d,10m:5y"]) {
  for (const [m, method] of AGGREGATION_METHODS.entries()) {
    oracleTest(
      `updateMany() with ${method} over ${retention} writes whisper.py's bytes for xFilesFactor 0, 0.5, 1, 0.3`,
      async (oracle, dir) => {
        const archives = RETENTIONS[retention];
        for (const xFilesFactor of XFF) {
          const rng = prng(1000 * m + 17 * XFF.indexOf(xFilesFactor) + retention.length);
          const ours = `${dir}/ours_${xFilesFactor}.wsp`;
          const theirs = `${dir}/theirs_${xFilesFactor}.wsp`;
          create(ours, archives, { xFilesFactor, aggregationMethod: method });
          await oracle.create(theirs, archives, { xFilesFactor, aggregationMethod: method });
          assertSameBytes(ours, theirs, "after create");
          let now = 1_600_000_000 + Math.floor(rng() * 100_000);
          for (let b = 0; b < BATCHES; b++) {
            const points = generateBatch(rng, archives, now);
            updateMany(ours, points, { now });
            await oracle.updateMany(theirs, points, now);
            const context = `xff ${xFilesFactor} batch ${b} (${points.length} points, now ${now})`;
            assertSameBytes(ours, theirs, context);
            for (const [from, until] of fetchRanges(rng, archives, now, b === BATCHES - 1)) {
              assert.deepEqual(
                fetchAsHex(fetch(ours, from, { untilTime: until, now })),
                await oracle.fetch(theirs, from, until, now),
                `${context}: fetch(${from}, ${until})`,
              );
            }
            now += 1 + Math.floor(rng() * archives[0].secondsPerPoint * archives[0].points);
          }
        }
      },
    );
  }
}

oracleTest(
  "updateMany() on a file whisper.py created, alternating with whisper.py, matches whisper.py alone",
  async (oracle, dir) => {
    const archives = RETENTIONS["5s:1m,15s:3m,1m:10m,5m:1h"];
    for (const aggregationMethod of ["average", "max", "avg_zero"] as const) {
      const rng = prng(aggregationMethod.length);
      const mixed = `${dir}/mixed_${aggregationMethod}.wsp`;
      const reference = `${dir}/reference_${aggregationMethod}.wsp`;
      await oracle.create(mixed, archives, { xFilesFactor: 0.3, aggregationMethod });
      await oracle.create(reference, archives, { xFilesFactor: 0.3, aggregationMethod });
      let now = 1_500_000_000;
      for (let b = 0; b < 12; b++) {
        const points = generateBatch(rng, archives, now);
        if (b % 2 === 0) updateMany(mixed, points, { now });
        else await oracle.updateMany(mixed, points, now);
        await oracle.updateMany(reference, points, now);
        assertSameBytes(mixed, reference, `${aggregationMethod} batch ${b}`);
        assert.deepEqual(
          await oracle.fetch(mixed, now - 3600, undefined, now),
          fetchAsHex(fetch(reference, now - 3600, { now })),
        );
        now += 1 + Math.floor(rng() * 90);
      }
    }
  },
);

oracleTest(
  "updateMany() on a file we created is continued by whisper.py and reads back the same",
  async (oracle, dir) => {
    const archives = RETENTIONS["1s:60s,10s:10m,60s:1h"];
    const rng = prng(99);
    const mixed = `${dir}/mixed.wsp`;
    const reference = `${dir}/reference.wsp`;
    create(mixed, archives, { xFilesFactor: 0, aggregationMethod: "sum", sparse: true });
    await oracle.create(reference, archives, { xFilesFactor: 0, aggregationMethod: "sum" });
    let now = 1_700_000_000;
    for (let b = 0; b < 12; b++) {
      const points = generateBatch(rng, archives, now);
      if (b % 3 === 0) updateMany(mixed, points, { now });
      else await oracle.updateMany(mixed, points, now);
      updateMany(reference, points, { now });
      assertSameBytes(mixed, reference, `batch ${b}`);
      for (const [from, until] of fetchRanges(rng, archives, now)) {
        assert.deepEqual(
          await oracle.fetch(mixed, from, until, now),
          fetchAsHex(fetch(reference, from, { untilTime: until, now })),
        );
      }
      now += 1 + Math.floor(rng() * 50);
    }
  },
);

Deno.test("updateMany() keeps the first of equal timestamps and the latest timestamp within a step", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/dups.wsp`;
    create(path, [{ secondsPerPoint: 10, points: 6 }, { secondsPerPoint: 60, points: 10 }], {
      xFilesFactor: 0,
      aggregationMethod: "last",
    });
    const now = 1_000_000;
    updateMany(path, [
      [now - 5, 1],
      [now - 5, 2],
      [now - 15, 7],
      [now - 12, 8],
      [now - 15, 9],
    ], { now });
    const result = fetch(path, now - 50, { now });
    assert.deepEqual(result, {
      fromTime: 999_960,
      untilTime: 1_000_010,
      step: 10,
      values: [null, null, 8, 1, null],
    });
  });
});

Deno.test("updateArrays() with count writes only the leading points and equals updateMany()", async () => {
  await withTempDir((dir) => {
    const archives = RETENTIONS["1s:60s,10s:10m,60s:1h"];
    create(`${dir}/a.wsp`, archives);
    create(`${dir}/b.wsp`, archives);
    const now = 1_234_567_890;
    const timestamps = new Uint32Array(200);
    const values = new Float64Array(200);
    for (let i = 0; i < 200; i++) {
      timestamps[i] = now - i * 3;
      values[i] = i * 1.5;
    }
    using file = WhisperFile.open(`${dir}/a.wsp`, { write: true });
    file.updateArrays(timestamps, values, { count: 150, now });
    const pairs: [number, number][] = [];
    for (let i = 0; i < 150; i++) pairs.push([timestamps[i], values[i]]);
    updateMany(`${dir}/b.wsp`, pairs, { now });
    assertSameBytes(`${dir}/a.wsp`, `${dir}/b.wsp`, "count 150");
  });
});

Deno.test("updateArrays() rejects a bad count and a read-only file", async () => {
  await withTempDir((dir) => {
    create(`${dir}/a.wsp`, [{ secondsPerPoint: 60, points: 10 }]);
    using readOnly = WhisperFile.open(`${dir}/a.wsp`);
    assert.throws(
      () => readOnly.updateArrays(new Uint32Array(1), new Float64Array(1), { now: 100 }),
      TypeError,
    );
    using writable = WhisperFile.open(`${dir}/a.wsp`, { write: true });
    assert.throws(
      () => writable.updateArrays(new Uint32Array(2), new Float64Array(1), { count: 2 }),
      RangeError,
    );
    assert.throws(() => writable.updateMany([[-1, 1]]), RangeError);
  });
});
