// Tagged names as carbon 1.1.7 stores them (lib/carbon/util.py TaggedSeries.parse(...).path,
// applied by its cache to every name received): `path;k=v;...` and the OpenMetrics form
// `path{k="v",...}` become the path with its leading `~` stripped, then the `;k=v` strings
// sorted as byte strings (UTF-8 order = Python's code point order), the last of duplicate keys
// kept and an explicit `name` tag dropped. A name that breaks carbon's rules is kept as it came
// (carbon logs it and stores it raw). src/tags/tagged_name.ts is the TS reference.
//
// Carbon's rules: the path is not empty (nor only `~`); a key is not empty and holds none of
// `; ! ^ =`; a value is not empty, holds no `;` and does not start with `~`. In the OpenMetrics
// form there is exactly one `{`, the name ends with `"}`, a value is a run of `\"`, `\\` or any
// byte but `"` and `\`, unescaped as Python's `.replace('\\"', '"').replace('\\\\', '\\')`, and
// tags are separated by `,` or `:,` (carbon's regex spells the separator `(:?,|$)`).

import { alloc, free } from "./alloc";
import { Char, INPUT_PADDING, MAX_NAME_LEN } from "./layout";

/** Most tags a name can hold: each `;k=v` takes at least four bytes. */
const MAX_TAGS: i32 = MAX_NAME_LEN / 4 + 1;
// A tag entry (16 bytes): where its `k=v` text sits in tagText, the key's length, the text's
// length, and its position in the name (the last duplicate wins).
const ENT_TEXT: i32 = 0;
const ENT_KEY_LEN: i32 = 4;
const ENT_LEN: i32 = 8;
const ENT_ORDER: i32 = 12;
const ENT_SIZE: i32 = 16;

/** The canonical name written by canonicalize(). */
export let canon: usize = 0;
export let canonLen: usize = 0;
/** `k=v` texts of the name being canonicalized (values unescaped). */
let tagText: usize = 0;
let tagTextLen: usize = 0;
let entries: usize = 0;
let tagCount: i32 = 0;
let sorted: usize = 0;
let sortTmp: usize = 0;

// The memo: the names with tag syntax that checkName() accepted lately, with what it made of
// them, so that a series sent every interval is parsed and put in order once. An open-addressing
// index of MEMO_INDEX_SLOTS (u32 hash, u32 arena offset + 1), linear probing over at most
// MEMO_PROBES slots, over an arena of entries: u16 length as sent, u16 result length, u8 state
// (MEMO_CANONICAL, or MEMO_KEPT for a name kept raw for invalid tags), then the name as sent
// and the result, 8-byte aligned. When the arena or the index is full, both are emptied. Both
// are allocated at the first tagged name (10 MiB: 131,072 names of up to ~60 bytes), so a
// daemon that never sees one pays nothing.
const MEMO_INDEX_SLOTS: u32 = 262144;
const MEMO_PROBES: u32 = 8;
const MEMO_ARENA_BYTES: usize = 8 << 20;
const MEMO_MAX_ENTRIES: u32 = MEMO_INDEX_SLOTS / 2;
export const MEMO_CANONICAL: i32 = 1;
export const MEMO_KEPT: i32 = 2;
let memoIndex: usize = 0;
let memoArena: usize = 0;
let memoTop: usize = 0;
let memoEntries: u32 = 0;
/**
 * Arena offset of the entry after the last one found or stored: clients send their series in
 * the same order every interval, so the next name is most often that entry's, checked before
 * hashing (the arena is read in order, which the CPU prefetches; the index is not).
 */
let memoNext: usize = 0;

/** Allocates the scratch regions and an empty memo (init()). */
export function tagsInit(): void {
  canon = alloc(<usize>MAX_NAME_LEN + INPUT_PADDING);
  tagText = alloc(<usize>MAX_NAME_LEN + INPUT_PADDING);
  entries = alloc(<usize>MAX_TAGS * ENT_SIZE);
  sorted = alloc(<usize>MAX_TAGS << 2);
  sortTmp = alloc(<usize>MAX_TAGS << 2);
  memoIndex = 0;
  memoArena = 0;
}

