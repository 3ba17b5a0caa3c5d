// Graphite plaintext: parses a block of complete `name value timestamp\n` lines into batch
// records. Fields are separated by runs of spaces or tabs, a `\r` before `\n` is dropped, blank
// lines are skipped. Valid lines take one vectorised pass over the name; any line that fails
// it is re-read by classify(), which alone decides the rejection reason (the same procedure as
// src/protocol/plaintext.ts, the JS reference). Names with tags (`;`, `{`, a leading `~`) or
// bytes above 0x7f, flagged by the same pass, go through checkName(): UTF-8, then carbon's
// canonical order (tags.ts), written back over the name in the input buffer.

import {
  BATCH_RECORDS,
  Char,
  COUNTER_REJECTED,
  COUNTER_TAGS_INVALID,
  MAX_NAME_LEN,
  MAX_SEGMENT_LEN,
  Reason,
  REC_FIXUP,
  REC_HASH,
  REC_LINE_LEN,
  REC_NAME,
  REC_NAME_LEN,
  REC_OK,
  REC_SIZE,
  REC_STATUS,
  REC_TS,
  REC_VALUE,
} from "./layout";
import { bumpStaged } from "./counters";
import { hashRecords } from "./fnv";
import { NUM_BAD, NUM_OK, numStatus, numValue, parseTimestamp, parseValue, tsValue } from "./float";
import {
  canon,
  canonicalize,
  canonLen,
  hasTagSyntax,
  MEMO_CANONICAL,
  MEMO_KEPT,
  memoLookup,
  memoStore,
  validUtf8,
} from "./tags";

/** The batch region: BATCH_RECORDS records of REC_SIZE bytes (set by init). */
export let batch: usize = 0;
/** Records written by the last parse(). */
export let batchLen: i32 = 0;
/** Records of the last parse() waiting for the JS fix-up (REC_FIXUP). */
export let batchFixups: i32 = 0;
/** The last parse() stopped on a full batch before the last complete line. */
export let batchFull: bool = false;
/** Lines longer than this many bytes (before the `\n`) are rejected. */
export let maxLineLen: usize = 262144;

const SKIP: i32 = -1; // classify(): blank line
const VALID: i32 = -2; // classify(): the line is fine

export function setBatch(ptr: usize): void {
  batch = ptr;
}

/** Declares `count` records written into the batch from outside (structured protocols). */
export function setBatchLen(count: i32): void {
  batchLen = count;
  batchFixups = 0;
}

export function setMaxLineLen(len: usize): void {
  maxLineLen = len;
}

// @ts-ignore: decorator
@inline function isBlank(c: u32): bool {
  return c == Char.SPACE || c == Char.TAB;
}

/** Offset of the last `\n` in [ptr, ptr + len), or -1. */
export function lastLf(ptr: usize, len: usize): isize {
  const lf = i8x16.splat(<i8>Char.LF);
  let blockEnd = ptr + len;
  while (blockEnd > ptr) {
    const blockStart = blockEnd - 16;
    let m = <u32>i8x16.bitmask(i8x16.eq(v128.load(blockStart), lf));
    if (blockStart < ptr) m &= ~((<u32>1 << <u32>(ptr - blockStart)) - 1);
    if (m != 0) return <isize>(blockStart + (31 - clz<u32>(m)) - ptr);
    blockEnd = blockStart;
  }
  return -1;
}

/** The first `\n` at or after `p` (the caller guarantees there is one). */
export function nextLf(p: usize): usize {
  const lf = i8x16.splat(<i8>Char.LF);
  while (true) {
    const m = <u32>i8x16.bitmask(i8x16.eq(v128.load(p), lf));
    if (m != 0) return p + ctz<u32>(m);
    p += 16;
  }
}

/**
 * Parses every complete line in [ptr, ptr + len) into the batch, stopping early when the batch
 * is full. Returns the bytes consumed: up to and including the last `\n` handled. Rejected lines
 * are counted by reason in the open batch's counters; accepted ones when committed.
 */
export function parse(ptr: usize, len: usize): usize {
  batchLen = 0;
  batchFixups = 0;
  batchFull = false;
  const last = lastLf(ptr, len);
  if (last < 0) return 0;
  const end = ptr + <usize>last + 1;
  let p = ptr;
  let rec = batch;
  while (p < end && batchLen < BATCH_RECORDS) {
    const next = parseLine(p, rec);
    if (next != 0) {
      p = next;
      rec += REC_SIZE;
      batchLen++;
      continue;
    }
    const reason = classify(p);
    assert(reason != VALID, "classify() found no fault in a line the fast path refused");
    if (reason >= 0) {
      bumpStaged(COUNTER_REJECTED + reason);
    }
    p = classifyEnd + 1;
  }
  batchFull = p < end;
  hashRecords(batch, batchLen, REC_SIZE, REC_HASH, REC_NAME, REC_NAME_LEN);
  return p - ptr;
}

