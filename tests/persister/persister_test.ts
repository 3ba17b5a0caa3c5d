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
): Promise<void> {
  head.reset(1_000_000);
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

Deno.test("Persister keeps a failed series' points readable, retries, and lets the others through", async () => {
  await withPersister({}, async (p, dir, oracle) => {
    await Deno.writeTextFile(`${dir}/stuck`, "blocks the directory stuck/");
    const t = NOW - (NOW % 60) - 60;
    ingest(`stuck.here 1 ${t}\nfree.one 2 ${t}\n`);
    // The free series is written and the stuck one waits for its retry, however long that takes.
    await waitFor(
      () =>
        samples(p).get("carbonado_persister_retry_series") === 1 &&
        cache.counters().notConfirmed === 1,
      "the free series written and the stuck one held for retry",
    );
    assertEquals(readPairs(cache, "stuck.here"), [[t, 1]], "its points are still readable");
    assertEquals(await values(oracle, `${dir}/free/one.wsp`), [[t, 2]]);
    const failures = samples(p).get('carbonado_whisper_errors_total{"reason":"bad_path"}')!;
    assert.ok(failures >= 1, `errors counted: ${failures}`);

    ingest(`stuck.here 3 ${t + 60}\n`); // new points wait in the cache behind the retry
    await Deno.remove(`${dir}/stuck`);
    assertEquals(await p.flush(10_000), true);
    assertEquals(await values(oracle, `${dir}/stuck/here.wsp`), [[t, 1], [t + 60, 3]]);
    assertEquals(samples(p).get("carbonado_persister_retry_series"), 0);
  });
});

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