/** Allocates the memo; false when memory cannot grow (the memo then stays off). */
function memoAlloc(): bool {
  memoIndex = alloc(<usize>MEMO_INDEX_SLOTS << 3);
  if (memoIndex == 0) return false;
  memoArena = alloc(MEMO_ARENA_BYTES);
  if (memoArena == 0) {
    free(memoIndex, <usize>MEMO_INDEX_SLOTS << 3);
    memoIndex = 0;
    return false;
  }
  memoClear();
  return true;
}

function memoClear(): void {
  memory.fill(memoIndex, 0, <usize>MEMO_INDEX_SLOTS << 3);
  memoTop = 0;
  memoEntries = 0;
  memoNext = 0;
}

// @ts-ignore: decorator
@inline function entrySize(e: usize): usize {
  return (8 + <usize>load<u16>(e) + <usize>load<u16>(e, 2) + 7) & ~7;
}

/** A memo entry's result into `canon`; returns its state. */
// @ts-ignore: decorator
@inline function memoHit(e: usize, len: usize): i32 {
  canonLen = <usize>load<u16>(e, 2);
  memory.copy(canon, e + 8 + len, canonLen);
  memoNext = e - memoArena + entrySize(e);
  return <i32>load<u8>(e, 4);
}

/** The bytes of [ptr, ptr + n) past `n` masked off, from one 8-byte load (n < 8). */
// @ts-ignore: decorator
@inline function tail(ptr: usize, n: usize): u64 {
  return n == 0 ? 0 : load<u64>(ptr) & ((<u64>1 << (<u64>n << 3)) - 1);
}

/** A word-at-a-time hash of a name (reads up to 7 bytes past it: buffers are padded). */
export function wordHash(ptr: usize, len: usize): u32 {
  let h: u64 = <u64>len * 0x9e3779b97f4a7c15;
  let p = ptr;
  const end = ptr + len;
  while (p + 8 <= end) {
    h = (h ^ load<u64>(p)) * 0xff51afd7ed558ccd;
    h ^= h >> 29;
    p += 8;
  }
  h = (h ^ tail(p, end - p)) * 0xc4ceb9fe1a85ec53;
  return <u32>(h ^ (h >> 32));
}

