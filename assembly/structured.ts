// What the structured protocols (Influx line protocol, OpenTSDB telnet, Prometheus
// remote_write) share on their way to the appender: a work area the JS side allocates, raw
// tagged names (`path;k=v;...`, tags in the order they came) written into it, and batch records
// pointing at those names, the same records the plaintext parser writes. The records then go
// through prepareStage(): names checked and put in carbon's canonical order, hashed, staged.
//
// Names are mended on the way in so that carbon's tag rules hold (wave2.md 5.2): `;` in a path
// or a tag value and `; ! ^ =` in a tag key become `_`, leading `~` of a value are stripped, and
// a tag whose key or value ends up empty is left out. Influx escapes (`\,` `\ ` `\=` `\\`) are
// undone while copying.

import {
  BATCH_RECORDS,
  Char,
  COUNTER_REJECTED,
  INPUT_PADDING,
  MAX_NAME_LEN,
  MAX_SEGMENT_LEN,
  REC_FIXUP,
  REC_LINE_LEN,
  REC_NAME,
  REC_NAME_LEN,
  REC_OK,
  REC_SIZE,
  REC_STATUS,
  REC_TS,
  REC_VALUE,
  Reason,
} from "./layout";
import { batch } from "./plain";
import { bumpStaged } from "./counters";

const SPACE_V: v128 = i8x16.splat(<i8>Char.SPACE);
const SLASH_V: v128 = i8x16.splat(<i8>Char.SLASH);
const DEL_V: v128 = i8x16.splat(<i8>Char.DEL);
const DOT_V: v128 = i8x16.splat(<i8>Char.DOT);
const SEMICOLON_V: v128 = i8x16.splat(<i8>Char.SEMICOLON);
const LBRACE_V: v128 = i8x16.splat(<i8>Char.LBRACE);

/** Bytes of the names region of the work area: the names of one batch of records. */
const NAMES_BYTES: i32 = 2 << 20;
/** A line's (or a series') path and tags are built in scratch regions of this size. */
const SCRATCH_BYTES: i32 = MAX_NAME_LEN + INPUT_PADDING;
/** Most labels of one remote_write series (16 bytes each in the label table). */
export const MAX_LABELS: i32 = 1024;
/** Bytes of the work area the JS side allocates and hands over with setWorkArea(). */
export const STRUCT_AREA_BYTES: i32 = 2 * SCRATCH_BYTES + (MAX_LABELS << 4) + NAMES_BYTES;

/** Scratch region A: a line's path (Influx measurement, OpenTSDB metric). */
export let scratchA: usize = 0;
/** Scratch region B: a line's tags, `;k=v` each. */
export let scratchB: usize = 0;
/** The label table of remote_write: (name ptr, name len, value ptr, value len) u32 each. */
export let labelTable: usize = 0;
let names: usize = 0;
let namesEnd: usize = 0;

/** Next free byte of the names region. */
export let namePos: usize = 0;
/** Records written into the batch by the current call. */
export let recCount: i32 = 0;
/** Records of the current call waiting for the JS fix-up (REC_FIXUP). */
export let fixupCount: i32 = 0;
/** The current call stopped early: the batch or the names region is full. */
export let stoppedFull: bool = false;

/** How modes of putMended() treat bytes. */
export const enum Mend {
  PATH = 0, // `;` -> `_`
  KEY = 1, // `; ! ^ =` -> `_`
  VALUE = 2, // `;` -> `_`, leading `~` dropped
}
/** Influx escapes undone by putMended(): none, a measurement's, or a key's, a value's. */
export const enum Esc {
  NONE = 0,
  MEASUREMENT = 1, // `\,` `\ ` `\\`
  KEY = 2, // `\,` `\ ` `\=` `\\`
}

/** Lays the regions out over the area at `ptr` (STRUCT_AREA_BYTES, from allocBuffer()). */
export function setWorkArea(ptr: usize): void {
  scratchA = ptr;
  scratchB = scratchA + <usize>SCRATCH_BYTES;
  labelTable = scratchB + <usize>SCRATCH_BYTES;
  names = labelTable + (<usize>MAX_LABELS << 4);
  namesEnd = names + <usize>NAMES_BYTES;
}

