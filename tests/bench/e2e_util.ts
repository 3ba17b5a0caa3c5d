// Pieces shared by the end-to-end benchmarks: splitting a payload across connections, sending
// it, and reading a process's CPU time and peak RSS from /proc.

import { writeAll } from "../../src/net/stream_server.ts";

/** Splits a plaintext payload into `n` slices on line boundaries. */
export function splitLines(bytes: Uint8Array, n: number): Uint8Array[] {
  const slices: Uint8Array[] = [];
  let start = 0;
  for (let c = 1; c <= n; c++) {
    const end = c < n ? bytes.indexOf(0x0a, Math.floor((bytes.length * c) / n)) + 1 : bytes.length;
    slices.push(bytes.subarray(start, end));
    start = end;
  }
  return slices;
}

/** Sends each slice over its own TCP connection, all at once. */
export async function sendSlices(port: number, slices: Uint8Array[]): Promise<void> {
  await Promise.all(slices.map(async (slice) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await writeAll(conn, slice);
    conn.close();
  }));
}

/** User + system CPU seconds of a process (or, under /proc/<pid>/task/, a thread) so far. */
export function cpuSeconds(pid: number, path = `/proc/${pid}/stat`): number {
  const stat = Deno.readTextFileSync(path);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
}

/**
 * CPU seconds of a Deno process so far by kind of thread: the main thread, worker threads
 * (`worker-N`), V8's helpers (GC, compilers) and the rest (tokio's I/O and blocking threads).
 */
export function threadCpuSeconds(
  pid: number,
): { main: number; workers: number; v8: number; other: number } {
  const out = { main: 0, workers: 0, v8: 0, other: 0 };
  for (const e of Deno.readDirSync(`/proc/${pid}/task`)) {
    const dir = `/proc/${pid}/task/${e.name}`;
    let comm: string;
    let cpu: number;
    try {
      comm = Deno.readTextFileSync(`${dir}/comm`).trim();
      cpu = cpuSeconds(pid, `${dir}/stat`);
    } catch {
      continue; // the thread ended
    }
    if (e.name === String(pid)) out.main += cpu;
    else if (comm.startsWith("worker-")) out.workers += cpu;
    else if (comm.startsWith("V8 ")) out.v8 += cpu;
    else out.other += cpu;
  }
  return out;
}

/** Peak resident set of a process in MiB (VmHWM). */
export function peakRssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Prints one line. */
export async function report(line: string): Promise<void> {
  await Deno.stdout.write(new TextEncoder().encode(line + "\n"));
}

/**
 * The environment of a daemon under an ingest benchmark: cache only (only ingest is measured),
 * room for `maxPoints`, the listeners it does not use off, plus `extra`.
 */
export function ingestBenchEnv(
  maxPoints: number,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    CARBONADO_WHISPER_ENABLED: "false",
    CARBONADO_CACHE_MAX_SIZE: String(maxPoints),
    CARBONADO_UDP_ENABLED: "false",
    CARBONADO_PICKLE_ENABLED: "false",
    CARBONADO_CARBONLINK_ENABLED: "false",
    CARBONADO_CARBONSERVER_ENABLED: "false",
    ...extra,
  };
}

/** A temporary directory with a tmpfs mounted on it (as root), else on the temp dir's disk. */
export async function tmpfsRoot(size: string): Promise<
  { root: string; mounted: boolean; close(): Promise<void> }
> {
  const root = await Deno.makeTempDir({ prefix: "carbonado-bench-" });
  const mounted = (await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", root],
    stderr: "null",
  }).output().catch(() => ({ code: 1 }))).code === 0;
  return {
    root,
    mounted,
    async close() {
      if (mounted) await new Deno.Command("umount", { args: [root] }).output();
      await Deno.remove(root, { recursive: true });
    },
  };
}