/** True when the `len` bytes at `a` and `b` are equal. */
export function sameBytes(a: usize, b: usize, len: usize): bool {
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < len; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/**
 * What checkName() made of this name before: MEMO_CANONICAL or MEMO_KEPT with the result
 * copied to `canon`/`canonLen`, or 0 when the memo does not hold it.
 */
export function memoLookup(ptr: usize, len: usize): i32 {
  if (memoIndex == 0 || len > <usize>MAX_NAME_LEN) return 0;
  if (memoNext < memoTop) {
    const e = memoArena + memoNext;
    if (<usize>load<u16>(e) == len && sameBytes(e + 8, ptr, len)) return memoHit(e, len);
  }
  const h = wordHash(ptr, len);
  for (let i: u32 = 0; i < MEMO_PROBES; i++) {
    const slot = memoIndex + (<usize>((h + i) & (MEMO_INDEX_SLOTS - 1)) << 3);
    const off = load<u32>(slot, 4);
    if (off == 0) return 0;
    if (load<u32>(slot) != h) continue;
    const e = memoArena + <usize>off - 1;
    if (<usize>load<u16>(e) != len || !sameBytes(e + 8, ptr, len)) continue;
    return memoHit(e, len);
  }
  return 0;
}

/** Keeps what checkName() accepted the name as: [out, out + outLen), and how. */
export function memoStore(ptr: usize, len: usize, out: usize, outLen: usize, state: i32): void {
  if (memoIndex == 0 && !memoAlloc()) return;
  const size = (8 + len + outLen + 7) & ~7;
  if (memoTop + size > MEMO_ARENA_BYTES || memoEntries >= MEMO_MAX_ENTRIES) memoClear();
  const h = wordHash(ptr, len);
  let slot = memoIndex + (<usize>(h & (MEMO_INDEX_SLOTS - 1)) << 3);
  for (let i: u32 = 0; i < MEMO_PROBES; i++) {
    const s = memoIndex + (<usize>((h + i) & (MEMO_INDEX_SLOTS - 1)) << 3);
    if (load<u32>(s, 4) == 0) {
      slot = s;
      break;
    }
  }
  const e = memoArena + memoTop;
  store<u16>(e, <u16>len);
  store<u16>(e, <u16>outLen, 2);
  store<u8>(e, <u8>state, 4);
  memory.copy(e + 8, ptr, len);
  memory.copy(e + 8 + len, out, outLen);
  store<u32>(slot, h);
  store<u32>(slot, <u32>(memoTop + 1), 4);
  memoTop += size;
  memoEntries++;
  memoNext = memoTop;
}

/** True when every byte of [ptr, ptr + len) is below 0x80. */
// @ts-ignore: decorator
@inline function isAscii(ptr: usize, len: usize): bool {
  let p = ptr;
  const end = ptr + len;
  while (p + 8 <= end) {
    if ((load<u64>(p) & 0x8080808080808080) != 0) return false;
    p += 8;
  }
  while (p < end) {
    if (load<u8>(p) >= 0x80) return false;
    p++;
  }
  return true;
}

/**
 * True when [ptr, ptr + len) is well-formed UTF-8 as Python's strict decoder wants it: no
 * overlong forms, no surrogates, nothing above U+10FFFF. ASCII takes the word-at-a-time path.
 */
export function validUtf8(ptr: usize, len: usize): bool {
  if (isAscii(ptr, len)) return true;
  let p = ptr;
  const end = ptr + len;
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c < 0x80) {
      p++;
      continue;
    }
    if (c < 0xc2) return false; // a continuation byte, or an overlong two-byte form
    if (c < 0xe0) {
      if (p + 1 >= end || (<u32>load<u8>(p, 1) & 0xc0) != 0x80) return false;
      p += 2;
      continue;
    }
    if (c < 0xf0) {
      if (p + 2 >= end) return false;
      const c1 = <u32>load<u8>(p, 1);
      if ((c1 & 0xc0) != 0x80 || (<u32>load<u8>(p, 2) & 0xc0) != 0x80) return false;
      if (c == 0xe0 && c1 < 0xa0) return false; // overlong
      if (c == 0xed && c1 >= 0xa0) return false; // a surrogate
      p += 3;
      continue;
    }
    if (c < 0xf5) {
      if (p + 3 >= end) return false;
      const c1 = <u32>load<u8>(p, 1);
      if ((c1 & 0xc0) != 0x80 || (<u32>load<u8>(p, 2) & 0xc0) != 0x80) return false;
      if ((<u32>load<u8>(p, 3) & 0xc0) != 0x80) return false;
      if (c == 0xf0 && c1 < 0x90) return false; // overlong
      if (c == 0xf4 && c1 >= 0x90) return false; // above U+10FFFF
      p += 4;
      continue;
    }
    return false;
  }
  return true;
}

/** True when the name has tags to put in order, or a leading `~` to strip. */
export function hasTagSyntax(ptr: usize, len: usize): bool {
  if (len > 0 && load<u8>(ptr) == Char.TILDE) return true;
  for (let p = ptr; p < ptr + len; p++) {
    const c = load<u8>(p);
    if (c == Char.SEMICOLON || c == Char.LBRACE) return true;
  }
  return false;
}

/**
 * Writes the canonical form of the name at [ptr, ptr + len) (at most MAX_NAME_LEN bytes) to
 * `canon`/`canonLen` and returns true, or returns false when carbon would keep the name as it
 * came (invalid tags). The canonical form is never longer than the name.
 */
export function canonicalize(ptr: usize, len: usize): bool {
  tagCount = 0;
  tagTextLen = 0;
  if (
    len >= 2 && load<u8>(ptr + len - 1) == Char.RBRACE && load<u8>(ptr + len - 2) == Char.QUOTE
  ) {
    const brace = indexOf(ptr, len, Char.LBRACE);
    if (brace >= 0) return openMetrics(ptr, len, <usize>brace);
  }
  return carbonTags(ptr, len);
}

function indexOf(ptr: usize, len: usize, c: u32): isize {
  for (let i: usize = 0; i < len; i++) if (<u32>load<u8>(ptr + i) == c) return <isize>i;
  return -1;
}

