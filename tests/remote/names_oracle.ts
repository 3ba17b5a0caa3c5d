// The name mapping and label encoding as they were written first, on strings (one label array,
// a Map and strings per series): kept here as the oracle that the byte-level mapping of
// src/remote/names.ts and label_set.ts is checked against, and to build label bytes in tests.
// The globs are compiled and matched by the product's own compileNameRules() and capture().

import {
  capture,
  type CompiledNameRules,
  compileNameRules,
  fill,
  matchParts,
  type NameMapperOptions,
  type NameStyle,
} from "../../src/remote/names.ts";
import type { EncodableSeries } from "../../src/remote/write_request.ts";
import { compareCodePoints } from "../../src/index/glob.ts";
import { putUvarint, utf8Length, uvarintLen, writeUtf8 } from "../../src/protocol/protobuf.ts";

const TAG_LABEL = 0x0a;
const TAG_NAME = 0x0a;
const TAG_VALUE = 0x12;

/** A label as [name, value]. */
export type Label = readonly [string, string];

/** Maps Graphite names (tags included) to sorted, unique label sets, or to null when excluded. */
export class StringNameMapper {
  #style: NameStyle;
  /** Plain (no include, exclude or rule): an untagged name maps straight to its `__name__`. */
  #rules: CompiledNameRules;

  /** @throws {RangeError} on a bad glob (the message names the pattern) */
  constructor(opts: NameMapperOptions) {
    this.#style = opts.names;
    this.#rules = compileNameRules(opts);
  }

