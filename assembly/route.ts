// Relay routing, exactly as carbon-c-relay 3.7 routes (peers.md E.1-E.5): each complete line of
// a block is split into its three fields (as the plaintext parser does), its name is sanitized
// the way carbon-c-relay's dispatcher does it, its value and timestamp are checked, and the
// line, rebuilt as `name value timestamp\n`, is appended to the output of every member its
// routing key maps to. The key is the sanitized name up to the first `;` (tags never route).
// One call per block; the JS side then hands each member's output to its queue.

import { grow, grownCap } from "./alloc";
import { fnv1a32Signed, fnv1a64Signed } from "./fnv";
import { NUM_BAD, NUM_SLOW, numStatus, parseTimestamp, parseValue } from "./float";
import {
  Char,
  MAX_NAME_LEN,
  MOUT_CAP,
  MOUT_LEN,
  MOUT_LINES,
  MOUT_PTR,
  MOUT_SIZE,
  RC_COPIES,
  RC_LINES,
  RC_REJECTED,
  RC_REROUTED,
  RC_SLOTS,
  Reason,
  RING_MEMBER,
  RING_POS,
  RING_SIZE,
  ROUTE_CARBON_CH,
  ROUTE_FNV1A_CH,
  ROUTE_JUMP_FNV1A,
  ROUTE_MAX_MEMBERS,
  ROUTE_MAX_REPLICATION,
} from "./layout";
import { md5Pos } from "./md5";
import {
  fieldName,
  fieldNameEnd,
  fieldTs,
  fieldTsEnd,
  fieldValue,
  fieldValueEnd,
  lastLf,
  maxLineLen,
  nextLf,
  splitFields,
} from "./plain";

let method: i32 = ROUTE_JUMP_FNV1A;
let replication: i32 = 1;
let memberCount: i32 = 0;
/** Tags are routed on the name before them: on unless `;` is an allowed name character. */
let tagsSupported: bool = true;

/** Bytes kept as they are in a name (1) or replaced by `_` (0), before the first `;`. */
const keep: usize = memory.data(256);
/** jump_fnv1a_ch: member index by bucket (members with an instance first, sorted). */
export const order: usize = memory.data(ROUTE_MAX_MEMBERS << 1, 2);
/** 1 for a member that is down (its lines are rerouted when reroute is on). */
export const down: usize = memory.data(ROUTE_MAX_MEMBERS);
let anyDown: bool = false;
/** fnv1a_ch, carbon_ch: the ring, RING_SIZE-byte entries sorted by position. */
export let ring: usize = 0;
let ringLen: i32 = 0;
let ringCap: usize = 0;
/** Per-member outputs, MOUT_SIZE bytes each. */
export const outputs: usize = memory.data(ROUTE_MAX_MEMBERS * MOUT_SIZE, 16);
/** Counters since routeBegin(), RC_SLOTS u64 slots. */
export const routeCounters: usize = memory.data(RC_SLOTS << 3, 16);
/** The line being rebuilt. */
let scratch: usize = 0;
let scratchCap: usize = 0;
/** Where the JS side writes a queue record's header before framing it (docs/relay.md). */
export const queueHeader: usize = memory.data(16, 8);
/**
 * Lines whose value or timestamp needs the JS side's parser to decide (the rare number forms
 * float.ts leaves to it): u32 offset from the block start, u32 length with the `\n`.
 */
export let slow: usize = 0;
let slowCap: usize = 0;
export let slowLen: u32 = 0;
/** Set when an output could not grow: route() stopped early. */
export let routeOutOfMemory: bool = false;

// The members a line goes to, and the bucket swaps of jump's replication.
const picks: usize = memory.data(ROUTE_MAX_REPLICATION << 2, 4);
const swapIdx: usize = memory.data(ROUTE_MAX_REPLICATION << 2, 4);
const swapVal: usize = memory.data(ROUTE_MAX_REPLICATION << 2, 4);
let swapLen: i32 = 0;

/**
 * Sets up routing: the method, the replication, the member count and the characters allowed in
 * a name besides letters and digits (carbon-c-relay's `-c`, default `-_:#`), given as `len`
 * bytes at `allowedPtr`. Outputs are emptied. False when `members` or `repl` is out of range.
 */
