// Benchmark of the pickle receiver under a flood (issue 9): eight 64 MiB hostile frames at once
// (seven of nested lists, one huge integer) against a running daemon with default limits, while
// a client asks /healthz back to back. Reports the daemon's peak RSS (VmHWM, start included),
// the worst and median /healthz latency during the flood, the frame bytes buffered at peak and
// how long the flood took. Targets (issue 9): peak RSS under 512 MiB, /healthz under 100 ms.
//
//   deno task bench:pickle-flood

import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { hugeIntegerFrame, nestedListsFrame, sendFlood } from "../_util/pickle_flood.ts";
import { peakRssMiB, report } from "./e2e_util.ts";

const dataDir = await Deno.makeTempDir();
const daemon = await startDaemon({ dataDir, env: { CARBONADO_WHISPER_ENABLED: "false" } });
try {
  const healthUrl = `http://${daemon.listeners.prometheus}/healthz`;
  const rssBefore = peakRssMiB(daemon.child.pid);
  // the machine's own noise: the same requests with no flood
  let idleWorst = 0;
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    await (await fetch(healthUrl)).text();
    idleWorst = Math.max(idleWorst, performance.now() - t);
  }
  const nested = nestedListsFrame();
  const frames = [...Array(7).fill(nested), hugeIntegerFrame()];
  const t0 = performance.now();
  let done = false;
  const flood = sendFlood(daemon.port("pickle"), frames).finally(() => done = true);
  const latencies: number[] = [];
  while (!done) {
    const t = performance.now();
    const res = await fetch(healthUrl);
    await res.text();
    latencies.push(performance.now() - t);
  }
  await flood;
  const seconds = (performance.now() - t0) / 1000;
  const page = await fetchText(`http://${daemon.listeners.prometheus}/metrics`);
  latencies.sort((a, b) => a - b);
  const worst = latencies[latencies.length - 1];
  const median = latencies[Math.floor(latencies.length / 2)];
  const peakBuffered = promValue(page, "carbonado_pickle_buffered_bytes_peak")! / 2 ** 20;
  const rejected = ["containers", "integer"].map((r) =>
    `${r}=${promValue(page, `carbonado_pickle_frames_rejected_total{reason="${r}"}`)}`
  );
  await report(
    `pickle flood: 8 x 64 MiB hostile frames in ${seconds.toFixed(1)} s; ` +
      `peak RSS ${peakRssMiB(daemon.child.pid).toFixed(0)} MiB (${rssBefore.toFixed(0)} before); ` +
      `/healthz worst ${worst.toFixed(1)} ms, median ${median.toFixed(1)} ms over ` +
      `${latencies.length} requests (idle worst ${idleWorst.toFixed(1)} ms); buffered peak ${
        peakBuffered.toFixed(0)
      } MiB; ` +
      `rejected ${rejected.join(" ")}`,
  );
} finally {
  await daemon.stop();
  await Deno.remove(dataDir, { recursive: true });
}
