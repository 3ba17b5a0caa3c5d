// Points out of a decoded pickle-receiver frame: `[(name, (timestamp, value)), ...]` as carbon
// clients send it, plus go-carbon's `(name, point, point, ...)` entries. Bad points are skipped
// and counted one by one (Python carbon skips them, go-carbon drops the whole frame): the good
// points of a frame are kept.

import {
  decodePickle,
  decodePickleSliced,
  DEFAULT_MAX_INT_BYTES,
  parsePythonFloat,
  typeName,
} from "./pickle_decode.ts";
import type { PickleDecodeOptions, PickleValue } from "./pickle_decode.ts";

/**
 * Receives each good point. `timestamp` is whole seconds in 0..2^32-1, `value` is finite.
 * `name` is the same string object for every point of a name the pickle's memo shared, so a
 * sink may cache per-name work by identity.
 */
export type PointSink = (name: string, timestamp: number, value: number) => void;

/** Why a point was skipped. */
export type PointRejectReason =
  | "bad-entry"
  | "bad-name"
  | "bad-timestamp"
  | "bad-value"
  | "non-finite-value";

/** What {@linkcode extractPoints} did with a frame. */
export interface ExtractStats {
  /** Points passed to the sink. */
  accepted: number;
  /** Points skipped: the sum of `rejectedBy`. */
  rejected: number;
  /** Skipped points by reason (a malformed entry counts once, a bad name once per point). */
  rejectedBy: Record<PointRejectReason, number>;
  /** What was wrong with the first skipped point, for one debug log line; null if none. */
  firstRejection: string | null;
}

/** Options of {@linkcode extractPoints}. */
export interface ExtractOptions {
  /**
   * Most points one frame may hold; a frame over it is refused before any point reaches the
   * sink. The memo lets a small pickle repeat a big entry many times over, so this bounds the
   * work. Default 1 << 20; {@linkcode decodePickleMetrics} caps it at the frame's length in
   * bytes (a point Python writes takes at least 2 bytes even when shared through the memo).
   */
  maxPoints?: number;
}

/** Default {@linkcode ExtractOptions.maxPoints}. */
export const DEFAULT_MAX_POINTS = 1 << 20;

/**
 * Most points one pickle-receiver frame may hold: 131,072, over twice what fits in Python
 * carbon's largest frame (1 MiB, at 20 bytes a point); its relays send 500 a frame. What a
 * frame may decode to (2 containers and 5 values a point) is what bounds the receiver's memory:
 * measured here, 2^18 points' worth of hostile lists took 150 MiB of heap and 170 ms, 2^17 half.
 */
export const FRAME_MAX_POINTS = 1 << 17;

/**
 * Fewest bytes a point takes in a pickle: `K\x00K\x00\x86` (two one-byte ints and TUPLE2), in
 * go-carbon's `(name, point, point, ...)` entries. A frame of n bytes holds at most n / 5 points.
 */
export const MIN_POINT_BYTES = 5;
/** Values one point may make: its entry's tuple, its own tuple, the name, timestamp and value. */
const OBJECTS_PER_POINT = 5;
/** Containers one point may make: its entry's tuple and its own (bytes and bigints count too). */
const CONTAINERS_PER_POINT = 2;
/** Values any frame may make beyond its points' (the outer list, a few odd entries). */
const FRAME_SLACK_OBJECTS = 64;
/** Deepest nesting in a frame: list, entry, point are 3; the rest is room for odd entries. */
const FRAME_MAX_DEPTH = 8;

/**
 * The decoding budget of a frame of `length` bytes: no more values, containers and memo entries
 * than the points it can hold need (`maxPoints`, or `length / MIN_POINT_BYTES` if fewer), no
 * nesting deeper than a frame's, no integer longer than {@linkcode DEFAULT_MAX_INT_BYTES}. A
 * hostile frame (nested lists, memo games, a huge integer) stops at the first value over it.
 *
 * @example
 * ```ts
 * frameBudget(1_000); // { maxPoints: 200, maxObjects: 1064, maxContainers: 464, ... }
 * ```
 */