export function routeSetup(m: i32, repl: i32, members: i32, allowedPtr: usize, allowedLen: usize): bool {
  if (members < 1 || members > ROUTE_MAX_MEMBERS || repl < 1 || repl > members || repl > ROUTE_MAX_REPLICATION) return false;
  method = m;
  replication = repl;
  memberCount = members;
  memory.fill(keep, 0, 256);
  for (let c: u32 = 0x30; c <= 0x39; c++) store<u8>(keep + c, 1); // 0-9
  for (let c: u32 = 0x41; c <= 0x5a; c++) store<u8>(keep + c, 1); // A-Z
  for (let c: u32 = 0x61; c <= 0x7a; c++) store<u8>(keep + c, 1); // a-z
  tagsSupported = true;
  for (let i: usize = 0; i < allowedLen; i++) {
    const c = <usize>load<u8>(allowedPtr + i);
    if (c == Char.SEMICOLON) tagsSupported = false;
    if (c != 0) store<u8>(keep + c, 1);
  }
  for (let i: i32 = 0; i < members; i++) store<u16>(order + (<usize>i << 1), <u16>i);
  memory.fill(down, 0, ROUTE_MAX_MEMBERS);
  anyDown = false;
  ringLen = 0;
  routeOutOfMemory = false;
  routeBegin();
  return true;
}

/** Room for `entries` ring entries at `ring` (the JS side fills them, sorted); false on no memory. */
export function ringReserve(entries: i32): bool {
  const need = <usize>entries * RING_SIZE;
  if (need > ringCap) {
    const p = grow(ring, ringCap, 0, need, 1024);
    if (p == 0) return false;
    ring = p;
    ringCap = grownCap;
  }
  ringLen = entries;
  return true;
}

/** Marks member `m` down (1) or up (0). */
export function setDown(m: i32, isDown: i32): void {
  store<u8>(down + <usize>m, isDown != 0 ? 1 : 0);
  anyDown = false;
  for (let i: i32 = 0; i < memberCount; i++) if (load<u8>(down + <usize>i) != 0) anyDown = true;
}

/** Empties every member's output and zeroes the counters (the start of a batch). */
export function routeBegin(): void {
  for (let i: i32 = 0; i < memberCount; i++) {
    const o = outputs + <usize>i * MOUT_SIZE;
    store<u32>(o, 0, MOUT_LEN);
    store<u32>(o, 0, MOUT_LINES);
  }
  memory.fill(routeCounters, 0, <usize>RC_SLOTS << 3);
}

/** The ring position carbon-c-relay gives a key under `m` (fnv1a_ch or carbon_ch). */
export function ringPosition(m: i32, ptr: usize, len: usize): u32 {
  if (m == ROUTE_CARBON_CH) return md5Pos(ptr, len);
  const h = fnv1a32Signed(ptr, len);
  return ((h >> 16) ^ h) & 0xffff;
}

// @ts-ignore: decorator
@inline function bumpRoute(slot: i32): void {
  const p = routeCounters + (<usize>slot << 3);
  store<u64>(p, load<u64>(p) + 1);
}

/** The routing key's length in the last sanitized name. */
let keyLen: usize = 0;

/**
 * carbon-c-relay's dispatcher on the name field [p, end) (no blanks in it), written to `dst`:
 * leading dots dropped, runs of dots made one, a byte that is not a letter, a digit or an
 * allowed character becomes `_` (each byte of a UTF-8 character, too), the first `;` starts
 * the tags, which are copied as they are but for the dot rules and NUL, and a trailing dot is
 * dropped when there are no tags. Returns the name's length; keyLen is the routing key's.
 */
function sanitize(p: usize, end: usize, dst: usize): usize {
  let q = dst;
  let tagsAt: isize = -1;
  let searchTags = tagsSupported;
  for (; p < end; p++) {
    const c = <u32>load<u8>(p);
    if (c == Char.DOT) {
      if (q == dst) continue;
      if (load<u8>(q - 1) != Char.DOT && <isize>(q - 1 - dst) != tagsAt) store<u8>(q++, Char.DOT);
    } else if (searchTags && c == Char.SEMICOLON) {
      searchTags = false;
      tagsAt = <isize>(q - dst);
      store<u8>(q++, Char.SEMICOLON);
    } else if (c != 0 && (tagsAt >= 0 || load<u8>(keep + c) != 0)) {
      store<u8>(q++, <u8>c);
    } else {
      store<u8>(q++, 0x5f); // '_'
    }
  }
  if (tagsAt < 0) {
    if (q > dst && load<u8>(q - 1) == Char.DOT) q--;
    keyLen = q - dst;
  } else {
    keyLen = <usize>tagsAt;
  }
  return q - dst;
}

