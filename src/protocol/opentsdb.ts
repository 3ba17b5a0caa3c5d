// OpenTSDB in plain TypeScript: telnet `put` lines (the reference assembly/opentsdb.ts is
// tested and benchmarked against) and the JSON body of HTTP `/api/put`, which only this side
// reads. A point is named `metric;k=v;...` (tags mended as label_names.ts says). Timestamps:
// milliseconds when any bit of 0x7FFFFFFF00000000 is set (OpenTSDB's SECOND_MASK), seconds
// otherwise, floored; 0 or none is now.

import { taggedName } from "./label_names.ts";
import { eachLine } from "./line_block.ts";
import { parseValueToken, type RejectReason } from "./plaintext.ts";

/** A point: its raw tagged name, seconds, value. */
export interface TsdbPoint {
  name: string;
  timestamp: number;
  value: number;
}

/** What the parsers report. */
export interface TsdbSink {
  point(p: TsdbPoint): void;
  reject(reason: RejectReason): void;
}

const CR = 0x0d;
const decoder = new TextDecoder();
const encoder = new TextEncoder();
/** 2^32: a timestamp at or above it is in milliseconds (SECOND_MASK 0x7FFFFFFF00000000). */
const MS_THRESHOLD = 2 ** 32;

/** Seconds of an OpenTSDB timestamp (a non-negative integer), or NaN out of u32; 0 is `now`. */
export function tsdbSeconds(ts: number, now: number): number {
  if (!Number.isInteger(ts) || ts < 0 || ts > Number.MAX_SAFE_INTEGER) return NaN;
  if (ts === 0) return now;
  const s = ts >= MS_THRESHOLD ? Math.floor(ts / 1000) : ts;
  return s <= 0xffff_ffff ? s : NaN;
}

/** Parses one telnet line (without `\n`) into the sink. */
export function parseTsdbLine(line: Uint8Array, now: number, sink: TsdbSink): void {
  let end = line.length;
  if (end > 0 && line[end - 1] === CR) end--;
  const fields = decoder.decode(line.subarray(0, end)).split(/[ \t]+/).filter((f) => f !== "");
  if (fields.length === 0) return;
  if (fields[0] !== "put" || fields.length < 4) return sink.reject("fields");
  const [, metric, tsText, valueText, ...tagTexts] = fields;
  const tags: [string, string][] = [];
  for (const t of tagTexts) {
    const eq = t.indexOf("=");
    if (eq < 0) return sink.reject("fields");
    tags.push([t.slice(0, eq), t.slice(eq + 1)]);
  }
  const suffix = taggedName("", tags);
  if (encoder.encode(suffix).length > 4096) return sink.reject("bad_name");
  const m = /^(-?\d{1,19})(?:\.\d*)?$/.exec(tsText);
  if (!m || BigInt(m[1]) > 0x7fff_ffff_ffff_ffffn) return sink.reject("bad_timestamp");
  const timestamp = tsdbSeconds(Number(m[1]), now);
  if (Number.isNaN(timestamp)) return sink.reject("bad_timestamp");
  const value = parseValueToken(encoder.encode(valueText));
  if (Number.isNaN(value)) return sink.reject("bad_value");
  sink.point({ name: taggedName(metric, []) + suffix, timestamp, value });
}

/**
 * Parses every complete line of `chunk` into the sink; returns the bytes consumed (a partial
 * last line is left over).
 */
export function parseTsdbBlock(
  chunk: Uint8Array,
  now: number,
  sink: TsdbSink,
  maxLineLen = Infinity,
): number {
  return eachLine(
    chunk,
    maxLineLen,
    (line) => parseTsdbLine(line, now, sink),
    () => sink.reject("line_too_long"),
  );
}

/** One refused data point of an `/api/put` body, as OpenTSDB's `details` lists them. */
export interface TsdbPutError {
  datapoint: unknown;
  error: string;
}

/**
 * Reads the JSON of an HTTP `/api/put` body (one data point or an array of them) into the
 * sink. Throws SyntaxError when the body is not JSON, or neither an object nor an array; a bad
 * data point is refused alone. Returns the refusals, each with the data point and why.
 */
export function parseTsdbJson(text: string, now: number, sink: TsdbSink): TsdbPutError[] {
  const body: unknown = JSON.parse(text);
  if (body === null || typeof body !== "object") {
    throw new SyntaxError("Cannot parse /api/put body: not a data point or an array of them");
  }
  const points = Array.isArray(body) ? body : [body];
  const errors: TsdbPutError[] = [];
  for (const dp of points) {
    const why = jsonPoint(dp, now, sink);
    if (why !== null) {
      errors.push({ datapoint: dp, error: why[1] });
      sink.reject(why[0]);
    }
  }
  return errors;
}

/** Sends one JSON data point to the sink, or says why it is refused. */
function jsonPoint(dp: unknown, now: number, sink: TsdbSink): [RejectReason, string] | null {
  if (dp === null || typeof dp !== "object" || Array.isArray(dp)) {
    return ["fields", "Data point is not an object"];
  }
  const { metric, timestamp, value, tags } = dp as Record<string, unknown>;
  if (typeof metric !== "string" || metric === "") {
    return ["empty_name", "Missing metric name"];
  }
  let ts = now;
  if (timestamp !== undefined) {
    const raw = typeof timestamp === "string" && /^\d+$/.test(timestamp)
      ? Number(timestamp)
      : timestamp;
    ts = typeof raw === "number" ? tsdbSeconds(Math.trunc(raw), now) : NaN;
    if (Number.isNaN(ts)) return ["bad_timestamp", "Invalid timestamp"];
  }
  let v = typeof value === "number" ? value : NaN;
  if (typeof value === "string") v = parseValueToken(encoder.encode(value));
  if (!Number.isFinite(v)) return ["bad_value", "Invalid value"];
  const pairs: [string, string][] = [];
  if (tags !== undefined) {
    if (tags === null || typeof tags !== "object" || Array.isArray(tags)) {
      return ["fields", "Tags are not an object"];
    }
    for (const [k, tv] of Object.entries(tags as Record<string, unknown>)) {
      pairs.push([k, typeof tv === "string" ? tv : String(tv)]);
    }
  }
  sink.point({ name: taggedName(metric, pairs), timestamp: ts, value: v });
  return null;
}
