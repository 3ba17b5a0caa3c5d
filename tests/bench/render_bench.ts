// /render/ of 100 series x 1 day (1440 one-minute points each, read from Whisper files with a few
// cache points laid over them), as JSON and as graphite-web's pickle.

import { CarbonServer } from "../../src/api/carbonserver.ts";
import { MetricStore } from "../../src/api/metric_store.ts";
import { CacheNames } from "../../src/index/cache_names.ts";
import { DiskIndex } from "../../src/index/disk_scan.ts";
import { parseRules } from "../../src/persister/whisper_writer.ts";
import { parseRetentionDefs } from "../../src/whisper/archive_list.ts";
import { create } from "../../src/whisper/create.ts";
import { updateMany } from "../../src/whisper/whisper_file.ts";
import { Head } from "../../src/appender/head.ts";

const now = Math.floor(Date.now() / 1000);
const dir = await Deno.makeTempDir();
await Deno.mkdir(`${dir}/bench`);
for (let s = 0; s < 100; s++) {
  const path = `${dir}/bench/s${s}.wsp`;
  create(path, parseRetentionDefs("60s:1d,1h:30d"));
  updateMany(
    path,
    Array.from({ length: 1440 }, (_, i) => [now - i * 60, s + i] as [number, number]),
    { now },
  );
}
const head = await Head.load({ maxPoints: 100_000, maxLineLen: 262_144 });
const cache = head.drain;
const app = head.appender();
app.appendPoints(
  Array.from({ length: 100 }, (_, s) => `bench.s${s}`),
  Array.from({ length: 100 }, () => now),
  Array.from({ length: 100 }, (_, s) => s),
);
app.commit();
const index = new DiskIndex(dir);
index.start();
await index.whenReady();
const store = new MetricStore(
  cache,
  new CacheNames(cache, index),
  index,
  parseRules({ schemas: null, aggregation: null }),
  { dataDir: dir, glob: {} },
);
const api = new CarbonServer(store, {
  listen: "127.0.0.1:0",
  maxMetricsGlobbed: 100_000,
  maxMetricsRendered: 100_000,
});
const url = (format: string) =>
  `http://x/render/?target=bench.*&from=${now - 86_400 + 60}&until=${now}&format=${format}`;

for (const format of ["json", "pickle"]) {
  Deno.bench(`render 100 series x 1 day, ${format}`, async () => {
    const res = await api.handler(new Request(url(format)), now);
    await res.arrayBuffer();
  });
}

globalThis.addEventListener("unload", () => {
  index.stop();
  Deno.removeSync(dir, { recursive: true });
});
