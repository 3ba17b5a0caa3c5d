// The persister: takes series from the writeout queue, pops their points out of the cache and
// writes them in batches to Whisper files: on the main thread while the backlog is small, in up
// to `[whisper] workers` worker threads under a backlog (writer_slot.ts); idle workers end.
// A series is confirmed (its points released from the cache) only once its write succeeded; a
// failed write is counted, logged with its path, and retried with backoff while the series'
// points stay readable and count against the cache limit; the other series keep flowing. A
// series failing for good is given up after a few attempts (failed_series.ts): its points are
// dropped and counted, its new ones refused, until a re-check (rescan, SIGHUP) finds it writable.

import { wait } from "../async/wait.ts";
import { Logger, RateLimiter } from "../log/logger.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { WasmDrain, WriteStrategy } from "../wasm/drain.ts";
import { parseRules } from "./whisper_writer.ts";
import {
  attemptsBeforeDrop,
  DROP_REASONS,
  type DropReason,
  FailedSeries,
} from "./failed_series.ts";
import {
  type BatchResult,
  type InitMessage,
  type RuleFiles,
  STATUS_CREATED,
  STATUS_FAILED,
  type WriteBatch,
  type WriteError,
  type WriteErrorReason,
} from "./write_batch.ts";
import { REBUILD_INTERVAL_MS, WriteoutQueue } from "./writeout_queue.ts";
import { CreateThrottle } from "./create_throttle.ts";
import { InlineSlot, type SlotEvents, WorkerSlot, type WriterSlot } from "./writer_slot.ts";

const log = new Logger("persister");

/** Series and points per batch sent to a worker. */
const BATCH_SERIES = 256;
const BATCH_POINTS = 65_536;
/** Series per batch written on the main thread: a few milliseconds of file calls. */
const INLINE_BATCH_SERIES = 64;
/**
 * A backlog, which goes to worker threads: more series waiting in the writeout queue than
 * this, or more points in the cache than one worker batch holds.
 */
const INLINE_MAX_BACKLOG_SERIES = 1024;
const INLINE_MAX_BACKLOG_POINTS = BATCH_POINTS;
/**
 * A worker with no batch for this long ends (its isolate is about 13 MB). Longer than the
 * 10-60 s between two sends of a carbon client, so that periodic bursts keep their workers.
 */
const WORKER_IDLE_MS = 300_000;
/** Batches a worker may hold at once: one being written, one waiting. */
const INFLIGHT_PER_WORKER = 2;
/** Retry backoff of a failed series: doubling from the first to the last. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;
/** While flushing for a stop, failed series are retried this often instead. */
const FLUSH_RETRY_MS = 100;
const REASONS: WriteErrorReason[] = [
  "corrupt",
  "no_space",
  "permission",
  "bad_path",
  "too_long",
  "io",
];

/**
 * What the persister asks before writing a series whose file might not exist: the name index
 * over the data directory (src/index/disk_scan.ts).
 */
export interface KnownFiles {
  /** True once the whole data directory has been scanned. */
  readonly ready: boolean;
  has(name: string): boolean;
  /** Called for every file the persister creates. */
  add(name: string): void;
  /** Called for every other successful write (the [tags] sender re-sends every Nth). */
  updated?(name: string): void;
}

/** Options of {@linkcode Persister}. */
export interface PersisterOptions {
  dataDir: string;
  workers: number;
  /** go-carbon's global throttle on update operations; 0: none. */
  maxUpdatesPerSecond: number;
  /** New files per second (`[carbonserver] max-creates-per-second`); 0 or absent: none. */
  maxCreatesPerSecond?: number;
  /** Past maxCreatesPerSecond, drop a new series' points instead of keeping them for later. */
  hardMaxCreatesPerSecond?: boolean;
  sparseCreate: boolean;
  flock: boolean;
  removeEmptyFile: boolean;
  /** Tagged series in files named by a hash (`[whisper] hash-filenames`; default true). */
  hashFilenames?: boolean;
  /** storage-schemas.conf and storage-aggregation.conf, read by readRuleFiles(). */
  rules: RuleFiles;
  strategy: WriteStrategy;
  /** The name index: lets new files be created without first failing to open them. */
  files?: KnownFiles;
  /** A worker thread with no batch for this long ends; default 5 minutes. */
  workerIdleMs?: number;
}

