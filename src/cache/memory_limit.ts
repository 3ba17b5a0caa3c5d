// The cache's memory ceiling (`[cache] max-memory`): what is configured, or a quarter of the
// memory this process may use: its container's limit (the memory cgroup's v2 `memory.max` or v1
// `memory.limit_in_bytes`, as `process.constrainedMemory()` reads them) or the machine's
// (MemTotal), whichever is smaller. Never more than the 4 GiB a 32-bit wasm memory can address.
// Deno lets a program read /proc and /sys only with --allow-all, so both figures come through
// `--allow-sys=systemMemoryInfo` instead; node:process is imported only for this default (it
// loads Node's compatibility layer, a few MB of resident memory).

/** The most a 32-bit WebAssembly memory holds: 65536 pages of 64 KiB. */
export const WASM_MEMORY_MAX_BYTES = 4 * 2 ** 30;
/** The share of the available memory the cache takes when max-memory is not set. */
export const DEFAULT_MEMORY_SHARE = 0.25;
/** A cgroup without a limit reports a number near 2^63. */
const NO_CGROUP_LIMIT = 2 ** 60;

/** The ceiling in force and where it came from, as logged at start. */
export interface MemoryLimit {
  bytes: number;
  /** `"cache.max-memory"`, or what the default was taken from. */
  source: string;
}

/**
 * The memory this process may use, from the machine's total and its cgroup's limit (either
 * undefined when unknown; a limit of 2^60 or more is none); null when neither is known.
 */
export function availableMemory(
  total: number | undefined,
  cgroupLimit: number | undefined,
): MemoryLimit | null {
  const limited = cgroupLimit !== undefined && cgroupLimit > 0 && cgroupLimit < NO_CGROUP_LIMIT;
  if (limited && (total === undefined || cgroupLimit < total)) {
    return { bytes: cgroupLimit, source: "the cgroup's memory limit" };
  }
  return total === undefined ? null : { bytes: total, source: "MemTotal" };
}

/** This process's {@linkcode availableMemory} (needs `--allow-sys=systemMemoryInfo`). */
export async function liveMemory(): Promise<MemoryLimit | null> {
  const { default: process } = await import("node:process");
  const read = (fn: () => number) => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable) return undefined;
      throw err;
    }
  };
  return availableMemory(
    read(() => Deno.systemMemoryInfo().total),
    read(() => process.constrainedMemory()),
  );
}

/**
 * The ceiling for `configured` bytes (0: the default share of `available`, which is read only
 * then); the config loader has refused more than {@linkcode WASM_MEMORY_MAX_BYTES}.
 */
export async function cacheMemoryLimit(
  configured: number,
  available?: MemoryLimit | null,
): Promise<MemoryLimit> {
  if (configured > 0) return { bytes: configured, source: "cache.max-memory" };
  if (available === undefined) available = await liveMemory();
  const all = { bytes: WASM_MEMORY_MAX_BYTES, source: "the 4 GiB of a 32-bit wasm memory" };
  if (available === null) return all;
  const share = Math.floor(available.bytes * DEFAULT_MEMORY_SHARE);
  if (share >= WASM_MEMORY_MAX_BYTES) return all;
  return { bytes: share, source: `${DEFAULT_MEMORY_SHARE * 100}% of ${available.source}` };
}
