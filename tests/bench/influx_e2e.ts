// Influx line protocol ingest end to end, carbonado against Debian's VictoriaMetrics 1.79 on
// the same machine, in the same run, with the same pre-built payload (Telegraf's cpu input:
// 10 fields a line, nanosecond timestamps) sent over N TCP connections to each one's Influx
// listener. Timed from the first byte until the receiver counts every point: carbonado's
// carbonado_received_points_total{protocol="influx"} (cache only, so only ingest is measured),
// VictoriaMetrics' vm_rows_inserted_total{type="influx"}. The payload goes twice to each: once
// creating every series, once more to series they know. Reports points/s, CPU seconds per
// million points and peak RSS of each.
//
//   deno task bench:influx [--hosts 1000] [--intervals 25] [--connections 4] [--runs 3]
//                          [--wal off|on]   carbonado's write-ahead log (default off)

import { parseArgs } from "node:util";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { startVictoria } from "../_util/victoria.ts";
import {
  cpuSeconds,
  ingestBenchEnv,
  peakRssMiB,
  report,
  sendSlices,
  splitLines,
} from "./e2e_util.ts";
import { influxDataset } from "./protocol_datasets.ts";
import { missing } from "../_util/requires.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    hosts: { type: "string", default: "1000" },
    intervals: { type: "string", default: "25" },
    connections: { type: "string", default: "4" },
    runs: { type: "string", default: "3" },
    wal: { type: "string", default: "off" },
  },
});
const data = influxDataset(Number(values.hosts), Number(values.intervals), "influx e2e");
const slices = splitLines(data.bytes, Number(values.connections));
const points = data.lines;

type Measure = { seconds: number; cpu: number; rss: number };

/**
 * Sends the payload twice, waiting each time for `counted()` to reach every point: the new
 * series round, then the known series round.
 */
async function measure(port: number, pid: number, counted: () => Promise<number>) {
  const rounds: Measure[] = [];
  for (let round = 1; round <= 2; round++) {
    const cpuBefore = cpuSeconds(pid);
    const t0 = performance.now();
    await sendSlices(port, slices);
    // polling /metrics takes the daemon's CPU: every 20 ms, as bench:persist does with 50
    while ((await counted()) < points * round) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - t0) / 1000;
    rounds.push({ seconds, cpu: cpuSeconds(pid) - cpuBefore, rss: peakRssMiB(pid) });
  }
  return rounds;
}

function line(who: string, rounds: Measure[]): string {
  const one = (m: Measure) =>
    `${(points / m.seconds / 1e6).toFixed(2)}M points/s (${(m.seconds * 1000).toFixed(0)} ms, ` +
    `CPU ${(m.cpu / (points / 1e6)).toFixed(2)} s per million)`;
  return `${who}: new series ${one(rounds[0])}, known series ${one(rounds[1])}, ` +
    `peak RSS ${rounds[1].rss.toFixed(0)} MiB`;
}

await report(
  `${points} points (${points / 10} lines, ${data.bytes.length} bytes) over ` +
    `${values.connections} connections`,
);
for (let run = 0; run < Number(values.runs); run++) {
  const dataDir = await Deno.makeTempDir();
  const daemon = await startDaemon({
    dataDir,
    env: ingestBenchEnv(points * 3, {
      CARBONADO_INFLUX_ENABLED: "true",
      CARBONADO_WAL_ENABLED: String(values.wal === "on"),
    }),
  });
  const ours = await measure(daemon.port("influx"), daemon.child.pid, async () =>
    promValue(
      await fetchText(`http://${daemon.listeners.prometheus}/metrics`),
      'carbonado_received_points_total{protocol="influx"}',
    ) ?? 0);
  await daemon.stop();
  await Deno.remove(dataDir, { recursive: true });
  let theirs = "VictoriaMetrics 1.79: not installed";
  if (missing("victoria-metrics") === null) {
    const vm = await startVictoria();
    const m = await measure(vm.influx, vm.pid, async () =>
      promValue(
        await fetchText(`http://127.0.0.1:${vm.http}/metrics`),
        'vm_rows_inserted_total{type="influx"}',
      ) ?? 0);
    await vm.stop();
    theirs = line("VictoriaMetrics 1.79", m);
  }
  await report(`run ${run + 1}:\n  ${line("carbonado", ours)}\n  ${theirs}`);
}
