// One remote_write destination, fed from the write-ahead log (design in docs/remote_write.md):
// the watcher reads records by position; each sample goes through the remote's series table
// (names to labels, include/exclude) and, unless the remote accepts out-of-order samples, the
// filter that drops what is at or before the newest timestamp already sent for its series;
// samples collect in a block, cut at a record end when it is full, or when the log is read to
// its end and batch-send-deadline has passed. A block is written to position.json before any of
// its requests is sent; the acknowledged position moves over blocks the remote has answered, in
// order, and is persisted the same way; a snapshot of the series table taken at a block's end
// is written once that block is acknowledged, and the log is kept from the snapshot on. After a
// restart, a kill or a crash: load the snapshot, read the log to the acknowledged position
// without sending, rebuild the recorded blocks byte for byte and send their unanswered
// requests, then go on. Memory is bounded by capacity; a slow or dead remote only makes its
// reader wait, and past max-backlog its oldest data is dropped for it alone.

import { joinPath } from "../storage/path.ts";
import type { RemoteWriteConfig } from "../config/remote_write.ts";
import { Logger } from "../log/logger.ts";
import { type RecordVisitor, visitRecord } from "../wal/reader.ts";
import { lastCheckpoint, listSegments } from "../wal/segments.ts";
import type { WasmSnappy } from "../wasm/snappy.ts";
import type { WalCodec } from "../wasm/wal_codec.ts";
import { Block, type BlockRequest } from "./block.ts";
import type { RemoteClient } from "./client.ts";
import { type RemoteCounters, SLOT } from "./counters.ts";
import { NameMapper } from "./names.ts";
import {
  comparePositions,
  formatPosition,
  segmentNeeded,
  segmentStart,
  type WalPosition,
} from "./position.ts";
import { SendQueue } from "./queue.ts";
import { SeriesTable } from "./series.ts";
import { wait, yieldToEventLoop } from "../async/wait.ts";
import { type BlockRecord, StateStore } from "./state.ts";
import { type LogEnd, type PositionedRecord, type Skipped, WalWatcher } from "./watcher.ts";
import { WriteRequestEncoder } from "./write_request.ts";

const log = new Logger("remote-write");

/** WAL bytes read at a time. */
export const READ_BYTES = 1 << 20;
/** A snapshot of the series table is taken at most this often (and the log kept from it). */
export const SNAPSHOT_INTERVAL_MS = 60_000;
/** How often the shard count is reconsidered (Prometheus: 10 s). */
export const RESHARD_INTERVAL_MS = 10_000;
/** ... and while the queues are full, so that a backlog gets its shards within a second. */
export const RESHARD_BUSY_INTERVAL_MS = 250;
/** Shards are sized to send a backlog within this many seconds (Prometheus: about ten). */
const RESHARD_DRAIN_S = 2;
/**
 * Answered requests and the acknowledged position reach position.json within this: a request
 * answered this recently may be sent again after a kill.
 */
export const ANSWERS_PERSIST_MS = 100;
/** How often max-backlog and max-backlog-age are checked, and the backlog gauge updated. */
export const BACKLOG_CHECK_MS = 1000;
/** WAL bytes per sample, to turn a backlog in bytes into samples for resharding (bench:wal). */
const WAL_BYTES_PER_SAMPLE = 12;

/** The log's committed end, and a way to wait until it moves. */
export interface LogEndSource {
  end(): LogEnd;
  /** Resolves when the end may have moved, after `ms`, or when `signal` aborts. */
  changed(ms: number, signal: AbortSignal): Promise<void>;
}

/** Options of {@linkcode RemoteWriter}. */
export interface RemoteWriterOptions {
  config: RemoteWriteConfig;
  walDir: string;
  codec: WalCodec;
  /** Compresses request bodies (in the codec's wasm instance). */
  snappy: WasmSnappy;
  log: LogEndSource;
  client: RemoteClient;
  counters: RemoteCounters;
  /** Publishes the first segment this remote still needs (read by the WAL's truncation). */
  hold: (segment: number) => void;
}

