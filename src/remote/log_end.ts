// The write-ahead log's committed end shared between threads: the main thread (where the log is
// written) stores the live segment and offset after every commit, and wakes the remote_write
// worker; the worker reads them without a message, and waits on them with Atomics.waitAsync
// instead of polling. A sequence number makes the pair consistent (a seqlock: odd while the main
// thread writes).

import { wait as sleep } from "../async/wait.ts";
import type { LogEnd } from "./watcher.ts";

const SEQ = 0;
const SEGMENT = 1;
const OFFSET = 2;
const SLOTS = 3;

/** A SharedArrayBuffer for one log end. */
export function sharedLogEnd(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * 4);
}

/** The writing side (main thread): `publish()` after every commit and new segment. */
export class LogEndWriter {
  #i32: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#i32 = new Int32Array(buffer);
  }

  /** Stores the end and wakes every waiter. */
  publish(segment: number, offset: number): void {
    const a = this.#i32;
    Atomics.add(a, SEQ, 1);
    Atomics.store(a, SEGMENT, segment);
    Atomics.store(a, OFFSET, offset);
    Atomics.add(a, SEQ, 1);
    Atomics.notify(a, SEQ);
  }
}

/** The reading side (the worker). */
export class LogEndReader {
  #i32: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#i32 = new Int32Array(buffer);
  }

  /** The end as last published. */
  end(): LogEnd {
    const a = this.#i32;
    while (true) {
      const seq = Atomics.load(a, SEQ);
      if (seq % 2 !== 0) continue;
      const segment = Atomics.load(a, SEGMENT);
      const offset = Atomics.load(a, OFFSET);
      if (Atomics.load(a, SEQ) === seq) return { segment, offset };
    }
  }

  /** Resolves when the end is published again, after `ms`, or when `signal` aborts. */
  changed(ms: number, signal: AbortSignal): Promise<void> {
    const a = this.#i32;
    const wait = Atomics.waitAsync(a, SEQ, Atomics.load(a, SEQ), ms);
    if (!wait.async) return Promise.resolve();
    // a timer as well: a pending waitAsync alone does not keep Deno's event loop alive
    return sleep(ms, {
      signal,
      onWake: (wake) => {
        wait.value.then(wake);
        return () => {};
      },
    });
  }
}
