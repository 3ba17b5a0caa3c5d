// Prometheus exposition bodies (text 0.0.4 and OpenMetrics 1.0, as Prometheus 2.42 reads them;
// src/protocol/exposition.ts is the TS reference) parsed into batch records, with a scrape cache
// per target as Prometheus keeps one (scrape/scrape.go scrapeCache): the series as exposed
// (`name{labels}`, its bytes) -> the Graphite name it became (target labels added, relabeled,
// mended, canonical), so that a series seen in an earlier scrape costs one compare (the entry
// after the last one found is tried first: exporters write their series in the same order
// every time) or one hash and probe, and no label is read. A series the cache does not know is
// listed as a miss: the JS side reads its labels, relabels and names it, and expResolve() checks
// the name as plaintext names are checked and keeps it in the cache. Records are then staged
// in the open batch by expStage() (out-of-order samples with their own timestamps left out).
//
// Record statuses beyond plain.ts's: EXP_NAN (a NaN value: counted, not stored), EXP_DROPPED
// (metric_relabel_configs dropped the series), EXP_OLD (an explicit timestamp older than the
// series' newest point). REC_LINE_LEN holds EXP_EXPLICIT_TS for a sample with its own timestamp.
// The text body ends with `\n` (the JS side appends one, as Prometheus does); the input buffer
// has INPUT_PADDING bytes of slack for the vector loads.

import { alloc, free } from "./alloc";
import { fnv1a32 } from "./fnv";
import { NUM_BAD, NUM_SLOW, numStatus, numValue, parseValue } from "./float";
import {
  BATCH_RECORDS,
  Char,
  HINT_SIZE,
  INPUT_PADDING,
  MAX_NAME_LEN,
  Reason,
  REC_HASH,
  REC_LINE_LEN,
  REC_NAME,
  REC_NAME_LEN,
  REC_OK,
  REC_REJECTED,
  REC_SIZE,
  REC_STATUS,
  REC_TS,
  REC_VALUE,
  SER_MAX_TS,
} from "./layout";
import { batch, checkName, nameCanonical } from "./plain";
import { canon, canonLen, sameBytes, validUtf8, wordHash } from "./tags";
import { stage } from "./appender";
import { findSeries, hintedSeries } from "./shard_table";

export const EXP_FIXUP: u32 = 1; // REC_FIXUP: the value (or OpenMetrics timestamp) needs the JS side
export const EXP_NAN: u32 = 2;
export const EXP_DROPPED: u32 = 3;
export const EXP_OLD: u32 = 4;
export const EXP_EXPLICIT_TS: u32 = 1;

/** expParse() results. */
export const EXP_DONE: i32 = 0;
export const EXP_MORE: i32 = 1; // the batch is full: resolve, stage, call again on the rest
export const EXP_ERROR: i32 = 2; // a syntax error at expErrorAt(): the scrape fails

/** Fix-up kinds (the fix-up list: u32 record, u32 token pointer, u32 token length, u32 kind). */
export const FIX_VALUE: u32 = 0;
export const FIX_OM_TS: u32 = 1;
export const FIX_SIZE: i32 = 16;

/** Resolve table rows the JS side writes: u32 record, u32 name pointer, u32 name length, u32 kind. */
export const RESOLVE_NAME: u32 = 0;
export const RESOLVE_DROP: u32 = 1;
export const RESOLVE_SIZE: i32 = 16;
/** Bytes of the names region the JS side writes resolved names into (per call of expResolve). */
export const EXP_NAMES_BYTES: i32 = 1 << 20;

// The cache: a header, an open-addressing index of (u32 span hash, u32 entry offset + 1), and an
// arena of entries (8-byte aligned): u32 span hash, u16 span length, u16 name length (or
// NAME_DROPPED / NAME_REJECTED), u32 FNV-1a of the name (or the Reason), u32 epoch last seen,
// a series hint (layout.ts HINT_*: the series the name resolved to, so that stage() skips the
// index), span bytes, name bytes.
const H_INDEX: i32 = 0;
const H_SLOTS: i32 = 4;
const H_ARENA: i32 = 8;
const H_ARENA_CAP: i32 = 12;
const H_USED: i32 = 16;
const H_ENTRIES: i32 = 20;
const H_EPOCH: i32 = 24;
const H_NEXT: i32 = 28;
const H_SEEN: i32 = 32;
const H_FORMAT: i32 = 36;
export const SC_HEADER_SIZE: i32 = 48;
const E_HASH: i32 = 0;
const E_SPAN_LEN: i32 = 4;
const E_NAME_LEN: i32 = 6;
const E_NAME_HASH: i32 = 8;
const E_EPOCH: i32 = 12;
const E_HINT: i32 = 16;
const E_DATA: i32 = E_HINT + HINT_SIZE;
const NAME_DROPPED: u32 = 0xffff;
const NAME_REJECTED: u32 = 0xfffe;
const MAX_SPAN: usize = 0xffff;
const SC_INITIAL_ARENA: u32 = 64 << 10;
const SC_INITIAL_SLOTS: u32 = 1024;
/** Largest cache of one target; past it the cache is emptied at the next scrape. */
export const SC_MAX_BYTES: u32 = 64 << 20;

