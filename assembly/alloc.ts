// The heap: a bump allocator over linear memory with segregated free lists, sized classes of
// 8 bytes up to 4 KiB and powers of two above. Callers pass the size back to free(); blocks
// carry no header. Growing memory detaches JS views: src/wasm/ rebuilds them after each call.

import { COUNTER_HEAP_BYTES } from "./layout";
import { counters } from "./counters";

const SMALL_MAX: usize = 4096;
const SMALL_CLASSES: u32 = 512; // 8, 16, ... 4096 bytes
const LARGE_CLASSES: u32 = 20; // 8 KiB ... 4 GiB
const MIN_GROW_PAGES: i32 = 256; // 16 MiB

/** Most pages linear memory may grow to (`[cache] max-memory`); 65536 pages is 4 GiB. */
let maxPages: i32 = 65536;

/** Sets the ceiling of linear memory in 64 KiB pages (at least what is already there). */
export function setMaxPages(pages: i32): void {
  maxPages = max(min(pages, 65536), memory.size());
}

let freeHeads: usize = 0;
let heapStart: usize = 0;
let heapTop: usize = 0;

// @ts-ignore: decorator
@inline function classOf(size: usize): u32 {
  if (size <= SMALL_MAX) return <u32>((size + 7) >> 3);
  return SMALL_CLASSES + (32 - clz<u32>(<u32>size - 1)) - 12;
}

// @ts-ignore: decorator
@inline function classSize(c: u32): usize {
  if (c <= SMALL_CLASSES) return <usize>c << 3;
  return <usize>1 << (c - SMALL_CLASSES + 12);
}

/** Resets the heap to empty, starting at `start` (called once per init/reset). */
export function heapInit(start: usize): void {
  freeHeads = (start + 15) & ~15;
  const headsBytes = <usize>(SMALL_CLASSES + LARGE_CLASSES + 1) << 2;
  memory.fill(freeHeads, 0, headsBytes);
  heapStart = (freeHeads + headsBytes + 15) & ~15;
  heapTop = heapStart;
  store<u64>(counters + (<usize>COUNTER_HEAP_BYTES << 3), 0);
}

/** Bytes between the heap start and its top (free-listed blocks included). */
export function heapUsed(): usize {
  return heapTop - heapStart;
}

/** Grows linear memory so that `end` is addressable; false when the engine refuses. */
function ensureMemory(end: usize): bool {
  const have = <usize>memory.size() << 16;
  if (end <= have) return true;
  const need = <i32>((end - have + 0xffff) >> 16);
  const room = maxPages - memory.size();
  if (need > room) return false; // past max-memory: the caller counts an overflow
  let pages = max(need, max(memory.size() >> 3, MIN_GROW_PAGES));
  pages = min(pages, room);
  if (pages >= need && memory.grow(pages) >= 0) return true;
  return memory.grow(need) >= 0;
}

/** Returns an uninitialised block of at least `size` bytes, or 0 when memory cannot grow. */
export function alloc(size: usize): usize {
  const c = classOf(size);
  const headPtr = freeHeads + (<usize>c << 2);
  const head = <usize>load<u32>(headPtr);
  const bytes = classSize(c);
  if (head != 0) {
    store<u32>(headPtr, load<u32>(head));
  } else {
    const end = heapTop + bytes;
    if (end > 0xffff_fff0 || !ensureMemory(end)) return 0;
    const ptr = heapTop;
    heapTop = end;
    addHeapBytes(<i64>bytes);
    return ptr;
  }
  addHeapBytes(<i64>bytes);
  return head;
}

/** The capacity of the block the last grow() returned. */
export let grownCap: usize = 0;

/**
 * Grows a buffer of `cap` bytes at `ptr` (0 for none), whose first `used` bytes are kept, to
 * hold at least `need` bytes: its capacity doubles (to at least `min`) until it does. Returns
 * the new block, its capacity in grownCap, the old block freed; 0 when memory cannot grow (the
 * old block stays).
 */
export function grow(ptr: usize, cap: usize, used: usize, need: usize, min: usize): usize {
  let next = max<usize>(cap << 1, min);
  while (next < need) next <<= 1;
  const p = alloc(next);
  if (p == 0) return 0;
  if (ptr != 0) {
    memory.copy(p, ptr, used);
    free(ptr, cap);
  }
  grownCap = next;
  return p;
}

/** Returns a block obtained from alloc(size) to its free list. */
export function free(ptr: usize, size: usize): void {
  const c = classOf(size);
  const headPtr = freeHeads + (<usize>c << 2);
  store<u32>(ptr, load<u32>(headPtr));
  store<u32>(headPtr, <u32>ptr);
  addHeapBytes(-<i64>classSize(c));
}

// @ts-ignore: decorator
@inline function addHeapBytes(delta: i64): void {
  const p = counters + (<usize>COUNTER_HEAP_BYTES << 3);
  store<i64>(p, load<i64>(p) + delta);
}
