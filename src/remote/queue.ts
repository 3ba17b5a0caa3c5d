// The sending side of one remote: a loop per shard sends that shard's requests of every block,
// block after block, one request in flight per shard (so a series' samples arrive in order),
// shards in parallel. A request is encoded once and retried byte-identical with exponential
// backoff (min-backoff doubling to max-backoff, or what Retry-After asks) for as long as it
// takes; a refused one is dropped, counted and its answer logged. A block whose shard count
// changed waits until every block before it is answered, so no series can overtake itself.

import { Logger, RateLimiter } from "../log/logger.ts";
import type { Block, BlockRequest } from "./block.ts";
import type { RemoteClient } from "./client.ts";
import { type RemoteCounters, SLOT } from "./counters.ts";
import { wait } from "../async/wait.ts";

const log = new Logger("remote-write");

/** Options of {@linkcode SendQueue}. */
export interface SendQueueOptions {
  name: string;
  client: RemoteClient;
  counters: RemoteCounters;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** A request's body: the compressed WriteRequest (a stable copy). */
  encode: (block: Block, request: BlockRequest) => Uint8Array;
  /** Called when a request is answered for good; the block may now be complete. */
  answered: (block: Block) => void;
}

/** Sends the requests of the blocks it is given. */
export class SendQueue {
  #opts: SendQueueOptions;
  #blocks: Block[] = [];
  #loops = new Map<number, Promise<void>>();
  #wakers: (() => void)[] = [];
  #abort = new AbortController();
  /** performance.now() of the last failed attempt (0: none since the last success). */
  #failingSince = 0;
  #dropLog = new RateLimiter(5, 60_000);
  #retryLog = new RateLimiter(1, 10_000);

  constructor(opts: SendQueueOptions) {
    this.#opts = opts;
  }

  /** True while requests fail and are being retried. */
  get failing(): boolean {
    return this.#failingSince !== 0;
  }

  /** Blocks not yet removed. */
  get blocks(): readonly Block[] {
    return this.#blocks;
  }

  /** Queues a block (already recorded in position.json) and starts the loops it needs. */
  add(block: Block): void {
    if (this.#abort.signal.aborted) return;
    this.#blocks.push(block);
    for (let s = 0; s < block.shards; s++) {
      if (!this.#loops.has(s)) this.#loops.set(s, this.#loop(s));
    }
    this.#wake();
  }

  /** Forgets a block once it is complete. */
  remove(block: Block): void {
    const i = this.#blocks.indexOf(block);
    if (i >= 0) this.#blocks.splice(i, 1);
  }

  /** Aborts requests in flight and waits; queued blocks are dropped from the queue. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#wake();
    await Promise.all(this.#loops.values());
    this.#loops.clear();
    this.#blocks = [];
  }

  /** Resolves when a request is answered or the queue stops, after `ms`, or on `signal`. */
  changed(ms: number, signal?: AbortSignal): Promise<void> {
    return wait(ms, { signal, onWake: (wake) => this.#onWake(wake) });
  }

  /** Registers `wake` for the next #wake(); returns how to unregister it. */
  #onWake(wake: () => void): () => void {
    this.#wakers.push(wake);
    return () => {
      const i = this.#wakers.indexOf(wake);
      if (i >= 0) this.#wakers.splice(i, 1);
    };
  }

  #wake(): void {
    for (const w of [...this.#wakers]) w();
  }

  #sleep(ms: number): Promise<void> {
    return wait(ms, { signal: this.#abort.signal });
  }

  /** The next request of shard `s` that may be sent now, or null. */
  #next(s: number): { block: Block; request: BlockRequest } | null {
    for (let i = 0; i < this.#blocks.length; i++) {
      const block = this.#blocks[i];
      if (block.complete) continue;
      const mine = block.requests().filter((r) => r.shard === s && !block.done.has(r.index));
      if (mine.length === 0) continue;
      if (block.barrier && this.#blocks.slice(0, i).some((b) => !b.complete)) return null;
      return { block, request: mine[0] };
    }
    return null;
  }

  async #loop(s: number): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const next = this.#next(s);
      if (next === null) {
        await wait(Infinity, { onWake: (wake) => this.#onWake(wake) });
        continue;
      }
      const { block, request } = next;
      const body = this.#opts.encode(block, request);
      const answered = await this.#send(body, request.to - request.from, block, request);
      if (!answered) return;
      block.done.add(request.index);
      this.#opts.answered(block);
      this.#wake();
    }
  }

  /** Sends until the remote answers for good; false when stopped first. */
  async #send(
    body: Uint8Array,
    samples: number,
    block: Block,
    request: BlockRequest,
  ): Promise<boolean> {
    const c = this.#opts.counters;
    const signal = this.#abort.signal;
    let backoff = this.#opts.minBackoffMs;
    for (let attempt = 0; !signal.aborted; attempt++) {
      const t0 = performance.now();
      const res = await this.#opts.client.send(body, { attempt, signal });
      if (signal.aborted) return false;
      if (res.kind === "ok") {
        this.#failingSince = 0;
        c.add(SLOT.samplesSent, samples);
        c.add(SLOT.bytesSent, body.length);
        c.add(SLOT.requestsSent, 1);
        c.add(SLOT.sendSeconds, (performance.now() - t0) / 1000);
        c.set(SLOT.lastSendTime, Date.now() / 1000);
        const highest = highestOf(block, request) / 1000;
        if (highest > c.get(SLOT.highestSent)) c.set(SLOT.highestSent, highest);
        return true;
      }
      if (res.kind === "drop") {
        this.#failingSince = 0;
        c.add(SLOT.samplesFailed, samples);
        c.add(SLOT.requestsFailed, 1);
        const suppressed = this.#dropLog.allow();
        if (suppressed >= 0) {
          log.error("remote refused a request: its samples are dropped", {
            remote: this.#opts.name,
            status: res.status,
            samples,
            body: res.body,
            suppressed,
          });
        }
        return true;
      }
      if (this.#failingSince === 0) this.#failingSince = performance.now();
      c.add(SLOT.samplesRetried, samples);
      c.add(SLOT.requestsRetried, 1);
      const wait = res.retryAfterMs ?? backoff;
      const suppressed = this.#retryLog.allow();
      if (suppressed >= 0) {
        log.warn("remote write failed, retrying", {
          remote: this.#opts.name,
          status: res.status,
          error: res.error?.slice(0, 300),
          retryInMs: Math.round(wait),
          attempt,
          suppressed,
        });
      }
      await this.#sleep(wait);
      backoff = Math.min(backoff * 2, this.#opts.maxBackoffMs);
    }
    return false;
  }
}

/** The newest timestamp (ms) among a request's samples. */
function highestOf(block: Block, request: BlockRequest): number {
  const t = block.parts[request.shard].t;
  let max = -Infinity;
  for (let i = request.from; i < request.to; i++) if (t[i] > max) max = t[i];
  return max;
}
