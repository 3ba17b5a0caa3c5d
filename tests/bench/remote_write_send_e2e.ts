// remote_write sending end to end against VictoriaMetrics 1.79 (Debian's, on a tmpfs with the WAL):
//
// 1. throughput: a plaintext payload sent over 4 connections; timed until the daemon has counted
//    every point (the ingest rate) and until VictoriaMetrics has accepted every point (answered
//    2xx: carbonado_remote_storage_samples_total), in the same run; then VictoriaMetrics' own
//    count (vm_rows_inserted_total{type="promremotewrite"}) must show them all, but it is not
//    timed: VictoriaMetrics updates its /metrics about once a second (every counter there moves
//    in 1 s steps, measured), which put up to a second of its own into the old timing. The
//    daemon's CPU per million points, by thread (main, the remote_write worker, V8's helpers,
//    the rest). Three rounds: new series
//    while the worker's code is still cold (JIT), other new series, then known ones
//    (VictoriaMetrics creates 100k series in each of the first two).
// 2. backlog: VictoriaMetrics down while points arrive at a steady rate, then started: timed until
//    it has them all, against the time they took to accrue; the daemon's peak RSS while draining.
//
//   deno task bench:remote [--points 1000000] [--metrics 100000] [--backlog 10000000]
//                          [--rate 100000] [--part both|throughput|backlog] [--min-shards 1]
//                          [--max-samples-per-send 10000]
//                          [--timeline] (every 50 ms of a throughput round: read, sent, shards,
//                          VictoriaMetrics' count)

import { parseArgs } from "node:util";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { startVictoriaMetrics } from "../_util/peers.ts";
import { writeAll } from "../../src/net/stream_server.ts";
import {
  cpuSeconds,
  peakRssMiB,
  report,
  sendSlices,
  splitLines,
  threadCpuSeconds,
  tmpfsRoot,
} from "./e2e_util.ts";
import { plaintextDataset } from "./plaintext_datasets.ts";
import { missing } from "../_util/requires.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    points: { type: "string", default: "1000000" },
    metrics: { type: "string", default: "100000" },
    backlog: { type: "string", default: "10000000" },
    rate: { type: "string", default: "100000" },
    part: { type: "string", default: "both" },
    "min-shards": { type: "string", default: "1" },
    // vmagent's block size (-remoteWrite.maxRowsPerBlock): a local VictoriaMetrics takes larger
    // requests for less CPU a sample, and so does the sender (one HTTP request per 10k samples)
    "max-samples-per-send": { type: "string", default: "10000" },
    timeline: { type: "boolean", default: false },
  },
});
if (missing("victoria-metrics") !== null) {
  await report(missing("victoria-metrics")!);
  Deno.exit(1);
}
const metrics = Number(values.metrics);
const RECEIVED = 'carbonado_received_points_total{protocol="tcp"}';
const VM_ROWS = 'vm_rows_inserted_total{type="promremotewrite"}';
const disk = await tmpfsRoot("6g");
await report(`VictoriaMetrics, data and WAL on ${disk.mounted ? "tmpfs" : "the temp dir's disk"}`);

try {
  if (values.part !== "backlog") await throughput();
  if (values.part !== "throughput") await backlog();
} finally {
  await disk.close();
}

async function daemonFor(url: string, dataDir: string, maxPoints: number) {
  return await startDaemon({
    dataDir,
    env: {
      CARBONADO_WAL_DIR: `${dataDir}-wal`,
      CARBONADO_WHISPER_ENABLED: "false",
      CARBONADO_CACHE_MAX_SIZE: String(maxPoints),
      CARBONADO_UDP_ENABLED: "false",
      CARBONADO_PICKLE_ENABLED: "false",
      CARBONADO_CARBONLINK_ENABLED: "false",
      CARBONADO_CARBONSERVER_ENABLED: "false",
      CARBONADO_REMOTE_WRITE_0_URL: url,
      CARBONADO_REMOTE_WRITE_0_NAME: "vm",
      CARBONADO_REMOTE_WRITE_0_NAMES: "raw",
      CARBONADO_REMOTE_WRITE_0_ACCEPTS_OUT_OF_ORDER: "true",
      CARBONADO_REMOTE_WRITE_0_MIN_SHARDS: values["min-shards"]!,
      CARBONADO_REMOTE_WRITE_0_MAX_SAMPLES_PER_SEND: values["max-samples-per-send"]!,
      // the last partial batch goes at once rather than after Prometheus' 5 s
      CARBONADO_REMOTE_WRITE_0_BATCH_SEND_DEADLINE: "100ms",
    },
  });
}

