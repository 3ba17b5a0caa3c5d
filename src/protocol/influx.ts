// Influx line protocol in plain TypeScript: the reference assembly/influx.ts is tested against,
// the baseline it is benchmarked against, and the path that finishes the rare values the wasm
// parser hands back. Same procedure as the wasm parser (see its header for the grammar).
//
// `measurement[,k=v...] field=value[,...] [timestamp]` gives one point per field named
// `measurement{separator}field;k=v;...` (VictoriaMetrics' -influxMeasurementFieldSeparator;
// carbonado's default separator is `.`), timestamps converted to seconds from `precision`, or
// from the unit VictoriaMetrics guesses by magnitude when there is none.

import { mendPath, taggedName } from "./label_names.ts";
import { eachLine } from "./line_block.ts";
import { MAX_NAME_BYTES, parseValueToken, type RejectReason } from "./plaintext.ts";

/** Timestamp units of the `precision` parameter, after aliases (`u`, `µ` -> `us`). */
export type InfluxPrecision = "ns" | "us" | "ms" | "s" | "m" | "h";

/** The `precision` spellings of InfluxDB 1.x and 2.x, by what they mean. */
export const INFLUX_PRECISIONS: Readonly<Record<string, InfluxPrecision>> = {
  ns: "ns",
  n: "ns",
  us: "us",
  u: "us",
  "µ": "us",
  ms: "ms",
  s: "s",
  m: "m",
  h: "h",
};

/** How Influx lines become points. */
export interface InfluxOptions {
  /** Between measurement and field in a name. */
  separator: string;
  /** Unit of the timestamps; absent: guessed from their magnitude. */
  precision?: InfluxPrecision;
  /** The HTTP `db` parameter, added as a tag when a line has no tag named `dbTag`. */
  db?: string;
  /** The key of that tag (VictoriaMetrics' -influxDBLabel); "" adds none. */
  dbTag?: string;
  /** Unix seconds for lines without a timestamp (or with 0). */
  now: number;
}

/** A point of a parsed line: its raw tagged name (tags in line order), seconds, value. */
export interface InfluxPoint {
  name: string;
  timestamp: number;
  value: number;
}

/** What parseInfluxBlock() reports besides points. */
export interface InfluxSink {
  point(p: InfluxPoint): void;
  /** A line or a field refused. */
  reject(reason: RejectReason): void;
  /** A string field that does not hold a number (skipped, not refused). */
  stringSkipped?(): void;
}

const CR = 0x0d, SPACE = 0x20, TAB = 0x09, COMMA = 0x2c, EQUALS = 0x3d;
const QUOTE = 0x22, BACKSLASH = 0x5c, HASH = 0x23, MINUS = 0x2d;
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const BOOLEANS: Record<string, number> = {
  t: 1,
  T: 1,
  true: 1,
  True: 1,
  TRUE: 1,
  f: 0,
  F: 0,
  false: 0,
  False: 0,
  FALSE: 0,
};
/** Units per second (sub-second units) or seconds per unit (the others). */
const PER_SECOND: Partial<Record<InfluxPrecision, number>> = { ns: 1e9, us: 1e6, ms: 1e3 };
const SECONDS_PER: Partial<Record<InfluxPrecision, number>> = { s: 1, m: 60, h: 3600 };

/** The unit VictoriaMetrics guesses for a timestamp sent without one. */
export function guessPrecision(ts: number): InfluxPrecision {
  if (ts >= 1e17) return "ns";
  if (ts >= 1e14) return "us";
  if (ts >= 1e11) return "ms";
  return "s";
}

/** Unix seconds (floored) of a decimal integer timestamp in `unit`, or NaN out of u32. */
export function timestampSeconds(digits: string, precision?: InfluxPrecision): number {
  const approx = Number(digits);
  if (approx < 0) return NaN;
  const unit = precision ?? guessPrecision(approx);
  const per = PER_SECOND[unit];
  let s: number;
  if (per === undefined) s = approx * SECONDS_PER[unit]!;
  else if (digits.length > 15) s = Number(BigInt(digits) / BigInt(per));
  else s = Math.floor(approx / per);
  return s >= 0 && s <= 0xffff_ffff ? s : NaN;
}

/** The first unescaped byte of `stops` in [p, end), or `end`. */
function scanTo(line: Uint8Array, p: number, end: number, stops: readonly number[]): number {
  while (p < end) {
    const c = line[p];
    if (c === BACKSLASH) {
      p += 2;
      continue;
    }
    if (stops.includes(c)) return p;
    p++;
  }
  return end;
}

/** Bytes with `\x` undone for each x in `escapable`, as a string. */
function unescape(bytes: Uint8Array, escapable: readonly number[]): string {
  if (!bytes.includes(BACKSLASH)) return decoder.decode(bytes);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === BACKSLASH && i + 1 < bytes.length && escapable.includes(bytes[i + 1])) i++;
    out.push(bytes[i]);
  }
  return decoder.decode(Uint8Array.from(out));
}

const MEASUREMENT_ESCAPES = [COMMA, SPACE, BACKSLASH];
const KEY_ESCAPES = [COMMA, SPACE, EQUALS, BACKSLASH];
const isBlank = (c: number) => c === SPACE || c === TAB;

