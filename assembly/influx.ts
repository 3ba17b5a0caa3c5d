// Influx line protocol: parses a block of complete lines into batch records, one per field,
// named `measurement{sep}field;tag=value;...` (VictoriaMetrics' naming with
// -influxMeasurementFieldSeparator; carbonado's default separator is `.`). The same procedure as
// src/protocol/influx.ts, the TS reference.
//
// `measurement[,k=v...] field=value[,field=value...] [timestamp]`, `#` lines are comments.
// Escapes (`\,` `\ ` in a measurement, `\,` `\ ` `\=` in keys and tag values, `\\` everywhere)
// are undone. Values: floats, `i`/`u` integers, booleans (t, T, true, True, TRUE and the f
// forms) as 1/0, and quoted strings that hold a number (as VictoriaMetrics parses them); other
// strings are skipped and counted, not refused. A bad value refuses its field only; a line
// without fields, with a malformed tag or field, or a bad timestamp is refused whole. Tags with
// an empty value are left out. A `db` tag (the HTTP `db` parameter) is added when the line has
// none, as VictoriaMetrics' -influxDBLabel does. Timestamps: the unit of `precision`, or guessed
// by magnitude; none, or 0, is now.

import { bumpStaged } from "./counters";
import {
  Char,
  COUNTER_REJECTED,
  Reason,
  REC_FIXUP,
  REC_OK,
  REC_REJECTED,
} from "./layout";
import { NUM_BAD, NUM_OK, numStatus, numValue, parseValue } from "./float";
import {
  emit,
  Esc,
  fixupCount,
  guessUnit,
  intValue,
  markFull,
  Mend,
  namePos,
  over,
  parseInt64,
  parseLines,
  putCopy,
  putMended,
  putTag,
  recCount,
  recordsRollback,
  roomForRecord,
  scratchA,
  scratchB,
  setTimestamps,
  toSeconds,
  Unit,
  wBegin,
  wEnd,
  wReset,
} from "./structured";

/** Longest separator, db tag key and db value (the JS side checks). */
export const INFLUX_MAX_SEP: i32 = 16;
export const INFLUX_MAX_DB_KEY: i32 = 128;
export const INFLUX_MAX_DB: i32 = 512;
const OPTS: usize = memory.data(INFLUX_MAX_SEP + INFLUX_MAX_DB_KEY + INFLUX_MAX_DB, 16);
let sepLen: usize = 0;
let dbKeyLen: usize = 0;
let dbLen: usize = 0;
let unit: i32 = Unit.GUESS;

/** String fields skipped (not numbers) since the JS side last read the count. */
export let stringsSkipped: u32 = 0;

/** Sets the options from [src, src + sepLen + dbKeyLen + dbLen): separator, db key, db value. */
export function influxOptions(src: usize, sep: i32, dbKey: i32, db: i32, precision: i32): void {
  sepLen = <usize>sep;
  dbKeyLen = <usize>dbKey;
  dbLen = <usize>db;
  memory.copy(OPTS, src, sepLen);
  memory.copy(OPTS + INFLUX_MAX_SEP, src + sepLen, dbKeyLen);
  memory.copy(OPTS + INFLUX_MAX_SEP + INFLUX_MAX_DB_KEY, src + sepLen + dbKeyLen, dbLen);
  unit = precision;
}

/** Resets and returns the skipped string count. */
export function takeStringsSkipped(): u32 {
  const n = stringsSkipped;
  stringsSkipped = 0;
  return n;
}

// @ts-ignore: decorator
@inline function isBlank(c: u32): bool {
  return c == Char.SPACE || c == Char.TAB;
}

const BACKSLASH_V: v128 = i8x16.splat(<i8>Char.BACKSLASH);

/**
 * The first unescaped byte in [p, end) that is `a`, `b` or `c`, or `end`: 16 bytes at a time
 * (a backslash stops the vector scan, and the byte after it is skipped).
 */
function scanTo(p: usize, end: usize, a: u32, b: u32, c: u32): usize {
  const va = i8x16.splat(<i8>a);
  const vb = i8x16.splat(<i8>b);
  const vc = i8x16.splat(<i8>c);
  while (p < end) {
    const v = v128.load(p);
    const hit = v128.or(
      v128.or(i8x16.eq(v, va), i8x16.eq(v, vb)),
      v128.or(i8x16.eq(v, vc), i8x16.eq(v, BACKSLASH_V)),
    );
    const m = <u32>i8x16.bitmask(hit);
    if (m == 0) {
      p += 16;
      continue;
    }
    const at = p + ctz<u32>(m);
    if (at >= end) return end;
    if (load<u8>(at) != Char.BACKSLASH) return at;
    p = at + 2;
  }
  return end;
}