/** Starts a call: empty batch, empty names region. */
export function recordsBegin(): void {
  namePos = names;
  recCount = 0;
  fixupCount = 0;
  stoppedFull = false;
}

/** The first `\n` in [p, end), or `end`: 16 bytes at a time. */
export function findLf(p: usize, end: usize): usize {
  const lf = i8x16.splat(<i8>Char.LF);
  while (p + 16 <= end) {
    const m = <u32>i8x16.bitmask(i8x16.eq(v128.load(p), lf));
    if (m != 0) return p + ctz<u32>(m);
    p += 16;
  }
  while (p < end && load<u8>(p) != Char.LF) p++;
  return p;
}

/**
 * Parses the complete lines of [ptr, ptr + len) into the batch with `parseLine(start, end,
 * now)` (the line without its `\r\n`), which returns false when the batch filled up before the
 * line (it is left for the next call). Lines longer than `maxLen` are counted and skipped.
 * Returns the bytes consumed: up to and including the last `\n` handled.
 */
export function parseLines(
  ptr: usize,
  len: usize,
  now: u32,
  maxLen: usize,
  parseLine: (start: usize, end: usize, now: u32) => bool,
): usize {
  recordsBegin();
  const end = ptr + len;
  let p = ptr;
  while (p < end) {
    const lf = findLf(p, end);
    if (lf == end) break; // a partial line: the caller carries it
    let lineEnd = lf;
    if (lineEnd > p && load<u8>(lineEnd - 1) == Char.CR) lineEnd--;
    if (lf - p > maxLen) {
      bumpStaged(COUNTER_REJECTED + Reason.LINE_TOO_LONG);
    } else if (!parseLine(p, lineEnd, now)) {
      break;
    }
    p = lf + 1;
  }
  return p - ptr;
}

/** True when one more record with a name of up to MAX_NAME_LEN bytes fits. */
// @ts-ignore: decorator
@inline export function roomForRecord(): bool {
  return recCount < BATCH_RECORDS && namesEnd - namePos > <usize>MAX_NAME_LEN;
}

/** Notes that the call stopped early for lack of room. */
export function markFull(): void {
  stoppedFull = true;
}

/** Drops the records and names written since a line began (the line is refused). */
export function recordsRollback(rec: i32, pos: usize, fixups: i32): void {
  recCount = rec;
  namePos = pos;
  fixupCount = fixups;
}

/**
 * Writes a record for the name at [name, name + len) (in the names region, or len 0 for a
 * refused point), and moves the names region on past it. `status` is REC_OK, REC_FIXUP (then
 * `token` points at the value's text for the JS side to read) or REC_REJECTED + reason.
 */
export function emit(name: usize, len: usize, ts: u32, value: f64, status: u32, token: usize): void {
  const rec = batch + <usize>recCount * REC_SIZE;
  store<u32>(rec, <u32>name, REC_NAME);
  store<u32>(rec, <u32>len, REC_NAME_LEN);
  store<u32>(rec, ts, REC_TS);
  store<f64>(rec, value, REC_VALUE);
  store<u32>(rec, status, REC_STATUS);
  store<u32>(rec, <u32>token, REC_LINE_LEN);
  if (status == REC_FIXUP) fixupCount++;
  recCount++;
  if (status == REC_OK || status == REC_FIXUP) namePos = name + len;
}

/** Sets the timestamp of records [from, recCount) (a line's timestamp comes after its fields). */
export function setTimestamps(from: i32, ts: u32): void {
  for (let i = from; i < recCount; i++) store<u32>(batch + <usize>i * REC_SIZE, ts, REC_TS);
}

// The writer: a cursor over the name being built, bounded to MAX_NAME_LEN bytes. Bytes past
// the bound are not written; `over` says the name is too long.
let wStart: usize = 0;
let wPos: usize = 0;
/** The name being written passed MAX_NAME_LEN bytes. */
export let over: bool = false;

/** Starts writing a name at `ptr`. */
export function wBegin(ptr: usize): void {
  wStart = ptr;
  wPos = ptr;
  over = false;
}

/** The cursor; bytes written are [start, wEnd()). */
// @ts-ignore: decorator
@inline export function wEnd(): usize {
  return wPos;
}