export function frameBudget(
  length: number,
  maxPoints = FRAME_MAX_POINTS,
): Required<PickleDecodeOptions> & Required<ExtractOptions> {
  const points = Math.min(maxPoints, Math.ceil(length / MIN_POINT_BYTES));
  const maxObjects = OBJECTS_PER_POINT * points + FRAME_SLACK_OBJECTS;
  return {
    maxPoints: points,
    maxObjects,
    maxContainers: CONTAINERS_PER_POINT * points + FRAME_SLACK_OBJECTS,
    maxMemo: Math.min(maxObjects, length),
    maxDepth: FRAME_MAX_DEPTH,
    maxIntBytes: DEFAULT_MAX_INT_BYTES,
  };
}

/** Largest timestamp a point may carry: Whisper stores unsigned 32-bit seconds. */
const MAX_TIMESTAMP = 0xffff_ffff;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes a pickle-receiver frame (the payload after the 4-byte length) and passes its points
 * to `sink`.
 *
 * @throws {SyntaxError} if the pickle cannot be decoded safely (see `decodePickle`).
 * @throws {TypeError} if the frame is not a list or tuple of entries.
 * @throws {RangeError} if it holds more points than it has bytes (a memo amplification).
 *
 * @example
 * ```ts
 * const stats = decodePickleMetrics(payload, (name, ts, value) => cache.add(name, ts, value));
 * if (stats.rejected > 0) log.debug("bad points", { reason: stats.firstRejection });
 * ```
 */
export function decodePickleMetrics(
  payload: Uint8Array,
  sink: PointSink,
  options: ExtractOptions & PickleDecodeOptions = {},
): ExtractStats {
  const frame = decodePickle(payload, options);
  const maxPoints = Math.min(options.maxPoints ?? DEFAULT_MAX_POINTS, payload.length);
  return extractPoints(frame, sink, { maxPoints });
}

/**
 * {@linkcode decodePickleMetrics} within the frame's {@linkcode frameBudget}, decoding in slices
 * that yield to the event loop (the pickle receiver's way).
 *
 * @throws {PickleBudgetError} (a SyntaxError) when the frame goes over its budget
 * @throws {SyntaxError} {TypeError} {RangeError} as {@linkcode decodePickleMetrics}
 */
export async function decodePickleFrame(
  payload: Uint8Array,
  sink: PointSink,
  maxPoints = FRAME_MAX_POINTS,
): Promise<ExtractStats> {
  const budget = frameBudget(payload.length, maxPoints);
  const frame = await decodePickleSliced(payload, budget);
  return extractPoints(frame, sink, budget);
}

/**
 * Passes the points of a decoded frame to `sink`. An entry is a tuple or list `(name, point,
 * ...)` with at least one point; a point is a 2-tuple or 2-list `(timestamp, value)`. Names are
 * str, or bytes read as UTF-8, and not empty. Timestamps and values are int, float, bool or a
 * numeric str/bytes read as Python's `float()` would; timestamps are truncated to whole seconds
 * and must fall in 0..2^32-1; NaN and infinite values are refused.
 *
 * @throws {TypeError} if the frame is not a list or tuple.
 * @throws {RangeError} if it holds more than `options.maxPoints` points; nothing was emitted.
 */
export function extractPoints(
  frame: PickleValue,
  sink: PointSink,
  options: ExtractOptions = {},
): ExtractStats {
  if (!Array.isArray(frame)) {
    throw new TypeError(`Cannot extract points: frame is a ${typeName(frame)}, not a list`);
  }
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS;
  const total = countPoints(frame);
  if (total > maxPoints) {
    throw new RangeError(
      `Cannot extract points: frame holds ${total} points, more than the limit of ${maxPoints}`,
    );
  }
  return new Extractor(sink).run(frame);
}

/** Upper bound of the points a frame holds; O(entries), which is O(bytes). */
function countPoints(frame: PickleValue[]): number {
  let total = 0;
  for (let i = 0; i < frame.length; i++) {
    const entry = frame[i];
    total += Array.isArray(entry) && entry.length > 1 ? entry.length - 1 : 1;
  }
  return total;
}

