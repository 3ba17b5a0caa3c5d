// Write-ahead log replay: walks the pages of a segment handed in chunk by chunk, checks each
// fragment's CRC-32C and order, reassembles records and applies them to the cache: Series
// records map a WAL reference to a series (created with that reference), Samples records add
// their points. Damage is reported, not fatal: a bad fragment is noted with its file offset,
// and reading resumes at the next page that starts with a full or first fragment.

import { alloc, free, grow, grownCap } from "./alloc";
import { crc32c } from "./crc32c";
import { fnv1a32 } from "./fnv";
import {
  WAL_FRAG_FIRST,
  WAL_FRAG_FULL,
  WAL_FRAG_LAST,
  WAL_FRAG_MIDDLE,
  WAL_HEADER_SIZE,
  WAL_PAGE_SIZE,
  WAL_REC_SAMPLES,
  WAL_REC_SERIES,
  SER_REF,
} from "./layout";
import { appendPoint, created, noteNewSeries, raiseNextRef, room, seriesFor, syncGauges } from "./shard_table";

/** Reassembly buffer for a record split over fragments. */
let asm: usize = 0;
let asmCap: usize = 0;
let asmLen: usize = 0;
let inRecord = false;
/** After damage: skip pages until one starts with a full or first fragment. */
let resync = false;
/** File offset just past the last complete record. */
export let goodEnd: u64 = 0;
/** The last chunk ended inside a fragment or a record (a torn tail if nothing follows). */
export let torn = false;

// Damage found in the current segment: up to DAMAGE_CAP file offsets, and a total.
const DAMAGE_CAP: u32 = 64;
export const damage: usize = memory.data(64 * 8, 8);
export let damageCount: u32 = 0;

// Totals of the whole replay.
export let replayedPoints: u64 = 0;
export let replayedSeries: u64 = 0;
export let unknownRefs: u64 = 0;
export let droppedPoints: u64 = 0;
export let unknownRecords: u64 = 0;

// WAL reference -> series: open addressing, u64 key, u32 value (12 bytes padded to 16).
let refMap: usize = 0;
let refMask: u32 = 0;
let refUsed: u32 = 0;

/** Collect mode (a reader of the log): complete records are listed, not applied. */
let collect = false;
/** Records listed by the last chunk: per record u32 length, u64 end offset, the bytes. */
export let collected: usize = 0;
let collectedCap: usize = 0;
export let collectedLen: usize = 0;

/** Starts reading the log as a reader: records are listed in `collected`, not applied. */
export function scanBegin(): void {
  collect = true;
}

function collectRecord(ptr: usize, len: usize, end: u64): bool {
  const need = collectedLen + 12 + len;
  if (need > collectedCap) {
    const p = grow(collected, collectedCap, collectedLen, need, 1 << 16);
    if (p == 0) return false;
    collected = p;
    collectedCap = grownCap;
  }
  store<u32>(collected + collectedLen, <u32>len);
  store<u64>(collected + collectedLen, end, 4);
  memory.copy(collected + collectedLen + 12, ptr, len);
  collectedLen += 12 + len;
  return true;
}

/** Starts a replay: empty reference map, zero totals. */
export function replayBegin(): bool {
  collect = false;
  refMask = 4095;
  refMap = alloc(<usize>(refMask + 1) << 4);
  if (refMap == 0) return false;
  memory.fill(refMap, 0, <usize>(refMask + 1) << 4);
  refUsed = 0;
  replayedPoints = 0;
  replayedSeries = 0;
  unknownRefs = 0;
  droppedPoints = 0;
  unknownRecords = 0;
  return true;
}

/** Frees what the replay used. */
export function replayFinish(): void {
  if (refMap != 0) free(refMap, <usize>(refMask + 1) << 4);
  refMap = 0;
  if (asm != 0) free(asm, asmCap);
  asm = 0;
  asmCap = 0;
  if (collected != 0) free(collected, collectedCap);
  collected = 0;
  collectedCap = 0;
  collectedLen = 0;
  collect = false;
  syncGauges();
}

// @ts-ignore: decorator
@inline function refSlot(ref: u64, mask: u32): u32 {
  return <u32>((ref * 0x9e3779b97f4a7c15) >> 40) & mask;
}

