// The status page's update time while the daemon ingests at a high rate: the real daemon (cache
// only, so only ingest loads it) takes plaintext over 4 connections paced to `--rate` points/s,
// headless Chromium shows the status page updating every second, and the page's own timings
// (fetch of /api/status, JSON parse, drawing every chart, measured with performance.now in the
// page) are read back over the DevTools protocol. The same is measured idle first, and
// /api/status is also timed from this process.
//
//   deno task bench:ui [--rate 1000000] [--seconds 20]

import { parseArgs } from "node:util";
import { waitInPage } from "../_util/browser_page.ts";
import { Chromium } from "../_util/cdp.ts";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { writeAll } from "../../src/net/stream_server.ts";
import { report, splitLines } from "./e2e_util.ts";
import { plaintextDataset } from "./plaintext_datasets.ts";
import { missing } from "../_util/requires.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rate: { type: "string", default: "1000000" },
    seconds: { type: "string", default: "20" },
    idle: { type: "string", default: "10" },
  },
});
if (missing("chromium") !== null) {
  console.error(missing("chromium"));
  Deno.exit(1);
}
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const TICK_MS = 100;
const CONNECTIONS = 4;
const UPDATE_MS = 1000;

// One second of traffic: 100k metrics x 10 points, cut into ticks, each tick cut per connection.
const perTick = Math.round((RATE * TICK_MS) / 1000);
const data = plaintextDataset(100_000, Math.ceil(RATE / 100_000), "ui");
const ticks = splitLines(data.bytes, Math.round(data.lines / perTick))
  .map((slice) => splitLines(slice, CONNECTIONS));

type Timing = { fetch: number; parse: number; draw: number; total: number };

function stats(list: number[]): string {
  const sorted = [...list].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `median ${at(0.5).toFixed(1)}, p95 ${at(0.95).toFixed(1)}, max ${
    sorted.at(-1)!.toFixed(1)
  } ms`;
}

function summary(label: string, timings: Timing[], direct: number[]): string {
  return [
    `${label}: ${timings.length} page updates`,
    `  total (fetch + parse + draw): ${stats(timings.map((t) => t.total))}`,
    `  fetch /api/status:            ${stats(timings.map((t) => t.fetch))}`,
    `  JSON.parse:                   ${stats(timings.map((t) => t.parse))}`,
    `  draw (history, every chart):  ${stats(timings.map((t) => t.draw))}`,
    `  /api/status from the bench:   ${stats(direct)}`,
  ].join("\n");
}

const dataDir = await Deno.makeTempDir();
const daemon = await startDaemon({
  dataDir,
  env: {
    CARBONADO_WHISPER_ENABLED: "false",
    CARBONADO_CACHE_MAX_SIZE: String(RATE * (SECONDS + 5)),
    CARBONADO_UDP_ENABLED: "false",
    CARBONADO_PICKLE_ENABLED: "false",
    CARBONADO_CARBONLINK_ENABLED: "false",
  },
});
const base = `http://${daemon.listeners.carbonserver}`;
const browser = await Chromium.launch();
const page = await browser.newPage({ width: 1366, height: 768 });
await page.goto(`${base}/?interval=${UPDATE_MS}`);

/** Times /api/status from here once per second until `until()` is true. */
async function probe(until: () => boolean): Promise<number[]> {
  const times: number[] = [];
  while (!until()) {
    const t0 = performance.now();
    await fetchText(`${base}/api/status`);
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, UPDATE_MS));
  }
  return times;
}

/** Page timings recorded between two calls. */
const timingsSince = async (from: number) =>
  (await page.evaluate<Timing[]>("carbonadoUi.timings")).slice(from);
const timingCount = () => page.evaluate<number>("carbonadoUi.timings.length");

// Idle: the page alone, once its first updates have built the charts.
await waitInPage(page, "carbonadoUi.timings.length >= 3", "the page's first updates");
const idleFrom = await timingCount();
const idleEnd = Date.now() + Number(values.idle) * 1000;
const idleDirect = await probe(() => Date.now() > idleEnd);
const idle = await timingsSince(idleFrom);

// Under load.
const conns = await Promise.all(
  Array.from(
    { length: CONNECTIONS },
    () => Deno.connect({ hostname: "127.0.0.1", port: daemon.port("tcp") }),
  ),
);
const received = async () =>
  promValue(
    await fetchText(`http://${daemon.listeners.prometheus}/metrics`),
    'carbonado_received_points_total{protocol="tcp"}',
  ) ?? 0;
const before = await received();
const loadFrom = await timingCount();
const t0 = performance.now();
let loading = true;
const sending = (async () => {
  for (let tick = 0; tick < (SECONDS * 1000) / TICK_MS; tick++) {
    const wait = t0 + tick * TICK_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const slices = ticks[tick % ticks.length];
    await Promise.all(conns.map((conn, i) => writeAll(conn, slices[i])));
  }
  loading = false;
})();
const loadDirect = await probe(() => !loading);
await sending;
const seconds = (performance.now() - t0) / 1000;
const after = await received();
const loaded = await timingsSince(loadFrom);
for (const conn of conns) conn.close();
const status = await fetchText(`${base}/api/status`);
const samples = JSON.parse(status).samples.length;
const charts = await page.evaluate<number>("carbonadoUi.status.charts().size");
if (page.errors.length > 0) console.error("page errors:", page.errors);
await browser.close();
await daemon.stop();
await Deno.remove(dataDir, { recursive: true });

await report(
  `/api/status: ${status.length} bytes, ${samples} samples; ${charts} charts on the page; ` +
    `update every ${UPDATE_MS} ms`,
);
await report(summary("idle", idle, idleDirect));
await report(
  `load: ${((after - before) / seconds / 1e6).toFixed(2)}M points/s received over ` +
    `${seconds.toFixed(1)} s (target ${(RATE / 1e6).toFixed(2)}M/s, ${CONNECTIONS} connections)`,
);
await report(summary("under load", loaded, loadDirect));