/** A non-string field value: integer, boolean or float; null when it is none of them. */
function fieldValue(token: string): number | null {
  const last = token[token.length - 1];
  if (last === "i" || last === "u") {
    const digits = token.slice(0, -1);
    if (!(last === "i" ? /^-?\d+$/ : /^\d+$/).test(digits)) return null;
    return Number(digits);
  }
  if (token in BOOLEANS) return BOOLEANS[token];
  const v = parseValueToken(encoder.encode(token));
  return Number.isNaN(v) ? null : v;
}

/** Parses one line (without `\n`) into the sink. */
export function parseInfluxLine(line: Uint8Array, opts: InfluxOptions, sink: InfluxSink): void {
  let end = line.length;
  if (end > 0 && line[end - 1] === CR) end--;
  let p = 0;
  while (p < end && isBlank(line[p])) p++;
  if (p === end || line[p] === HASH) return;

  const mStart = p;
  p = scanTo(line, p, end, [COMMA, SPACE]);
  if (p >= end) return sink.reject("fields");
  const path = mendPath(unescape(line.subarray(mStart, p), MEASUREMENT_ESCAPES));
  if (path === "") return sink.reject("empty_name");

  const tags: [string, string][] = [];
  const dbTag = opts.dbTag ?? "db";
  let sawDb = false;
  while (p < end && line[p] === COMMA) {
    const k = ++p;
    p = scanTo(line, p, end, [EQUALS, COMMA, SPACE]);
    if (p >= end || line[p] !== EQUALS) return sink.reject("fields");
    const rawKey = line.subarray(k, p);
    const v = ++p;
    p = scanTo(line, p, end, [COMMA, SPACE]);
    if (dbTag !== "" && decoder.decode(rawKey) === dbTag) sawDb = true;
    tags.push([unescape(rawKey, KEY_ESCAPES), unescape(line.subarray(v, p), KEY_ESCAPES)]);
  }
  if (opts.db && dbTag !== "" && !sawDb) tags.push([dbTag, opts.db]);
  const suffix = taggedName("", tags);
  if (encoder.encode(suffix).length > MAX_NAME_BYTES) return sink.reject("bad_name");
  if (p >= end) return sink.reject("fields");
  while (p < end && line[p] === SPACE) p++;
  if (p >= end) return sink.reject("fields");

  const points: InfluxPoint[] = [];
  const bad: RejectReason[] = [];
  let skipped = 0;
  while (true) {
    const f = p;
    p = scanTo(line, p, end, [EQUALS, COMMA, SPACE]);
    if (p >= end || line[p] !== EQUALS || p === f) return sink.reject("fields");
    const field = mendPath(unescape(line.subarray(f, p), KEY_ESCAPES));
    p++;
    let value: number | null;
    let skip = false;
    if (p < end && line[p] === QUOTE) {
      const s = ++p;
      while (p < end && line[p] !== QUOTE) p += line[p] === BACKSLASH ? 2 : 1;
      if (p >= end) return sink.reject("fields");
      value = parseValueToken(line.subarray(s, p));
      if (Number.isNaN(value)) {
        skip = true;
        skipped++;
      }
      p++;
    } else {
      const t = p;
      while (p < end && line[p] !== COMMA && line[p] !== SPACE) p++;
      value = t === p ? null : fieldValue(decoder.decode(line.subarray(t, p)));
    }
    if (p < end && line[p] !== COMMA && line[p] !== SPACE) return sink.reject("fields");
    if (!skip) {
      const name = `${path}${opts.separator}${field}${suffix}`;
      if (value === null) bad.push("bad_value");
      else points.push({ name, timestamp: 0, value });
    }
    if (p < end && line[p] === COMMA) {
      p++;
      continue;
    }
    break;
  }

  while (p < end && isBlank(line[p])) p++;
  let timestamp = opts.now;
  if (p < end) {
    const t = p;
    if (line[p] === MINUS) p++;
    while (p < end && line[p] >= 0x30 && line[p] <= 0x39) p++;
    const digits = decoder.decode(line.subarray(t, p));
    while (p < end && isBlank(line[p])) p++;
    if (p !== end || !/^-?\d{1,19}$/.test(digits) || BigInt(digits) > 0x7fff_ffff_ffff_ffffn) {
      return sink.reject("bad_timestamp");
    }
    if (Number(digits) !== 0) {
      timestamp = timestampSeconds(digits, opts.precision);
      if (Number.isNaN(timestamp)) return sink.reject("bad_timestamp");
    }
  }
  for (const point of points) {
    point.timestamp = timestamp;
    sink.point(point);
  }
  for (const reason of bad) sink.reject(reason);
  for (let i = 0; i < skipped; i++) sink.stringSkipped?.();
}

/**
 * Parses every complete line of `chunk` into the sink; returns the bytes consumed (a partial
 * last line is left over, as the wasm parser does).
 */
export function parseInfluxBlock(
  chunk: Uint8Array,
  opts: InfluxOptions,
  sink: InfluxSink,
  maxLineLen = Infinity,
): number {
  return eachLine(
    chunk,
    maxLineLen,
    (line) => parseInfluxLine(line, opts, sink),
    () => sink.reject("line_too_long"),
  );
}