/** Moves the cursor back (to leave out what was written since `pos`). */
// @ts-ignore: decorator
@inline export function wReset(pos: usize): void {
  wPos = pos;
}

/** Appends one byte. */
export function putByte(c: u32): void {
  if (wPos - wStart >= <usize>MAX_NAME_LEN) {
    over = true;
    return;
  }
  store<u8>(wPos++, <u8>c);
}

/** Appends [src, src + len) as it is. */
export function putCopy(src: usize, len: usize): void {
  if (wPos - wStart + len > <usize>MAX_NAME_LEN) {
    over = true;
    return;
  }
  copyShort(wPos, src, len);
  wPos += len;
}

/**
 * Copies `n` bytes from `src` to `dst` (not overlapping, or `dst` at least 16 bytes past
 * `src`), 16 bytes at a time up to 64 bytes: short copies are the common case here, and
 * memory.copy pays a call for each. Writes (and reads) up to 15 bytes past the ends: every
 * buffer it is used on has INPUT_PADDING bytes of slack.
 */
// @ts-ignore: decorator
@inline export function copyShort(dst: usize, src: usize, n: usize): void {
  if (n > 64) {
    memory.copy(dst, src, n);
    return;
  }
  for (let i: usize = 0; i < n; i += 16) v128.store(dst + i, v128.load(src + i));
}

// @ts-ignore: decorator
@inline function escapable(c: u32, esc: Esc): bool {
  if (esc == Esc.NONE) return false;
  if (c == Char.COMMA || c == Char.SPACE || c == Char.BACKSLASH) return true;
  return esc == Esc.KEY && c == Char.EQUALS;
}

const BACKSLASH_V: v128 = i8x16.splat(<i8>Char.BACKSLASH);
const BANG_V: v128 = i8x16.splat(<i8>Char.BANG);
const CARET_V: v128 = i8x16.splat(<i8>Char.CARET);
const EQUALS_V: v128 = i8x16.splat(<i8>Char.EQUALS);

/** True when [src, src + len) holds nothing putMended() would change for `mode`. */
function plainSpan(src: usize, len: usize, mode: Mend): bool {
  if (mode == Mend.VALUE && len > 0 && load<u8>(src) == Char.TILDE) return false;
  const key = mode == Mend.KEY;
  for (let p = src; p < src + len; p += 16) {
    const v = v128.load(p);
    let special = v128.or(i8x16.eq(v, BACKSLASH_V), i8x16.eq(v, SEMICOLON_V));
    if (key) {
      special = v128.or(
        special,
        v128.or(i8x16.eq(v, BANG_V), v128.or(i8x16.eq(v, CARET_V), i8x16.eq(v, EQUALS_V))),
      );
    }
    let m = <u32>i8x16.bitmask(special);
    const left = src + len - p;
    if (left < 16) m &= (<u32>1 << <u32>left) - 1;
    if (m != 0) return false;
  }
  return true;
}

/**
 * Appends [src, src + len) with the Influx escapes of `esc` undone and the bytes carbon's tag
 * rules forbid mended for `mode`. Returns the bytes appended.
 */
export function putMended(src: usize, len: usize, mode: Mend, esc: Esc): usize {
  const from = wPos;
  if (plainSpan(src, len, mode)) {
    putCopy(src, len);
    return wPos - from;
  }
  const end = src + len;
  let p = src;
  while (p < end) {
    let c = <u32>load<u8>(p++);
    if (c == Char.BACKSLASH && p < end && escapable(<u32>load<u8>(p), esc)) c = <u32>load<u8>(p++);
    if (c == Char.SEMICOLON) {
      c = Char.UNDERSCORE;
    } else if (mode == Mend.KEY) {
      if (c == Char.BANG || c == Char.CARET || c == Char.EQUALS) c = Char.UNDERSCORE;
    } else if (mode == Mend.VALUE && c == Char.TILDE && wPos == from) {
      continue;
    }
    putByte(c);
  }
  return wPos - from;
}

/**
 * Appends `;key=value` (both mended, escapes of `esc` undone), or nothing when the key or the
 * value comes out empty (carbon refuses both).
 */
