// The carbonserver HTTP API: go-carbon's routes and formats, and graphite-web's remote formats
// read back by Python with an unpickler that refuses every global (as graphite-web's does).

import { assert, assertEquals } from "../_util/assert.ts";
import { feed } from "../_util/cache_dump.ts";
import { CarbonServer } from "../../src/api/carbonserver.ts";
import { MetricStore } from "../../src/api/metric_store.ts";
import { CacheNames } from "../../src/index/cache_names.ts";
import { DiskIndex } from "../../src/index/disk_scan.ts";
import { configureLogging } from "../../src/log/logger.ts";
import { parseRules } from "../../src/persister/whisper_writer.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import { parseRetentionDefs } from "../../src/whisper/archive_list.ts";
import { create } from "../../src/whisper/create.ts";
import { updateMany } from "../../src/whisper/whisper_file.ts";
import { Head } from "../../src/appender/head.ts";
import { PYTHON, requires } from "../_util/requires.ts";

configureLogging({ level: "error", sink: () => {} });
const NOW = 1_800_000_000 - (1_800_000_000 % 60);
const head = await Head.load({ maxPoints: 10_000, maxLineLen: 262_144 });
const cache = head.drain;

async function withApi(fn: (api: CarbonServer, dir: string) => Promise<void>, maxRendered = 100) {
  head.reset(10_000);
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/srv`, { recursive: true });
  create(`${dir}/srv/disk.wsp`, parseRetentionDefs("60s:1h,5m:1d"), { aggregationMethod: "sum" });
  updateMany(`${dir}/srv/disk.wsp`, [[NOW - 600, 1], [NOW - 540, 2]], { now: NOW });
  const index = new DiskIndex(dir);
  index.start();
  await index.whenReady();
  const rules = parseRules({
    schemas: { file: "s", text: "[all]\npattern = .\nretentions = 60s:1h,5m:1d\n" },
    aggregation: null,
  });
  const store = new MetricStore(cache, new CacheNames(cache, index), index, rules, {
    dataDir: dir,
    glob: { maxGlobs: 100, failOnMaxGlobs: true },
  });
  const api = new CarbonServer(store, {
    listen: "127.0.0.1:0",
    maxMetricsGlobbed: 100,
    maxMetricsRendered: maxRendered,
  });
  try {
    await fn(api, dir);
  } finally {
    await index.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

function ingest(text: string): void {
  const stream = new PlainStream(head.appender(), head.maxLineLen);
  feed(stream, new TextEncoder().encode(text));
}

async function get(api: CarbonServer, path: string): Promise<Response> {
  return await api.handler(new Request(`http://x${path}`), NOW);
}

