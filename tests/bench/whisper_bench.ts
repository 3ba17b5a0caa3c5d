// Whisper library benchmarks: updateMany of 100 points into a 3-archive file (one-shot and on a
// kept-open file), create sparse vs preallocated, and a 1-day fetch.
// Run: deno bench --allow-read --allow-write --allow-env tests/bench/whisper_bench.ts
// Files go to a new temp dir, or under $CARBONADO_BENCH_DIR (e.g. /dev/shm to take the disk out).

import { parseRetentionDefs } from "../../src/whisper/archive_list.ts";
import { create } from "../../src/whisper/create.ts";
import { fetch, updateMany, WhisperFile } from "../../src/whisper/whisper_file.ts";

const dir = Deno.makeTempDirSync({
  prefix: "carbonado_whisper_bench_",
  dir: Deno.env.get("CARBONADO_BENCH_DIR") || undefined,
});
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const BIG = parseRetentionDefs("10s:6h,1m:7d,10m:5y"); // 3.3 MB
const SMALL = parseRetentionDefs("1m:1d,10m:7d,1h:30d"); // 26 KB, a typical carbon file
const START = 1_700_000_000;

let files = 0;
function freshFile(archives = BIG): string {
  const path = `${dir}/f${files++}.wsp`;
  create(path, archives, { sparse: true });
  return path;
}

// 100 points 10 s apart, moving forward 1000 s per call so every call writes new slots and
// propagates into both lower archives.
function pointsFrom(start: number): [number, number][] {
  const points: [number, number][] = [];
  for (let i = 0; i < 100; i++) points.push([start + i * 10, Math.sin(start + i)]);
  return points;
}

const oneShotPath = freshFile();
let oneShotNow = START;
Deno.bench("updateMany(path, 100 points): open, update 3 archives, close", {
  group: "update",
  baseline: true,
}, () => {
  oneShotNow += 1000;
  updateMany(oneShotPath, pointsFrom(oneShotNow - 995), { now: oneShotNow });
});

const kept = WhisperFile.open(freshFile(), { write: true });
globalThis.addEventListener("unload", () => kept.close());
const timestamps = new Uint32Array(100);
const values = new Float64Array(100);
let keptNow = START;
Deno.bench("WhisperFile.updateArrays(100 points) on a kept-open file", { group: "update" }, () => {
  keptNow += 1000;
  for (let i = 0; i < 100; i++) {
    timestamps[i] = keptNow - 995 + i * 10;
    values[i] = Math.sin(keptNow + i);
  }
  kept.updateArrays(timestamps, values, { count: 100, now: keptNow });
});

const smallPath = freshFile(SMALL);
let smallNow = START;
Deno.bench("updateMany(path, 100 points) into a 26 KB 1m:1d,10m:7d,1h:30d file", {
  group: "update",
}, () => {
  smallNow += 6000;
  const points: [number, number][] = [];
  for (let i = 0; i < 100; i++) points.push([smallNow - 5990 + i * 60, i]);
  updateMany(smallPath, points, { now: smallNow });
});

for (
  const [label, archives] of [["3.3 MB 10s:6h,1m:7d,10m:5y", BIG], [
    "26 KB 1m:1d,10m:7d,1h:30d",
    SMALL,
  ]] as const
) {
  for (const sparse of [true, false]) {
    Deno.bench(`create ${sparse ? "sparse" : "preallocated"} ${label}`, {
      group: `create ${label}`,
      baseline: sparse,
    }, (b) => {
      const path = `${dir}/c${files++}.wsp`;
      b.start();
      create(path, archives, { sparse });
      b.end();
      Deno.removeSync(path);
    });
  }
}

const fetchPath = freshFile();
{
  let now = START - 7 * 86400;
  const file = WhisperFile.open(fetchPath, { write: true });
  while (now < START) {
    now += 1000;
    file.updateMany(pointsFrom(now - 995), { now });
  }
  file.close();
}
Deno.bench("fetch(path, now - 1 day): open, read 1440 points of the 1m archive, close", {
  group: "fetch",
}, () => {
  fetch(fetchPath, START - 86400, { now: START });
});
