// Graphite plaintext in plain TypeScript: the reference the wasm parser is tested against, the
// baseline it is benchmarked against, and the path that finishes the rare lines the wasm parser
// hands back (numbers it cannot convert exactly by itself). Same procedure as
// assembly/plain.ts classify(): length, field count, name, value, timestamp. Names go through
// checkName(): UTF-8, then carbon's canonical tag order (src/tags/tagged_name.ts).

import { canonicalBytes, hasTagSyntax, isValidUtf8 } from "../tags/tagged_name.ts";

/** Why a line was rejected: Prometheus label values, in the order of the wasm Reason enum. */
export const REJECT_REASONS = [
  "fields",
  "empty_name",
  "bad_name",
  "bad_value",
  "bad_timestamp",
  "line_too_long",
  "truncated",
  // not from the parser: the series is marked as failing for good (its points are refused),
  // and the batch could not be written to the write-ahead log
  "series_failed",
  "wal_write",
  "bad_utf8",
] as const;

/** One of REJECT_REASONS. */
export type RejectReason = typeof REJECT_REASONS[number];

/** Default maximum line length in bytes, before the `\n` (go-carbon has none; 256 KiB). */
export const MAX_LINE_BYTES = 262_144;
/** Longest metric name and path segment accepted (PATH_MAX, and NAME_MAX less ".wsp"). */
export const MAX_NAME_BYTES = 4096;
export const MAX_SEGMENT_BYTES = 251;

/** A parsed line: a point, a rejection, or null for a blank line. */
export type PlainLine =
  | { name: Uint8Array; value: number; timestamp: number }
  | { reason: RejectReason }
  | null;

const TAB = 0x09, CR = 0x0d, SPACE = 0x20, DOT = 0x2e, SLASH = 0x2f, SEMICOLON = 0x3b;
const DEL = 0x7f;
/** A decimal number as Go's ParseFloat and Python's float() read it (no hex, no `_`). */
export const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const isBlank = (c: number) => c === SPACE || c === TAB;
const latin1 = new TextDecoder("latin1");

/**
 * Why a metric name is refused, or null when it is safe: its path (up to the first `;`) must
 * be able to become a path under the data dir; its tags may hold anything but control bytes.
 */
export function nameError(name: Uint8Array): RejectReason | null {
  if (name.length === 0 || name[0] === SEMICOLON) return "empty_name";
  if (name.length > MAX_NAME_BYTES) return "bad_name";
  if (name[0] === DOT) return "bad_name";
  let prev = 0;
  let segment = 0;
  let i = 0;
  for (; i < name.length; i++) {
    const c = name[i];
    if (c === SEMICOLON) break;
    if (c < SPACE || c === DEL || c === SLASH) return "bad_name";
    if (c === DOT) {
      if (prev === DOT) return "bad_name";
      segment = 0;
    } else if (++segment > MAX_SEGMENT_BYTES) {
      return "bad_name";
    }
    prev = c;
  }
  if (prev === DOT) return "bad_name";
  for (; i < name.length; i++) if (name[i] < SPACE || name[i] === DEL) return "bad_name";
  return null;
}

/** A checked name: refused, or accepted in canonical form (`tagsInvalid`: kept as it came). */
export type CheckedName = { reason: RejectReason } | { name: Uint8Array; tagsInvalid: boolean };

/**
 * The whole check of a name, as assembly/plain.ts checkName(): empty, too long, not UTF-8,
 * then carbon's canonical form (or the name as it came when its tags are invalid), then
 * nameError() on the result.
 */
export function checkName(name: Uint8Array): CheckedName {
  if (name.length === 0 || name[0] === SEMICOLON) return { reason: "empty_name" };
  if (name.length > MAX_NAME_BYTES) return { reason: "bad_name" };
  if (!isValidUtf8(name)) return { reason: "bad_utf8" };
  let checked = name;
  let tagsInvalid = false;
  if (hasTagSyntax(name)) {
    const canon = canonicalBytes(name);
    if (canon === null) tagsInvalid = true;
    else checked = canon;
  }
  const bad = nameError(checked);
  return bad === null ? { name: checked, tagsInvalid } : { reason: bad };
}

/** A decimal float token as Python's float() and Go's ParseFloat read it, finite only; or NaN. */
export function parseValueToken(token: Uint8Array): number {
  const text = latin1.decode(token);
  if (!DECIMAL.test(text)) return NaN;
  const v = Number(text);
  return Number.isFinite(v) ? v : NaN;
}

/** A timestamp token truncated to whole seconds, in [0, 2^32); or NaN. */
export function parseTimestampToken(token: Uint8Array): number {
  const v = Math.trunc(parseValueToken(token));
  return v >= 0 && v <= 0xffff_ffff ? v + 0 : NaN; // + 0 turns -0 into 0
}

/** Parses one line (without its `\n`). */
export function parsePlainLine(line: Uint8Array, maxLineLen = MAX_LINE_BYTES): PlainLine {
  if (line.length > maxLineLen) return { reason: "line_too_long" };
  let end = line.length;
  if (end > 0 && line[end - 1] === CR) end--;
  const fields: Uint8Array[] = [];
  let p = 0;
  while (true) {
    while (p < end && isBlank(line[p])) p++;
    if (p >= end) break;
    const start = p;
    while (p < end && !isBlank(line[p])) p++;
    fields.push(line.subarray(start, p));
  }
  if (fields.length === 0) return null;
  if (fields.length !== 3) return { reason: "fields" };
  const [rawName, valueToken, tsToken] = fields;
  const checked = checkName(rawName);
  if ("reason" in checked) return checked;
  const name = checked.name;
  const value = parseValueToken(valueToken);
  if (Number.isNaN(value)) return { reason: "bad_value" };
  const timestamp = parseTimestampToken(tsToken);
  if (Number.isNaN(timestamp)) return { reason: "bad_timestamp" };
  return { name, value, timestamp };
}

/**
 * Parses every complete line of `chunk`, calling `onLine` for each non-blank one; returns the
 * bytes consumed (a partial last line is left over, as the wasm parser does).
 */
export function parsePlainBlock(
  chunk: Uint8Array,
  onLine: (line: Exclude<PlainLine, null>) => void,
  maxLineLen = MAX_LINE_BYTES,
): number {
  let start = 0;
  while (true) {
    const lf = chunk.indexOf(0x0a, start);
    if (lf < 0) return start;
    const parsed = parsePlainLine(chunk.subarray(start, lf), maxLineLen);
    if (parsed !== null) onLine(parsed);
    start = lf + 1;
  }
}
