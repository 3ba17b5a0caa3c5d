// The cache's counters as samples: go-carbon's cache.* self-metrics and their Prometheus names.

import { REJECT_REASONS } from "../protocol/plaintext.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { WasmDrain } from "../wasm/drain.ts";

/**
 * Reports the wasm cache's counters; `maxPoints` is `[cache] max-size` (0: none),
 * `maxMemoryBytes` the `[cache] max-memory` in force.
 */
export class CacheStats implements StatSource {
  #cache: WasmDrain;
  #maxPoints: number;
  #maxMemoryBytes?: number;

  constructor(cache: WasmDrain, maxPoints: number, maxMemoryBytes?: number) {
    this.#cache = cache;
    this.#maxPoints = maxPoints;
    this.#maxMemoryBytes = maxMemoryBytes;
  }

  stat(send: StatSend): void {
    const c = this.#cache.counters();
    send({
      name: "carbonado_cache_points",
      help: "Points waiting in the cache.",
      type: "gauge",
      value: c.cachedPoints,
      carbon: "cache.size",
    });
    send({
      name: "carbonado_cache_series",
      help: "Series in the cache.",
      type: "gauge",
      value: c.series,
      carbon: "cache.metrics",
    });
    send({
      name: "carbonado_cache_not_confirmed_points",
      help: "Points handed to the persister and not yet written.",
      type: "gauge",
      value: c.notConfirmed,
      carbon: "cache.notConfirmed",
    });
    send({
      name: "carbonado_cache_series_collected_total",
      help: "Empty idle series dropped from the cache table.",
      type: "counter",
      value: c.collectedSeries,
      carbon: "cache.seriesCollected",
    });
    send({
      name: "carbonado_tags_invalid_names_total",
      help: "Names kept as they came because their tags break carbon's rules.",
      type: "counter",
      value: c.tagsInvalid,
      carbon: "cache.tagsNormalizeErrors",
    });
    send({
      name: "carbonado_cache_max_points",
      help: "The cache limit in points ([cache] max-size; 0: none but max-memory).",
      type: "gauge",
      value: this.#maxPoints,
      carbon: "cache.maxSize",
    });
    if (this.#maxMemoryBytes !== undefined) {
      send({
        name: "carbonado_cache_max_memory_bytes",
        help: "The cache's memory ceiling ([cache] max-memory, or its default); past it points " +
          "are dropped as overflow.",
        type: "gauge",
        value: this.#maxMemoryBytes,
        carbon: "cache.maxMemory",
      });
    }
    send({
      name: "carbonado_cache_overflow_points_total",
      help: "Points dropped because the cache was full.",
      type: "counter",
      value: c.overflow,
      carbon: "cache.overflow",
    });
    send({
      name: "carbonado_cache_memory_bytes",
      help: "Bytes of wasm linear memory in use by the cache and input buffers.",
      type: "gauge",
      value: c.heapBytes,
      carbon: "cache.memoryBytes",
    });
    send({
      name: "carbonado_wasm_memory_bytes",
      help: "Bytes of wasm linear memory reserved (it only grows: the high-water mark of the " +
        "cache, the index, input and WAL buffers).",
      type: "gauge",
      value: this.#cache.linearMemoryBytes,
      carbon: "wasm.memoryBytes",
    });
    for (const reason of REJECT_REASONS) {
      send({
        name: "carbonado_rejected_lines_total",
        help: "Input lines and points rejected, by reason.",
        type: "counter",
        value: c.rejected[reason],
        labels: { reason },
        carbon: `parse.rejected.${reason}`,
      });
    }
  }
}