  /**
   * The labels of the Graphite series `name` (`path` or `path;k=v;...`), sorted by name with
   * `__name__` among them, or null when include/exclude leave it out.
   */
  labels(name: string): Label[] | null {
    const semi = name.indexOf(";");
    const path = semi < 0 ? name : name.slice(0, semi);
    const { include, exclude, rules, plain } = this.#rules;
    if (semi < 0 && plain) {
      return [["__name__", this.#style === "raw" ? path : sanitizeMetricName(path)]];
    }
    const parts = path.split(".");
    if (include.length > 0 && !include.some((g) => matchParts(g, parts))) return null;
    if (exclude.some((g) => matchParts(g, parts))) return null;
    const out = new Map<string, string>();
    if (semi >= 0) {
      for (const tag of name.slice(semi + 1).split(";")) {
        const eq = tag.indexOf("=");
        if (eq <= 0 || eq === tag.length - 1) continue;
        const key = this.#style === "raw" ? tag.slice(0, eq) : sanitizeLabelName(tag.slice(0, eq));
        out.set(key, tag.slice(eq + 1));
      }
    }
    let metric = path;
    for (const rule of rules) {
      const captures = capture(rule.glob, parts);
      if (captures === null) continue;
      metric = fill(rule.name, captures) || path;
      for (const [key, template] of rule.labels) out.set(key, fill(template, captures));
      break;
    }
    out.set("__name__", this.#style === "raw" ? metric : sanitizeMetricName(metric));
    const labels: Label[] = [];
    for (const [k, v] of out) if (v !== "") labels.push([k, v]);
    return labels.sort((a, b) => compareCodePoints(a[0], b[0]));
  }
}

/**
 * A metric name the 1.0 spec accepts: every byte (of the UTF-8 form) outside `[a-zA-Z0-9_:]`
 * becomes `_`, and a leading digit gets `_` in front (`café.p99` → `caf___p99`).
 */
export function sanitizeMetricName(name: string): string {
  return sanitize(name, true);
}

/** A label name the 1.0 spec accepts: as a metric name, and `:` becomes `_` too. */
export function sanitizeLabelName(name: string): string {
  return sanitize(name, false);
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NON_ASCII = /[\u0080-\uffff]/;

function sanitize(name: string, colon: boolean): string {
  if ((colon ? METRIC_NAME : LABEL_NAME).test(name)) return name;
  if (!NON_ASCII.test(name)) {
    // one byte per character: a regex replace does it
    const out = name.replace(colon ? /[^a-zA-Z0-9_:]/g : /[^a-zA-Z0-9_]/g, "_");
    const first = out.charCodeAt(0);
    return first >= 0x30 && first <= 0x39 ? "_" + out : out;
  }
  let out = "";
  let changed = false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
      c === 0x5f || (colon && c === 0x3a);
    if (ok) {
      out += name[i];
      continue;
    }
    changed = true;
    // one `_` per UTF-8 byte of the character
    if (c < 0x80) out += "_";
    else if (c < 0x800) out += "__";
    else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(name.charCodeAt(i + 1))) {
      out += "____";
      i++;
    } else out += "___";
  }
  const first = out.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) return "_" + out;
  return changed ? out : name;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * The labels as the `labels` fields of a TimeSeries, ready to copy.
 *
 * @throws {RangeError} unless the labels are sorted by name (byte order), with unique,
 *   non-empty names and non-empty values, as the 1.0 spec requires
 */
export function encodeLabels(labels: readonly (readonly [string, string])[]): Uint8Array {
  let size = 0;
  for (let i = 0; i < labels.length; i++) {
    const [name, value] = labels[i];
    if (name === "" || value === "") {
      throw new RangeError(`Invalid label ${JSON.stringify(name)}: empty name or value`);
    }
    if (i > 0 && compareCodePoints(labels[i - 1][0], name) >= 0) {
      throw new RangeError(`Invalid labels: ${JSON.stringify(name)} is out of order or repeated`);
    }
    const inner = fieldSize(utf8Length(name)) + fieldSize(utf8Length(value));
    size += 1 + uvarintLen(inner) + inner;
  }
  const out = new Uint8Array(size);
  let p = 0;
  for (const [name, value] of labels) {
    const n = utf8Length(name);
    const v = utf8Length(value);
    out[p++] = TAG_LABEL;
    p = putUvarint(out, p, fieldSize(n) + fieldSize(v));
    out[p++] = TAG_NAME;
    p = putUvarint(out, p, n);
    p = writeUtf8(out, p, name);
    out[p++] = TAG_VALUE;
    p = putUvarint(out, p, v);
    p = writeUtf8(out, p, value);
  }
  return out;
}

/** Bytes of a length-delimited field of `len` bytes: tag, length, bytes. */
function fieldSize(len: number): number {
  return 1 + uvarintLen(len) + len;
}

/** Orders label names by their UTF-8 bytes (the spec's order): code point order is the same. */
export { compareCodePoints as compareBytes };

/** The shard hash of a label set as first written: FNV-1a 32 over its key's UTF-16 code units. */
export function labelsHash(labels: readonly Label[]): number {
  // the name alone when it is the only label (names hold no NUL byte)
  let key = labels.length === 1 ? labels[0][1] : "";
  if (labels.length > 1) { for (const [k, v] of labels) key += `${k}\u0000${v}\u0000`; }
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const fromUtf8 = new TextDecoder();

/** The labels of encoded `labels` fields, as [name, value] pairs. */
export function decodeLabels(bytes: Uint8Array): Label[] {
  const out: [string, string][] = [];
  let p = 0;
  const uvarint = () => {
    let v = 0;
    for (let shift = 0;; shift += 7) {
      const b = bytes[p++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  const field = (tag: number) => {
    if (bytes[p++] !== tag) throw new Error(`tag ${tag} expected at ${p - 1}`);
    const len = uvarint();
    p += len;
    return bytes.subarray(p - len, p);
  };
  while (p < bytes.length) {
    const label = field(TAG_LABEL);
    const end = p;
    p = label.byteOffset - bytes.byteOffset;
    const name = fromUtf8.decode(field(TAG_NAME));
    const value = fromUtf8.decode(field(TAG_VALUE));
    if (p !== end) throw new Error(`label ends at ${p}, not ${end}`);
    out.push([name, value]);
  }
  return out;
}

/** A series for the WriteRequest encoder, its labels encoded here. */
export function encodableSeries(labels: readonly Label[]): EncodableSeries {
  return { labels: encodeLabels(labels), stamp: 0, size: 0, pos: 0 };
}