// Words compared in comment lines (static bytes; no strings at run time).
const WORDS: usize = memory.data<u8>([
  0x63, 0x6f, 0x75, 0x6e, 0x74, 0x65, 0x72, 0x67, 0x61, 0x75, 0x67, 0x65, 0x68, 0x69, 0x73,
  0x74, 0x6f, 0x67, 0x72, 0x61, 0x6d, 0x73, 0x75, 0x6d, 0x6d, 0x61, 0x72, 0x79, 0x75, 0x6e,
  0x74, 0x79, 0x70, 0x65, 0x64, 0x67, 0x61, 0x75, 0x67, 0x65, 0x68, 0x69, 0x73, 0x74, 0x6f,
  0x67, 0x72, 0x61, 0x6d, 0x69, 0x6e, 0x66, 0x6f, 0x73, 0x74, 0x61, 0x74, 0x65, 0x73, 0x65,
  0x74, 0x75, 0x6e, 0x6b, 0x6e, 0x6f, 0x77, 0x6e, 0x48, 0x45, 0x4c, 0x50, 0x54, 0x59, 0x50,
  0x45, 0x55, 0x4e, 0x49, 0x54, 0x45, 0x4f, 0x46,
]);
// (offset, length) of: counter gauge histogram summary untyped gaugehistogram info stateset
// unknown HELP TYPE UNIT EOF
const W_COUNTER: u32 = 0x0007;
const W_GAUGE: u32 = 0x0705;
const W_HISTOGRAM: u32 = 0x0c09;
const W_SUMMARY: u32 = 0x1507;
const W_UNTYPED: u32 = 0x1c07;
const W_GAUGEHISTOGRAM: u32 = 0x230e;
const W_INFO: u32 = 0x3104;
const W_STATESET: u32 = 0x3508;
const W_UNKNOWN: u32 = 0x3d07;
const W_HELP: u32 = 0x4404;
const W_TYPE: u32 = 0x4804;
const W_UNIT: u32 = 0x4c04;
const W_EOF: u32 = 0x5003;

/** True when [p, p + len) is the word `w` (offset << 8 | length). */
function isWord(p: usize, len: usize, w: u32): bool {
  const wl = <usize>(w & 0xff);
  return len == wl && sameBytes(p, WORDS + <usize>(w >> 8), wl);
}

// State of the current scrape (expBegin) and call (expParse).
let cache: usize = 0;
let om = false;
let scrapeTs: u32 = 0;
let honorTs = false;
let epoch: u32 = 0;
let eofSeen = false;
let recCount: i32 = 0;
let consumed: usize = 0;
let errAt: usize = 0;
let missList: usize = 0;
let missCount: i32 = 0;
/** Per record of the current call: its cache entry's series hint, or 0 (stage()'s hints). */
let hintList: usize = 0;
let fixList: usize = 0;
let fixCount: i32 = 0;
let names: usize = 0;
let resolveTable: usize = 0;

// Totals of the current scrape (expBegin zeroes them; read with expTotal()).
let samples: u32 = 0;
let nans: u32 = 0;
let dropped: u32 = 0;
let old: u32 = 0;
let hits: u32 = 0;
let uncached: u32 = 0;

/** Allocates the lists and regions the parser writes (once, at the first scrape). */
function regionsInit(): bool {
  if (missList != 0) return true;
  missList = alloc(<usize>BATCH_RECORDS << 2);
  hintList = alloc(<usize>BATCH_RECORDS << 2);
  fixList = alloc(<usize>BATCH_RECORDS * FIX_SIZE);
  resolveTable = alloc(<usize>BATCH_RECORDS * RESOLVE_SIZE);
  names = alloc(<usize>EXP_NAMES_BYTES + INPUT_PADDING);
  return missList != 0 && hintList != 0 && fixList != 0 && resolveTable != 0 && names != 0;
}

/** Forgets the regions (init() reset the heap under them). */
export function expReset(): void {
  missList = 0;
  hintList = 0;
  fixList = 0;
  resolveTable = 0;
  names = 0;
  cache = 0;
}

// ------------------------------------------------------------------------------------------
// The scrape cache

/** A new empty cache (a target's), or 0 when memory cannot grow. */
export function scNew(): usize {
  const h = alloc(<usize>SC_HEADER_SIZE);
  if (h == 0) return 0;
  const index = alloc(<usize>SC_INITIAL_SLOTS << 3);
  const arena = alloc(<usize>SC_INITIAL_ARENA + INPUT_PADDING);
  if (index == 0 || arena == 0) return 0;
  memory.fill(index, 0, <usize>SC_INITIAL_SLOTS << 3);
  store<u32>(h, <u32>index, H_INDEX);
  store<u32>(h, SC_INITIAL_SLOTS, H_SLOTS);
  store<u32>(h, <u32>arena, H_ARENA);
  store<u32>(h, SC_INITIAL_ARENA, H_ARENA_CAP);
  store<u32>(h, 0, H_USED);
  store<u32>(h, 0, H_ENTRIES);
  store<u32>(h, 0, H_EPOCH);
  store<u32>(h, 0, H_NEXT);
  store<u32>(h, 0, H_SEEN);
  store<u32>(h, 0xffffffff, H_FORMAT);
  return h;
}

/** Frees a cache. */
export function scFree(h: usize): void {
  free(<usize>load<u32>(h, H_INDEX), <usize>load<u32>(h, H_SLOTS) << 3);
  free(<usize>load<u32>(h, H_ARENA), <usize>load<u32>(h, H_ARENA_CAP) + INPUT_PADDING);
  free(h, <usize>SC_HEADER_SIZE);
  if (cache == h) cache = 0;
}

/** Series the cache holds. */
export function scEntries(h: usize): u32 {
  return load<u32>(h, H_ENTRIES);
}

/** Bytes the cache holds (index and arena). */
export function scBytes(h: usize): u32 {
  return (load<u32>(h, H_SLOTS) << 3) + load<u32>(h, H_ARENA_CAP);
}

