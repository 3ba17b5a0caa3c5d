// The write-ahead log alone, in process: WAL bytes per point on 10k series x 100 points, then
// replay speed (segments read back into an empty cache on one core) and the time a checkpoint of
// the replayed cache takes, on a tmpfs mounted as root when it can be.
//
//   deno task bench:wal [--series 10000] [--points 100] [--replay-points 5000000]

import { parseArgs } from "node:util";
import { Head, type HeadWalOptions } from "../../src/appender/head.ts";
import { listSegments } from "../../src/wal/segments.ts";
import { report, tmpfsRoot } from "./e2e_util.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    series: { type: "string", default: "10000" },
    points: { type: "string", default: "100" },
    "replay-points": { type: "string", default: "5000000" },
  },
});
const SERIES = Number(values.series);
const enc = new TextEncoder();
const disk = await tmpfsRoot("4g");

function options(dir: string): HeadWalOptions {
  return {
    dir,
    syncInterval: 1000,
    segmentSize: 128 * 2 ** 20,
    maxSize: 64 * 2 ** 30,
    checkpointInterval: 3_600_000,
    checkpointSize: 64 * 2 ** 30,
  };
}

/** Logs `rounds` rounds of one point per series, one commit per round; returns the WAL bytes. */
async function write(dir: string, rounds: number): Promise<number> {
  const head = await Head.load({ maxPoints: SERIES * rounds + 1, maxLineLen: 262_144 });
  const { wal } = head.openWal(options(dir));
  for (let r = 0; r < rounds; r++) {
    let text = "";
    for (let s = 0; s < SERIES; s++) {
      text += `bench.host-${s % 100}.cpu.m${s} ${(s * 7 + r) % 1000}.25 ${
        1_700_000_000 + r * 60
      }\n`;
    }
    const app = head.appender();
    app.appendPlain(enc.encode(text));
    app.commit();
  }
  wal.close();
  return listSegments(dir).reduce((sum, s) => sum + s.size, 0);
}

const points = Number(values.points);
const dir1 = await Deno.makeTempDir({ dir: disk.root });
const bytes = await write(dir1, points);
await report(
  `WAL bytes per point, ${SERIES} series x ${points} points: ${
    (bytes / (SERIES * points)).toFixed(2)
  }`,
);
await Deno.remove(dir1, { recursive: true });

const rounds = Math.ceil(Number(values["replay-points"]) / SERIES);
const dir2 = await Deno.makeTempDir({ dir: disk.root });
await write(dir2, rounds);
for (let i = 0; i < 3; i++) {
  const head = await Head.load({ maxPoints: SERIES * rounds + 1, maxLineLen: 262_144 });
  const t0 = performance.now();
  const { wal, replay } = head.openWal(options(dir2));
  const seconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  head.checkpoint();
  const checkpointMs = performance.now() - t1;
  wal.close();
  await report(
    `replay ${replay.result.points} points of ${SERIES} series: ${seconds.toFixed(2)} s, ` +
      `${(replay.result.points / seconds / 1e6).toFixed(2)}M points/s; ` +
      `then a checkpoint of them: ${checkpointMs.toFixed(0)} ms`,
  );
}
await Deno.remove(dir2, { recursive: true });
await disk.close();
