// End-to-end ingest benchmark: pre-builds a plaintext payload, starts the real daemon (cache
// only, so only ingest is measured), sends the payload over N connections, and times until the
// daemon's /metrics has counted every point. Reports points/s, the daemon's CPU seconds per
// million points and its peak RSS (/proc/<pid>/status VmHWM).
//
//   deno task bench:e2e [--points 1000000] [--metrics 100000] [--connections 4] [--runs 3]
//                       [--tagged]   names with tags out of carbon's order, of the same length

import { parseArgs } from "node:util";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { cpuSeconds, peakRssMiB, report, sendSlices, splitLines } from "./e2e_util.ts";
import { plaintextDataset } from "./plaintext_datasets.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    points: { type: "string", default: "1000000" },
    metrics: { type: "string", default: "100000" },
    connections: { type: "string", default: "4" },
    runs: { type: "string", default: "3" },
    tagged: { type: "boolean", default: false },
  },
});
const metrics = Number(values.metrics);
const points = Number(values.points);
const connections = Number(values.connections);
const data = plaintextDataset(
  metrics,
  Math.ceil(points / metrics),
  "e2e",
  1_700_000_000,
  values.tagged,
);

const slices = splitLines(data.bytes, connections);

const RECEIVED = 'carbonado_received_points_total{protocol="tcp"}';
for (let run = 0; run < Number(values.runs); run++) {
  const dataDir = await Deno.makeTempDir();
  const daemon = await startDaemon({
    dataDir,
    env: {
      CARBONADO_WHISPER_ENABLED: "false",
      CARBONADO_CACHE_MAX_SIZE: String(data.lines * 2),
      CARBONADO_UDP_ENABLED: "false",
      CARBONADO_PICKLE_ENABLED: "false",
      CARBONADO_CARBONLINK_ENABLED: "false",
      CARBONADO_CARBONSERVER_ENABLED: "false",
    },
  });
  const url = `http://${daemon.listeners.prometheus}/metrics`;
  const port = daemon.port("tcp");
  const cpuBefore = cpuSeconds(daemon.child.pid);
  const t0 = performance.now();
  await sendSlices(port, slices);
  while ((promValue(await fetchText(url), RECEIVED) ?? 0) < data.lines) {
    await new Promise((r) => setTimeout(r, 2));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(daemon.child.pid) - cpuBefore;
  const rss = peakRssMiB(daemon.child.pid);
  await daemon.stop();
  await Deno.remove(dataDir, { recursive: true });
  await report(
    `run ${run + 1}: ${data.lines} points of ${metrics} ${values.tagged ? "tagged " : ""}metrics ` +
      `over ${connections} connections: ` +
      `${(data.lines / seconds / 1e6).toFixed(2)}M points/s, ${(seconds * 1000).toFixed(0)} ms, ` +
      `daemon CPU ${(cpu / (data.lines / 1e6)).toFixed(2)} s per million points, ` +
      `peak RSS ${rss.toFixed(0)} MiB`,
  );
}