function refGet(ref: u64): usize {
  let i = refSlot(ref, refMask);
  while (true) {
    const e = refMap + (<usize>i << 4);
    const v = load<u32>(e, 8);
    if (v == 0) return 0;
    if (load<u64>(e) == ref) return <usize>v;
    i = (i + 1) & refMask;
  }
}

function refPut(ref: u64, series: usize): bool {
  if ((refUsed + 1) * 4 > (refMask + 1) * 3) {
    const oldMap = refMap;
    const oldCap = refMask + 1;
    const cap = oldCap << 1;
    const map = alloc(<usize>cap << 4);
    if (map == 0) return false;
    memory.fill(map, 0, <usize>cap << 4);
    refMap = map;
    refMask = cap - 1;
    for (let j: u32 = 0; j < oldCap; j++) {
      const e = oldMap + (<usize>j << 4);
      if (load<u32>(e, 8) == 0) continue;
      let i = refSlot(load<u64>(e), refMask);
      while (load<u32>(refMap + (<usize>i << 4), 8) != 0) i = (i + 1) & refMask;
      memory.copy(refMap + (<usize>i << 4), e, 16);
    }
    free(oldMap, <usize>oldCap << 4);
  }
  let i = refSlot(ref, refMask);
  while (true) {
    const e = refMap + (<usize>i << 4);
    if (load<u32>(e, 8) == 0) {
      store<u64>(e, ref);
      store<u32>(e, <u32>series, 8);
      refUsed++;
      return true;
    }
    if (load<u64>(e) == ref) {
      store<u32>(e, <u32>series, 8);
      return true;
    }
    i = (i + 1) & refMask;
  }
}

/** Starts a segment (or a checkpoint's segment). */
export function segmentBegin(): void {
  asmLen = 0;
  inRecord = false;
  resync = false;
  goodEnd = 0;
  torn = false;
  damageCount = 0;
}

function noteDamage(offset: u64): void {
  if (damageCount < DAMAGE_CAP) store<u64>(damage + (<usize>damageCount << 3), offset);
  damageCount++;
  inRecord = false;
  asmLen = 0;
  resync = true;
}

// Varint reading over [rp, rEnd); rBad is set on a read past the end.
let rp: usize = 0;
let rEnd: usize = 0;
let rBad = false;

function getUvarint(): u64 {
  let v: u64 = 0;
  let shift: u64 = 0;
  while (rp < rEnd && shift < 64) {
    const b = <u64>load<u8>(rp++);
    v |= (b & 0x7f) << shift;
    if (b < 0x80) return v;
    shift += 7;
  }
  rBad = true;
  return 0;
}

// @ts-ignore: decorator
@inline function getVarint(): i64 {
  const u = getUvarint();
  return <i64>(u >> 1) ^ -<i64>(u & 1);
}

function getU64BE(): u64 {
  if (rp + 8 > rEnd) {
    rBad = true;
    return 0;
  }
  const v = bswap<u64>(load<u64>(rp));
  rp += 8;
  return v;
}

/** Applies one complete record; false when it does not decode (counted as damage). */
function applyRecord(ptr: usize, len: usize): bool {
  if (len == 0) return false;
  rp = ptr + 1;
  rEnd = ptr + len;
  rBad = false;
  const typ = <u32>load<u8>(ptr);
  if (typ == WAL_REC_SERIES) {
    while (rp < rEnd && !rBad) {
      const ref = getU64BE();
      const labels = getUvarint();
      let name: usize = 0;
      let nameLen: usize = 0;
      for (let l: u64 = 0; l < labels && !rBad; l++) {
        const kLen = <usize>getUvarint();
        const k = rp;
        rp += kLen;
        const vLen = <usize>getUvarint();
        const v = rp;
        rp += vLen;
        if (rp > rEnd) rBad = true;
        if (kLen == 8 && load<u64>(k) == 0x5f5f656d616e5f5f) { // "__name__"
          name = v;
          nameLen = vLen;
        }
      }
      if (rBad) break;
      if (name == 0 || nameLen == 0 || nameLen > 0xffff) continue;
      const series = seriesFor(fnv1a32(name, nameLen), name, nameLen);
      if (series == 0) continue; // memory full: its samples count as unknown
      if (created) {
        store<u64>(series, ref, SER_REF);
        noteNewSeries(series);
        replayedSeries++;
      }
      raiseNextRef(ref + 1);
      if (!refPut(ref, series)) return true;
    }
    return !rBad;
  }
  if (typ == WAL_REC_SAMPLES) {
    const ref0 = getU64BE();
    const t0 = <i64>getU64BE();
    let left = room();
    while (rp < rEnd && !rBad) {
      const ref = ref0 + <u64>getVarint();
      const t = t0 + getVarint();
      const value = reinterpret<f64>(getU64BE());
      if (rBad) break;
      const series = refGet(ref);
      if (series == 0) {
        unknownRefs++;
        continue;
      }
      if (left == 0 || t < 0 || !appendPoint(series, <u32>(t / 1000), value)) {
        droppedPoints++;
        continue;
      }
      left--;
      replayedPoints++;
    }
    return !rBad;
  }
  unknownRecords++;
  return true;
}

