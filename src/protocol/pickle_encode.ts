// Protocol-2 pickler for carbonlink answers: what Python carbon sends with
// `pickle.dumps(result, protocol=2)`, minus the memo (nothing is shared), so any unpickler loads
// it without globals. The reply helpers write datapoints straight from typed arrays.

import { PickleTuple } from "./pickle_decode.ts";
import type { PickleValue } from "./pickle_decode.ts";

/**
 * What {@linkcode encodePickle} accepts: a {@linkcode PickleValue} (bytes and sets excepted, at
 * run time), with plain objects as dicts too.
 */
export type PickleEncodable =
  | PickleValue
  | readonly PickleEncodable[]
  | ReadonlyMap<PickleEncodable, PickleEncodable>
  | { readonly [key: string]: PickleEncodable };

/** Options shared by the encoders. */
export interface PickleEncodeOptions {
  /** Start with the 4-byte big-endian length that frames a pickle on the wire. Default false. */
  framed?: boolean;
}

/** Options of {@linkcode encodePickle}. */
export interface EncodePickleOptions extends PickleEncodeOptions {
  /** Deepest nesting written; deeper values (or cycles) throw a RangeError. Default 64. */
  maxDepth?: number;
}

/** Columns of datapoints: `timestamps[i]` and `values[i]` for i < `count`. */
export interface Datapoints {
  /** Unix seconds; integers become Python ints (fractions, floats). */
  readonly timestamps: ArrayLike<number>;
  /** Always written as Python floats, as carbon stores `float(value)`. */
  readonly values: ArrayLike<number>;
  /** Points to write; default `timestamps.length`. */
  readonly count?: number;
}

const encoder = new TextEncoder();

const PROTO = 0x80;
const STOP = 0x2e;
const MARK = 0x28;
const NONE = 0x4e;
const NEWTRUE = 0x88;
const NEWFALSE = 0x89;
const BININT1 = 0x4b;
const BININT2 = 0x4d;
const BININT = 0x4a;
const LONG1 = 0x8a;
const LONG4 = 0x8b;
const BINFLOAT = 0x47;
const BINUNICODE = 0x58;
const EMPTY_LIST = 0x5d;
const APPEND = 0x61;
const APPENDS = 0x65;
const EMPTY_TUPLE = 0x29;
const TUPLE = 0x74;
const TUPLE1 = 0x85;
const TUPLE2 = 0x86;
const EMPTY_DICT = 0x7d;
const SETITEM = 0x73;
const SETITEMS = 0x75;

/** Bytes of one datapoint at most: LONG1 of 5 bytes + BINFLOAT + TUPLE2. */
const MAX_POINT_BYTES = 7 + 9 + 1;

/**
 * A growable buffer with one method per protocol-2 opcode, for writing pickles by hand.
 * Callers are responsible for a valid opcode sequence; {@linkcode encodePickle} is the safe way.
 *
 * @example
 * ```ts
 * const w = new PickleWriter();
 * w.proto(); w.emptyList(); w.int(1); w.float(2.5); w.tuple2(); w.append(); w.stop();
 * const bytes = w.finish(); // [(1, 2.5)]
 * ```
 */
