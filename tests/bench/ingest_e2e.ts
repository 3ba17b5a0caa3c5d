// End-to-end ingest benchmark: pre-builds a plaintext payload, starts the real daemon (cache
// only, so only ingest is measured), sends the payload over N connections, and times until the
// daemon's /metrics has counted every point. Reports points/s, the daemon's CPU seconds per
// million points and its peak RSS (/proc/<pid>/status VmHWM). Each run is made with the
// write-ahead log off and on (sync-interval 1s, data and log on the same tmpfs, mounted as root), so
// the log's cost is read off the same run.
//
//   deno task bench:e2e [--points 1000000] [--metrics 100000] [--connections 4] [--runs 3]
//                       [--tagged]   names with tags out of carbon's order, of the same length
//                       [--wal both|on|off]

import { parseArgs } from "node:util";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { cpuSeconds, peakRssMiB, report, sendSlices, splitLines, tmpfsRoot } from "./e2e_util.ts";
import { plaintextDataset } from "./plaintext_datasets.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    points: { type: "string", default: "1000000" },
    metrics: { type: "string", default: "100000" },
    connections: { type: "string", default: "4" },
    runs: { type: "string", default: "3" },
    tagged: { type: "boolean", default: false },
    wal: { type: "string", default: "both" },
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
const modes = values.wal === "both" ? ["off", "on"] : [values.wal!];
const disk = await tmpfsRoot("4g");
await report(
  `data and WAL on ${disk.mounted ? "tmpfs" : "the temp dir's filesystem (mount failed)"}`,
);
try {
  for (let run = 0; run < Number(values.runs); run++) {
    for (const wal of modes) await oneRun(run, wal);
  }
} finally {
  await disk.close();
}

async function oneRun(run: number, wal: string): Promise<void> {
  const dataDir = await Deno.makeTempDir({ dir: disk.root });
  const walDir = `${dataDir}-wal`;
  const daemon = await startDaemon({
    dataDir,
    env: {
      CARBONADO_WAL_ENABLED: String(wal === "on"),
      CARBONADO_WAL_DIR: walDir,
      CARBONADO_WAL_SYNC_INTERVAL: "1s",
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
  await Deno.remove(walDir, { recursive: true }).catch(() => {});
  await report(
    `run ${run + 1}, WAL ${wal}: ${data.lines} points of ${metrics} ` +
      `${values.tagged ? "tagged " : ""}metrics over ${connections} connections: ` +
      `${(data.lines / seconds / 1e6).toFixed(2)}M points/s, ${(seconds * 1000).toFixed(0)} ms, ` +
      `daemon CPU ${(cpu / (data.lines / 1e6)).toFixed(2)} s per million points, ` +
      `peak RSS ${rss.toFixed(0)} MiB`,
  );
}
