// Reading and updating Whisper files with whisper.py 1.1.4's algorithms (fetch, update_many,
// propagation) and its exact bytes, using synchronous IO: the persister calls this from Worker
// threads, where a sync syscall costs a few microseconds and an async one tens.

import { aggregate, type AggregationType, type Neighbours } from "./aggregate.ts";
import { WhisperCorruptionError } from "./errors.ts";
import {
  AGGREGATION_METHODS,
  type AggregationMethod,
  type ArchiveInfo,
  decodeHeader,
  headerSize,
  isAggregationMethod,
  MAX_U32,
  METADATA_SIZE,
  POINT_SIZE,
  type WhisperHeader,
} from "./format.ts";
import { pythonSetOrder } from "./py_set_order.ts";
import type { ArchiveSpec } from "./archive_list.ts";
import { createFilled, createOpen, type CreateOptions } from "./create.ts";
import { type FileIO, MemoryFile } from "./memory_file.ts";

/** Bytes read when opening a file: the header of up to 83 archives plus archive 0's first point. */
const HEADER_READ_BYTES = 1024;
/** Largest batch `updateArrays` takes: sort keys pack timestamp and index into one double. */
export const MAX_UPDATE_POINTS = 1 << 21;

/** Options for {@linkcode WhisperFile.open}. */
export interface OpenOptions {
  /** Open for writing too (needed by `updateMany`/`updateArrays`). Default false. */
  write?: boolean;
  /**
   * Take a flock on the file until close (exclusive when writing, shared when reading), as
   * whisper.py's LOCK and go-carbon's `[whisper] flock` do. Default false.
   */
  lock?: boolean;
}

/** Options for {@linkcode WhisperFile.fetch} and {@linkcode fetch}. */
export interface FetchOptions {
  /** End of the range in epoch seconds. Default `now`. */
  untilTime?: number;
  /** Current time in epoch seconds. Default the clock. */
  now?: number;
  /** Read the archive with this precision instead of choosing by age (whisper's archiveToSelect). */
  secondsPerPoint?: number;
}

/** What {@linkcode WhisperFile.fetch} returns, whisper's `((fromTime, untilTime, step), values)`. */
export interface FetchResult {
  /** Timestamp of the first value. */
  fromTime: number;
  /** Timestamp after the last value. */
  untilTime: number;
  /** Seconds between values. */
  step: number;
  /** One value per step from `fromTime`; null where the archive holds no point for that time. */
  values: (number | null)[];
}

/** Options for {@linkcode WhisperFile.updateMany} and {@linkcode updateMany}. */
export interface UpdateOptions {
  /** Current time in epoch seconds, which decides the archive each point goes to. Default the clock. */
  now?: number;
}

/** Options for {@linkcode WhisperFile.updateArrays}. */
export interface UpdateArraysOptions extends UpdateOptions {
  /** Number of leading entries of the arrays to write. Default the length of `timestamps`. */
  count?: number;
}

/** {@linkcode WhisperHeader} plus the size of the file, as {@linkcode info} returns it. */
export interface WhisperInfo extends WhisperHeader {
  /** Size of the file in bytes. */
  readonly fileSize: number;
}

// Scratch memory reused by every call in this thread; grown on demand, never shrunk. Safe because
// every operation is synchronous and none calls back into another.
class Scratch {
  keys = new Float64Array(256);
  ts = new Uint32Array(256);
  values = new Float64Array(256);
  inTs = new Uint32Array(256);
  inValues = new Float64Array(256);
  runStart = new Float64Array(64);
  runByte = new Uint32Array(64);
  runLength = new Uint32Array(64);
  intervals = new Float64Array(64);
  order = new Uint32Array(64);
  spanByte = new Uint32Array(64);
  spanCount = new Uint32Array(64);
  aggregated = new Float64Array(64);
  propagates = new Uint8Array(64);
  slots = new Float64Array(64);
  neighbours = new Float64Array(64);
  known = new Uint8Array(64);
  read = new Uint8Array(4096);
  readView = new DataView(this.read.buffer);
  write = new Uint8Array(4096);
  writeView = new DataView(this.write.buffer);

