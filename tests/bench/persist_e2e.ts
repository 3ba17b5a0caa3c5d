// End-to-end persist benchmark: the real daemon with its data directory on a tmpfs it mounts
// (as root; otherwise a plain temp dir, and it says so), 2 whisper workers, points sent over 4
// connections; timed from the first byte sent until /metrics says every point is committed to
// Whisper. Datasets: 10k × 100, 100k × 10 and 100k × 100 (issue #16's table); each reports
// daemon CPU (also per million points) and peak RSS. Each dataset runs twice on the same
// directory: first creating the files, then updating them with the next points. (Deno only touches /dev/shm with --allow-all, hence the
// mount.)
//
//   deno task bench:persist [--workers 2] [--connections 4] [--sparse]
//                           [--datasets 10000x100,100000x10,100000x100]

import { parseArgs } from "node:util";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { cpuSeconds, peakRssMiB, report, sendSlices, splitLines, tmpfsRoot } from "./e2e_util.ts";
import { plaintextDataset } from "./plaintext_datasets.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    workers: { type: "string", default: "2" },
    connections: { type: "string", default: "4" },
    sparse: { type: "boolean", default: false },
    datasets: { type: "string", default: "10000x100,100000x10,100000x100" },
  },
});

const NOW = Math.floor(Date.now() / 1000);
const mib = (page: string, gauge: string) => ((promValue(page, gauge) ?? 0) / 2 ** 20).toFixed(0);
const PERSISTED = "carbonado_persisted_points_total";

const disk = await tmpfsRoot("8g");
const { root, mounted } = disk;
await report(
  `data on ${mounted ? "tmpfs" : "the temp dir's filesystem (mount failed)"}, ` +
    `sparse-create ${values.sparse}`,
);
// 1m for a day, 1h for 30 days: 26 KB files, the typical size measured-here.md uses
const schemas = `${root}/storage-schemas.conf`;
await Deno.writeTextFile(schemas, "[bench]\npattern = .\nretentions = 60s:1d,1h:30d\n");
const ERRORS = /^carbonado_whisper_errors_total\{[^}]*\} ([1-9]\d*)$/m;

try {
  for (const [metrics, points] of values.datasets.split(",").map((d) => d.split("x").map(Number))) {
    const dataDir = await Deno.makeTempDir({ dir: root });
    const daemon = await startDaemon({
      dataDir,
      env: {
        CARBONADO_WHISPER_SCHEMAS_FILE: schemas,
        CARBONADO_WHISPER_WORKERS: values.workers,
        CARBONADO_WHISPER_SPARSE_CREATE: String(values.sparse),
        CARBONADO_CACHE_MAX_SIZE: String(metrics * points * 2),
      },
    });
    const url = `http://${daemon.listeners.prometheus}/metrics`;
    try {
      let committed = 0;
      for (const pass of ["create", "update"]) {
        // first pass: the last 2 points x hours; second pass: the points just after
        const start = NOW - 2 * points * 60 + (pass === "create" ? 0 : points * 60);
        const data = plaintextDataset(metrics, points, "", start);
        const slices = splitLines(data.bytes, Number(values.connections));
        const cpu0 = cpuSeconds(daemon.child.pid);
        const t0 = performance.now();
        await sendSlices(daemon.port("tcp"), slices);
        committed += data.lines;
        while (true) {
          const page = await fetchText(url);
          if ((promValue(page, PERSISTED) ?? 0) >= committed) break;
          if (ERRORS.test(page)) throw new Error(`whisper write errors: ${ERRORS.exec(page)![0]}`);
          await new Promise((r) => setTimeout(r, 50)); // seconds-long runs: leave the CPU to the workers
        }
        const seconds = (performance.now() - t0) / 1000;
        const page = await fetchText(url);
        const cpu = cpuSeconds(daemon.child.pid) - cpu0;
        await report(
          `${metrics} metrics x ${points} points, ${pass}: ${seconds.toFixed(2)} s, ` +
            `${(data.lines / seconds / 1000).toFixed(0)}k points/s, ` +
            `${(metrics / seconds / 1000).toFixed(1)}k updates/s, ` +
            `daemon CPU ${cpu.toFixed(1)} s (${
              (cpu / (data.lines / 1e6)).toFixed(2)
            } s per million), ` +
            `peak RSS ${peakRssMiB(daemon.child.pid).toFixed(0)} MiB (wasm memory ` +
            `${mib(page, "carbonado_wasm_memory_bytes")} MiB, cache's share ` +
            `${mib(page, "carbonado_cache_memory_bytes")} MiB)`,
        );
      }
    } finally {
      await daemon.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  }
} finally {
  await disk.close();
}