/** Python's pickle.loads with every global refused; the result as JSON. */
async function unpickle(body: Uint8Array): Promise<unknown> {
  const script = `
import io, json, pickle, sys
class Safe(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError('global %s.%s' % (module, name))
print(json.dumps(Safe(io.BytesIO(sys.stdin.buffer.read())).load()))`;
  const child = new Deno.Command(PYTHON, {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(body);
  await w.close();
  const out = await child.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test(
  requires("python3", {
    name: "/metrics/find/ answers json, pickle and completer for names on disk and in the cache",
    fn: async () => {
      await withApi(async (api) => {
        ingest(`srv.cache 5 ${NOW - 60}\nsrv.sub.x 1 ${NOW}\n`);
        assertEquals(await (await get(api, "/metrics/find/?query=srv.*")).json(), {
          metrics: [{
            name: "srv.*",
            matches: [
              { path: "srv.cache", isLeaf: true },
              { path: "srv.disk", isLeaf: true },
              { path: "srv.sub" },
            ],
          }],
        });
        const res = await get(api, "/metrics/find/?query=srv.*&format=pickle&local=1");
        assertEquals(res.headers.get("content-type"), "application/pickle");
        assertEquals(await unpickle(new Uint8Array(await res.arrayBuffer())), [
          { metric_path: "srv.cache", isLeaf: true },
          { metric_path: "srv.disk", isLeaf: true },
          { metric_path: "srv.sub", isLeaf: false },
        ]);
        assertEquals(
          await (await get(api, "/metrics/find/?query=srv.s*&format=completer")).json(),
          {
            metrics: [{ path: "srv.sub.", name: "sub", is_leaf: "0" }],
          },
        );
        assertEquals(await (await get(api, "/metrics/find/?query=nothing.*")).json(), {
          metrics: [{ name: "nothing.*" }],
        });
      });
    },
  }),
);

Deno.test(
  requires("python3", {
    name: "/render/ merges the file and the cache and tags each series with its target",
    fn: async () => {
      await withApi(async (api) => {
        ingest(`srv.disk 20 ${NOW - 540}\nsrv.disk 30 ${NOW - 480}\nsrv.cache 7 ${NOW - 60}\n`);
        const q = `from=${NOW - 660}&until=${NOW - 420}`;
        const body = await (await get(api, `/render/?target=srv.disk&target=srv.c*&${q}`)).json();
        assertEquals(body, {
          metrics: [
            {
              name: "srv.disk",
              startTime: NOW - 600,
              stopTime: NOW - 360,
              stepTime: 60,
              values: [1, 20, 30, 0],
              isAbsent: [false, false, false, true],
            },
            {
              name: "srv.cache",
              startTime: NOW - 600,
              stopTime: NOW - 360,
              stepTime: 60,
              values: [0, 0, 0, 0],
              isAbsent: [true, true, true, true],
            },
          ],
        });
        const res = await get(api, `/render/?target=srv.d*&${q}&format=pickle&local=1&noCache=1`);
        assertEquals(await unpickle(new Uint8Array(await res.arrayBuffer())), [{
          start: NOW - 600,
          step: 60,
          end: NOW - 360,
          name: "srv.disk",
          pathExpression: "srv.d*",
          xFilesFactor: 0.5,
          consolidationFunc: "Sum",
          values: [1, 20, 30, null],
        }]);
        assertEquals(await (await get(api, `/render/?target=nothing&${q}`)).json(), {});
        const empty = await get(api, `/render/?target=nothing&${q}&format=pickle`);
        assertEquals([empty.status, await unpickle(new Uint8Array(await empty.arrayBuffer()))], [
          200,
          [],
        ]);
      });
    },
  }),
);

Deno.test("/render/ consolidates cache points into a coarser archive with the file's method", async () => {
  await withApi(async (api) => {
    ingest(`srv.disk 4 ${NOW - 300}\nsrv.disk 6 ${NOW - 240}\n`);
    const from = NOW - 7200; // beyond the hour: the 5-minute archive answers
    const body = await (await get(api, `/render/?target=srv.disk&from=${from}&until=${NOW}`))
      .json();
    const m = body.metrics[0];
    assertEquals(m.stepTime, 300);
    const slot = (NOW - 300 - ((NOW - 300) % 300) - m.startTime) / 300;
    assertEquals(m.values[slot], 10, "sum of the cached points of that 5-minute step");
  });
});

Deno.test("/info/ and /metrics/list/ describe files and cache-only metrics", async () => {
  await withApi(async (api) => {
    ingest(`srv.cache 5 ${NOW}\n`);
    assertEquals(await (await get(api, "/info/?target=srv.disk")).json(), {
      metrics: [{
        name: "srv.disk",
        consolidationFunc: "Sum",
        xFilesFactor: 0.5,
        maxRetention: 86400,
        retentions: [{ secondsPerPoint: 60, numberOfPoints: 60 }, {
          secondsPerPoint: 300,
          numberOfPoints: 288,
        }],
      }],
    });
    assertEquals(
      (await (await get(api, "/info/?target=srv.cache")).json()).metrics[0].consolidationFunc,
      "Average",
    );
    const missing = await get(api, "/info/?target=no.such");
    assertEquals([missing.status, await missing.text()], [404, "Metric not found\n"]);
    assertEquals(await (await get(api, "/metrics/list/")).json(), {
      Metrics: ["srv.cache", "srv.disk"],
    });
    assertEquals(await (await get(api, "/metrics/index.json")).json(), ["srv.cache", "srv.disk"]);
  });
});

Deno.test("carbonserver refuses hostile and oversized queries with a 400 and a message", async () => {
  await withApi(async (api) => {
    ingest(Array.from({ length: 5 }, (_, i) => `many.m${i} 1 ${NOW}\n`).join(""));
    const cases: [string, string][] = [
      ["/metrics/find/?query=a..b", "empty segment"],
      [`/metrics/find/?query=${encodeURIComponent("{".repeat(20) + "a" + "}".repeat(20))}`, "nest"],
      [`/render/?target=${encodeURIComponent("{a,b}".repeat(40))}`, "Bad request ("],
      ["/render/?target=../../etc/passwd", "empty segment"],
      ["/render/?target=many.*", "max-metrics-rendered 3"],
      ["/render/?target=x&from=yesterday", "invalid 'from' time"],
      ["/metrics/find/", "no query"],
      ["/metrics/find/?query=x&format=protobuf", "unsupported format"],
      ["/render/?target=x&format=msgpack", "Unknown format"],
    ];
    for (const [path, message] of cases) {
      const res = await get(api, path);
      const text = await res.text();
      assertEquals(res.status, 400, `${path}: ${text}`);
      assert.ok(text.includes(message), `${path}: ${text}`);
    }
  }, 3);
});

Deno.test("carbonserver answers over a real socket, POST forms included (graphite-web's POST mode)", async () => {
  await withApi(async (api) => {
    api.start();
    try {
      const base = `http://127.0.0.1:${api.addr.port}`;
      const form = new FormData();
      form.append("query", "srv.*");
      form.append("format", "json");
      const res = await fetch(`${base}/metrics/find/`, { method: "POST", body: form });
      assertEquals((await res.json()).metrics[0].matches[0], { path: "srv.disk", isLeaf: true });
      const r2 = await fetch(`${base}/render?target=srv.disk&from=${NOW - 660}&until=${NOW - 420}`);
      assertEquals(r2.status, 200);
      await r2.body?.cancel();
    } finally {
      await api.stop();
    }
  });
});