function scClear(h: usize): void {
  memory.fill(<usize>load<u32>(h, H_INDEX), 0, <usize>load<u32>(h, H_SLOTS) << 3);
  store<u32>(h, 0, H_USED);
  store<u32>(h, 0, H_ENTRIES);
  store<u32>(h, 0, H_NEXT);
  store<u32>(h, 0, H_SEEN);
}

// @ts-ignore: decorator
@inline function entrySize(e: usize): usize {
  let nameLen = <usize>load<u16>(e, E_NAME_LEN);
  if (nameLen >= <usize>NAME_REJECTED) nameLen = 0;
  return (<usize>E_DATA + <usize>load<u16>(e, E_SPAN_LEN) + nameLen + 7) & ~7;
}

/**
 * Makes room before a round over `remaining` bytes of body: a larger arena and index (no record
 * points into the cache between rounds, so it may move), or an empty cache when it is at its
 * largest. A round adds at most BATCH_RECORDS entries, each at most about three times its line.
 */
function scMakeRoom(h: usize, remaining: usize): void {
  const used = <usize>load<u32>(h, H_USED);
  let cap = <usize>load<u32>(h, H_ARENA_CAP);
  const need = used + min<usize>(remaining * 3, <usize>BATCH_RECORDS << 9);
  if (need > cap) {
    while (cap < need && cap < <usize>SC_MAX_BYTES) cap <<= 1;
    if (need > cap) {
      scClear(h); // at its largest and full: start afresh (every series is named again)
    } else {
      const arena = <usize>load<u32>(h, H_ARENA);
      const next = alloc(cap + INPUT_PADDING);
      if (next != 0) {
        memory.copy(next, arena, <usize>load<u32>(h, H_USED));
        free(arena, <usize>load<u32>(h, H_ARENA_CAP) + INPUT_PADDING);
        store<u32>(h, <u32>next, H_ARENA);
        store<u32>(h, <u32>cap, H_ARENA_CAP);
      }
    }
  }
  const wanted = (<usize>load<u32>(h, H_ENTRIES) + min<usize>(remaining >> 3, <usize>BATCH_RECORDS)) << 1;
  let slots = <usize>load<u32>(h, H_SLOTS);
  if (wanted > slots) {
    while (slots < wanted) slots <<= 1;
    rehash(h, <u32>slots);
  }
}

/** Rebuilds the index with `slots` slots from the arena. */
function rehash(h: usize, slots: u32): void {
  const index = alloc(<usize>slots << 3);
  if (index == 0) return;
  free(<usize>load<u32>(h, H_INDEX), <usize>load<u32>(h, H_SLOTS) << 3);
  memory.fill(index, 0, <usize>slots << 3);
  store<u32>(h, <u32>index, H_INDEX);
  store<u32>(h, slots, H_SLOTS);
  const arena = <usize>load<u32>(h, H_ARENA);
  const used = <usize>load<u32>(h, H_USED);
  let off: usize = 0;
  while (off < used) {
    const e = arena + off;
    indexPut(h, load<u32>(e, E_HASH), <u32>off);
    off += entrySize(e);
  }
}

function indexPut(h: usize, hash: u32, off: u32): void {
  const index = <usize>load<u32>(h, H_INDEX);
  const mask = load<u32>(h, H_SLOTS) - 1;
  let i = hash & mask;
  while (load<u32>(index + (<usize>i << 3), 4) != 0) i = (i + 1) & mask;
  store<u32>(index + (<usize>i << 3), hash);
  store<u32>(index + (<usize>i << 3), off + 1, 4);
}

/** The entry for the span, or 0. */
function scFind(h: usize, hash: u32, span: usize, len: usize): usize {
  const index = <usize>load<u32>(h, H_INDEX);
  const mask = load<u32>(h, H_SLOTS) - 1;
  const arena = <usize>load<u32>(h, H_ARENA);
  let i = hash & mask;
  while (true) {
    const slot = index + (<usize>i << 3);
    const off = load<u32>(slot, 4);
    if (off == 0) return 0;
    if (load<u32>(slot) == hash) {
      const e = arena + <usize>off - 1;
      if (<usize>load<u16>(e, E_SPAN_LEN) == len && sameBytes(e + E_DATA, span, len)) return e;
    }
    i = (i + 1) & mask;
  }
}

/**
 * Adds an entry; returns it, or 0 when the arena is full (the entry is then not kept). Only
 * ever appends: entries found earlier in the round stay where they are.
 */
function scInsert(h: usize, hash: u32, span: usize, spanLen: usize, nameLen: u32): usize {
  const named = nameLen < NAME_REJECTED ? <usize>nameLen : 0;
  const size = (<usize>E_DATA + spanLen + named + 7) & ~7;
  const used = <usize>load<u32>(h, H_USED);
  const entries = load<u32>(h, H_ENTRIES);
  if (used + size > <usize>load<u32>(h, H_ARENA_CAP) || (entries + 1) * 2 > load<u32>(h, H_SLOTS)) {
    return 0;
  }
  const e = <usize>load<u32>(h, H_ARENA) + used;
  store<u32>(e, hash, E_HASH);
  store<u16>(e, <u16>spanLen, E_SPAN_LEN);
  store<u16>(e, <u16>nameLen, E_NAME_LEN);
  store<u32>(e, epoch, E_EPOCH);
  store<u64>(e + E_HINT, 0);
  memory.copy(e + E_DATA, span, spanLen);
  indexPut(h, hash, <u32>used);
  store<u32>(h, <u32>(used + size), H_USED);
  store<u32>(h, entries + 1, H_ENTRIES);
  store<u32>(h, load<u32>(h, H_SEEN) + 1, H_SEEN);
  store<u32>(h, <u32>(used + size), H_NEXT);
  return e;
}

