// Retry and drop policy of failed writes, and the series the persister gave up on (issue 9).
// A transient failure (no space, I/O error, a crashed worker) is retried with backoff for as
// long as it lasts. A failure that is permanent for the series (its path is too long for the
// file system, a path component is a file, the file is corrupt or foreign, permission is
// denied) is retried a bounded number of times; then the series' points are dropped from the
// cache, and the series is marked FAILED in the wasm table so that its new points are refused
// at stage time (counted under `series_failed`) until a re-check finds its file writable.

import type { WasmDrain } from "../wasm/drain.ts";
import type { WriteErrorReason } from "./write_batch.ts";

/** Reasons a series is given up for, as counted in `carbonado_persist_dropped_points_total`. */
export type DropReason = "too_long" | "bad_path" | "corrupt" | "permission";
export const DROP_REASONS: readonly DropReason[] = [
  "too_long",
  "bad_path",
  "corrupt",
  "permission",
];

/**
 * Attempts after which a series failing for `reason` is given up. A too-long path is known
 * when the path is built, so one attempt settles it; a bad path or a corrupt file is tried a
 * few times in case another process was creating or repairing it; permission denied is tried
 * longest, as an operator may be fixing ownership. Other reasons are transient: undefined.
 */
export function attemptsBeforeDrop(reason: WriteErrorReason): number | undefined {
  switch (reason) {
    case "too_long":
      return 1;
    case "bad_path":
    case "corrupt":
      return 3;
    case "permission":
      return 5;
    default:
      return undefined;
  }
}

/** Series remembered as failed at most; past it a series is dropped but not remembered. */
export const MAX_FAILED_SERIES = 100_000;

/** Why and where a series failed for good. */
export interface Failure {
  series: number;
  reason: DropReason;
  path: string;
}

/** The series given up on, by name, each marked FAILED in the cache. */
export class FailedSeries {
  #cache: WasmDrain;
  #byName = new Map<string, Failure>();

  constructor(cache: WasmDrain) {
    this.#cache = cache;
  }

  get size(): number {
    return this.#byName.size;
  }

  /** Marks a series as failed; false when MAX_FAILED_SERIES are remembered already. */
  mark(name: string, failure: Failure): boolean {
    if (!this.#byName.has(name) && this.#byName.size >= MAX_FAILED_SERIES) return false;
    this.#cache.setFailed(failure.series, true);
    this.#byName.set(name, failure);
    return true;
  }

  /** Clears a series' mark: its points are taken again. */
  clear(name: string): Failure | undefined {
    const failure = this.#byName.get(name);
    if (failure === undefined) return undefined;
    this.#cache.setFailed(failure.series, false);
    this.#byName.delete(name);
    return failure;
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }
}