  points(n: number): void {
    if (this.keys.length >= n) return;
    const size = Math.max(n, this.keys.length * 2);
    this.keys = new Float64Array(size);
    this.ts = new Uint32Array(size);
    this.values = new Float64Array(size);
  }

  input(n: number): void {
    if (this.inTs.length >= n) return;
    const size = Math.max(n, this.inTs.length * 2);
    this.inTs = new Uint32Array(size);
    this.inValues = new Float64Array(size);
  }

  runs(n: number): void {
    if (this.runStart.length >= n) return;
    const size = Math.max(n, this.runStart.length * 2);
    this.runStart = new Float64Array(size);
    this.runByte = new Uint32Array(size);
    this.runLength = new Uint32Array(size);
  }

  intervalSlots(n: number): void {
    if (this.intervals.length >= n) return;
    const size = Math.max(n, this.intervals.length * 2);
    this.intervals = new Float64Array(size);
    this.order = new Uint32Array(size);
    this.spanByte = new Uint32Array(size);
    this.spanCount = new Uint32Array(size);
    this.aggregated = new Float64Array(size);
    this.propagates = new Uint8Array(size);
    this.slots = new Float64Array(size);
  }

  neighbourView: Neighbours = { values: this.neighbours, known: this.known, count: 0 };

  neighbourSlots(n: number): void {
    if (this.neighbours.length >= n) return;
    const size = Math.max(n, this.neighbours.length * 2);
    this.neighbours = new Float64Array(size);
    this.known = new Uint8Array(size);
    this.neighbourView = { values: this.neighbours, known: this.known, count: 0 };
  }

  readBytes(n: number): void {
    if (this.read.length >= n) return;
    this.read = new Uint8Array(Math.max(n, this.read.length * 2));
    this.readView = new DataView(this.read.buffer);
  }

  writeBytes(n: number): void {
    if (this.write.length >= n) return;
    this.write = new Uint8Array(Math.max(n, this.write.length * 2));
    this.writeView = new DataView(this.write.buffer);
  }
}

const scratch = new Scratch();

/** Python's `a // b` for integers held in doubles, exact where `a / b` would round. */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  const r = a - q * b;
  if (r < 0) q--;
  else if (r >= b) q++;
  return q;
}

/** Python's `a % b` (the sign of `b`). */
function mod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r;
}

function clockSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * An open Whisper file. Reads the header once when opened and keeps it; keeps the first point of
 * each archive once known (it only ever changes from 0, which is always re-read). Not safe to
 * share between threads; another process may read it, and may write it with a whisper-compatible
 * writer, which keeps archive positions unchanged.
 *
 * @example
 * ```ts ignore
 * using file = WhisperFile.open("cpu.wsp", { write: true });
 * file.updateArrays(timestamps, values, { count, now });
 * const result = file.fetch(now - 3600, { now });
 * ```
 */
export class WhisperFile {
  /** Path the file was opened with. */
  readonly path: string;
  /** The header read at open. */
  readonly header: WhisperHeader;
  /** Size of the file in bytes at open. */
  readonly fileSize: number;
  #file: FileIO;
  #writable: boolean;
  #pos: number;
  #type: AggregationType;
  #xFilesFactor: number;
  #bases: Float64Array;
  #closed = false;

  /** Use {@linkcode WhisperFile.open}. */
  constructor(
    file: FileIO,
    init: { path: string; header: WhisperHeader; fileSize: number; writable: boolean; pos: number },
  ) {
    this.path = init.path;
    this.#file = file;
    this.header = init.header;
    this.fileSize = init.fileSize;
    this.#writable = init.writable;
    this.#pos = init.pos;
    this.#type =
      (AGGREGATION_METHODS.indexOf(init.header.aggregationMethod) + 1) as AggregationType;
    this.#xFilesFactor = init.header.xFilesFactor;
    this.#bases = new Float64Array(init.header.archives.length);
  }

