// In-process benchmark of the persister's create path: the main thread's writer (writeBatch)
// creating N new Whisper files of 10 points each, named as bench:persist's 100k × 10 dataset
// (`sys.host-NNNN.cpu.cpu-N.user`: a new directory for most files), data on a tmpfs it mounts
// (as root; otherwise a temp dir, and it says so). Prints process CPU µs per new file (getrusage) and wall µs, per round. Run it with the daemon's permission flags, since
// Deno's permission checks are a large part of the cost:
//
//   deno run --allow-read --allow-write --allow-run --allow-sys tests/bench/create_files.ts
//            [--files 20000] [--rounds 3] [--sparse]

import { parseArgs } from "node:util";
import { parseRules, writeBatch, type WriterSettings } from "../../src/persister/whisper_writer.ts";
import { STATUS_CREATED } from "../../src/persister/write_batch.ts";
import { cpuUsage } from "node:process";
import { tmpfsRoot } from "./e2e_util.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    files: { type: "string", default: "20000" },
    rounds: { type: "string", default: "3" },
    sparse: { type: "boolean", default: false },
  },
});
const FILES = Number(values.files);
const POINTS = 10;
const BATCH = 1000;
const NOW = Math.floor(Date.now() / 1000);

const disk = await tmpfsRoot("2g");
console.log(
  `data on ${disk.mounted ? "tmpfs" : "the temp dir's filesystem (mount failed)"}, ` +
    `sparse-create ${values.sparse}, ${FILES} files of ${POINTS} points, ` +
    `load ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`,
);

function batches(): ReturnType<typeof makeBatch>[] {
  const out = [];
  for (let first = 0; first < FILES; first += BATCH) {
    out.push(makeBatch(first, Math.min(BATCH, FILES - first)));
  }
  return out;
}

function makeBatch(first: number, n: number) {
  const names: string[] = [];
  const timestamps = new Uint32Array(n * POINTS);
  const values = new Float64Array(n * POINTS);
  for (let i = 0; i < n; i++) {
    const m = first + i;
    names.push(
      `sys.host-${String(m % 10_000).padStart(4, "0")}.cpu.cpu-${Math.floor(m / 10_000)}.user`,
    );
    for (let p = 0; p < POINTS; p++) {
      timestamps[i * POINTS + p] = NOW - (POINTS - p) * 60;
      values[i * POINTS + p] = m + p;
    }
  }
  return {
    type: "write" as const,
    id: first,
    names,
    counts: new Uint32Array(n).fill(POINTS),
    fresh: new Uint8Array(n).fill(1),
    timestamps,
    values,
  };
}

/** This process's CPU seconds (getrusage: /proc/self needs --allow-all). */
function cpuSeconds(): number {
  const { user, system } = cpuUsage();
  return (user + system) / 1e6;
}

try {
  const schemas = "[bench]\npattern = .\nretentions = 60s:1d,1h:30d\n"; // 26 KB, as bench:persist
  const rules = parseRules({
    schemas: { file: "storage-schemas.conf", text: schemas },
    aggregation: null,
  });
  for (let round = 1; round <= Number(values.rounds); round++) {
    const dataDir = Deno.makeTempDirSync({ dir: disk.root });
    const settings: WriterSettings = {
      dataDir,
      sparse: values.sparse,
      flock: false,
      removeEmptyFile: false,
      hashFilenames: true,
      ...rules,
    };
    const work = batches();
    const cpu0 = cpuSeconds();
    const t0 = performance.now();
    let created = 0;
    for (const batch of work) {
      const result = writeBatch(settings, batch);
      if (result.errors.length > 0) throw new Error(result.errors[0].message);
      created += result.status.filter((s) => s === STATUS_CREATED).length;
    }
    const wall = performance.now() - t0;
    const cpu = cpuSeconds() - cpu0;
    if (created !== FILES) throw new Error(`created ${created} files, expected ${FILES}`);
    console.log(
      `round ${round}: CPU ${(cpu * 1e6 / FILES).toFixed(1)} µs a file, ` +
        `wall ${(wall * 1e3 / FILES).toFixed(1)} µs a file`,
    );
    Deno.removeSync(dataDir, { recursive: true });
  }
} finally {
  await disk.close();
}
