// The write-ahead log's writer: the live segment (opening for writing always starts a new one,
// as Prometheus does), one write per committed batch, fsync by the sync policy, segment cuts,
// checkpoints (the cache as records, tagged with the segment they cover) and truncation at the
// slowest reader, under a cap on the directory's size. The bytes come from src/wasm/.

import { joinPath } from "../storage/path.ts";
import { type AlignedInterval, alignedInterval } from "../clock/aligned_interval.ts";
import { Logger, RateLimiter } from "../log/logger.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import {
  checkpointName,
  lastCheckpoint,
  listSegments,
  segmentName,
  staleCheckpoints,
  syncDir,
} from "./segments.ts";

const log = new Logger("wal");

/** Options of {@linkcode Wal.open} (`[wal]`). */
export interface WalOptions {
  dir: string;
  /** fsync the live segment this often (ms); 0 fsyncs each write before it returns. */
  syncInterval: number;
  /** Largest segment in bytes, a multiple of 32 KiB. */
  segmentSize: number;
  /** Cap on the directory in bytes. */
  maxSize: number;
}

/** A reader of the log: the first segment index it still needs. */
export type ReaderPosition = () => number;

/**
 * Told the log's committed end (segment, offset) after every write and when a new segment
 * starts: how a reader tailing the live segment is woken instead of polling. Called
 * synchronously on the writer's path: keep it to a few stores.
 */
export type EndListener = (segment: number, offset: number) => void;

/** The log's writer. */
export class Wal implements StatSource {
  readonly dir: string;
  readonly segmentSize: number;
  #opts: WalOptions;
  #file?: Deno.FsFile;
  #index = -1;
  #offset = 0;
  #dirty = false;
  #closed = false;
  #syncTimer?: AlignedInterval;
  #readers = new Map<string, ReaderPosition>();
  #endListeners: EndListener[] = [];
  #errorLog = new RateLimiter(10, 10_000);
  #sinceCheckpoint = 0;
  #checkpointIndex = -1;
  #checkpointBytes = 0;
  // counters
  #bytes = 0;
  #writes = 0;
  #segments = 0;
  #fsyncs = 0;
  #fsyncSeconds = 0;
  #writeFailures = 0;
  #checkpoints = 0;
  #checkpointFailures = 0;
  #checkpointSeconds = 0;
  #truncated = 0;
  #capDroppedSegments = 0;
  #capDroppedPoints = 0;

  private constructor(opts: WalOptions) {
    this.#opts = opts;
    this.dir = opts.dir;
    this.segmentSize = opts.segmentSize;
  }

  /**
   * Opens the log directory (created if missing; unfinished checkpoints removed). Nothing is
   * written until startWriting(): replay reads the directory first.
   */
  static open(opts: WalOptions): Wal {
    Deno.mkdirSync(opts.dir, { recursive: true });
    const wal = new Wal(opts);
    const cp = lastCheckpoint(opts.dir);
    for (const stale of staleCheckpoints(opts.dir, cp?.index ?? 0)) {
      Deno.removeSync(stale, { recursive: true });
    }
    if (cp) {
      wal.#checkpointIndex = cp.index;
      wal.#checkpointBytes = dirBytes(cp.path);
    }
    return wal;
  }

  /** Index of the live segment (-1 before startWriting()). */
  get segment(): number {
    return this.#index;
  }

  /** Write offset in the live segment. */
  get offset(): number {
    return this.#offset;
  }

  /** Bytes logged since the last checkpoint. */
  get sinceCheckpoint(): number {
    return this.#sinceCheckpoint;
  }

  /** Starts a new segment after every existing one, and the fsync timer. */
  startWriting(): void {
    const last = listSegments(this.dir).at(-1)?.index ?? -1;
    this.#openSegment(Math.max(last, this.#checkpointIndex) + 1);
    if (this.#opts.syncInterval > 0) {
      this.#syncTimer = alignedInterval(() => this.#syncSafely(), this.#opts.syncInterval);
    }
  }

