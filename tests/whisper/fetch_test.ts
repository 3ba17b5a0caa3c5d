// fetch() against whisper.py on the same files: archive choice, step alignment, clamping to
// now and to the retention, empty archives, wrapped rings and the errors.

import assert from "node:assert/strict";
import { create } from "../../src/whisper/create.ts";
import { fetch, updateMany } from "../../src/whisper/whisper_file.ts";
import { OracleError } from "../_util/whisper_oracle.ts";
import { oracleTest } from "../_util/whisper_recording.ts";
import { fetchAsHex } from "../_util/whisper_reader.ts";
import { RETENTIONS } from "./test_support.ts";

const ARCHIVES = RETENTIONS["5s:1m,15s:3m,1m:10m,5m:1h"];
const NOW = 1_700_000_003;

/** (from, until) pairs relative to now: every boundary we could think of. */
function ranges(now: number): [number, number | undefined][] {
  const out: [number, number | undefined][] = [];
  const offsets = [-7200, -3601, -3600, -3599, -700, -600, -599, -181, -180, -179, -61, -60, -59];
  offsets.push(-30, -16, -15, -14, -6, -5, -4, -1, 0, 1, 5, 100);
  for (const from of offsets) {
    out.push([now + from, undefined]);
    for (const until of [-3600, -600, -60, -10, -5, -1, 0, 7, 1000]) {
      if (until >= from) out.push([now + from, now + until]);
    }
  }
  return out;
}

oracleTest(
  "fetch() returns what whisper.fetch returns for every range boundary",
  async (oracle, dir) => {
    const empty = `${dir}/empty.wsp`;
    const full = `${dir}/full.wsp`;
    create(empty, ARCHIVES);
    create(full, ARCHIVES, { xFilesFactor: 0 });
    // Several passes so every ring has wrapped and holds stale points too.
    for (let now = NOW - 9000; now <= NOW; now += 700) {
      const points: [number, number][] = [];
      for (let t = now - 3700; t <= now; t += 3) points.push([t, t % 97]);
      updateMany(full, points, { now });
    }
    for (const path of [empty, full]) {
      for (const [from, until] of ranges(NOW)) {
        const context = `${path} fetch(${from - NOW}, ${
          until === undefined ? "now" : until - NOW
        })`;
        let ours;
        try {
          ours = fetchAsHex(fetch(path, from, { untilTime: until, now: NOW }));
        } catch (error) {
          assert.ok(error instanceof RangeError, context);
          await assert.rejects(oracle.fetch(path, from, until, NOW), OracleError, context);
          continue;
        }
        assert.deepEqual(ours, await oracle.fetch(path, from, until, NOW), context);
      }
    }
  },
);

oracleTest(
  "fetch() with secondsPerPoint reads that archive as whisper's archiveToSelect does",
  async (oracle, dir) => {
    const path = `${dir}/a.wsp`;
    create(path, ARCHIVES, { xFilesFactor: 0 });
    const points: [number, number][] = [];
    for (let t = NOW - 3600; t <= NOW; t += 4) points.push([t, t % 13]);
    updateMany(path, points, { now: NOW });
    for (const { secondsPerPoint } of ARCHIVES) {
      for (const from of [NOW - 3000, NOW - 100, NOW - 5]) {
        assert.deepEqual(
          fetchAsHex(fetch(path, from, { now: NOW, secondsPerPoint })),
          await oracle.fetch(path, from, undefined, NOW, secondsPerPoint),
        );
      }
    }
    assert.throws(() => fetch(path, NOW - 10, { now: NOW, secondsPerPoint: 7 }), {
      name: "RangeError",
      message: "Invalid granularity: 7",
    });
  },
);

oracleTest(
  "fetch() rejects from after until, as whisper raises InvalidTimeInterval",
  async (oracle, dir) => {
    const path = `${dir}/a.wsp`;
    create(path, ARCHIVES);
    assert.throws(() => fetch(path, NOW - 10, { untilTime: NOW - 20, now: NOW }), {
      name: "RangeError",
      message: `Invalid time interval: from time '${NOW - 10}' is after until time '${NOW - 20}'`,
    });
    await assert.rejects(
      oracle.fetch(path, NOW - 10, NOW - 20, NOW),
      (error: OracleError) => error.type === "InvalidTimeInterval",
    );
  },
);

oracleTest("fetch() truncates fractional times like whisper's int()", async (oracle, dir) => {
  const path = `${dir}/a.wsp`;
  create(path, ARCHIVES, { xFilesFactor: 0 });
  updateMany(path, [[NOW - 12, 1], [NOW - 7, 2]], { now: NOW });
  assert.deepEqual(
    fetchAsHex(fetch(path, NOW - 20.7, { untilTime: NOW - 0.2, now: NOW })),
    await oracle.fetch(path, NOW - 20.7, NOW - 0.2, NOW),
  );
});
