// Randomized point sets (seeded): out of order, duplicates, gaps, points older than the
// retention, future points, and NaN/±Infinity/-0 values give whisper.py's bytes and fetches.

import assert from "node:assert/strict";
import { create } from "../../src/whisper/create.ts";
import { AGGREGATION_METHODS } from "../../src/whisper/format.ts";
import { fetch, WhisperFile } from "../../src/whisper/whisper_file.ts";
import { oracleTest } from "../_util/whisper_recording.ts";
import { fetchAsHex } from "../_util/whisper_reader.ts";
import {
  assertSameBytes,
  fetchRanges,
  generateBatch,
  prng,
  RETENTIONS,
  sameNaN,
} from "./test_support.ts";

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
const RETENTION_NAMES = Object.keys(RETENTIONS);

oracleTest(
  `updateMany() with ${SEEDS.length} random seeds and special values matches whisper.py byte for byte`,
  async (oracle, dir) => {
    for (const seed of SEEDS) {
      const rng = prng(seed * 7919);
      const retention = RETENTION_NAMES[seed % RETENTION_NAMES.length];
      const archives = RETENTIONS[retention];
      const aggregationMethod = AGGREGATION_METHODS[Math.floor(rng() * 8)];
      const xFilesFactor = [0, 0.5, 1, 0.3, rng()][Math.floor(rng() * 5)];
      const sparse = rng() < 0.5;
      const ours = `${dir}/ours_${seed}.wsp`;
      const theirs = `${dir}/theirs_${seed}.wsp`;
      create(ours, archives, { xFilesFactor, aggregationMethod, sparse });
      await oracle.create(theirs, archives, { xFilesFactor, aggregationMethod, sparse });
      // One open file for every batch, as a persister worker keeping files open would.
      using file = WhisperFile.open(ours, { write: true });
      let now = 1_400_000_000 + Math.floor(rng() * 1e8);
      const batches = retention.startsWith("10s:6h") ? 4 : 10;
      for (let b = 0; b < batches; b++) {
        const points = generateBatch(rng, archives, now, { specials: true });
        file.updateMany(points, { now });
        await oracle.updateMany(theirs, points, now);
        const context = `seed ${seed} ${retention} ${aggregationMethod} xff ${xFilesFactor} ` +
          `batch ${b} now ${now}`;
        assertSameBytes(ours, theirs, context);
        for (const [from, until] of fetchRanges(rng, archives, now, b === batches - 1)) {
          const expected = sameNaN(await oracle.fetch(theirs, from, until, now));
          const ourFile = file.fetch(from, { untilTime: until, now });
          assert.deepEqual(sameNaN(fetchAsHex(ourFile)), expected);
          const theirFile = fetch(theirs, from, { untilTime: until, now });
          assert.deepEqual(sameNaN(fetchAsHex(theirFile)), expected);
        }
        now += Math.floor(rng() * archives[0].secondsPerPoint * archives[0].points * 1.5);
      }
    }
  },
);

oracleTest(
  "updateMany() never writes past an archive when a run of future points wraps the ring twice",
  async (oracle, dir) => {
    // whisper.py 1.1.4 writes the excess of such a run over the next archive: here it puts 5 s
    // points into the 15 s archive, moving that archive's base. We keep the first archive's bytes
    // identical to whisper.py's and leave the next archive alone.
    const archives = [{ secondsPerPoint: 5, points: 12 }, { secondsPerPoint: 15, points: 12 }];
    const ours = `${dir}/ours.wsp`;
    const theirs = `${dir}/theirs.wsp`;
    create(ours, archives, { xFilesFactor: 0, aggregationMethod: "last" });
    await oracle.create(theirs, archives, { xFilesFactor: 0, aggregationMethod: "last" });
    const now = 1_500_000_410;
    const first: [number, number][] = [[now - 50, 1]];
    const run: [number, number][] = [];
    for (let t = now - 58; t <= now + 20; t += 5) run.push([t, t % 1000]);
    for (const points of [first, run]) {
      using file = WhisperFile.open(ours, { write: true });
      file.updateMany(points, { now });
      await oracle.updateMany(theirs, points, now);
    }
    const oursBytes = Deno.readFileSync(ours);
    const theirsBytes = Deno.readFileSync(theirs);
    const archive0 = [16 + 24, 16 + 24 + 12 * 12];
    assert.deepEqual(oursBytes.subarray(...archive0), theirsBytes.subarray(...archive0));
    const view = new DataView(oursBytes.buffer);
    for (let slot = 0; slot < 12; slot++) {
      const ts = view.getUint32(archive0[1] + slot * 12);
      assert.equal(ts % 15, 0, `slot ${slot} of the 15 s archive holds ${ts}`);
    }
    const theirsView = new DataView(theirsBytes.buffer);
    const spilled = [0, 1].map((slot) => theirsView.getUint32(archive0[1] + slot * 12));
    assert.ok(spilled.some((ts) => ts % 15 !== 0), "whisper.py no longer spills: drop this case");
  },
);
