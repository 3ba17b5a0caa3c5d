// The writeout queue: which series the persister writes next. It is a snapshot of the cache
// ordered by go-carbon's write strategy (`max`: most points first, `sorted`: oldest point first,
// `noop`: table order), taken by the wasm table; it is rebuilt only once drained, and never more
// often than every 100 ms (go-carbon's writeout_queue.go), so a busy cache is not rescanned
// for every series.

import type { StatSend, StatSource } from "../stats/sample.ts";
import type { WasmDrain, WriteStrategy } from "../wasm/drain.ts";

/** Least time between two rebuilds. */
export const REBUILD_INTERVAL_MS = 100;

/** Series to write, in strategy order. */
export class WriteoutQueue implements StatSource {
  #cache: WasmDrain;
  #strategy: WriteStrategy;
  #now: () => number;
  #series: Uint32Array = new Uint32Array(0);
  /** `#oldestFrom[i]`: the oldest point timestamp of series i and every series after it. */
  #oldestFrom: Uint32Array = new Uint32Array(0);
  #pos = 0;
  #lastRebuild = -Infinity;
  #rebuilds = 0;
  #rebuildMs = 0;

  constructor(cache: WasmDrain, strategy: WriteStrategy, now = () => performance.now()) {
    this.#cache = cache;
    this.#strategy = strategy;
    this.#now = now;
  }

  /**
   * The next series to write, or 0 when the queue is drained and either the cache has nothing to
   * write or a rebuild is not allowed yet (see msUntilRebuild()).
   */
  next(): number {
    if (this.#pos < this.#series.length) return this.#series[this.#pos++];
    if (this.msUntilRebuild() > 0) return 0;
    this.#rebuild();
    return this.#pos < this.#series.length ? this.#series[this.#pos++] : 0;
  }

  /** Series left before the queue is drained. */
  get length(): number {
    return this.#series.length - this.#pos;
  }

  /** Timestamp (epoch seconds) of the oldest point of the series left in the queue; 0 if none. */
  get oldestTimestamp(): number {
    return this.#pos < this.#oldestFrom.length ? this.#oldestFrom[this.#pos] : 0;
  }

  /** Milliseconds until a drained queue may be rebuilt (0: now). */
  msUntilRebuild(): number {
    return Math.max(0, this.#lastRebuild + REBUILD_INTERVAL_MS - this.#now());
  }

  #rebuild(): void {
    const start = this.#now();
    const { series, oldest } = this.#cache.snapshot(this.#strategy);
    for (let i = oldest.length - 2; i >= 0; i--) oldest[i] = Math.min(oldest[i], oldest[i + 1]);
    this.#series = series;
    this.#oldestFrom = oldest;
    this.#pos = 0;
    this.#lastRebuild = this.#now();
    this.#rebuilds++;
    this.#rebuildMs += this.#lastRebuild - start;
  }

  stat(send: StatSend): void {
    send({
      name: "carbonado_writeout_queue_rebuilds_total",
      help: "Writeout queue rebuilds (snapshots of the cache in strategy order).",
      type: "counter",
      value: this.#rebuilds,
      carbon: "cache.queueBuildCount",
    });
    send({
      name: "carbonado_writeout_queue_rebuild_seconds_total",
      help: "Time spent rebuilding the writeout queue.",
      type: "counter",
      value: this.#rebuildMs / 1000,
    });
    send({
      name: "carbonado_writeout_queue_series",
      help: "Series left in the writeout queue before the next rebuild.",
      type: "gauge",
      value: this.length,
    });
    send({
      name: "carbonado_writeout_queue_oldest_point_timestamp_seconds",
      help: "Timestamp of the oldest point of the series left in the writeout queue (as of its " +
        "last rebuild), 0 when the queue is empty: its age is how far writing lags.",
      type: "gauge",
      value: this.oldestTimestamp,
      carbon: "cache.queueOldestPoint",
    });
  }
}