const SPACE_V: v128 = i8x16.splat(<i8>Char.SPACE);
const SLASH_V: v128 = i8x16.splat(<i8>Char.SLASH);
const DEL_V: v128 = i8x16.splat(<i8>Char.DEL);
const DOT_V: v128 = i8x16.splat(<i8>Char.DOT);
const SEMICOLON_V: v128 = i8x16.splat(<i8>Char.SEMICOLON);
const LBRACE_V: v128 = i8x16.splat(<i8>Char.LBRACE);

/**
 * The fast path for one line at `p`: writes a record and returns the start of the next line, or
 * returns 0 when the line is blank or invalid in any way (classify() then deals with it).
 */
// @ts-ignore: decorator
@inline function parseLine(lineStart: usize, rec: usize): usize {
  let p = lineStart;
  let c = <u32>load<u8>(p);
  while (isBlank(c)) c = <u32>load<u8>(++p);
  let name = p;
  // One pass over the name: stop at the first byte <= 0x20, flag '/', DEL and "..", and note
  // tag syntax (';', '{') and bytes above 0x7f (their sign bit), which take checkName().
  let flags: u32 = 0;
  let special: u32 = 0;
  let prevDot: u32 = 0;
  while (true) {
    const v = v128.load(p);
    const term = <u32>i8x16.bitmask(i8x16.le_u(v, SPACE_V));
    let bad = <u32>i8x16.bitmask(v128.or(i8x16.eq(v, SLASH_V), i8x16.eq(v, DEL_V)));
    let dots = <u32>i8x16.bitmask(i8x16.eq(v, DOT_V));
    let tagged = <u32>i8x16.bitmask(
      v128.or(v128.or(i8x16.eq(v, SEMICOLON_V), i8x16.eq(v, LBRACE_V)), v),
    );
    if (term != 0) {
      const k = ctz<u32>(term);
      const keep = (<u32>1 << k) - 1;
      bad &= keep;
      dots &= keep;
      special |= tagged & keep;
      flags |= bad | (dots & (dots >> 1)) | (prevDot & dots);
      p += k;
      break;
    }
    special |= tagged;
    flags |= bad | (dots & (dots >> 1)) | (prevDot & dots);
    prevDot = dots >> 15;
    p += 16;
  }
  let nameLen = p - name;
  if (nameLen == 0 || !isBlank(<u32>load<u8>(p))) return 0;
  if (load<u8>(name) == Char.TILDE) special = 1;
  if (special == 0) {
    if (flags != 0 || load<u8>(name) == Char.DOT || load<u8>(p - 1) == Char.DOT) return 0;
    if (nameLen > <usize>MAX_SEGMENT_LEN && nameError(name, nameLen) >= 0) return 0;
  }

  do c = <u32>load<u8>(++p); while (isBlank(c));
  p = parseValue(p);
  if (numStatus == NUM_BAD || !isBlank(<u32>load<u8>(p))) return 0;
  let status = numStatus == NUM_OK ? REC_OK : REC_FIXUP;
  const value = numValue;

  do c = <u32>load<u8>(++p); while (isBlank(c));
  p = parseTimestamp(p);
  if (numStatus == NUM_BAD) return 0;
  if (numStatus != NUM_OK) status = REC_FIXUP;
  c = <u32>load<u8>(p);
  while (isBlank(c)) c = <u32>load<u8>(++p);
  if (c == Char.CR) c = <u32>load<u8>(++p);
  if (c != Char.LF) return 0;
  const lineLen = p - lineStart;
  if (lineLen > maxLineLen) return 0;
  if (special != 0) {
    if (checkName(name, nameLen) >= 0) return 0;
    if (nameCanonical) {
      // the canonical form is never longer: it ends where the name ended
      const at = name + nameLen - canonLen;
      memory.copy(at, canon, canonLen);
      name = at;
      nameLen = canonLen;
    }
    if (nameTagsInvalid) bumpStaged(COUNTER_TAGS_INVALID);
  }

  store<u32>(rec, <u32>name, REC_NAME);
  store<u32>(rec, <u32>nameLen, REC_NAME_LEN);
  store<u32>(rec, tsValue, REC_TS);
  store<f64>(rec, value, REC_VALUE);
  store<u32>(rec, status, REC_STATUS);
  store<u32>(rec, <u32>(p - name), REC_LINE_LEN);
  if (status != REC_OK) batchFixups++;
  return p + 1;
}

/**
 * Why the name at [ptr, ptr + len) is refused, or -1 when it is fine: empty before its tags,
 * or a path (the name up to its first ';') that could leave the data directory or not be a
 * file name once dots become slashes (empty segments, leading or trailing dot, '/', control
 * bytes, DEL, over-long). Tags after the path may hold anything but control bytes and DEL:
 * tagged series live in files named by a hash.
 */
