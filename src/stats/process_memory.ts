// The process's own memory as samples: its resident set (runtime, worker isolates, wasm linear
// memory and the allocator's arenas together) and the main isolate's JavaScript heap, so the
// parts in docs/benchmarks.md, "Where the memory goes", can be followed on a running daemon.

import type { StatSend, StatSource } from "./sample.ts";

/** Reports Deno.memoryUsage() of the main thread. */
export class ProcessMemory implements StatSource {
  stat(send: StatSend): void {
    const usage = Deno.memoryUsage();
    send({
      name: "process_resident_memory_bytes",
      help: "Resident memory of the process (every thread, wasm linear memory included).",
      type: "gauge",
      value: usage.rss,
      carbon: "memory.residentBytes",
    });
    const heap = { used: usage.heapUsed, total: usage.heapTotal, external: usage.external };
    for (const [kind, value] of Object.entries(heap)) {
      send({
        name: "carbonado_js_heap_bytes",
        help: "The main thread's JavaScript heap: used, total (reserved by V8), external " +
          "(buffers outside it, wasm linear memory included).",
        type: "gauge",
        value,
        labels: { kind },
        carbon: `memory.jsHeap.${kind}Bytes`,
      });
    }
  }
}