// ------------------------------------------------------------------------------------------
// Parsing

/**
 * Starts a scrape of the target whose cache is `h`: OpenMetrics (`openMetrics` 1) or text, the
 * scrape's time in seconds, whether the samples' own timestamps are used. False when memory
 * cannot grow.
 */
export function expBegin(h: usize, openMetrics: i32, ts: u32, honor: i32): bool {
  if (!regionsInit()) return false;
  cache = h;
  om = openMetrics != 0;
  scrapeTs = ts;
  honorTs = honor != 0;
  const format = om ? <u32>1 : <u32>0;
  if (load<u32>(h, H_FORMAT) != format) {
    scClear(h);
    store<u32>(h, format, H_FORMAT);
  }
  // series not seen in the last scrape make up most of the cache: start afresh
  const entries = load<u32>(h, H_ENTRIES);
  if (entries > 1024 && load<u32>(h, H_SEEN) < entries / 2) scClear(h);
  store<u32>(h, 0, H_SEEN);
  store<u32>(h, 0, H_NEXT);
  epoch = load<u32>(h, H_EPOCH) + 1;
  store<u32>(h, epoch, H_EPOCH);
  eofSeen = false;
  samples = 0;
  nans = 0;
  dropped = 0;
  old = 0;
  hits = 0;
  uncached = 0;
  return true;
}

// @ts-ignore: decorator
@inline function isBlank(c: u32): bool {
  return c == Char.SPACE || c == Char.TAB;
}

// @ts-ignore: decorator
@inline function isMetricStart(c: u32): bool {
  const l = c | 0x20;
  return (l >= 0x61 && l <= 0x7a) || c == 0x5f || c == Char.COLON;
}

// @ts-ignore: decorator
@inline function isMetricChar(c: u32): bool {
  return isMetricStart(c) || c - Char.ZERO <= 9;
}

// @ts-ignore: decorator
@inline function isLabelChar(c: u32): bool {
  const l = c | 0x20;
  return (l >= 0x61 && l <= 0x7a) || c == 0x5f || c - Char.ZERO <= 9;
}

/** After the blanks at `p` (text) or `p` itself (OpenMetrics). */
// @ts-ignore: decorator
@inline function skipBlanks(p: usize, end: usize): usize {
  while (p < end && isBlank(<u32>load<u8>(p))) p++;
  return p;
}

/** The first `\n` at or after `p`, or `end`. */
function lineEnd(p: usize, end: usize): usize {
  const lf = i8x16.splat(<i8>Char.LF);
  while (p < end) {
    const m = <u32>i8x16.bitmask(i8x16.eq(v128.load(p), lf));
    if (m != 0) {
      const q = p + ctz<u32>(m);
      return q < end ? q : end;
    }
    p += 16;
  }
  return end;
}

const QUOTE_V: v128 = i8x16.splat(<i8>Char.QUOTE);
const BACKSLASH_V: v128 = i8x16.splat(<i8>Char.BACKSLASH);
const LF_V: v128 = i8x16.splat(<i8>Char.LF);

/**
 * The end of the quoted label value whose opening `"` is at `p - 1`: the position after its
 * closing quote, or 0 (unterminated; in OpenMetrics, a newline in it).
 */
function quotedEnd(p: usize, end: usize): usize {
  while (p < end) {
    const v = v128.load(p);
    let m = <u32>i8x16.bitmask(
      v128.or(v128.or(i8x16.eq(v, QUOTE_V), i8x16.eq(v, BACKSLASH_V)), i8x16.eq(v, LF_V)),
    );
    if (m == 0) {
      p += 16;
      continue;
    }
    const q = p + ctz<u32>(m);
    if (q >= end) return 0;
    const c = <u32>load<u8>(q);
    if (c == Char.QUOTE) return q + 1;
    if (c == Char.LF) {
      if (om) return 0;
      p = q + 1;
      continue;
    }
    // a backslash escapes the next byte, whatever it is (a newline only in the text format)
    if (q + 1 >= end) return 0;
    if (om && load<u8>(q + 1) == Char.LF) return 0;
    p = q + 2;
  }
  return 0;
}

/**
 * The end of a label block whose `{` is at `p`: the position after its `}`, or 0. Only the
 * bytes a label block can hold are allowed between values; its structure is read on a miss.
 */
function labelsEnd(p: usize, end: usize): usize {
  p++;
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c == Char.QUOTE) {
      p = quotedEnd(p + 1, end);
      if (p == 0) return 0;
      continue;
    }
    if (c == Char.RBRACE) return p + 1;
    if (isLabelChar(c) || c == Char.EQUALS || c == Char.COMMA || (!om && isBlank(c))) {
      p++;
      continue;
    }
    return 0;
  }
  return 0;
}

/**
 * Checks an OpenMetrics label block at `p` (`{`) strictly, as exemplars' labels are never
 * read again: `}` or `name="value"` pairs separated by `,`, a trailing `,` allowed. Returns the
 * position after `}`, or 0.
 */
