// Reads the write-ahead log by position for one remote, as Prometheus' wal.Watcher does but
// without its time filter: the checkpoint (only when the segments it stands for are gone, or at
// a remote's very first start), then each segment in order, then the live segment up to its
// committed end (told by the writer after every commit: no polling, no torn reads). A missing
// segment or checkpoint, or a torn or damaged tail of a closed segment, is reported so that the
// caller counts and logs what was skipped.

import { readRawRecords, visitRecord } from "../wal/reader.ts";
import {
  checkpointName,
  lastCheckpoint,
  listSegments,
  type SegmentFile,
  segmentName,
} from "../wal/segments.ts";
import type { WalCodec } from "../wasm/wal_codec.ts";
import { joinPath } from "../storage/path.ts";
import { comparePositions, segmentStart, type WalPosition } from "./position.ts";

/** The log's committed end: the live segment and the offset after its last complete write. */
export interface LogEnd {
  segment: number;
  offset: number;
}

/** A record read, with the position just past it. */
export interface PositionedRecord {
  end: WalPosition;
  bytes: Uint8Array;
}

/** A part of the log the watcher could not read and went past. */
export interface Skipped {
  from: WalPosition;
  to: WalPosition;
  reason: "missing" | "torn" | "damaged";
  /** Bytes skipped, when known. */
  bytes: number;
}

/** What one read found. */
export interface WatchRead {
  records: PositionedRecord[];
  skipped: Skipped[];
}

/** Reads one log directory by position. */
export class WalWatcher {
  readonly dir: string;
  #codec: WalCodec;
  #end: () => LogEnd;
  #position: WalPosition;

  constructor(opts: { dir: string; codec: WalCodec; end: () => LogEnd }) {
    this.dir = opts.dir;
    this.#codec = opts.codec;
    this.#end = opts.end;
    this.#position = segmentStart(0);
  }

  /** Where the next record starts. */
  get position(): WalPosition {
    return this.#position;
  }

  /** Moves to `p` (a record end, a segment start or a checkpoint start). */
  seek(p: WalPosition): void {
    this.#position = p;
  }

  /** The committed end now. */
  end(): LogEnd {
    return this.#end();
  }

  /**
   * Where a reader with no state starts: the newest checkpoint (the cache's unwritten points
   * when it was made), else the oldest segment, else the live one.
   */
  firstPosition(): WalPosition {
    const cp = lastCheckpoint(this.dir);
    if (cp) return { segment: cp.index, offset: 0, checkpoint: true };
    const oldest = listSegments(this.dir)[0];
    return segmentStart(oldest?.index ?? this.#end().segment);
  }

  /** True when the position is at the committed end. */
  caughtUp(): boolean {
    const end = this.#end();
    const p = this.#position;
    return !p.checkpoint && p.segment === end.segment && p.offset >= end.offset;
  }

  /**
   * The next complete records from the position, about `maxBytes` of them (more when a single
   * record is larger), and advances past them; no records when caught up.
   */
  read(maxBytes: number): WatchRead {
    const skipped: Skipped[] = [];
    for (let guard = 0; guard < 1_000_000; guard++) {
      const end = this.#end();
      const p = this.#position;
      if (!p.checkpoint && p.segment > end.segment) return { records: [], skipped };
      const file = this.#file(p);
      if (file === null) {
        const next = this.#afterMissing(p);
        // the live segment not created yet: nothing to read for now
        if (comparePositions(next, p) <= 0) return { records: [], skipped };
        skipped.push({ from: p, to: next, reason: "missing", bytes: 0 });
        this.#position = next;
        continue;
      }
      const live = !p.checkpoint && p.segment === end.segment;
      const limit = live ? end.offset : file.size;
      if (p.offset >= limit) {
        if (live) return { records: [], skipped };
        this.#position = this.#nextAfter(p);
        continue;
      }
      let budget = maxBytes;
      while (true) {
        const got = readRawRecords(this.#codec, file.path, {
          offset: p.offset,
          end: limit,
          maxBytes: budget,
        });
        if (got.records.length > 0) {
          const last = got.records.at(-1)!.end;
          if (got.damage > 0) {
            skipped.push({ from: p, to: { ...p, offset: last }, reason: "damaged", bytes: 0 });
          }
          this.#position = { ...p, offset: last };
          return {
            records: got.records.map((r) => ({ end: { ...p, offset: r.end }, bytes: r.bytes })),
            skipped,
          };
        }
        if (limit - p.offset > budget) {
          budget = limit - p.offset; // one record larger than the budget: read it whole
          continue;
        }
        break;
      }
      // nothing complete up to the limit
      if (live) return { records: [], skipped }; // cannot happen: the committed end is a record end
      const next = this.#nextAfter(p);
      skipped.push({ from: p, to: next, reason: "torn", bytes: limit - p.offset });
      this.#position = next;
    }
    throw new Error(`WAL watcher made no progress at segment ${this.#position.segment}`);
  }

  /** Bytes of log from the position to the committed end. */
  backlogBytes(): number {
    const end = this.#end();
    const p = this.#position;
    let total = 0;
    for (const s of listSegments(this.dir)) {
      if (s.index < p.segment || (s.index === p.segment && p.checkpoint)) continue;
      if (s.index > end.segment) break;
      const size = s.index === end.segment ? end.offset : s.size;
      total += Math.max(0, size - (s.index === p.segment ? p.offset : 0));
    }
    return total;
  }

  /**
   * The references listed by the Series records of `checkpoint.<index>`, or null when it is not
   * there (the live series when it was made: the others are gone for good).
   */
  checkpointRefs(index: number): Set<number> | null {
    const file = this.#file({ segment: index, offset: 0, checkpoint: true });
    if (file === null) return null;
    const refs = new Set<number>();
    const visitor = { series: (ref: number) => refs.add(ref), sample: () => {} };
    for (const r of readRawRecords(this.#codec, file.path).records) visitRecord(r.bytes, visitor);
    return refs;
  }

  /** The file a position is in, or null when it is gone. */
  #file(p: WalPosition): SegmentFile | null {
    const path = p.checkpoint
      ? joinPath(this.dir, checkpointName(p.segment), segmentName(0))
      : joinPath(this.dir, segmentName(p.segment));
    try {
      return { index: p.segment, path, size: Deno.statSync(path).size };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
  }

  /** Where reading goes on after the end of the file at `p`. */
  #nextAfter(p: WalPosition): WalPosition {
    return segmentStart(p.segment + 1);
  }

  /**
   * Where reading goes on when the file at `p` is gone: the next segment still there; when
   * none is left up to the newest checkpoint, that checkpoint (its points are what is left of
   * the gap); else the live segment.
   */
  #afterMissing(p: WalPosition): WalPosition {
    const missing = p.checkpoint ? p.segment + 1 : p.segment;
    const next = listSegments(this.dir).find((s) => s.index >= missing);
    const cp = lastCheckpoint(this.dir);
    if (cp && cp.index >= missing && (next === undefined || next.index > cp.index)) {
      const at: WalPosition = { segment: cp.index, offset: 0, checkpoint: true };
      if (comparePositions(at, p) > 0) return at;
    }
    return segmentStart(next?.index ?? Math.max(missing, this.#end().segment));
  }
}
