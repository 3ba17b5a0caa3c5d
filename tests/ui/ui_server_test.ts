// The status page's server side: the page and uPlot served from the project's own files and the
// installed npm package, /api/status (static part, uptime, samples), /api/series (archive and step
// a render over a range reads, points in the cache), refusals, and the whole thing through the
// real daemon's carbonserver listener with a warning given at start.

import { assert, assertEquals } from "../_util/assert.ts";
import { feed } from "../_util/cache_dump.ts";
import { fetchText, startDaemon } from "../_util/daemon.ts";
import { MetricStore } from "../../src/api/metric_store.ts";
import { Head } from "../../src/appender/head.ts";
import { VERSION } from "../../src/cli.ts";
import { defaultConfig } from "../../src/config/config.ts";
import { CacheNames } from "../../src/index/cache_names.ts";
import { DiskIndex } from "../../src/index/disk_scan.ts";
import { parseRules } from "../../src/persister/whisper_writer.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import type { Sample } from "../../src/stats/sample.ts";
import { loadAssets } from "../../src/ui/assets.ts";
import { UiServer } from "../../src/ui/ui_server.ts";
import { parseRetentionDefs } from "../../src/whisper/archive_list.ts";
import { create } from "../../src/whisper/create.ts";

const NOW = 1_800_000_000 - (1_800_000_000 % 60);
const head = await Head.load({ maxPoints: 10_000, maxLineLen: 262_144 });
const cache = head.drain;
const assets = loadAssets();

const SAMPLE: Sample = {
  name: "carbonado_test_points_total",
  help: "Points.",
  type: "counter",
  value: 7,
  labels: { protocol: "tcp" },
};

async function withUi(fn: (ui: UiServer, clock: { ms: number }) => Promise<void>): Promise<void> {
  head.reset(10_000);
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/srv`, { recursive: true });
  create(`${dir}/srv/disk.wsp`, parseRetentionDefs("60s:1h,5m:1d"), { aggregationMethod: "sum" });
  const index = new DiskIndex(dir);
  index.start();
  await index.whenReady();
  const rules = parseRules({
    schemas: { file: "s", text: "[all]\npattern = .\nretentions = 10s:6h,1m:7d\n" },
    aggregation: null,
  });
  const store = new MetricStore(cache, new CacheNames(cache, index), index, rules, {
    dataDir: dir,
    glob: { maxGlobs: 100, failOnMaxGlobs: true },
  });
  const config = defaultConfig();
  config.carbonserver.maxMetricsRendered = 2;
  const clock = { ms: NOW * 1000 };
  const ui = new UiServer({
    config,
    warnings: ["unknown config keys ignored: foo.bar"],
    sources: [{ stat: (send) => send(SAMPLE) }],
    store,
    files: assets.files,
    hostname: "box",
    now: () => clock.ms,
  });
  try {
    await fn(ui, clock);
  } finally {
    await index.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

function get(ui: UiServer, path: string, method = "GET"): Response {
  const res = ui.handle(new Request(`http://x${path}`, { method }));
  if (res === null) throw new Error(`${path} is not the UI's`);
  return res;
}

function ingest(text: string): void {
  const stream = new PlainStream(head.appender(), head.maxLineLen);
  feed(stream, new TextEncoder().encode(text));
}

Deno.test("loadAssets() reads the page and uPlot's files from the installed npm package", () => {
  assertEquals(assets.warnings, []);
  const paths = [...assets.files.keys()].sort();
  for (const path of ["/", "/ui/main.js", "/ui/style.css", "/ui/vendor/uPlot.iife.min.js"]) {
    assert.ok(paths.includes(path), `${path} in ${paths}`);
  }
  const uplot = new TextDecoder().decode(assets.files.get("/ui/vendor/uPlot.iife.min.js")!.body);
  assert.match(uplot, /var uPlot=/);
});

Deno.test("loadAssets() warns, naming the file, when uPlot is not installed", () => {
  const missing = loadAssets({ resolve: () => "file:///nonexistent/uplot/dist/x" });
  assertEquals(missing.warnings.length, 2);
  assert.match(missing.warnings[0], /^status page charts unavailable: cannot read \/nonexistent/);
  assert.ok(missing.files.has("/"), "the page itself is still served");
});