async function vmRows(base: string): Promise<number> {
  try {
    return promValue(await fetchText(`${base}/metrics`), VM_ROWS) ?? 0;
  } catch {
    return 0;
  }
}

async function throughput(): Promise<void> {
  const points = Number(values.points);
  const vm = await startVictoriaMetrics({ root: disk.root });
  const dataDir = await Deno.makeTempDir({ dir: disk.root });
  const daemon = await daemonFor(vm.url, dataDir, points * 6);
  try {
    const url = `http://${daemon.listeners.prometheus}/metrics`;
    // samples the remote accepted (answered 2xx)
    const sent = `carbonado_remote_storage_samples_total{remote_name="vm",url="${vm.url}"}`;
    const kinds = ["new series (the worker's code still cold)", "new series", "known series"];
    for (let round = 0; round < kinds.length; round++) {
      const base = plaintextDataset(
        metrics,
        Math.ceil(points / metrics),
        "rw",
        1_700_000_000 + round * 86_400,
      );
      // round 1 names other series than rounds 0 and 2
      const data = round === 1 ? renamed(base.bytes, base.lines) : base;
      const slices = splitLines(data.bytes, 4);
      const rowsBefore = await vmRows(vm.base);
      const cpuBefore = cpuSeconds(daemon.child.pid);
      const threadsBefore = threadCpuSeconds(daemon.child.pid);
      const vmCpuBefore = cpuSeconds(vm.pid());
      const t0 = performance.now();
      const sending = sendSlices(daemon.port("tcp"), slices);
      const timeline = values.timeline ? sampleTimeline(url, vm.base, t0) : null;
      let ingested = 0;
      let accepted = 0;
      while (accepted === 0) {
        const page = await fetchText(url);
        const now = performance.now();
        if (ingested === 0 && (promValue(page, RECEIVED) ?? 0) >= data.lines * (round + 1)) {
          ingested = now;
        }
        if (ingested > 0 && (promValue(page, sent) ?? 0) >= data.lines * (round + 1)) {
          accepted = now;
        } else await new Promise((r) => setTimeout(r, 2));
      }
      const cpu = cpuSeconds(daemon.child.pid) - cpuBefore;
      const threads = threadCpuSeconds(daemon.child.pid);
      const vmCpu = cpuSeconds(vm.pid()) - vmCpuBefore;
      // VictoriaMetrics refreshes its counters about once a second: confirmation, not timing
      while ((await vmRows(vm.base)) - rowsBefore < data.lines) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const counted = performance.now();
      await sending;
      const perM = (s: number) => (s / (data.lines / 1e6)).toFixed(2);
      if (timeline) await report(await timeline.stop());
      const inRate = data.lines / ((ingested - t0) / 1000);
      const outRate = data.lines / ((accepted - t0) / 1000);
      await report(
        `throughput, ${kinds[round]}: ${data.lines} points of ${metrics} ` +
          `metrics: ingest ${(inRate / 1e6).toFixed(2)}M points/s ` +
          `(${(ingested - t0).toFixed(0)} ms), accepted by VictoriaMetrics ${
            (outRate / 1e6).toFixed(2)
          }M ` +
          `points/s (${(accepted - t0).toFixed(0)} ms; its own counter showed them all at ` +
          `${(counted - t0).toFixed(0)} ms): ${(outRate / inRate * 100).toFixed(0)}% ` +
          `of ingest; CPU per million points: daemon ${perM(cpu)} s (main thread ` +
          `${perM(threads.main - threadsBefore.main)}, sender worker ` +
          `${perM(threads.workers - threadsBefore.workers)}, V8 helpers ` +
          `${perM(threads.v8 - threadsBefore.v8)}, other ${
            perM(threads.other - threadsBefore.other)
          }), ` +
          `VictoriaMetrics ${(vmCpu / (data.lines / 1e6)).toFixed(2)} s; daemon peak RSS ` +
          `${peakRssMiB(daemon.child.pid).toFixed(0)} MiB; load average ${
            Deno.loadavg()[0].toFixed(1)
          }`,
      );
    }
  } finally {
    await daemon.stop();
    await vm.close();
  }
}