export class PickleWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;
  readonly #framed: boolean;

  /** Starts a pickle, reserving the 4-byte length prefix when `options.framed`. */
  constructor(initialCapacity = 256, options: PickleEncodeOptions = {}) {
    this.#buf = new Uint8Array(Math.max(16, initialCapacity));
    this.#view = new DataView(this.#buf.buffer);
    this.#framed = options.framed ?? false;
    if (this.#framed) this.#len = 4;
  }

  /** Bytes written so far, length prefix included. */
  get length(): number {
    return this.#len;
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.#len + n;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const buf = new Uint8Array(cap);
    buf.set(this.#buf.subarray(0, this.#len));
    this.#buf = buf;
    this.#view = new DataView(buf.buffer);
  }

  #op(op: number): void {
    this.reserve(1);
    this.#buf[this.#len++] = op;
  }

  /** PROTO 2, the header Python writes first. */
  proto(): void {
    this.reserve(2);
    this.#buf[this.#len++] = PROTO;
    this.#buf[this.#len++] = 2;
  }

  /** STOP, the last opcode. */
  stop(): void {
    this.#op(STOP);
  }

  /** MARK, opening the items of APPENDS, SETITEMS or TUPLE. */
  mark(): void {
    this.#op(MARK);
  }

  /** None. */
  none(): void {
    this.#op(NONE);
  }

  /** True or False (NEWTRUE/NEWFALSE). */
  bool(b: boolean): void {
    this.#op(b ? NEWTRUE : NEWFALSE);
  }

  /** A Python int, in the smallest opcode Python's pickler would pick. */
  int(n: number | bigint): void {
    if (typeof n === "number") {
      if (!Number.isInteger(n)) throw new TypeError(`Cannot pickle ${n} as an int`);
      if (n >= 0 && n <= 0xff) {
        this.reserve(2);
        this.#buf[this.#len++] = BININT1;
        this.#buf[this.#len++] = n;
        return;
      }
      if (n >= 0 && n <= 0xffff) {
        this.reserve(3);
        this.#buf[this.#len++] = BININT2;
        this.#view.setUint16(this.#len, n, true);
        this.#len += 2;
        return;
      }
      if (n >= -0x8000_0000 && n <= 0x7fff_ffff) {
        this.reserve(5);
        this.#buf[this.#len++] = BININT;
        this.#view.setInt32(this.#len, n, true);
        this.#len += 4;
        return;
      }
      n = BigInt(n);
    } else if (n >= -0x8000_0000n && n <= 0x7fff_ffffn) {
      this.int(Number(n));
      return;
    }
    this.#long(n);
  }

  /** LONG1/LONG4: minimal little-endian two's complement (pickle.py encode_long). */
  #long(n: bigint): void {
    const bytes: number[] = [];
    let v = n;
    for (;;) {
      const b = Number(v & 0xffn);
      bytes.push(b);
      v >>= 8n;
      if ((v === 0n && (b & 0x80) === 0) || (v === -1n && (b & 0x80) !== 0)) break;
    }
    this.reserve(5 + bytes.length);
    if (bytes.length < 256) {
      this.#buf[this.#len++] = LONG1;
      this.#buf[this.#len++] = bytes.length;
    } else {
      this.#buf[this.#len++] = LONG4;
      this.#view.setInt32(this.#len, bytes.length, true);
      this.#len += 4;
    }
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  /** A Python float (BINFLOAT, big-endian). */
  float(n: number): void {
    this.reserve(9);
    this.#buf[this.#len++] = BINFLOAT;
    this.#view.setFloat64(this.#len, n, false);
    this.#len += 8;
  }

  /**
   * A JS number as a Python int when it is a safe integer, else as a float (a number past 2^53
   * is a float in all but name: pass a bigint for a big int).
   */
  number(n: number): void {
    if (Number.isSafeInteger(n)) this.int(n);
    else this.float(n);
  }

  /** A Python str (BINUNICODE, UTF-8). */
  str(s: string): void {
    // At most 3 UTF-8 bytes per UTF-16 unit; ASCII is copied by hand (cheaper for short names).
    this.reserve(5 + s.length * 3);
    const buf = this.#buf;
    const at = this.#len;
    buf[at] = BINUNICODE;
    let n = 0;
    let i = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[at + 5 + i] = c;
    }
    if (i === s.length) {
      n = i;
    } else {
      n = encoder.encodeInto(s, buf.subarray(at + 5)).written;
    }
    this.#view.setUint32(at + 1, n, true);
    this.#len = at + 5 + n;
  }

  /** An empty list, to fill with {@linkcode append} or MARK ... {@linkcode appends}. */
  emptyList(): void {
    this.#op(EMPTY_LIST);
  }

  /** APPEND: the top value into the list below it. */
  append(): void {
    this.#op(APPEND);
  }

  /** APPENDS: the values since the MARK into the list below it. */
  appends(): void {
    this.#op(APPENDS);
  }

  /** An empty tuple. */
  emptyTuple(): void {
    this.#op(EMPTY_TUPLE);
  }

  /** TUPLE1, TUPLE2 or TUPLE3: the top `n` values into a tuple. */
  tupleOf(n: 1 | 2 | 3): void {
    this.#op(TUPLE1 + n - 1);
  }

  /** TUPLE2: the top two values into a pair. */
  tuple2(): void {
    this.#op(TUPLE2);
  }

  /** TUPLE: the values since the MARK into a tuple. */
  tupleFromMark(): void {
    this.#op(TUPLE);
  }

  /** An empty dict, to fill with {@linkcode setItem} or MARK ... {@linkcode setItems}. */
  emptyDict(): void {
    this.#op(EMPTY_DICT);
  }

  /** SETITEM: the top key and value into the dict below them. */
  setItem(): void {
    this.#op(SETITEM);
  }

  /** SETITEMS: the key/value pairs since the MARK into the dict below them. */
  setItems(): void {
    this.#op(SETITEMS);
  }

  /** `[(ts, value), ...]` from columns, each pair written as int (or float) and float. */
  datapoints(points: Datapoints): void {
    const { timestamps, values } = points;
    const count = points.count ?? timestamps.length;
    if (count > timestamps.length || count > values.length) {
      throw new RangeError(
        `Cannot write ${count} datapoints from ${timestamps.length} timestamps and ${values.length} values`,
      );
    }
    this.reserve(3 + count * MAX_POINT_BYTES);
    this.#buf[this.#len++] = EMPTY_LIST;
    if (count > 1) this.#buf[this.#len++] = MARK;
    let buf = this.#buf;
    let view = this.#view;
    let p = this.#len;
    for (let i = 0; i < count; i++) {
      const ts = timestamps[i];
      if (ts >= 0 && ts <= 0x7fff_ffff && Number.isInteger(ts)) {
        // The opcode Python's pickler picks for the size (tiny ones appear in tests only).
        if (ts <= 0xff) {
          buf[p++] = BININT1;
          buf[p++] = ts;
        } else if (ts <= 0xffff) {
          buf[p++] = BININT2;
          view.setUint16(p, ts, true);
          p += 2;
        } else {
          buf[p++] = BININT;
          view.setInt32(p, ts, true);
          p += 4;
        }
      } else {
        // Rare (after 2038, negative or fractional) and possibly longer than budgeted: write it
        // through the generic path, then reserve again for the rest.
        this.#len = p;
        this.number(ts);
        this.reserve(1 + (count - i) * MAX_POINT_BYTES);
        buf = this.#buf;
        view = this.#view;
        p = this.#len;
      }
      buf[p++] = BINFLOAT;
      view.setFloat64(p, values[i], false);
      p += 8;
      buf[p++] = TUPLE2;
    }
    if (count === 1) buf[p++] = APPEND;
    else if (count > 1) buf[p++] = APPENDS;
    this.#len = p;
  }

  /**
   * Writes STOP and returns the pickle (with its length prefix filled in when framed). The
   * result is a view of the writer's buffer: write nothing more afterwards.
   */
  finish(): Uint8Array {
    this.stop();
    if (this.#framed) this.#view.setUint32(0, this.#len - 4, false);
    return this.#buf.subarray(0, this.#len);
  }
}

