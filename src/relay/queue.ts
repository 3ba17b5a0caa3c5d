// One destination's queue: every line routed to the destination is written to its own log on
// disk before the relay counts it as received (segments in the WAL's page framing, src/wal/;
// one record per commit: docs/relay.md), and the newest records are also kept in memory up to
// `buffer-size`, where the sender takes them from; what memory no longer holds is read back from
// disk. Three positions move forward: written (the log's end), sent (handed to the socket) and
// acked (taken as delivered, persisted in `position.json`, what a restart resumes from).
// Segments wholly before the acked position are deleted; past `max-size` the oldest segment is
// deleted unsent, and its lines counted and logged as dropped.

import { joinPath } from "../storage/path.ts";
import { Logger, RateLimiter } from "../log/logger.ts";
import { readRawRecords } from "../wal/reader.ts";
import { listSegments, segmentName, syncDir } from "../wal/segments.ts";
import type { WalCodec } from "../wasm/wal_codec.ts";
import { MemoryRing } from "./memory_ring.ts";

const log = new Logger("relay");

/** Record type of a queue record: above Prometheus' record types (1-10), never confused. */
export const QUEUE_RECORD_TYPE = 64;
/** type u8, sequence number of the last line u64 BE, lines u32 BE. */
export const QUEUE_HEADER_BYTES = 13;
/** The file holding the acked position. */
export const POSITION_FILE = "position.json";

/** A place in the queue: the end of a record, and the number of lines up to it. */
export interface QueuePosition {
  /** Segment index. */
  segment: number;
  /** File offset just past the record. */
  offset: number;
  /** Lines the destination was given up to and including this record (1-based count). */
  seq: number;
}

/** A record of the queue. */
export interface QueueRecord {
  /** Sequence number of its last line. */
  seqEnd: number;
  lines: number;
  segment: number;
  /** File offset just past the record. */
  end: number;
  /** The lines, `\n`-terminated. */
  body: Uint8Array;
}

/** What append() writes: a block of lines that can copy itself and frame itself as a record. */
export interface RecordSource {
  lines: number;
  /** The lines (a view: copied into the memory buffer at once). */
  view(): Uint8Array;
  /** The record (`header` then the lines) framed for a segment at `offset`; null: no room. */
  frame(header: Uint8Array, offset: number, segmentSize: number): Uint8Array | null;
}

/** Options of {@linkcode DestinationQueue.open}. */
export interface QueueOptions {
  /** This destination's directory. */
  dir: string;
  /** Largest segment file, a multiple of 32 KiB. */
  segmentSize: number;
  /** Cap on the directory in bytes. */
  maxSize: number;
  /** Bytes of records kept in memory. */
  memoryBytes: number;
  /** fsync each append before it returns (sync-interval 0). */
  syncEach: boolean;
}

interface Segment {
  index: number;
  size: number;
  /** Sequence number before its first line, when known. */
  seqBefore?: number;
}

/** A destination's queue on disk and in memory. */
export class DestinationQueue {
  readonly dir: string;
  #opts: QueueOptions;
  #codec: WalCodec;
  #segments: Segment[] = [];
  #file?: Deno.FsFile;
  #dirty = false;
  #written = 0;
  #sent: QueuePosition;
  #acked: QueuePosition;
  #persisted: QueuePosition | null;
  #mem: MemoryRing;
  #diskBytes = 0;
  #errorLog = new RateLimiter(10, 10_000);
  /** Lines deleted unsent because of max-size. */
  droppedLines = 0;
  /** Lines missing from the log (damaged bytes). */
  damagedLines = 0;

  private constructor(opts: QueueOptions, codec: WalCodec) {
    this.dir = opts.dir;
    this.#opts = opts;
    this.#codec = codec;
    this.#mem = new MemoryRing(opts.memoryBytes);
    this.#sent = this.#acked = { segment: 0, offset: 0, seq: 0 };
    this.#persisted = null;
  }

  /**
   * Opens (or creates) the queue in `opts.dir`: finds where the log ends (a torn last record is
   * cut off), resumes from the persisted position, and starts a new segment for writing.
   */
  static open(opts: QueueOptions, codec: WalCodec): DestinationQueue {
    Deno.mkdirSync(opts.dir, { recursive: true });
    const q = new DestinationQueue(opts, codec);
    q.#load();
    return q;
  }