interface Retry {
  series: number;
  name: string;
  timestamps: Uint32Array;
  values: Float64Array;
  attempts: number;
  due: number;
}

/**
 * A batch in flight; its points stay here until the result comes (the worker got a copy). A
 * probe is a batch of failed series with no points: it only opens or creates their files.
 */
interface Sent {
  probe?: boolean;
  series: number[];
  retries: (Retry | undefined)[];
  names: string[];
  counts: Uint32Array;
  timestamps: Uint32Array;
  values: Float64Array;
}

type Slot = WriterSlot<Sent>;

/**
 * Reads and checks the rule files; throws naming the config key and the file, or the file, line
 * and problem.
 */
export function readRuleFiles(schemasFile: string, aggregationFile: string): RuleFiles {
  const read = (key: string, file: string) => {
    try {
      return Deno.readTextFileSync(file);
    } catch (err) {
      const Class = (err as Error).constructor as ErrorConstructor;
      throw new Class(`Cannot read ${key} "${file}": ${(err as Error).message}`, { cause: err });
    }
  };
  const rules: RuleFiles = {
    schemas: schemasFile
      ? { file: schemasFile, text: read("whisper.schemas-file", schemasFile) }
      : null,
    aggregation: aggregationFile
      ? { file: aggregationFile, text: read("whisper.aggregation-file", aggregationFile) }
      : null,
  };
  parseRules(rules); // throws with the file, line and problem
  return rules;
}