/**
 * Parses the complete lines of [ptr, ptr + len) into the batch (ts in seconds; `now` for lines
 * without one), stopping early when the batch or the names region is full. Returns the bytes
 * consumed: up to and including the last `\n` handled.
 */
export function parseInflux(ptr: usize, len: usize, now: u32, maxLen: usize): usize {
  return parseLines(ptr, len, now, maxLen, parseLine);
}

/** Refuses the line for `reason`, dropping what it wrote; returns true (the line is done). */
function refuse(reason: i32, rec: i32, pos: usize, fixups: i32): bool {
  recordsRollback(rec, pos, fixups);
  bumpStaged(COUNTER_REJECTED + reason);
  return true;
}

/** Parses one line [p, end) (no `\n`); false when the batch filled up before it (retry later). */
function parseLine(p: usize, end: usize, now: u32): bool {
  while (p < end && isBlank(<u32>load<u8>(p))) p++;
  if (p == end || load<u8>(p) == Char.HASH) return true;
  const rec0 = recCount, pos0 = namePos, fix0 = fixupCount;

  // measurement
  const mStart = p;
  p = scanTo(p, end, Char.COMMA, Char.SPACE, Char.SPACE);
  if (p >= end) return refuse(Reason.FIELDS, rec0, pos0, fix0);
  wBegin(scratchA);
  putMended(mStart, p - mStart, Mend.PATH, Esc.MEASUREMENT);
  const pathLen = wEnd() - scratchA;
  if (pathLen == 0) return refuse(Reason.EMPTY_NAME, rec0, pos0, fix0);

  // tags
  wBegin(scratchB);
  let sawDb = false;
  while (p < end && load<u8>(p) == Char.COMMA) {
    const k = ++p;
    p = scanTo(p, end, Char.EQUALS, Char.COMMA, Char.SPACE);
    if (p >= end || load<u8>(p) != Char.EQUALS) return refuse(Reason.FIELDS, rec0, pos0, fix0);
    const kLen = p - k;
    const v = ++p;
    p = scanTo(p, end, Char.COMMA, Char.SPACE, Char.SPACE);
    if (dbKeyLen != 0 && kLen == dbKeyLen && memory.compare(k, OPTS + INFLUX_MAX_SEP, kLen) == 0) {
      sawDb = true;
    }
    putTag(k, kLen, v, p - v, Esc.KEY);
  }
  if (dbLen != 0 && !sawDb) {
    putTag(OPTS + INFLUX_MAX_SEP, dbKeyLen, OPTS + INFLUX_MAX_SEP + INFLUX_MAX_DB_KEY, dbLen, Esc.NONE);
  }
  if (over) return refuse(Reason.BAD_NAME, rec0, pos0, fix0);
  const tagsLen = wEnd() - scratchB;
  if (p >= end) return refuse(Reason.FIELDS, rec0, pos0, fix0);
  while (p < end && load<u8>(p) == Char.SPACE) p++;
  if (p >= end) return refuse(Reason.FIELDS, rec0, pos0, fix0);

  // fields
  while (true) {
    const f = p;
    p = scanTo(p, end, Char.EQUALS, Char.COMMA, Char.SPACE);
    if (p >= end || load<u8>(p) != Char.EQUALS || p == f) {
      return refuse(Reason.FIELDS, rec0, pos0, fix0);
    }
    const fLen = p - f;
    p++;
    const token = p;
    let status: u32 = REC_OK;
    let value: f64 = 0;
    let skip = false;
    if (p < end && load<u8>(p) == Char.QUOTE) {
      p++;
      const s = p;
      while (p < end && load<u8>(p) != Char.QUOTE) p += load<u8>(p) == Char.BACKSLASH ? 2 : 1;
      if (p >= end) return refuse(Reason.FIELDS, rec0, pos0, fix0);
      const after = s == p ? s : parseValue(s);
      if (s == p || after != p || numStatus == NUM_BAD) {
        skip = true;
        stringsSkipped++;
      } else {
        value = numValue;
        status = numStatus == NUM_OK ? REC_OK : REC_FIXUP;
      }
      p++;
    } else {
      while (p < end) {
        const c = <u32>load<u8>(p);
        if (c == Char.COMMA || c == Char.SPACE) break;
        p++;
      }
      status = fieldValue(token, p);
      value = fieldNumber;
    }
    if (p < end && load<u8>(p) != Char.COMMA && load<u8>(p) != Char.SPACE) {
      return refuse(Reason.FIELDS, rec0, pos0, fix0); // e.g. text after a closing quote
    }
    if (!skip) {
      if (!roomForRecord()) {
        if (rec0 == 0) return refuse(Reason.LINE_TOO_LONG, rec0, pos0, fix0);
        recordsRollback(rec0, pos0, fix0);
        markFull();
        return false;
      }
      const name = namePos;
      wBegin(name);
      putCopy(scratchA, pathLen);
      putCopy(OPTS, sepLen);
      putMended(f, fLen, Mend.PATH, Esc.KEY);
      putCopy(scratchB, tagsLen);
      if (over) {
        wReset(name);
        emit(0, 0, 0, 0, REC_REJECTED + Reason.BAD_NAME, 0);
      } else {
        emit(name, wEnd() - name, 0, value, status, token);
      }
    }
    if (p < end && load<u8>(p) == Char.COMMA) {
      p++;
      continue;
    }
    break;
  }

  // timestamp
  while (p < end && isBlank(<u32>load<u8>(p))) p++;
  let ts: i64 = 0;
  if (p < end) {
    const after = parseInt64(p, end);
    if (after == 0) return refuse(Reason.BAD_TIMESTAMP, rec0, pos0, fix0);
    p = after;
    while (p < end && isBlank(<u32>load<u8>(p))) p++;
    if (p != end) return refuse(Reason.BAD_TIMESTAMP, rec0, pos0, fix0);
    ts = intValue;
  }
  let seconds: i64 = <i64>now;
  if (ts != 0) {
    seconds = toSeconds(ts, unit == Unit.GUESS ? guessUnit(ts) : unit);
    if (seconds < 0) return refuse(Reason.BAD_TIMESTAMP, rec0, pos0, fix0);
  }
  setTimestamps(rec0, <u32>seconds);
  return true;
}

