// Protocol Buffers wire format, the parts carbonado writes and reads: varints, UTF-8 strings,
// a growable writer for nested messages (remote_write's WriteRequest is built by hand in
// src/remote/write_request.ts with these helpers; carbonserver's carbonapi_v2_pb/_v3_pb answers
// use the writer) and a reader for the small requests carbonapi sends. proto3 rules: a field at
// its default (0, "", false, empty) is not written; unknown fields are skipped when read.
// Wire types (protobuf encoding spec): 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit.

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;
/** Bytes reserved for a nested message's length: a varint up to 2^35. */
const LEN_RESERVE = 5;

/**
 * Bytes of `s` in UTF-8 (a lone surrogate counts as U+FFFD, as TextEncoder writes it). Labels are
 * short: a loop here is several times faster than a TextEncoder call per string.
 */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n++;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && isLow(s.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Writes `s` as UTF-8 at `p`; returns the new end. */
export function writeUtf8(buf: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[p++] = c;
      continue;
    }
    if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = s.charCodeAt(i + 1);
        if (c <= 0xdbff && isLow(next)) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          buf[p++] = 0xf0 | (c >> 18);
          buf[p++] = 0x80 | ((c >> 12) & 0x3f);
          buf[p++] = 0x80 | ((c >> 6) & 0x3f);
          buf[p++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd;
      }
      buf[p++] = 0xe0 | (c >> 12);
      buf[p++] = 0x80 | ((c >> 6) & 0x3f);
    }
    buf[p++] = 0x80 | (c & 0x3f);
  }
  return p;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Bytes of `v` (a non-negative safe integer) as a varint. */