/** Writes the cache to Whisper files. */
export class Persister implements StatSource {
  readonly queue: WriteoutQueue;
  #cache: WasmDrain;
  #opts: PersisterOptions;
  #rules: RuleFiles;
  #inline?: InlineSlot<Sent>;
  #workers: WorkerSlot<Sent>[] = [];
  #workersStarted = 0;
  #retries: Retry[] = [];
  #nextId = 1;
  #running = false;
  #flushing = false;
  #loop?: Promise<void>;
  #kick?: () => void;
  #idle?: () => void;
  #tokens = 0;
  #tokensAt = 0;
  #stagingTs = new Uint32Array(BATCH_POINTS);
  #stagingValues = new Float64Array(BATCH_POINTS);
  #errorLog = new RateLimiter(10, 10_000);
  #dropLog = new RateLimiter(10, 10_000);
  #failed: FailedSeries;
  #dropped: Record<DropReason, number> = { too_long: 0, bad_path: 0, corrupt: 0, permission: 0 };
  #creates: CreateThrottle;
  #createLog = new RateLimiter(10, 10_000);
  #throttledCreates = 0;
  #throttledDroppedPoints = 0;
  #committedPoints = 0;
  #updates = 0;
  #created = 0;
  #errors: Record<WriteErrorReason, number> = {
    corrupt: 0,
    no_space: 0,
    permission: 0,
    bad_path: 0,
    too_long: 0,
    io: 0,
  };

  constructor(cache: WasmDrain, opts: PersisterOptions) {
    this.#cache = cache;
    this.#opts = opts;
    this.queue = new WriteoutQueue(cache, opts.strategy);
    this.#rules = opts.rules;
    this.#failed = new FailedSeries(cache);
    this.#creates = new CreateThrottle({
      perSecond: opts.maxCreatesPerSecond ?? 0,
      hard: opts.hardMaxCreatesPerSecond ?? false,
    });
  }

  /** Starts the dispatch loop; worker threads start when a backlog calls for them. */
  start(): void {
    this.#inline = new InlineSlot<Sent>(this.#init(), this.#events(() => this.#inline!));
    this.#running = true;
    this.#tokens = this.#opts.maxUpdatesPerSecond;
    this.#tokensAt = performance.now();
    this.#loop = this.#run();
  }

  #init(): InitMessage {
    return {
      type: "init",
      dataDir: this.#opts.dataDir,
      sparse: this.#opts.sparseCreate,
      flock: this.#opts.flock,
      removeEmptyFile: this.#opts.removeEmptyFile,
      hashFilenames: this.#opts.hashFilenames ?? true,
      rules: this.#rules,
    };
  }

  #events(slot: () => Slot): SlotEvents {
    return {
      result: (result) => this.#onResult(slot(), result),
      crash: (message) => this.#onCrash(slot(), message),
    };
  }

  #spawn(): WorkerSlot<Sent> {
    const slot: WorkerSlot<Sent> = new WorkerSlot<Sent>(this.#init(), this.#events(() => slot));
    this.#workers.push(slot);
    this.#workersStarted++;
    return slot;
  }

  /** The main thread's writer and every worker. */
  #slots(): Slot[] {
    return this.#inline ? [this.#inline, ...this.#workers] : [...this.#workers];
  }

  /** Takes new storage rules (SIGHUP): files created from now on follow them. */
  setRules(rules: RuleFiles): void {
    this.#rules = rules;
    for (const slot of this.#slots()) slot.post({ type: "rules", rules });
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const waitMs = this.#dispatch();
      this.#endIdleWorkers();
      if (this.#idleNow()) this.#idle?.();
      await wait(waitMs, {
        onWake: (kick) => {
          this.#kick = kick;
          return () => this.#kick = undefined;
        },
      });
    }
  }

  /** Sends batches while writers have room; returns how long until it is worth looking again. */
  #dispatch(): number {
    while (true) {
      const slot = this.#pick();
      if (slot === null) return Infinity; // a result will kick us
      const batch = this.#buildBatch(slot);
      if (batch === null) break;
    }
    const now = performance.now();
    let wait = this.queue.msUntilRebuild() || REBUILD_INTERVAL_MS;
    for (const r of this.#retries) wait = Math.min(wait, Math.max(0, r.due - now));
    if (this.#throttled() && this.#tokens < 1) {
      wait = Math.max(wait, (1 - this.#tokens) * 1000 / this.#opts.maxUpdatesPerSecond);
    }
    return wait;
  }

  /**
   * Where the next batch goes: the main thread while the backlog is small (one batch at a time),
   * else the least busy worker, starting one more (up to whisper.workers) when all are full;
   * null when every writer that may take it is full.
   */
  #pick(): Slot | null {
    const inline = this.#inline!;
    const backlog = this.queue.length + this.#retries.length > INLINE_MAX_BACKLOG_SERIES ||
      this.#cache.counters().cachedPoints > INLINE_MAX_BACKLOG_POINTS;
    if (!backlog) return inline.inflight.size === 0 ? inline : null;
    const worker = this.#leastBusy();
    if (worker && worker.inflight.size < INFLIGHT_PER_WORKER) return worker;
    if (this.#workers.length < this.#opts.workers) return this.#spawn();
    return null;
  }

  /** The worker with the fewest batches in flight, if any runs. */
  #leastBusy(): WorkerSlot<Sent> | undefined {
    if (this.#workers.length === 0) return undefined;
    return this.#workers.reduce((a, b) => (b.inflight.size < a.inflight.size ? b : a));
  }

  /** Ends the workers that have had no batch for workerIdleMs. */
  #endIdleWorkers(): void {
    const before = performance.now() - (this.#opts.workerIdleMs ?? WORKER_IDLE_MS);
    this.#workers = this.#workers.filter((w) => {
      if (w.inflight.size > 0 || w.lastResult > before) return true;
      w.terminate();
      return false;
    });
  }

  #throttled(): boolean {
    return this.#opts.maxUpdatesPerSecond > 0 && !this.#flushing;
  }

  /** Takes one update from the max-updates-per-second budget (a token bucket of one second). */
  #takeToken(): boolean {
    if (!this.#throttled()) return true;
    const now = performance.now();
    const rate = this.#opts.maxUpdatesPerSecond;
    this.#tokens = Math.min(rate, this.#tokens + ((now - this.#tokensAt) * rate) / 1000);
    this.#tokensAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }

  /** Builds and sends one batch to `slot`; null when there is nothing to send now. */
  #buildBatch(slot: Slot): Sent | null {
    const maxSeries = slot.inline ? INLINE_BATCH_SERIES : BATCH_SERIES;
    const sent: Sent = {
      series: [],
      retries: [],
      names: [],
      counts: new Uint32Array(0),
      timestamps: new Uint32Array(0),
      values: new Float64Array(0),
    };
    const counts: number[] = [];
    let used = 0;
    const now = performance.now();
    const add = (series: number, name: string, n: number, retry?: Retry) => {
      sent.series.push(series);
      sent.names.push(name);
      sent.retries.push(retry);
      counts.push(n);
      used += n;
    };
    for (let i = 0; i < this.#retries.length && sent.series.length < maxSeries;) {
      const r = this.#retries[i];
      if (r.due > now || !this.#takeToken()) {
        i++;
        continue;
      }
      this.#retries.splice(i, 1);
      this.#reserve(used + r.timestamps.length);
      this.#stagingTs.set(r.timestamps, used);
      this.#stagingValues.set(r.values, used);
      add(r.series, r.name, r.timestamps.length, r);
    }
    while (sent.series.length < maxSeries && used < BATCH_POINTS && this.#takeToken()) {
      const series = this.queue.next();
      if (series === 0) {
        this.#tokens++;
        break;
      }
      if (this.#creates.enabled && !this.#flushing && !this.#mayCreate(series)) {
        this.#tokens++;
        continue;
      }
      const n = this.#cache.pop(series);
      if (n <= 0) continue; // emptied or busy since the snapshot
      this.#reserve(used + n);
      this.#cache.copyOut(n, this.#stagingTs, this.#stagingValues, used);
      add(series, this.#cache.seriesName(series), n);
    }
    if (sent.series.length === 0) return null;
    sent.counts = Uint32Array.from(counts);
    const files = this.#opts.files;
    const fresh = new Uint8Array(sent.names.length);
    if (files?.ready) sent.names.forEach((name, i) => fresh[i] = files.has(name) ? 0 : 1);
    sent.timestamps = this.#stagingTs.slice(0, used);
    sent.values = this.#stagingValues.slice(0, used);
    const id = this.#nextId++;
    const batch: WriteBatch = {
      type: "write",
      id,
      names: sent.names,
      counts: sent.counts,
      fresh,
      timestamps: sent.timestamps,
      values: sent.values,
    };
    slot.inflight.set(id, sent);
    slot.post(batch);
    return sent;
  }

  /**
   * max-creates-per-second, for a series about to be written: true when its file exists (or
   * may be created now); false when it waits for a later pass (soft) or its points were dropped
   * (hard). Only once the name index is complete: before, a new file cannot be told apart.
   */
  #mayCreate(series: number): boolean {
    const files = this.#opts.files;
    if (!files?.ready) return true;
    const name = this.#cache.seriesName(series);
    if (files.has(name)) return true;
    const verdict = this.#creates.take();
    if (verdict === "create") return true;
    this.#throttledCreates++;
    let dropped = 0;
    if (verdict === "drop") {
      dropped = this.#cache.dropPoints(series);
      this.#throttledDroppedPoints += dropped;
    }
    const suppressed = this.#createLog.allow();
    if (suppressed >= 0) {
      log.warn("metric creation throttled", {
        name,
        maxCreatesPerSecond: this.#opts.maxCreatesPerSecond,
        dropped: verdict === "drop",
        points: dropped,
        suppressed,
      });
    }
    return false;
  }

  #reserve(points: number): void {
    if (points <= this.#stagingTs.length) return;
    let size = this.#stagingTs.length;
    while (size < points) size *= 2;
    const ts = new Uint32Array(size);
    ts.set(this.#stagingTs);
    const values = new Float64Array(size);
    values.set(this.#stagingValues);
    this.#stagingTs = ts;
    this.#stagingValues = values;
  }

  #onResult(slot: Slot, result: BatchResult): void {
    const sent = slot.inflight.get(result.id);
    if (!sent) return;
    slot.inflight.delete(result.id);
    slot.lastResult = performance.now();
    if (sent.probe) {
      this.#onProbe(sent, result);
      this.#kick?.();
      return;
    }
    const errors = new Map(result.errors.map((e) => [e.index, e]));
    let off = 0;
    for (let i = 0; i < sent.series.length; i++) {
      const n = sent.counts[i];
      const error = errors.get(i);
      if (result.status[i] !== STATUS_FAILED) {
        this.#cache.confirm(sent.series[i]);
        this.#committedPoints += n;
        this.#updates++;
        if (result.status[i] === STATUS_CREATED) {
          this.#created++;
          this.#opts.files?.add(sent.names[i]);
        } else {
          this.#opts.files?.updated?.(sent.names[i]);
        }
      } else if (error) {
        this.#errors[error.reason]++;
        const previous = sent.retries[i];
        const attempts = (previous?.attempts ?? 0) + 1;
        if (attempts >= (attemptsBeforeDrop(error.reason) ?? Infinity)) {
          this.#giveUp(sent.series[i], sent.names[i], error, attempts);
          off += n;
          continue;
        }
        const delay = Math.min(
          this.#flushing ? FLUSH_RETRY_MS : RETRY_MAX_MS,
          RETRY_FIRST_MS * 2 ** (attempts - 1),
        );
        this.#retries.push({
          series: sent.series[i],
          name: sent.names[i],
          timestamps: sent.timestamps.subarray(off, off + n),
          values: sent.values.subarray(off, off + n),
          attempts,
          due: performance.now() + delay,
        });
        const suppressed = this.#errorLog.allow();
        if (suppressed >= 0) {
          log.error("cannot write whisper file; points kept for retry", {
            path: error.path,
            reason: error.reason,
            error: error.message,
            attempts,
            retryInMs: delay,
            suppressed,
          });
        }
      }
      off += n;
    }
    this.#kick?.();
  }

  /**
   * Gives a series up: its points (popped and cached) leave the cache and are counted by
   * reason, and it is remembered as failed so that new points for it are refused at once.
   */
  #giveUp(series: number, name: string, error: WriteError, attempts: number): void {
    const reason = error.reason as DropReason;
    const remembered = this.#failed.mark(name, { series, reason, path: error.path });
    const points = this.#cache.dropPoints(series);
    this.#dropped[reason] += points;
    const suppressed = this.#dropLog.allow();
    if (suppressed >= 0) {
      log.error("cannot write whisper file; points dropped, new ones refused until it can", {
        path: error.path,
        reason,
        error: error.message,
        attempts,
        points,
        remembered,
        suppressed,
      });
    }
  }

  /**
   * Tries the files of the series given up on again (on a rescan of the data directory, on
   * SIGHUP): a series whose file can now be opened or created takes points again.
   */
  recheckFailed(): void {
    if (!this.#running || this.#failed.size === 0) return;
    const names = this.#failed.names();
    // probes open or create files and write nothing: the main thread's writer takes them
    const slot = this.#inline!;
    for (let i = 0; i < names.length; i += INLINE_BATCH_SERIES) {
      const chunk = names.slice(i, i + INLINE_BATCH_SERIES);
      const id = this.#nextId++;
      const none = { counts: new Uint32Array(chunk.length), timestamps: new Uint32Array(0) };
      const values = new Float64Array(0);
      slot.inflight.set(id, {
        probe: true,
        series: [],
        retries: [],
        names: chunk,
        ...none,
        values,
      });
      slot.post({
        type: "write",
        id,
        names: chunk,
        fresh: new Uint8Array(chunk.length),
        ...none,
        values,
      });
    }
  }

  #onProbe(sent: Sent, result: BatchResult): void {
    for (let i = 0; i < sent.names.length; i++) {
      if (result.status[i] === STATUS_FAILED) continue;
      const name = sent.names[i];
      const failure = this.#failed.clear(name);
      if (result.status[i] === STATUS_CREATED) {
        this.#created++;
        this.#opts.files?.add(name);
      }
      log.info("whisper file writable again; taking points", {
        path: failure?.path,
        reason: failure?.reason,
      });
    }
  }

  /** A worker died: its batches go back as retries and a new worker takes its place. */
  /**
   * A writer failed as a whole (a worker crashed, or the main thread's writer threw): its
   * batches go back as retries; a crashed worker ends, and a backlog starts a new one.
   */
  #onCrash(slot: Slot, message: string): void {
    log.error("whisper writer crashed; its batches will be retried", {
      error: message,
      thread: slot.inline ? "main" : "worker",
    });
    slot.terminate();
    for (const [id, sent] of [...slot.inflight]) {
      this.#onResult(slot, {
        type: "done",
        id,
        status: new Uint8Array(sent.series.length).fill(STATUS_FAILED),
        errors: sent.series.map((_, index) => ({ index, reason: "io", path: "", message })),
      });
    }
    this.#workers = this.#workers.filter((w) => w !== slot);
    this.#kick?.();
  }

  #idleNow(): boolean {
    if (this.#retries.length > 0 || this.#slots().some((s) => s.inflight.size > 0)) return false;
    const c = this.#cache.counters();
    return c.cachedPoints === 0 && c.notConfirmed === 0;
  }

  /**
   * Writes everything in the cache, waiting at most `timeoutMs`: the max-updates-per-second
   * throttle is lifted and failed series are retried every 100 ms. Resolves true once the cache
   * is empty.
   */
  async flush(timeoutMs: number): Promise<boolean> {
    this.#flushing = true;
    const soon = performance.now() + FLUSH_RETRY_MS;
    for (const r of this.#retries) r.due = Math.min(r.due, soon);
    try {
      const drained = new Promise<true>((resolve) => this.#idle = () => resolve(true));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<false>((resolve) =>
        timer = setTimeout(() => resolve(false), timeoutMs)
      );
      this.#kick?.();
      const ok = await Promise.race([drained, expired]);
      clearTimeout(timer);
      return ok;
    } finally {
      this.#idle = undefined;
      this.#flushing = false;
    }
  }

  /** Stops dispatching, waits for batches in flight, and ends the worker threads. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#kick?.();
    await this.#loop;
    while (this.#slots().some((s) => s.inflight.size > 0)) {
      await new Promise<void>((resolve) => this.#kick = resolve);
    }
    for (const slot of this.#slots()) slot.terminate();
    this.#workers = [];
    if (this.#retries.length > 0) {
      log.warn("stopping with series not written", { series: this.#retries.length });
    }
  }

  stat(send: StatSend): void {
    send({
      name: "carbonado_persisted_points_total",
      help: "Points committed to Whisper files.",
      type: "counter",
      value: this.#committedPoints,
      carbon: "persister.committedPoints",
    });
    send({
      name: "carbonado_whisper_updates_total",
      help: "Whisper update operations (one per series written).",
      type: "counter",
      value: this.#updates,
      carbon: "persister.updateOperations",
    });
    send({
      name: "carbonado_whisper_created_total",
      help: "Whisper files created.",
      type: "counter",
      value: this.#created,
      carbon: "persister.created",
    });
    for (const reason of REASONS) {
      send({
        name: "carbonado_whisper_errors_total",
        help: "Failed Whisper writes, by reason (the points are kept and retried).",
        type: "counter",
        value: this.#errors[reason],
        labels: { reason },
        carbon: `persister.errors.${reason}`,
      });
    }
    for (const reason of DROP_REASONS) {
      send({
        name: "carbonado_persist_dropped_points_total",
        help: "Points dropped from the cache because their series' file can never be written, " +
          "by reason.",
        type: "counter",
        value: this.#dropped[reason],
        labels: { reason },
        carbon: `persister.dropped.${reason}`,
      });
    }
    send({
      name: "carbonado_persister_failed_series",
      help: "Series given up on: their new points are refused until their file can be written.",
      type: "gauge",
      value: this.#failed.size,
      carbon: "persister.failedSeries",
    });
    send({
      name: "carbonado_whisper_creates_throttled_total",
      help: "New Whisper files held back by [carbonserver] max-creates-per-second.",
      type: "counter",
      value: this.#throttledCreates,
      carbon: "persister.throttledCreates",
    });
    send({
      name: "carbonado_whisper_creates_dropped_points_total",
      help: "Points of new series dropped by a hard max-creates-per-second.",
      type: "counter",
      value: this.#throttledDroppedPoints,
      carbon: "persister.throttledCreatesDroppedPoints",
    });
    send({
      name: "carbonado_persister_retry_series",
      help: "Series whose last write failed, waiting for a retry.",
      type: "gauge",
      value: this.#retries.length,
      carbon: "persister.retrySeries",
    });
    send({
      name: "carbonado_persister_workers",
      help: "Whisper writer threads running: none while the main thread keeps up, up to " +
        "[whisper] workers under a backlog.",
      type: "gauge",
      value: this.#workers.length,
      carbon: "persister.workers",
    });
    send({
      name: "carbonado_persister_workers_started_total",
      help: "Whisper writer threads started (each ends after 5 minutes without a batch).",
      type: "counter",
      value: this.#workersStarted,
      carbon: "persister.workersStarted",
    });
    send({
      name: "carbonado_persister_max_updates_per_second",
      help: "The update throttle ([whisper] max-updates-per-second), 0 when off.",
      type: "gauge",
      value: this.#opts.maxUpdatesPerSecond,
      carbon: "persister.maxUpdatesPerSecond",
    });
    this.queue.stat(send);
  }
}