/** The counters a record's samples are tallied into. */
const TALLIED = [
  SLOT.samplesIn,
  SLOT.droppedUnknownSeries,
  SLOT.droppedExcluded,
  SLOT.droppedBacklog,
  SLOT.droppedOutOfOrder,
] as const;

/** What happens to a sample as a record is consumed. */
type Mode = "send" | "replay" | "drop";

/** Sends one remote everything the log holds, in order, surviving restarts. */
export class RemoteWriter {
  readonly name: string;
  #opts: RemoteWriterOptions;
  #cfg: RemoteWriteConfig;
  #store: StateStore;
  #table: SeriesTable;
  #watcher: WalWatcher;
  #counters: RemoteCounters;
  #queue: SendQueue;
  #encoder = new WriteRequestEncoder();
  // the record stream
  #buffered: PositionedRecord[] = [];
  #at = 0;
  #position: WalPosition = segmentStart(0);
  // blocks
  #acked: WalPosition = segmentStart(0);
  #blocks: Block[] = [];
  #open: Block | null = null;
  #shards: number;
  #lastShards = 0;
  /** Samples in the fullest shard of the last block cut (sizes the next one's columns). */
  #lastFullest = 0;
  // what one sample does (set before each record: a visitor without closures per record)
  #mode: Mode = "send";
  #target: Block | null = null;
  #segment = 0;
  #now = 0;
  #visitor: RecordVisitor;
  /** What the record being consumed came to, by counter slot (plus its newest timestamp). */
  #tally: Record<number, number> & { highest: number } = { highest: -Infinity };
  // persistence
  #requested = 0;
  #completed = 0;
  #waiters: { gen: number; resolve: () => void }[] = [];
  #writing = false;
  #soon?: ReturnType<typeof setTimeout>;
  /** The last state write queued (see #serial). */
  #io: Promise<void> = Promise.resolve();
  #onDisk: WalPosition = segmentStart(0);
  #pendingSnapshot: { position: WalPosition; bytes: Uint8Array } | null = null;
  #lastSnapshotAt = -Infinity;
  #forgotten = -1;
  #gcSegment = -1;
  // timing
  #stopping = false;
  #draining = false;
  #loop?: Promise<void>;
  #halt = new AbortController();
  #lastBacklogCheck = 0;
  #lastReshard = 0;
  #reshardBase = { at: 0, backlog: 0, sent: 0, seconds: 0 };