/** The jump consistent hash (Lamping & Veach) as carbon-c-relay computes it, in doubles. */
function jumpBucket(key: u64, buckets: i32): i32 {
  let b: i64 = -1;
  let j: i64 = 0;
  while (j < <i64>buckets) {
    b = j;
    key = key * 2862933555777941757 + 1;
    j = <i64>(<f64>(b + 1) * (2147483648.0 / <f64>((key >> 33) + 1)));
  }
  return <i32>b;
}

/** The bucket list of jump's replication with its swaps applied: entry `i`. */
function swapGet(i: i32): i32 {
  for (let k: i32 = 0; k < swapLen; k++) {
    if (load<i32>(swapIdx + (<usize>k << 2)) == i) return load<i32>(swapVal + (<usize>k << 2));
  }
  return i;
}

function swapSet(i: i32, v: i32): void {
  for (let k: i32 = 0; k < swapLen; k++) {
    if (load<i32>(swapIdx + (<usize>k << 2)) == i) {
      store<i32>(swapVal + (<usize>k << 2), v);
      return;
    }
  }
  store<i32>(swapIdx + (<usize>swapLen << 2), i);
  store<i32>(swapVal + (<usize>swapLen << 2), v);
  swapLen++;
}

// @ts-ignore: decorator
@inline function pick(i: i32): i32 {
  return load<i32>(picks + (<usize>i << 2));
}

/** Fills `picks` with the `replication` members of the key [ptr, ptr + len). */
function choose(ptr: usize, len: usize): void {
  if (method == ROUTE_JUMP_FNV1A) {
    let h = fnv1a64Signed(ptr, len);
    let n = memberCount;
    swapLen = 0;
    for (let i: i32 = 0; i < replication; i++) {
      const j = jumpBucket(h, n);
      store<i32>(picks + (<usize>i << 2), <i32>load<u16>(order + (<usize>swapGet(j) << 1)));
      // the next replica: xorshift* of the key, the chosen bucket swapped with the last
      h ^= h >> 12;
      h ^= h << 25;
      h ^= h >> 27;
      h *= 2685821657736338717;
      swapSet(j, swapGet(n - 1));
      n--;
    }
    return;
  }
  const pos = ringPosition(method, ptr, len);
  // the first entry at or after pos (duplicate positions carry the first entry's member)
  let lo: i32 = 0;
  let hi: i32 = ringLen;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (<u32>load<u16>(ring + <usize>mid * RING_SIZE, RING_POS) < pos) lo = mid + 1;
    else hi = mid;
  }
  let t = lo;
  let found: i32 = 0;
  while (found < replication) {
    if (t >= ringLen) t = 0;
    const m = <i32>load<u16>(ring + <usize>t * RING_SIZE, RING_MEMBER);
    let seen = false;
    for (let k: i32 = 0; k < found; k++) if (pick(k) == m) seen = true;
    if (!seen) {
      store<i32>(picks + (<usize>found << 2), m);
      found++;
    }
    t++;
  }
}

/** The member after `m` in config order that is up and holds no replica of the line, or -1. */
function replacement(m: i32, slot: i32): i32 {
  for (let k: i32 = 1; k < memberCount; k++) {
    const c = (m + k) % memberCount;
    if (load<u8>(down + <usize>c) != 0) continue;
    let taken = false;
    for (let i: i32 = 0; i < replication; i++) if (i != slot && pick(i) == c) taken = true;
    if (!taken) return c;
  }
  return -1;
}

/** Appends the `len` bytes at `src` to member `m`'s output; false when memory cannot grow. */
function emit(m: i32, src: usize, len: usize): bool {
  const o = outputs + <usize>m * MOUT_SIZE;
  const used = <usize>load<u32>(o, MOUT_LEN);
  let cap = <usize>load<u32>(o, MOUT_CAP);
  let ptr = <usize>load<u32>(o, MOUT_PTR);
  if (used + len > cap) {
    ptr = grow(ptr, cap, used, used + len, 1 << 16);
    if (ptr == 0) return false;
    cap = grownCap;
    store<u32>(o, <u32>ptr, MOUT_PTR);
    store<u32>(o, <u32>cap, MOUT_CAP);
  }
  memory.copy(ptr + used, src, len);
  store<u32>(o, <u32>(used + len), MOUT_LEN);
  store<u32>(o, load<u32>(o, MOUT_LINES) + 1, MOUT_LINES);
  bumpRoute(RC_COPIES);
  return true;
}

