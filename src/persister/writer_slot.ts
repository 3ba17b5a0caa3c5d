// Where the persister's batches are written: a worker thread (whisper_worker.ts), or the main
// thread itself with the same synchronous file calls while the backlog is small, so that an idle
// or lightly loaded daemon runs no worker isolate (about 13 MB each; docs/benchmarks.md, "Where
// the memory goes"). Both take the same messages and answer with the same results.

import { parseRules, writeBatch, type WriterSettings, writerSettings } from "./whisper_writer.ts";
import type { BatchResult, InitMessage, WorkerMessage } from "./write_batch.ts";

/** What a slot reports back to the persister. */
export interface SlotEvents {
  result(result: BatchResult): void;
  crash(message: string): void;
}

/** A writer of batches, with the batches it holds; `T` is what the persister keeps per batch. */
export interface WriterSlot<T> {
  /** True for the main thread's writer. */
  readonly inline: boolean;
  readonly inflight: Map<number, T>;
  /** When its last result came (performance.now()). */
  lastResult: number;
  post(msg: WorkerMessage): void;
  terminate(): void;
}

/** A worker thread running whisper_worker.ts. */
export class WorkerSlot<T> implements WriterSlot<T> {
  readonly inline = false;
  readonly inflight = new Map<number, T>();
  lastResult = performance.now();
  #worker: Worker;

  constructor(init: InitMessage, events: SlotEvents) {
    this.#worker = new Worker(new URL("./whisper_worker.ts", import.meta.url).href, {
      type: "module",
    });
    this.#worker.onmessage = (e: MessageEvent<BatchResult>) => events.result(e.data);
    this.#worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      events.crash(e.message);
    };
    this.post(init);
  }

  post(msg: WorkerMessage): void {
    this.#worker.postMessage(msg);
  }

  terminate(): void {
    this.#worker.terminate();
  }
}

/**
 * The main thread's writer: each batch is written in a task of its own (a timer of 0), so the
 * event loop serves the network between two batches.
 */
export class InlineSlot<T> implements WriterSlot<T> {
  readonly inline = true;
  readonly inflight = new Map<number, T>();
  lastResult = performance.now();
  #settings: WriterSettings;
  #events: SlotEvents;
  #timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(init: InitMessage, events: SlotEvents) {
    this.#settings = writerSettings(init);
    this.#events = events;
  }

  post(msg: WorkerMessage): void {
    if (msg.type === "init") throw new TypeError("an inline writer is set up once");
    if (msg.type === "rules") {
      Object.assign(this.#settings, parseRules(msg.rules));
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      // A missing file or directory is found by catching NotFound: no stack trace for it
      // (whisper_worker.ts does the same for the whole thread).
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      let result: BatchResult;
      try {
        result = writeBatch(this.#settings, msg);
      } catch (err) {
        this.#events.crash(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
        return;
      } finally {
        Error.stackTraceLimit = limit;
      }
      this.#events.result(result);
    }, 0);
    this.#timers.add(timer);
  }

  terminate(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