/** Value of the last fieldValue(). */
let fieldNumber: f64 = 0;

/**
 * Reads a non-string field value in [p, end): an `i`/`u` integer, a boolean or a float. Returns
 * the record status (REC_FIXUP for a number the JS side must finish) and sets fieldNumber.
 */
function fieldValue(p: usize, end: usize): u32 {
  fieldNumber = 0;
  if (p == end) return REC_REJECTED + Reason.BAD_VALUE;
  const last = <u32>load<u8>(end - 1);
  if (last == Char.I_LOWER || last == Char.U_LOWER) {
    let q = p;
    if (last == Char.I_LOWER && load<u8>(q) == Char.MINUS) q++;
    if (q == end - 1) return REC_REJECTED + Reason.BAD_VALUE;
    for (let d = q; d < end - 1; d++) {
      if (<u32>load<u8>(d) - Char.ZERO > 9) return REC_REJECTED + Reason.BAD_VALUE;
    }
    parseValue(p);
    fieldNumber = numValue;
    return numStatus == NUM_OK ? REC_OK : REC_FIXUP;
  }
  const b = boolValue(p, end - p);
  if (b >= 0) {
    fieldNumber = <f64>b;
    return REC_OK;
  }
  const after = parseValue(p);
  if (after != end || numStatus == NUM_BAD) return REC_REJECTED + Reason.BAD_VALUE;
  fieldNumber = numValue;
  return numStatus == NUM_OK ? REC_OK : REC_FIXUP;
}

// The boolean spellings of the line protocol, as u64 words (little-endian) with their length.
const TRUE_WORDS: usize = memory.data<u64>([0x74, 0x54, 0x65757274, 0x65757254, 0x45555254]);
const FALSE_WORDS: usize = memory.data<u64>([
  0x66, 0x46, 0x65736c6166, 0x65736c6146, 0x45534c4146,
]);

/** 1 or 0 for a boolean spelling at [p, p + len), -1 for anything else. */
function boolValue(p: usize, len: usize): i32 {
  if (len != 1 && len != 4 && len != 5) return -1;
  let w: u64 = 0;
  for (let i: usize = 0; i < len; i++) w |= <u64>load<u8>(p + i) << (i << 3);
  for (let i: usize = 0; i < 5; i++) {
    if (load<u64>(TRUE_WORDS + (i << 3)) == w) return 1;
    if (load<u64>(FALSE_WORDS + (i << 3)) == w) return 0;
  }
  return -1;
}