function checkLabels(p: usize, end: usize): usize {
  p++;
  while (p < end) {
    if (load<u8>(p) == Char.RBRACE) return p + 1;
    const c0 = <u32>load<u8>(p);
    if (!isLabelChar(c0) || c0 - Char.ZERO <= 9) return 0;
    while (p < end && isLabelChar(<u32>load<u8>(p))) p++;
    if (p >= end || load<u8>(p) != Char.EQUALS) return 0;
    p++;
    if (p >= end || load<u8>(p) != Char.QUOTE) return 0;
    const q = quotedEnd(p + 1, end);
    if (q == 0 || !validUtf8(p + 1, q - p - 2)) return 0;
    p = q;
    if (p >= end) return 0;
    const c = <u32>load<u8>(p);
    if (c == Char.COMMA) p++;
    else if (c != Char.RBRACE) return 0;
  }
  return 0;
}

/** The end of a token starting at `p`: the first `\n`, space, (text) tab or `{`. */
function tokenEnd(p: usize, end: usize): usize {
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c == Char.LF || c == Char.SPACE) break;
    if (!om && (c == Char.TAB || c == Char.LBRACE)) break;
    p++;
  }
  return p;
}

/** `Inf`, `+Inf`, `-Infinity`, `NaN` (any case) at [p, q): sets numValue; false otherwise. */
function specialValue(p: usize, q: usize): bool {
  let sign: f64 = 1;
  let c = <u32>load<u8>(p);
  if ((c | 0x20) == 0x6e) {
    // "nan": no sign allowed (Go's ParseFloat)
    if (q - p == 3 && (<u32>load<u8>(p + 1) | 0x20) == 0x61 && (<u32>load<u8>(p + 2) | 0x20) == 0x6e) {
      numValue = NaN;
      return true;
    }
    return false;
  }
  if (c == Char.PLUS || c == Char.MINUS) {
    if (c == Char.MINUS) sign = -1;
    p++;
  }
  const n = q - p;
  if (n != 3 && n != 8) return false;
  // "inf" or "infinity", any case
  const lower = load<u64>(p) | 0x2020202020202020;
  const ok = n == 3
    ? (lower & 0xffffff) == 0x666e69
    : lower == 0x7974696e69666e69;
  if (!ok) return false;
  numValue = sign * Infinity;
  return true;
}

/**
 * Reads the value token [p, q): numValue set; returns 0 (OK), 1 (needs the JS side), or -1 (not
 * a value).
 */
function readValue(p: usize, q: usize): i32 {
  if (q == p) return -1;
  const after = parseValue(p);
  if (after == q && numStatus != NUM_BAD) return numStatus == NUM_SLOW ? 1 : 0;
  return specialValue(p, q) ? 0 : -1;
}

/** Adds a fix-up for record `rec` of the token [p, q). */
function addFix(rec: i32, p: usize, q: usize, kind: u32): void {
  const f = fixList + <usize>fixCount * FIX_SIZE;
  store<u32>(f, <u32>rec);
  store<u32>(f, <u32>p, 4);
  store<u32>(f, <u32>(q - p), 8);
  store<u32>(f, kind, 12);
  fixCount++;
}

/**
 * Parses [ptr, ptr + len) until the batch is full, the body ends or an error. Returns EXP_DONE,
 * EXP_MORE or EXP_ERROR; expConsumed() says how far it got (where to call again from).
 */
export function expParse(ptr: usize, len: u32): i32 {
  const end = ptr + <usize>len;
  recCount = 0;
  missCount = 0;
  fixCount = 0;
  scMakeRoom(cache, <usize>len);
  let p = ptr;
  while (p < end) {
    if (recCount == BATCH_RECORDS) {
      consumed = p - ptr;
      return EXP_MORE;
    }
    if (eofSeen) return error(p, ptr);
    const next = om ? omLine(p, end) : textLine(p, end);
    if (next == 0) return error(errAt, ptr);
    p = next;
  }
  consumed = p - ptr;
  if (om && !eofSeen) return error(end, ptr);
  return EXP_DONE;
}

function error(at: usize, ptr: usize): i32 {
  errAt = at;
  consumed = at - ptr;
  return EXP_ERROR;
}

/** One line of the text format at `p`; returns the next line's start, or 0 (errAt set). */
function textLine(p: usize, end: usize): usize {
  const start = p;
  p = skipBlanks(p, end);
  if (p >= end) return end;
  const c = <u32>load<u8>(p);
  if (c == Char.LF) return p + 1;
  if (c == 0) return end; // promlex reads a NUL at a line's start as the end of input
  if (c == Char.HASH) return textComment(p, end);
  // Prometheus 2.42 keeps blanks before a sample in its metric name, which then is invalid
  if (p > start) {
    errAt = start;
    return 0;
  }
  return sample(p, end);
}

/** A `#` line of the text format: `# HELP name ...` and `# TYPE name type` checked. */
function textComment(p: usize, end: usize): usize {
  const lf = lineEnd(p, end);
  let q = p + 1;
  if (q >= lf || !isBlank(<u32>load<u8>(q))) return lf + 1;
  q = skipBlanks(q, lf);
  const isHelp = q + 4 < lf && isWord(q, 4, W_HELP) && isBlank(<u32>load<u8>(q + 4));
  const isType = q + 4 < lf && isWord(q, 4, W_TYPE) && isBlank(<u32>load<u8>(q + 4));
  if (!isHelp && !isType) return lf + 1;
  q = skipBlanks(q + 4, lf);
  if (q >= lf || !isMetricStart(<u32>load<u8>(q))) {
    errAt = p;
    return 0;
  }
  while (q < lf && isMetricChar(<u32>load<u8>(q))) q++;
  if (isType) {
    const text = q < lf ? q + 1 : lf;
    const n = lf - text;
    if (
      !isWord(text, n, W_COUNTER) && !isWord(text, n, W_GAUGE) &&
      !isWord(text, n, W_HISTOGRAM) && !isWord(text, n, W_SUMMARY) && !isWord(text, n, W_UNTYPED)
    ) {
      errAt = p;
      return 0;
    }
  }
  return lf + 1;
}

