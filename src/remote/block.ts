// A block: the samples of one contiguous WAL range, split by shard (each series always in the
// same shard) and cut into requests of at most max-samples-per-send, shard by shard. A block is
// the unit the sender acknowledges and records in position.json before sending; its requests
// are numbered shard by shard, chunk by chunk, so a restart can rebuild exactly the requests
// that were not answered yet.

import type { WalPosition } from "./position.ts";
import type { OutSeries } from "./series.ts";
import type { BlockRecord } from "./state.ts";
import type { SampleColumns } from "./write_request.ts";

/** A shard's samples in a block, as columns the encoder reads. */
export class ShardSamples implements SampleColumns {
  series: OutSeries[];
  t: Float64Array;
  v: Float64Array;
  length = 0;

  /** `room`: samples expected (the columns grow past it, doubling). */
  constructor(room: number) {
    this.series = new Array(room);
    this.t = new Float64Array(room);
    this.v = new Float64Array(room);
  }

  push(series: OutSeries, t: number, v: number): void {
    const n = this.length;
    if (n === this.t.length) {
      const t2 = new Float64Array(n * 2);
      t2.set(this.t);
      this.t = t2;
      const v2 = new Float64Array(n * 2);
      v2.set(this.v);
      this.v = v2;
    }
    this.series[n] = series;
    this.t[n] = t;
    this.v[n] = v;
    this.length = n + 1;
  }
}

/** Columns start with room for at least this many samples. */
const MIN_ROOM = 64;

/** One request of a block: samples `from` to `to` of shard `shard`. */
export interface BlockRequest {
  /** Its number in the block (shard by shard, chunk by chunk). */
  index: number;
  shard: number;
  from: number;
  to: number;
}

/** The samples of one WAL range, by shard. */
export class Block {
  readonly from: WalPosition;
  to: WalPosition;
  readonly shards: number;
  readonly maxSamplesPerSend: number;
  readonly parts: ShardSamples[];
  /** Samples in the block. */
  samples = 0;
  /** Newest sample timestamp (ms) in the block. */
  highest = -Infinity;
  /** performance.now() when the first sample came in (batch-send-deadline runs from it). */
  firstAt = 0;
  /** Numbers of the requests answered (sent and accepted, or refused for good). */
  readonly done = new Set<number>();
  /** The shard count differs from the block before: wait until every earlier block is done. */
  barrier = false;
  /** The series table as of `to`, encoded: written to disk once the block is acknowledged. */
  snapshot?: Uint8Array;
  #requests?: BlockRequest[];

  /** `room`: samples expected per shard (the last block's fullest shard is a fair guess). */
  constructor(
    from: WalPosition,
    opts: { shards: number; maxSamplesPerSend: number; room?: number },
  ) {
    this.from = from;
    this.to = from;
    this.shards = opts.shards;
    this.maxSamplesPerSend = opts.maxSamplesPerSend;
    const room = Math.max(MIN_ROOM, opts.room ?? MIN_ROOM);
    this.parts = Array.from({ length: opts.shards }, () => new ShardSamples(room));
  }

  /** Samples in the fullest shard. */
  get fullest(): number {
    let max = 0;
    for (const p of this.parts) max = Math.max(max, p.length);
    return max;
  }

  /** Adds a sample of `series` (to the shard its hash picks). */
  add(series: OutSeries, t: number, v: number, now: number): void {
    if (this.samples === 0) this.firstAt = now;
    this.parts[series.hash % this.shards].push(series, t, v);
    this.samples++;
    if (t > this.highest) this.highest = t;
  }

  /** The block's requests, shard by shard, chunk by chunk (fixed once asked for). */
  requests(): readonly BlockRequest[] {
    if (this.#requests) return this.#requests;
    const out: BlockRequest[] = [];
    this.parts.forEach((part, shard) => {
      for (let from = 0; from < part.length; from += this.maxSamplesPerSend) {
        const to = Math.min(part.length, from + this.maxSamplesPerSend);
        out.push({ index: out.length, shard, from, to });
      }
    });
    return this.#requests = out;
  }

  /** True when every request is answered. */
  get complete(): boolean {
    return this.done.size === this.requests().length;
  }

  /** How position.json records the block. */
  record(): BlockRecord {
    return {
      from: this.from,
      to: this.to,
      shards: this.shards,
      maxSamplesPerSend: this.maxSamplesPerSend,
      done: [...this.done].sort((a, b) => a - b),
    };
  }
}
