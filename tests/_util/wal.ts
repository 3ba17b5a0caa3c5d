// Write-ahead log settings for tests: Prometheus' segment size, no checkpoint by time or size
// unless a test asks for one; the log's end as a remote_write sender sees it, in process.

import type { HeadWalOptions } from "../../src/appender/head.ts";
import type { LogEndSource } from "../../src/remote/remote_writer.ts";
import type { Wal } from "../../src/wal/wal.ts";

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

/** The log's end and its changes, straight from the writer (in process). */
export function endOf(wal: Wal): LogEndSource {
  const wakers = new Set<() => void>();
  wal.onEnd(() => {
    for (const w of [...wakers]) w();
  });
  return {
    end: () => ({ segment: wal.segment, offset: wal.offset }),
    changed: (ms, signal) =>
      new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wakers.delete(done);
          signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        wakers.add(done);
        signal.addEventListener("abort", done);
      }),
  };
}
