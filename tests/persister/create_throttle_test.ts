// max-creates-per-second: the throttle's decisions at given instants, and the persister holding
// back (soft) or dropping (hard) new series past it while existing files keep being written.

import { assert, assertEquals } from "../_util/assert.ts";
import { feed } from "../_util/cache_dump.ts";
import { waitFor } from "../_util/net.ts";
import { listFiles } from "../_util/carbon_cache.ts";
import { configureLogging } from "../../src/log/logger.ts";
import { CreateThrottle } from "../../src/persister/create_throttle.ts";
import { type KnownFiles, Persister } from "../../src/persister/persister.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import { Head } from "../../src/appender/head.ts";

configureLogging({ level: "error", sink: () => {} });

Deno.test("CreateThrottle: soft refills at the rate up to one second's worth; hard counts per second", () => {
  const soft = new CreateThrottle({ perSecond: 2, hard: false });
  const t = 10_000; // an exact instant: performance.now() + 1000 - performance.now() may be 999.99…
  assertEquals([soft.take(t), soft.take(t), soft.take(t)], ["create", "create", "wait"]);
  assertEquals(soft.take(t + 499), "wait");
  assertEquals(soft.take(t + 510), "create");
  assertEquals([soft.take(t + 5000), soft.take(t + 5000), soft.take(t + 5000)], [
    "create",
    "create",
    "wait",
  ]);
  const hard = new CreateThrottle({ perSecond: 2, hard: true });
  assertEquals([hard.take(t), hard.take(t + 10), hard.take(t + 20)], ["create", "create", "drop"]);
  assertEquals(hard.take(t + 1000), "create");
  const off = new CreateThrottle({ perSecond: 0, hard: true });
  assertEquals([off.enabled, off.take(t)], [false, "create"]);
});

const NOW = Math.floor(Date.now() / 1000);

/** A head with `names` holding one point each, a persister over it, the files it knows. */
async function withNewSeries(
  names: string[],
  hard: boolean,
  fn: (p: Persister, head: Head, dir: string, files: Set<string>) => Promise<void>,
): Promise<void> {
  const head = await Head.load({ maxPoints: 100_000, maxLineLen: 4096 });
  const dir = await Deno.makeTempDir({ prefix: "carbonado_creates_" });
  const files = new Set<string>();
  const known: KnownFiles = { ready: true, has: (n) => files.has(n), add: (n) => files.add(n) };
  const stream = new PlainStream(head.appender(), head.maxLineLen);
  feed(stream, new TextEncoder().encode(names.map((n) => `${n} 1 ${NOW}\n`).join("")));
  const persister = new Persister(head.drain, {
    dataDir: dir,
    workers: 1,
    maxUpdatesPerSecond: 0,
    maxCreatesPerSecond: 1,
    hardMaxCreatesPerSecond: hard,
    sparseCreate: true,
    flock: false,
    removeEmptyFile: false,
    rules: { schemas: null, aggregation: null },
    strategy: "max",
    files: known,
  });
  persister.start();
  try {
    await fn(persister, head, dir, files);
  } finally {
    await persister.stop();
    head.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

function stat(p: Persister, name: string): number {
  let value = NaN;
  p.stat((s) => {
    if (s.name === name) value = s.value;
  });
  return value;
}

Deno.test("Persister: past a soft max-creates-per-second new series wait in the cache, then all are created", async () => {
  const names = ["c.a", "c.b", "c.c"];
  await withNewSeries(names, false, async (p, head, dir, files) => {
    await waitFor(() => files.size >= 1, "the first create");
    await waitFor(() => stat(p, "carbonado_whisper_creates_throttled_total") > 0);
    // held back, not lost: the points wait in the cache until their second comes
    await waitFor(() => files.size === 3, "every series created");
    assertEquals(await listFiles(dir), ["c/a.wsp", "c/b.wsp", "c/c.wsp"]);
    const c = head.drain.counters();
    assertEquals([c.cachedPoints, c.notConfirmed], [0, 0]);
    assertEquals(stat(p, "carbonado_whisper_creates_dropped_points_total"), 0);
  });
});

Deno.test("Persister: past a hard max-creates-per-second new series' points are dropped and counted", async () => {
  const names = ["h.a", "h.b", "h.c", "h.d"];
  await withNewSeries(names, true, async (p, head, _dir, files) => {
    await waitFor(
      () => {
        const c = head.drain.counters();
        return c.cachedPoints + c.notConfirmed === 0;
      },
      "the cache emptied",
    );
    const dropped = stat(p, "carbonado_whisper_creates_dropped_points_total");
    assert.ok(dropped >= 1, `dropped ${dropped}`);
    assertEquals(files.size + dropped, names.length);
    assertEquals(stat(p, "carbonado_whisper_creates_throttled_total"), dropped);
  });
});