/**
 * Routes the complete lines of [ptr, ptr + len) to the member outputs; returns the bytes
 * consumed (up to and including the last `\n`). With `only` >= 0 (a down member's queue being
 * rerouted), a line goes only where member `only` held a replica: to its replacement, or back
 * to `only` when there is none. Rejected lines are counted by reason in the route counters.
 * A line whose numbers need the JS side is listed in `slow` instead; the JS side routes it
 * again, `trusted`, once its own parser has passed it.
 */
export function route(ptr: usize, len: usize, only: i32, trusted: bool): usize {
  slowLen = 0;
  blockStart = ptr;
  trust = trusted;
  const last = lastLf(ptr, len);
  if (last < 0) return 0;
  const end = ptr + <usize>last + 1;
  if (scratchCap < maxLineLen + 16) {
    const s = grow(scratch, scratchCap, 0, maxLineLen + 16, 4096);
    if (s == 0) {
      routeOutOfMemory = true;
      return 0;
    }
    scratch = s;
    scratchCap = grownCap;
  }
  let p = ptr;
  while (p < end) {
    const lf = nextLf(p);
    const reason = routeLine(p, lf, only);
    if (reason >= 0) bumpRoute(RC_REJECTED + reason);
    if (routeOutOfMemory) return p - ptr;
    p = lf + 1;
  }
  return p - ptr;
}

const SKIP: i32 = -1; // a blank line, or a line routed or listed as slow
let blockStart: usize = 0;
let trust: bool = false;

/** Lists line [lineStart, lf] as slow; false when memory cannot grow. */
function noteSlow(lineStart: usize, lf: usize): bool {
  const need = (<usize>slowLen + 1) << 3;
  if (need > slowCap) {
    const p = grow(slow, slowCap, <usize>slowLen << 3, need, 1024);
    if (p == 0) return false;
    slow = p;
    slowCap = grownCap;
  }
  store<u32>(slow + (<usize>slowLen << 3), <u32>(lineStart - blockStart));
  store<u32>(slow + (<usize>slowLen << 3), <u32>(lf + 1 - lineStart), 4);
  slowLen++;
  return true;
}

/** Routes one line [lineStart, lf); returns the Reason it was refused for, or SKIP. */
function routeLine(lineStart: usize, lf: usize, only: i32): i32 {
  if (lf - lineStart > maxLineLen) return Reason.LINE_TOO_LONG;
  // the three fields, as the plaintext parser splits them
  const fields = splitFields(lineStart, lf);
  if (fields == 0) return SKIP;
  if (fields != 3) return Reason.FIELDS;
  const value = fieldValue, valueEnd = fieldValueEnd, ts = fieldTs, tsEnd = fieldTsEnd;
  const nameLen = sanitize(fieldName, fieldNameEnd, scratch);
  if (nameLen == 0) return Reason.EMPTY_NAME;
  if (nameLen > <usize>MAX_NAME_LEN) return Reason.BAD_NAME;
  if (!trust) {
    // a value that needs the JS side decides the line there (the reference checks the value
    // before the timestamp); a timestamp that needs it, once the value is known to be good
    if (parseValue(value) != valueEnd || numStatus == NUM_BAD) return Reason.BAD_VALUE;
    let deferred = numStatus == NUM_SLOW;
    if (!deferred) {
      if (parseTimestamp(ts) != tsEnd || numStatus == NUM_BAD) return Reason.BAD_TIMESTAMP;
      deferred = numStatus == NUM_SLOW;
    }
    if (deferred) {
      if (!noteSlow(lineStart, lf)) routeOutOfMemory = true;
      return SKIP;
    }
  }
  // the line as it goes out: name, one space, value, one space, timestamp, newline
  let q = scratch + nameLen;
  store<u8>(q++, Char.SPACE);
  memory.copy(q, value, valueEnd - value);
  q += valueEnd - value;
  store<u8>(q++, Char.SPACE);
  memory.copy(q, ts, tsEnd - ts);
  q += tsEnd - ts;
  store<u8>(q++, Char.LF);
  const lineLen = q - scratch;

  choose(scratch, keyLen);
  bumpRoute(RC_LINES);
  for (let i: i32 = 0; i < replication; i++) {
    const home = pick(i);
    if (only >= 0 && home != only) continue;
    let to = home;
    if (anyDown && load<u8>(down + <usize>home) != 0) {
      const r = replacement(home, i);
      if (r >= 0) {
        to = r;
        store<i32>(picks + (<usize>i << 2), r); // taken: no second replica lands there
        bumpRoute(RC_REROUTED);
      }
    }
    if (!emit(to, scratch, lineLen)) {
      routeOutOfMemory = true;
      return SKIP;
    }
  }
  return SKIP;
}