function ensureAsm(need: usize): bool {
  if (need <= asmCap) return true;
  const ptr = grow(asm, asmCap, asmLen, need, 1 << 16);
  if (ptr == 0) return false;
  asm = ptr;
  asmCap = grownCap;
  return true;
}

/**
 * Reads the fragments in [ptr, ptr + len), which hold the segment's bytes from file offset
 * `fileOff` (a page boundary). Complete records are applied; damage is noted in `damage`.
 * Returns false when memory cannot grow.
 */
export function replayChunk(ptr: usize, len: usize, fileOff: u64): bool {
  let pos: usize = 0;
  torn = false;
  collectedLen = 0;
  while (pos < len) {
    const at = fileOff + <u64>pos;
    const pageLeft = WAL_PAGE_SIZE - <usize>(at % <u64>WAL_PAGE_SIZE);
    if (pageLeft < WAL_HEADER_SIZE) {
      pos += pageLeft;
      continue;
    }
    if (pos + WAL_HEADER_SIZE > len) {
      torn = true;
      break;
    }
    const h = ptr + pos;
    const typ = <u32>load<u8>(h);
    if (typ == 0) {
      // the rest of the page is padding: zeros to the page end (or to the end of the file)
      const stop = min(len, pos + pageLeft);
      let p = pos;
      while (p < stop && load<u8>(ptr + p) == 0) p++;
      if (p < stop) noteDamage(at);
      pos = stop;
      continue;
    }
    const fragLen = <usize>bswap<u16>(load<u16>(h, 1));
    if (typ > WAL_FRAG_LAST || fragLen > pageLeft - WAL_HEADER_SIZE) {
      noteDamage(at);
      pos += pageLeft;
      continue;
    }
    if (pos + WAL_HEADER_SIZE + fragLen > len) {
      torn = true;
      break;
    }
    const data = h + WAL_HEADER_SIZE;
    if (bswap<u32>(load<u32>(h, 3)) != crc32c(data, fragLen)) {
      noteDamage(at);
      pos += pageLeft;
      continue;
    }
    const next = pos + WAL_HEADER_SIZE + fragLen;
    if (resync) {
      if (typ == WAL_FRAG_MIDDLE || typ == WAL_FRAG_LAST) {
        pos = next; // the rest of a record whose start was lost
        continue;
      }
      resync = false;
    }
    if (typ == WAL_FRAG_FULL || typ == WAL_FRAG_FIRST) {
      if (inRecord) {
        noteDamage(at); // the record before never got its last fragment
        resync = false;
      }
      asmLen = 0;
    } else if (!inRecord) {
      noteDamage(at);
      pos += pageLeft;
      continue;
    }
    if (!ensureAsm(asmLen + fragLen)) return false;
    memory.copy(asm + asmLen, data, fragLen);
    asmLen += fragLen;
    inRecord = typ == WAL_FRAG_FIRST || typ == WAL_FRAG_MIDDLE;
    if (!inRecord) {
      const end = fileOff + <u64>next;
      if (collect) {
        if (!collectRecord(asm, asmLen, end)) return false;
        goodEnd = end;
      } else if (!applyRecord(asm, asmLen)) {
        noteDamage(at);
      } else {
        goodEnd = end;
      }
      asmLen = 0;
    }
    pos = next;
  }
  if (inRecord) torn = true;
  return true;
}