/** `path;k=v;...`: the path ends at the first `;`, each segment splits at its first `=`. */
function carbonTags(ptr: usize, len: usize): bool {
  const semi = indexOf(ptr, len, Char.SEMICOLON);
  const pathLen: usize = semi < 0 ? len : <usize>semi;
  if (pathLen == 0) return false;
  let p = pathLen;
  while (p < len) {
    const seg = p + 1;
    let segEnd = seg;
    while (segEnd < len && load<u8>(ptr + segEnd) != Char.SEMICOLON) segEnd++;
    let eq = seg;
    while (eq < segEnd && load<u8>(ptr + eq) != Char.EQUALS) eq++;
    if (eq == segEnd || eq == seg) return false;
    const text = tagText + tagTextLen;
    memory.copy(text, ptr + seg, segEnd - seg);
    if (!addTag(text, eq - seg, segEnd - seg, false)) return false;
    p = segEnd;
  }
  return finish(ptr, pathLen);
}

/** `path{k="v",...}"`: the caller saw the closing `"}` and the `{` at `brace`. */
function openMetrics(ptr: usize, len: usize, brace: usize): bool {
  const end = len - 1; // before the `}`
  if (brace == 0 || indexOf(ptr + brace + 1, end - brace - 1, Char.LBRACE) >= 0) return false;
  let p = brace + 1;
  while (p < end) {
    const key = p;
    while (p < end && load<u8>(ptr + p) != Char.EQUALS) p++;
    if (p == key || p + 1 >= end || load<u8>(ptr + p + 1) != Char.QUOTE) return false;
    const keyLen = p - key;
    p += 2;
    const value = p;
    while (p < end) {
      const c = load<u8>(ptr + p);
      if (c == Char.BACKSLASH) {
        if (p + 1 >= end) break;
        const next = load<u8>(ptr + p + 1);
        if (next != Char.QUOTE && next != Char.BACKSLASH) break;
        p += 2;
      } else if (c == Char.QUOTE) {
        break;
      } else {
        p++;
      }
    }
    if (p == value || p >= end || load<u8>(ptr + p) != Char.QUOTE) return false;
    const text = tagText + tagTextLen;
    memory.copy(text, ptr + key, keyLen);
    store<u8>(text + keyLen, Char.EQUALS);
    let valueLen = p - value;
    memory.copy(text + keyLen + 1, ptr + value, valueLen);
    valueLen = unescape(text + keyLen + 1, valueLen, Char.QUOTE);
    valueLen = unescape(text + keyLen + 1, valueLen, Char.BACKSLASH);
    p++;
    if (p < end) {
      const c = load<u8>(ptr + p);
      if (c == Char.COMMA) {
        p++;
      } else if (c == Char.COLON && p + 1 < end && load<u8>(ptr + p + 1) == Char.COMMA) {
        p += 2;
      } else {
        return false;
      }
    }
    if (!addTag(text, keyLen, keyLen + 1 + valueLen, true)) return false;
  }
  return finish(ptr, brace);
}

/** Replaces each `\` + `c` by `c` in place, left to right (Python's str.replace); new length. */
function unescape(ptr: usize, len: usize, c: u32): usize {
  let r: usize = 0;
  let w: usize = 0;
  while (r < len) {
    const b = <u32>load<u8>(ptr + r);
    if (b == Char.BACKSLASH && r + 1 < len && <u32>load<u8>(ptr + r + 1) == c) {
      store<u8>(ptr + w, <u8>c);
      r += 2;
    } else {
      store<u8>(ptr + w, <u8>b);
      r++;
    }
    w++;
  }
  return w;
}

/**
 * Checks the `k=v` text just written at `text` and records it; false breaks carbon's rules.
 * `mayHoldSemicolon`: the value was not cut at `;` (the OpenMetrics form).
 */
function addTag(text: usize, keyLen: usize, len: usize, mayHoldSemicolon: bool): bool {
  for (let i: usize = 0; i < keyLen; i++) {
    const c = load<u8>(text + i);
    if (c == Char.SEMICOLON || c == Char.BANG || c == Char.CARET || c == Char.EQUALS) {
      return false;
    }
  }
  const valueLen = len - keyLen - 1;
  if (valueLen == 0 || load<u8>(text + keyLen + 1) == Char.TILDE) return false;
  if (mayHoldSemicolon && indexOf(text + keyLen + 1, valueLen, Char.SEMICOLON) >= 0) return false;
  const e = entries + <usize>tagCount * ENT_SIZE;
  store<u32>(e, <u32>(text - tagText), ENT_TEXT);
  store<u32>(e, <u32>keyLen, ENT_KEY_LEN);
  store<u32>(e, <u32>len, ENT_LEN);
  store<u32>(e, <u32>tagCount, ENT_ORDER);
  store<u32>(sorted + (<usize>tagCount << 2), <u32>tagCount);
  tagCount++;
  tagTextLen += len;
  return true;
}

