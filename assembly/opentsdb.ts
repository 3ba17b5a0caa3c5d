// OpenTSDB telnet `put` lines: parses a block of complete lines into batch records named
// `metric;tag=value;...`. The same procedure as src/protocol/opentsdb.ts, the TS reference.
//
// `put <metric> <timestamp> <value> [<k>=<v> ...]`, fields separated by runs of spaces or tabs
// (OpenTSDB requires a tag, VictoriaMetrics does not: neither does carbonado). The timestamp
// is an integer or a decimal (its fraction dropped): milliseconds when any bit of
// 0x7FFFFFFF00000000 is set (OpenTSDB's SECOND_MASK, as VictoriaMetrics reads it), seconds
// otherwise, now when 0. Lines that are not `put` commands, tags without `=` and extra fields
// are refused whole; tags with an empty value are left out.

import { bumpStaged } from "./counters";
import { Char, COUNTER_REJECTED, Reason, REC_FIXUP, REC_OK } from "./layout";
import { NUM_BAD, NUM_OK, numStatus, numValue, parseValue } from "./float";
import {
  emit,
  Esc,
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
  roomForRecord,
  scratchB,
  toSeconds,
  Unit,
  wBegin,
  wEnd,
} from "./structured";

/** Milliseconds when any of these bits is set (OpenTSDB Const.SECOND_MASK). */
const SECOND_MASK: i64 = 0x7fffffff00000000;

// @ts-ignore: decorator
@inline function isBlank(c: u32): bool {
  return c == Char.SPACE || c == Char.TAB;
}

/** The end of the field at `p`: the first blank at or after it, or `end`. */
// @ts-ignore: decorator
@inline function fieldEnd(p: usize, end: usize): usize {
  while (p < end && !isBlank(<u32>load<u8>(p))) p++;
  return p;
}

// @ts-ignore: decorator
@inline function skipBlanks(p: usize, end: usize): usize {
  while (p < end && isBlank(<u32>load<u8>(p))) p++;
  return p;
}

/**
 * Parses the complete lines of [ptr, ptr + len) into the batch (`now` for a zero timestamp),
 * stopping early when the batch or the names region is full. Returns the bytes consumed.
 */
export function parseOpenTsdb(ptr: usize, len: usize, now: u32, maxLen: usize): usize {
  return parseLines(ptr, len, now, maxLen, parseLine);
}

const DONE: i32 = -1; // the line gave its record, or was blank
const FULL: i32 = -2; // no room: the line is left for the next call

/** Parses one line [p, end), counting it when refused; false when the batch is full. */
function parseLine(p: usize, end: usize, now: u32): bool {
  const reason = readLine(p, end, now);
  if (reason == FULL) return false;
  if (reason >= 0) bumpStaged(COUNTER_REJECTED + reason);
  return true;
}

/** Reads one line [p, end); returns DONE, FULL or the Reason it is refused for. */
function readLine(p: usize, end: usize, now: u32): i32 {
  p = skipBlanks(p, end);
  if (p == end) return DONE;
  // "put" then a blank
  if (
    end - p < 4 || load<u8>(p) != Char.P_LOWER || load<u8>(p, 1) != Char.U_LOWER ||
    load<u8>(p, 2) != Char.T_LOWER || !isBlank(<u32>load<u8>(p, 3))
  ) return Reason.FIELDS;
  p = skipBlanks(p + 3, end);
  const metric = p;
  p = fieldEnd(p, end);
  const metricLen = p - metric;
  p = skipBlanks(p, end);
  const tsStart = p;
  p = fieldEnd(p, end);
  const tsEnd = p;
  p = skipBlanks(p, end);
  const token = p;
  p = fieldEnd(p, end);
  const valueEnd = p;
  if (metricLen == 0 || tsStart == tsEnd || token == valueEnd) return Reason.FIELDS;

  // tags
  wBegin(scratchB);
  p = skipBlanks(p, end);
  while (p < end) {
    const k = p;
    p = fieldEnd(p, end);
    let eq = k;
    while (eq < p && load<u8>(eq) != Char.EQUALS) eq++;
    if (eq == p) return Reason.FIELDS;
    putTag(k, eq - k, eq + 1, p - eq - 1, Esc.NONE);
    p = skipBlanks(p, end);
  }
  if (over) return Reason.BAD_NAME;
  const tagsLen = wEnd() - scratchB;

  // timestamp: digits with an optional fraction, dropped
  let t = parseInt64(tsStart, tsEnd);
  if (t != 0 && t < tsEnd && load<u8>(t) == Char.DOT) {
    t++;
    while (t < tsEnd && <u32>load<u8>(t) - Char.ZERO <= 9) t++;
  }
  if (t != tsEnd) return Reason.BAD_TIMESTAMP;
  let seconds: i64 = <i64>now;
  if (intValue != 0) {
    seconds = toSeconds(intValue, (intValue & SECOND_MASK) != 0 ? Unit.MS : Unit.S);
    if (seconds < 0) return Reason.BAD_TIMESTAMP;
  }

  // value
  const after = parseValue(token);
  if (after != valueEnd || numStatus == NUM_BAD) return Reason.BAD_VALUE;
  const status = numStatus == NUM_OK ? REC_OK : REC_FIXUP;
  const value = numValue;

  if (!roomForRecord()) {
    if (recCount == 0) return Reason.LINE_TOO_LONG;
    markFull();
    return FULL;
  }
  const name = namePos;
  wBegin(name);
  putMended(metric, metricLen, Mend.PATH, Esc.NONE);
  putCopy(scratchB, tagsLen);
  if (over) return Reason.BAD_NAME;
  emit(name, wEnd() - name, <u32>seconds, value, status, token);
  return DONE;
}