/** One OpenMetrics line at `p`; returns the next line's start, or 0 (errAt set). */
function omLine(p: usize, end: usize): usize {
  if (load<u8>(p) == Char.HASH) return omComment(p, end);
  const next = sample(p, end);
  if (next == 0) errAt = p;
  return next;
}

/** `# HELP`, `# TYPE`, `# UNIT` or `# EOF`. */
function omComment(p: usize, end: usize): usize {
  errAt = p;
  const lf = lineEnd(p, end);
  if (p + 5 <= end && load<u8>(p + 1) == Char.SPACE && isWord(p + 2, 3, W_EOF)) {
    const after = p + 5;
    if (after == end || (after == lf && lf + 1 == end)) {
      eofSeen = true;
      return end;
    }
    if (after < end && load<u8>(after) != Char.LF) return 0;
    errAt = after;
    return 0;
  }
  if (p + 7 > lf || load<u8>(p + 1) != Char.SPACE || load<u8>(p + 6) != Char.SPACE) return 0;
  const help = isWord(p + 2, 4, W_HELP);
  const type = isWord(p + 2, 4, W_TYPE);
  const unit = isWord(p + 2, 4, W_UNIT);
  if (!help && !type && !unit) return 0;
  let q = p + 7;
  const name = q;
  if (q >= lf || !isMetricStart(<u32>load<u8>(q))) return 0;
  while (q < lf && isMetricChar(<u32>load<u8>(q))) q++;
  const nameEnd = q;
  if (q >= lf || load<u8>(q) != Char.SPACE || lf >= end) return 0;
  const text = q + 1;
  const n = lf - text;
  if (type) {
    if (
      !isWord(text, n, W_COUNTER) && !isWord(text, n, W_GAUGE) &&
      !isWord(text, n, W_HISTOGRAM) && !isWord(text, n, W_GAUGEHISTOGRAM) &&
      !isWord(text, n, W_SUMMARY) && !isWord(text, n, W_INFO) &&
      !isWord(text, n, W_STATESET) && !isWord(text, n, W_UNKNOWN)
    ) return 0;
  } else if (unit) {
    // the unit must be a suffix of the name after a `_`
    if (n > 0) {
      const nameLen = nameEnd - name;
      if (nameLen < n + 1 || load<u8>(nameEnd - n - 1) != Char.UNDERSCORE || !sameBytes(nameEnd - n, text, n)) {
        return 0;
      }
    }
  } else if (!validUtf8(text, n)) {
    return 0;
  }
  return lf + 1;
}

/** The scrape cache entry tried first: the one after the last found. */
// @ts-ignore: decorator
@inline function guessEntry(): usize {
  const next = load<u32>(cache, H_NEXT);
  return next < load<u32>(cache, H_USED) ? <usize>load<u32>(cache, H_ARENA) + <usize>next : 0;
}

/** True when a series span of `len` bytes at `p` ends there (a name is not followed by more). */
// @ts-ignore: decorator
@inline function spanEndsAt(p: usize, len: usize, end: usize): bool {
  const q = p + len;
  if (load<u8>(q - 1) == Char.RBRACE) return true;
  if (q >= end) return false;
  const c = <u32>load<u8>(q);
  if (om) return c == Char.SPACE;
  if (!isBlank(c)) return false;
  const r = skipBlanks(q, end);
  return r < end && load<u8>(r) != Char.LBRACE;
}

/**
 * One sample at `p` (its first byte): series, value, timestamp (and an OpenMetrics exemplar).
 * Writes a record; returns the next line's start, or 0.
 */