Deno.test("UiServer serves the page with a strict content security policy, and only GET", async () => {
  await withUi(async (ui) => {
    const page = get(ui, "/");
    assertEquals(page.status, 200);
    assertEquals(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(page.headers.get("content-security-policy")!, /^default-src 'self';/);
    assert.match(await page.text(), /<script type="module" src="\/ui\/main.js">/);
    const js = get(ui, "/ui/status.js");
    assertEquals(js.headers.get("content-type"), "text/javascript; charset=utf-8");
    await js.body?.cancel();
    const post = get(ui, "/api/status", "POST");
    assertEquals(post.status, 405);
    assertEquals(post.headers.get("allow"), "GET, HEAD");
    await post.body?.cancel();
    for (const path of ["/nothing", "/ui/", "/ui/nope.js", "/api/"]) {
      assertEquals(ui.handle(new Request(`http://x${path}`)), null, path);
    }
  });
});

Deno.test("/api/status gives version, uptime, masked config, start warnings and every sample", async () => {
  await withUi(async (ui, clock) => {
    clock.ms += 90_500;
    const status = await get(ui, "/api/status").json();
    assertEquals(status.version, VERSION);
    assertEquals(status.host, "box");
    assertEquals(status.startTime, NOW);
    assertEquals(status.now, NOW + 90.5);
    assertEquals(status.uptime, 90.5);
    assertEquals(status.warnings, ["unknown config keys ignored: foo.bar"]);
    assertEquals(status.config.cache["max-size"], 1_000_000);
    assertEquals(status.samples, [SAMPLE]);
    const requests: number[] = [];
    ui.stat((s) => s.labels?.route === "status" && requests.push(s.value));
    assertEquals(requests, [1]);
  });
});

Deno.test("/api/series names the archive and step a render over the range reads", async () => {
  await withUi(async (ui) => {
    ingest(`srv.new 1 ${NOW - 30}\nsrv.new 2 ${NOW - 20}\n`);
    const series = async (query: string) => (await get(ui, `/api/series?${query}`).json()).series;
    const disk = [
      { secondsPerPoint: 60, points: 60, retention: 3600 },
      { secondsPerPoint: 300, points: 288, retention: 86400 },
    ];
    const recent = await series(`target=srv.*&from=${NOW - 600}&until=${NOW}`);
    assertEquals(recent, [
      {
        name: "srv.disk",
        onDisk: true,
        aggregationMethod: "sum",
        xFilesFactor: 0.5,
        archives: disk,
        archive: 0,
        step: 60,
        cachedPoints: 0,
      },
      {
        name: "srv.new",
        onDisk: false,
        aggregationMethod: "average",
        xFilesFactor: 0.5,
        archives: [
          { secondsPerPoint: 10, points: 2160, retention: 21600 },
          { secondsPerPoint: 60, points: 10080, retention: 604800 },
        ],
        archive: 0,
        step: 10,
        cachedPoints: 2,
      },
    ]);
    const older = await series(`target=srv.disk&from=${NOW - 7200}&until=${NOW}`);
    assertEquals([older[0].archive, older[0].step], [1, 300]);
    const gone = await series(`target=srv.disk&from=${NOW - 3 * 86400}&until=${NOW - 2 * 86400}`);
    assertEquals([gone[0].archive, gone[0].step], [null, null], "outside the retention");
    assertEquals(await series("target=srv.nothing"), []);
  });
});

Deno.test("/api/series refuses a bad query with a 400 and the reason", async () => {
  await withUi(async (ui) => {
    ingest(`srv.a 1 ${NOW}\nsrv.b 1 ${NOW}\n`);
    const cases: [string, RegExp][] = [
      ["", /no target/],
      ["target=srv.*&from=10&until=5", /'from' is after 'until'/],
      ["target=srv.*&from=-1h", /epoch seconds/],
      ["target=srv..a", /empty segment/],
      ["target=srv.*", /more than max-metrics-rendered 2 series/],
    ];
    for (const [query, reason] of cases) {
      const res = get(ui, `/api/series?${query}`);
      assertEquals(res.status, 400, query);
      assert.match(await res.text(), reason);
    }
  });
});

Deno.test("the daemon serves the page and /api/status on the carbonserver listener", async () => {
  const dataDir = await Deno.makeTempDir();
  const daemon = await startDaemon({ dataDir, env: { CARBONADO_NO_SUCH_KEY: "1" } });
  try {
    const base = `http://${daemon.listeners.carbonserver}`;
    assert.match(await fetchText(`${base}/`), /<title>carbonado<\/title>/);
    const status = JSON.parse(await fetchText(`${base}/api/status`));
    assertEquals(status.warnings, [
      "unknown CARBONADO_* environment variables ignored: CARBONADO_NO_SUCH_KEY",
    ]);
    assertEquals(status.config.whisper["data-dir"], dataDir);
    const names = new Set(status.samples.map((s: Sample) => s.name));
    for (const name of ["carbonado_received_points_total", "carbonado_cache_points"]) {
      assert.ok(names.has(name), name);
    }
    const notFound = await fetch(`${base}/no/such/page`);
    assertEquals([notFound.status, await notFound.text()], [404, "404 page not found\n"]);
  } finally {
    await daemon.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
