// A series' labels as the `labels` fields of a remote_write TimeSeries, built from bytes: the
// name mapper (names.ts) puts each label's name and value here (copied or sanitized byte by
// byte, straight from the WAL record or from a mapping rule's text), a later label replacing an
// earlier one of the same name; `finish()` leaves out empty values, sorts by name (byte order,
// as the 1.0 spec requires) and encodes them once, with the hash that picks the series' shard.
// No string, array or object per series: the table copies the result into a 64 KiB slab.
//
//   Label { string name = 1; string value = 2; }   (TimeSeries field 1, repeated)

import { putUvarint, uvarintLen, writeUtf8 } from "../protocol/protobuf.ts";

const TAG_LABEL = 0x0a; // TimeSeries field 1, length-delimited
const TAG_NAME = 0x0a;
const TAG_VALUE = 0x12;

/** How bytes are put in a label. */
export const Put = {
  /** As they are. */
  Copy: 0,
  /** A metric name: every byte outside `[a-zA-Z0-9_:]` becomes `_`, a leading digit gets `_`. */
  MetricName: 1,
  /** A label name: as a metric name, and `:` becomes `_` too. */
  LabelName: 2,
} as const;

/** One of {@linkcode Put}'s ways. */
export type PutWay = typeof Put[keyof typeof Put];

const UNDERSCORE = 0x5f;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Builds one label set at a time; `out[0, length)` and `hash` hold the last `finish()`. */
export class LabelSetBuilder {
  /** Names and values put so far, back to back. */
  #bytes = new Uint8Array(1024);
  #used = 0;
  /** Per label: name start, name end (= value start), value end, in #bytes. */
  #labels = new Int32Array(3 * 16);
  #count = 0;
  #order = new Int32Array(16);
  /** A rule's text as UTF-8, before it is put. */
  #text = new Uint8Array(256);
  out = new Uint8Array(1024);
  length = 0;
  /**
   * FNV-1a 32 over the UTF-16 code units of the label set's key (the `__name__` value alone when
   * it is the only label, else `name NUL value NUL` per label): stable across restarts.
   */
  hash = 0;

  /** Starts a new label set. */
  reset(): void {
    this.#used = 0;
    this.#count = 0;
  }

  /** Where the next bytes put go: a label's name starts here. */
  mark(): number {
    return this.#used;
  }

  /** Puts `src[from, to)` (UTF-8) the way `how` says. */
  put(src: Uint8Array, from: number, to: number, how: PutWay): void {
    this.#reserve(to - from + 1);
    const buf = this.#bytes;
    let p = this.#used;
    if (how === Put.Copy) {
      for (let i = from; i < to; i++) buf[p++] = src[i];
      this.#used = p;
      return;
    }
    if (from < to && isDigit(src[from])) buf[p++] = UNDERSCORE;
    const colon = how === Put.MetricName;
    for (let i = from; i < to; i++) {
      const c = src[i];
      buf[p++] = isNameByte(c) || (colon && c === 0x3a) ? c : UNDERSCORE;
    }
    this.#used = p;
  }

