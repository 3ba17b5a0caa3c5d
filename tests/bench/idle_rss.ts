// Idle memory benchmark: the real daemon on defaults (data and WAL in a temp dir, every listener
// on a free loopback port), its resident set read from /proc 5 s after it logs "started", and
// its memory by kind (anonymous, file-backed) and its threads. Repeated `--runs` times, one
// fresh daemon each; issue #16's idle target is 45 MB.
//
//   deno task bench:idle [--runs 3] [--settle-ms 5000]

import { parseArgs } from "node:util";
import { startDaemon } from "../_util/daemon.ts";
import { report } from "./e2e_util.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "3" },
    "settle-ms": { type: "string", default: "5000" },
  },
});

/** A field of /proc/<pid>/status in MiB (kB fields) or as a count. */
function statusField(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status);
  if (!m) throw new Error(`no ${field} in /proc status`);
  return field.startsWith("Vm") || field.startsWith("Rss") ? Number(m[1]) / 1024 : Number(m[1]);
}

const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
await report(`load average ${load}`);
for (let run = 1; run <= Number(values.runs); run++) {
  const dataDir = await Deno.makeTempDir({ prefix: "carbonado-idle-" });
  const daemon = await startDaemon({ dataDir });
  try {
    await new Promise((r) => setTimeout(r, Number(values["settle-ms"])));
    const status = await Deno.readTextFile(`/proc/${daemon.child.pid}/status`);
    const mib = (f: string) => statusField(status, f).toFixed(1);
    await report(
      `run ${run}: VmRSS ${mib("VmRSS")} MiB (anonymous ${mib("RssAnon")}, files ${
        mib("RssFile")
      }), VmHWM ${mib("VmHWM")} MiB, threads ${statusField(status, "Threads")}`,
    );
  } finally {
    await daemon.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}