function sample(p: usize, end: usize): usize {
  errAt = p;
  const rec = batch + <usize>recCount * REC_SIZE;
  let entry: usize = 0;
  let spanEnd: usize = 0;
  let hash: u32 = 0;
  const guess = guessEntry();
  if (guess != 0) {
    const len = <usize>load<u16>(guess, E_SPAN_LEN);
    if (p + len <= end && sameBytes(guess + E_DATA, p, len) && spanEndsAt(p, len, end)) {
      entry = guess;
      spanEnd = p + len;
    }
  }
  if (entry == 0) {
    if (!isMetricStart(<u32>load<u8>(p))) return 0;
    let q = p + 1;
    while (q < end && isMetricChar(<u32>load<u8>(q))) q++;
    spanEnd = q;
    const brace = om ? q : skipBlanks(q, end);
    if (brace < end && load<u8>(brace) == Char.LBRACE) {
      spanEnd = labelsEnd(brace, end);
      if (spanEnd == 0) return 0;
    }
    const len = spanEnd - p;
    if (len <= MAX_SPAN) {
      hash = wordHash(p, len);
      entry = scFind(cache, hash, p, len);
    }
  }
  // the value
  let q = spanEnd;
  if (om) {
    if (q >= end || load<u8>(q) != Char.SPACE) return 0;
    q++;
  } else {
    const before = q;
    q = skipBlanks(q, end);
    if (q == before && load<u8>(q - 1) != Char.RBRACE) return 0;
  }
  const valueEnd = tokenEnd(q, end);
  const valueKind = readValue(q, valueEnd);
  if (valueKind < 0) return 0;
  let value = numValue;
  let status: u32 = REC_OK;
  if (valueKind == 1) {
    addFix(recCount, q, valueEnd, FIX_VALUE);
    status = EXP_FIXUP;
  } else if (isNaN(value)) {
    status = EXP_NAN;
  }
  // the timestamp
  q = valueEnd;
  let explicit = false;
  let ts = scrapeTs;
  if (om) {
    if (q < end && load<u8>(q) == Char.SPACE) {
      q++;
      if (q < end && load<u8>(q) == Char.HASH) {
        q = exemplar(q, end);
        if (q == 0) return 0;
      } else {
        const tsEnd = tokenEnd(q, end);
        const kind = readValue(q, tsEnd);
        if (kind < 0 || (kind == 0 && (isNaN(numValue) || !isFinite(numValue)))) return 0;
        explicit = true;
        if (kind == 1) {
          addFix(recCount, q, tsEnd, FIX_OM_TS);
        } else {
          const t = omSeconds(numValue);
          if (t < 0) status = REC_REJECTED + Reason.BAD_TIMESTAMP;
          else ts = <u32>t;
        }
        q = tsEnd;
        if (q < end && load<u8>(q) == Char.SPACE) {
          q++;
          if (q >= end || load<u8>(q) != Char.HASH) return 0;
          q = exemplar(q, end);
          if (q == 0) return 0;
        }
      }
    }
    if (q >= end || load<u8>(q) != Char.LF) return 0;
  } else {
    q = skipBlanks(q, end);
    if (q >= end) return 0;
    if (load<u8>(q) != Char.LF) {
      const tsEnd = tokenEnd(q, end);
      const ms = textMillis(q, tsEnd);
      if (ms < 0) return 0;
      explicit = true;
      const s = ms / 1000;
      if (s > 0xffffffff) status = REC_REJECTED + Reason.BAD_TIMESTAMP;
      else ts = <u32>s;
      q = skipBlanks(tsEnd, end);
      if (q >= end || load<u8>(q) != Char.LF) return 0;
    }
  }
  if (!honorTs) {
    explicit = false;
    ts = scrapeTs;
    if (status == REC_REJECTED + Reason.BAD_TIMESTAMP) status = REC_OK;
  }
  samples++;
  store<u32>(rec, ts, REC_TS);
  store<f64>(rec, value, REC_VALUE);
  store<u32>(rec, explicit ? EXP_EXPLICIT_TS : 0, REC_LINE_LEN);
  store<u32>(hintList + (<usize>recCount << 2), entry == 0 ? 0 : <u32>(entry + E_HINT));
  if (entry != 0) {
    hits++;
    store<u32>(entry, epoch, E_EPOCH);
    store<u32>(cache, load<u32>(cache, H_SEEN) + 1, H_SEEN);
    store<u32>(cache, <u32>(entry - <usize>load<u32>(cache, H_ARENA) + entrySize(entry)), H_NEXT);
    status = applyEntry(rec, entry, status);
  } else {
    // a miss: the JS side names the series (the span and its hash stay in the record)
    store<u32>(rec, hash, REC_HASH);
    store<u32>(rec, <u32>p, REC_NAME);
    store<u32>(rec, <u32>(spanEnd - p), REC_NAME_LEN);
    store<u32>(missList + (<usize>missCount << 2), <u32>recCount);
    missCount++;
  }
  store<u32>(rec, status, REC_STATUS);
  recCount++;
  return q + 1;
}

/** Points a record at a cache entry's name (or its refusal); returns the record's status. */
function applyEntry(rec: usize, entry: usize, status: u32): u32 {
  const nameLen = <u32>load<u16>(entry, E_NAME_LEN);
  if (nameLen == NAME_DROPPED) {
    dropped++;
    return EXP_DROPPED;
  }
  if (nameLen == NAME_REJECTED) return REC_REJECTED + load<u32>(entry, E_NAME_HASH);
  store<u32>(rec, load<u32>(entry, E_NAME_HASH), REC_HASH);
  store<u32>(rec, <u32>(entry + E_DATA + <usize>load<u16>(entry, E_SPAN_LEN)), REC_NAME);
  store<u32>(rec, nameLen, REC_NAME_LEN);
  if (status == EXP_NAN) nans++;
  return status;
}

/** Whole seconds of an OpenMetrics timestamp, as int64(ts * 1000) then / 1000; -1 when outside u32. */
function omSeconds(v: f64): i64 {
  const ms = Math.trunc(v * 1000);
  if (!(ms >= 0) || ms >= 4294967296000) return -1;
  return <i64>ms / 1000;
}

/** Integer milliseconds of the text format at [p, q): digits only, int64; -1 when not. */
function textMillis(p: usize, q: usize): i64 {
  if (q == p || q - p > 19) return -1;
  let v: u64 = 0;
  for (let r = p; r < q; r++) {
    const d = <u32>load<u8>(r) - Char.ZERO;
    if (d > 9) return -1;
    v = v * 10 + <u64>d;
  }
  if (v > <u64>0x7fffffffffffffff) return -1;
  return <i64>v;
}

/** ` # {labels} value [timestamp]` at `p` (the `#`); returns the position after it, or 0. */
function exemplar(p: usize, end: usize): usize {
  if (p + 2 >= end || load<u8>(p + 1) != Char.SPACE || load<u8>(p + 2) != Char.LBRACE) return 0;
  let q = checkLabels(p + 2, end);
  if (q == 0 || q >= end || load<u8>(q) != Char.SPACE) return 0;
  q++;
  const valueEnd = tokenEnd(q, end);
  if (readValue(q, valueEnd) < 0) return 0;
  q = valueEnd;
  if (q < end && load<u8>(q) == Char.SPACE) {
    q++;
    const tsEnd = tokenEnd(q, end);
    const kind = readValue(q, tsEnd);
    if (kind < 0 || (kind == 0 && (isNaN(numValue) || !isFinite(numValue)))) return 0;
    q = tsEnd;
  }
  return q;
}

