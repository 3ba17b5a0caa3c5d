// The cache's memory ceiling: read from a cgroup (v2, v1) or /proc/meminfo laid out in a temporary
// root, a share of it by default, at most a 32-bit wasm memory; and the wasm cache keeping to it.

import { assert, assertEquals } from "../_util/assert.ts";
import {
  availableMemory,
  cacheMemoryLimit,
  WASM_MEMORY_MAX_BYTES,
} from "../../src/cache/memory_limit.ts";
import { Head } from "../../src/appender/head.ts";
import { parseConfig } from "../../src/config/load.ts";

const GIB = 2 ** 30;

/** A root directory holding `files` (path relative to it: content). */
async function withRoot(
  files: Record<string, string>,
  fn: (root: string) => void,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "carbonado_memroot_" });
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      await Deno.writeTextFile(`${root}/${path}`, text);
    }
    fn(`${root}/`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const MEMINFO_8G = "MemTotal:        8388608 kB\nMemFree:         1000000 kB\n";

Deno.test("availableMemory() takes the smaller of the cgroup limit and MemTotal", async () => {
  const cases: [string, Record<string, string>, number | null, string | null][] = [
    ["meminfo alone", { "proc/meminfo": MEMINFO_8G }, 8 * GIB, "MemTotal"],
    [
      "cgroup v2 under its path",
      {
        "proc/meminfo": MEMINFO_8G,
        "proc/self/cgroup": "0::/system.slice/carbonado.service\n",
        "sys/fs/cgroup/system.slice/carbonado.service/memory.max": "1073741824\n",
      },
      GIB,
      "cgroup memory.max",
    ],
    [
      "cgroup v2 without a limit",
      {
        "proc/meminfo": MEMINFO_8G,
        "proc/self/cgroup": "0::/\n",
        "sys/fs/cgroup/memory.max": "max\n",
      },
      8 * GIB,
      "MemTotal",
    ],
    [
      "cgroup v1",
      {
        "proc/meminfo": MEMINFO_8G,
        "proc/self/cgroup": "4:memory:/docker/abc\n0::/\n",
        "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "536870912\n",
      },
      GIB / 2,
      "cgroup memory.limit_in_bytes",
    ],
    [
      "cgroup v1 unlimited",
      {
        "proc/meminfo": MEMINFO_8G,
        "proc/self/cgroup": "4:memory:/\n",
        "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
      },
      8 * GIB,
      "MemTotal",
    ],
    [
      "a cgroup limit above MemTotal",
      {
        "proc/meminfo": MEMINFO_8G,
        "proc/self/cgroup": "0::/\n",
        "sys/fs/cgroup/memory.max": String(64 * GIB),
      },
      8 * GIB,
      "MemTotal",
    ],
    ["nothing readable", {}, null, null],
  ];
  for (const [what, files, bytes, source] of cases) {
    await withRoot(files, (root) => {
      const got = availableMemory(root);
      assertEquals(got?.bytes ?? null, bytes, what);
      assertEquals(got?.source ?? null, source, what);
    });
  }
});

Deno.test("cacheMemoryLimit() is max-memory when set, else a quarter of what is available, at most 4 GiB", async () => {
  await withRoot({ "proc/meminfo": MEMINFO_8G }, (root) => {
    assertEquals(cacheMemoryLimit(64 * 2 ** 20, root), {
      bytes: 64 * 2 ** 20,
      source: "cache.max-memory",
    });
    assertEquals(cacheMemoryLimit(0, root), { bytes: 2 * GIB, source: "25% of MemTotal" });
  });
  await withRoot({ "proc/meminfo": "MemTotal: 67108864 kB\n" }, (root) => {
    assertEquals(cacheMemoryLimit(0, root).bytes, WASM_MEMORY_MAX_BYTES);
  });
  await withRoot({}, (root) => {
    assertEquals(cacheMemoryLimit(0, root).bytes, WASM_MEMORY_MAX_BYTES);
  });
});

Deno.test("cache.max-memory above what a 32-bit wasm memory holds is refused naming the key", () => {
  const text = `[cache]\nmax-memory = ${8 * GIB}\n`;
  assert.throws(() => parseConfig(text, { env: {} }), {
    name: "RangeError",
    message: `Invalid config: cache.max-memory = ${8 * GIB}: expected at most ${4 * GIB}`,
  });
  assertEquals(parseConfig("[cache]\nmax-size = 0\n", { env: {} }).config.cache.maxSize, 0);
});

Deno.test("a cache with no point limit stops growing at max-memory and counts the rest as overflow", async () => {
  const limit = 32 * 2 ** 20;
  const head = await Head.load({
    maxPoints: 0xffff_ffff,
    maxMemoryBytes: limit,
    maxLineLen: 4096,
  });
  try {
    const enc = new TextEncoder();
    let sent = 0;
    // 16-byte point slots: 32 MiB holds fewer than 2M points, so 3M must overflow
    for (let chunk = 0; chunk < 30; chunk++) {
      const lines: string[] = [];
      for (let i = 0; i < 100_000; i++) {
        lines.push(`a.b${i % 100} 1 ${1_000_000 + chunk * 100_000 + i}\n`);
      }
      const app = head.appender();
      app.appendPlain(enc.encode(lines.join("")));
      app.commit();
      sent += lines.length;
    }
    const c = head.drain.counters();
    assert.ok(c.overflow > 0, JSON.stringify(c));
    assertEquals(c.cachedPoints + c.overflow, sent);
    assert.ok(c.heapBytes <= limit, JSON.stringify(c));
  } finally {
    head.stop();
  }
});