  /** Puts a string (a mapping rule's name or label) as UTF-8, the way `how` says. */
  putText(s: string, how: PutWay): void {
    if (this.#text.length < s.length * 3) this.#text = new Uint8Array(s.length * 3);
    this.put(this.#text, 0, writeUtf8(this.#text, 0, s), how);
  }

  /**
   * Ends a label: its name was put from `nameFrom` to `valueFrom`, its value from there to now.
   * It replaces an earlier label of the same name.
   */
  label(nameFrom: number, valueFrom: number): void {
    const l = this.#labels;
    const buf = this.#bytes;
    const nameLen = valueFrom - nameFrom;
    for (let i = 0; i < this.#count * 3; i += 3) {
      if (l[i + 1] - l[i] === nameLen && same(buf, l[i], nameFrom, nameLen)) {
        l[i] = nameFrom;
        l[i + 1] = valueFrom;
        l[i + 2] = this.#used;
        return;
      }
    }
    if (l.length < (this.#count + 1) * 3) {
      this.#labels = grow32(l, l.length * 2);
      this.#order = grow32(this.#order, this.#order.length * 2);
    }
    const at = this.#count++ * 3;
    this.#labels[at] = nameFrom;
    this.#labels[at + 1] = valueFrom;
    this.#labels[at + 2] = this.#used;
  }

  /** Encodes the labels with a value, sorted by name; returns the length of `out`. */
  finish(): number {
    const l = this.#labels;
    const buf = this.#bytes;
    const order = this.#order;
    let n = 0;
    let size = 0;
    for (let i = 0; i < this.#count * 3; i += 3) {
      if (l[i + 2] === l[i + 1]) continue; // empty value: left out
      // insertion sort by name bytes: label sets are small
      let j = n++;
      while (
        j > 0 && compareRanges(buf, l[order[j - 1]], l[order[j - 1] + 1], l[i], l[i + 1]) > 0
      ) {
        order[j] = order[j - 1];
        j--;
      }
      order[j] = i;
      size += labelSize(l[i + 1] - l[i], l[i + 2] - l[i + 1]);
    }
    if (this.out.length < size) this.out = new Uint8Array(Math.max(size, this.out.length * 2));
    const out = this.out;
    let p = 0;
    let h = FNV_OFFSET;
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const name = l[i + 1] - l[i];
      const value = l[i + 2] - l[i + 1];
      out[p++] = TAG_LABEL;
      p = putUvarint(out, p, 1 + uvarintLen(name) + name + 1 + uvarintLen(value) + value);
      out[p++] = TAG_NAME;
      p = putUvarint(out, p, name);
      for (let j = l[i]; j < l[i + 1]; j++) out[p++] = buf[j];
      out[p++] = TAG_VALUE;
      p = putUvarint(out, p, value);
      for (let j = l[i + 1]; j < l[i + 2]; j++) out[p++] = buf[j];
      if (n > 1) {
        h = Math.imul(hashUtf16(h, buf, l[i], l[i + 1]), FNV_PRIME); // NUL: h ^ 0 = h
        h = Math.imul(hashUtf16(h, buf, l[i + 1], l[i + 2]), FNV_PRIME);
      } else h = hashUtf16(h, buf, l[i + 1], l[i + 2]);
    }
    this.hash = h >>> 0;
    this.length = p;
    return p;
  }

  #reserve(n: number): void {
    if (this.#used + n <= this.#bytes.length) return;
    const next = new Uint8Array(Math.max(this.#used + n, this.#bytes.length * 2));
    next.set(this.#bytes.subarray(0, this.#used));
    this.#bytes = next;
  }
}

/** Bytes of a Label field whose name and value take `name` and `value` bytes. */
function labelSize(name: number, value: number): number {
  const inner = 1 + uvarintLen(name) + name + 1 + uvarintLen(value) + value;
  return 1 + uvarintLen(inner) + inner;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** `[a-zA-Z0-9_]` */
function isNameByte(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || isDigit(c) || c === UNDERSCORE;
}

function same(buf: Uint8Array, a: number, b: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/** Compares `buf[a, aEnd)` and `buf[b, bEnd)` as bytes. */
function compareRanges(buf: Uint8Array, a: number, aEnd: number, b: number, bEnd: number): number {
  const n = Math.min(aEnd - a, bEnd - b);
  for (let i = 0; i < n; i++) {
    const d = buf[a + i] - buf[b + i];
    if (d !== 0) return d;
  }
  return (aEnd - a) - (bEnd - b);
}

function grow32(a: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(length);
  next.set(a);
  return next;
}

/** FNV-1a 32 steps over the UTF-16 code units of valid UTF-8 `buf[from, to)`. */
function hashUtf16(h: number, buf: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to;) {
    const b = buf[i];
    let c: number;
    if (b < 0x80) {
      c = b;
      i++;
    } else if (b < 0xe0) {
      c = ((b & 0x1f) << 6) | (buf[i + 1] & 0x3f);
      i += 2;
    } else if (b < 0xf0) {
      c = ((b & 0x0f) << 12) | ((buf[i + 1] & 0x3f) << 6) | (buf[i + 2] & 0x3f);
      i += 3;
    } else {
      const cp = ((b & 0x07) << 18) | ((buf[i + 1] & 0x3f) << 12) | ((buf[i + 2] & 0x3f) << 6) |
        (buf[i + 3] & 0x3f);
      i += 4;
      h = Math.imul(h ^ (0xd800 + ((cp - 0x10000) >> 10)), FNV_PRIME);
      c = 0xdc00 + ((cp - 0x10000) & 0x3ff);
    }
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h;
}

/** Label sets are carved out of 64 KiB slabs: a small typed array of its own per series costs
 * an ArrayBuffer and a backing store each (measured: most of a new series' setup time). A
 * range of a slab instead of a view made the WriteRequest encoder's copies 18 ns a series
 * slower (a view per copy), more than the view saves once. */
const SLAB_BYTES = 65_536;

/** Where label sets are kept. */
export class LabelSlabs {
  #bytes = new Uint8Array(0);
  #used = 0;

  /** A lasting copy of `src[0, length)`, carved out of a slab (a new one when it is full). */
  keep(src: Uint8Array, length: number): Uint8Array {
    if (this.#used + length > this.#bytes.length) {
      this.#bytes = new Uint8Array(Math.max(SLAB_BYTES, length));
      this.#used = 0;
    }
    const at = this.#used;
    const bytes = this.#bytes;
    for (let i = 0; i < length; i++) bytes[at + i] = src[i];
    this.#used = at + length;
    return bytes.subarray(at, at + length);
  }
}
