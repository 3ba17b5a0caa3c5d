// The process memory samples: resident set and the main isolate's heap, from this very process.

import { assert, assertEquals } from "../_util/assert.ts";
import { collect } from "../../src/stats/sample.ts";
import { ProcessMemory } from "../../src/stats/process_memory.ts";

Deno.test("ProcessMemory reports the resident set and the JS heap by kind", () => {
  const samples = collect([new ProcessMemory()]);
  const heap = samples.filter((s) => s.name === "carbonado_js_heap_bytes");
  assertEquals(heap.map((s) => s.labels?.kind), ["used", "total", "external"]);
  const kind = (k: string) => heap.find((s) => s.labels?.kind === k)!.value;
  assert.ok(kind("used") > 0 && kind("used") <= kind("total"));
  // the resident set holds the runtime and the heap: more than the heap alone
  const rss = samples.find((s) => s.name === "process_resident_memory_bytes")!.value;
  assert.ok(rss > kind("total") + 16 * 2 ** 20, `resident ${rss}, heap ${kind("total")}`);
});
