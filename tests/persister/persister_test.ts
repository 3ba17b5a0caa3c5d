// The persister with real worker threads and real files, checked with Graphite's whisper.

import { assert, assertEquals } from "../_util/assert.ts";
import { feed, readPairs } from "../_util/cache_dump.ts";
import { waitFor } from "../_util/net.ts";
import { hexToF64 } from "../_util/whisper_oracle.ts";
import { openWhisperReader, type WhisperReader } from "../_util/whisper_reader.ts";
import { configureLogging } from "../../src/log/logger.ts";
import { Persister, type PersisterOptions, readRuleFiles } from "../../src/persister/persister.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import { Head } from "../../src/appender/head.ts";
import { MOUNT_SKIP, mountTmpfs } from "../_util/tmpfs.ts";
import { skipUnless } from "../_util/requires.ts";

configureLogging({ level: "error", sink: () => {} });
const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: 262_144 });
const cache = head.drain;
const NOW = Math.floor(Date.now() / 1000);

function ingest(text: string): void {
  const stream = new PlainStream(head.appender(), head.maxLineLen);
  feed(stream, new TextEncoder().encode(text));
}

function options(dataDir: string, extra: Partial<PersisterOptions> = {}): PersisterOptions {
  return {
    dataDir,
    workers: 2,
    maxUpdatesPerSecond: 0,
    sparseCreate: true,
    flock: false,
    removeEmptyFile: false,
    rules: { schemas: null, aggregation: null },
    strategy: "max",
    ...extra,
  };
}

function samples(p: Persister): Map<string, number> {
  const out = new Map<string, number>();
  p.stat((s) => out.set(s.name + (s.labels ? JSON.stringify(s.labels) : ""), s.value));
  return out;
}

