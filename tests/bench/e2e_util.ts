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

/** User + system CPU seconds of a process so far. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
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
