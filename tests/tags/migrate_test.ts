// Literal tagged files (`a/b;k=v.wsp`, written by go-carbon with [tags] off) move to carbon's
// `_tagged/` files: renamed when the target is missing, gaps filled when it exists; the CLI
// command also records the names in the series log.

import { assertEquals } from "../_util/assert.ts";
import { runCommand } from "../../src/cli.ts";
import { metricPath } from "../../src/storage/metric_path.ts";
import { findLiteralTagged, migrateTagged } from "../../src/tags/migrate.ts";
import { TagDb } from "../../src/tags/tag_db.ts";
import { parseRetentionDefs } from "../../src/whisper/archive_list.ts";
import { create } from "../../src/whisper/create.ts";
import { fetch, updateMany } from "../../src/whisper/whisper_file.ts";

const NOW = 1_700_000_000 - (1_700_000_000 % 60);
const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

function wsp(path: string, points: [number, number][]): void {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  create(path, parseRetentionDefs("60s:1h,5m:1d"));
  updateMany(path, points, { now: NOW });
}

function values(path: string): [number, number][] {
  const r = fetch(path, NOW - 3000, { now: NOW, untilTime: NOW })!;
  return r.values.flatMap((v, i) => v === null ? [] : [[r.fromTime + i * r.step, v]]);
}

Deno.test("migrateTagged() moves literal tagged files and fills an existing target's gaps", async () => {
  const dir = Deno.makeTempDirSync();
  // two spellings of one series, and one with a dotted tag value (directories in the path)
  wsp(`${dir}/cpu/load;host=a;dc=east.wsp`, [[NOW - 600, 1], [NOW - 540, 2]]);
  wsp(`${dir}/cpu/load;dc=east;host=a.wsp`, [[NOW - 540, 20], [NOW - 480, 3]]);
  wsp(`${dir}/net;ip=10/0/0/1.wsp`, [[NOW - 600, 7]]);
  wsp(`${dir}/plain/metric.wsp`, [[NOW - 600, 9]]);
  assertEquals(await findLiteralTagged(dir), [
    "cpu/load;dc=east;host=a.wsp",
    "cpu/load;host=a;dc=east.wsp",
    "net;ip=10/0/0/1.wsp",
  ]);
  const r = await migrateTagged(dir, { now: NOW });
  assertEquals([r.moved, r.merged, r.failed], [2, 1, 0]);
  const target = metricPath(dir, "cpu.load;dc=east;host=a");
  // the first in path order moved in; the second filled its gaps (its -540 point is not kept)
  assertEquals(values(target), [[NOW - 600, 1], [NOW - 540, 20], [NOW - 480, 3]]);
  assertEquals(values(metricPath(dir, "net;ip=10.0.0.1")), [[NOW - 600, 7]]);
  assertEquals(await exists(`${dir}/cpu/load;host=a;dc=east.wsp`), false);
  assertEquals(await exists(`${dir}/plain/metric.wsp`), true);
  assertEquals(await findLiteralTagged(dir), []);
});

Deno.test("--migrate-tagged moves the files of the configured data dir and logs their names", async () => {
  const dir = Deno.makeTempDirSync();
  wsp(`${dir}/app;env=prod.wsp`, [[NOW - 600, 1]]);
  const out: string[] = [];
  const code = await runCommand({ command: "migrate-tagged" }, {
    out: { stdout: (t) => out.push(t), stderr: (t) => out.push(t) },
    env: { CARBONADO_WHISPER_DATA_DIR: dir },
  });
  assertEquals(code, 0);
  assertEquals(out, [`tagged files in ${dir}: 1 moved, 0 merged, 0 failed\n`]);
  assertEquals(await exists(metricPath(dir, "app;env=prod")), true);
  const db = new TagDb({ dataDir: dir });
  db.start();
  assertEquals([...db.index.names()], ["app;env=prod"]);
  db.stop();
});