  /**
   * Opens a Whisper file and reads its header (one fstat and, for up to 83 archives, one read,
   * which also brings archive 0's first point).
   *
   * @throws {WhisperCorruptionError} when the header is truncated or inconsistent
   * @throws {Deno.errors.NotFound} and the other errors of `Deno.openSync`
   */
  static open(path: string, options: OpenOptions = {}): WhisperFile {
    const writable = options.write === true;
    const file = Deno.openSync(path, { read: true, write: writable });
    try {
      if (options.lock) file.lockSync(writable);
      const fileSize = file.statSync().size;
      const want = Math.min(fileSize, HEADER_READ_BYTES);
      scratch.readBytes(want);
      let got = readInto(file, scratch.read, 0, want);
      if (got >= METADATA_SIZE) {
        const need = headerSize(scratch.readView.getUint32(12));
        if (need > got && need <= fileSize) {
          const head = scratch.read.slice(0, got);
          scratch.readBytes(need);
          scratch.read.set(head);
          got += readInto(file, scratch.read, got, need - got);
        }
      }
      const header = decodeHeader(scratch.read.subarray(0, got), { fileSize, path });
      const opened = new WhisperFile(file, { path, header, fileSize, writable, pos: got });
      header.archives.forEach((archive, i) => {
        if (archive.offset + POINT_SIZE <= got) {
          opened.#bases[i] = scratch.readView.getUint32(archive.offset);
        }
      });
      return opened;
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /**
   * Creates a Whisper file (as {@linkcode create}) and returns it open for writing, without a
   * second open or header read: the first update of a new series costs one open.
   *
   * @throws as {@linkcode create}
   */
  static create(
    path: string,
    archives: readonly ArchiveSpec[],
    options: CreateOptions & { lock?: boolean } = {},
  ): WhisperFile {
    const created = createOpen(path, archives, options);
    try {
      if (options.lock) created.file.lockSync(true);
      const header = decodeHeader(created.header, { fileSize: created.fileSize, path });
      return new WhisperFile(created.file, {
        path,
        header,
        fileSize: created.fileSize,
        writable: true,
        pos: created.fileSize,
      });
    } catch (error) {
      created.file.close();
      throw error;
    }
  }

  /**
   * Creates a Whisper file holding its first points, as {@linkcode WhisperFile.create} then
   * {@linkcode WhisperFile.updateArrays} would, and closes it. A preallocated file of up to 1 MiB
   * gets its points in memory and is written with one call (no seek or read), taking no flock:
   * it is complete before it appears at `path`. Nothing is created when the update throws.
   *
   * @throws as {@linkcode create} and {@linkcode WhisperFile.updateArrays}
   */
  static createWithPoints(
    path: string,
    archives: readonly ArchiveSpec[],
    options: CreateOptions & { lock?: boolean },
    timestamps: Uint32Array,
    values: Float64Array,
    update: UpdateArraysOptions = {},
  ): void {
    const filled = createFilled(path, archives, options, (image, bytes) => {
      const fileSize = image.length;
      const header = decodeHeader(bytes, { fileSize, path });
      new WhisperFile(new MemoryFile(image), { path, header, fileSize, writable: true, pos: 0 })
        .updateArrays(timestamps, values, update);
    });
    if (filled) return;
    using file = WhisperFile.create(path, archives, options);
    file.updateArrays(timestamps, values, update);
  }

  /** Rewrites the aggregation type field of the header (setAggregationMethod). */
  writeAggregationType(type: number): void {
    this.#checkOpen();
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, type);
    this.#writeAt(0, bytes, 0, 4);
  }

  /** Closes the file; closing twice is harmless. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }

  /** Closes the file at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Reads a time range, exactly as whisper.py's `fetch(path, fromTime, untilTime, now)`: the
   * range is clamped to `[now - maxRetention, now]`, the first archive whose retention covers
   * `now - fromTime` is read, and both ends are rounded down to the step then moved one step on.
   * Returns null when the range is entirely in the future or older than the file's retention.
   *
   * @throws {RangeError} when `fromTime` is after `untilTime`
   */
  fetch(fromTime: number, options: FetchOptions = {}): FetchResult | null {
    this.#checkOpen();
    const window = fetchWindow(this.header, fromTime, options);
    return window === null ? null : this.#archiveFetch(window);
  }

  /**
   * Writes points given as `[timestamp, value]` pairs, like whisper.py's `update_many`. Copies
   * them into typed arrays and calls {@linkcode WhisperFile.updateArrays}.
   *
   * @throws {RangeError} when a timestamp is not within 0..2^32-1 after truncation
   */
  updateMany(
    points: readonly (readonly [number, number])[],
    options: UpdateOptions = {},
  ): void {
    const count = points.length;
    scratch.input(count);
    const ts = scratch.inTs;
    const values = scratch.inValues;
    for (let i = 0; i < count; i++) {
      const t = Math.trunc(points[i][0]);
      if (!(t >= 0 && t <= MAX_U32)) {
        throw new RangeError(`Timestamp ${points[i][0]} is outside 0..${MAX_U32}`);
      }
      ts[i] = t;
      values[i] = points[i][1];
    }
    this.updateArrays(ts, values, { count, now: options.now });
  }

  /**
   * Writes `count` points exactly as whisper.py's `update_many(points, now)`:
   * - points are ordered by time; one older than the longest retention is dropped; each other
   *   point goes to the most precise archive whose retention covers its age (future points go
   *   to the first archive);
   * - in that archive each point is rounded down to the step; among points in the same step
   *   the latest timestamp wins, and among equal timestamps the one given first wins;
   * - each contiguous run is written with one write (two when it wraps the ring);
   * - then every lower-precision archive is recomputed for the intervals touched, honouring
   *   xFilesFactor and the aggregation method, until an archive receives nothing.
   *
   * Differs from whisper.py in one case only: when a run wraps the ring and its remainder is
   * longer than the ring (only points in the future can do that), whisper.py writes the excess
   * past the archive's end, over the next archive; we stop at the archive's end.
   *
   * @throws {RangeError} when `count` is out of range or above {@linkcode MAX_UPDATE_POINTS}
   * @throws {TypeError} when the file was opened read-only
   */
  updateArrays(
    timestamps: Uint32Array,
    values: Float64Array,
    options: UpdateArraysOptions = {},
  ): void {
    this.#checkOpen();
    if (!this.#writable) {
      throw new TypeError(`Cannot update whisper file "${this.path}": opened read-only`);
    }
    const count = options.count ?? timestamps.length;
    if (
      !Number.isInteger(count) || count < 0 || count > timestamps.length ||
      count > values.length || count > MAX_UPDATE_POINTS
    ) {
      throw new RangeError(
        `Invalid point count ${count}: must be within 0..${
          Math.min(timestamps.length, values.length, MAX_UPDATE_POINTS)
        }`,
      );
    }
    if (count === 0) return;
    const now = options.now === undefined ? clockSeconds() : Math.trunc(options.now);

    // Order by (timestamp ascending, input position descending): whisper sorts newest first
    // (stable), then reverses each archive's share, so equal timestamps end up in reverse input
    // order and "the last of a run" is the one given first.
    scratch.points(count);
    const keys = scratch.keys.subarray(0, count);
    for (let i = 0; i < count; i++) {
      keys[i] = timestamps[i] * MAX_UPDATE_POINTS + (MAX_UPDATE_POINTS - 1 - i);
    }
    keys.sort();
    const ts = scratch.ts;
    const vals = scratch.values;
    for (let j = 0; j < count; j++) {
      const i = MAX_UPDATE_POINTS - 1 - (keys[j] % MAX_UPDATE_POINTS);
      ts[j] = timestamps[i];
      vals[j] = values[i];
    }

    // Walk newest to oldest, moving to the next archive when a point is older than the
    // current one's retention, as file_update_many does.
    const archives = this.header.archives;
    let archive = 0;
    let end = count;
    let i = count - 1;
    walk: for (; i >= 0; i--) {
      const age = now - ts[i];
      while (archives[archive].retention < age) {
        if (end > i + 1) this.#archiveUpdate(archive, i + 1, end);
        end = i + 1;
        archive++;
        if (archive === archives.length) break walk;
      }
    }
    if (archive < archives.length && end > i + 1) this.#archiveUpdate(archive, i + 1, end);
  }

  // whisper.py's __archive_update_many for the sorted points [lo, hi) into archive `a`.
  #archiveUpdate(a: number, lo: number, hi: number): void {
    const archive = this.header.archives[a];
    const step = archive.secondsPerPoint;
    const ts = scratch.ts;
    const vals = scratch.values;
    scratch.writeBytes((hi - lo) * POINT_SIZE);
    scratch.runs(hi - lo);
    const out = scratch.writeView;
    let runs = 0;
    let bytes = 0;
    let runByte = 0;
    let previous = -1;
    for (let j = lo; j < hi; j++) {
      const interval = ts[j] - ts[j] % step;
      if (j + 1 < hi && ts[j + 1] - ts[j + 1] % step === interval) continue;
      // whisper tests `not previousInterval`, so an interval of 0 also continues the run.
      if (!(previous === -1 || previous === 0 || interval === previous + step)) {
        scratch.runStart[runs] = previous - step * ((bytes - runByte) / POINT_SIZE - 1);
        scratch.runByte[runs] = runByte;
        scratch.runLength[runs] = (bytes - runByte) / POINT_SIZE;
        runs++;
        runByte = bytes;
      }
      out.setUint32(bytes, interval);
      out.setFloat64(bytes + 4, vals[j]);
      bytes += POINT_SIZE;
      previous = interval;
    }
    scratch.runStart[runs] = previous - step * ((bytes - runByte) / POINT_SIZE - 1);
    scratch.runByte[runs] = runByte;
    scratch.runLength[runs] = (bytes - runByte) / POINT_SIZE;
    runs++;

    let base = this.#base(a);
    if (base === 0) base = scratch.runStart[0];
    for (let r = 0; r < runs; r++) {
      this.#writeRun(a, base, scratch.runStart[r], scratch.runByte[r], scratch.runLength[r]);
    }

    // Propagate to every lower-precision archive (in file order) while something propagates.
    let higher = a;
    for (let l = 0; l < this.header.archives.length; l++) {
      const lowerStep = this.header.archives[l].secondsPerPoint;
      if (!(lowerStep > step)) continue;
      scratch.intervalSlots(hi - lo);
      const intervals = scratch.intervals;
      let m = 0;
      for (let j = lo; j < hi; j++) {
        const aligned = ts[j] - ts[j] % step;
        const fit = aligned - aligned % lowerStep;
        if (m === 0 || intervals[m - 1] !== fit) intervals[m++] = fit;
      }
      pythonSetOrder(intervals, scratch.order, { count: m });
      if (!this.#propagate(higher, l, m)) break;
      higher = l;
    }
  }

  // Writes `n` packed points from the write scratch (at `byteStart`, the first at `start`) into
  // archive `a` relative to `base`, as whisper.py does: from the run's slot to the end of the
  // ring, then the rest from the ring's start. Only a run longer than the ring (possible only
  // with points in the future) makes the rest longer than the ring: whisper.py then writes the
  // excess past the archive, over the next one; we stop at the archive's end, which leaves the
  // same bytes inside the archive and none outside.
  #writeRun(a: number, base: number, start: number, byteStart: number, n: number): void {
    const archive = this.header.archives[a];
    const slot = mod(floorDiv(start - base, archive.secondsPerPoint), archive.points);
    const first = Math.min(n, archive.points - slot);
    const rest = Math.min(n - first, archive.points);
    if (rest < archive.points) {
      this.#writeAt(
        archive.offset + slot * POINT_SIZE,
        scratch.write,
        byteStart,
        first * POINT_SIZE,
      );
      if (slot === 0) this.#bases[a] = scratch.writeView.getUint32(byteStart);
    }
    if (rest > 0) {
      const restByte = byteStart + first * POINT_SIZE;
      this.#writeAt(archive.offset, scratch.write, restByte, rest * POINT_SIZE);
      this.#bases[a] = scratch.writeView.getUint32(restByte);
    }
  }

  // whisper.py's __propagate for the m intervals in scratch.intervals (ascending; visited in
  // scratch.order), from archive h into archive l. Reads each contiguous span of h once, writes
  // each contiguous run of l once. Returns true when at least one point was written.
  #propagate(h: number, l: number, m: number): boolean {
    const higher = this.header.archives[h];
    const lower = this.header.archives[l];
    const hStep = higher.secondsPerPoint;
    const lStep = lower.secondsPerPoint;
    const perLower = floorDiv(lStep, hStep);
    const hBase = this.#base(h);
    const intervals = scratch.intervals;
    const spanByte = scratch.spanByte;
    const spanCount = scratch.spanCount;

    // Where each interval's neighbours are in h, then group adjacent spans into reads.
    let total = 0;
    for (let u = 0; u < m; u++) {
      const slot = hBase === 0 ? 0 : mod(floorDiv(intervals[u] - hBase, hStep), higher.points);
      const first = slot * POINT_SIZE;
      const last = (first + perLower * POINT_SIZE) % higher.size;
      const count = first < last
        ? (last - first) / POINT_SIZE
        : (higher.size - first + last) / POINT_SIZE;
      scratch.slots[u] = slot;
      spanCount[u] = count;
      total += count;
    }
    scratch.readBytes(total * POINT_SIZE);
    let byte = 0;
    let u = 0;
    while (u < m) {
      const groupSlot = scratch.slots[u];
      let groupCount = spanCount[u];
      spanByte[u] = byte;
      let v = u + 1;
      while (
        v < m && groupCount + spanCount[v] <= higher.points &&
        scratch.slots[v] === (groupSlot + groupCount) % higher.points
      ) {
        spanByte[v] = byte + groupCount * POINT_SIZE;
        groupCount += spanCount[v];
        v++;
      }
      this.#readRing(higher, groupSlot, groupCount, byte);
      byte += groupCount * POINT_SIZE;
      u = v;
    }

    // Aggregate each interval's neighbours.
    const view = scratch.readView;
    for (let u = 0; u < m; u++) {
      const count = spanCount[u];
      scratch.neighbourSlots(count);
      const neighbours = scratch.neighbours;
      const known = scratch.known;
      let knownCount = 0;
      let at = spanByte[u];
      let expected = intervals[u];
      for (let k = 0; k < count; k++) {
        if (view.getUint32(at) === expected) {
          neighbours[k] = view.getFloat64(at + 4);
          known[k] = 1;
          knownCount++;
        } else {
          known[k] = 0;
        }
        at += POINT_SIZE;
        expected += hStep;
      }
      const propagates = knownCount > 0 && knownCount / count >= this.#xFilesFactor;
      scratch.propagates[u] = propagates ? 1 : 0;
      if (propagates) {
        scratch.neighbourView.count = count;
        scratch.aggregated[u] = aggregate(this.#type, scratch.neighbourView);
      }
    }

    // Place the results in l in whisper's (set) order: the first written becomes the base of an
    // empty archive, and whatever lands on slot 0 becomes the base for the next one.
    let lBase = this.#base(l);
    const keys = scratch.slots;
    let planned = 0;
    for (let j = 0; j < m; j++) {
      const u = scratch.order[j];
      if (scratch.propagates[u] === 0) continue;
      const interval = intervals[u];
      const slot = lBase === 0 ? 0 : mod(floorDiv(interval - lBase, lStep), lower.points);
      if (slot === 0) lBase = interval;
      // key = slot, then plan order; u is recoverable from the order array
      keys[planned++] = slot * MAX_UPDATE_POINTS + j;
    }
    if (planned === 0) return false;
    this.#bases[l] = lBase;
    const planKeys = keys.subarray(0, planned);
    planKeys.sort();

    // One write per run of adjacent slots; of two results for one slot the later one wins.
    scratch.writeBytes(planned * POINT_SIZE);
    const out = scratch.writeView;
    let runSlot = -1;
    let runBytes = 0;
    let bytes = 0;
    for (let p = 0; p < planned; p++) {
      const slot = Math.floor(planKeys[p] / MAX_UPDATE_POINTS);
      if (p + 1 < planned && Math.floor(planKeys[p + 1] / MAX_UPDATE_POINTS) === slot) continue;
      const u = scratch.order[planKeys[p] % MAX_UPDATE_POINTS];
      if (runSlot >= 0 && slot !== runSlot + (bytes - runBytes) / POINT_SIZE) {
        this.#writeAt(
          lower.offset + runSlot * POINT_SIZE,
          scratch.write,
          runBytes,
          bytes - runBytes,
        );
        runBytes = bytes;
        runSlot = slot;
      } else if (runSlot < 0) {
        runSlot = slot;
      }
      out.setUint32(bytes, intervals[u]);
      out.setFloat64(bytes + 4, scratch.aggregated[u]);
      bytes += POINT_SIZE;
    }
    this.#writeAt(lower.offset + runSlot * POINT_SIZE, scratch.write, runBytes, bytes - runBytes);
    return true;
  }

  // whisper.py's __archive_fetch.
  #archiveFetch(window: FetchWindow): FetchResult {
    const a = window.archive;
    const archive = this.header.archives[a];
    const { step, fromTime: fromInterval, untilTime: untilInterval } = window;
    const base = this.#base(a);
    if (base === 0) return emptyFetch(window);
    const fromSlot = mod(floorDiv(fromInterval - base, step), archive.points);
    const untilSlot = mod(floorDiv(untilInterval - base, step), archive.points);
    const n = fromSlot < untilSlot ? untilSlot - fromSlot : archive.points - fromSlot + untilSlot;
    scratch.readBytes(n * POINT_SIZE);
    this.#readRing(archive, fromSlot, n, 0);
    const view = scratch.readView;
    const values = new Array<number | null>(n);
    let expected = fromInterval;
    for (let k = 0; k < n; k++) {
      const at = k * POINT_SIZE;
      values[k] = view.getUint32(at) === expected ? view.getFloat64(at + 4) : null;
      expected += step;
    }
    return { fromTime: fromInterval, untilTime: untilInterval, step, values };
  }

  // Reads `n` points of the ring starting at `slot` into the read scratch at `byte`: one read,
  // or two when the span wraps.
  #readRing(archive: ArchiveInfo, slot: number, n: number, byte: number): void {
    const first = Math.min(n, archive.points - slot);
    this.#readAt(archive.offset + slot * POINT_SIZE, byte, first * POINT_SIZE);
    if (first < n) {
      this.#readAt(archive.offset, byte + first * POINT_SIZE, (n - first) * POINT_SIZE);
    }
  }

  // The timestamp of archive `a`'s first slot, whisper's "base interval". Cached once non-zero:
  // it then only changes by whole turns of the ring, which leave positions unchanged.
  #base(a: number): number {
    const cached = this.#bases[a];
    if (cached !== 0) return cached;
    scratch.readBytes(POINT_SIZE);
    this.#readAt(this.header.archives[a].offset, 0, POINT_SIZE);
    const base = scratch.readView.getUint32(0);
    this.#bases[a] = base;
    return base;
  }

  #readAt(pos: number, byte: number, length: number): void {
    if (length === 0) return;
    if (this.#pos !== pos) {
      this.#pos = -1;
      this.#file.seekSync(pos, Deno.SeekMode.Start);
    }
    this.#pos = -1;
    const got = readInto(this.#file, scratch.read, byte, length);
    if (got < length) {
      throw new WhisperCorruptionError(`file ends before ${length} bytes could be read`, {
        path: this.path,
        offset: pos + got,
      });
    }
    this.#pos = pos + length;
  }

  #writeAt(pos: number, bytes: Uint8Array, byte: number, length: number): void {
    if (length === 0) return;
    if (this.#pos !== pos) {
      this.#pos = -1;
      this.#file.seekSync(pos, Deno.SeekMode.Start);
    }
    this.#pos = -1;
    let done = 0;
    while (done < length) {
      const n = this.#file.writeSync(bytes.subarray(byte + done, byte + length));
      if (n === 0) throw new Deno.errors.WriteZero(`Cannot write to "${this.path}"`);
      done += n;
    }
    this.#pos = pos + length;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Deno.errors.BadResource(`Whisper file "${this.path}" is closed`);
  }
}