/**
 * Pickles a value with protocol 2, using only opcodes that need no globals. JS numbers that are
 * safe integers become Python ints, other numbers floats (the writer's `float()` forces a
 * float), bigints ints; arrays become lists, {@linkcode PickleTuple}s tuples, Maps and plain
 * objects dicts.
 *
 * @throws {TypeError} for values protocol 2 cannot express without globals (bytes, sets, ...).
 * @throws {RangeError} for nesting deeper than `options.maxDepth` (cycles included).
 *
 * @example
 * ```ts
 * encodePickle({ old_value: "average", new_value: "max" });
 * ```
 */
export function encodePickle(
  value: PickleEncodable,
  options: EncodePickleOptions = {},
): Uint8Array {
  const w = new PickleWriter(256, options);
  w.proto();
  writeValue(w, value, options.maxDepth ?? 64);
  return w.finish();
}

function writeValue(w: PickleWriter, v: PickleEncodable, depthLeft: number): void {
  switch (typeof v) {
    case "number":
      w.number(v);
      return;
    case "string":
      w.str(v);
      return;
    case "boolean":
      w.bool(v);
      return;
    case "bigint":
      w.int(v);
      return;
    case "object":
      break;
    default:
      throw new TypeError(`Cannot pickle a ${typeof v}`);
  }
  if (v === null) {
    w.none();
    return;
  }
  if (depthLeft === 0) throw new RangeError("Cannot pickle a value nested this deep (or a cycle)");
  const d = depthLeft - 1;
  if (v instanceof PickleTuple) {
    if (v.length === 0) {
      w.emptyTuple();
    } else if (v.length <= 3) {
      for (const item of v) writeValue(w, item, d);
      w.tupleOf(v.length as 1 | 2 | 3);
    } else {
      w.mark();
      for (const item of v) writeValue(w, item, d);
      w.tupleFromMark();
    }
    return;
  }
  if (Array.isArray(v)) {
    const list = v as readonly PickleEncodable[];
    w.emptyList();
    if (list.length === 1) {
      writeValue(w, list[0], d);
      w.append();
    } else if (list.length > 1) {
      w.mark();
      for (const item of list) writeValue(w, item, d);
      w.appends();
    }
    return;
  }
  if (v instanceof Map) {
    writeDict(w, v.entries(), v.size, d);
    return;
  }
  if (v instanceof Uint8Array || v instanceof Set || ArrayBuffer.isView(v)) {
    throw new TypeError(`Cannot pickle a ${v.constructor.name} with protocol 2 without globals`);
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`Cannot pickle a ${v.constructor?.name ?? "object"}`);
  }
  const entries = Object.entries(v as { readonly [key: string]: PickleEncodable });
  writeDict(w, entries.values(), entries.length, d);
}