// @ts-ignore: decorator
@inline function entry(i: u32): usize {
  return entries + <usize>i * ENT_SIZE;
}

/** Byte order of two entries' `k=v` texts (their order in the name breaks ties). */
function before(a: u32, b: u32): bool {
  const ea = entry(a);
  const eb = entry(b);
  const pa = tagText + <usize>load<u32>(ea, ENT_TEXT);
  const pb = tagText + <usize>load<u32>(eb, ENT_TEXT);
  const la = <usize>load<u32>(ea, ENT_LEN);
  const lb = <usize>load<u32>(eb, ENT_LEN);
  const n = min(la, lb);
  for (let i: usize = 0; i < n; i++) {
    const ca = load<u8>(pa + i);
    const cb = load<u8>(pb + i);
    if (ca != cb) return ca < cb;
  }
  if (la != lb) return la < lb;
  return load<u32>(ea, ENT_ORDER) < load<u32>(eb, ENT_ORDER);
}

/** Bottom-up merge sort of `sorted` (tagCount u32 entry numbers); never quadratic. */
function sortTags(): void {
  const n = <usize>tagCount;
  if (n < 2) return;
  let src = sorted;
  let dst = sortTmp;
  for (let width: usize = 1; width < n; width <<= 1) {
    for (let lo: usize = 0; lo < n; lo += width << 1) {
      const mid = min(lo + width, n);
      const hi = min(lo + (width << 1), n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        const a = load<u32>(src + (i << 2));
        const b = load<u32>(src + (j << 2));
        if (before(b, a)) {
          store<u32>(dst + (k << 2), b);
          j++;
        } else {
          store<u32>(dst + (k << 2), a);
          i++;
        }
        k++;
      }
      while (i < mid) store<u32>(dst + (k++ << 2), load<u32>(src + (i++ << 2)));
      while (j < hi) store<u32>(dst + (k++ << 2), load<u32>(src + (j++ << 2)));
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src != sorted) memory.copy(sorted, src, n << 2);
}

function sameKey(a: u32, b: u32): bool {
  const ea = entry(a);
  const eb = entry(b);
  const len = <usize>load<u32>(ea, ENT_KEY_LEN);
  if (len != <usize>load<u32>(eb, ENT_KEY_LEN)) return false;
  return sameBytes(
    tagText + <usize>load<u32>(ea, ENT_TEXT),
    tagText + <usize>load<u32>(eb, ENT_TEXT),
    len,
  );
}

function isNameKey(e: usize): bool {
  if (load<u32>(e, ENT_KEY_LEN) != 4) return false;
  const p = tagText + <usize>load<u32>(e, ENT_TEXT);
  return load<u32>(p) == 0x656d616e; // "name", little-endian
}

/** Writes the path (leading `~` stripped) and the sorted, deduplicated tags to `canon`. */
function finish(ptr: usize, pathLen: usize): bool {
  let path = ptr;
  const pathEnd = ptr + pathLen;
  while (path < pathEnd && load<u8>(path) == Char.TILDE) path++;
  if (path == pathEnd) return false;
  let w = pathEnd - path;
  memory.copy(canon, path, w);
  sortTags();
  const n = tagCount;
  let i = 0;
  while (i < n) {
    // entries with one key are adjacent: a `k=` prefix sorts after every other key's texts
    let keep = load<u32>(sorted + (<usize>i << 2));
    let j = i + 1;
    while (j < n) {
      const other = load<u32>(sorted + (<usize>j << 2));
      if (!sameKey(keep, other)) break;
      if (load<u32>(entry(other), ENT_ORDER) > load<u32>(entry(keep), ENT_ORDER)) keep = other;
      j++;
    }
    const e = entry(keep);
    if (!isNameKey(e)) {
      const len = <usize>load<u32>(e, ENT_LEN);
      store<u8>(canon + w, Char.SEMICOLON);
      memory.copy(canon + w + 1, tagText + <usize>load<u32>(e, ENT_TEXT), len);
      w += len + 1;
    }
    i = j;
  }
  canonLen = w;
  return true;
}