/** A 2-item tuple or list, the shape of a point. */
function isPair(v: PickleValue): v is PickleValue[] {
  return Array.isArray(v) && v.length === 2;
}

class Extractor {
  readonly #sink: PointSink;
  #accepted = 0;
  readonly #rejectedBy: Record<PointRejectReason, number> = {
    "bad-entry": 0,
    "bad-name": 0,
    "bad-timestamp": 0,
    "bad-value": 0,
    "non-finite-value": 0,
  };
  #rejected = 0;
  #firstRejection: string | null = null;
  /** The last name seen and its string: the memo makes repeated names the same object. */
  #lastRaw: PickleValue | undefined = undefined;
  #lastName: string | null = null;

  constructor(sink: PointSink) {
    this.#sink = sink;
  }

  run(frame: PickleValue[]): ExtractStats {
    for (let i = 0; i < frame.length; i++) {
      const entry = frame[i];
      if (!Array.isArray(entry) || entry.length < 2) {
        this.#reject("bad-entry", 1, i, () => `entry is ${describeShape(entry)}`);
        continue;
      }
      const name = this.#name(entry[0]);
      if (name === null) {
        this.#reject("bad-name", entry.length - 1, i, () => `name is ${describeValue(entry[0])}`);
        continue;
      }
      for (let k = 1; k < entry.length; k++) this.#point(name, entry[k], i);
    }
    return {
      accepted: this.#accepted,
      rejected: this.#rejected,
      rejectedBy: this.#rejectedBy,
      firstRejection: this.#firstRejection,
    };
  }

  #point(name: string, point: PickleValue, entry: number): void {
    if (!isPair(point)) {
      this.#reject("bad-entry", 1, entry, () => `point is ${describeShape(point)}`);
      return;
    }
    const ts = toNumber(point[0]);
    if (ts === undefined || !(ts >= 0 && ts < MAX_TIMESTAMP + 1)) {
      this.#reject("bad-timestamp", 1, entry, () => `timestamp is ${describeValue(point[0])}`);
      return;
    }
    const value = toNumber(point[1]);
    if (value === undefined) {
      this.#reject("bad-value", 1, entry, () => `value is ${describeValue(point[1])}`);
      return;
    }
    if (!Number.isFinite(value)) {
      this.#reject("non-finite-value", 1, entry, () => `value is ${value}`);
      return;
    }
    this.#accepted++;
    this.#sink(name, Math.trunc(ts), value);
  }

  /** The metric name of an entry, or null if it is not a non-empty str or UTF-8 bytes. */
  #name(raw: PickleValue): string | null {
    if (raw === this.#lastRaw) return this.#lastName;
    let name: string | null = null;
    if (typeof raw === "string") {
      name = raw;
    } else if (raw instanceof Uint8Array) {
      try {
        name = utf8.decode(raw);
      } catch {
        name = null;
      }
    }
    if (name === "") name = null;
    this.#lastRaw = raw;
    this.#lastName = name;
    return name;
  }

  #reject(reason: PointRejectReason, n: number, entry: number, why: () => string): void {
    this.#rejectedBy[reason] += n;
    this.#rejected += n;
    this.#firstRejection ??= `entry ${entry}: ${why()}`;
  }
}

/** A timestamp or value as Python's `float()` reads it, or undefined if it would raise. */
function toNumber(v: PickleValue): number | undefined {
  switch (typeof v) {
    case "number":
      return v;
    case "bigint":
      return Number(v);
    case "boolean":
      return v ? 1 : 0;
    case "string":
      return parsePythonFloat(v);
  }
  if (v instanceof Uint8Array) {
    let text = "";
    for (let i = 0; i < v.length; i++) text += String.fromCharCode(v[i]);
    return parsePythonFloat(text);
  }
  return undefined;
}

function describeShape(v: PickleValue): string {
  if (Array.isArray(v)) return `a ${typeName(v)} of ${v.length} items`;
  return `a ${typeName(v)}`;
}

function describeValue(v: PickleValue): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "..." : v);
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") {
    return `${typeName(v)} ${v}`;
  }
  return describeShape(v);
}