export function uvarintLen(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes `v` (a non-negative safe integer) as a varint at `p`; returns the new end. */
export function putUvarint(buf: Uint8Array, p: number, v: number): number {
  if (v >= 0x1000_0000) {
    // millisecond timestamps: the low 28 bits in 32-bit arithmetic, then the rest
    const hi = Math.floor(v / 0x1000_0000);
    const lo = v - hi * 0x1000_0000;
    buf[p++] = (lo & 0x7f) | 0x80;
    buf[p++] = ((lo >>> 7) & 0x7f) | 0x80;
    buf[p++] = ((lo >>> 14) & 0x7f) | 0x80;
    buf[p++] = ((lo >>> 21) & 0x7f) | 0x80;
    v = hi;
  }
  while (v >= 0x80) {
    buf[p++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[p++] = v;
  return p;
}

/** An int64 as protobuf writes it: negatives as their 64-bit two's complement (10 bytes). */
export function putVarint64(buf: Uint8Array, p: number, v: number): number {
  if (v >= 0) return putUvarint(buf, p, v);
  let u = BigInt.asUintN(64, BigInt(v));
  while (u >= 0x80n) {
    buf[p++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  buf[p++] = Number(u);
  return p;
}

/**
 * Writes one message into a growing buffer. Nested messages: `begin(field)`, their fields,
 * `end()`; the length is filled in at `end()` (its varint shifted into place).
 *
 * @example
 * ```ts
 * const w = new ProtobufWriter();
 * w.begin(1); w.string(1, "a.b"); w.bool(2, true); w.end(); // { metrics { path: "a.b" isLeaf: true } }
 * const bytes = w.finish();
 * ```
 */
export class ProtobufWriter {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;
  #open: number[] = [];

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(capacity);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** A string field (UTF-8); omitted when empty. */
  string(field: number, s: string): void {
    if (s === "") return;
    const n = utf8Length(s);
    this.#room(10 + n);
    this.#tag(field, LEN);
    this.#pos = putUvarint(this.#buf, this.#pos, n);
    this.#pos = writeUtf8(this.#buf, this.#pos, s);
  }

  /** A bool field; omitted when false. */
  bool(field: number, b: boolean): void {
    if (!b) return;
    this.#room(11);
    this.#tag(field, VARINT);
    this.#buf[this.#pos++] = 1;
  }

  /** An int32, int64 or uint field (a safe integer); omitted when 0. */
  int(field: number, n: number): void {
    if (n === 0) return;
    this.#room(20);
    this.#tag(field, VARINT);
    this.#pos = putVarint64(this.#buf, this.#pos, n);
  }

  /** A float field (fixed32); omitted when 0. */
  float(field: number, x: number): void {
    if (x === 0) return;
    this.#room(15);
    this.#tag(field, FIXED32);
    this.#view.setFloat32(this.#pos, x, true);
    this.#pos += 4;
  }

  /** A packed `repeated double`; omitted when empty. */
  doubles(field: number, values: ArrayLike<number>): void {
    if (values.length === 0) return;
    this.#room(20 + 8 * values.length);
    this.#tag(field, LEN);
    this.#pos = putUvarint(this.#buf, this.#pos, 8 * values.length);
    for (let i = 0; i < values.length; i++) {
      this.#view.setFloat64(this.#pos, values[i], true);
      this.#pos += 8;
    }
  }

  /** A packed `repeated bool`; omitted when empty. */
  bools(field: number, values: ArrayLike<boolean>): void {
    if (values.length === 0) return;
    this.#room(20 + values.length);
    this.#tag(field, LEN);
    this.#pos = putUvarint(this.#buf, this.#pos, values.length);
    for (let i = 0; i < values.length; i++) this.#buf[this.#pos++] = values[i] ? 1 : 0;
  }

  /** Opens a nested message in `field` (written even when empty, as a repeated item must be). */
  begin(field: number): void {
    this.#room(10 + LEN_RESERVE);
    this.#tag(field, LEN);
    this.#open.push(this.#pos);
    this.#pos += LEN_RESERVE;
  }

  /** Closes the message the last `begin()` opened. */
  end(): void {
    const start = this.#open.pop();
    if (start === undefined) throw new RangeError("ProtobufWriter.end() without begin()");
    const bodyStart = start + LEN_RESERVE;
    const len = this.#pos - bodyStart;
    const at = putUvarint(this.#buf, start, len);
    if (at < bodyStart) {
      this.#buf.copyWithin(at, bodyStart, this.#pos);
      this.#pos -= bodyStart - at;
    }
  }

  /** The message's bytes (a view of the writer's buffer). */
  finish(): Uint8Array<ArrayBuffer> {
    if (this.#open.length > 0) throw new RangeError("ProtobufWriter.finish() with a message open");
    return this.#buf.subarray(0, this.#pos) as Uint8Array<ArrayBuffer>;
  }

  #tag(field: number, wire: number): void {
    this.#pos = putUvarint(this.#buf, this.#pos, field * 8 + wire);
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const bigger = new Uint8Array(Math.max(this.#pos + n, this.#buf.length * 2));
    bigger.set(this.#buf.subarray(0, this.#pos));
    this.#buf = bigger;
    this.#view = new DataView(bigger.buffer);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads the fields of one message in order: `next()` gives each field's number and wire type,
 * then a read of that type (or `skip()`).
 *
 * @throws {SyntaxError} on truncated or malformed input
 *
 * @example
 * ```ts
 * const r = new ProtobufReader(body);
 * for (let f = r.next(); f !== null; f = r.next()) {
 *   if (f.field === 1 && f.wire === 2) names.push(r.string()); else r.skip(f.wire);
 * }
 * ```
 */
export class ProtobufReader {
  readonly #bytes: Uint8Array;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** The next field's number and wire type, or null at the end. */
  next(): { field: number; wire: number } | null {
    if (this.#pos >= this.#bytes.length) return null;
    const key = this.uint();
    const field = Math.floor(key / 8);
    if (field === 0) this.#fail("field number 0");
    return { field, wire: key % 8 };
  }

  /** A varint as a non-negative number (exact up to 2^53). */
  uint(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#bytes.length) this.#fail("truncated varint");
      const b = this.#bytes[this.#pos++];
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
    this.#fail("varint longer than 10 bytes");
  }

  /** An int64 varint (negatives are 10-byte two's complement), exact within ±2^53. */
  int(): number {
    const start = this.#pos;
    const v = this.uint();
    if (v <= Number.MAX_SAFE_INTEGER) return v;
    let u = 0n;
    for (let i = this.#pos - 1; i >= start; i--) u = (u << 7n) | BigInt(this.#bytes[i] & 0x7f);
    return Number(BigInt.asIntN(64, u));
  }

  /** A length-delimited field's bytes (a view). */
  bytes(): Uint8Array {
    const n = this.uint();
    if (this.#pos + n > this.#bytes.length) this.#fail(`length ${n} past the end`);
    const out = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** A string field. */
  string(): string {
    try {
      return utf8.decode(this.bytes());
    } catch (err) {
      if (err instanceof SyntaxError) throw err;
      this.#fail("string is not valid UTF-8");
    }
  }

  /** Skips a field of wire type `wire`. */
  skip(wire: number): void {
    switch (wire) {
      case VARINT:
        this.uint();
        return;
      case FIXED64:
        this.#advance(8);
        return;
      case LEN:
        this.bytes();
        return;
      case FIXED32:
        this.#advance(4);
        return;
      default:
        this.#fail(`wire type ${wire} is not supported`);
    }
  }

  #advance(n: number): void {
    if (this.#pos + n > this.#bytes.length) this.#fail("truncated field");
    this.#pos += n;
  }

  #fail(msg: string): never {
    throw new SyntaxError(`Cannot parse protobuf at offset ${this.#pos}: ${msg}`);
  }
}
