// The cache's memory ceiling (`[cache] max-memory`): what is configured, or a quarter of the
// memory this process may use: the container's limit from its cgroup (v2 `memory.max`, v1
// `memory.limit_in_bytes`) or the machine's (`MemTotal` in /proc/meminfo), whichever is
// smaller. Never more than the 4 GiB a 32-bit wasm memory can address.

/** The most a 32-bit WebAssembly memory holds: 65536 pages of 64 KiB. */
export const WASM_MEMORY_MAX_BYTES = 4 * 2 ** 30;
/** The share of the available memory the cache takes when max-memory is not set. */
export const DEFAULT_MEMORY_SHARE = 0.25;
/** cgroup v1 reports "no limit" as a number near 2^63. */
const CGROUP_V1_UNLIMITED = 2 ** 60;

/** The ceiling in force and where it came from, as logged at start. */
export interface MemoryLimit {
  bytes: number;
  /** `"cache.max-memory"`, or what the default was taken from. */
  source: string;
}

/**
 * The memory this process may use: the smaller of its cgroup's limit and MemTotal, each read
 * under `root` (`/` on a live system); null when neither can be read.
 */
export function availableMemory(root = "/"): MemoryLimit | null {
  const total = meminfoTotal(root);
  const cgroup = cgroupLimit(root);
  if (cgroup !== null && (total === null || cgroup.bytes < total.bytes)) return cgroup;
  return total;
}

/**
 * The ceiling for `configured` bytes (0: the default share of {@linkcode availableMemory});
 * the config loader has refused more than {@linkcode WASM_MEMORY_MAX_BYTES}.
 */
export function cacheMemoryLimit(configured: number, root = "/"): MemoryLimit {
  if (configured > 0) return { bytes: configured, source: "cache.max-memory" };
  const available = availableMemory(root);
  if (available === null) return { bytes: WASM_MEMORY_MAX_BYTES, source: "wasm 4 GiB" };
  const share = Math.floor(available.bytes * DEFAULT_MEMORY_SHARE);
  if (share >= WASM_MEMORY_MAX_BYTES) return { bytes: WASM_MEMORY_MAX_BYTES, source: "wasm 4 GiB" };
  return { bytes: share, source: `${DEFAULT_MEMORY_SHARE * 100}% of ${available.source}` };
}

function readOrNull(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) {
      return null;
    }
    throw err;
  }
}

function meminfoTotal(root: string): MemoryLimit | null {
  const m = /^MemTotal:\s+(\d+) kB$/m.exec(readOrNull(`${root}proc/meminfo`) ?? "");
  return m ? { bytes: Number(m[1]) * 1024, source: "MemTotal" } : null;
}

/** The limit of this process's memory cgroup (v2 first, then v1); null when it has none. */
function cgroupLimit(root: string): MemoryLimit | null {
  const lines = (readOrNull(`${root}proc/self/cgroup`) ?? "").split("\n");
  const v2 = lines.find((l) => l.startsWith("0::"))?.slice(3);
  const v1 = lines.map((l) => l.split(":")).find(([, c]) => c?.split(",").includes("memory"))?.[2];
  const V2 = "cgroup memory.max";
  const V1 = "cgroup memory.limit_in_bytes";
  const candidates: [string, string][] = [];
  if (v2 !== undefined) candidates.push([`sys/fs/cgroup${trim(v2)}/memory.max`, V2]);
  candidates.push(["sys/fs/cgroup/memory.max", V2]);
  if (v1 !== undefined) {
    candidates.push([`sys/fs/cgroup/memory${trim(v1)}/memory.limit_in_bytes`, V1]);
  }
  candidates.push(["sys/fs/cgroup/memory/memory.limit_in_bytes", V1]);
  for (const [path, source] of candidates) {
    const text = readOrNull(`${root}${path}`)?.trim();
    if (text === undefined || !/^(?:max|\d+)$/.test(text)) continue;
    const bytes = text === "max" ? Infinity : Number(text);
    return bytes >= CGROUP_V1_UNLIMITED ? null : { bytes, source };
  }
  return null;
}

/** A cgroup path without its trailing slash ("/" becomes ""). */
function trim(path: string): string {
  return path.replace(/\/+$/, "");
}