// Reads until `length` bytes are in `buffer` at `start` or the file ends; returns bytes read.
function readInto(file: FileIO, buffer: Uint8Array, start: number, length: number): number {
  let got = 0;
  while (got < length) {
    const n = file.readSync(buffer.subarray(start + got, start + length));
    if (n === null || n === 0) break;
    got += n;
  }
  return got;
}

/** Where {@linkcode WhisperFile.fetch} reads: the archive and the step-aligned interval. */
export interface FetchWindow {
  archive: number;
  fromTime: number;
  untilTime: number;
  step: number;
}

/**
 * whisper.py's fetch arithmetic on a header alone: the range is clamped to
 * `[now - maxRetention, now]`, the first archive whose retention covers `now - fromTime` is
 * chosen, both ends are rounded down to its step then moved one step on. Null when the range is
 * entirely in the future or older than the retention.
 *
 * @throws {RangeError} when `fromTime` is after `untilTime`, or `secondsPerPoint` is no archive's
 */
export function fetchWindow(
  header: {
    readonly archives: readonly Pick<ArchiveInfo, "secondsPerPoint" | "retention">[];
    readonly maxRetention: number;
  },
  fromTime: number,
  options: FetchOptions = {},
): FetchWindow | null {
  const now = options.now === undefined ? clockSeconds() : Math.trunc(options.now);
  let until = options.untilTime === undefined ? now : Math.trunc(options.untilTime);
  let from = Math.trunc(fromTime);
  if (from > until) {
    throw new RangeError(
      `Invalid time interval: from time '${from}' is after until time '${until}'`,
    );
  }
  const oldest = now - header.maxRetention;
  if (from > now || until < oldest) return null;
  if (from < oldest) from = oldest;
  if (until > now) until = now;
  const archives = header.archives;
  let index = archives.length - 1;
  if (options.secondsPerPoint !== undefined) {
    index = archives.findIndex((a) => a.secondsPerPoint === options.secondsPerPoint);
    if (index < 0) throw new RangeError(`Invalid granularity: ${options.secondsPerPoint}`);
  } else {
    const diff = now - from;
    for (let i = 0; i < archives.length; i++) {
      if (archives[i].retention >= diff) {
        index = i;
        break;
      }
    }
  }
  const step = archives[index].secondsPerPoint;
  const fromInterval = from - mod(from, step) + step;
  let untilInterval = until - mod(until, step) + step;
  if (fromInterval === untilInterval) untilInterval += step;
  return { archive: index, fromTime: fromInterval, untilTime: untilInterval, step };
}