// ------------------------------------------------------------------------------------------
// After the JS side: names of the misses, fix-ups, staging

/**
 * Takes the JS side's names for `count` misses (RESOLVE_SIZE rows at expResolvePtr(), names in
 * the names region): each name is checked as plaintext names are (UTF-8, carbon's canonical
 * form, path rules), kept in the scrape cache with its span, and its record pointed at it.
 * Returns the records refused for their name.
 */
export function expResolve(count: i32): u32 {
  let refused: u32 = 0;
  for (let i = 0; i < count; i++) {
    const row = resolveTable + <usize>i * RESOLVE_SIZE;
    const recIndex = load<u32>(row);
    const rec = batch + <usize>recIndex * REC_SIZE;
    const span = <usize>load<u32>(rec, REC_NAME);
    const spanLen = <usize>load<u32>(rec, REC_NAME_LEN);
    const spanHash = load<u32>(rec, REC_HASH);
    const status = load<u32>(rec, REC_STATUS);
    // the same new series twice in one body: the first made the entry
    let entry = spanLen <= MAX_SPAN ? scFind(cache, spanHash, span, spanLen) : 0;
    if (entry == 0) {
      if (load<u32>(row, 12) == RESOLVE_DROP) {
        if (spanLen <= MAX_SPAN) entry = scInsert(cache, spanHash, span, spanLen, NAME_DROPPED);
        dropped++;
        store<u32>(rec, EXP_DROPPED, REC_STATUS);
        continue;
      }
      let name = <usize>load<u32>(row, 4);
      let len = <usize>load<u32>(row, 8);
      const reason = checkName(name, len);
      if (reason >= 0) {
        refused++;
        if (spanLen <= MAX_SPAN) {
          entry = scInsert(cache, spanHash, span, spanLen, NAME_REJECTED);
          if (entry != 0) store<u32>(entry, <u32>reason, E_NAME_HASH);
        }
        store<u32>(rec, REC_REJECTED + <u32>reason, REC_STATUS);
        continue;
      }
      if (nameCanonical) {
        memory.copy(name + len - canonLen, canon, canonLen);
        name = name + len - canonLen;
        len = canonLen;
      }
      const nameHash = fnv1a32(name, len);
      if (spanLen <= MAX_SPAN) entry = scInsert(cache, spanHash, span, spanLen, <u32>len);
      if (entry == 0) {
        // the cache is full: the record keeps the name in the names region for this round
        uncached++;
        store<u32>(rec, nameHash, REC_HASH);
        store<u32>(rec, <u32>name, REC_NAME);
        store<u32>(rec, <u32>len, REC_NAME_LEN);
        if (status == EXP_NAN) nans++;
        continue;
      }
      store<u32>(entry, nameHash, E_NAME_HASH);
      memory.copy(entry + E_DATA + spanLen, name, len);
    }
    store<u32>(hintList + (<usize>recIndex << 2), <u32>(entry + E_HINT));
    store<u32>(rec, applyEntry(rec, entry, status), REC_STATUS);
  }
  return refused;
}

/**
 * Stages the records of the last expParse() in the open batch: samples with their own
 * timestamp older than their series' newest point are left out (EXP_OLD) first.
 */
export function expStage(): void {
  const end = batch + <usize>recCount * REC_SIZE;
  for (let rec = batch; rec < end; rec += REC_SIZE) {
    if (load<u32>(rec, REC_LINE_LEN) != EXP_EXPLICIT_TS || load<u32>(rec, REC_STATUS) != REC_OK) {
      continue;
    }
    const hint = <usize>load<u32>(hintList + (<usize>((rec - batch) / REC_SIZE) << 2));
    let series = hintedSeries(hint);
    if (series == 0) {
      series = findSeries(
        load<u32>(rec, REC_HASH),
        <usize>load<u32>(rec, REC_NAME),
        <usize>load<u32>(rec, REC_NAME_LEN),
      );
    }
    if (series != 0 && load<u32>(rec, REC_TS) < load<u32>(series, SER_MAX_TS)) {
      store<u32>(rec, EXP_OLD, REC_STATUS);
      old++;
    }
  }
  stage(batch, recCount, hintList);
}

/** Records written by the last expParse(), its misses and its fix-ups. */
export function expRecords(): i32 {
  return recCount;
}

export function expMisses(): i32 {
  return missCount;
}

export function expMissPtr(): usize {
  return missList;
}

export function expFixups(): i32 {
  return fixCount;
}

export function expFixPtr(): usize {
  return fixList;
}

export function expResolvePtr(): usize {
  return resolveTable;
}

export function expNamesPtr(): usize {
  return names;
}

/** Bytes of the input the last expParse() got through; where an error is, on EXP_ERROR. */
export function expConsumed(): u32 {
  return <u32>consumed;
}

/**
 * Totals of the current scrape: 0 samples, 1 NaN samples, 2 dropped by relabeling, 3 out of
 * order, 4 found in the scrape cache, 5 named but not cached (the cache was full).
 */
export function expTotal(which: i32): u32 {
  if (which == 0) return samples;
  if (which == 1) return nans;
  if (which == 2) return dropped;
  if (which == 3) return old;
  if (which == 4) return hits;
  return uncached;
}
