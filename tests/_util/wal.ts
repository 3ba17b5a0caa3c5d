// Write-ahead log settings for tests: Prometheus' segment size, no checkpoint by time or size
// unless a test asks for one.

import type { HeadWalOptions } from "../../src/appender/head.ts";

/** `[wal]` options for a log in `dir`, with `more` over the defaults. */
export function walOptions(dir: string, more: Partial<HeadWalOptions> = {}): HeadWalOptions {
  return {
    dir,
    syncInterval: 1000,
    segmentSize: 128 * 2 ** 20,
    maxSize: 2 ** 30,
    checkpointInterval: 3_600_000,
    checkpointSize: 2 ** 30,
    ...more,
  };
}
