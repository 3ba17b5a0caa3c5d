// remote_write receive end to end: a pre-built stream of snappy WriteRequests (Prometheus'
// shape, one sample per series per request) POSTed to the daemon's /api/v1/write, `parallel`
// requests in flight as Prometheus' shards send them, timed from the first request until the
// last is answered (a 204 means its samples are committed to the cache); /metrics must then
// count every sample. The daemon runs cache only, so receive is what is measured.
// Reports samples/s, the daemon's CPU seconds per million samples and its peak RSS.
//
//   deno task bench:remote-write [--series 40000] [--rounds 25] [--per-request 2000]
//                                [--parallel 4] [--runs 3] [--wal off|on]

import { parseArgs } from "node:util";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { cpuSeconds, ingestBenchEnv, peakRssMiB, report } from "./e2e_util.ts";
import { remoteWriteStream } from "./protocol_datasets.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    series: { type: "string", default: "40000" },
    rounds: { type: "string", default: "25" },
    "per-request": { type: "string", default: "2000" },
    parallel: { type: "string", default: "4" },
    runs: { type: "string", default: "3" },
    wal: { type: "string", default: "off" },
  },
});
const stream = remoteWriteStream(
  Number(values.series),
  Number(values.rounds),
  Number(values["per-request"]),
  "remote_write e2e",
);
const HEADERS = {
  "content-encoding": "snappy",
  "content-type": "application/x-protobuf",
  "x-prometheus-remote-write-version": "0.1.0",
};

await report(
  `${stream.samples} samples in ${stream.requests.length} requests (${stream.bytes} bytes), ` +
    `${values.parallel} in flight`,
);
for (let run = 0; run < Number(values.runs); run++) {
  const dataDir = await Deno.makeTempDir();
  const daemon = await startDaemon({
    dataDir,
    env: ingestBenchEnv(stream.samples * 2, {
      CARBONADO_WAL_ENABLED: String(values.wal === "on"),
    }),
  });
  const url = `http://${daemon.listeners["http-ingest"]}/api/v1/write`;
  const metrics = `http://${daemon.listeners.prometheus}/metrics`;
  const cpuBefore = cpuSeconds(daemon.child.pid);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: Number(values.parallel) }, async () => {
    while (next < stream.requests.length) {
      const body = stream.requests[next++];
      const res = await fetch(url, { method: "POST", body, headers: HEADERS });
      await res.body?.cancel();
      if (res.status !== 204) throw new Error(`answered ${res.status}`);
    }
  }));
  while (
    (promValue(
      await fetchText(metrics),
      'carbonado_received_points_total{protocol="remote_write"}',
    ) ??
      0) < stream.samples
  ) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(daemon.child.pid) - cpuBefore;
  const rss = peakRssMiB(daemon.child.pid);
  await daemon.stop();
  await Deno.remove(dataDir, { recursive: true });
  await report(
    `run ${run + 1}: ${(stream.samples / seconds / 1e6).toFixed(2)}M samples/s, ` +
      `${(seconds * 1000).toFixed(0)} ms, daemon CPU ` +
      `${(cpu / (stream.samples / 1e6)).toFixed(2)} s per million samples, peak RSS ` +
      `${rss.toFixed(0)} MiB`,
  );
}