/** What a fetch returns for a window of an archive holding nothing: every value null. */
export function emptyFetch(window: FetchWindow): FetchResult {
  const n = floorDiv(window.untilTime - window.fromTime, window.step);
  return {
    fromTime: window.fromTime,
    untilTime: window.untilTime,
    step: window.step,
    values: new Array<null>(Math.max(n, 0)).fill(null),
  };
}

/**
 * Changes a file's aggregation method, as whisper.py's `setAggregationMethod` does (the header
 * only; existing points stay as they are). Returns the previous method.
 *
 * @throws {RangeError} for an unknown method
 * @throws {WhisperCorruptionError} for a damaged header
 */
export function setAggregationMethod(path: string, method: string): AggregationMethod {
  if (!isAggregationMethod(method)) {
    throw new RangeError(`Unrecognized aggregation method: ${method}`);
  }
  const file = WhisperFile.open(path, { write: true, lock: true });
  try {
    const old = file.header.aggregationMethod;
    file.writeAggregationType(AGGREGATION_METHODS.indexOf(method) + 1);
    return old;
  } finally {
    file.close();
  }
}

/**
 * Returns the header of a Whisper file and its size, like whisper.py's `info(path)`.
 *
 * @throws {WhisperCorruptionError} when the header is truncated or inconsistent
 */
export function info(path: string): WhisperInfo {
  const file = WhisperFile.open(path);
  try {
    return { ...file.header, fileSize: file.fileSize };
  } finally {
    file.close();
  }
}

/**
 * Opens, reads a time range and closes, like whisper.py's `fetch(path, fromTime, untilTime, now)`.
 * See {@linkcode WhisperFile.fetch}.
 *
 * @example
 * ```ts ignore
 * const result = fetch("cpu.wsp", now - 86400, { now });
 * ```
 */
export function fetch(
  path: string,
  fromTime: number,
  options: FetchOptions = {},
): FetchResult | null {
  const file = WhisperFile.open(path);
  try {
    return file.fetch(fromTime, options);
  } finally {
    file.close();
  }
}

/**
 * Opens for writing, writes `[timestamp, value]` points and closes, like whisper.py's
 * `update_many(path, points, now)`. See {@linkcode WhisperFile.updateArrays}.
 */
export function updateMany(
  path: string,
  points: readonly (readonly [number, number])[],
  options: UpdateOptions = {},
): void {
  if (points.length === 0) return;
  const file = WhisperFile.open(path, { write: true });
  try {
    file.updateMany(points, options);
  } finally {
    file.close();
  }
}
