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
import { protocDecode, protocEncode } from "../_util/protoc.ts";
import { PYTHON, requires } from "../_util/requires.ts";

configureLogging({ level: "error", sink: () => {} });
const NOW = 1_800_000_000 - (1_800_000_000 % 60);
const head = await Head.load({ maxPoints: 10_000, maxLineLen: 262_144 });
const cache = head.drain;

async function withApi(
  fn: (api: CarbonServer, dir: string, store: MetricStore) => Promise<void>,
  maxRendered = 100,
) {
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
    await fn(api, dir, store);
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

Deno.test("/render/ answers a metric whose file is damaged with its cached points; /info/ reports the damage with the path, counted and logged once", async () => {
  await withApi(async (api, dir, store) => {
    const path = `${dir}/srv/broken.wsp`;
    create(path, parseRetentionDefs("60s:1h"), { aggregationMethod: "sum" });
    Deno.truncateSync(path, 30); // the header cut short
    ingest(`srv.broken 7 ${NOW - 540}\nsrv.broken 8 ${NOW - 480}\n`);
    const logs: Record<string, unknown>[] = [];
    configureLogging({ level: "warn", sink: (line) => logs.push(JSON.parse(line)) });
    try {
      const q = `from=${NOW - 660}&until=${NOW - 420}`;
      for (let i = 0; i < 2; i++) {
        const body = await (await get(api, `/render/?target=srv.broken&target=srv.disk&${q}`))
          .json();
        assertEquals(
          body.metrics.map((m: { name: string; values: number[] }) => [m.name, m.values]),
          [["srv.broken", [0, 7, 8, 0]], ["srv.disk", [1, 2, 0, 0]]],
        );
      }
      const res = await get(api, "/info/?target=srv.broken");
      assertEquals(res.status, 200);
      const info = (await res.json()).metrics[0];
      assertEquals([info.name, info.damaged.path, info.damaged.offset], ["srv.broken", path, 16]);
      assert.ok(info.damaged.error.includes("Cannot read whisper file"), info.damaged.error);
      assertEquals(logs.filter((l) => l.path === path).length, 1, JSON.stringify(logs));
      const counted: number[] = [];
      store.stat((s) => {
        if (s.name === "carbonado_query_damaged_files_total") counted.push(s.value);
      });
      assertEquals(counted, [1]);
    } finally {
      configureLogging({ level: "error", sink: () => {} });
    }
  });
});

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
      ["/render/?target=x&from=next-friday", "invalid 'from' time"],
      ["/metrics/find/", "no query"],
      ["/metrics/find/?query=x&format=msgpack", "unsupported format"],
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

const V2 = "carbonapi/carbonapi_v2_pb.proto";
const V3 = "carbonapi/carbonapi_v3_pb.proto";
type Pb = string | number | boolean | Pb[] | { [field: string]: Pb };

/** A message in protoc's text format, defaults left out as protoc leaves them, spacing collapsed. */
function pbText(message: { [field: string]: Pb }): string {
  const out: string[] = [];
  const scalar = (v: Pb) =>
    typeof v === "string" ? JSON.stringify(v) : Number.isNaN(v) ? "nan" : String(v);
  const field = (k: string, v: Pb, repeated: boolean) => {
    if (Array.isArray(v)) { for (const x of v) field(k, x, true); }
    else if (typeof v === "object") out.push(`${k} { ${pbText(v)} }`);
    else if (repeated || (v !== 0 && v !== "" && v !== false)) out.push(`${k}: ${scalar(v)}`);
  };
  for (const [k, v] of Object.entries(message)) field(k, v, false);
  return out.join(" ");
}

const collapse = (text: string) => text.replace(/\s+/g, " ").trim();

/** POSTs a v3 request body made by protoc from `text`; returns the answer as protoc reads it. */
async function postV3(
  api: CarbonServer,
  path: string,
  request: [string, string],
  response: string,
): Promise<string> {
  const body = await protocEncode(V3, `carbonapi_v3_pb.${request[0]}`, request[1]);
  const res = await api.handler(new Request(`http://x${path}`, { method: "POST", body }), NOW);
  assertEquals(res.status, 200, await res.clone().text());
  assertEquals(res.headers.get("content-type"), "application/x-carbonapi-v3-pb");
  const bytes = new Uint8Array(await res.arrayBuffer());
  return collapse(await protocDecode(V3, `carbonapi_v3_pb.${response}`, bytes));
}

async function getPb(api: CarbonServer, path: string, proto: string, type: string) {
  const res = await get(api, path);
  assertEquals(res.status, 200, await res.clone().text());
  const bytes = new Uint8Array(await res.arrayBuffer());
  return {
    type: res.headers.get("content-type"),
    text: collapse(await protocDecode(proto, type, bytes)),
  };
}

Deno.test(requires("protoc", {
  name: "carbonserver answers carbonapi_v3_pb find, render and info requests as protoc reads them",
  fn: () =>
    withApi(async (api) => {
      ingest(`srv.cache 7 ${NOW - 60}\n`);
      // find: a MultiGlobRequest body, answered as the JSON format's matches
      const found = await (await get(api, "/metrics/find/?query=srv.*&query=none.*")).json();
      assertEquals(
        await postV3(api, "/metrics/find/?format=carbonapi_v3_pb", [
          "MultiGlobRequest",
          'metrics: "srv.*" metrics: "none.*"',
        ], "MultiGlobResponse"),
        pbText({
          metrics: found.metrics.map((m: { name: string; matches?: { path: string }[] }) => ({
            name: m.name,
            matches: (m.matches ?? []).map((x) => ({ path: x.path, isLeaf: true })),
          })),
        }),
      );
      // render: a MultiFetchRequest body; values and times as the JSON format's, NaN when absent
      const from = NOW - 600;
      const rendered = await (await get(api, `/render/?target=srv.*&from=${from}&until=${NOW}`))
        .json();
      const aggregation: Record<string, string> = { "srv.cache": "Average", "srv.disk": "Sum" };
      assertEquals(
        await postV3(api, "/render/?format=carbonapi_v3_pb", [
          "MultiFetchRequest",
          `metrics { name: "srv.*" startTime: ${from} stopTime: ${NOW} pathExpression: "srv.*" }`,
        ], "MultiFetchResponse"),
        pbText({
          metrics: rendered.metrics.map((
            m: { name: string; values: number[]; isAbsent: boolean[]; [k: string]: unknown },
          ) => ({
            name: m.name,
            pathExpression: "srv.*",
            consolidationFunc: aggregation[m.name],
            startTime: m.startTime as number,
            stopTime: m.stopTime as number,
            stepTime: m.stepTime as number,
            xFilesFactor: 0.5,
            values: m.values.map((v, i) => (m.isAbsent[i] ? NaN : v)),
            requestStartTime: from,
            requestStopTime: NOW,
          })),
        }),
      );
      // info: a MultiGlobRequest body of names
      assertEquals(
        await postV3(api, "/info/?format=carbonapi_v3_pb", [
          "MultiGlobRequest",
          'metrics: "srv.disk"',
        ], "MultiMetricsInfoResponse"),
        pbText({
          metrics: {
            name: "srv.disk",
            consolidationFunc: "Sum",
            maxRetention: 86_400,
            xFilesFactor: 0.5,
            retentions: [
              { secondsPerPoint: 60, numberOfPoints: 60 },
              { secondsPerPoint: 300, numberOfPoints: 288 },
            ],
          },
        }),
      );
      // carbonapi's Accept header asks for v3 too, with the query in the URL
      const accepted = await api.handler(
        new Request("http://x/metrics/find/?query=srv.disk", {
          headers: { accept: "application/x-carbonapi-v3-pb" },
        }),
        NOW,
      );
      assertEquals(
        collapse(
          await protocDecode(
            V3,
            "carbonapi_v3_pb.MultiGlobResponse",
            new Uint8Array(await accepted.arrayBuffer()),
          ),
        ),
        pbText({ metrics: { name: "srv.disk", matches: { path: "srv.disk", isLeaf: true } } }),
      );
      // a body that is not protobuf is a 400
      const bad = await api.handler(
        new Request("http://x/render/?format=carbonapi_v3_pb", {
          method: "POST",
          body: new Uint8Array([0x0a, 0x50, 1]),
        }),
        NOW,
      );
      assertEquals(bad.status, 400);
      assert.ok((await bad.text()).includes("Cannot parse protobuf"));
    }),
}));

Deno.test(requires("protoc", {
  name:
    "carbonserver answers format=protobuf (carbonapi_v2_pb) find, render and info as protoc reads them",
  fn: () =>
    withApi(async (api) => {
      const find = await getPb(
        api,
        "/metrics/find/?query=srv.*&format=protobuf",
        V2,
        "carbonapi_v2_pb.GlobResponse",
      );
      assertEquals(find.type, "application/x-protobuf");
      assertEquals(
        find.text,
        pbText({ name: "srv.*", matches: { path: "srv.disk", isLeaf: true } }),
      );
      // render: exactly the JSON format's fields
      const q = `target=srv.disk&from=${NOW - 600}&until=${NOW}`;
      const rendered = await (await get(api, `/render/?${q}`)).json();
      for (const format of ["protobuf", "protobuf3", "carbonapi_v2_pb"]) {
        const render = await getPb(
          api,
          `/render/?${q}&format=${format}`,
          V2,
          "carbonapi_v2_pb.MultiFetchResponse",
        );
        assertEquals(render.text, pbText(rendered), format);
      }
      const info = await getPb(
        api,
        "/info/?target=srv.disk&format=protobuf",
        V2,
        "carbonapi_v2_pb.InfoResponse",
      );
      assertEquals(info.type, "application/x-carbonapi-v2-pb");
      assertEquals(
        info.text,
        pbText({
          name: "srv.disk",
          aggregationMethod: "Sum",
          maxRetention: 86_400,
          xFilesFactor: 0.5,
          retentions: [
            { secondsPerPoint: 60, numberOfPoints: 60 },
            { secondsPerPoint: 300, numberOfPoints: 288 },
          ],
        }),
      );
    }),
}));

Deno.test("carbonserver /render takes graphite-web's relative and absolute time forms", async () => {
  await withApi(async (api) => {
    const local = (y: number, mo: number, d: number, h = 0, mi = 0) =>
      new Date(y, mo - 1, d, h, mi).getTime() / 1000;
    const day = new Date(NOW * 1000);
    const [y, mo, d] = [day.getFullYear(), day.getMonth() + 1, day.getDate()];
    const pad = (n: number) => String(n).padStart(2, "0");
    const ymd = `${y}${pad(mo)}${pad(d)}`;
    // each form against the unix seconds it names
    const forms: [string, string, number, number][] = [
      ["-5min", "now", NOW - 300, NOW],
      ["-1h", "now", NOW - 3600, NOW],
      ["-1d", "-12h", NOW - 86_400, NOW - 43_200],
      [String(NOW - 900), String(NOW), NOW - 900, NOW],
      [`00:00_${ymd}`, `23:59_${ymd}`, local(y, mo, d), local(y, mo, d, 23, 59)],
      [ymd, "now", local(y, mo, d), NOW],
      // a signed integer is unix seconds, as go-carbon reads it (graphite-web refuses "-300")
      ["-300", "now", -300, NOW],
    ];
    for (const [from, until, fromSeconds, untilSeconds] of forms) {
      const byForm = await get(api, `/render/?target=srv.disk&from=${from}&until=${until}`);
      assertEquals(byForm.status, 200, `${from} ${until}: ${await byForm.clone().text()}`);
      const bySeconds = await get(
        api,
        `/render/?target=srv.disk&from=${fromSeconds}&until=${untilSeconds}`,
      );
      assertEquals(await byForm.json(), await bySeconds.json(), `${from} .. ${until}`);
    }
  });
});