async function withPersister(
  extra: Partial<PersisterOptions>,
  fn: (p: Persister, dir: string, oracle: WhisperReader) => Promise<void>,
  maxPoints = 1_000_000,
): Promise<void> {
  head.reset(maxPoints);
  const dir = await Deno.makeTempDir();
  const oracle = openWhisperReader();
  const persister = new Persister(cache, options(dir, extra));
  persister.start();
  try {
    await fn(persister, dir, oracle);
  } finally {
    await persister.stop();
    await oracle.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function values(oracle: WhisperReader, path: string): Promise<[number, number][]> {
  const r = await oracle.fetch(path, NOW - 7200, NOW, NOW);
  const out: [number, number][] = [];
  r?.values.forEach((v, i) => v !== null && out.push([r.fromTime + i * r.step, hexToF64(v)]));
  return out;
}

Deno.test("Persister writes every cached point to whisper files and empties the cache", async () => {
  await withPersister({}, async (p, dir, oracle) => {
    let text = "";
    const t0 = NOW - (NOW % 60) - 3600;
    for (let m = 0; m < 500; m++) {
      for (let i = 0; i < 10; i++) text += `p.m${m}.v ${m + i / 10} ${t0 + i * 60}\n`;
    }
    ingest(text);
    assertEquals(await p.flush(20_000), true);
    const c = cache.counters();
    // written series stay in the table, empty, until collected as idle
    assertEquals([c.cachedPoints, c.notConfirmed, c.series], [0, 0, 500]);
    const s = samples(p);
    assertEquals(s.get("carbonado_persisted_points_total"), 5000);
    assertEquals(s.get("carbonado_whisper_created_total"), 500);
    assertEquals(s.get("carbonado_whisper_updates_total"), 500);
    for (const m of [0, 123, 499]) {
      const got = await values(oracle, `${dir}/p/m${m}/v.wsp`);
      assertEquals(got, Array.from({ length: 10 }, (_, i) => [t0 + i * 60, m + i / 10]));
    }
  });
});

Deno.test(skipUnless(MOUNT_SKIP, {
  name:
    "Persister keeps a series' points readable while a full disk lasts, retries, and lets the others through",
  fn: async () => {
    await withPersister({}, async (p, dir, oracle) => {
      const disk = (await mountTmpfs("64k", { on: `${dir}/full` }))!;
      try {
        await Deno.writeFile(`${dir}/full/filler`, new Uint8Array(64 * 1024)).catch(() => {});
        const t = NOW - (NOW % 60) - 60;
        ingest(`full.here 1 ${t}\nfree.one 2 ${t}\n`);
        const flushed = p.flush(60_000);
        const noSpace = 'carbonado_whisper_errors_total{"reason":"no_space"}';
        // more attempts than any permanent failure gets before it is dropped
        await waitFor(() => samples(p).get(noSpace)! > 5, "six failed attempts");
        assertEquals(readPairs(cache, "full.here"), [[t, 1]], "its points are still readable");
        assertEquals(cache.counters().notConfirmed, 1);
        assertEquals(await values(oracle, `${dir}/free/one.wsp`), [[t, 2]]);
        assertEquals(samples(p).get("carbonado_persister_retry_series"), 1);

        ingest(`full.here 3 ${t + 60}\n`); // new points wait in the cache behind the retry
        await Deno.remove(`${dir}/full/filler`);
        assertEquals(await flushed, true);
        assertEquals(await values(oracle, `${dir}/full/here.wsp`), [[t, 1], [t + 60, 3]]);
        assertEquals(samples(p).get("carbonado_persister_retry_series"), 0);
        for (const reason of ["too_long", "bad_path", "corrupt", "permission"]) {
          assertEquals(samples(p).get(`${DROPPED}{"reason":"${reason}"}`), 0, reason);
        }
      } finally {
        await disk.close();
      }
    });
  },
}));

const DROPPED = "carbonado_persist_dropped_points_total";

/** `n` points of `name`, one a minute back from the last whole minute. */
function lines(name: string, n: number, value = 1): string {
  const t = NOW - (NOW % 60) - 60 * n;
  let text = "";
  for (let i = 0; i < n; i++) text += `${name} ${value} ${t + 60 * i}\n`;
  return text;
}

Deno.test("Persister gives up on series that can never be written: their points leave the cache, counted by reason, and good points land past max-size", async () => {
  await withPersister({}, async (p, dir, oracle) => {
    // 4,090 bytes of name in segments that fit: too long only with the data-dir in front
    const long = Array.from({ length: 20 }, () => "s".repeat(200)).join(".") + "." +
      "t".repeat(70);
    await Deno.writeTextFile(`${dir}/blocked`, "a file where a directory should be");
    await Deno.mkdir(`${dir}/broken`);
    await Deno.writeTextFile(`${dir}/broken/file.wsp`, "not a whisper header at all.........");
    ingest(lines(long, 700) + lines("blocked.metric", 700) + lines("broken.file", 600));
    assertEquals(cache.counters().cachedPoints, 2000, "the cache is full of them");
    ingest(lines("good.early", 1));
    assertEquals(cache.counters().overflow, 1);

    assertEquals(await p.flush(60_000), true, "a stop does not wait on them");
    assertEquals([cache.counters().cachedPoints, cache.counters().notConfirmed], [0, 0]);
    const s = samples(p);
    assertEquals(
      ["too_long", "bad_path", "corrupt", "permission"].map((r) =>
        s.get(`${DROPPED}{"reason":"${r}"}`)
      ),
      [700, 700, 600, 0],
    );
    assertEquals(s.get("carbonado_persister_failed_series"), 3);

    // new points for them are refused at once; 100 good points all land
    const rejected = cache.counters().rejected.series_failed;
    ingest(lines(long, 1) + lines("blocked.metric", 1) + lines("broken.file", 1));
    assertEquals(cache.counters().rejected.series_failed - rejected, 3);
    let good = "";
    for (let m = 0; m < 100; m++) good += lines(`good.m${m}`, 1, m);
    ingest(good);
    assertEquals(await p.flush(60_000), true);
    for (const m of [0, 42, 99]) {
      assertEquals((await values(oracle, `${dir}/good/m${m}.wsp`)).map(([, v]) => v), [m]);
    }

    // the problems go away; a re-check (rescan, SIGHUP) lets the series in again
    await Deno.remove(`${dir}/blocked`);
    await Deno.remove(`${dir}/broken/file.wsp`);
    p.recheckFailed();
    await waitFor(() => samples(p).get("carbonado_persister_failed_series") === 1);
    ingest(lines("blocked.metric", 2, 5) + lines("broken.file", 2, 6) + lines(long, 1));
    assertEquals(await p.flush(60_000), true);
    assertEquals((await values(oracle, `${dir}/blocked/metric.wsp`)).map(([, v]) => v), [5, 5]);
    assertEquals((await values(oracle, `${dir}/broken/file.wsp`)).map(([, v]) => v), [6, 6]);
    assertEquals(samples(p).get(`${DROPPED}{"reason":"too_long"}`), 700);
  }, 2000);
});

Deno.test(skipUnless(MOUNT_SKIP, {
  name:
    "Persister gives up on a read-only subtree after repeated permission errors, and takes it back once writable",
  fn: async () => {
    await withPersister({}, async (p, dir, oracle) => {
      const ro = (await mountTmpfs("1m", { on: `${dir}/ro`, options: "ro" }))!;
      try {
        ingest(lines("ro.one", 50) + lines("rw.one", 1));
        assertEquals(await p.flush(60_000), true);
        const s = samples(p);
        assertEquals(s.get(`${DROPPED}{"reason":"permission"}`), 50);
        assertEquals(s.get('carbonado_whisper_errors_total{"reason":"permission"}'), 5);
        assertEquals((await values(oracle, `${dir}/rw/one.wsp`)).length, 1);

        await ro.remount("rw");
        p.recheckFailed();
        await waitFor(() => samples(p).get("carbonado_persister_failed_series") === 0);
        ingest(lines("ro.one", 3, 7));
        assertEquals(await p.flush(60_000), true);
        assertEquals((await values(oracle, `${dir}/ro/one.wsp`)).map(([, v]) => v), [7, 7, 7]);
      } finally {
        await ro.close();
      }
    });
  },
}));

Deno.test("Persister uses the schemas and aggregation files, and takes new ones", async () => {
  const rules = await Deno.makeTempDir();
  const schemas = `${rules}/storage-schemas.conf`;
  const aggregation = `${rules}/storage-aggregation.conf`;
  await Deno.writeTextFile(schemas, "[all]\npattern = .*\nretentions = 10s:1h\n");
  await Deno.writeTextFile(
    aggregation,
    "[all]\npattern = .*\nxFilesFactor = 0\naggregationMethod = sum\n",
  );
  try {
    await withPersister(
      { rules: readRuleFiles(schemas, aggregation) },
      async (p, dir, oracle) => {
        ingest(`before.reload 1 ${NOW - 30}\n`);
        assertEquals(await p.flush(10_000), true);
        const before = await oracle.info(`${dir}/before/reload.wsp`);
        assertEquals([before!.maxRetention, before!.aggregationMethod], [3600, "sum"]);

        await Deno.writeTextFile(schemas, "[all]\npattern = .*\nretentions = 1m:2h\n");
        p.setRules(readRuleFiles(schemas, aggregation));
        ingest(`after.reload 1 ${NOW - 30}\n`);
        assertEquals(await p.flush(10_000), true);
        assertEquals((await oracle.info(`${dir}/after/reload.wsp`))!.maxRetention, 7200);
      },
    );
  } finally {
    await Deno.remove(rules, { recursive: true });
  }
});

Deno.test("readRuleFiles() refuses a bad schemas file, naming file and line", async () => {
  const dir = await Deno.makeTempDir();
  const schemas = `${dir}/storage-schemas.conf`;
  await Deno.writeTextFile(schemas, "[a]\npattern = .*\nretentions = 10x:1h\n");
  try {
    let message = "";
    try {
      readRuleFiles(schemas, "");
    } catch (err) {
      message = (err as Error).message;
    }
    assert.ok(message.includes(`${schemas} at line 3`), message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Persister writes on the main thread while it keeps up, starts workers, up to workers, under a backlog, and ends them once idle", async () => {
  await withPersister({ workers: 3, workerIdleMs: 200 }, async (p) => {
    const written = () => {
      const c = cache.counters();
      return c.cachedPoints === 0 && c.notConfirmed === 0;
    };
    const t = NOW - (NOW % 60) - 60;
    ingest(`one.series 1 ${t}\n`);
    await waitFor(() => written(), "the one point written");
    assertEquals(samples(p).get("carbonado_persister_workers"), 0);
    assertEquals(samples(p).get("carbonado_persister_workers_started_total"), 0);
    // 3,000 series: past the main thread's backlog, and 12 batches of 256 at once, more than
    // one worker holds (two batches)
    let text = "";
    for (let i = 0; i < 3000; i++) text += `backlog.s${i} 1 ${t}\n`;
    ingest(text);
    await waitFor(() => written(), "the backlog written");
    assertEquals(samples(p).get("carbonado_persister_workers_started_total"), 3);
    await waitFor(() => samples(p).get("carbonado_persister_workers") === 0, "idle workers ended");
    // a small batch afterwards is written on the main thread again
    ingest(`one.series 2 ${t + 60}\n`);
    await waitFor(() => written(), "the next point written");
    assertEquals(samples(p).get("carbonado_persister_workers_started_total"), 3);
  });
});