async function backlog(): Promise<void> {
  const total = Number(values.backlog);
  const rate = Number(values.rate);
  const vm = await startVictoriaMetrics({ root: disk.root, start: false });
  const dataDir = await Deno.makeTempDir({ dir: disk.root });
  const daemon = await daemonFor(vm.url, dataDir, total + 1_000_000);
  try {
    const url = `http://${daemon.listeners.prometheus}/metrics`;
    // accrue: `rate` points a second, each second one point of each of `metrics` series
    const names = Array.from(
      { length: metrics },
      (_, m) =>
        `sys.host-${String(m % 10_000).padStart(4, "0")}.cpu.cpu-${Math.floor(m / 10_000)}.user`,
    );
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: daemon.port("tcp") });
    const enc = new TextEncoder();
    const t0 = performance.now();
    for (let sent = 0; sent < total;) {
      const n = Math.min(rate, total - sent);
      let text = "";
      for (let i = 0; i < n; i++) {
        const k = sent + i;
        text += `${names[k % metrics]} ${k % 1000} ${1_700_000_000 + Math.floor(k / metrics)}\n`;
      }
      await writeAll(conn, enc.encode(text));
      sent += n;
      const wait = t0 + (sent / rate) * 1000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    conn.close();
    while ((promValue(await fetchText(url), RECEIVED) ?? 0) < total) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const accrued = (performance.now() - t0) / 1000;
    const rssBefore = rss(daemon.child.pid);
    const cpuBefore = cpuSeconds(daemon.child.pid);
    const t1 = performance.now();
    await vm.start();
    const vmCpuBefore = cpuSeconds(vm.pid());
    let peak = rssBefore;
    while ((await vmRows(vm.base)) < total) {
      peak = Math.max(peak, rss(daemon.child.pid));
      await new Promise((r) => setTimeout(r, 20));
    }
    const drained = (performance.now() - t1) / 1000;
    const cpu = cpuSeconds(daemon.child.pid) - cpuBefore;
    const vmCpu = cpuSeconds(vm.pid()) - vmCpuBefore;
    const shards = promValue(
      await fetchText(url),
      'carbonado_remote_storage_shards{remote_name="vm",url="' + vm.url + '"}',
    );
    await report(
      `backlog: ${total} points of ${metrics} metrics accrued in ${accrued.toFixed(1)} s ` +
        `(${(total / accrued / 1000).toFixed(0)}k points/s) with VictoriaMetrics down, drained ` +
        `in ${drained.toFixed(1)} s (${(total / drained / 1e6).toFixed(2)}M points/s, ` +
        `${(accrued / drained).toFixed(1)}x faster); daemon RSS ${rssBefore.toFixed(0)} MiB ` +
        `before the drain, at most ${peak.toFixed(0)} MiB during it; CPU per million points ` +
        `drained: daemon ${(cpu / (total / 1e6)).toFixed(2)} s, VictoriaMetrics ` +
        `${(vmCpu / (total / 1e6)).toFixed(2)} s; ${shards} shards at the end; load average ` +
        `${Deno.loadavg()[0].toFixed(1)}`,
    );
  } finally {
    await daemon.stop();
    await vm.close();
  }
}

/**
 * Reads the remote's counters every 50 ms from `t0` until stopped: one line per reading, ms
 * since t0, samples read from the WAL, sent and accepted, pending, shards, VictoriaMetrics'
 * rows (diagnostics only:
 * the readings cost the daemon CPU).
 */
function sampleTimeline(url: string, vmBase: string, t0: number): { stop(): Promise<string> } {
  const rows: string[] = [];
  let running = true;
  const metric = (page: string, name: string) => {
    const line = page.split("\n").find((l) => l.startsWith(name + "{"));
    return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
  };
  const loop = (async () => {
    while (running) {
      const page = await fetchText(url);
      const p = "carbonado_remote_storage_";
      rows.push(
        `  ${(performance.now() - t0).toFixed(0).padStart(5)} ms: read ` +
          `${metric(page, p + "samples_in_total")} sent ${metric(page, p + "samples_total")} ` +
          `pending ${metric(page, p + "samples_pending")} shards ${metric(page, p + "shards")} ` +
          `VictoriaMetrics' count ${await vmRows(vmBase)}`,
      );
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return rows.join("\n");
    },
  };
}

/** The payload with every `sys.` name renamed `syz.`: the same shape, other series. */
function renamed(bytes: Uint8Array, lines: number): { bytes: Uint8Array; lines: number } {
  const text = new TextDecoder().decode(bytes).replaceAll("sys.host-", "syz.host-");
  return { bytes: new TextEncoder().encode(text), lines };
}

/** Current resident set of a process in MiB (VmRSS). */
function rss(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}