  #openSegment(index: number): void {
    const path = joinPath(this.dir, segmentName(index));
    this.#file = Deno.openSync(path, { write: true, create: true, truncate: true });
    this.#index = index;
    this.#offset = 0;
    this.#segments++;
    syncDir(this.dir);
    this.#tellEnd();
  }

  #tellEnd(): void {
    for (const listener of this.#endListeners) listener(this.#index, this.#offset);
  }

  /**
   * Writes one batch's framed bytes at the live offset, with one write call (more only if the
   * kernel takes less), and fsyncs them first when sync-interval is 0. On failure the segment
   * is cut back to where it was, so no torn bytes stay, and the error is rethrown.
   */
  append(bytes: Uint8Array): void {
    if (this.#closed) throw new Error("Cannot write to a closed WAL");
    const start = this.#offset;
    if (!this.#file) {
      // a cut failed to open the next segment (a full disk?): try again now
      try {
        this.#openSegment(this.#index + 1);
      } catch (err) {
        this.#writeFailures++;
        throw err;
      }
    }
    const file = this.#file!;
    try {
      let done = 0;
      while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
      this.#offset += bytes.length;
      this.#dirty = true;
      if (this.#opts.syncInterval === 0) this.sync();
    } catch (err) {
      this.#writeFailures++;
      try {
        file.truncateSync(start);
        file.seekSync(start, Deno.SeekMode.Start);
        this.#offset = start;
      } catch (repair) {
        log.error("cannot cut a failed WAL write back", {
          segment: this.#index,
          offset: start,
          err: repair,
        });
        this.#offset = start;
        this.cut(); // the torn bytes stay behind in a closed segment: replay cuts them off
      }
      throw err;
    }
    this.#bytes += bytes.length;
    this.#sinceCheckpoint += bytes.length;
    this.#writes++;
    this.#tellEnd();
  }

  /** Counts points dropped because their batch could not be written, and logs (rate-limited). */
  failed(points: number, err: unknown): void {
    const suppressed = this.#errorLog.allow();
    if (suppressed >= 0) {
      log.error("cannot write to the WAL: batch dropped", {
        points,
        segment: this.#index,
        err,
        suppressed,
      });
    }
  }

  /** fsyncs the live segment if anything was written since the last fsync. */
  sync(): void {
    if (!this.#dirty || !this.#file) return;
    const t0 = performance.now();
    this.#file.syncDataSync();
    this.#fsyncSeconds += (performance.now() - t0) / 1000;
    this.#fsyncs++;
    this.#dirty = false;
  }

  #syncSafely(): void {
    try {
      this.sync();
    } catch (err) {
      if (this.#errorLog.allow() >= 0) log.error("cannot fsync the WAL", { err });
    }
  }

  /** Closes the live segment (fsynced) and starts the next one. */
  cut(): void {
    this.#closeSegment();
    this.#openSegment(this.#index + 1);
  }

  #closeSegment(): void {
    if (!this.#file) return;
    try {
      this.#dirty = true;
      this.sync();
    } finally {
      this.#file.close();
      this.#file = undefined;
    }
  }

  /** Adds a listener told the committed end after each write and each new segment. */
  onEnd(listener: EndListener): void {
    this.#endListeners.push(listener);
    if (this.#index >= 0) listener(this.#index, this.#offset);
  }

  /** Registers a reader: segments it still needs are kept (up to the size cap). */
  registerReader(name: string, position: ReaderPosition): void {
    this.#readers.set(name, position);
  }

  /**
   * Writes a checkpoint: cuts the live segment (closing segment N), writes `next()`'s parts
   * into `checkpoint.N.tmp/00000000`, fsyncs and renames it to `checkpoint.N`, removes older
   * checkpoints, then the segments up to N that no reader needs. `dropped` is what the
   * checkpoint left out for the size cap. Returns false when the checkpoint failed (logged;
   * the segments stay).
   */
  checkpoint(next: () => Uint8Array | null, dropped: () => number): boolean {
    if (this.#closed) return false;
    const t0 = performance.now();
    const covered = this.#index;
    const final = joinPath(this.dir, checkpointName(covered));
    const tmp = `${final}.tmp`;
    try {
      this.cut();
      Deno.removeSync(tmp, { recursive: true });
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        this.#checkpointFailures++;
        log.error("cannot start a WAL checkpoint", { checkpoint: covered, err });
        return false;
      }
    }
    try {
      Deno.mkdirSync(tmp);
      const file = Deno.openSync(joinPath(tmp, segmentName(0)), { write: true, createNew: true });
      let size = 0;
      try {
        for (let part = next(); part !== null; part = next()) {
          let done = 0;
          while (done < part.length) done += file.writeSync(part.subarray(done));
          size += part.length;
        }
        file.syncSync();
      } finally {
        file.close();
      }
      syncDir(tmp);
      Deno.renameSync(tmp, final);
      syncDir(this.dir);
      this.#checkpointIndex = covered;
      this.#checkpointBytes = size;
    } catch (err) {
      this.#checkpointFailures++;
      log.error("cannot write a WAL checkpoint; segments kept", { checkpoint: covered, err });
      try {
        Deno.removeSync(tmp, { recursive: true });
      } catch { /* nothing left to remove */ }
      return false;
    }
    const lost = dropped();
    if (lost > 0) {
      this.#capDroppedPoints += lost;
      log.error("wal.max-size reached: points left out of the checkpoint", {
        points: lost,
        maxSize: this.#opts.maxSize,
      });
    }
    for (const stale of staleCheckpoints(this.dir, covered)) {
      Deno.removeSync(stale, { recursive: true });
    }
    this.#sinceCheckpoint = 0;
    this.#checkpoints++;
    this.#checkpointSeconds += (performance.now() - t0) / 1000;
    this.#truncate();
    return true;
  }

  /** Deletes segments covered by the checkpoint that no reader needs, then any over the cap. */
  #truncate(): void {
    let keepFrom = this.#checkpointIndex + 1;
    for (const position of this.#readers.values()) keepFrom = Math.min(keepFrom, position());
    const segments = listSegments(this.dir);
    let total = this.#checkpointBytes + segments.reduce((sum, s) => sum + s.size, 0);
    for (const s of segments) {
      if (s.index >= this.#index) break;
      const overCap = total > this.#opts.maxSize && s.index <= this.#checkpointIndex;
      if (s.index >= keepFrom && !overCap) continue;
      Deno.removeSync(s.path);
      total -= s.size;
      this.#truncated++;
      if (s.index >= keepFrom) {
        this.#capDroppedSegments++;
        log.error("wal.max-size reached: a segment a reader still needed was deleted", {
          segment: s.index,
          bytes: s.size,
        });
      }
    }
  }

  /** Budget for a checkpoint's records: the cap less room for the live segment. */
  checkpointBudget(): number {
    return Math.max(2 ** 20, this.#opts.maxSize - this.segmentSize);
  }

  /** Bytes the directory holds: the checkpoint and the segments. */
  size(): number {
    return this.#checkpointBytes +
      listSegments(this.dir).reduce((sum, s) => sum + s.size, 0);
  }

  /** Stops the fsync timer, fsyncs and closes the live segment. */
  close(): void {
    this.#closed = true;
    this.#syncTimer?.stop();
    this.#closeSegment();
  }

  stat(send: StatSend): void {
    const counter = (name: string, help: string, value: number, carbon?: string) =>
      send({ name, help, type: "counter", value, carbon });
    send({
      name: "carbonado_wal_segment_current",
      help: "Index of the live WAL segment.",
      type: "gauge",
      value: this.#index,
      carbon: "wal.segmentCurrent",
    });
    send({
      name: "carbonado_wal_size_bytes",
      help:
        "Bytes the WAL directory holds: the checkpoint and the segments (bounded by wal.max-size).",
      type: "gauge",
      value: this.size(),
      carbon: "wal.sizeBytes",
    });
    counter(
      "carbonado_wal_bytes_total",
      "Bytes written to WAL segments.",
      this.#bytes,
      "wal.bytes",
    );
    counter(
      "carbonado_wal_writes_total",
      "Committed batches written to the WAL (one write each).",
      this.#writes,
      "wal.writes",
    );
    counter(
      "carbonado_wal_segments_created_total",
      "WAL segments started.",
      this.#segments,
      "wal.segmentsCreated",
    );
    counter(
      "carbonado_wal_fsyncs_total",
      "fsyncs of the live WAL segment.",
      this.#fsyncs,
      "wal.fsyncs",
    );
    counter(
      "carbonado_wal_fsync_duration_seconds_total",
      "Seconds spent in fsync of WAL segments.",
      this.#fsyncSeconds,
      "wal.fsyncSeconds",
    );
    counter(
      "carbonado_wal_write_failures_total",
      "WAL writes that failed (their batches were dropped and counted as wal_write).",
      this.#writeFailures,
      "wal.writeFailures",
    );
    counter(
      "carbonado_wal_checkpoints_total",
      "WAL checkpoints written.",
      this.#checkpoints,
      "wal.checkpoints",
    );
    counter(
      "carbonado_wal_checkpoint_failures_total",
      "WAL checkpoints that failed.",
      this.#checkpointFailures,
      "wal.checkpointFailures",
    );
    counter(
      "carbonado_wal_checkpoint_duration_seconds_total",
      "Seconds spent writing WAL checkpoints.",
      this.#checkpointSeconds,
      "wal.checkpointSeconds",
    );
    counter(
      "carbonado_wal_truncated_segments_total",
      "WAL segments deleted after a checkpoint.",
      this.#truncated,
      "wal.truncatedSegments",
    );
    counter(
      "carbonado_wal_cap_dropped_points_total",
      "Points left out of a checkpoint because of wal.max-size.",
      this.#capDroppedPoints,
      "wal.capDroppedPoints",
    );
    counter(
      "carbonado_wal_cap_dropped_segments_total",
      "Segments a reader still needed, deleted because of wal.max-size.",
      this.#capDroppedSegments,
      "wal.capDroppedSegments",
    );
  }
}

/** Bytes of the files directly in `dir`. */
function dirBytes(dir: string): number {
  let total = 0;
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile) total += Deno.statSync(joinPath(dir, e.name)).size;
  }
  return total;
}