export function nameError(ptr: usize, len: usize): i32 {
  if (len == 0 || load<u8>(ptr) == Char.SEMICOLON) return Reason.EMPTY_NAME;
  if (len > <usize>MAX_NAME_LEN) return Reason.BAD_NAME;
  if (load<u8>(ptr) == Char.DOT) return Reason.BAD_NAME;
  let prev: u32 = 0;
  let segment: i32 = 0;
  let i: usize = 0;
  for (; i < len; i++) {
    const c = <u32>load<u8>(ptr + i);
    if (c == Char.SEMICOLON) break;
    if (c < <u32>Char.SPACE || c == <u32>Char.DEL || c == <u32>Char.SLASH) return Reason.BAD_NAME;
    if (c == Char.DOT) {
      if (prev == Char.DOT) return Reason.BAD_NAME;
      segment = 0;
    } else if (++segment > MAX_SEGMENT_LEN) {
      return Reason.BAD_NAME;
    }
    prev = c;
  }
  if (prev == Char.DOT) return Reason.BAD_NAME;
  for (; i < len; i++) {
    const c = <u32>load<u8>(ptr + i);
    if (c < <u32>Char.SPACE || c == <u32>Char.DEL) return Reason.BAD_NAME;
  }
  return -1;
}

/** checkName() put the name in canonical form: it is in `canon`/`canonLen` (tags.ts). */
export let nameCanonical: bool = false;
/** checkName() kept the name as it came because its tags break carbon's rules. */
export let nameTagsInvalid: bool = false;

/**
 * The whole check of a name, in order: empty, too long, not UTF-8, then carbon's canonical
 * form when it has tag syntax (or the name as it came when its tags are invalid), then
 * nameError() on the result. Returns the Reason, or -1. Accepted names with tag syntax are
 * remembered (the memo of tags.ts): the next time the same name is one lookup.
 */
export function checkName(ptr: usize, len: usize): i32 {
  const memo = memoLookup(ptr, len);
  if (memo != 0) {
    nameCanonical = true;
    nameTagsInvalid = memo == MEMO_KEPT;
    return -1;
  }
  nameCanonical = false;
  nameTagsInvalid = false;
  if (len == 0 || load<u8>(ptr) == Char.SEMICOLON) return Reason.EMPTY_NAME;
  if (len > <usize>MAX_NAME_LEN) return Reason.BAD_NAME;
  if (!validUtf8(ptr, len)) return Reason.BAD_UTF8;
  if (hasTagSyntax(ptr, len)) {
    if (canonicalize(ptr, len)) {
      nameCanonical = true;
      const bad = nameError(canon, canonLen);
      if (bad < 0) memoStore(ptr, len, canon, canonLen, MEMO_CANONICAL);
      return bad;
    }
    nameTagsInvalid = true;
    const bad = nameError(ptr, len);
    if (bad < 0) memoStore(ptr, len, ptr, len, MEMO_KEPT);
    return bad;
  }
  return nameError(ptr, len);
}

/** The `\n` ending the line classify() looked at last. */
let classifyEnd: usize = 0;

/**
 * Decides what is wrong with the line at `lineStart`, in this order: longer than the maximum,
 * not exactly three fields, a bad name, a bad value, a bad timestamp. Returns the Reason, SKIP
 * for a blank line, or VALID.
 */
function classify(lineStart: usize): i32 {
  const lf = nextLf(lineStart);
  classifyEnd = lf;
  if (lf - lineStart > maxLineLen) return Reason.LINE_TOO_LONG;
  const fields = splitFields(lineStart, lf);
  if (fields == 0) return SKIP;
  if (fields != 3) return Reason.FIELDS;
  const bad = checkName(fieldName, fieldNameEnd - fieldName);
  if (bad >= 0) return bad;
  if (parseValue(fieldValue) != fieldValueEnd || numStatus == NUM_BAD) return Reason.BAD_VALUE;
  if (parseTimestamp(fieldTs) != fieldTsEnd || numStatus == NUM_BAD) return Reason.BAD_TIMESTAMP;
  return VALID;
}

// The first three fields splitFields() found: [start, end) each.
export let fieldName: usize = 0;
export let fieldNameEnd: usize = 0;
export let fieldValue: usize = 0;
export let fieldValueEnd: usize = 0;
export let fieldTs: usize = 0;
export let fieldTsEnd: usize = 0;

/**
 * Splits the line [lineStart, lf) (a `\r` before `lf` dropped) into fields separated by runs of
 * spaces and tabs; the first three are left in field*. Returns how many fields there are.
 */
export function splitFields(lineStart: usize, lf: usize): i32 {
  let end = lf;
  if (end > lineStart && load<u8>(end - 1) == Char.CR) end--;
  let fields = 0;
  let p = lineStart;
  while (true) {
    while (p < end && isBlank(<u32>load<u8>(p))) p++;
    if (p >= end) break;
    const start = p;
    while (p < end && !isBlank(<u32>load<u8>(p))) p++;
    if (fields == 0) {
      fieldName = start;
      fieldNameEnd = p;
    } else if (fields == 1) {
      fieldValue = start;
      fieldValueEnd = p;
    } else if (fields == 2) {
      fieldTs = start;
      fieldTsEnd = p;
    }
    fields++;
  }
  return fields;
}
