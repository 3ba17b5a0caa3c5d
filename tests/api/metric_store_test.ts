// The query side's view: names on disk and in the cache, file values with cache points laid
// over them, and cache-only metrics shaped like the file they will get.

import { assertEquals, assertThrows } from "../_util/assert.ts";
import { feed } from "../_util/cache_dump.ts";
import { MetricStore } from "../../src/api/metric_store.ts";
import { CacheNames } from "../../src/index/cache_names.ts";
import { DiskIndex } from "../../src/index/disk_scan.ts";
import { configureLogging } from "../../src/log/logger.ts";
import { parseRules } from "../../src/persister/whisper_writer.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import { create } from "../../src/whisper/create.ts";
import { parseRetentionDefs } from "../../src/whisper/archive_list.ts";
import { updateMany } from "../../src/whisper/whisper_file.ts";
import { Head } from "../../src/appender/head.ts";

configureLogging({ level: "error", sink: () => {} });
const NOW = 1_800_000_000 - (1_800_000_000 % 60);
const head = await Head.load({ maxPoints: 10_000, maxLineLen: 262_144 });
const cache = head.drain;
const rules = parseRules({
  schemas: { file: "s", text: "[all]\npattern = .\nretentions = 60s:1d,1h:30d\n" },
  aggregation: {
    file: "a",
    text: "[max]\npattern = \\.max$\nxFilesFactor = 0\naggregationMethod = max\n",
  },
});

function ingest(text: string): void {
  const stream = new PlainStream(head.appender(), head.maxLineLen);
  feed(stream, new TextEncoder().encode(text));
}

async function withStore(fn: (store: MetricStore, dir: string) => Promise<void> | void) {
  head.reset(10_000);
  const dir = await Deno.makeTempDir();
  for (const name of ["disk.a", "disk.b", "both.x"]) {
    await Deno.mkdir(`${dir}/${name.split(".")[0]}`, { recursive: true });
    const path = `${dir}/${name.replace(".", "/")}.wsp`;
    create(path, parseRetentionDefs("60s:1d"));
    updateMany(path, [[NOW - 180, 1], [NOW - 120, 2]], { now: NOW });
  }
  const index = new DiskIndex(dir);
  index.start();
  await index.whenReady();
  const store = new MetricStore(cache, new CacheNames(cache, index), index, rules, {
    dataDir: dir,
    glob: {},
  });
  try {
    await fn(store, dir);
  } finally {
    await index.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("MetricStore.find() merges names on disk and only in the cache", async () => {
  await withStore((store) => {
    ingest(`cache.only 1 ${NOW}\nboth.x 3 ${NOW - 60}\ndisk.c.max 4 ${NOW}\n`);
    assertEquals(store.find("*", 100).items, [
      { path: "both", isLeaf: false },
      { path: "cache", isLeaf: false },
      { path: "disk", isLeaf: false },
    ]);
    assertEquals(store.find("disk.*", 100).items, [
      { path: "disk.a", isLeaf: true },
      { path: "disk.b", isLeaf: true },
      { path: "disk.c", isLeaf: false },
    ]);
    assertEquals(store.expand("{both,cache}.*", 100).items, ["both.x", "cache.only"]);
    assertEquals(store.find("*.*", 3).limitReached, true);
    assertEquals([...store.names()].sort(), [
      "both.x",
      "cache.only",
      "disk.a",
      "disk.b",
      "disk.c.max",
    ]);
    assertThrows(() => store.find("a..b", 10), RangeError, "empty segment");
  });
});

Deno.test("MetricStore.fetch() lays cache points over the file, latest timestamp winning a step", async () => {
  await withStore((store) => {
    ingest(`both.x 30 ${NOW - 120}\nboth.x 40 ${NOW - 60 + 5}\nboth.x 41 ${NOW - 60 + 1}\n`);
    const r = store.fetch("both.x", NOW - 300, NOW, NOW)!;
    assertEquals([r.fromTime, r.untilTime, r.step], [NOW - 240, NOW + 60, 60]);
    assertEquals(r.values, [null, 1, 30, 40, null]);
  });
});

Deno.test("MetricStore answers for a cache-only metric in the shape its file will have", async () => {
  await withStore((store) => {
    ingest(`new.one.max 7 ${NOW - 60}\n`);
    const r = store.fetch("new.one.max", NOW - 120, NOW, NOW)!;
    assertEquals([r.step, r.values], [60, [7, null]]);
    const old = store.fetch("new.one.max", NOW - 20 * 86400, NOW, NOW)!;
    assertEquals(old.step, 3600, "beyond a day the hourly archive answers");
    const info = store.info("new.one.max")!;
    assertEquals([info.onDisk, info.aggregationMethod, info.maxRetention], [
      false,
      "max",
      30 * 86400,
    ]);
    assertEquals(store.info("disk.a")!.onDisk, true);
    assertEquals(store.fetch("never.seen", NOW - 120, NOW, NOW), null);
    assertEquals(store.info("never.seen"), null);
  });
});

Deno.test("MetricStore.cachePoints() includes points popped but not yet written", async () => {
  await withStore((store) => {
    ingest(`p.q 1 ${NOW - 60}\n`);
    const series = cache.lookup("p.q");
    cache.pop(series);
    ingest(`p.q 2 ${NOW}\n`);
    const points = store.cachePoints("p.q")!;
    assertEquals([...points.timestamps], [NOW - 60, NOW]);
    assertEquals([...points.values], [1, 2]);
  });
});