  #path(index: number): string {
    return joinPath(this.dir, segmentName(index));
  }

  #load(): void {
    const files = listSegments(this.dir);
    // empty segments (a start that wrote nothing) hold nothing: they go, their numbers stay used
    const lastIndex = files.at(-1)?.index ?? -1;
    for (const f of files) if (f.size === 0) Deno.removeSync(f.path);
    this.#segments = files.filter((f) => f.size > 0).map((f) => ({ index: f.index, size: f.size }));
    this.#diskBytes = this.#segments.reduce((sum, s) => sum + s.size, 0);
    const position = this.#readPosition();
    // where the log ends: the last record of the last segment holding one
    let written: number | null = null;
    for (let i = this.#segments.length - 1; i >= 0 && written === null; i--) {
      const s = this.#segments[i];
      const read = readRawRecords(this.#codec, this.#path(s.index));
      if (read.torn || read.goodEnd < s.size) {
        log.warn("cutting off a torn tail of a queue segment", {
          queue: this.dir,
          segment: s.index,
          at: read.goodEnd,
          bytes: s.size - read.goodEnd,
        });
        Deno.truncateSync(this.#path(s.index), read.goodEnd);
        this.#diskBytes -= s.size - read.goodEnd;
        s.size = read.goodEnd;
      }
      const last = read.records.at(-1);
      if (last) written = decodeHeader(last.bytes)?.seqEnd ?? null;
    }
    this.#written = written ?? position?.seq ?? 0;
    const first = this.#segments[0];
    if (position && (!first || position.segment >= first.index)) {
      this.#acked = position;
    } else {
      const seq = first ? this.#seqBefore(first) : this.#written;
      this.#acked = { segment: first?.index ?? 0, offset: 0, seq };
    }
    this.#persisted = position;
    this.#written = Math.max(this.#written, this.#acked.seq);
    this.#sent = this.#acked;
    // never reuse the number of a segment the position points into
    const acked = this.#acked;
    this.#openSegment(
      Math.max(lastIndex + 1, acked.offset > 0 ? acked.segment + 1 : acked.segment),
    );
  }

  #readPosition(): QueuePosition | null {
    let text: string;
    try {
      text = Deno.readTextFileSync(joinPath(this.dir, POSITION_FILE));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
    try {
      const p = JSON.parse(text);
      if ([p.segment, p.offset, p.seq].every((n) => Number.isSafeInteger(n) && n >= 0)) {
        return { segment: p.segment, offset: p.offset, seq: p.seq };
      }
    } catch { /* reported below */ }
    log.error("ignoring a damaged queue position: resending the whole queue", {
      queue: this.dir,
      file: POSITION_FILE,
    });
    return null;
  }

  #openSegment(index: number): void {
    this.#file = Deno.openSync(this.#path(index), { write: true, create: true, truncate: true });
    this.#segments.push({ index, size: 0, seqBefore: this.#written });
    syncDir(this.dir);
  }

  get #live(): Segment {
    return this.#segments.at(-1)!;
  }

  /** Lines written to the log so far (the sequence number of the last one). */
  get written(): number {
    return this.#written;
  }

  /** Where the sender is: lines handed to the connection. */
  get sent(): QueuePosition {
    return this.#sent;
  }

  /** Lines taken as delivered. */
  get acked(): QueuePosition {
    return this.#acked;
  }

  /** Lines written and not yet handed to the connection. */
  get pending(): number {
    return this.#written - this.#sent.seq;
  }

  /** Bytes of the segment files. */
  get diskBytes(): number {
    return this.#diskBytes;
  }

  /** Bytes of records held in memory. */
  get memoryBytes(): number {
    return this.#mem.bytes;
  }

  /**
   * Writes a record of `src`'s lines to the live segment (one write; a new segment when it does
   * not fit) and keeps its lines in memory. On a failed write the segment is cut back and the
   * error is rethrown: nothing of the record stays.
   */
  append(src: RecordSource): void {
    const seqEnd = this.#written + src.lines;
    const header = encodeHeader(seqEnd, src.lines);
    const size = this.#opts.segmentSize;
    let live = this.#live;
    let framed = src.frame(header, live.size, size);
    if (framed === null) {
      this.#cut();
      live = this.#live;
      framed = src.frame(header, 0, size);
      if (framed === null) {
        throw new RangeError(`A relay record is larger than segment-size ${size}`);
      }
    }
    const file = this.#file!;
    const start = live.size;
    try {
      let done = 0;
      while (done < framed.length) done += file.writeSync(framed.subarray(done));
      if (this.#opts.syncEach) file.syncDataSync();
    } catch (err) {
      try {
        file.truncateSync(start);
        file.seekSync(start, Deno.SeekMode.Start);
      } catch (repair) {
        log.error("cannot cut a failed queue write back", { queue: this.dir, err: repair });
        this.#cut(); // the torn bytes stay in a closed segment: a read stops before them
      }
      throw err;
    }
    live.size += framed.length;
    this.#diskBytes += framed.length;
    this.#dirty = !this.#opts.syncEach;
    this.#written = seqEnd;
    this.#mem.push(src.view(), { seqEnd, lines: src.lines, segment: live.index, end: live.size });
    this.#enforceCap();
  }

  /** Closes the live segment (fsynced) and starts the next. */
  #cut(): void {
    this.#closeFile();
    this.#openSegment(this.#live.index + 1);
  }

  #closeFile(): void {
    if (!this.#file) return;
    try {
      this.#file.syncDataSync();
    } finally {
      this.#file.close();
      this.#file = undefined;
      this.#dirty = false;
    }
  }

  /**
   * The records after the send position, up to about `maxBytes` of lines, from memory when it
   * still holds them and from disk when not; the send position moves past them. Bodies taken
   * from memory are views, valid until the next append(): copy them before awaiting.
   */
  take(maxBytes: number): QueueRecord[] {
    const out: QueueRecord[] = [];
    let bytes = 0;
    while (bytes < maxBytes && this.#sent.seq < this.#written) {
      const rec = this.#fromMemory(this.#sent.seq);
      const batch = rec ? [rec] : this.#fromDisk(this.#sent, maxBytes - bytes);
      if (batch.length === 0) {
        this.#skipLost();
        continue;
      }
      for (const r of batch) {
        const start = r.seqEnd - r.lines;
        if (r.seqEnd <= this.#sent.seq) continue;
        if (start > this.#sent.seq) this.#lost(start - this.#sent.seq, "damaged");
        out.push(r);
        bytes += r.body.length;
        this.#sent = { segment: r.segment, offset: r.end, seq: r.seqEnd };
      }
    }
    return out;
  }

  /** The record in memory starting right after line `seq`, if memory holds it. */
  #fromMemory(seq: number): QueueRecord | undefined {
    const r = this.#mem.find(seq);
    if (!r) return undefined;
    return {
      seqEnd: r.seqEnd,
      lines: r.lines,
      segment: r.segment,
      end: r.end,
      body: this.#mem.body(r),
    };
  }

  /** Records read from disk after `from`. */
  #fromDisk(from: QueuePosition, maxBytes: number): QueueRecord[] {
    let offset = from.offset;
    for (const s of this.#segments) {
      if (s.index < from.segment) continue;
      if (s.index > from.segment) offset = 0;
      if (offset >= s.size) continue;
      const read = readRawRecords(this.#codec, this.#path(s.index), { offset, maxBytes });
      const out: QueueRecord[] = [];
      for (const r of read.records) {
        const h = decodeHeader(r.bytes);
        if (h === null) continue;
        out.push({
          ...h,
          segment: s.index,
          end: r.end,
          body: r.bytes.subarray(QUEUE_HEADER_BYTES),
        });
      }
      if (out.length > 0) return out;
    }
    return [];
  }

  /** Nothing readable follows the send position although lines were written: skip them. */
  #skipLost(): void {
    const front = this.#mem.first;
    const frontStart = front ? front.seqEnd - front.lines : Infinity;
    if (front && frontStart > this.#sent.seq) {
      // memory holds what comes next; records before it on disk are skipped by their numbers
      this.#lost(frontStart - this.#sent.seq, "unreadable");
      this.#sent = { segment: front.segment, offset: 0, seq: frontStart };
      return;
    }
    this.#lost(this.#written - this.#sent.seq, "unreadable");
    const live = this.#live;
    this.#sent = { segment: live.index, offset: live.size, seq: this.#written };
  }

  #lost(lines: number, why: string): void {
    this.damagedLines += lines;
    if (this.#errorLog.allow() >= 0) {
      log.error("lines missing from a relay queue", { queue: this.dir, lines, why });
    }
  }

  /** Takes everything up to `pos` as delivered (never moves back). */
  ack(pos: QueuePosition): void {
    if (pos.seq <= this.#acked.seq) return;
    this.#acked = pos;
    this.#mem.dropThrough(pos.seq);
  }

  /** Moves the send position back to the acked one; returns the lines to be sent again. */
  rewind(): number {
    const lines = this.#sent.seq - this.#acked.seq;
    this.#sent = this.#acked;
    return lines;
  }

  /** fsyncs the live segment if anything was written since the last fsync. */
  sync(): void {
    if (!this.#dirty || !this.#file) return;
    this.#file.syncDataSync();
    this.#dirty = false;
  }

  /**
   * Writes the acked position (a new file renamed over the old) when it moved, then deletes the
   * segments wholly before it.
   */
  persist(): void {
    const p = this.#acked;
    const old = this.#persisted;
    if (old && old.segment === p.segment && old.offset === p.offset && old.seq === p.seq) return;
    const file = joinPath(this.dir, POSITION_FILE);
    Deno.writeTextFileSync(`${file}.tmp`, JSON.stringify(p));
    Deno.renameSync(`${file}.tmp`, file);
    this.#persisted = p;
    while (this.#segments.length > 1 && this.#segments[0].index < p.segment) {
      this.#deleteOldest();
    }
  }

  #deleteOldest(): Segment {
    const s = this.#segments.shift()!;
    Deno.removeSync(this.#path(s.index));
    this.#diskBytes -= s.size;
    return s;
  }

  /** Past max-size: deletes the oldest segments, counting the lines in them not yet acked. */
  #enforceCap(): void {
    while (this.#diskBytes > this.#opts.maxSize) {
      if (this.#segments.length === 1) this.#cut();
      const oldest = this.#segments[0];
      const next = this.#segments[1];
      const before = this.#seqBefore(oldest);
      const after = this.#seqBefore(next);
      this.#deleteOldest();
      const from = Math.max(before, this.#acked.seq);
      if (after > from) {
        this.droppedLines += after - from;
        const suppressed = this.#errorLog.allow();
        if (suppressed >= 0) {
          log.error("relay.max-size reached: oldest queued lines dropped", {
            queue: this.dir,
            lines: after - from,
            segment: oldest.index,
            maxSize: this.#opts.maxSize,
            suppressed,
          });
        }
      }
      if (this.#acked.seq < after || this.#acked.segment <= oldest.index) {
        this.#acked = { segment: next.index, offset: 0, seq: Math.max(after, this.#acked.seq) };
        this.ack(this.#acked);
      }
      if (this.#sent.seq < this.#acked.seq || this.#sent.segment <= oldest.index) {
        this.#sent = this.#acked;
      }
    }
  }

  /** The sequence number before a segment's first line. */
  #seqBefore(s: Segment): number {
    if (s.seqBefore !== undefined) return s.seqBefore;
    const read = readRawRecords(this.#codec, this.#path(s.index), { maxBytes: 1 });
    const h = read.records.length > 0 ? decodeHeader(read.records[0].bytes) : null;
    s.seqBefore = h ? h.seqEnd - h.lines : this.#nextSeqAfter(s);
    return s.seqBefore;
  }

  /** For an empty segment: where the next one starts, or the log's end. */
  #nextSeqAfter(s: Segment): number {
    const i = this.#segments.indexOf(s);
    const next = this.#segments[i + 1];
    return next ? this.#seqBefore(next) : this.#written;
  }

  /** Persists the position, fsyncs and closes the live segment. */
  close(): void {
    try {
      this.persist();
    } finally {
      this.#closeFile();
    }
  }
}

function encodeHeader(seqEnd: number, lines: number): Uint8Array {
  const h = new Uint8Array(QUEUE_HEADER_BYTES);
  const v = new DataView(h.buffer);
  v.setUint8(0, QUEUE_RECORD_TYPE);
  v.setBigUint64(1, BigInt(seqEnd));
  v.setUint32(9, lines);
  return h;
}

/** A queue record's header, or null for a record of another type (or too short). */
function decodeHeader(bytes: Uint8Array): { seqEnd: number; lines: number } | null {
  if (bytes.length < QUEUE_HEADER_BYTES || bytes[0] !== QUEUE_RECORD_TYPE) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { seqEnd: Number(v.getBigUint64(1)), lines: v.getUint32(9) };
}