  constructor(opts: RemoteWriterOptions) {
    this.#opts = opts;
    this.#cfg = opts.config;
    this.name = opts.config.name;
    this.#counters = opts.counters;
    this.#store = new StateStore(
      joinPath(opts.walDir, "remote-write", opts.config.name),
      (bytes) => opts.codec.crc32c(bytes),
    );
    this.#table = new SeriesTable(new NameMapper(opts.config));
    this.#watcher = new WalWatcher({
      dir: opts.walDir,
      codec: opts.codec,
      end: () => opts.log.end(),
    });
    this.#queue = this.#newQueue();
    this.#shards = opts.config.minShards;
    // per sample: plain fields only; counters are written once per record (#consume)
    const tally = this.#tally;
    this.#visitor = {
      series: (ref, bytes, from, to) => this.#table.add(ref, bytes, from, to, this.#segment),
      sample: (ref, t, v) => {
        tally[SLOT.samplesIn]++;
        if (t > tally.highest) tally.highest = t;
        const out = this.#table.lookup(ref);
        if (out === undefined) {
          tally[SLOT.droppedUnknownSeries]++;
          return;
        }
        if (out === null) {
          tally[SLOT.droppedExcluded]++;
          return;
        }
        if (this.#mode === "drop") {
          tally[SLOT.droppedBacklog]++;
          return;
        }
        if (!this.#cfg.acceptsOutOfOrder) {
          if (t <= out.newest) {
            tally[SLOT.droppedOutOfOrder]++;
            return;
          }
          out.newest = t;
        }
        this.#target?.add(out, t, v, this.#now);
      },
    };
  }

  /** The acknowledged position. */
  get acked(): WalPosition {
    return this.#acked;
  }

  /**
   * Loads the state, brings the series table to the acknowledged position, rebuilds the blocks
   * recorded after it and starts sending. Resolves once sending has started.
   */
  async start(): Promise<void> {
    this.#store.open();
    let snap = this.#tryRead("snapshot", () => this.#store.readSnapshot());
    let saved = this.#tryRead("position.json", () => this.#store.readPosition());
    const live = this.#opts.log.end().segment;
    if (snap && snap.position.segment > live) {
      // the log was started afresh (its directory emptied): this state belongs to another log
      log.warn("the remote's state is ahead of the WAL: starting from the oldest data kept", {
        remote: this.name,
        state: formatPosition(snap.position),
        liveSegment: live,
      });
      snap = null;
      saved = null;
    }
    let start: WalPosition;
    if (snap) {
      start = snap.position;
      this.#table.load(snap.series, start.segment);
      this.#onDisk = start;
    } else {
      start = this.#watcher.firstPosition();
      await this.#writeSnapshot({ position: start, bytes: this.#snapshotBytes(start) });
    }
    this.#hold();
    this.#seek(start);
    let acked = saved?.acked ?? start;
    if (comparePositions(acked, start) < 0) acked = start;
    // the table as the requests in flight were built with
    this.#replayTo(acked);
    this.#acked = this.#position;
    const journal = (saved?.blocks ?? []).filter((b) => comparePositions(b.to, acked) > 0);
    for (const record of journal) this.#rebuild(record);
    this.#setAcked(this.#acked);
    this.#settle();
    await this.#persist();
    log.info("remote write started", {
      remote: this.name,
      url: this.#cfg.url,
      from: formatPosition(this.#acked),
      series: this.#table.size,
      resent: journal.length,
    });
    this.#loop = this.#run();
  }

  /**
   * Stops: sends what is queued and read for up to `graceMs` while the remote answers (never
   * waiting on a failing remote), then aborts what is in flight and persists the state.
   */
  async stop(graceMs: number): Promise<void> {
    const deadline = performance.now() + graceMs;
    this.#draining = true;
    while (
      performance.now() < deadline && !this.#queue.failing &&
      (this.#blocks.length > 0 || (this.#open?.samples ?? 0) > 0 || !this.#watcher.caughtUp())
    ) {
      await this.#queue.changed(Math.min(100, Math.max(1, deadline - performance.now())));
    }
    this.#stopping = true;
    this.#halt.abort();
    await this.#loop;
    await this.#queue.stop();
    await this.#persist();
    // everything read was answered: the table is exact at the acknowledged position
    if (this.#blocks.length === 0 && this.#open === null && !this.#acked.checkpoint) {
      await this.#writeSnapshot({ position: this.#acked, bytes: this.#snapshotBytes(this.#acked) });
    }
    await this.#io;
    this.#opts.client.close();
    log.info("remote write stopped", {
      remote: this.name,
      acked: formatPosition(this.#acked),
      unanswered: this.#blocks.reduce((n, b) => n + b.requests().length - b.done.size, 0),
    });
  }

  #tryRead<T>(what: string, read: () => T | null): T | null {
    try {
      return read();
    } catch (err) {
      log.error(`cannot read the remote's ${what}: starting from the oldest data kept`, {
        remote: this.name,
        err,
      });
      return null;
    }
  }

  #newQueue(): SendQueue {
    return new SendQueue({
      name: this.name,
      client: this.#opts.client,
      counters: this.#counters,
      minBackoffMs: this.#cfg.minBackoff,
      maxBackoffMs: this.#cfg.maxBackoff,
      encode: (block, request) => this.#encode(block, request),
      answered: () => {
        this.#settle();
        this.#persistSoon();
      },
    });
  }

  /** A request's body: WriteRequest, snappy, in a new array (it is retried as is). */
  #encode(block: Block, request: BlockRequest): Uint8Array {
    const proto = this.#encoder.encode(block.parts[request.shard], request);
    return this.#opts.snappy.encode(proto);
  }

  // ---------------------------------------------------------------------------------------
  // the record stream

  #seek(p: WalPosition): void {
    this.#watcher.seek(p);
    this.#position = p;
    this.#buffered = [];
    this.#at = 0;
  }

  /** The next record, read from the log when needed; null at the committed end. */
  #peek(): PositionedRecord | null {
    if (this.#at < this.#buffered.length) return this.#buffered[this.#at];
    const got = this.#watcher.read(READ_BYTES);
    for (const s of got.skipped) this.#skipped(s);
    this.#buffered = got.records;
    this.#at = 0;
    if (got.records.length === 0) {
      // the watcher may have moved past a finished segment: no record lies in between
      if (got.skipped.length > 0) this.#position = this.#watcher.position;
      return null;
    }
    return this.#buffered[0];
  }

  #take(): PositionedRecord {
    const r = this.#buffered[this.#at++];
    this.#position = r.end;
    return r;
  }

  #skipped(s: Skipped): void {
    this.#counters.add(SLOT.skippedSegments, Math.max(1, s.to.segment - s.from.segment));
    this.#counters.add(SLOT.skippedBytes, s.bytes);
    log.error("WAL data this remote had not sent is gone or unreadable: skipped", {
      remote: this.name,
      from: formatPosition(s.from),
      to: formatPosition(s.to),
      reason: s.reason,
    });
  }

  /** Consumes one record: series learned, samples filtered into `block` (per mode). */
  #consume(r: PositionedRecord, mode: Mode, block: Block | null): void {
    this.#mode = mode;
    this.#target = block;
    this.#segment = r.end.segment;
    this.#now = performance.now();
    const tally = this.#tally;
    for (const slot of TALLIED) tally[slot] = 0;
    tally.highest = -Infinity;
    try {
      visitRecord(r.bytes, this.#visitor);
    } catch (err) {
      log.error("cannot decode a WAL record: skipped", {
        remote: this.name,
        at: formatPosition(r.end),
        err,
      });
    }
    // a replay re-reads what was counted before the restart; a drop counts its own reason only
    if (mode === "replay") return;
    const c = this.#counters;
    if (mode === "drop") {
      c.add(SLOT.droppedBacklog, tally[SLOT.droppedBacklog]);
      return;
    }
    for (const slot of TALLIED) c.add(slot, tally[slot]);
    if (tally.highest / 1000 > c.get(SLOT.highestIn)) c.set(SLOT.highestIn, tally.highest / 1000);
  }

  /** Reads up to `target` (a record end) without sending: the table catches up. */
  #replayTo(target: WalPosition): void {
    while (comparePositions(this.#position, target) < 0) {
      const r = this.#peek();
      if (r === null || comparePositions(r.end, target) > 0) break;
      this.#consume(this.#take(), "replay", null);
    }
  }

  /** Rebuilds a block position.json recorded, exactly, and queues its unanswered requests. */
  #rebuild(record: BlockRecord): void {
    this.#replayTo(record.from);
    const block = new Block(this.#position, record);
    while (comparePositions(this.#position, record.to) < 0) {
      const r = this.#peek();
      if (r === null || comparePositions(r.end, record.to) > 0) break;
      this.#consume(this.#take(), "send", block);
      block.to = this.#position;
    }
    for (const i of record.done) block.done.add(i);
    block.barrier = this.#lastShards !== 0 && block.shards !== this.#lastShards;
    this.#lastShards = block.shards;
    this.#shards = block.shards;
    this.#blocks.push(block);
    if (!block.complete) this.#queue.add(block);
  }

  // ---------------------------------------------------------------------------------------
  // the main loop

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        await this.#step();
      } catch (err) {
        log.error("remote write loop failed; retrying in a second", { remote: this.name, err });
        await this.#sleep(1000);
      }
    }
  }

  /** One round: checks, then reads into the open block, cuts it, or waits. */
  async #step(): Promise<void> {
    const now = performance.now();
    if (now - this.#lastBacklogCheck >= BACKLOG_CHECK_MS) {
      this.#lastBacklogCheck = now;
      await this.#checkBacklog();
      this.#gauges();
    }
    const pending = this.#pendingSamples();
    const capacity = this.#cfg.capacity * this.#shards;
    const full = pending >= capacity; // Prometheus' capacity: samples queued per shard
    const every = full ? RESHARD_BUSY_INTERVAL_MS : RESHARD_INTERVAL_MS;
    if (now - this.#lastReshard >= every) this.#reshard(now);
    if (full) {
      await this.#queue.changed(1000, this.#halt.signal);
      return;
    }
    const block = this.#open ??= this.#newBlock();
    // a full request per shard: small blocks keep every shard busy from the first sample read
    const target = block.shards * block.maxSamplesPerSend;
    let caughtUp = false;
    while (block.samples < target) {
      const r = this.#peek();
      if (r === null) {
        caughtUp = true;
        break;
      }
      this.#consume(this.#take(), "send", block);
      block.to = this.#position;
    }
    if (comparePositions(this.#position, block.to) > 0 && block.samples === 0) {
      block.to = this.#position; // a finished segment passed with nothing to send
    }
    if (!caughtUp) {
      this.#cut();
      // let the block's requests go out (and answers come in) before reading the next one
      await yieldToEventLoop();
      return;
    }
    if (block.samples === 0) {
      if (comparePositions(block.to, block.from) > 0) this.#cut();
      if (this.#draining && this.#blocks.length === 0) {
        await this.#sleep(20);
        return;
      }
      await this.#waitForLog(1000);
      return;
    }
    const due = block.firstAt + this.#cfg.batchSendDeadline - performance.now();
    if (due <= 0 || this.#draining) {
      this.#cut();
      return;
    }
    await this.#waitForLog(Math.min(due, 1000));
  }

  /** Waits until the log's end moves, `ms` pass or stop() is called. */
  #waitForLog(ms: number): Promise<void> {
    return this.#opts.log.changed(ms, this.#halt.signal);
  }

  /** Sleeps `ms`, or less when stop() is called. */
  #sleep(ms: number): Promise<void> {
    return wait(ms, { signal: this.#halt.signal });
  }

  #newBlock(): Block {
    const block = new Block(this.#position, {
      shards: this.#shards,
      maxSamplesPerSend: this.#cfg.maxSamplesPerSend,
      room: Math.min(this.#cfg.capacity, Math.ceil(this.#lastFullest * 1.25)),
    });
    block.barrier = this.#lastShards !== 0 && block.shards !== this.#lastShards;
    return block;
  }

  /** Closes the open block: recorded in position.json, then queued (or settled if empty). */
  #cut(): void {
    const block = this.#open!;
    this.#open = null;
    this.#lastShards = block.shards;
    this.#lastFullest = block.fullest;
    this.#forgetDeadSeries();
    const now = performance.now();
    if (now - this.#lastSnapshotAt >= SNAPSHOT_INTERVAL_MS && !block.to.checkpoint) {
      this.#lastSnapshotAt = now;
      block.snapshot = this.#snapshotBytes(block.to);
    }
    this.#blocks.push(block);
    if (block.samples === 0) {
      this.#settle();
      this.#persistSoon();
      return;
    }
    this.#persist().then(() => {
      if (!this.#stopping || this.#draining) this.#queue.add(block);
    });
  }

  /** Moves the acknowledged position over the complete blocks at the front. */
  #settle(): void {
    while (this.#blocks.length > 0 && this.#blocks[0].complete) {
      const b = this.#blocks.shift()!;
      this.#queue.remove(b);
      this.#setAcked(b.to);
      if (b.snapshot) this.#pendingSnapshot = { position: b.to, bytes: b.snapshot };
    }
  }

  #setAcked(p: WalPosition): void {
    this.#acked = p;
    this.#counters.set(SLOT.ackedSegment, p.segment);
    this.#counters.set(SLOT.ackedOffset, p.offset);
  }

  #pendingSamples(): number {
    let n = this.#open?.samples ?? 0;
    for (const b of this.#blocks) {
      if (b.done.size === 0) {
        n += b.samples;
        continue;
      }
      for (const r of b.requests()) if (!b.done.has(r.index)) n += r.to - r.from;
    }
    return n;
  }

  #gauges(): void {
    const c = this.#counters;
    c.set(SLOT.samplesPending, this.#pendingSamples());
    c.set(SLOT.shards, this.#shards);
    c.set(SLOT.series, this.#table.size);
    c.set(SLOT.readSegment, this.#position.segment);
  }

  // ---------------------------------------------------------------------------------------
  // state on disk

  /** Resolves once position.json holds the state as of this call (writes are coalesced). */
  #persist(): Promise<void> {
    clearTimeout(this.#soon);
    this.#soon = undefined;
    const gen = ++this.#requested;
    const done = new Promise<void>((resolve) => this.#waiters.push({ gen, resolve }));
    if (!this.#writing) this.#writeLoop();
    return done;
  }

  /**
   * Persists within ANSWERS_PERSIST_MS: answers and acknowledgements need not wait for a write
   * each (the position on disk is only ever behind), while a new block is written at once.
   */
  /** Runs state writes one at a time (two writers of one .tmp file would mix their bytes). */
  #serial(write: () => Promise<void>): Promise<void> {
    const next = this.#io.then(write);
    this.#io = next.catch(() => {});
    return next;
  }

  #persistSoon(): void {
    this.#soon ??= setTimeout(() => this.#persist(), ANSWERS_PERSIST_MS);
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#completed < this.#requested) {
        const gen = this.#requested;
        const acked = this.#acked;
        const blocks = this.#blocks.filter((b) => b.samples > 0).map((b) => b.record());
        try {
          await this.#serial(() => this.#store.writePosition({ acked, blocks }));
          this.#counters.add(SLOT.stateWrites, 1);
        } catch (err) {
          this.#counters.add(SLOT.stateWriteFailures, 1);
          log.error("cannot write the remote's position.json; retrying", {
            remote: this.name,
            err,
          });
          await this.#sleep(1000);
          continue;
        }
        this.#completed = gen;
        this.#waiters = this.#waiters.filter((w) => {
          if (w.gen > gen) return true;
          w.resolve();
          return false;
        });
        const snap = this.#pendingSnapshot;
        if (snap && comparePositions(snap.position, acked) <= 0) {
          this.#pendingSnapshot = null;
          await this.#writeSnapshot(snap);
        }
      }
    } finally {
      this.#writing = false;
    }
  }

  async #writeSnapshot(snap: { position: WalPosition; bytes: Uint8Array }): Promise<void> {
    try {
      await this.#serial(() => this.#store.writeSnapshot(snap.bytes));
      this.#counters.add(SLOT.stateWrites, 1);
      this.#onDisk = snap.position;
      this.#hold();
    } catch (err) {
      this.#counters.add(SLOT.stateWriteFailures, 1);
      log.error("cannot write the remote's snapshot; the log is kept from the last one", {
        remote: this.name,
        err,
      });
    }
  }

  #snapshotBytes(position: WalPosition): Uint8Array {
    return this.#store.encodeSnapshot({ position, series: this.#table.rows() });
  }

  #hold(): void {
    const segment = segmentNeeded(this.#onDisk);
    this.#counters.set(SLOT.holdSegment, segment);
    this.#opts.hold(segment);
  }

  /** Forgets series a checkpoint the reader has passed shows the head dropped. */
  #forgetDeadSeries(): void {
    const p = this.#position;
    if (p.checkpoint || p.segment === this.#gcSegment) return;
    this.#gcSegment = p.segment;
    const cp = lastCheckpoint(this.#opts.walDir);
    if (!cp || cp.index >= p.segment || cp.index <= this.#forgotten) return;
    const live = this.#watcher.checkpointRefs(cp.index);
    if (live === null) return;
    this.#forgotten = cp.index;
    const n = this.#table.forgetExcept(live, cp.index);
    if (n > 0) log.debug("forgot series the head dropped", { remote: this.name, series: n });
  }

  // ---------------------------------------------------------------------------------------
  // backlog and shards

  /** Updates the backlog gauge; past max-backlog or max-backlog-age, drops the oldest data. */
  async #checkBacklog(): Promise<void> {
    const segments = listSegments(this.#opts.walDir);
    const end = this.#opts.log.end();
    const acked = this.#acked;
    let backlog = 0;
    for (const s of segments) {
      if (s.index < acked.segment || (s.index === acked.segment && acked.checkpoint)) continue;
      const size = s.index === end.segment ? end.offset : s.size;
      backlog += Math.max(0, size - (s.index === acked.segment ? acked.offset : 0));
    }
    this.#counters.set(SLOT.backlogBytes, backlog);
    const hold = segmentNeeded(this.#onDisk);
    const kept = segments.filter((s) => s.index >= hold && s.index < end.segment);
    const maxBytes = this.#cfg.maxBacklog > 0 ? this.#cfg.maxBacklog : Infinity;
    const maxAge = this.#cfg.maxBacklogAge;
    let total = kept.reduce((n, s) => n + s.size, 0) + end.offset;
    let target = hold;
    for (const s of kept) {
      const tooOld = maxAge > 0 && Date.now() - this.#mtime(s.path) > maxAge;
      if (total <= maxBytes && !tooOld) break;
      total -= s.size;
      target = s.index + 1;
    }
    if (target > hold) await this.#dropTo(target, total);
  }

  #mtime(path: string): number {
    try {
      return Deno.statSync(path).mtime?.getTime() ?? Date.now();
    } catch {
      return Date.now();
    }
  }

  /**
   * Gives up, for this remote only, everything before segment `target`: requests in flight and
   * queued are dropped, the segments read for their series only, the acknowledged position and
   * a snapshot set at the new start.
   */
  async #dropTo(target: number, keptBytes: number): Promise<void> {
    const from = this.#acked;
    log.error("max-backlog reached: dropping this remote's oldest data", {
      remote: this.name,
      from: formatPosition(from),
      to: formatPosition(segmentStart(target)),
      maxBacklog: this.#cfg.maxBacklog,
      maxBacklogAge: this.#cfg.maxBacklogAge,
      keptBytes,
    });
    await this.#queue.stop();
    this.#queue = this.#newQueue();
    let lost = this.#open?.samples ?? 0;
    for (const b of this.#blocks) {
      for (const r of b.requests()) if (!b.done.has(r.index)) lost += r.to - r.from;
    }
    this.#counters.add(SLOT.droppedBacklog, lost);
    this.#blocks = [];
    this.#open = null;
    const skippedFrom = this.#position;
    while (true) {
      const r = this.#peek();
      if (r === null || r.end.segment >= target) break;
      this.#consume(this.#take(), "drop", null);
      if (this.#at === this.#buffered.length) await this.#sleep(0); // let other remotes run
    }
    this.#counters.add(SLOT.skippedSegments, Math.max(0, target - skippedFrom.segment));
    this.#seek(segmentStart(target));
    this.#setAcked(this.#position);
    await this.#persist();
    await this.#writeSnapshot({ position: this.#acked, bytes: this.#snapshotBytes(this.#acked) });
  }

  /** Prometheus' rule, simplified: shards enough to send what comes in, and the backlog within RESHARD_DRAIN_S. */
  #reshard(now: number): void {
    const c = this.#counters;
    const base = this.#reshardBase;
    const seconds = (now - base.at) / 1000;
    const sent = c.get(SLOT.samplesSent) - base.sent;
    const busy = c.get(SLOT.sendSeconds) - base.seconds;
    const backlog = c.get(SLOT.backlogBytes) / WAL_BYTES_PER_SAMPLE;
    // what came into the log: what was sent plus what the backlog grew by
    const inRate = Math.max(0, (sent + backlog - base.backlog) / seconds);
    this.#lastReshard = now;
    if (sent === 0 && base.at !== 0) return; // nothing answered yet: measure over a longer span
    this.#reshardBase = {
      at: now,
      backlog,
      sent: c.get(SLOT.samplesSent),
      seconds: c.get(SLOT.sendSeconds),
    };
    if (base.at === 0 || this.#queue.failing) return;
    const perSample = busy / sent;
    const wanted = Math.ceil(perSample * (inRate + backlog / RESHARD_DRAIN_S) * 1.1);
    const desired = Math.min(this.#cfg.maxShards, Math.max(this.#cfg.minShards, wanted));
    c.set(SLOT.shardsDesired, desired);
    const behind = backlog > inRate * 10; // Prometheus: never fewer shards while > 10 s behind
    if (desired < this.#shards && behind) return;
    if (Math.abs(desired - this.#shards) > 0.3 * this.#shards) {
      log.info("resharding", { remote: this.name, from: this.#shards, to: desired });
      this.#shards = desired;
    }
  }
}