export function putTag(key: usize, keyLen: usize, value: usize, valueLen: usize, esc: Esc): void {
  const at = wPos;
  putByte(Char.SEMICOLON);
  if (putMended(key, keyLen, Mend.KEY, esc) == 0) {
    wPos = at;
    return;
  }
  putByte(Char.EQUALS);
  if (putMended(value, valueLen, Mend.VALUE, esc) == 0) wPos = at;
}

/** Unix seconds from a timestamp in `unit` (floored), or -1 when negative or past u32. */
export function toSeconds(ts: i64, unit: i32): i64 {
  if (ts < 0) return -1;
  let s = ts;
  if (unit == Unit.NS) s = ts / 1000000000;
  else if (unit == Unit.US) s = ts / 1000000;
  else if (unit == Unit.MS) s = ts / 1000;
  else if (unit == Unit.MIN) s = ts <= 0xffffffff ? ts * 60 : -1;
  else if (unit == Unit.HOUR) s = ts <= 0xffffffff ? ts * 3600 : -1;
  return s >= 0 && s <= 0xffffffff ? s : -1;
}

/** Timestamp units (Influx `precision`; GUESS goes by magnitude as VictoriaMetrics does). */
export const enum Unit {
  GUESS = 0,
  NS = 1,
  US = 2,
  MS = 3,
  S = 4,
  MIN = 5,
  HOUR = 6,
}

/** The unit VictoriaMetrics guesses for a timestamp sent without one (lib/protoparser/influx). */
export function guessUnit(ts: i64): i32 {
  if (ts >= 100_000_000_000_000_000) return Unit.NS;
  if (ts >= 100_000_000_000_000) return Unit.US;
  if (ts >= 100_000_000_000) return Unit.MS;
  return Unit.S;
}

/**
 * True when checkName() would take the name at [ptr, ptr + len) as it is, known in one
 * vectorised pass: ASCII, no tag syntax (`;`, `{`, a leading `~`), nothing nameError() refuses
 * (control bytes, `/`, DEL, `..`, a dot at either end), no segment that could be too long.
 * False says nothing: checkName() decides. The bytes past the name are read, not used.
 */
export function simpleName(ptr: usize, len: usize): bool {
  if (len == 0 || len > <usize>MAX_SEGMENT_LEN) return false;
  const first = <u32>load<u8>(ptr);
  if (first == Char.DOT || first == Char.TILDE || load<u8>(ptr + len - 1) == Char.DOT) return false;
  let flags: u32 = 0;
  let prevDot: u32 = 0;
  for (let p = ptr; p < ptr + len; p += 16) {
    const v = v128.load(p);
    let bad = <u32>i8x16.bitmask(
      v128.or(
        v128.or(i8x16.lt_u(v, SPACE_V), v128.or(i8x16.eq(v, SLASH_V), i8x16.eq(v, DEL_V))),
        v128.or(v128.or(i8x16.eq(v, SEMICOLON_V), i8x16.eq(v, LBRACE_V)), v),
      ),
    );
    let dots = <u32>i8x16.bitmask(i8x16.eq(v, DOT_V));
    const left = ptr + len - p;
    if (left < 16) {
      const keep = (<u32>1 << <u32>left) - 1;
      bad &= keep;
      dots &= keep;
    }
    flags |= bad | (dots & (dots >> 1)) | (prevDot & dots);
    prevDot = dots >> 15;
  }
  return flags == 0;
}

/** Result of the last parseInt64(). */
export let intValue: i64 = 0;

/**
 * Parses `-?digits` in [p, end) as an i64; returns the first byte after the digits, or 0 when
 * there are none or they overflow.
 */
export function parseInt64(p: usize, end: usize): usize {
  let negative = false;
  if (p < end && load<u8>(p) == Char.MINUS) {
    negative = true;
    p++;
  }
  const first = p;
  let v: u64 = 0;
  while (p < end) {
    const d = <u32>load<u8>(p) - Char.ZERO;
    if (d > 9) break;
    if (v > (<u64>0x7fffffffffffffff - d) / 10) return 0;
    v = v * 10 + <u64>d;
    p++;
  }
  if (p == first) return 0;
  intValue = negative ? -(<i64>v) : <i64>v;
  return p;
}
