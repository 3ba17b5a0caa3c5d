// Scraping end to end, carbonado against Prometheus 2.42 in the same run: both scrape the same
// TARGETS targets of SERIES series each (served by tests/bench/scrape_targets.ts in its own
// process) every INTERVAL, carbonado with the write-ahead log on and Whisper off (so both only
// log and keep samples in memory), Prometheus with its defaults. After a warm-up (two intervals
// of scrapes, and WARMUP seconds since the start: what a long-running daemon spends in its
// first minute, V8 compiling its hot code and a first full GC, Go growing its heap, is not its
// steady state), each daemon's CPU seconds (/proc/<pid>/stat) over the measured window are
// divided by the samples it scraped in it: carbonado's carbonado_scrape_samples_total,
// Prometheus' prometheus_tsdb_head_samples_appended_total.
// `deno task bench:scrape [targets] [series] [interval s] [window s] [warm-up s]`
// (defaults 100 1000 5 60 60).

import { startDaemon } from "../_util/daemon.ts";
import { freePort } from "../_util/net.ts";
import { cpuSeconds, report } from "./e2e_util.ts";

const [TARGETS, SERIES, INTERVAL_S, WINDOW_S, WARMUP_S] = [100, 1000, 5, 60, 60].map((d, i) =>
  Deno.args[i] ? Number(Deno.args[i]) : d
);
const PROMETHEUS = "/usr/bin/prometheus";

const root = await Deno.makeTempDir({ prefix: "scrape-bench-" });
const targets = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-net",
    new URL("./scrape_targets.ts", import.meta.url).pathname,
    String(TARGETS),
    String(SERIES),
  ],
  stdout: "piped",
}).spawn();
const reader = targets.stdout.pipeThrough(new TextDecoderStream()).getReader();
const port = Number((await reader.read()).value!.trim());
const groups = Array.from(
  { length: TARGETS },
  (_, i) =>
    `      - {targets: ['127.0.0.1:${port}'], labels: {__metrics_path__: /t/${i}, t: '${i}'}}\n`,
).join("");
const config = `${root}/prometheus.yml`;
await Deno.writeTextFile(
  config,
  `global: {scrape_interval: ${INTERVAL_S}s}\nscrape_configs:\n  - job_name: bench\n` +
    `    static_configs:\n${groups}`,
);

const promPort = freePort();
const prom = new Deno.Command(PROMETHEUS, {
  args: [
    `--config.file=${config}`,
    `--storage.tsdb.path=${root}/prom`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    "--log.level=error",
  ],
  stdout: "null",
  stderr: "null",
}).spawn();
const daemon = await startDaemon({
  dataDir: `${root}/whisper`,
  env: {
    CARBONADO_SCRAPE_ENABLED: "true",
    CARBONADO_SCRAPE_CONFIG_FILE: config,
    CARBONADO_WHISPER_ENABLED: "false",
    CARBONADO_WAL_DIR: `${root}/wal`,
    CARBONADO_CACHE_MAX_SIZE: String(TARGETS * SERIES * (WINDOW_S / INTERVAL_S + 10) * 2),
  },
});

/** Sum of a counter (every label set) on a Prometheus text page. */
async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

const ours = () =>
  counter(`http://${daemon.listeners.prometheus}/metrics`, "carbonado_scrape_samples_total");
const theirs = () =>
  counter(`http://127.0.0.1:${promPort}/metrics`, "prometheus_tsdb_head_samples_appended_total");

try {
  // polled once a second, not waitFor's 5 ms: rendering /metrics 200 times a second would put
  // the warm-up's garbage into the measured window
  const started = Date.now();
  const warmUntil = started + 120_000 + WARMUP_S * 1000;
  while (true) {
    const warm = await Promise.all([ours(), theirs()]).then(
      ([c, p]) => c >= 2 * TARGETS * SERIES && p >= 2 * TARGETS * SERIES,
      () => false,
    );
    if (warm && Date.now() - started >= WARMUP_S * 1000) break;
    if (Date.now() > warmUntil) throw new Error("no two intervals of scrapes in 120 s");
    await new Promise((r) => setTimeout(r, 1000));
  }
  const start = {
    c: cpuSeconds(daemon.child.pid),
    p: cpuSeconds(prom.pid),
    cs: await ours(),
    ps: await theirs(),
  };
  await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
  const end = {
    c: cpuSeconds(daemon.child.pid),
    p: cpuSeconds(prom.pid),
    cs: await ours(),
    ps: await theirs(),
  };
  const perMillion = (cpu: number, samples: number) => (cpu / samples) * 1e6;
  const c = perMillion(end.c - start.c, end.cs - start.cs);
  const p = perMillion(end.p - start.p, end.ps - start.ps);
  await report(
    `${TARGETS} targets x ${SERIES} series every ${INTERVAL_S}s, ${WINDOW_S}s window after ` +
      `${WARMUP_S}s: ` +
      `carbonado ${(end.c - start.c).toFixed(2)} CPU s / ${end.cs - start.cs} samples = ` +
      `${c.toFixed(3)} CPU s per million; Prometheus 2.42 ${
        (end.p - start.p).toFixed(2)
      } CPU s / ` +
      `${end.ps - start.ps} samples = ${p.toFixed(3)} CPU s per million; ratio ${
        (c / p).toFixed(2)
      }`,
  );
} finally {
  await daemon.stop();
  prom.kill("SIGTERM");
  await prom.status;
  targets.kill("SIGTERM");
  await targets.status;
  await Deno.remove(root, { recursive: true });
}