function writeDict(
  w: PickleWriter,
  entries: Iterator<readonly [PickleEncodable, PickleEncodable]>,
  size: number,
  depthLeft: number,
): void {
  w.emptyDict();
  if (size > 1) w.mark();
  for (let e = entries.next(); !e.done; e = entries.next()) {
    writeValue(w, e.value[0], depthLeft);
    writeValue(w, e.value[1], depthLeft);
  }
  if (size === 1) w.setItem();
  else if (size > 1) w.setItems();
}

/**
 * The answer to `cache-query`: `{'datapoints': [(ts, value), ...]}`.
 *
 * @example
 * ```ts
 * const reply = encodeDatapointsReply({ timestamps: ts, values, count: n }, { framed: true });
 * conn.write(reply);
 * ```
 */
export function encodeDatapointsReply(
  points: Datapoints,
  options: PickleEncodeOptions = {},
): Uint8Array {
  const count = points.count ?? points.timestamps.length;
  const w = new PickleWriter(32 + count * MAX_POINT_BYTES, options);
  w.proto();
  w.emptyDict();
  w.str("datapoints");
  w.datapoints(points);
  w.setItem();
  return w.finish();
}

/**
 * The answer to `cache-query-bulk`: `{'datapointsByMetric': {name: [(ts, value), ...], ...}}`,
 * in the iteration order of `series` (a `Map<string, Datapoints>` fits).
 */
export function encodeDatapointsByMetricReply(
  series: Iterable<readonly [string, Datapoints]>,
  options: PickleEncodeOptions = {},
): Uint8Array {
  const w = new PickleWriter(1024, options);
  w.proto();
  w.emptyDict();
  w.str("datapointsByMetric");
  w.emptyDict();
  w.mark();
  for (const [name, points] of series) {
    w.str(name);
    w.datapoints(points);
  }
  w.setItems(); // SETITEMS with no items is valid: an empty dict
  w.setItem();
  return w.finish();
}

/** The answer to `get-metadata`: `{'value': value}`. */
export function encodeValueReply(
  value: PickleEncodable,
  options: PickleEncodeOptions = {},
): Uint8Array {
  return encodePickle(new Map([["value", value]]), options);
}

/** An error answer, `{'error': message}`; graphite-web raises CarbonLinkRequestError with it. */
export function encodeErrorReply(message: string, options: PickleEncodeOptions = {}): Uint8Array {
  return encodePickle(new Map([["error", message]]), options);
}
