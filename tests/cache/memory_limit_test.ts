// The cache's memory ceiling: the smaller of the cgroup limit and MemTotal, a share of it by
// default, at most a 32-bit wasm memory; and the wasm cache keeping to it.

import { assert, assertEquals } from "../_util/assert.ts";
import {
  availableMemory,
  cacheMemoryLimit,
  liveMemory,
  WASM_MEMORY_MAX_BYTES,
} from "../../src/cache/memory_limit.ts";
import { Head } from "../../src/appender/head.ts";
import { CacheStats } from "../../src/cache/cache_stats.ts";
import { parseConfig } from "../../src/config/load.ts";

const GIB = 2 ** 30;

Deno.test("availableMemory() takes the smaller of the cgroup limit and MemTotal", () => {
  const cases: [string, number | undefined, number | undefined, number | null, string | null][] = [
    ["MemTotal alone", 8 * GIB, undefined, 8 * GIB, "MemTotal"],
    ["a container limit", 8 * GIB, GIB, GIB, "the cgroup's memory limit"],
    ["a cgroup without a limit (v1's 2^63)", 8 * GIB, 9223372036854771712, 8 * GIB, "MemTotal"],
    ["a cgroup limit above MemTotal", 8 * GIB, 64 * GIB, 8 * GIB, "MemTotal"],
    ["the cgroup alone", undefined, GIB, GIB, "the cgroup's memory limit"],
    ["nothing known", undefined, undefined, null, null],
  ];
  for (const [what, total, cgroup, bytes, source] of cases) {
    const got = availableMemory(total, cgroup);
    assertEquals(got?.bytes ?? null, bytes, what);
    assertEquals(got?.source ?? null, source, what);
  }
});

Deno.test("liveMemory() reads this machine: a positive figure no larger than MemTotal", async () => {
  const live = await liveMemory();
  assert.ok(live !== null && live.bytes > 0 && live.bytes <= Deno.systemMemoryInfo().total);
});

Deno.test("cacheMemoryLimit() is max-memory when set, else a quarter of what is available, at most 4 GiB", async () => {
  const eight = { bytes: 8 * GIB, source: "MemTotal" };
  assertEquals(await cacheMemoryLimit(64 * 2 ** 20, eight), {
    bytes: 64 * 2 ** 20,
    source: "cache.max-memory",
  });
  assertEquals(await cacheMemoryLimit(0, eight), { bytes: 2 * GIB, source: "25% of MemTotal" });
  assertEquals(
    (await cacheMemoryLimit(0, { bytes: 64 * GIB, source: "MemTotal" })).bytes,
    WASM_MEMORY_MAX_BYTES,
  );
  assertEquals((await cacheMemoryLimit(0, null)).bytes, WASM_MEMORY_MAX_BYTES);
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
    const reserved = head.drain.linearMemoryBytes;
    assert.ok(reserved >= c.heapBytes && reserved <= limit, `linear memory ${reserved} B`);
    const samples = new Map<string, number>();
    new CacheStats(head.drain, 0, limit).stat((x) => samples.set(x.name, x.value));
    assertEquals(samples.get("carbonado_wasm_memory_bytes"), reserved);
  } finally {
    head.stop();
  }
});
